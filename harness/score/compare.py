"""Paired comparison of two score reports on the same gold: per field, B minus A with interval, p, MDD, verdict.

Items are paired by their gold key (the same gold figure, date, speaker or claim under both runs). Spurious
predictions are paired when both runs made the same one (same article, same predicted value); any other spurious
prediction has no partner and stands in its own row. The graded `claims` field pairs its items the same way; its
categories are the credit levels either run's matched pairs earned (metrics.graded_weights). Holm's correction runs
across the fields compared.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from pydantic import BaseModel

from harness.score.metrics import WEIGHTS, graded_weights
from harness.score.model import ScoreReport
from harness.score.stats import holm, joint_counts, paired_compare, verdict
from harness.score.vocabulary import OUTCOMES, REPORTED


class FieldComparison(BaseModel):
    field: str
    metric: str
    a: float
    b: float
    diff: float
    ci: list[float]
    p_value: float
    p_holm: float
    n_gold: int
    mdd: float
    verdict: str


def categories(reports: Sequence[ScoreReport], field: str):
    """(category of an item, weights): the five outcomes, or for the graded field the credit levels of the reports'
    matched pairs followed by missing and spurious."""
    if field != "claims":
        return (lambda it: OUTCOMES.index(it.outcome)), WEIGHTS
    matched = ("correct", "partial", "incorrect")
    levels = sorted(
        {
            it.credit
            for r in reports
            for it in r.items
            if it.field == field and it.outcome in matched and it.credit is not None
        }
    )
    index = {c: k for k, c in enumerate(levels)}
    special = {"missing": len(levels), "spurious": len(levels) + 1}

    def code(it) -> int:
        return special[it.outcome] if it.outcome in special else index[it.credit]

    return code, graded_weights(levels)


def _rows(report: ScoreReport, field: str, code) -> tuple[dict[str, dict[str, int]], dict[str, Counter]]:
    """Per article: gold key -> category, and the spurious items counted by predicted value."""
    keyed: dict[str, dict[str, int]] = defaultdict(dict)
    spurious: dict[str, Counter] = defaultdict(Counter)
    for it in report.items:
        if it.field != field:
            continue
        if it.gold_key is None:
            spurious[it.article_id][it.pred_value if it.pred_value is not None else it.pred_raw] += 1
        else:
            keyed[it.article_id][it.gold_key] = code(it)
    return keyed, spurious


def paired_rows(a: ScoreReport, b: ScoreReport, field: str, code=None, k: int = 5) -> list[list[tuple[int, int]]]:
    """One list of (category under A, category under B) rows per article scored by both, over k categories whose
    last is spurious (as with the five outcomes); k marks a side without the item."""
    code = code or (lambda it: OUTCOMES.index(it.outcome))
    ka, sa = _rows(a, field, code)
    kb, sb = _rows(b, field, code)
    spu = k - 1
    articles = sorted(set(a.per_article) & set(b.per_article))
    out = []
    for aid in articles:
        rows = [(ka[aid].get(key, k), kb[aid].get(key, k)) for key in sorted(set(ka[aid]) | set(kb[aid]))]
        both = sa[aid] & sb[aid]  # the same spurious prediction in both runs
        rows += [(spu, spu)] * sum(both.values())
        rows += [(spu, k)] * sum((sa[aid] - both).values()) + [(k, spu)] * sum((sb[aid] - both).values())
        out.append(rows)
    return out


def compare_reports(
    a: ScoreReport, b: ScoreReport, metric: str = "f1", kind: str = "strict", seed: int = 0,
    n_boot: int = 1000, n_perm: int = 2000, fields: tuple[str, ...] = REPORTED,
) -> list[FieldComparison]:  # fmt: skip
    """B minus A for each field; verdicts use Holm-adjusted p-values across the fields."""
    raw = []
    for i, f in enumerate(fields):
        code, weights = categories((a, b), f)
        rows = paired_rows(a, b, f, code, len(weights))
        raw.append(paired_compare(joint_counts(rows, len(weights)), metric, kind, n_boot, n_perm, seed + i, weights))
    adjusted = holm([r["p_value"] for r in raw])
    return [
        FieldComparison(field=f, metric=f"{metric} ({kind})", p_holm=p, verdict=verdict(r, p), **r)
        for f, r, p in zip(fields, raw, adjusted, strict=True)
    ]
