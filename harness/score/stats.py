"""Honest error bars: stratified bootstrap intervals and paired comparisons, computed on outcome counts.

Resampling items within an article only changes how many items of each outcome the article has, so a
bootstrap resample of an article is one multinomial draw over its five outcome counts (exactly the same
distribution as drawing its items with replacement, at a tiny fraction of the cost). Seeded: the same
counts and seed give the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.score.metrics import WEIGHTS, prf

METRICS = ("precision", "recall", "f1")
NONE = 5  # with the five outcomes: a system has no item in this row (e.g. the other system's spurious prediction)
_Z_POWER = 1.959964 + 0.841621  # two-sided alpha 0.05 and power 0.80


def _multinomial(rng: np.random.Generator, counts: np.ndarray, n_boot: int) -> np.ndarray:
    """(B, S, K) resampled counts: each stratum's n items redrawn from its own outcome frequencies."""
    counts = np.asarray(counts, dtype=np.int64)
    n = counts.sum(axis=1)
    keep = n > 0
    out = np.zeros((n_boot, *counts.shape), dtype=np.int64)
    if keep.any():
        p = counts[keep] / n[keep, None]
        out[:, keep, :] = rng.multinomial(n[keep], p, size=(n_boot, int(keep.sum())))
    return out


def _chunks(n_boot: int, strata: int, k: int, budget: int = 4_000_000):
    step = max(1, budget // max(1, strata * k))
    for lo in range(0, n_boot, step):
        yield min(step, n_boot - lo)


EXACT_BUDGET = 2_000_000  # articles x resamples drawn exactly; beyond it the normal limit below is used


def _ratio(metric: str, kind: str, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each metric is a ratio (w_num . counts) / (w_den . counts) over the category counts."""
    pos, act, credit = weights[:, 0], weights[:, 1], weights[:, 2 if kind == "strict" else 3]
    return {"precision": (credit, act), "recall": (credit, pos), "f1": (2 * credit, pos + act)}[metric]


def _normal_limit(per_article: np.ndarray, n_boot: int, rng: np.random.Generator, level: float,
                  weights: np.ndarray = WEIGHTS) -> dict:  # fmt: skip
    """Intervals for many articles at the cost of a few: the bootstrap distribution of the pooled counts is a sum of
    independent per-article multinomials, whose normal limit has the same mean and covariance
    (sum of c_s, and diag(sum c_s) - sum c_s c_s^T / n_s). Macro means use the delta method per article."""
    c = per_article.astype(float)
    n = c.sum(axis=1)
    live = n > 0
    cov = np.diag(c.sum(axis=0)) - np.einsum("si,sj->ij", c[live] / n[live, None], c[live])
    pooled = np.clip(rng.multivariate_normal(c.sum(axis=0), cov, size=n_boot, method="eigh"), 0, None)
    z = float(np.sqrt(2) * _erfinv(level))
    res = {}
    for kind in ("strict", "relaxed"):
        vals = prf(pooled, weights)[kind]
        q = 100 * (1 - level) / 2
        res[f"micro_{kind}"] = {
            m: [float(np.percentile(vals[:, i], q)), float(np.percentile(vals[:, i], 100 - q))]
            for i, m in enumerate(METRICS)
        }
        point = prf(per_article, weights)[kind].mean(axis=0)
        res[f"macro_{kind}"] = {}
        for i, m in enumerate(METRICS):
            w_num, w_den = _ratio(m, kind, weights)
            num, den = c @ w_num, c @ w_den
            ok = live & (den > 0)
            r = np.divide(num, den, out=np.zeros_like(num), where=ok)
            w = w_num[None, :] - r[:, None] * w_den[None, :]  # gradient direction of num/den at the observed counts
            var_lin = (w**2 * c).sum(axis=1) - np.divide((w * c).sum(axis=1) ** 2, n, out=np.zeros_like(n), where=live)
            var = np.divide(var_lin, den**2, out=np.zeros_like(den), where=ok)
            sd = float(np.sqrt(var.sum())) / max(len(c), 1)
            res[f"macro_{kind}"][m] = [float(max(0.0, point[i] - z * sd)), float(min(1.0, point[i] + z * sd))]
    return res


def _erfinv(level: float) -> float:
    from scipy.special import erfinv

    return float(erfinv(level))


def bootstrap_ci(per_article: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                 weights: np.ndarray = WEIGHTS) -> dict:  # fmt: skip
    """95% percentile intervals for micro and macro P/R/F1 (strict and relaxed), resampling items within articles.

    Exact multinomial resampling up to EXACT_BUDGET articles x resamples (always, for a corpus of a few hundred
    articles); beyond that, the normal limit of the same distribution (see docs/SCORING.md).
    Returns {"micro_strict": {"precision": [lo, hi], ...}, "micro_relaxed": ..., "macro_strict": ...,
    "macro_relaxed": ...}.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot}")
    k = len(weights)
    per_article = np.asarray(per_article, dtype=np.int64).reshape(-1, k)
    rng = np.random.default_rng(seed)
    if len(per_article) * n_boot > EXACT_BUDGET:
        return _normal_limit(per_article, n_boot, rng, level, weights)
    micro: dict[str, list[np.ndarray]] = {"strict": [], "relaxed": []}
    macro: dict[str, list[np.ndarray]] = {"strict": [], "relaxed": []}
    for b in _chunks(n_boot, len(per_article), k):
        draws = _multinomial(rng, per_article, b)  # (b, S, K)
        for kind, vals in prf(draws.sum(axis=1), weights).items():
            micro[kind].append(vals)
        for kind, vals in prf(draws, weights).items():
            macro[kind].append(vals.mean(axis=1) if per_article.shape[0] else np.zeros((b, 3)))
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    res = {}
    for scope, store in (("micro", micro), ("macro", macro)):
        for kind in ("strict", "relaxed"):
            vals = np.concatenate(store[kind]) if store[kind] else np.zeros((0, 3))
            res[f"{scope}_{kind}"] = {
                m: [float(np.percentile(vals[:, i], lo_q)), float(np.percentile(vals[:, i], hi_q))]
                if len(vals)
                else [0.0, 0.0]
                for i, m in enumerate(METRICS)
            }
    return res


# ---- paired comparison -------------------------------------------------------------------------------------


def joint_counts(pairs_per_article: list[list[tuple[int, int]]], k: int = 5) -> np.ndarray:
    """(S, (k+1)^2) counts of joint rows (category under A, category under B) over k categories; k marks an absent
    side (NONE with the five outcomes)."""
    out = np.zeros((len(pairs_per_article), (k + 1) ** 2), dtype=np.int64)
    for s, pairs in enumerate(pairs_per_article):
        for a, b in pairs:
            out[s, a * (k + 1) + b] += 1
    return out


def _projections(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Joint type -> A's category, joint type -> B's category, and the type with A and B swapped."""
    n = (k + 1) ** 2
    to_a, to_b = np.zeros((n, k)), np.zeros((n, k))
    for t in range(n):
        a, b = divmod(t, k + 1)
        if a < k:
            to_a[t, a] = 1
        if b < k:
            to_b[t, b] = 1
    return to_a, to_b, np.array([(t % (k + 1)) * (k + 1) + t // (k + 1) for t in range(n)])


def _metric(counts: np.ndarray, metric: str, kind: str, weights: np.ndarray = WEIGHTS) -> np.ndarray:
    return prf(counts, weights)[kind][..., METRICS.index(metric)]


def min_detectable_difference(n_items: int, p: float) -> float:
    """Smallest difference a paired test at alpha 0.05 with 80% power can expect to detect on n items.

    Normal approximation (z_0.975 + z_0.8) * sqrt(p (1 - p) / n), p clamped to [0.1, 0.9]; see docs/SCORING.md.
    """
    if n_items <= 0:
        return 1.0
    p = min(0.9, max(0.1, p))
    return float(_Z_POWER * np.sqrt(p * (1 - p) / n_items))


def _paired_result(a_obs: Any, b_obs: Any, diff: float, boot: np.ndarray, p_value: float, n_gold: int) -> dict:
    """What a paired comparison reports: both scores, B − A with its 95% percentile interval, p, gold items, MDD."""
    return {
        "a": float(a_obs),
        "b": float(b_obs),
        "diff": diff,
        "ci": [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))],
        "p_value": p_value,
        "n_gold": n_gold,
        "mdd": min_detectable_difference(n_gold, float((a_obs + b_obs) / 2)),
    }


def paired_compare(
    joint: np.ndarray, metric: str = "f1", kind: str = "strict", n_boot: int = 1000, n_perm: int = 2000, seed: int = 0,
    weights: np.ndarray = WEIGHTS,
) -> dict:  # fmt: skip
    """B minus A on the same gold: difference, paired-bootstrap 95% interval, approximate-randomisation p-value, MDD.

    The bootstrap redraws joint rows within each article (pairing kept); the permutation test swaps A and B
    row by row with probability 1/2 (Dror et al. 2018), so p = (1 + #{|d_perm| >= |d_obs|}) / (1 + n_perm).
    """
    if n_boot < 1 or n_perm < 1:
        raise ValueError("n_boot and n_perm must be at least 1")
    k = len(weights)
    to_a, to_b, swap = _projections(k)
    joint = np.asarray(joint, dtype=np.int64).reshape(-1, (k + 1) ** 2)
    rng = np.random.default_rng(seed)
    total = joint.sum(axis=0)
    a_obs, b_obs = _metric(total @ to_a, metric, kind, weights), _metric(total @ to_b, metric, kind, weights)
    diff = float(b_obs - a_obs)
    boots = []
    for b in _chunks(n_boot, len(joint), (k + 1) ** 2):
        pooled = _multinomial(rng, joint, b).sum(axis=1)  # (b, (k+1)^2)
        boots.append(_metric(pooled @ to_b, metric, kind, weights) - _metric(pooled @ to_a, metric, kind, weights))
    boot = np.concatenate(boots) if boots else np.zeros(1)
    swapped = rng.binomial(np.broadcast_to(total, (n_perm, len(total))), 0.5)  # rows swapped, per joint type
    kept = total - swapped
    perm_counts = kept + swapped[:, swap]  # a swapped row of type (a, b) becomes type (b, a)
    d_perm = _metric(perm_counts @ to_b, metric, kind, weights) - _metric(perm_counts @ to_a, metric, kind, weights)
    p_value = float((1 + np.sum(np.abs(d_perm) >= abs(diff) - 1e-12)) / (1 + n_perm))
    return _paired_result(a_obs, b_obs, diff, boot, p_value, int((total @ to_a) @ weights[:, 0]))


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone), for the field x metric grid of a comparison."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adj = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adj[i] = running
    return adj


def verdict(result: dict, adjusted_p: float, alpha: float = 0.05) -> str:
    """Plain words: 'B better', 'A better', or 'not distinguishable on this data'."""
    lo, hi = result["ci"]
    if adjusted_p < alpha and (lo > 0 or hi < 0):
        return "B better" if result["diff"] > 0 else "A better"
    return "not distinguishable on this data"


# ---- items answered several times (repeats) ----------------------------------------------------------------


def row_types(rows_per_article: list[list[tuple[int, ...]]]) -> tuple[np.ndarray, np.ndarray]:
    """(S, T) how many rows of each distinct type every article has, and the (T, D) distinct rows (sorted). A
    bootstrap redraw of an article's rows is a multinomial draw over its row types, as with single outcomes."""
    types = sorted({r for rows in rows_per_article for r in rows})
    index = {t: i for i, t in enumerate(types)}
    counts = np.zeros((len(rows_per_article), len(types)), dtype=np.int64)
    for s, rows in enumerate(rows_per_article):
        for r in rows:
            counts[s, index[r]] += 1
    width = len(types[0]) if types else 0
    return counts, np.array(types, dtype=np.int64).reshape(len(types), width)


def bootstrap_rows_ci(counts: np.ndarray, rows: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95,
                      weights: np.ndarray = WEIGHTS, kind: str = "strict") -> dict[str, list[float]]:  # fmt: skip
    """Percentile intervals of micro P/R/F1 when each item is a row of (possibly fractional) category counts — an
    item's outcomes averaged over repeats: items redrawn with replacement within each article, their rows summed.
    counts: (S, T) rows of each type per article; rows: (T, K) the category counts of each type."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot}")
    rng = np.random.default_rng(seed)
    rows = np.asarray(rows, dtype=float)
    vals = [prf(_multinomial(rng, counts, b).sum(axis=1) @ rows, weights)[kind]
            for b in _chunks(n_boot, len(counts), max(1, counts.shape[1]))]  # fmt: skip
    boot = np.concatenate(vals) if vals else np.zeros((1, 3))
    lo_q, hi_q = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    return {m: [float(np.percentile(boot[:, i], lo_q)), float(np.percentile(boot[:, i], hi_q))]
            for i, m in enumerate(METRICS)}  # fmt: skip


def _shuffled_repeats(rng: np.random.Generator, pooled: np.ndarray, m: np.ndarray, n_a: int, n_perm: int,
                      budget: int = 4_000_000) -> np.ndarray:  # fmt: skip
    """(n_perm, D) A's summed answers when, in each item, its n_a + n_b answers (category counts `pooled`, one
    distinct item kind per row, m items of each) are dealt at random, n_a of them to A."""
    out = np.zeros((n_perm, pooled.shape[1]), dtype=np.int64)
    for c, n in zip(pooled, m, strict=True):
        step = max(1, budget // max(1, n_perm * len(c)))
        for lo in range(0, int(n), step):
            k = min(step, int(n) - lo)
            out += rng.multivariate_hypergeometric(c, n_a, size=(n_perm, k)).sum(axis=1)
    return out


def paired_compare_repeats(
    counts: np.ndarray, a_rows: np.ndarray, b_rows: np.ndarray, n_a: int, n_b: int, metric: str = "f1",
    kind: str = "strict", n_boot: int = 1000, n_perm: int = 2000, seed: int = 0, weights: np.ndarray = WEIGHTS,
) -> dict:  # fmt: skip
    """paired_compare when A answered each item n_a times and B n_b times: B minus A with every item's outcome
    averaged over its side's repeats.

    counts: (S, T) items of each joint type per article; a_rows, b_rows: (T, K + 1) how many of the side's repeats
    gave each category (the last column: no item in that repeat). The bootstrap redraws items within articles, each
    with all its repeats; the permutation test deals each item's n_a + n_b answers at random, n_a to A (with one
    answer per side, the row swap of paired_compare), so p is exact under "A and B are the same system"."""
    if n_boot < 1 or n_perm < 1:
        raise ValueError("n_boot and n_perm must be at least 1")
    k = len(weights)
    counts = np.asarray(counts, dtype=np.int64)
    a_rows, b_rows = np.asarray(a_rows, dtype=np.int64), np.asarray(b_rows, dtype=np.int64)
    to_a, to_b = a_rows[:, :k] / n_a, b_rows[:, :k] / n_b
    rng = np.random.default_rng(seed)
    total = counts.sum(axis=0)
    a_obs, b_obs = _metric(total @ to_a, metric, kind, weights), _metric(total @ to_b, metric, kind, weights)
    diff = float(b_obs - a_obs)
    boots = []
    for b in _chunks(n_boot, len(counts), max(1, counts.shape[1])):
        pooled = _multinomial(rng, counts, b).sum(axis=1)
        boots.append(_metric(pooled @ to_b, metric, kind, weights) - _metric(pooled @ to_a, metric, kind, weights))
    boot = np.concatenate(boots) if boots else np.zeros(1)
    both = a_rows + b_rows  # every answer of an item, A's and B's together
    kinds, inverse = np.unique(both, axis=0, return_inverse=True)
    m = np.bincount(np.asarray(inverse).ravel(), weights=total, minlength=len(kinds)).astype(np.int64)
    perm_a = _shuffled_repeats(rng, kinds, m, n_a, n_perm)
    perm_b = (m @ kinds)[None, :] - perm_a
    d_perm = (_metric(perm_b[:, :k] / n_b, metric, kind, weights)
              - _metric(perm_a[:, :k] / n_a, metric, kind, weights))  # fmt: skip
    p_value = float((1 + np.sum(np.abs(d_perm) >= abs(diff) - 1e-12)) / (1 + n_perm))
    return _paired_result(a_obs, b_obs, diff, boot, p_value, round(float((total @ to_a) @ weights[:, 0])))


__all__ = [
    "NONE", "bootstrap_ci", "bootstrap_rows_ci", "holm", "joint_counts", "min_detectable_difference", "paired_compare",
    "paired_compare_repeats", "row_types", "verdict",
]  # fmt: skip
