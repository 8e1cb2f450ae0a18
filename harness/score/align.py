"""One-to-one optimal alignment (Kuhn-Munkres via scipy) of predicted to gold claims and slots, per article.

Claims are paired on a similarity built from their slots and their words (harness.score.similarity computes it
for many articles at once); slots (figures, dates) are then paired across the whole article, preferring pairs
inside aligned claims. Anything left over is missing or spurious. Candidate slot pairs are looked up by key (a
figure's digits, a date's year), so the work grows with the pairs that can earn credit, not with every pair.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import numpy as np

from harness.score.judge import WILDCARD
from harness.score.metrics import dice
from harness.score.vocabulary import CREDIT

CLAIM_THRESHOLD = 0.3  # below this text/location similarity a predicted claim is not the gold claim (docs/SCORING.md)
TIE_BREAK = 0.01  # weight of the claims' agreeing values among pairs that already pass the threshold on text/location
WEIGHTS = {"figures": 0.5, "dates": 0.5}  # the values part: figures and dates alike
# Function words carry no meaning for "is this the same statement": left out of the word sets (hand-picked from the
# articles; no maintained Indonesian stop-word list ships with the libraries the harness already uses).
STOPWORDS = frozenset(
    "yang dan di ke dari untuk dengan ini itu pada dalam akan telah sudah juga tersebut adalah para oleh saat "
    "ia kita kami mereka bisa dapat atau karena agar serta namun sebagai lebih tidak ada hal secara the of and "
    "in to for on is are was that this with by as at".split()
)
_TOKEN = re.compile(r"\w{2,}", re.UNICODE)
# (id(gold slot), id(predicted slot)) -> (gold slot, predicted slot, verdict). Slots are interned by content and the
# entry holds both, so neither id can be reused by another object while the entry exists.
_VERDICTS: dict[tuple[int, int], tuple] = {}


@functools.cache
def _solver() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """scipy's Kuhn-Munkres, imported on first use: a run without gold never loads scipy.optimize (0.3-0.5 s)."""
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment


def assign(weights: np.ndarray, minimum: float = 0.0) -> list[tuple[int, int]]:
    """Maximum-weight one-to-one pairs whose weight exceeds `minimum`, in gold order."""
    if weights.size == 0:
        return []
    rows, cols = _solver()(weights, maximize=True)
    keep = weights[rows, cols] > minimum
    return list(zip(rows[keep].tolist(), cols[keep].tolist(), strict=True))


def _words(s: str) -> list[str]:
    if s.isascii():  # lower() is casefold() on ASCII and keeps every \w run as it is
        return [t for t in _TOKEN.findall(s.lower()) if t not in STOPWORDS]
    return [w for t in _TOKEN.findall(s) if (w := t.casefold()) not in STOPWORDS]


_WORD_IDS: dict[str, int] = {}  # word -> a number of its own, for as long as the cache below lives
_TEXT_IDS: dict[str, tuple[int, ...]] = {}  # text -> its distinct words' numbers


def text_ids(text: str) -> tuple[int, ...]:
    """The distinct casefolded words (two or more word characters) of a text, as numbers that stay the same
    until reset_word_ids."""
    ids = _TEXT_IDS.get(text)
    if ids is None:
        vocab = _WORD_IDS
        ids = _TEXT_IDS[text] = tuple({vocab.setdefault(t, len(vocab)) for t in _words(text)})
    return ids


def word_ids(texts: Sequence[str]) -> tuple[int, ...]:
    """text_ids over several texts: the distinct words of them all."""
    return tuple({i for s in texts for i in text_ids(s)})


def word_count() -> int:
    """Every word number given so far is below this."""
    return len(_WORD_IDS)


def reset_word_ids(limit: int = 200_000) -> None:
    """Forget the texts (and, past `limit` words, the numbering) between batches, so the caches stay bounded."""
    if len(_TEXT_IDS) > limit or len(_WORD_IDS) > limit:
        _TEXT_IDS.clear()
        _WORD_IDS.clear()


def claim_similarity(parts: dict[str, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Weighted mean of the parts present (figures, dates) for every claim pair; a part counts only where
    either claim has something of that kind, and the weights are renormalised over what is present.
    Elementwise, so it takes one article's matrices or many articles' pairs laid end to end alike."""
    num = sum(WEIGHTS[k] * v * m for k, (v, m) in parts.items())
    den = sum(WEIGHTS[k] * m for k, (_, m) in parts.items())
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def verdicts(gold: list, pred: list, key: Callable, judge: Callable) -> tuple[dict, list[tuple[int, int, float]]]:
    """Judge every candidate pair of one article's slots once; keep the credited ones (correct or partial), the only
    ones the claim similarity and the slot alignment use: ({(gold index, predicted index): (outcome, error)},
    [(gold index, predicted index, credit)])."""
    by_key: dict[object, list[int]] = {}
    for j, s in enumerate(pred):
        by_key.setdefault(key(s), []).append(j)
    wild = by_key.get(WILDCARD, [])
    cache = _VERDICTS
    found, credited = {}, []
    for i, g in enumerate(gold):
        k = key(g)
        if k is None:
            continue
        gid = id(g)
        for j in range(len(pred)) if k == WILDCARD else by_key.get(k, []) + wild:
            p = pred[j]
            hit = cache.get((gid, id(p)))
            if hit is None:
                if len(cache) > 500_000:
                    cache.clear()
                hit = cache[gid, id(p)] = (g, p, judge(g, p))
            verdict = hit[2]
            if verdict[0] <= 1:  # COR or PAR
                found[i, j] = verdict
                credited.append((i, j, CREDIT[verdict[0]]))
    return found, credited


class SlotField:
    """One slot kind (figures or dates) of one article: flat gold and predicted slots with their claims."""

    __slots__ = ("credited", "g", "g_claim", "g_index", "g_len", "judge", "name", "p", "p_claim", "p_len", "verdicts")

    def __init__(self, name: str, g_slots: list[list], p_slots: list[list], key: Callable, judge: Callable):
        self.name, self.judge = name, judge
        self.g_claim = [ci for ci, slots in enumerate(g_slots) for _ in slots]
        self.g_index = [si for slots in g_slots for si in range(len(slots))]
        self.g = [s for slots in g_slots for s in slots]
        self.p_claim = [cj for cj, slots in enumerate(p_slots) for _ in slots]
        self.p = [s for slots in p_slots for s in slots]
        self.g_len = [float(len(s)) for s in g_slots]
        self.p_len = [float(len(s)) for s in p_slots]
        self.verdicts, self.credited = verdicts(self.g, self.p, key, judge)

    def dice(self, pairs: dict[tuple[int, int], list[float]]) -> None:
        """For claim pairs with several credited slot pairs: Dice over a greedy one-to-one choice of them
        (1 correct, 0.5 partial; claims hold 1-3 slots). pairs: (gold claim, predicted claim) -> [] to fill in with
        the Dice value; harness.score.similarity computes the common single-pair case itself."""
        found: dict[tuple[int, int], list] = {}
        for i, j, c in self.credited:
            key = (self.g_claim[i], self.p_claim[j])
            if key in pairs:
                found.setdefault(key, []).append((c, i, j))
        for (ci, cj), cands in found.items():
            used_g, used_p, total = set(), set(), 0.0
            for c, i, j in sorted(cands, reverse=True):
                if i not in used_g and j not in used_p:
                    used_g.add(i)
                    used_p.add(j)
                    total += c
            pairs[ci, cj].append(dice(total, self.g_len[ci], self.p_len[cj]))

    def align(self, g2p: dict[int, int]) -> tuple[list, list[int], list[int]]:
        """Pair the slots: credited pairs first (ties go to pairs inside aligned claims, +0.001), then a leftover gold
        slot with the first leftover predicted slot of its aligned claim, judged (so usually incorrect).
        Returns (sorted (i, j, outcome, error), missing gold indices, spurious predicted indices)."""
        g_claim, p_claim, found = self.g_claim, self.p_claim, self.verdicts
        w = np.zeros((len(self.g), len(self.p)))
        for i, j, c in self.credited:
            w[i, j] = c + (0.001 if g2p.get(g_claim[i]) == p_claim[j] else 0.0)
        pairs = [(i, j, *found[i, j]) for i, j in assign(w)]
        used_g, used_p = {i for i, *_ in pairs}, {j for _, j, *_ in pairs}
        for i in range(len(self.g)):
            target = g2p.get(g_claim[i])
            if i in used_g or target is None:
                continue
            for j, cj in enumerate(p_claim):
                if cj == target and j not in used_p:
                    pairs.append((i, j, *self.judge(self.g[i], self.p[j])))
                    used_g.add(i)
                    used_p.add(j)
                    break
        missing = [i for i in range(len(self.g)) if i not in used_g]
        spurious = [j for j in range(len(self.p)) if j not in used_p]
        return sorted(pairs), missing, spurious
