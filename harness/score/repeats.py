"""Run-to-run variance (Miller 2024, "Adding Error Bars to Evals"): one (prompt, model) scored over several repeats.

Per field: the F1 of each repeat with their mean, SD and range (how much the model's sampling moves the score), and
the item-level interval: the bootstrap over gold items within articles with each item's outcome averaged over the
repeats (clustered by item: the repeats shrink the within-item noise, the interval reflects the item sample). Two
such sides are compared item by item the same way. The arithmetic is in docs/SCORING.md §7.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel

from harness.score.compare import FieldComparison, categories, compare_reports
from harness.score.metrics import prf
from harness.score.model import ScoreReport
from harness.score.stats import bootstrap_rows_ci, holm, paired_compare_repeats, row_types, verdict
from harness.score.vocabulary import REPORTED


class RepeatField(BaseModel):
    """One field over the repeats: each repeat's strict micro F1, their mean, SD (sample, n - 1) and range, and
    the F1 of the items averaged over the repeats with its item-level 95% interval."""

    field: str
    f1s: list[float]
    mean: float
    sd: float
    min: float
    max: float
    averaged: float
    ci: list[float]
    gold_items: int


def item_rows(reports: Sequence[ScoreReport], field: str, code, k: int, articles: Sequence[str],
              ) -> dict[str, dict[tuple, np.ndarray]]:  # fmt: skip
    """Per article, per item: how many of the repeats gave each of the k categories (column k: the item is absent
    from that repeat). An item is a gold item (its gold key) or the j-th spurious prediction of one value, so that
    the same spurious value in several repeats is one item, as paired_rows pairs it across two runs."""
    out: dict[str, dict[tuple, np.ndarray]] = {aid: {} for aid in articles}
    for r in reports:
        seen: Counter = Counter()
        for it in r.items:
            if it.field != field or it.article_id not in out:
                continue
            if it.gold_key is None:
                value = it.pred_value if it.pred_value is not None else it.pred_raw
                seen[it.article_id, value] += 1
                key: tuple = ("spurious", value, seen[it.article_id, value])
                cat = k - 1
            else:
                key, cat = ("gold", it.gold_key), code(it)
            out[it.article_id].setdefault(key, np.zeros(k + 1, dtype=np.int64))[cat] += 1
    for rows in out.values():
        for vec in rows.values():
            vec[k] = len(reports) - vec[:k].sum()
    return out


def _articles(reports: Sequence[ScoreReport]) -> list[str]:
    return sorted(set.intersection(*(set(r.per_article) for r in reports))) if reports else []


def repeat_fields(reports: Sequence[ScoreReport], n_boot: int = 1000, seed: int = 0,
                  fields: tuple[str, ...] = REPORTED) -> list[RepeatField]:  # fmt: skip
    """Mean, SD, range of F1 over the repeats and the item-level interval, per field (needs two repeats or more)."""
    if len(reports) < 2:
        raise ValueError("the spread over repeats needs at least two repeats")
    articles = _articles(reports)
    out = []
    for i, f in enumerate(fields):
        code, weights = categories(reports, f)
        k = len(weights)
        rows = item_rows(reports, f, code, k, articles)
        counts, types = row_types([[tuple(v) for v in rows[a].values()] for a in articles])
        averaged = types[:, :k] / len(reports)
        f1s = [float(getattr(r, f).f1) for r in reports]
        pooled = counts.sum(axis=0) @ averaged
        out.append(RepeatField(
            field=f, f1s=f1s, mean=float(np.mean(f1s)), sd=float(np.std(f1s, ddof=1)), min=min(f1s), max=max(f1s),
            averaged=float(prf(pooled, weights)["strict"][2]),
            ci=bootstrap_rows_ci(counts, averaged, n_boot, seed + i, weights=weights)["f1"],
            gold_items=round(float(pooled @ weights[:, 0])),
        ))  # fmt: skip
    return out


def compare_repeated(
    a: Sequence[ScoreReport], b: Sequence[ScoreReport], metric: str = "f1", kind: str = "strict", seed: int = 0,
    n_boot: int = 1000, n_perm: int = 2000, fields: tuple[str, ...] = REPORTED,
) -> list[FieldComparison]:  # fmt: skip
    """B minus A per field, each side's items averaged over its repeats (compare_reports when each has one)."""
    if len(a) == 1 and len(b) == 1:
        return compare_reports(a[0], b[0], metric, kind, seed, n_boot, n_perm, fields)
    articles = sorted(set(_articles(a)) & set(_articles(b)))
    raw = []
    for i, f in enumerate(fields):
        code, weights = categories([*a, *b], f)
        k = len(weights)
        ra, rb = item_rows(a, f, code, k, articles), item_rows(b, f, code, k, articles)
        none_a, none_b = (0,) * k + (len(a),), (0,) * k + (len(b),)
        joint = [
            [tuple(ra[aid].get(key, none_a)) + tuple(rb[aid].get(key, none_b)) for key in _keys(ra[aid], rb[aid])]
            for aid in articles
        ]
        counts, types = row_types(joint)
        types = types.reshape(len(types), 2 * (k + 1))
        raw.append(paired_compare_repeats(counts, types[:, : k + 1], types[:, k + 1 :], len(a), len(b), metric, kind,
                                          n_boot, n_perm, seed + i, weights))  # fmt: skip
    adjusted = holm([r["p_value"] for r in raw])
    return [
        FieldComparison(field=f, metric=f"{metric} ({kind})", p_holm=p, verdict=verdict(r, p), **r)
        for f, r, p in zip(fields, raw, adjusted, strict=True)
    ]


def _keys(ka: dict, kb: dict) -> list[tuple]:
    """The items of one article under A or B, in a fixed order (A's first, then B's own)."""
    return [*ka, *(key for key in kb if key not in ka)]
