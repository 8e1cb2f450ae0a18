"""A run's report as one self-contained HTML file: the Markdown summary's numbers, F1 charts as inline SVG, and a
per-article drill-down with gold and predicted evidence highlighted and every slot marked with its outcome.

jinja2 with autoescape on and StrictUndefined: article text and model output are untrusted data, rendered only as
escaped text. No network: no external CSS, JS, fonts or images, and a Content-Security-Policy that forbids them;
the one script, the item explorer's (report/explore.py), is inline and allowed by its sha256.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from harness.files import atomic_write_text
from harness.records import RunRecord, read_run
from harness.report.charts import f1_chart
from harness.report.context import ReportContext, load_sources, report_context
from harness.report.drilldown import drilldown
from harness.report.explore import csp, outcome_rank, run_explorer, script
from harness.report.markdown import render_markdown
from harness.report.view import REPEATS_NOTE, SCORES_NOTE, ceiling_note, f2, report_view
from harness.score.taxonomy import describe
from harness.score.vocabulary import OUTCOME_LABELS

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> Environment:
    """The report's jinja2 environment: templates shipped with the package, autoescape always on."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)  # fmt: skip
    env.filters["f2"] = f2
    env.filters["pct"] = lambda x: "n/a" if x is None else f"{x:.1%}"
    env.globals.update(LABEL=OUTCOME_LABELS, describe=describe, outcome_rank=outcome_rank)
    return env


def render_html(ctx: ReportContext) -> str:
    """The whole report as one HTML string: the view's tables, an F1 chart per scored entry, the drill-down."""
    view = report_view(ctx)
    entries = []
    for e in view.entries:
        v = e.view
        ids = sorted(set(v.samples) | (set(v.entry.articles) if v.entry else set()))
        entries.append({"view": v, "scores": e.scores, "per_article": e.per_article,
                        "chart": f1_chart(v.report) if v.report else None,
                        "articles": [drilldown(v, a, ctx) for a in ids]})  # fmt: skip
    env = environment()
    explorer = run_explorer(ctx)
    code, source = script(env) if explorer else ("", None)
    return env.get_template("report.html.j2").render(
        csp=csp(source),
        script=code,
        explorer=explorer,
        ctx=ctx,
        record=ctx.record,
        entries=entries,
        report=view,
        scores_note=SCORES_NOTE,
        repeats_note=REPEATS_NOTE,
        ceiling_note=ceiling_note(ctx.record.ceiling) if ctx.record.ceiling else "",
    )


def write_report(ctx: ReportContext, out_dir: Path) -> tuple[Path, Path]:
    """Write `report.md` and `report.html` into `out_dir`; returns their paths."""
    out_dir = Path(out_dir)
    md, html = out_dir / "report.md", out_dir / "report.html"
    atomic_write_text(md, render_markdown(ctx))
    atomic_write_text(html, render_html(ctx))
    return md, html


def write_run_report(run_path: Path, record: RunRecord | None = None, out_dir: Path | None = None,
                     articles: Path | None = None, gold: Path | None = None) -> tuple[Path, Path]:  # fmt: skip
    """`report.md` and `report.html` of the run at `run_path` (a folder or its run.json), into `out_dir` or the run's
    folder; `record` saves re-reading run.json when the caller already holds it (as `harness run` does)."""
    run_path = Path(run_path)
    record = record if record is not None else read_run(run_path)
    arts, g, notes = load_sources(record, articles, gold)
    folder = run_path if run_path.is_dir() else run_path.parent
    return write_report(report_context(record, arts, g, notes), out_dir or folder)
