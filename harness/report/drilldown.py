"""One article's panel of the HTML report for one entry: its text cut into highlighted pieces (gold evidence,
predicted quotes, scraped noise), and the gold and predicted claims with every slot marked with its outcome.
"""

from __future__ import annotations

import itertools

from harness.report.context import EntryView, ReportContext
from harness.schema import GoldArticle
from harness.score.grounding import locate
from harness.score.model import Item
from harness.score.taxonomy import claim_flags
from harness.score.vocabulary import REPORTED


def segments(text: str, spans: list[tuple[int, int, str, str]]) -> list[dict]:
    """Cut `text` at every span boundary; each piece carries the kinds ("gold", "pred", "noise") and labels
    of the spans covering it, so overlapping highlights need no nesting."""
    ends = [min(max(x, 0), len(text)) for s, e, *_ in spans for x in (s, e)]
    cuts = sorted({0, len(text), *ends})
    out: list[dict] = []
    for a, b in itertools.pairwise(cuts):
        cover = [(k, lab) for s, e, k, lab in spans if s <= a and b <= e]
        kinds = " ".join(sorted({k for k, _ in cover}))
        title = "; ".join(dict.fromkeys(lab for _, lab in cover))
        if out and out[-1]["cls"] == kinds and out[-1]["title"] == title:
            out[-1]["text"] += text[a:b]
        else:
            out.append({"text": text[a:b], "cls": kinds, "title": title})
    return out


def _slot(item: Item | None, raw: str, **extra) -> dict:
    base = {"raw": raw, "outcome": "unscored", "error": None, "hallucinated": None}
    if item is not None:
        base.update(outcome=item.outcome, error=item.error)
    return {**base, **extra}


def _pred_items(items: list[Item], field: str, j: int) -> list[Item]:
    return [it for it in items if it.field == field and it.pred_claim == j]


def _take(pool: list[Item], raw: str) -> Item | None:
    """The first unused item of a predicted claim whose raw text is `raw` (slots are scored in claim order)."""
    for k, it in enumerate(pool):
        if it.pred_raw == raw:
            return pool.pop(k)
    return None


def drilldown(view: EntryView, aid: str, ctx: ReportContext) -> dict:
    """Everything one article's panel shows for one entry: text pieces, gold claims and predicted claims."""
    sample = view.samples.get(aid)
    art, g = ctx.articles.get(aid), ctx.gold.get(aid)
    items = [it for it in view.report.items if it.article_id == aid] if view.report else []
    preds = sample.claims if sample else []
    spans: list[tuple[int, int, str, str]] = []
    pred_rows = []
    for j, p in enumerate(preds):
        fl = claim_flags(p, art.text, g.noise if g else (), g.published if g else None) if art else None
        pf, pd = _pred_items(items, "figures", j), _pred_items(items, "dates", j)
        attr = next(iter(_pred_items(items, "attribution", j)), None)
        claim = next(iter(_pred_items(items, "claims", j)), None)
        pred_rows.append({
            "n": j + 1, "text": p.text, "speaker": p.speaker,
            "evidence": [{"text": q, "found": bool(locate(q, art.text)[0]) if art else None} for q in p.evidence],
            "figures": [_slot(_take(pf, f.raw), f.raw, hallucinated=fl.figures[k] if fl else None)
                        for k, f in enumerate(p.figures)],
            "dates": [_slot(_take(pd, d.raw), d.raw, hallucinated=fl.dates[k] if fl else None)
                      for k, d in enumerate(p.dates)],
            "attribution": _slot(attr, p.speaker or "") if attr else None,
            "claim": {"outcome": claim.outcome if claim else "unscored", "gold": claim.gold_claim if claim else None,
                      "credit": claim.credit if claim else None, "error": claim.error if claim else None},
            "from_noise": bool(fl and fl.from_noise), "located": bool(fl and fl.located),
        })  # fmt: skip
        spans += [(s, e, "pred", f"predicted #{j + 1}") for s, e in (fl.located if fl else [])]
    gold_rows = _gold_rows(g, items) if g and view.report else []
    if g:
        spans += [(e.start, e.end, "gold", f"gold {c.id}") for c in g.claims for e in c.evidence]
        spans += [(n.start, n.end, "noise", "scraped noise") for n in g.noise]
    per = view.report.per_article.get(aid) if view.report else None
    return {
        "article_id": aid, "id": f"{view.anchor}-{aid}",
        "sample": sample, "segments": segments(art.text, spans) if art else [],
        "gold_rows": gold_rows, "pred_rows": pred_rows,
        "scores": [{"field": f, "f1": per[f].f1, "counts": per[f].counts} for f in REPORTED] if per else [],
    }  # fmt: skip


def _gold_rows(g: GoldArticle, items: list[Item]) -> list[dict]:
    by_key = {(it.field, it.gold_key): it for it in items if it.gold_key}
    rows = []
    for c in g.claims:
        claim = by_key.get(("claims", c.id))
        attr = by_key.get(("attribution", c.id))
        rows.append({
            "id": c.id, "statement": c.statement, "speaker": c.speaker,
            "figures": [_slot(by_key.get(("figures", f"{c.id}/figures/{k}")), f.raw) for k, f in enumerate(c.figures)],
            "dates": [_slot(by_key.get(("dates", f"{c.id}/dates/{k}")), d.raw) for k, d in enumerate(c.dates)],
            "attribution": _slot(attr, attr.pred_raw or "—") if attr else None,
            "claim": {"outcome": claim.outcome if claim else "unscored", "credit": claim.credit if claim else None,
                      "pred": claim.pred_claim + 1 if claim and claim.pred_claim is not None else None},
        })  # fmt: skip
    return rows
