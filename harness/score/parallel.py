"""Score thousands of articles on every core: forked workers each score a contiguous run of articles.

Articles are scored independently, so splitting them changes nothing in the result: counts and items are
concatenated back in article order. Workers are forked (POSIX), so they read the inputs from the parent's memory
instead of receiving a pickled copy; only their results travel back.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from harness.score.model import Item

MIN_ARTICLES = 1000  # below this, starting workers costs more than it saves
_SHARED: tuple = ()


def default_workers(n_articles: int) -> int:
    if n_articles < MIN_ARTICLES or "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _run(lo: int, hi: int):
    fn, gold, ids, by_article = _SHARED
    counts, items, unparsed = fn(gold, ids[lo:hi], by_article)
    return counts, [tuple(getattr(it, f) for f in Item.__slots__) for it in items], unparsed


def score_in_parallel(fn, gold, ids: list[str], by_article, workers: int):
    """fn(gold, ids, by_article) -> (counts per field, items, unparsed), run over `workers` slices of ids;
    the parent scores the first slice itself while the forked workers score the rest."""
    global _SHARED
    bounds = np.linspace(0, len(ids), workers + 1).astype(int)
    _SHARED = (fn, gold, ids, by_article)
    try:
        with ProcessPoolExecutor(workers - 1, mp_context=mp.get_context("fork")) as pool:
            futures = [pool.submit(_run, int(lo), int(hi)) for lo, hi in zip(bounds[1:-1], bounds[2:])]
            parts = [fn(gold, ids[bounds[0] : bounds[1]], by_article)]
            for fut in futures:
                counts, rows, unparsed = fut.result()
                parts.append((counts, [Item(*r) for r in rows], unparsed))
    finally:
        _SHARED = ()
    counts = {f: np.concatenate([p[0][f] for p in parts]) for f in parts[0][0]}
    items = [it for p in parts for it in p[1]]
    unparsed = sum((p[2] for p in parts), Counter())
    return counts, items, unparsed
