"""A run's report as one self-contained HTML file: the Markdown summary's numbers, F1 charts as inline SVG, and a
per-article drill-down with gold and predicted evidence highlighted and every slot marked with its outcome.

jinja2 with autoescape on and StrictUndefined: article text and model output are untrusted data, rendered only as
escaped text. No network: no external CSS, JS, fonts or images, and a Content-Security-Policy that forbids them.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from harness.files import atomic_write_text
from harness.report.markdown import SCORES_NOTE, EntryView, ReportContext, render_markdown
from harness.schema import GoldArticle
from harness.score.grounding import locate
from harness.score.model import Item, ScoreReport
from harness.score.taxonomy import NAMED, claim_flags, describe
from harness.score.vocabulary import OUTCOME_LABELS, OUTCOMES, REPORTED

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> Environment:
    """The report's jinja2 environment: templates shipped with the package, autoescape always on."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)  # fmt: skip
    env.filters["f3"] = lambda x: "n/a" if x is None else f"{x:.3f}"
    env.filters["f2"] = lambda x: "n/a" if x is None else f"{x:.2f}"
    env.filters["pct"] = lambda x: "n/a" if x is None else f"{x:.1%}"
    env.globals.update(LABEL=OUTCOME_LABELS, describe=describe)
    return env


# ---- charts --------------------------------------------------------------------------------------------------


def bar_chart(rows: list[tuple[str, float, list[float] | None]], width: int = 260, label_w: int = 100) -> dict:
    """Geometry of a horizontal bar chart on [0, 1]: one bar per (label, value, [lo, hi]) with a whisker."""
    row_h, top = 24, 18
    out = []
    for i, (label, value, interval) in enumerate(rows):
        y = top + i * row_h
        bar = {"label": label, "y": y, "ty": y + 12, "w": round(max(0.0, min(1.0, value)) * width, 2),
               "value": f"{value:.3f}", "x0": label_w, "vx": label_w + width + 8}  # fmt: skip
        if interval:
            lo, hi = (max(0.0, min(1.0, v)) for v in interval)
            bar.update(lo=round(label_w + lo * width, 2), hi=round(label_w + hi * width, 2), wy=y + 8)
        out.append(bar)
    ticks = [{"x": round(label_w + t * width, 2), "t": f"{t:g}"} for t in (0, 0.25, 0.5, 0.75, 1)]
    height = top + len(rows) * row_h + 4
    return {
        "rows": out,
        "ticks": ticks,
        "width": label_w + width + 60,
        "height": height,
        "x0": label_w,
        "bottom": height - 4,
    }


def f1_chart(report: ScoreReport) -> dict:
    return bar_chart([(f, getattr(report, f).f1, getattr(report, f).ci["f1"]) for f in REPORTED], label_w=130)


def diff_chart(rows: list[tuple[str, float, list[float], float]], width: int = 320, label_w: int = 110) -> dict:
    """Geometry of a centred chart of differences B - A with 95% whiskers and a shaded +-MDD band per row."""
    span = max([0.2, *(abs(v) for _, d, ci, m in rows for v in (d, *ci, m))])
    span = min(1.0, round(span + 0.05, 1))
    mid, row_h, top = label_w + width / 2, 24, 18
    scale = (width / 2) / span
    out = []
    for i, (label, d, ci, mdd) in enumerate(rows):
        y = top + i * row_h
        x = mid + d * scale
        out.append(
            {
                "label": label,
                "y": y,
                "ty": y + 12,
                "wy": y + 8,
                "x": round(min(x, mid), 2),
                "w": round(abs(x - mid), 2),
                "lo": round(mid + ci[0] * scale, 2),
                "hi": round(mid + ci[1] * scale, 2),
                "mlo": round(mid - mdd * scale, 2),
                "mw": round(2 * mdd * scale, 2),
                "value": f"{d:+.3f}",
                "neg": d < 0,
                "vx": label_w + width + 8,
            }
        )
    ticks = [
        {"x": round(mid + t * span * scale, 2), "t": f"{t * span:+.2g}" if t else "0"} for t in (-1, -0.5, 0, 0.5, 1)
    ]
    height = top + len(rows) * row_h + 4
    return {
        "rows": out,
        "ticks": ticks,
        "width": label_w + width + 70,
        "height": height,
        "mid": mid,
        "bottom": height - 4,
    }


# ---- drill-down ----------------------------------------------------------------------------------------------


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


def render_html(ctx: ReportContext) -> str:
    """The whole report as one HTML string."""
    entries = []
    for v in ctx.entries:
        ids = sorted(set(v.samples) | (set(v.entry.articles) if v.entry else set()))
        entries.append({"view": v, "chart": f1_chart(v.report) if v.report else None,
                        "articles": [drilldown(v, a, ctx) for a in ids]})  # fmt: skip
    kinds: list[str] = []
    for v in ctx.entries:
        kinds += [k for k in (v.taxonomy.counts if v.taxonomy else {}) if k not in kinds]
    return environment().get_template("report.html.j2").render(
        ctx=ctx, record=ctx.record, entries=entries, groups=ctx.groups, kinds=kinds, named=NAMED,
        shown=REPORTED, counts=OUTCOMES, leader_fields=REPORTED, scores_note=SCORES_NOTE,
        failed=[s for s in ctx.record.samples if not s.ok],
        fail_kinds=sorted({k for g in ctx.groups for k in g.failures_by_kind}),
    )  # fmt: skip


def write_report(ctx: ReportContext, out_dir: Path) -> tuple[Path, Path]:
    """Write `report.md` and `report.html` into `out_dir`; returns their paths."""
    out_dir = Path(out_dir)
    md, html = out_dir / "report.md", out_dir / "report.html"
    atomic_write_text(md, render_markdown(ctx))
    atomic_write_text(html, render_html(ctx))
    return md, html


def write_run_report(run_path: Path, record=None, out_dir: Path | None = None, articles: Path | None = None,
                     gold: Path | None = None) -> tuple[Path, Path]:  # fmt: skip
    """`report.md` and `report.html` of the run at `run_path` (a folder or its run.json), into `out_dir` or the run's
    folder; `record` saves re-reading run.json when the caller already holds it (as `harness run` does)."""
    from harness.records import read_run
    from harness.report.markdown import load_sources, report_context

    run_path = Path(run_path)
    record = record if record is not None else read_run(run_path)
    arts, g, notes = load_sources(record, articles, gold)
    folder = run_path if run_path.is_dir() else run_path.parent
    return write_report(report_context(record, arts, g, notes), out_dir or folder)
