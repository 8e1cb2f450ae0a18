"""Slot comparators: one gold slot against one predicted slot -> (outcome, error type). Pure, no I/O.

Both sides go through the same normalisers (harness.normalize); gold slots keep the annotator's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from harness.normalize.dates import parse_date, timex_relation
from harness.normalize.names import is_outlet, normalize_name, resolve_speaker
from harness.normalize.numbers import parse_figure, same_digits
from harness.schema import DateRef, Figure, Speaker
from harness.score.metrics import COR, INC, MIS, PAR, SPU

UNIT_CLASS = {"count": "count", "persons": "count", "percent": "percent", "idr": "idr", None: None}
ANCHORS = {"as_of", "since", "until"}  # roles that change what a date means; point/target/unknown do not conflict


@dataclass(frozen=True)
class FigureSlot:
    raw: str
    value: Decimal | None
    unit: str | None  # unit class: count (persons are counted too), percent, idr
    approx: bool
    qualifier: str | None


@dataclass(frozen=True)
class DateSlot:
    raw: str
    value: str | None
    role: str | None


@lru_cache(maxsize=65536)
def _parse_figure(raw: str):
    return parse_figure(raw)


@lru_cache(maxsize=65536)
def _parse_date(raw: str, published: str | None):
    return parse_date(raw, published)


def figure_slot(f: Figure, trust_fields: bool) -> FigureSlot:
    """Gold (trust_fields=True) keeps the annotated value/unit/approx/qualifier; a prediction fills gaps from `raw`."""
    parsed = _parse_figure(f.raw)
    if trust_fields:
        return FigureSlot(f.raw, f.value, UNIT_CLASS.get(f.unit), f.approx, f.qualifier)
    value = f.value if f.value is not None else parsed.value
    unit = f.unit if f.unit is not None else parsed.unit
    return FigureSlot(f.raw, value, UNIT_CLASS.get(unit), f.approx or parsed.approx, f.qualifier or parsed.qualifier)


def date_slot(d: DateRef, published: str | None, trust_fields: bool) -> DateSlot | None:
    """None for a deictic "now" ("saat ini"): it says nothing beyond the publication date, so it is not scored."""
    parsed = _parse_date(d.raw, published)
    if trust_fields:
        return DateSlot(d.raw, d.value, d.role)
    if parsed.deictic_now and d.value is None:
        return None
    return DateSlot(d.raw, d.value if d.value is not None else parsed.value, d.role or parsed.role)


def figure_key(slot: FigureSlot) -> str | None:
    """Digits without scale: equal keys are the only pairs that can earn credit (3,8 juta ~ 38 juta ~ 3800000)."""
    value = slot.value
    if value is None:
        return None
    digits = value.normalize().as_tuple().digits
    return "".join(map(str, digits)).rstrip("0") or "0"


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


def date_key(slot: DateSlot) -> int:
    """Any two dates may earn credit ("XXXX-02-10" is consistent with any year), so all pairs are candidates."""
    return 0


@lru_cache(maxsize=65536)
def judge_date(g: DateSlot, p: DateSlot) -> tuple[int, str | None]:
    if p.value is None or g.value is None:
        return INC, "unparseable_date"
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


def credit(outcome: int) -> float:
    return 1.0 if outcome == COR else 0.5 if outcome == PAR else 0.0


def judge_speaker(
    gold: str | None, pred: str | None, speakers: list[Speaker]
) -> tuple[int | None, str | None]:
    """Attribution of an aligned claim pair; None outcome when neither side names a speaker (nothing to score)."""
    if gold is None and not pred:
        return None, None
    if gold is None:
        return SPU, "outlet_as_speaker" if is_outlet(pred) else "speaker_for_unattributed"
    if not pred:
        return MIS, None
    resolved = resolve_speaker(pred, speakers)
    if resolved == gold:
        return COR, None
    if is_outlet(pred):
        return INC, "outlet_as_speaker"
    org = next((s.organisation for s in speakers if s.name == gold and s.organisation), None)
    if org and (normalize_name(org) == normalize_name(pred) or resolved == org):
        return PAR, "organisation_for_person"
    return INC, "misattribution"
