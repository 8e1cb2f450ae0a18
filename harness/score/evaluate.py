"""Score predicted claims against the gold: normalise -> align -> count outcomes -> metrics with intervals.

`evaluate` is the library call behind `harness score` and `harness run`. Pure: no files, no network.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from itertools import starmap
from typing import Any

import numpy as np

from harness.schema import GoldArticle, PredictedClaim
from harness.score import parallel
from harness.score.article import score_articles
from harness.score.metrics import WEIGHTS, graded_counts, graded_weights, micro_macro, prf
from harness.score.model import ArticleFieldScore, FieldScore, Item, PRFInterval, ScoreReport
from harness.score.stats import bootstrap_ci
from harness.score.vocabulary import MIS, OUTCOMES, REPORTED, SPU


def _field_score(per_article: np.ndarray, n_boot: int, seed: int, weights: np.ndarray = WEIGHTS,
                 outcomes: np.ndarray | None = None, credit: float | None = None) -> FieldScore:  # fmt: skip
    """per_article: (articles, K) counts over the categories of `weights` (the five outcomes unless graded);
    `outcomes`: the (articles, 5) outcome counts when the categories are not the outcomes themselves."""
    mm = micro_macro(dict(enumerate(per_article)), weights)
    ci = bootstrap_ci(per_article, n_boot, seed, weights=weights)
    ms, mr = mm["micro_strict"], mm["micro_relaxed"]
    totals = (per_article if outcomes is None else outcomes).sum(axis=0)
    return FieldScore(
        **ms, ci=ci["micro_strict"],
        relaxed=PRFInterval(**mr, ci=ci["micro_relaxed"]),
        macro={k: PRFInterval(**mm[f"macro_{k}"], ci=ci[f"macro_{k}"]) for k in ("strict", "relaxed")},
        counts={o: int(n) for o, n in zip(OUTCOMES, totals, strict=True)}, credit=credit,
    )  # fmt: skip


def _per_article(ids: list[str], counts: dict[str, np.ndarray], graded: np.ndarray, weights: np.ndarray):
    out: dict[str, dict[str, ArticleFieldScore]] = {aid: {} for aid in ids}
    for f in REPORTED:
        scores = prf(graded, weights) if f == "claims" else prf(counts[f])
        strict, relaxed, rows = scores["strict"].tolist(), scores["relaxed"].tolist(), counts[f].tolist()
        for aid, s, r, c in zip(ids, strict, relaxed, rows, strict=True):
            out[aid][f] = ArticleFieldScore(
                s[0], s[1], s[2], {"precision": r[0], "recall": r[1], "f1": r[2]}, dict(zip(OUTCOMES, c, strict=True))
            )
    return out


@contextmanager
def _no_gc():
    """Scoring allocates millions of small acyclic objects; the cyclic collector only slows it down meanwhile."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _score_run(gold, ids: list[str], by_article):
    """Score a run of articles in order (article.score_articles); by_article: id -> (predictions, text or None)."""
    return score_articles([(gold[aid], *by_article.get(aid, ([], None))) for aid in ids])


def _unpack(result):
    """A run's item rows as Items."""
    counts, credits, rows, errors, unread_f, unread_d, grounding = result
    return counts, credits, list(starmap(Item, rows)), errors, unread_f, unread_d, grounding


def evaluate(
    gold: dict[str, GoldArticle],
    predictions: Iterable[PredictedClaim],
    *,
    texts: Mapping[str, str] | None = None,
    article_ids: Iterable[str] | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    workers: int | None = None,
) -> ScoreReport:
    """Score predictions against the gold of `article_ids` (default: every gold article). `texts` (article id ->
    article text) lets the scorer locate predicted evidence in the article and recognise scraped noise; without it
    claims are matched on their words alone. Seeded and deterministic: the result does not depend on `workers`
    (default: all cores for thousands of articles, else one).
    Raises ValueError on an unknown article id or n_boot < 1."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot}")
    if article_ids is not None:
        article_ids = list(article_ids)
        unknown = sorted(set(article_ids) - set(gold))
        if unknown:
            raise ValueError(f"article id(s) not in the gold: {', '.join(unknown[:5])}")
    with _no_gc():
        return _evaluate(gold, predictions, texts or {}, article_ids, seed, n_boot, workers)


def _evaluate(gold, predictions, texts, article_ids, seed: int, n_boot: int, workers: int | None) -> ScoreReport:
    ids = sorted(gold) if article_ids is None else sorted(set(article_ids))
    preds: dict[str, list[PredictedClaim]] = defaultdict(list)
    ignored: Counter[str] = Counter()
    for p in predictions:
        if p.article_id in gold:
            preds[p.article_id].append(p)
        else:
            ignored[p.article_id] += 1
    by_article = {aid: (preds.get(aid, []), texts.get(aid)) for aid in ids}
    if workers is None:
        workers = parallel.default_workers(len(ids))
    if workers > 1:
        pieces = parallel.score_in_parallel(_score_run, gold, ids, by_article, workers, _unpack)
    else:
        pieces = [_unpack(_score_run(gold, ids, by_article))]
    table = np.array([c for p in pieces for c in p[0]], dtype=np.int64).reshape(len(ids), len(REPORTED), 5)
    counts = {f: table[:, k, :].copy() for k, f in enumerate(REPORTED)}
    credits = [c for p in pieces for c in p[1]]
    items = pieces[0][2] if len(pieces) == 1 else [it for p in pieces for it in p[2]]
    errors: Counter[str] = Counter()
    grounding: Counter[str] = Counter()
    for p in pieces:
        errors.update(p[3])
        grounding.update(p[6])
    unread_f, unread_d = sum(p[4] for p in pieces), sum(p[5] for p in pieces)

    levels = sorted({c for cs in credits for c in cs})
    weights = graded_weights(levels)
    claims = counts["claims"]
    graded = np.array(
        [graded_counts(cs, int(c[MIS]), int(c[SPU]), levels) for cs, c in zip(credits, claims, strict=True)],
        dtype=np.int64,
    ).reshape(len(ids), len(weights))
    fields = {
        f: _field_score(graded, n_boot, seed + k, weights, claims, float(sum(map(sum, credits))))
        if f == "claims" else _field_score(counts[f], n_boot, seed + k)
        for k, f in enumerate(REPORTED)
    }  # fmt: skip
    values: dict[str, Any] = dict(
        fields, per_article=_per_article(ids, counts, graded, weights), errors=dict(sorted(errors.items())),
        unparsed={"figures": unread_f, "dates": unread_d}, grounding=dict(grounding),
        ignored_predictions=dict(sorted(ignored.items())), seed=seed, n_boot=n_boot, items=items,
    )  # fmt: skip
    return ScoreReport.model_construct(**values)
