"""Slot comparators: one gold slot against one predicted slot -> (outcome, error type). Pure, no I/O.

Both sides go through the same normalisers (harness.normalize); gold slots keep the annotator's value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from harness.normalize.dates import parse_date, timex_relation
from harness.normalize.names import is_outlet, names_organisation, resolve_speaker
from harness.normalize.numbers import parse_figure, same_digits
from harness.schema import Speaker
from harness.score.vocabulary import COR, INC, MIS, PAR, SPU

UNIT_CLASS = {"count": "count", "persons": "count", "percent": "percent", "idr": "idr", None: None}
ANCHORS = {"as_of", "since", "until"}  # roles that change what a date means; point/target/unknown do not conflict


@dataclass(frozen=True)
class FigureSlot:
    raw: str
    value: Decimal | None
    unit: str | None  # unit class: count (persons are counted too), percent, idr
    approx: bool
    qualifier: str | None
    key: str | None = field(default=None, compare=False)  # digits without scale, see figure_key
    text: str | None = field(default=None, compare=False)  # str(value), as items show it
    _hash: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", _digits(self.value))
        object.__setattr__(self, "text", None if self.value is None else str(self.value))
        object.__setattr__(self, "_hash", hash((self.raw, self.value, self.unit, self.approx, self.qualifier)))

    def __hash__(self) -> int:  # computed once: slots are the keys of the verdict caches
        return self._hash


@dataclass(frozen=True)
class DateSlot:
    raw: str
    value: str | None
    role: str | None
    text: str | None = field(default=None, compare=False)  # the value, as items show it
    _hash: int = field(default=0, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", self.value)
        object.__setattr__(self, "_hash", hash((self.raw, self.value, self.role)))

    def __hash__(self) -> int:
        return self._hash


@lru_cache(maxsize=65536)
def _parse_figure(raw: str):
    return parse_figure(raw)


@lru_cache(maxsize=65536)
def _parse_date(raw: str, published: str | None):
    return parse_date(raw, published)


@lru_cache(maxsize=65536)
def make_figure_slot(raw, value, unit, approx, qualifier, trust_fields: bool) -> FigureSlot:
    """Gold (trust_fields=True) keeps the annotated value/unit/approx/qualifier; a prediction fills gaps from `raw`."""
    if trust_fields:
        return FigureSlot(raw, value, UNIT_CLASS.get(unit), approx, qualifier)
    parsed = _parse_figure(raw)
    value = value if value is not None else parsed.value
    unit = unit if unit is not None else parsed.unit
    return FigureSlot(raw, value, UNIT_CLASS.get(unit), approx or parsed.approx, qualifier or parsed.qualifier)


@lru_cache(maxsize=65536)
def make_date_slot(raw, value, role, published, trust_fields: bool) -> DateSlot | None:
    """Gold keeps its annotated value; a prediction is read from `raw`. None for a deictic "now" ("saat ini"): it says
    nothing beyond the publication date, so it is not scored."""
    if trust_fields:
        return DateSlot(raw, value, role)
    parsed = _parse_date(raw, published)
    if parsed.deictic_now and value is None:
        return None
    return DateSlot(raw, value if value is not None else parsed.value, role or parsed.role)


def _digits(value: Decimal | None) -> str | None:
    if value is None or not value.is_finite():
        return None
    digits = value.normalize().as_tuple().digits
    return "".join(map(str, digits)).rstrip("0") or "0"


def figure_key(slot: FigureSlot) -> str | None:
    """Digits without scale: equal keys are the only pairs that can earn credit (3,8 juta ~ 38 juta ~ 3800000)."""
    return slot.key


@lru_cache(maxsize=65536)
def judge_figure(g: FigureSlot, p: FigureSlot) -> tuple[int, str | None]:
    if p.value is None:
        return INC, "unparseable_value"
    if g.value is not None and p.value == g.value:
        if g.unit and p.unit and g.unit != p.unit:
            return PAR, "wrong_unit"
        if g.approx != p.approx:
            return PAR, "approx_mismatch"
        if g.qualifier != p.qualifier:
            return PAR, "qualifier_mismatch"
        return COR, None
    if g.value is not None and p.value != 0 and same_digits(g.value, p.value):
        return PAR, "scale_flip"
    return INC, "wrong_value"


WILDCARD = "XXXX"  # a year-less date ("XXXX-02-10") may match a date of any year


def date_key(slot: DateSlot) -> str | None:
    """The year: only dates of the same year (or a year-less one) can earn credit together."""
    return slot.value[:4] if slot.value else None


# Something a date could be made of: a year, a month or weekday name, a day/month number pair, a period word.
_DATEISH = re.compile(
    r"(?<!\d)(?:1[89]|20|21)\d\d(?!\d)|\d{1,2}\s*[/.-]\s*\d{1,2}|\b(?:jan|feb|mar|apr|mei|may|jun|jul|agu|aug|sep|okt|oct|"
    r"nov|des|dec|senin|selasa|rabu|kamis|jumat|sabtu|minggu|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|kuartal|triwulan|semester|quarter|tahun|bulan|pekan|year|month|week|kemarin|lalu|depan|today|hari)",
    re.IGNORECASE,
)


@lru_cache(maxsize=65536)
def unreadable_date(raw: str) -> str:
    """The error type of a date slot the normaliser cannot read: `not_a_date` when nothing in it could be part of a
    date ("UMKM", "3,8 juta"), else `unparseable_date` (a date phrase the normaliser fails on)."""
    return "unparseable_date" if _DATEISH.search(raw or "") else "not_a_date"


@lru_cache(maxsize=65536)
def judge_date(g: DateSlot, p: DateSlot) -> tuple[int, str | None]:
    if p.value is None or g.value is None:
        return INC, unreadable_date(p.raw) if p.value is None else "unparseable_date"
    rel = timex_relation(g.value, p.value)
    if rel == "exact":
        if g.role in ANCHORS and p.role in ANCHORS and g.role != p.role:
            return PAR, "wrong_anchor"
        return COR, None
    if rel == "coarser":
        return PAR, "coarser_date"
    if rel == "finer":
        return PAR, "finer_date"
    return INC, "wrong_date"


def judge_speaker(
    gold: str | None, pred: str | None, speakers: list[Speaker], resolve: Callable[[str], str | None] | None = None
) -> tuple[int | None, str | None]:
    """Attribution of an aligned claim pair; None outcome when neither side names a speaker (nothing to score).
    `resolve` maps a predicted name to a canonical one (default: resolve_speaker over `speakers`)."""
    if gold is None and not pred:
        return None, None
    if gold is None:
        return SPU, "outlet_as_speaker" if is_outlet(pred) else "speaker_for_unattributed"
    if not pred:
        return MIS, None
    resolved = resolve(pred) if resolve else resolve_speaker(pred, speakers)
    if resolved == gold:
        return COR, None
    if is_outlet(pred):
        return INC, "outlet_as_speaker"
    person = next((s for s in speakers if s.name == gold and s.organisation), None)
    if person is not None and (names_organisation(pred, person) or resolved == person.organisation):
        return PAR, "organisation_for_person"
    return INC, "misattribution"
