"""`harness score`: score a predictions JSONL file against the gold, as a table or as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from harness.cli._common import ARTICLES_HELP, GOLD_HELP, at_least, run_guarded

if TYPE_CHECKING:  # the scoring core (numpy, scipy) is imported when a verb runs, not when the command starts
    from rich.table import Table

    from harness.score import ScoreReport


def score_table(report: ScoreReport, title: str = "Scores") -> Table:
    """Per field: strict P/R/F1 with the 95% interval of F1, relaxed F1, and the outcome counts."""
    from rich.table import Table

    from harness.score.vocabulary import OUTCOMES, REPORTED

    t = Table(title=title)
    for col in ("field", "P", "R", "F1", "F1 95% CI", "relaxed F1", "cor", "par", "inc", "mis", "spu"):
        t.add_column(col, justify="left" if col == "field" else "right")
    for f in REPORTED:
        s = getattr(report, f)
        c = s.counts
        t.add_row(
            f, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", f"[{s.ci['f1'][0]:.2f}, {s.ci['f1'][1]:.2f}]",
            f"{s.relaxed.f1:.3f}", *(str(c[k]) for k in OUTCOMES),
        )  # fmt: skip
    return t


def score(
    predictions: Path = typer.Option(..., "--predictions", help="JSONL, one predicted claim per line."),
    gold: Path = typer.Option(Path("gold"), "--gold", help=GOLD_HELP),
    seeds: Path = typer.Option(Path("seeds"), "--seeds", help="The articles: " + ARTICLES_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the full score object as JSON."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap; same inputs and seed, same output."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples (at least 1)."),
) -> None:
    """Score predictions against the gold: precision, recall, F1 on figures, dates, attribution and claims.

    Exit 2 with one line on bad input: an unreadable or empty predictions file, or predictions for no gold article.
    """
    from rich.console import Console

    from harness import corpus
    from harness.errors import InputError
    from harness.predictions import read_predictions
    from harness.score import evaluate

    def _do() -> ScoreReport:
        at_least("--seed", seed, 0)
        at_least("--n-boot", n_boot, 1)
        articles = corpus.load_article_source(seeds)
        g = corpus.load_gold(gold, articles)
        preds = read_predictions(predictions)
        if not preds:
            raise InputError("no predicted claims in the file (an empty file scores nothing)", str(predictions))
        if not any(p.article_id in g for p in preds):
            ids = sorted({p.article_id for p in preds})
            raise InputError(
                f"no prediction names a gold article (article ids: {', '.join(ids[:3])})", str(predictions)
            )
        return evaluate(g, preds, texts={a: art.text for a, art in articles.items()}, seed=seed, n_boot=n_boot)

    report = run_guarded(_do)
    if as_json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1, sort_keys=True))
        return
    Console().print(score_table(report))
    if report.ignored_predictions:
        print(f"ignored predictions for articles without gold: {report.ignored_predictions}")
    if any(report.unparsed.values()):
        print(f"unreadable predicted values (scored as wrong): {report.unparsed}")
