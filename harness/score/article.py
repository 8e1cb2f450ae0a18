"""Articles scored: slots -> claim alignment -> slot alignment -> outcome items and counts for every field.

Written for corpora of thousands of articles: slots, verdicts and speaker judgements come from caches keyed by
content, loops run over plain lists, and the claim similarity of a whole chunk of articles is one numpy pass
(harness.score.similarity). The steps and their rules are docs/SCORING.md §4.
"""

from __future__ import annotations

from collections import Counter

from harness.normalize.names import resolve_speaker
from harness.schema import GoldArticle, PredictedClaim
from harness.score.align import SlotField, reset_word_ids, text_ids, word_ids
from harness.score.judge import (
    date_key, figure_key, judge_date, judge_figure, judge_speaker, make_date_slot, make_figure_slot,
)
from harness.score.metrics import COR, MIS, OUTCOMES, PAR, SPU
from harness.score.similarity import align_claims

SCORED = ("figures", "dates", "attribution", "claims", "figures_bound")
CHUNK = 200  # articles whose claim similarities are computed together
_CODE = {o: n for n, o in enumerate(OUTCOMES)}
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
    """One article read once: claim ids and speakers, slots, judged slot pairs and word sets (all the later steps
    need; pydantic records are not touched again)."""

    __slots__ = ("aid", "speakers", "ids", "g_speaker", "p_speaker", "figs", "dates", "g_tok", "p_tok")

    def __init__(self, gold: GoldArticle, preds: list[PredictedClaim]):
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


def score_articles(articles: list[tuple[GoldArticle, list[PredictedClaim]]]):
    """Score articles in order. Returns (outcome counts per article as [field][outcome] in SCORED order, items as
    tuples of Item's fields, error types over the fields but figures_bound, unreadable predicted figures, dates)."""
    counts, rows, errors = [], [], []
    unread_f = unread_d = 0
    for lo in range(0, len(articles), CHUNK):
        reset_word_ids()
        prepared = [_Prepared(g, p) for g, p in articles[lo : lo + CHUNK]]
        for art, g2p in zip(prepared, align_claims(prepared)):
            counts.append(_finish(art, g2p, rows, errors))
            unread_f += sum(1 for s in art.figs.p if s.value is None)
            unread_d += sum(1 for s in art.dates.p if s.value is None)
    return counts, rows, dict(Counter(errors)), unread_f, unread_d


def _finish(art: _Prepared, g2p: dict[int, int], rows: list[tuple], errors: list[str]) -> list[list[int]]:
    """Slot alignment, attribution, whole claims and bound figures of one article whose claims are aligned: appends
    its items (field by field, in SCORED order) to rows and its error types to errors; returns its counts."""
    aid, ids = art.aid, art.ids
    counts = [[0] * 5 for _ in SCORED]
    p2g = {cj: ci for ci, cj in g2p.items()}
    perfect, out_figs = [], []
    for field, cnt in zip((art.figs, art.dates), counts):
        name, g_claim, g_index, p_claim, gs, ps = field.name, field.g_claim, field.g_index, field.p_claim, field.g, field.p
        out = out_figs if name == "figures" else rows
        pairs, missing, spurious = field.align(g2p)
        ok = [True] * len(ids)
        good_p = set()
        for i, j, outcome, error in pairs:
            ci, cj = g_claim[i], p_claim[j]
            if outcome == COR and g2p.get(ci) == cj:
                good_p.add(j)
            else:
                ok[ci] = False
            g, p, gid = gs[i], ps[j], ids[ci]
            out.append((aid, name, OUTCOMES[outcome], error, f"{gid}/{name}/{g_index[i]}", gid, cj, g.raw, p.raw, g.text, p.text))
            cnt[outcome] += 1
            if error:
                errors.append(error)
        for i in missing:
            ci, g = g_claim[i], gs[i]
            ok[ci] = False
            out.append((aid, name, "missing", None, f"{ids[ci]}/{name}/{g_index[i]}", ids[ci], None, g.raw, None, g.text, None))
        cnt[MIS] += len(missing)
        unreadable = "unparseable_date" if name == "dates" else "unparseable_value"
        for j in spurious:
            p = ps[j]
            error = unreadable if p.value is None else None
            out.append((aid, name, "spurious", error, None, None, p_claim[j], None, p.raw, None, p.text))
            if error:
                errors.append(error)
        cnt[SPU] += len(spurious)
        for j, cj in enumerate(p_claim):
            if cj in p2g and j not in good_p:
                ok[p2g[cj]] = False
        perfect.append(ok)
        if name == "figures":
            rows += out_figs
    good_f, good_d = perfect
    spoke_ok = _attribution(art, g2p, rows, counts[2], errors)
    cnt = counts[3]
    for ci, gid in enumerate(ids):
        cj = g2p.get(ci)
        if cj is None:
            rows.append((aid, "claims", "missing", None, gid, gid, None, None, None, None, None))
            cnt[MIS] += 1
        elif good_f[ci] and good_d[ci] and spoke_ok[ci]:
            rows.append((aid, "claims", "correct", None, gid, gid, cj, None, None, None, None))
            cnt[COR] += 1
        else:
            rows.append((aid, "claims", "partial", "slot_errors", gid, gid, cj, None, None, None, None))
            cnt[PAR] += 1
            errors.append("slot_errors")
    for cj in range(len(art.p_speaker)):
        if cj not in p2g:
            rows.append((aid, "claims", "spurious", None, None, None, cj, None, None, None, None))
            cnt[SPU] += 1
    # bound figures: a credited value counts only inside its aligned claim with the right dates and speaker
    index = {c: ci for ci, c in enumerate(ids)}
    cnt = counts[4]
    for r in out_figs:
        outcome, error = r[2], r[3]
        if outcome == "correct" or outcome == "partial":
            ci = index[r[5]]
            if not (g2p.get(ci) == r[6] and good_d[ci] and spoke_ok[ci]):
                outcome, error = "incorrect", "unbound"
        rows.append((aid, "figures_bound", outcome, error, *r[4:]))
        cnt[_CODE[outcome]] += 1
    return counts


def _attribution(art: _Prepared, g2p: dict[int, int], rows: list[tuple], cnt: list[int], errors: list[str]) -> list[bool]:
    """Speakers of aligned pairs are judged; an unaligned gold speaker is missing, an unaligned predicted one spurious.
    Returns, per gold claim, whether its attribution is right (or there is none to get right)."""
    aid, judge, p_speaker = art.aid, _speaker_judge(art.speakers), art.p_speaker
    ok = []
    for ci, (gid, speaker) in enumerate(zip(art.ids, art.g_speaker)):
        cj = g2p.get(ci)
        pred = p_speaker[cj] if cj is not None else None
        outcome, error = judge(speaker, pred)
        ok.append(outcome is None or outcome == COR)
        if outcome is not None:
            rows.append((aid, "attribution", OUTCOMES[outcome], error, None if outcome == SPU else gid, gid, cj,
                         speaker, pred, None, None))  # fmt: skip
            cnt[outcome] += 1
            if error:
                errors.append(error)
    aligned_p = set(g2p.values())
    for cj, pred in enumerate(p_speaker):
        if cj not in aligned_p and pred:
            outcome, error = judge(None, pred)
            rows.append((aid, "attribution", OUTCOMES[outcome], error, None, None, cj, None, pred, None, None))
            cnt[outcome] += 1
            if error:
                errors.append(error)
    return ok
