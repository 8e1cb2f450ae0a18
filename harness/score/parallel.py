"""Score thousands of articles on every core: forked workers and the parent share the work, piece by piece.

Articles are scored independently, so splitting them changes nothing in the result: the pieces' results are put
back in article order. Workers are forked (POSIX), so they read the inputs from the parent's memory instead of
receiving a pickled copy; only their results travel back, marshalled (plain tuples, lists and strings). The
workers take pieces from the front and the parent from the back (a piece not yet started is cancelled and scored
at home), so both finish together however the cores are shared. Results are unpacked after the workers exit: while
a forked worker lives, each page either side writes to is copied first.
"""

from __future__ import annotations

import marshal
import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

MIN_ARTICLES = 1000  # below this, starting workers costs more than it saves
PIECE = 250  # articles per piece of work
_SHARED: tuple = ()


def default_workers(n_articles: int) -> int:
    if n_articles < MIN_ARTICLES or "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _run(lo: int, hi: int) -> bytes:
    fn, gold, ids, by_article = _SHARED
    return marshal.dumps(fn(gold, ids[lo:hi], by_article))


def score_in_parallel(fn: Callable, gold, ids: list[str], by_article, workers: int, unpack: Callable) -> list:
    """[unpack(fn(gold, piece of ids, by_article)) for each piece of ids, in order], scored by the parent and
    `workers - 1` forked workers. fn's result must be marshallable; unpack runs in the parent."""
    global _SHARED
    spans = [(lo, min(lo + PIECE, len(ids))) for lo in range(0, len(ids), PIECE)]
    done: list = [None] * len(spans)
    _SHARED = (fn, gold, ids, by_article)
    try:
        with ProcessPoolExecutor(workers - 1, mp_context=mp.get_context("fork")) as pool:
            futures = [pool.submit(_run, lo, hi) for lo, hi in spans]
            for k in reversed(range(len(spans))):
                if not futures[k].cancel():
                    break  # the workers have reached the parent's pieces
                lo, hi = spans[k]
                done[k] = fn(gold, ids[lo:hi], by_article)
            for k in range(len(spans)):
                if done[k] is None:
                    done[k] = futures[k].result()  # marshalled
    finally:
        _SHARED = ()
    return [unpack(marshal.loads(d) if isinstance(d, bytes) else d) for d in done]
