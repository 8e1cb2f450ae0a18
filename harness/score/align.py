"""One-to-one optimal alignment (Kuhn-Munkres via scipy) of predicted to gold claims and slots, per article.

Claims are paired on a similarity built from their slots and their words; slots (figures, dates) are then paired
across the whole article, preferring pairs inside aligned claims. Anything left over is missing or spurious.
Candidate slot pairs are looked up by key (a figure's digits, a date's year), so the work grows with the pairs
that can earn credit, not with every pair.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from harness.score.judge import WILDCARD, credit

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


def index_by_key(slots: Sequence, key: Callable) -> dict[object, list[int]]:
    by_key: dict[object, list[int]] = defaultdict(list)
    for j, s in enumerate(slots):
        by_key[key(s)].append(j)
    return by_key


def candidates(by_key: dict[object, list[int]], k: object, n: int) -> list[int]:
    """Slots that may pair with a slot of key k; the wildcard key (a year-less date) may pair with any."""
    if k is None:
        return []
    if k == WILDCARD:
        return list(range(n))
    return by_key.get(k, []) + by_key.get(WILDCARD, [])


def text_dice(gold: list[frozenset[str]], pred: list[frozenset[str]]) -> np.ndarray:
    """Dice coefficient of word sets for every (gold, predicted) pair, as one matrix product."""
    vocab: dict[str, int] = {}
    for s in (*gold, *pred):
        for t in s:
            vocab.setdefault(t, len(vocab))
    g = np.zeros((len(gold), len(vocab)))
    p = np.zeros((len(pred), len(vocab)))
    for i, s in enumerate(gold):
        g[i, [vocab[t] for t in s]] = 1
    for j, s in enumerate(pred):
        p[j, [vocab[t] for t in s]] = 1
    sizes = g.sum(1)[:, None] + p.sum(1)[None, :]
    return np.divide(2 * (g @ p.T), sizes, out=np.zeros_like(sizes), where=sizes > 0)


def slot_verdicts(gold: Sequence, pred: Sequence, key: Callable, judge: Callable) -> dict[tuple[int, int], tuple[int, str | None]]:
    """Judge every candidate pair of one article's slots once (gold index, predicted index) -> (outcome, error).
    Both the claim similarity and the slot alignment read these verdicts."""
    by_key = index_by_key(pred, key)
    out = {}
    for i, g in enumerate(gold):
        for j in candidates(by_key, key(g), len(pred)):
            out[i, j] = judge(g, pred[j])
    return out


def slot_dice(
    verdicts: dict[tuple[int, int], tuple[int, str | None]], g_claim: list[int], p_claim: list[int],
    g_len: np.ndarray, p_len: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per claim pair, Dice over credited slot pairs (1 correct, 0.5 partial), and a mask of the pairs where
    either claim has slots of this kind. Slots inside one claim pair are matched greedily (claims hold 1-3)."""
    cands: dict[tuple[int, int], list[tuple[float, int, int]]] = defaultdict(list)
    for (i, j), (outcome, _err) in verdicts.items():
        c = credit(outcome)
        if c > 0:
            cands[g_claim[i], p_claim[j]].append((c, i, j))
    sim = np.zeros((len(g_len), len(p_len)))
    for (ci, cj), found in cands.items():
        used_g, used_p, total = set(), set(), 0.0
        for c, i, j in sorted(found, reverse=True):
            if i not in used_g and j not in used_p:
                used_g.add(i)
                used_p.add(j)
                total += c
        sim[ci, cj] = 2 * total / (g_len[ci] + p_len[cj])
    return sim, (g_len[:, None] + p_len[None, :]) > 0


def claim_similarity(parts: dict[str, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Weighted mean of the parts present (figures, dates, text) for every claim pair; a part counts only where
    either claim has something of that kind, and the weights are renormalised over what is present."""
    num = sum(WEIGHTS[k] * v * m for k, (v, m) in parts.items())
    den = sum(WEIGHTS[k] * m for k, (_, m) in parts.items())
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def align_slots(
    gold: Sequence, pred: Sequence, verdicts: dict[tuple[int, int], tuple[int, str | None]], judge: Callable,
    same_claim: Callable[[int, int], bool],
) -> tuple[list[tuple[int, int, int, str | None]], list[int], list[int]]:  # fmt: skip
    """Pair the slots of one article: credited pairs first (ties go to pairs inside aligned claims), then
    leftover slots of the same aligned claim pair as incorrect. Returns (pairs with outcome/error, missing, spurious)."""
    w = np.zeros((len(gold), len(pred)))
    for (i, j), (outcome, _err) in verdicts.items():
        c = credit(outcome)
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
