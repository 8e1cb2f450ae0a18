"""Claim alignment for many articles at once: every (gold, predicted) claim pair of every article laid end to end.

The word Dice parts come from one sparse product (each article's words are columns of their own, so no pair
crosses articles), the slot Dice parts and the masks are scattered into the same flat arrays, and the weighted
mean is align.claim_similarity, elementwise: the same arithmetic as one article at a time, so the same numbers.
Only the assignment itself runs per article.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

from harness.score.align import CLAIM_THRESHOLD, TIE_BREAK, assign, claim_similarity, word_count
from harness.score.metrics import dice


def _word_dice(
    arts: list, n_gold: np.ndarray, n_pred: np.ndarray, grow: np.ndarray, pcol: np.ndarray, off: np.ndarray
) -> np.ndarray:
    """Dice of the word sets of every claim pair: 2 |g & p| / (|g| + |p|), 0 where both are empty."""
    g_words = [s for a in arts for s in a.g_tok]
    p_words = [s for a in arts for s in a.p_tok]
    g_size = np.array([len(s) for s in g_words], dtype=np.int64)
    p_size = np.array([len(s) for s in p_words], dtype=np.int64)
    g_rows = np.repeat(np.arange(len(g_words)), g_size)
    p_rows = np.repeat(np.arange(len(p_words)), p_size)
    # one column per (article, word): a gold claim and a predicted claim share a column only within one article
    span = word_count() + 1
    g_key = np.repeat(np.repeat(np.arange(len(arts)), n_gold), g_size) * span
    g_key += np.fromiter(chain.from_iterable(g_words), dtype=np.int64, count=len(g_rows))
    p_key = np.repeat(np.repeat(np.arange(len(arts)), n_pred), p_size) * span
    p_key += np.fromiter(chain.from_iterable(p_words), dtype=np.int64, count=len(p_rows))
    columns = np.unique(g_key)
    g_cols = np.searchsorted(columns, g_key)
    at = np.minimum(np.searchsorted(columns, p_key), max(len(columns) - 1, 0))
    hit = (
        columns[at] == p_key if len(columns) else np.zeros(len(p_key), dtype=bool)
    )  # a word no gold claim has adds to |p| only
    from scipy.sparse import csr_matrix  # imported on first use: a run without gold never loads it

    g = csr_matrix((np.ones(len(g_cols), dtype=np.int64), (g_rows, g_cols)), shape=(len(g_words), len(columns)))
    p = csr_matrix(
        (np.ones(int(hit.sum()), dtype=np.int64), (p_rows[hit], at[hit])), shape=(len(p_words), len(columns))
    )
    shared = (g @ p.T).tocoo()
    g_block = np.repeat(np.arange(len(arts)), n_gold)
    g_first = np.concatenate(([0], np.cumsum(n_gold)[:-1]))
    p_first = np.concatenate(([0], np.cumsum(n_pred)[:-1]))
    r, c = shared.row.astype(np.int64), shared.col.astype(np.int64)
    b = g_block[r]
    inter = np.zeros(off[-1])
    inter[off[b] + (r - g_first[b]) * n_pred[b] + (c - p_first[b])] = shared.data
    return dice(inter, g_size.astype(float)[grow], p_size.astype(float)[pcol])


def _slot_part(fields: list, off: np.ndarray, n_pred: np.ndarray, grow: np.ndarray, pcol: np.ndarray):
    """One slot kind's (Dice over credited slot pairs, mask of pairs where either claim has such slots) for every
    claim pair: 2 x credit / (|gold slots| + |predicted slots|), vectorised where a claim pair has one credited pair."""
    g_len = np.array([x for f in fields for x in f.g_len], dtype=float)[grow]
    p_len = np.array([x for f in fields for x in f.p_len], dtype=float)[pcol]
    value = np.zeros(off[-1])
    where: list[int] = []
    credit: list[float] = []
    for b, f in enumerate(fields):
        if f.credited:
            base, n, g_claim, p_claim = int(off[b]), int(n_pred[b]), f.g_claim, f.p_claim
            where += [base + g_claim[i] * n + p_claim[j] for i, j, _c in f.credited]
            credit += [c for _i, _j, c in f.credited]
    if not where:
        return value, (g_len + p_len) > 0
    pair, first, count = np.unique(np.array(where, dtype=np.int64), return_index=True, return_counts=True)
    one = pair[count == 1]
    value[one] = dice(np.array(credit)[first[count == 1]], g_len[one], p_len[one])
    if (count > 1).any():  # a claim pair with several credited slot pairs: matched greedily, per article
        several = set(pair[count > 1].tolist())
        for b, f in enumerate(fields):
            base, n = int(off[b]), int(n_pred[b])
            claim_pairs = {(f.g_claim[i], f.p_claim[j]) for i, j, _c in f.credited}
            todo: dict[tuple[int, int], list[float]] = {
                (ci, cj): [] for ci, cj in claim_pairs if base + ci * n + cj in several
            }
            if todo:
                f.dice(todo)
                for (ci, cj), (v,) in todo.items():
                    value[base + ci * n + cj] = v
    return value, (g_len + p_len) > 0


def align_claims(articles: list) -> list[tuple[dict[int, int], set[int]]]:
    """Per article: (gold claim -> predicted claim, the predicted claims that could have matched some gold claim).

    Articles carry `g_tok`, `p_tok` (word sets per claim), `loc` ({(gold, predicted): location similarity}, from
    the evidence located in the article), `blocked` (predicted claims from scraped noise: never matched) and
    `figs`, `dates` (align.SlotField). A pair can match only when its text or location similarity, whichever is
    higher, reaches CLAIM_THRESHOLD; among such pairs the one-to-one pairing maximises the summed similarity plus
    TIE_BREAK x the agreement of their values (so values decide ties only, never a match by themselves)."""
    out: list[tuple[dict[int, int], set[int]]] = [({}, set()) for _ in articles]
    live = [k for k, a in enumerate(articles) if a.g_tok and a.p_tok]
    if not live:
        return out
    arts = [articles[k] for k in live]
    n_gold = np.array([len(a.g_tok) for a in arts], dtype=np.int64)
    n_pred = np.array([len(a.p_tok) for a in arts], dtype=np.int64)
    sizes = n_gold * n_pred
    off = np.concatenate(([0], np.cumsum(sizes)))
    block = np.repeat(np.arange(len(arts)), sizes)
    local = np.arange(off[-1]) - off[block]
    per_row = n_pred[block]
    grow = np.concatenate(([0], np.cumsum(n_gold)[:-1]))[block] + local // per_row  # gold claim, numbered across arts
    pcol = np.concatenate(([0], np.cumsum(n_pred)[:-1]))[block] + local % per_row
    sim = _word_dice(arts, n_gold, n_pred, grow, pcol, off)
    for b, a in enumerate(arts):
        base, n = int(off[b]), int(n_pred[b])
        for (i, j), v in a.loc.items():
            at = base + i * n + j
            sim[at] = max(sim[at], v)
        for j in a.blocked:
            sim[base + j : base + n * int(n_gold[b]) : n] = 0.0
    values = claim_similarity({
        "figures": _slot_part([a.figs for a in arts], off, n_pred, grow, pcol),
        "dates": _slot_part([a.dates for a in arts], off, n_pred, grow, pcol),
    })  # fmt: skip
    weight = np.where(sim >= CLAIM_THRESHOLD, sim + TIE_BREAK * values, 0.0)
    for b, k in enumerate(live):
        block_w = weight[off[b] : off[b + 1]].reshape(int(n_gold[b]), int(n_pred[b]))
        out[k] = (dict(assign(block_w)), set(np.flatnonzero(block_w.any(axis=0)).tolist()))
    return out
