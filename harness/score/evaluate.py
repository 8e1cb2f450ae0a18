"""Score predicted claims against the gold: normalise -> align -> count outcomes -> metrics with intervals.

`evaluate` is the library call behind `harness score` and `harness run`. Pure: no files, no network.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from contextlib import contextmanager
from collections.abc import Iterable

import numpy as np

from harness.normalize.names import resolve_speaker
from harness.schema import GoldArticle, PredictedClaim
from harness.score import align, parallel
from harness.score.judge import date_key, date_slot, figure_key, figure_slot, judge_date, judge_figure, judge_speaker
from harness.score.metrics import COR, MIS, OUTCOMES, SPU, micro_macro, prf
from harness.score.model import ArticleFieldScore, FieldScore, Item, PRFInterval, ScoreReport
from harness.score.stats import bootstrap_ci

SCORED = ("figures", "dates", "attribution", "claims", "figures_bound")
_CODE = {o: i for i, o in enumerate(OUTCOMES)}


_RESOLVED: dict[tuple[str, tuple], str | None] = {}


def _resolve(name: str, signature: tuple, speakers) -> str | None:
    """resolve_speaker, remembered per (name, speaker list): the same names recur across samples and articles."""
    key = (name, signature)
    if key not in _RESOLVED:
        if len(_RESOLVED) > 100_000:
            _RESOLVED.clear()
        _RESOLVED[key] = resolve_speaker(name, speakers)
    return _RESOLVED[key]


class _Article:
    """One article's scoring, built once: slots, claim alignment, slot alignment, outcome items."""

    def __init__(self, gold: GoldArticle, preds: list[PredictedClaim]):
        self.gold, self.preds, self.aid = gold, preds, gold.article_id
        pub = gold.published
        self.g_figs = [[figure_slot(f, True) for f in c.figures] for c in gold.claims]
        self.g_dates = [[date_slot(d, pub, True) for d in c.dates] for c in gold.claims]
        self.p_figs = [[figure_slot(f, False) for f in p.figures] for p in preds]
        self.p_dates = [[s for d in p.dates if (s := date_slot(d, pub, False)) is not None] for p in preds]
        self.items: dict[str, list[Item]] = {f: [] for f in SCORED}
        signature = tuple((sp.name, tuple(sp.aliases), sp.organisation) for sp in gold.speakers)
        self.resolve = lambda name: _resolve(name, signature, gold.speakers)
        self._align_claims()

    def _align_claims(self) -> None:
        """Claim pairs by similarity (slots and words); the slot verdicts are judged once and reused below."""
        self.fields = {}
        for name, g_slots, p_slots, key, judge in (
            ("figures", self.g_figs, self.p_figs, figure_key, judge_figure),
            ("dates", self.g_dates, self.p_dates, date_key, judge_date),
        ):
            g_flat = [(ci, si, s) for ci, slots in enumerate(g_slots) for si, s in enumerate(slots)]
            p_flat = [(cj, s) for cj, slots in enumerate(p_slots) for s in slots]
            verdicts = align.slot_verdicts([s for *_, s in g_flat], [s for _, s in p_flat], key, judge)
            self.fields[name] = (g_flat, p_flat, verdicts, judge, g_slots, p_slots)
        self.g2p: dict[int, int] = {}
        if not self.gold.claims or not self.preds:
            return
        parts = {}
        for name, (g_flat, p_flat, verdicts, _j, g_slots, p_slots) in self.fields.items():
            parts[name] = align.slot_dice(
                verdicts, [ci for ci, *_ in g_flat], [cj for cj, _ in p_flat],
                np.array([len(c) for c in g_slots], dtype=float), np.array([len(c) for c in p_slots], dtype=float),
            )  # fmt: skip
        text = align.text_dice(
            [align.tokens([e.text for e in c.evidence]) for c in self.gold.claims],
            [align.tokens([p.text, *p.evidence]) for p in self.preds],
        )  # fmt: skip
        parts["text"] = (text, np.ones_like(text, dtype=bool))
        self.g2p = dict(align.assign(align.claim_similarity(parts), align.CLAIM_THRESHOLD))

    def _slots(self, field: str):
        """Article-wide slot alignment; records items; returns (pairs, gold slots, predicted slots)."""
        g_flat, p_flat, verdicts, judge, _g, _p = self.fields[field]
        same = lambda i, j: self.g2p.get(g_flat[i][0]) == p_flat[j][0]  # noqa: E731
        pairs, missing, spurious = align.align_slots([s for *_, s in g_flat], [s for _, s in p_flat], verdicts, judge, same)
        out = []
        for i, j, outcome, error in pairs:
            out.append((g_flat[i][0], p_flat[j][0], outcome, error, same(i, j), i, j))
            self._item(field, outcome, error, *g_flat[i], *p_flat[j])
        for i in missing:
            self._item(field, MIS, None, *g_flat[i], None, None)
        for j in spurious:
            p = p_flat[j][1]
            unreadable = "unparseable_date" if field == "dates" else "unparseable_value"
            self._item(field, SPU, unreadable if p.value is None else None, None, None, None, *p_flat[j])
        return out, g_flat, p_flat

    def _item(self, field, outcome, error, ci, si, g, cj, p) -> None:
        gc = self.gold.claims[ci].id if ci is not None else None
        self.items[field].append(Item(
            self.aid, field, OUTCOMES[outcome], error, f"{gc}/{field}/{si}" if gc is not None else None, gc, cj,
            getattr(g, "raw", None), getattr(p, "raw", None),
            None if g is None or g.value is None else str(g.value), None if p is None or p.value is None else str(p.value),
        ))  # fmt: skip

    def score(self) -> None:
        fig_pairs, gf, pf = self._slots("figures")
        date_pairs, gd, pd = self._slots("dates")
        n = len(self.gold.claims)
        spoke_ok = self._attribution()
        perfect_f = _perfect(fig_pairs, gf, pf, self.g2p, n)
        perfect_d = _perfect(date_pairs, gd, pd, self.g2p, n)
        # whole claims: an aligned pair is correct when every slot on both sides is correct and inside the pair
        for ci, c in enumerate(self.gold.claims):
            cj = self.g2p.get(ci)
            if cj is None:
                self.items["claims"].append(Item(self.aid, "claims", "missing", None, c.id, c.id))
            elif perfect_f[ci] and perfect_d[ci] and spoke_ok[ci]:
                self.items["claims"].append(Item(self.aid, "claims", "correct", None, c.id, c.id, cj))
            else:
                self.items["claims"].append(Item(self.aid, "claims", "partial", "slot_errors", c.id, c.id, cj))
        aligned_p = set(self.g2p.values())
        for cj in range(len(self.preds)):
            if cj not in aligned_p:
                self.items["claims"].append(Item(self.aid, "claims", "spurious", pred_claim=cj))
        # bound figures: a credited value counts only inside its aligned claim with the right dates and speaker
        index = {c.id: ci for ci, c in enumerate(self.gold.claims)}
        for it in self.items["figures"]:
            outcome, error = it.outcome, it.error
            if outcome in ("correct", "partial"):
                ci = index[it.gold_claim]
                if not (self.g2p.get(ci) == it.pred_claim and perfect_d[ci] and spoke_ok[ci]):
                    outcome, error = "incorrect", "unbound"
            self.items["figures_bound"].append(Item(
                it.article_id, "figures_bound", outcome, error, it.gold_key, it.gold_claim, it.pred_claim,
                it.gold_raw, it.pred_raw, it.gold_value, it.pred_value,
            ))  # fmt: skip

    def _attribution(self) -> list[bool]:
        """Speakers of aligned pairs are judged; an unaligned gold speaker is missing, an unaligned predicted one spurious."""
        ok = []
        for ci, c in enumerate(self.gold.claims):
            cj = self.g2p.get(ci)
            pred = self.preds[cj].speaker if cj is not None else None
            outcome, error = judge_speaker(c.speaker, pred, self.gold.speakers, self.resolve)
            ok.append(outcome in (None, COR))
            if outcome is not None:
                self._speaker_item(outcome, error, c, cj, pred)
        aligned_p = set(self.g2p.values())
        for cj, p in enumerate(self.preds):
            if cj not in aligned_p and p.speaker:
                outcome, error = judge_speaker(None, p.speaker, self.gold.speakers, self.resolve)
                self._speaker_item(outcome, error, None, cj, p.speaker)
        return ok

    def _speaker_item(self, outcome, error, claim, cj, pred) -> None:
        gid = None if claim is None else claim.id
        self.items["attribution"].append(Item(
            self.aid, "attribution", OUTCOMES[outcome], error, None if outcome == SPU else gid, gid, cj,
            None if claim is None else claim.speaker, pred,
        ))  # fmt: skip


def _perfect(pairs, g_flat, p_flat, g2p: dict[int, int], n_claims: int) -> list[bool]:
    """Per gold claim: its slots and its aligned prediction's slots are all correct pairs inside the claim pair."""
    ok = [True] * n_claims
    p2g = {cj: ci for ci, cj in g2p.items()}
    good_g = {i for _ci, _cj, outcome, _e, same, i, _j in pairs if outcome == COR and same}
    good_p = {j for _ci, _cj, outcome, _e, same, _i, j in pairs if outcome == COR and same}
    for i, (ci, _si, _s) in enumerate(g_flat):
        if i not in good_g:
            ok[ci] = False
    for j, (cj, _s) in enumerate(p_flat):
        if j not in good_p and cj in p2g:
            ok[p2g[cj]] = False
    return ok


def _field_score(per_article: np.ndarray, n_boot: int, seed: int) -> FieldScore:
    """per_article: (articles, 5) outcome counts."""
    mm = micro_macro(dict(enumerate(per_article)))
    ci = bootstrap_ci(per_article, n_boot, seed)
    ms, mr = mm["micro_strict"], mm["micro_relaxed"]
    return FieldScore(
        **ms, ci=ci["micro_strict"],
        relaxed=PRFInterval(**mr, ci=ci["micro_relaxed"]),
        macro={k: PRFInterval(**mm[f"macro_{k}"], ci=ci[f"macro_{k}"]) for k in ("strict", "relaxed")},
        counts={o: int(n) for o, n in zip(OUTCOMES, per_article.sum(axis=0))},
    )  # fmt: skip


def _per_article(ids: list[str], counts: dict[str, np.ndarray]) -> dict[str, dict[str, ArticleFieldScore]]:
    out: dict[str, dict[str, ArticleFieldScore]] = {aid: {} for aid in ids}
    for f in SCORED:
        scores = prf(counts[f])
        for k, aid in enumerate(ids):
            s, r = scores["strict"][k], scores["relaxed"][k]
            out[aid][f] = ArticleFieldScore(
                float(s[0]), float(s[1]), float(s[2]),
                {"precision": float(r[0]), "recall": float(r[1]), "f1": float(r[2])},
                {o: int(n) for o, n in zip(OUTCOMES, counts[f][k])},
            )  # fmt: skip
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


def _score_articles(gold, ids: list[str], by_article) -> tuple[dict[str, np.ndarray], list[Item], Counter]:
    """Score a run of articles in order: (outcome counts per field, items, unreadable predicted values)."""
    counts = {f: np.zeros((len(ids), 5), dtype=np.int64) for f in SCORED}
    items: list[Item] = []
    unparsed: Counter[str] = Counter()
    with _no_gc():
        for k, aid in enumerate(ids):
            art = _Article(gold[aid], by_article.get(aid, []))
            art.score()
            unparsed["figures"] += sum(1 for fs in art.p_figs for f in fs if f.value is None)
            unparsed["dates"] += sum(1 for ds in art.p_dates for d in ds if d.value is None)
            for f in SCORED:
                for it in art.items[f]:
                    counts[f][k, _CODE[it.outcome]] += 1
                items.extend(art.items[f])
    return counts, items, unparsed


def evaluate(
    gold: dict[str, GoldArticle],
    predictions: Iterable[PredictedClaim],
    *,
    article_ids: Iterable[str] | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    workers: int | None = None,
) -> ScoreReport:
    """Score predictions against the gold of `article_ids` (default: every gold article). Seeded and deterministic:
    the result does not depend on `workers` (default: all cores for thousands of articles, else one)."""
    ids = sorted(gold) if article_ids is None else sorted(set(article_ids) & set(gold))
    by_article: dict[str, list[PredictedClaim]] = defaultdict(list)
    ignored: Counter[str] = Counter()
    for p in predictions:
        if p.article_id in gold:
            by_article[p.article_id].append(p)
        else:
            ignored[p.article_id] += 1
    if workers is None:
        workers = parallel.default_workers(len(ids))
    if workers > 1:
        counts, items, unparsed = parallel.score_in_parallel(_score_articles, gold, ids, by_article, workers)
    else:
        counts, items, unparsed = _score_articles(gold, ids, by_article)
    errors = Counter(it.error for it in items if it.error and it.field != "figures_bound")

    fields = {f: _field_score(counts[f], n_boot, seed + k) for k, f in enumerate(SCORED)}
    return ScoreReport.model_construct(
        **fields, per_article=_per_article(ids, counts), errors=dict(sorted(errors.items())),
        unparsed={"figures": unparsed["figures"], "dates": unparsed["dates"]},
        ignored_predictions=dict(sorted(ignored.items())), seed=seed, n_boot=n_boot, items=items,
    )  # fmt: skip
