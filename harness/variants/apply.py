"""One article and its gold carried into a variant: the rewrites applied at once, every gold span moved along, and
the meaning checked with the harness's own normaliser (each rewritten figure and date reads as before, each renamed
alias resolves to its renamed speaker, no original name is left)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from harness.errors import InputError
from harness.normalize import parse_date, parse_figure, resolve_speaker
from harness.normalize.names import is_person_name
from harness.schema import Article, Evidence, GoldArticle
from harness.variants.forms import Rewrite, Skipped, date_rewrites, number_rewrites
from harness.variants.names import NameMap, name_map, name_rewrites, rename

__all__ = ["KINDS", "Variant", "kinds_of", "make_variant"]

KINDS = ("numbers", "dates", "names")


def kinds_of(kind: str) -> tuple[str, ...]:
    """`--kind` to the rewrites it makes: one of KINDS, or "all" for the three."""
    if kind == "all":
        return KINDS
    if kind not in KINDS:
        raise InputError(f"--kind must be one of {', '.join(KINDS)}, all; not {kind!r}")
    return (kind,)


@dataclass
class Variant:
    text: str
    gold: GoldArticle
    rewrites: list[tuple[Rewrite, int]]  # each rewrite with its start in the new text
    skipped: list[Skipped] = field(default_factory=list)
    names: NameMap = field(default_factory=dict)


class _Shift:
    """Offsets of the original text carried to the new one, refusing a span that cuts a rewrite in two."""

    def __init__(self, rewrites: list[Rewrite], where: str):
        self.rewrites, self.where = rewrites, where

    def pos(self, p: int) -> int:
        return p + sum(len(r.new) - len(r.old) for r in self.rewrites if r.end <= p)

    def span(self, start: int, end: int, what: str) -> tuple[int, int]:
        for r in self.rewrites:
            if r.start < end and start < r.end and not (start <= r.start and r.end <= end):
                raise InputError(f"{what} cuts the rewrite {r.old!r} -> {r.new!r} at offset {r.start}", self.where)
        return self.pos(start), self.pos(end)


def _apply(text: str, rewrites: list[Rewrite]) -> str:
    out, last = [], 0
    for r in rewrites:
        out += [text[last : r.start], r.new]
        last = r.end
    return "".join([*out, text[last:]])


def _moved(ev: Evidence, text: str, new_text: str, shift: _Shift, what: str) -> Evidence:
    """A span in the new text; `start` follows the gold's convention (the first occurrence) when the original did."""
    a, b = shift.span(ev.start, ev.end, what)
    new = new_text[a:b]
    first = text.find(ev.text) == ev.start
    return Evidence(text=new, start=new_text.find(new) if first else a)


def _new_raw(raw: str, evidence: list[Evidence], new_text: str, shift: _Shift, what: str) -> str:
    for ev in evidence:
        i = ev.text.find(raw)
        if i >= 0:
            a, b = shift.span(ev.start + i, ev.start + i + len(raw), what)
            return new_text[a:b]
    raise InputError(f"{what}: raw {raw!r} is inside none of its evidence spans", shift.where)


def _reading(raw: str) -> tuple:
    f = parse_figure(raw)
    return f.value, f.unit, f.approx, f.qualifier


def make_variant(article: Article, gold: GoldArticle, kinds: tuple[str, ...], where: str,
                 name_tokens: dict[str, str] | None = None) -> Variant:  # fmt: skip
    """The variant of one article: its text with the rewrites of `kinds`, its gold with every span, raw and name
    carried along. `where` names the gold file in errors; `name_tokens` is the corpus's shared renaming table
    (filled here). InputError when two rewrites overlap, a gold span cuts a rewrite, or a check of meaning fails
    (a rewritten raw the normaliser reads otherwise, a name left behind)."""
    text = article.text
    rewrites: list[Rewrite] = []
    skipped: list[Skipped] = []
    forms: NameMap = {}
    if "numbers" in kinds:
        got, no = number_rewrites(text)
        rewrites, skipped = rewrites + got, skipped + no
    if "dates" in kinds:
        got, no = date_rewrites(text, gold.published)
        rewrites, skipped = rewrites + got, skipped + no
    if "names" in kinds:
        forms = name_map(gold.speakers, name_tokens)
        rewrites += name_rewrites(text, forms)
    rewrites.sort(key=lambda r: r.start)
    for r, s in itertools.pairwise(rewrites):
        if s.start < r.end:
            raise InputError(f"rewrites overlap at offset {s.start}: {r.old!r} and {s.old!r}", where)
    new_text = _apply(text, rewrites)
    shift = _Shift(rewrites, where)
    data = gold.model_copy(deep=True)
    data.sha256 = ""  # set by the caller from the bytes written
    data.noise = [_moved(ev, text, new_text, shift, f"noise span {ev.text[:30]!r}") for ev in gold.noise]
    for c in data.claims:
        what = f"claim {c.id}"
        old_evidence = c.evidence
        c.evidence = [_moved(ev, text, new_text, shift, what) for ev in old_evidence]
        for f in c.figures:
            new = _new_raw(f.raw, old_evidence, new_text, shift, what)
            if _reading(new) != _reading(f.raw):
                raise InputError(f"{what}: figure {f.raw!r} rewritten {new!r} reads {_reading(new)}", where)
            f.raw = new
        for d in c.dates:
            new = _new_raw(d.raw, old_evidence, new_text, shift, what)
            if parse_date(new, gold.published).value != parse_date(d.raw, gold.published).value:
                raise InputError(f"{what}: date {d.raw!r} rewritten {new!r} reads otherwise", where)
            d.raw = new
        if forms:
            c.statement = rename(c.statement, forms) or c.statement
            c.attribution.speaker = rename(c.attribution.speaker, forms)
            for f in c.figures:
                f.counted = rename(f.counted, forms)
    if forms:
        for sp in data.speakers:
            sp.name = rename(sp.name, forms) or sp.name
            sp.aliases = [rename(a, forms) or a for a in sp.aliases]
            sp.role, sp.organisation = rename(sp.role, forms), rename(sp.organisation, forms)
        _check_names(new_text, data, forms, where)
    moved = [(r, shift.pos(r.start)) for r in rewrites]
    return Variant(text=new_text, gold=data, rewrites=moved, skipped=skipped, names=forms)


def _check_names(text: str, gold: GoldArticle, forms: NameMap, where: str) -> None:
    """No original name form is left in the text, and every renamed name resolves to its renamed speaker."""
    for old in forms:
        rx = r"(?<!\w)" + r"\s+".join(re.escape(t) for t in old.split()) + r"(?!\w)"
        if re.search(rx, text):
            raise InputError(f"name {old!r} is still in the variant text", where)
    for sp in gold.speakers:
        for name in (sp.name, *sp.aliases):
            if is_person_name(name) and resolve_speaker(name, gold.speakers) != sp.name:
                raise InputError(f"renamed {name!r} does not resolve to {sp.name!r}", where)
