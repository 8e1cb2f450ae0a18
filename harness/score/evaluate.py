"""Score predicted claims against the gold: normalise -> align -> count outcomes -> metrics with intervals.

`evaluate` is the library call behind `harness score` and `harness run`. Pure: no files, no network.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np

from harness.schema import GoldArticle, PredictedClaim
from harness.score import align
from harness.score.judge import (
    credit, date_key, date_slot, figure_key, figure_slot, judge_date, judge_figure, judge_speaker,
)  # fmt: skip
from harness.score.metrics import COR, INC, MIS, OUTCOMES, PAR, SPU, count, micro_macro, prf
from harness.score.model import ArticleFieldScore, FieldScore, Item, PRF, PRFInterval, ScoreReport
from harness.score.stats import bootstrap_ci

SCORED = ("figures", "dates", "attribution", "claims", "figures_bound")


def _greedy_similarity(gold, pred, key, judge) -> float | None:
    """Dice over credited slot pairs, greedy (claims hold one to three slots, so greedy equals optimal in practice)."""
    if not gold and not pred:
        return None
    if not gold or not pred:
        return 0.0
    used: set[int] = set()
    total = 0.0
    for g in gold:
        best, best_j = 0.0, -1
        for j, p in enumerate(pred):
            if j not in used and key(g) == key(p):
                c = credit(judge(g, p)[0])
                if c > best:
                    best, best_j = c, j
        if best_j >= 0:
            used.add(best_j)
            total += best
    return 2 * total / (len(gold) + len(pred))


class _Article:
    """Everything about one article's scoring, built once: slots, claim alignment, slot alignment, outcomes."""

    def __init__(self, gold: GoldArticle, preds: list[PredictedClaim]):
        self.gold, self.preds = gold, preds
        self.aid = gold.article_id
        pub = gold.published
        self.g_figs = [[figure_slot(f, True) for f in c.figures] for c in gold.claims]
        self.g_dates = [[date_slot(d, pub, True) for d in c.dates] for c in gold.claims]
        self.p_figs = [[figure_slot(f, False) for f in p.figures] for p in preds]
        self.p_dates = [[s for d in p.dates if (s := date_slot(d, pub, False)) is not None] for p in preds]
        self.items: dict[str, list[Item]] = defaultdict(list)
        self._align_claims()

    def _align_claims(self) -> None:
        g_tok = [align.tokens([e.text for e in c.evidence]) for c in self.gold.claims]
        p_tok = [align.tokens([p.text, *p.evidence]) for p in self.preds]
        sim = np.zeros((len(g_tok), len(p_tok)))
        for i in range(len(g_tok)):
            for j in range(len(p_tok)):
                sim[i, j] = align.claim_similarity({
                    "figures": _greedy_similarity(self.g_figs[i], self.p_figs[j], figure_key, judge_figure),
                    "dates": _greedy_similarity(self.g_dates[i], self.p_dates[j], date_key, judge_date),
                    "text": align.dice(g_tok[i], p_tok[j]),
                })  # fmt: skip
        self.claim_pairs = align.assign(sim, align.CLAIM_THRESHOLD)
        self.g2p = {i: j for i, j in self.claim_pairs}

    def _slots(self, field: str, g_slots, p_slots, key, judge):
        """Article-wide slot alignment; records items; returns pairs keyed by (gold claim, pred claim)."""
        g_flat = [(ci, si, s) for ci, slots in enumerate(g_slots) for si, s in enumerate(slots)]
        p_flat = [(cj, s) for cj, slots in enumerate(p_slots) for s in slots]
        same = lambda i, j: self.g2p.get(g_flat[i][0]) == p_flat[j][0]  # noqa: E731
        pairs, missing, spurious = align.align_slots([s for *_, s in g_flat], [s for _, s in p_flat], key, judge, same)
        out = []
        for i, j, outcome, error in pairs:
            ci, si, g = g_flat[i]
            cj, p = p_flat[j]
            out.append((ci, cj, outcome, error, same(i, j), i, j))
            self._item(field, outcome, error, ci, si, g, cj, p)
        for i in missing:
            ci, si, g = g_flat[i]
            self._item(field, MIS, None, ci, si, g, None, None)
        for j in spurious:
            cj, p = p_flat[j]
            self._item(field, SPU, "unparseable_value" if p.value is None else None, None, None, None, cj, p)
        return out, g_flat, p_flat

    def _item(self, field, outcome, error, ci, si, g, cj, p) -> None:
        gc = self.gold.claims[ci].id if ci is not None else None
        self.items[field].append(Item(
            article_id=self.aid, field=field, outcome=OUTCOMES[outcome], error=error,
            gold_key=f"{gc}/{field}/{si}" if gc is not None and si is not None else gc, gold_claim=gc, pred_claim=cj,
            gold_raw=getattr(g, "raw", None), pred_raw=getattr(p, "raw", None),
            gold_value=None if g is None or g.value is None else str(g.value),
            pred_value=None if p is None or p.value is None else str(p.value),
        ))  # fmt: skip

    def score(self) -> None:
        fig_pairs, gf, pf = self._slots("figures", self.g_figs, self.p_figs, figure_key, judge_figure)
        date_pairs, gd, pd = self._slots("dates", self.g_dates, self.p_dates, date_key, judge_date)
        speakers = self.gold.speakers
        # attribution, per claim: aligned pairs are judged; unaligned gold with a speaker is missing, and so on
        spoke_ok: dict[int, bool] = {}
        for ci, c in enumerate(self.gold.claims):
            cj = self.g2p.get(ci)
            pred = self.preds[cj].speaker if cj is not None else None
            outcome, error = judge_speaker(c.speaker, pred, speakers)
            spoke_ok[ci] = outcome in (None, COR)
            if outcome is not None:
                self._speaker_item(outcome, error, c, cj, pred)
        aligned_p = set(self.g2p.values())
        for cj, p in enumerate(self.preds):
            if cj not in aligned_p and p.speaker:
                outcome, error = judge_speaker(None, p.speaker, speakers)
                self._speaker_item(outcome, error, None, cj, p.speaker)
        # whole claims: an aligned pair is correct when every slot on both sides is correct and inside the pair
        perfect_f = _perfect(fig_pairs, gf, pf, self.g2p, len(self.gold.claims))
        perfect_d = _perfect(date_pairs, gd, pd, self.g2p, len(self.gold.claims))
        for ci, c in enumerate(self.gold.claims):
            cj = self.g2p.get(ci)
            if cj is None:
                self.items["claims"].append(Item(article_id=self.aid, field="claims", outcome="missing", gold_key=c.id, gold_claim=c.id))
                continue
            ok = perfect_f[ci] and perfect_d[ci] and spoke_ok[ci]
            self.items["claims"].append(Item(
                article_id=self.aid, field="claims", outcome="correct" if ok else "partial",
                error=None if ok else "slot_errors", gold_key=c.id, gold_claim=c.id, pred_claim=cj,
            ))  # fmt: skip
        for cj in range(len(self.preds)):
            if cj not in aligned_p:
                self.items["claims"].append(Item(article_id=self.aid, field="claims", outcome="spurious", pred_claim=cj))
        # bound figures: a correct value counts only inside its aligned claim with the right dates and speaker
        for item in self.items["figures"]:
            bound = item.model_copy(update={"field": "figures_bound"})
            if item.outcome in ("correct", "partial"):
                ci = next(i for i, c in enumerate(self.gold.claims) if c.id == item.gold_claim)
                if not (self.g2p.get(ci) == item.pred_claim and perfect_d[ci] and spoke_ok[ci]):
                    bound = bound.model_copy(update={"outcome": "incorrect", "error": "unbound"})
            self.items["figures_bound"].append(bound)

    def _speaker_item(self, outcome, error, claim, cj, pred) -> None:
        self.items["attribution"].append(Item(
            article_id=self.aid, field="attribution", outcome=OUTCOMES[outcome], error=error,
            gold_key=None if claim is None or outcome == SPU else claim.id,
            gold_claim=None if claim is None else claim.id, pred_claim=cj,
            gold_raw=None if claim is None else claim.speaker, pred_raw=pred,
        ))  # fmt: skip


def _perfect(pairs, g_flat, p_flat, g2p: dict[int, int], n_claims: int) -> list[bool]:
    """Per gold claim: its slots and its aligned prediction's slots are all correct pairs inside the claim pair."""
    ok = [True] * n_claims
    p2g = {cj: ci for ci, cj in g2p.items()}
    good_g = {i for ci, cj, outcome, _e, same, i, j in pairs if outcome == COR and same}
    good_p = {j for ci, cj, outcome, _e, same, i, j in pairs if outcome == COR and same}
    for i, (ci, _si, _s) in enumerate(g_flat):
        if i not in good_g:
            ok[ci] = False
    for j, (cj, _s) in enumerate(p_flat):
        if j not in good_p and cj in p2g:
            ok[p2g[cj]] = False
    return ok


def _field_score(per_article: dict[str, np.ndarray], n_boot: int, seed: int) -> FieldScore:
    mm = micro_macro(per_article)
    ci = bootstrap_ci(np.stack(list(per_article.values())) if per_article else np.zeros((0, 5)), n_boot, seed)
    total = sum(per_article.values()) if per_article else np.zeros(5, dtype=np.int64)
    ms, mr = mm["micro_strict"], mm["micro_relaxed"]
    return FieldScore(
        **ms, ci=ci["micro_strict"],
        relaxed=PRFInterval(**mr, ci=ci["micro_relaxed"]),
        macro={k: PRFInterval(**mm[f"macro_{k}"], ci=ci[f"macro_{k}"]) for k in ("strict", "relaxed")},
        counts={o: int(n) for o, n in zip(OUTCOMES, total)},
    )  # fmt: skip


def evaluate(
    gold: dict[str, GoldArticle],
    predictions: Iterable[PredictedClaim],
    *,
    article_ids: Iterable[str] | None = None,
    seed: int = 0,
    n_boot: int = 1000,
) -> ScoreReport:
    """Score predictions against the gold of `article_ids` (default: every gold article). Seeded and deterministic."""
    ids = sorted(gold) if article_ids is None else sorted(set(article_ids) & set(gold))
    by_article: dict[str, list[PredictedClaim]] = defaultdict(list)
    ignored: Counter[str] = Counter()
    for p in predictions:
        (by_article[p.article_id].append(p) if p.article_id in gold else ignored.update([p.article_id]))
    counts: dict[str, dict[str, np.ndarray]] = {f: {} for f in SCORED}
    items: list[Item] = []
    per_article: dict[str, dict[str, ArticleFieldScore]] = {}
    unparsed = Counter()
    for aid in ids:
        art = _Article(gold[aid], by_article.get(aid, []))
        art.score()
        unparsed["figures"] += sum(1 for fs in art.p_figs for f in fs if f.value is None)
        unparsed["dates"] += sum(1 for ds in art.p_dates for d in ds if d.value is None)
        per_article[aid] = {}
        for f in SCORED:
            c = count(OUTCOMES.index(it.outcome) for it in art.items[f])
            counts[f][aid] = c
            s, r = prf(c)["strict"], prf(c)["relaxed"]
            per_article[aid][f] = ArticleFieldScore(
                precision=float(s[0]), recall=float(s[1]), f1=float(s[2]),
                relaxed=PRF(precision=float(r[0]), recall=float(r[1]), f1=float(r[2])),
                counts={o: int(n) for o, n in zip(OUTCOMES, c)},
            )  # fmt: skip
            items.extend(art.items[f])
    errors = Counter(it.error for it in items if it.error and it.field != "figures_bound")
    fields = {f: _field_score(counts[f], n_boot, seed + k) for k, f in enumerate(SCORED)}
    return ScoreReport(
        **fields, per_article=per_article, errors=dict(sorted(errors.items())),
        unparsed={"figures": unparsed["figures"], "dates": unparsed["dates"]},
        ignored_predictions=dict(sorted(ignored.items())), seed=seed, n_boot=n_boot, items=items,
    )  # fmt: skip
