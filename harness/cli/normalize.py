"""`harness normalize figure|date|speaker TEXT`: one slot through the scorer's normalisers, printed as one JSON
object, so an annotator can see why a predicted value matched the gold or not."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import typer

from harness.cli._common import GOLD_HELP, run_guarded
from harness.errors import InputError

KINDS = ("figure", "date", "speaker")
_PUBLISHED = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def _published(value: str | None) -> str | None:
    """--published as the anchor parse_date takes: YYYY-MM-DD (or YYYY-MM, YYYY), a real calendar date."""
    if value is None:
        return None
    if _PUBLISHED.fullmatch(value):
        y, m, d = ([*value.split("-"), "01", "01"])[:3]
        try:
            date(int(y), int(m), int(d))
            return value
        except ValueError:
            pass
    raise InputError(f"--published {value!r} is not a date (give YYYY-MM-DD)")


def _gold_article(article: str, gold: Path, seeds: Path):
    """The checked gold of one article, loaded as `harness gold check` loads it."""
    from harness import corpus

    g = corpus.load_gold(gold, corpus.load_articles(seeds))
    if article not in g:
        known = ", ".join(sorted(g)) or "none"
        raise InputError(f"unknown article id {article!r} (gold has: {known})", str(gold))
    return g[article]


def _number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: an integer when it is whole (3800000), else a float (14.6)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _slot(kind: str, text: str, published: str | None, article: str | None, gold: Path, seeds: Path) -> dict:
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r} (give one of: {', '.join(KINDS)})")
    published = _published(published)
    g = _gold_article(article, gold, seeds) if article is not None else None
    if kind == "figure":
        from harness.normalize.numbers import parse_figure

        fig = parse_figure(text)
        return {"value": _number(fig.value), "unit": fig.unit, "approx": fig.approx, "qualifier": fig.qualifier}
    if kind == "date":
        from harness.normalize.dates import parse_date

        anchor = published if published is not None else (g.published if g is not None else None)
        d = parse_date(text, anchor)
        return {"value": d.value, "role": d.role}
    if g is None:  # a speaker is matched against an article's gold speakers
        raise InputError("speaker needs --article ID (the article whose gold speakers the name is matched against)")
    from harness.normalize.names import is_outlet, names_organisation, resolve_speaker

    return {  # organisation_of: the first speaker, in gold order, whose `organisation` field the text names
        "speaker": resolve_speaker(text, g.speakers),
        "outlet": is_outlet(text),
        "organisation_of": next((s.name for s in g.speakers if names_organisation(text, s)), None),
    }


def normalize(
    kind: str = typer.Argument(..., metavar="KIND", help="figure, date or speaker."),
    text: str = typer.Argument(
        ..., metavar="TEXT", help='The slot as written, e.g. "3,8 juta", "Per Maret 2023", "kata Odo".'
    ),
    published: str | None = typer.Option(
        None, "--published", help="Publication date YYYY-MM-DD that anchors a year-less or relative date."
    ),
    article: str | None = typer.Option(
        None, "--article", help="Article id: its gold speakers (speaker) and its gold publication date (date)."
    ),
    gold: Path = typer.Option(Path("gold"), "--gold", help=GOLD_HELP),
    seeds: Path = typer.Option(Path("seeds"), "--seeds", help="Folder of the articles (<article_id>.txt)."),
) -> None:
    """Print one slot normalised as the scorer reads it, as one JSON object. Unreadable text gives value null."""
    out = run_guarded(lambda: _slot(kind, text, published, article, gold, seeds))
    print(json.dumps(out, ensure_ascii=False))
