"""Paired comparison of two score reports on the same gold: per field, B minus A with interval, p, MDD, verdict.

Items are paired by their gold key (the same gold figure, date, speaker or claim under both runs). Spurious
predictions are paired when both runs made the same one (same article, same predicted value); any other spurious
prediction has no partner and stands in its own row. Holm's correction runs across the fields compared.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pydantic import BaseModel

from harness.score.metrics import OUTCOMES
from harness.score.model import ScoreReport
from harness.score.stats import NONE, holm, joint_counts, paired_compare, verdict

COMPARED = ("figures", "dates", "attribution", "claims")


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


def _rows(report: ScoreReport, field: str) -> tuple[dict[str, dict[str, int]], dict[str, Counter]]:
    """Per article: gold key -> outcome code, and the spurious items counted by predicted value."""
    keyed: dict[str, dict[str, int]] = defaultdict(dict)
    spurious: dict[str, Counter] = defaultdict(Counter)
    for it in report.items:
        if it.field != field:
            continue
        if it.gold_key is None:
            spurious[it.article_id][it.pred_value if it.pred_value is not None else it.pred_raw] += 1
        else:
            keyed[it.article_id][it.gold_key] = OUTCOMES.index(it.outcome)
    return keyed, spurious


def paired_rows(a: ScoreReport, b: ScoreReport, field: str) -> list[list[tuple[int, int]]]:
    """One list of (outcome under A, outcome under B) rows per article scored by both."""
    ka, sa = _rows(a, field)
    kb, sb = _rows(b, field)
    articles = sorted(set(a.per_article) & set(b.per_article))
    out = []
    for aid in articles:
        rows = [(ka[aid].get(k, NONE), kb[aid].get(k, NONE)) for k in sorted(set(ka[aid]) | set(kb[aid]))]
        spu, both = OUTCOMES.index("spurious"), sa[aid] & sb[aid]  # the same spurious prediction in both runs
        rows += [(spu, spu)] * sum(both.values())
        rows += [(spu, NONE)] * sum((sa[aid] - both).values()) + [(NONE, spu)] * sum((sb[aid] - both).values())
        out.append(rows)
    return out


def compare_reports(
    a: ScoreReport, b: ScoreReport, metric: str = "f1", kind: str = "strict", seed: int = 0,
    n_boot: int = 1000, n_perm: int = 2000, fields: tuple[str, ...] = COMPARED,
) -> list[FieldComparison]:  # fmt: skip
    """B minus A for each field; verdicts use Holm-adjusted p-values across the fields."""
    raw = [paired_compare(joint_counts(paired_rows(a, b, f)), metric, kind, n_boot, n_perm, seed + i) for i, f in enumerate(fields)]
    adjusted = holm([r["p_value"] for r in raw])
    return [
        FieldComparison(field=f, metric=f"{metric} ({kind})", p_holm=p, verdict=verdict(r, p), **r)
        for f, r, p in zip(fields, raw, adjusted)
    ]
