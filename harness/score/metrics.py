"""Outcome counts and precision/recall/F1, strict and relaxed (MUC / SemEval-2013 conventions).

Every scored item ends as one outcome. COR, PAR and INC are aligned pairs (they count on both sides);
MIS is a gold item with no prediction, SPU a prediction with no gold item.

    POS = COR + PAR + INC + MIS          (gold items)
    ACT = COR + PAR + INC + SPU          (predicted items)
    strict:  P = COR / ACT               R = COR / POS
    relaxed: P = (COR + 0.5 PAR) / ACT   R = (COR + 0.5 PAR) / POS
    F1 = 2 P R / (P + R)                 (0 when P + R = 0)

An empty denominator gives 1.0 when both sides are empty (nothing to find, nothing claimed) and 0.0 otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

# Per outcome: (counts in POS, counts in ACT, strict credit, relaxed credit). Rows of this matrix turn a
# vector of outcome counts into the four sums every metric needs, for one article or a million resamples.
WEIGHTS = np.array(
    [
        [1, 1, 1.0, 1.0],  # correct
        [1, 1, 0.0, 0.5],  # partial
        [1, 1, 0.0, 0.0],  # incorrect
        [1, 0, 0.0, 0.0],  # missing
        [0, 1, 0.0, 0.0],  # spurious
    ]
)


def count(outcomes: Iterable[int]) -> np.ndarray:
    """Outcome codes -> a length-5 vector of counts."""
    return np.bincount(np.fromiter(outcomes, dtype=np.int64), minlength=5)[:5]


def graded_weights(levels) -> np.ndarray:
    """Weight rows for a graded field (claims): one category per credit level of a matched pair (in POS and ACT,
    earning that credit, strict and relaxed alike), then missing, then spurious."""
    rows = [[1, 1, float(c), float(c)] for c in levels]
    return np.array([*rows, [1, 0, 0.0, 0.0], [0, 1, 0.0, 0.0]], dtype=float).reshape(-1, 4)


def graded_counts(credits, missing: int, spurious: int, levels) -> np.ndarray:
    """One article's graded items as counts over graded_weights(levels)' categories."""
    index = {c: k for k, c in enumerate(levels)}
    out = np.zeros(len(levels) + 2, dtype=np.int64)
    for c in credits:
        out[index[c]] += 1
    out[len(levels)], out[len(levels) + 1] = missing, spurious
    return out


def prf(counts: np.ndarray, weights: np.ndarray = WEIGHTS) -> dict[str, np.ndarray]:
    """Precision, recall, F1 (strict and relaxed) from counts of shape (..., K) over the K categories whose rows of
    `weights` say (in POS, in ACT, strict credit, relaxed credit); by default the five outcomes. Vectorised."""
    sums = np.asarray(counts, dtype=float) @ weights  # (..., 4): pos, act, strict, relaxed
    pos, act, strict, relaxed = (sums[..., i] for i in range(4))
    both_empty = (pos == 0) & (act == 0)
    out = {}
    for name, credit in (("strict", strict), ("relaxed", relaxed)):
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(act > 0, credit / np.where(act > 0, act, 1), np.where(both_empty, 1.0, 0.0))
            r = np.where(pos > 0, credit / np.where(pos > 0, pos, 1), np.where(both_empty, 1.0, 0.0))
            f = np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)
        out[name] = np.stack([p, r, f], axis=-1)
    return out


def micro_macro(per_article: Mapping[Any, np.ndarray], weights: np.ndarray = WEIGHTS) -> dict[str, dict[str, float]]:
    """Micro (pooled counts) and macro (mean of per-article scores) precision/recall/F1, strict and relaxed."""
    stacked = np.stack(list(per_article.values())) if per_article else np.zeros((0, len(weights)), dtype=np.int64)
    micro = prf(stacked.sum(axis=0), weights)
    macro = prf(stacked, weights)
    res: dict[str, dict[str, float]] = {}
    for kind in ("strict", "relaxed"):
        m = micro[kind]
        res[f"micro_{kind}"] = {"precision": float(m[0]), "recall": float(m[1]), "f1": float(m[2])}
        a = macro[kind].mean(axis=0) if len(stacked) else np.zeros(3)
        res[f"macro_{kind}"] = {"precision": float(a[0]), "recall": float(a[1]), "f1": float(a[2])}
    return res


def dice(shared: Any, size_a: Any, size_b: Any, empty: float = 0.0) -> Any:
    """Dice coefficient 2 shared / (size_a + size_b), for numbers or numpy arrays alike; `empty` where both sizes
    are 0. The one definition behind word, character, slot and claim-credit similarity."""
    total = size_a + size_b
    if isinstance(total, np.ndarray):
        return np.divide(2 * shared, total, out=np.full(total.shape, empty, dtype=float), where=total > 0)
    return 2 * shared / total if total else empty
