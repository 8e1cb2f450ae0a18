"""One-to-one optimal alignment (Kuhn-Munkres via scipy) of predicted to gold claims and slots, per article.

Claims are paired on a similarity built from their slots and their words; slots (figures, dates) are then paired
across the whole article, preferring pairs inside aligned claims. Anything left over is missing or spurious.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from harness.score.judge import credit

CLAIM_THRESHOLD = 0.25  # below this similarity a predicted claim is not the gold claim (see docs/SCORING.md)
WEIGHTS = {"figures": 0.45, "dates": 0.2, "text": 0.35}
_TOKEN = re.compile(r"\w{2,}", re.UNICODE)


def assign(weights: np.ndarray, minimum: float = 0.0) -> list[tuple[int, int]]:
    """Maximum-weight one-to-one pairs whose weight exceeds `minimum`, in gold order."""
    if weights.size == 0:
        return []
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if weights[r, c] > minimum]


def tokens(texts: Sequence[str]) -> frozenset[str]:
    return frozenset(t.casefold() for s in texts for t in _TOKEN.findall(s))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0


def slot_similarity(gold: Sequence, pred: Sequence, key: Callable, judge: Callable) -> float | None:
    """Dice over credited slot pairs (1 correct, 0.5 partial); None when neither claim has slots of this kind."""
    if not gold and not pred:
        return None
    if not gold or not pred:
        return 0.0
    w = np.zeros((len(gold), len(pred)))
    for i, g in enumerate(gold):
        gk = key(g)
        for j, p in enumerate(pred):
            if gk is not None and gk == key(p):
                w[i, j] = credit(judge(g, p)[0])
    matched = sum(w[i, j] for i, j in assign(w))
    return 2 * matched / (len(gold) + len(pred))


def claim_similarity(parts: dict[str, float | None]) -> float:
    """Weighted mean of the parts present (figures, dates, text); weights renormalised over what is present."""
    present = {k: v for k, v in parts.items() if v is not None}
    total = sum(WEIGHTS[k] for k in present)
    return sum(WEIGHTS[k] * v for k, v in present.items()) / total if total else 0.0


def align_slots(
    gold: Sequence, pred: Sequence, key: Callable, judge: Callable, same_claim: Callable[[int, int], bool]
) -> tuple[list[tuple[int, int, int, str | None]], list[int], list[int]]:
    """Pair the slots of one article: credited pairs first (ties go to pairs inside aligned claims), then
    leftover slots of the same aligned claim pair as incorrect. Returns (pairs with outcome/error, missing, spurious)."""
    by_key: dict[object, list[int]] = defaultdict(list)
    for j, p in enumerate(pred):
        by_key[key(p)].append(j)
    w = np.zeros((len(gold), len(pred)))
    verdicts: dict[tuple[int, int], tuple[int, str | None]] = {}
    for i, g in enumerate(gold):
        k = key(g)
        for j in by_key.get(k, []) if k is not None else []:
            verdicts[i, j] = judge(g, pred[j])
            c = credit(verdicts[i, j][0])
            if c > 0:
                w[i, j] = c + (0.001 if same_claim(i, j) else 0.0)
    pairs = [(i, j, *verdicts[i, j]) for i, j in assign(w)]
    used_g, used_p = {i for i, *_ in pairs}, {j for _, j, *_ in pairs}
    for i in range(len(gold)):
        if i in used_g:
            continue
        for j in range(len(pred)):
            if j not in used_p and same_claim(i, j):
                pairs.append((i, j, *judge(gold[i], pred[j])))
                used_g.add(i)
                used_p.add(j)
                break
    missing = [i for i in range(len(gold)) if i not in used_g]
    spurious = [j for j in range(len(pred)) if j not in used_p]
    return sorted(pairs), missing, spurious
