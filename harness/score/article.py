"""Articles scored: ground the predicted claims -> match claims -> score slots inside matched pairs -> items and counts.

A predicted claim is matched to a gold claim by what it says and where (its text and its evidence located in the
article against the gold claim's evidence spans); figures, dates and the speaker are then scored only inside
matched pairs (MUC template scoring). A value on an unmatched claim is spurious; a gold value whose claim found
no match is missing. Written for corpora of thousands of articles: slots, verdicts and speaker judgements come
from caches keyed by content, and claim similarities of a chunk of articles are one numpy pass. docs/SCORING.md §4.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from harness.normalize.names import is_outlet, resolve_speaker
from harness.schema import GoldArticle, PredictedClaim
from harness.score.align import SlotField, assign, reset_word_ids, text_ids, word_ids
from harness.score.grounding import ground, location_similarity, only_in_noise
from harness.score.judge import (
    date_key,
    figure_key,
    judge_date,
    judge_figure,
    judge_speaker,
    make_date_slot,
    make_figure_slot,
    unreadable_date,
)  # fmt: skip
from harness.score.metrics import dice
from harness.score.similarity import align_claims
from harness.score.vocabulary import COR, CREDIT, INC, MIS, OUTCOMES, PAR, REPORTED, SPU

CHUNK = 200  # articles whose claim similarities are computed together
GROUNDING_KEYS = (
    "quotes",
    "exact",
    "normalised",
    "fuzzy",
    "ungrounded_evidence",
    "from_noise_claims",
    "from_noise_values",
)
_JUDGED: dict[tuple, dict] = {}  # speaker list signature -> {(gold, predicted): judge_speaker result}
_RESOLVED: dict[tuple, dict] = {}  # speaker list signature -> {name: resolve_speaker result}


def _speaker_judge(speakers):
    """judge_speaker for one article's speaker list, remembered per list content (names recur across articles)."""
    signature = tuple((sp.name, tuple(sp.aliases), sp.organisation) for sp in speakers)
    if signature not in _JUDGED:
        if len(_JUDGED) > 10_000:
            _JUDGED.clear()
            _RESOLVED.clear()
        _JUDGED[signature], _RESOLVED[signature] = {}, {}
    judged, resolved = _JUDGED[signature], _RESOLVED[signature]

    def resolve(name: str) -> str | None:
        if name not in resolved:
            resolved[name] = resolve_speaker(name, speakers)
        return resolved[name]

    def judge(gold: str | None, pred: str | None):
        key = (gold, pred)
        if key not in judged:
            judged[key] = judge_speaker(gold, pred, speakers, resolve)
        return judged[key]

    return judge


class _Prepared:
    """One article read once: claim ids and speakers, slots, judged slot pairs, word sets and, when the article
    text is known, where each predicted claim stands in it (all the later steps need)."""

    __slots__ = (
        "aid",
        "blocked",
        "dates",
        "figs",
        "g_speaker",
        "g_tok",
        "grounding",
        "ids",
        "loc",
        "noise_d",
        "noise_f",
        "p_speaker",
        "p_tok",
        "speakers",
    )  # fmt: skip

    def __init__(self, gold: GoldArticle, preds: list[PredictedClaim], text: str | None):
        self.aid, self.speakers, pub = gold.article_id, gold.speakers, gold.published
        fs, ds = make_figure_slot, make_date_slot
        self.ids, self.g_speaker, g_figs, g_dates, self.g_tok = [], [], [], [], []
        for c in gold.claims:
            self.ids.append(c.id)
            self.g_speaker.append(c.attribution.speaker)
            g_figs.append([fs(f.raw, f.value, f.unit, f.approx, f.qualifier, True) for f in c.figures])
            g_dates.append([ds(d.raw, d.value, d.role, pub, True) for d in c.dates])
            ev = c.evidence
            self.g_tok.append(text_ids(ev[0].text) if len(ev) == 1 else word_ids([e.text for e in ev]))
        self.p_speaker, p_figs, p_dates, self.p_tok = [], [], [], []
        for p in preds:
            self.p_speaker.append(p.speaker)
            p_figs.append([fs(f.raw, f.value, f.unit, f.approx, f.qualifier, False) for f in p.figures])
            p_dates.append([s for d in p.dates if (s := ds(d.raw, d.value, d.role, pub, False)) is not None])
            self.p_tok.append(word_ids([p.text, *p.evidence]) if p.evidence else text_ids(p.text))
        self.figs = SlotField("figures", g_figs, p_figs, figure_key, judge_figure)
        self.dates = SlotField("dates", g_dates, p_dates, date_key, judge_date)
        self.loc: dict[tuple[int, int], float] = {}
        self.blocked: set[int] = set()
        self.noise_f: set[int] = set()
        self.noise_d: set[int] = set()
        self.grounding = dict.fromkeys(GROUNDING_KEYS, 0)
        if text is not None:
            self._ground(gold, preds, text)

    def _ground(self, gold: GoldArticle, preds: list[PredictedClaim], text: str) -> None:
        """Locate every predicted quote; block claims from noise; note values found only inside noise."""
        noise = [(e.start, e.end) for e in gold.noise]
        regions = [[(e.start, e.end) for e in c.evidence] for c in gold.claims]
        counts = self.grounding
        for j, p in enumerate(preds):
            g = ground(p.text, p.evidence, text, noise)
            counts["quotes"] += len(g.found)
            for how in g.found:
                counts[how or "ungrounded_evidence"] += 1
            if g.from_noise:
                self.blocked.add(j)
                counts["from_noise_claims"] += 1
                continue
            for i, region in enumerate(regions):
                if v := location_similarity(g.anchors, region):
                    self.loc[i, j] = v
        for field, out in ((self.figs, self.noise_f), (self.dates, self.noise_d)):
            out.update(j for j, s in enumerate(field.p) if only_in_noise(s.raw, text, noise))
        counts["from_noise_values"] = len(self.noise_f) + len(self.noise_d)


def score_articles(articles: list[tuple[GoldArticle, list[PredictedClaim], str | None]]):
    """Score (gold, predictions, article text or None) in order. Returns (outcome counts per article as
    [field][outcome] in REPORTED order, the matched claims' credits per article, items as tuples of Item's fields,
    error types, unreadable predicted figures, dates, grounding counts)."""
    counts: list[np.ndarray] = []
    credits: list[list[float]] = []
    rows: list[tuple] = []
    errors: list[str] = []
    unread_f = unread_d = 0
    grounding = Counter(dict.fromkeys(GROUNDING_KEYS, 0))
    for lo in range(0, len(articles), CHUNK):
        reset_word_ids()
        prepared = [_Prepared(g, p, t) for g, p, t in articles[lo : lo + CHUNK]]
        for art, (g2p, eligible) in zip(prepared, align_claims(prepared), strict=True):
            c, cr = _finish(art, g2p, eligible, rows, errors)
            counts.append(c)
            credits.append(cr)
            unread_f += sum(1 for s in art.figs.p if s.value is None)
            unread_d += sum(1 for s in art.dates.p if s.value is None)
            grounding.update(art.grounding)
            errors += ["ungrounded_evidence"] * art.grounding["ungrounded_evidence"]
    return counts, credits, rows, dict(Counter(errors)), unread_f, unread_d, dict(grounding)


def _claim_reasons(art: _Prepared, g2p: dict[int, int], eligible: set[int]) -> dict[int, str]:
    """Why each unmatched predicted claim matched nothing: from_noise, duplicate (it could have matched a gold claim
    that another prediction took) or not_in_gold (a statement the gold does not count)."""
    matched = set(g2p.values())
    out = {}
    for cj in range(len(art.p_speaker)):
        if cj not in matched:
            out[cj] = "from_noise" if cj in art.blocked else "duplicate" if cj in eligible else "not_in_gold"
    return out


def _inside_pairs(field: SlotField, g2p: dict[int, int], noise: set[int]):
    """Slots paired only inside matched claim pairs: credited pairs first (maximum total credit), then each leftover
    gold slot with the next leftover predicted slot of the same pair, judged (usually a wrong value). A predicted
    value found only in scraped noise is never paired. Returns ([(i, j, outcome, error)], missing i, spurious j)."""
    g_claim, p_claim, verdicts = field.g_claim, field.p_claim, field.verdicts
    found: dict[int, list[tuple[float, int, int]]] = {}
    for i, j, c in field.credited:
        ci = g_claim[i]
        if g2p.get(ci) == p_claim[j] and j not in noise:
            found.setdefault(ci, []).append((c, i, j))
    pairs, used_g, used_p = [], set(), set()
    for cands in found.values():
        if len(cands) > 1:  # a claim pair with several credited slot pairs: the best one-to-one choice of them
            gs, ps = sorted({i for _c, i, _j in cands}), sorted({j for _c, _i, j in cands})
            w = np.zeros((len(gs), len(ps)))
            for c, i, j in cands:
                w[gs.index(i), ps.index(j)] = c
            cands = [(0.0, gs[a], ps[b]) for a, b in assign(w)]
        for _c, i, j in cands:
            pairs.append((i, j, *verdicts[i, j]))
            used_g.add(i)
            used_p.add(j)
    left_p: dict[int, list[int]] = {}
    for j, cj in enumerate(p_claim):
        if j not in used_p and j not in noise:
            left_p.setdefault(cj, []).append(j)
    for i, ci in enumerate(g_claim):
        pj = g2p.get(ci)
        if i in used_g or pj is None or not left_p.get(pj):
            continue
        j = left_p[pj].pop(0)
        pairs.append((i, j, *field.judge(field.g[i], field.p[j])))
        used_g.add(i)
        used_p.add(j)
    missing = [i for i in range(len(field.g)) if i not in used_g]
    spurious = [j for j in range(len(field.p)) if j not in used_p]
    return sorted(pairs), missing, spurious


def _finish(art: _Prepared, g2p: dict[int, int], eligible: set[int], rows: list[tuple], errors: list[str]):
    """Every field of one article whose claims are matched: appends its items (field by field, in REPORTED order) to
    rows and its error types to errors; returns its counts and the credit of each matched claim pair."""
    aid, ids = art.aid, art.ids
    counts = [[0] * 5 for _ in REPORTED]
    reasons = _claim_reasons(art, g2p, eligible)
    earned = {ci: [0.0, 0, 0] for ci in g2p}  # matched gold claim -> [credit, gold slots, predicted slots]
    for k, (field, noise) in enumerate(((art.figs, art.noise_f), (art.dates, art.noise_d))):
        name, cnt = field.name, counts[k]
        pairs, missing, spurious = _inside_pairs(field, g2p, noise)
        for i, j, outcome, error in pairs:
            g, p, gid = field.g[i], field.p[j], ids[field.g_claim[i]]
            rows.append((aid, name, OUTCOMES[outcome], error, f"{gid}/{name}/{field.g_index[i]}", gid, field.p_claim[j],
                         g.raw, p.raw, g.text, p.text))  # fmt: skip
            cnt[outcome] += 1
            earned[field.g_claim[i]][0] += CREDIT[outcome]
            if error:
                errors.append(error)
        for i in missing:
            ci, g = field.g_claim[i], field.g[i]
            rows.append((aid, name, "missing", None, f"{ids[ci]}/{name}/{field.g_index[i]}", ids[ci], None, g.raw, None,
                         g.text, None))  # fmt: skip
        cnt[MIS] += len(missing)
        for j in spurious:
            p, cj = field.p[j], field.p_claim[j]
            error = "from_noise" if j in noise else reasons.get(cj) or _unreadable(name, p)
            if error and (j in noise or cj not in reasons):  # a claim-level reason is counted once, on the claim
                errors.append(error)
            rows.append((aid, name, "spurious", error, None, None, cj, None, p.raw, None, p.text))
        cnt[SPU] += len(spurious)
        for ci, cj in g2p.items():
            earned[ci][1] += field.g_len[ci]
            earned[ci][2] += field.p_len[cj]
    _attribution(art, g2p, reasons, earned, rows, counts[2], errors)
    credits = _claims(art, g2p, reasons, earned, rows, counts[3], counts[4], errors)
    for k, (field, name) in enumerate(((art.figs, "figures_anywhere"), (art.dates, "dates_anywhere")), start=5):
        _anywhere(aid, ids, field, name, g2p, rows, counts[k])
    return counts, credits


def _unreadable(name: str, p) -> str | None:
    """The error type of a predicted value the normalisers could not read, None for a readable one."""
    if p.value is not None:
        return None
    return unreadable_date(p.raw) if name == "dates" else "unparseable_value"


def _attribution(art: _Prepared, g2p, reasons, earned, rows: list[tuple], cnt: list[int], errors: list[str]) -> None:
    """Speakers of matched pairs are judged; an unmatched gold speaker is missing, an unmatched predicted one spurious
    (labelled with its claim's reason, or outlet_as_speaker)."""
    aid, judge, p_speaker = art.aid, _speaker_judge(art.speakers), art.p_speaker
    for ci, (gid, speaker) in enumerate(zip(art.ids, art.g_speaker, strict=True)):
        cj = g2p.get(ci)
        pred = p_speaker[cj] if cj is not None else None
        outcome, error = judge(speaker, pred)
        if cj is not None:
            e = earned[ci]
            e[1] += speaker is not None
            e[2] += bool(pred)
            if outcome is not None:
                e[0] += CREDIT[outcome]
        if outcome is not None:
            rows.append((aid, "attribution", OUTCOMES[outcome], error, None if outcome == SPU else gid, gid, cj,
                         speaker, pred, None, None))  # fmt: skip
            cnt[outcome] += 1
            if error:
                errors.append(error)
    for cj, reason in reasons.items():
        pred = p_speaker[cj]
        if pred:
            error = "outlet_as_speaker" if is_outlet(pred) else reason
            rows.append((aid, "attribution", "spurious", error, None, None, cj, None, pred, None, None))
            cnt[SPU] += 1
            if error == "outlet_as_speaker":
                errors.append(error)


def _claims(
    art: _Prepared, g2p, reasons, earned, rows, cnt: list[int], exact: list[int], errors: list[str]
) -> list[float]:
    """The graded claim score (CEAF-RME): a matched pair earns the slot F1 inside it, 2 x credit / (gold slots +
    predicted slots), 1 when neither has a slot; claims_exact keeps the all-or-nothing verdict. Returns the credits."""
    aid, credits = art.aid, []
    for ci, gid in enumerate(art.ids):
        cj = g2p.get(ci)
        if cj is None:
            rows.append((aid, "claims", "missing", None, gid, gid, None, None, None, None, None, 0.0))
            rows.append((aid, "claims_exact", "missing", None, gid, gid, None, None, None, None, None))
            cnt[MIS] += 1
            exact[MIS] += 1
            continue
        got, n_g, n_p = earned[ci]
        credit = dice(got, n_g, n_p, empty=1.0)  # a matched pair with no slots on either side earns full credit
        outcome = COR if credit >= 1.0 else PAR if credit > 0 else INC
        error = None if outcome == COR else "slot_errors"
        rows.append((aid, "claims", OUTCOMES[outcome], error, gid, gid, cj, None, None, None, None, credit))
        rows.append((aid, "claims_exact", "correct" if outcome == COR else "incorrect", error, gid, gid, cj,
                     None, None, None, None))  # fmt: skip
        cnt[outcome] += 1
        exact[COR if outcome == COR else INC] += 1
        credits.append(credit)
    for cj, reason in reasons.items():
        rows.append((aid, "claims", "spurious", reason, None, None, cj, None, None, None, None, 0.0))
        rows.append((aid, "claims_exact", "spurious", reason, None, None, cj, None, None, None, None))
        cnt[SPU] += 1
        exact[SPU] += 1
        errors.append(reason)
    return credits


def _anywhere(aid: str, ids: list[str], field: SlotField, name: str, g2p, rows: list[tuple], cnt: list[int]) -> None:
    """The value-anywhere diagnostic: slots paired across the whole article whatever claim holds them (a right value
    on the wrong claim counts here, never in the headline fields). Its error types are not counted again."""
    pairs, missing, spurious = field.align(g2p)
    for i, j, outcome, error in pairs:
        g, p, gid = field.g[i], field.p[j], ids[field.g_claim[i]]
        rows.append((aid, name, OUTCOMES[outcome], error, f"{gid}/{field.name}/{field.g_index[i]}", gid,
                     field.p_claim[j], g.raw, p.raw, g.text, p.text))  # fmt: skip
        cnt[outcome] += 1
    for i in missing:
        ci, g = field.g_claim[i], field.g[i]
        rows.append((aid, name, "missing", None, f"{ids[ci]}/{field.name}/{field.g_index[i]}", ids[ci], None, g.raw,
                     None, g.text, None))  # fmt: skip
    cnt[MIS] += len(missing)
    for j in spurious:
        p = field.p[j]
        rows.append((aid, name, "spurious", None, None, None, field.p_claim[j], None, p.raw, None, p.text))
    cnt[SPU] += len(spurious)
