"""The report's view model: a `Table` is columns and rows of cells, defined once and rendered to Markdown
(`markdown.md_table`) and to HTML (the `table` macro of templates/_macros.j2) from the same data.

The functions below build the run report's tables from a ReportContext; compare, gate and leaderboard build theirs
next to their own rendering. Where the two formats differ on purpose (HTML has tooltips, links and wider columns),
the cell or column says so in a field of its own, so that every value is still written in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.report.context import EntryView, ReportContext
from harness.score.model import HumanCeiling, ScoreReport
from harness.score.repeats import repeat_fields
from harness.score.taxonomy import Taxonomy, describe
from harness.score.vocabulary import OUTCOME_LABELS, OUTCOMES, REPORTED

SCORES_NOTE = (  # plain text: it is shown in Markdown and in HTML alike
    "Strict micro P/R/F1 per field, each with its 95% bootstrap interval (items resampled within articles); relaxed F1 "
    "gives partial matches half credit. Figures, dates and attribution are scored only inside claims matched to the "
    "gold by their text and quoted evidence; claims is graded (each matched claim earns the F1 of its slots), "
    "claims_exact is all or nothing; figures_anywhere and dates_anywhere are diagnostics that credit a value "
    "wherever it stands in the article. See docs/SCORING.md."
)
REPEATS_NOTE = (
    "Per (prompt, model) asked more than once: each repeat's strict micro F1, their mean, the sample standard "
    "deviation (n − 1) and min–max — how much the model's own sampling moves the score on these items — beside the "
    "F1 of the items averaged over the repeats with its item-level 95% interval (gold items bootstrapped within "
    "articles, each with all its repeats) — how much the score depends on which items the gold holds. "
    "See docs/SCORING.md §7."
)


@dataclass(frozen=True)
class Cell:
    """One table cell: plain text, escaped by each renderer, with how to show it.

    strong / code: emphasis or literal text in both formats. aside: secondary text after the value (an interval),
    muted in HTML. head: a row's header (HTML <th>, bold in Markdown). title, href, css: HTML only (tooltip, link
    to an anchor of the page, class). note: shown after the value in Markdown only, where the HTML has the title.
    """

    text: str
    strong: bool = False
    code: bool = False
    aside: str = ""
    head: bool = False
    title: str = ""
    href: str = ""
    css: str = ""
    note: str = ""


@dataclass(frozen=True)
class Column:
    """A column: its header, right-aligned when numeric, an HTML class for its cells; `html_header` where the page
    words it differently (outcome display labels, "F1" per field), `markdown=False` for a column only HTML shows."""

    header: str
    numeric: bool = False
    css: str = ""
    html_header: str | None = None
    markdown: bool = True


@dataclass
class Row:
    """One row: a cell per column, and its data-* attributes (what tests select rows by). A total row is set off:
    HTML styles the whole row, Markdown bolds its first cell."""

    cells: list[Cell]
    data: dict[str, str] = field(default_factory=dict)
    total: bool = False


@dataclass
class Table:
    """A table: `css` is its HTML class (what tests select tables by), `data` its data-* attributes."""

    css: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    data: dict[str, str] = field(default_factory=dict)


@dataclass
class EntryTables:
    """One entry of the run report: its scores and per-article tables when it was scored."""

    view: EntryView
    scores: Table | None = None
    per_article: Table | None = None


@dataclass
class ReportView:
    """The run report's tables, in the order both formats show them."""

    ctx: ReportContext
    entries: list[EntryTables]
    taxonomy: Table
    failures: Table
    failed_samples: Table
    cost: Table
    repeats: list[Table] = field(default_factory=list)
    ceiling: Table | None = None


def f3(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def f2(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def ci(pair: list[float]) -> str:
    return f"[{pair[0]:.2f}, {pair[1]:.2f}]"


def scores_table(v: EntryView, report: ScoreReport) -> Table:
    """Per field: P, R and F1 with their intervals, relaxed F1, and the count of each outcome."""
    cols = [Column("field"), *(Column(h, numeric=True) for h in ("P [95% CI]", "R [95% CI]", "F1 [95% CI]")),
            Column("relaxed F1", numeric=True),
            *(Column(c, numeric=True, html_header=OUTCOME_LABELS[c]) for c in OUTCOMES)]  # fmt: skip
    rows = []
    for f in REPORTED:
        s = getattr(report, f)
        rows.append(Row([
            Cell(f),
            Cell(f3(s.precision), aside=ci(s.ci["precision"])),
            Cell(f3(s.recall), aside=ci(s.ci["recall"])),
            Cell(f3(s.f1), strong=True, aside=ci(s.ci["f1"]), css="f1"),
            Cell(f3(s.relaxed.f1)),
            *(Cell(str(s.counts[c])) for c in OUTCOMES),
        ], data={"field": f}))  # fmt: skip
    return Table("scores", cols, rows, data={"entry": v.label})


def per_article_table(v: EntryView, report: ScoreReport) -> Table:
    """Strict F1 per article and field; Markdown adds correct / gold items (for claims, the credit earned), HTML
    links each article to its drill-down and shows every outcome count on hover."""
    cols = [Column("article", css="mono"), *(Column(f, numeric=True, html_header=f"{f} F1") for f in REPORTED)]
    rows = []
    for aid, fields in report.per_article.items():
        cells = [Cell(aid, href=f"#{v.anchor}-{aid}")]
        for f in REPORTED:
            a = fields[f]
            pos = sum(a.counts[c] for c in OUTCOMES[:4])
            got = f"{a.recall * pos:.1f}" if f == "claims" else str(a.counts["correct"])
            tip = ", ".join(f"{OUTCOME_LABELS[c]} {a.counts[c]}" for c in OUTCOMES)
            cells.append(Cell(f2(a.f1), note=f"({got}/{pos})", title=tip))
        rows.append(Row(cells))
    return Table("per-article", cols, rows, data={"entry": v.label})


def repeats_tables(ctx: ReportContext) -> list[Table]:
    """Per (prompt, model) with two or more scored repeats: per field the F1 of each repeat, mean, SD, min–max, and
    the averaged items' F1 with its item interval (harness.score.repeats). Empty for a one-repeat run."""
    groups: dict[tuple[str, str], list[ScoreReport]] = {}
    for v in sorted(ctx.entries, key=lambda v: v.repeat):
        if v.report is not None:
            groups.setdefault((v.prompt, v.model), []).append(v.report)
    heads = ("F1 per repeat", "mean F1", "SD", "min–max", "items averaged: F1 [95% CI]", "gold items")
    cols = [Column("field"), *(Column(h, numeric=True) for h in heads)]
    n_boot, seed = ctx.record.parameters.n_boot, ctx.record.parameters.score_seed
    out = []
    for (prompt, model), reports in groups.items():
        if len(reports) < 2:
            continue
        rows = [Row([
            Cell(r.field), Cell(" / ".join(f3(x) for x in r.f1s)), Cell(f3(r.mean), strong=True), Cell(f3(r.sd)),
            Cell(f"{f3(r.min)}–{f3(r.max)}"), Cell(f3(r.averaged), strong=True, aside=ci(r.ci)),
            Cell(str(r.gold_items)),
        ], data={"field": r.field}) for r in repeat_fields(reports, n_boot, seed)]  # fmt: skip
        label = f"{prompt} · {model} · {len(reports)} repeats"
        out.append(Table("repeats", cols, rows, data={"entry": label}))
    return out


def ceiling_note(c: HumanCeiling) -> str:
    """What the human-ceiling table compares, in plain text for both formats."""
    return (f"A second annotation ({c.second}) of {len(c.articles)} of the run's articles ({', '.join(c.articles)}), "
            "scored against the gold by the scorer the models face: the strict F1 two annotators reach, with its "
            "95% interval. Beside it, each entry's strict F1 on those same articles and on all the run's articles. "
            "Recompute with harness agree GOLD SECOND; see docs/SCORING.md.")  # fmt: skip


def ceiling_table(ctx: ReportContext) -> Table | None:
    """Per field: the annotators' F1 (the human ceiling), then each entry's F1 on the same articles and on all."""
    c = ctx.record.ceiling
    if c is None:
        return None
    reports = {v.label: v.report for v in ctx.entries if v.report is not None}
    labels = [label for label in c.fields[0].entries_f1 if label in reports] if c.fields else []
    cols = [Column("field"), Column("two annotators F1 [95% CI]", numeric=True)]
    for label in labels:
        cols += [
            Column(f"{label}: same {len(c.articles)} articles", numeric=True),
            Column(f"{label}: all", numeric=True),
        ]
    rows = []
    for f in c.fields:
        cells = [Cell(f.field), Cell(f2(f.annotators_f1), strong=True, aside=ci(f.annotators_ci))]
        for label in labels:
            cells += [Cell(f2(f.entries_f1[label])), Cell(f2(getattr(reports[label], f.field).f1))]
        rows.append(Row(cells, data={"field": f.field}))
    return Table("ceiling", cols, rows)


def _taxonomy_count(t: Taxonomy, kind: str) -> str:
    """n/a where the entry could not judge this type: from_noise without noise spans, scorer types without gold."""
    if kind == "from_noise" and not t.noise_checked:
        return "n/a"
    if kind not in ("hallucinated_figure", "hallucinated_date", "from_noise") and not t.scored:
        return "n/a"
    return str(t.counts.get(kind, 0))


def _hallucination_rate(t: Taxonomy) -> str:
    if t.hallucination_rate is None:
        return "n/a"
    n = t.figures_judged + t.dates_judged
    return f"{t.hallucination_rate:.1%} ({t.hallucinated_figures + t.hallucinated_dates}/{n})"


def taxonomy_table(ctx: ReportContext) -> Table:
    """Count of each error type per entry (every entry has a taxonomy once report_context built it), and the
    hallucination rate."""
    found = [(v, v.taxonomy) for v in ctx.entries if v.taxonomy is not None]
    kinds: list[str] = []
    for _, t in found:
        kinds += [k for k in t.counts if k not in kinds]
    cols = [Column("error type"), Column("meaning"), *(Column(v.label, numeric=True) for v, _ in found)]
    rows = [Row([Cell(k, code=True), Cell(describe(k)), *(Cell(_taxonomy_count(t, k)) for _, t in found)],
                data={"error": k}) for k in kinds]  # fmt: skip
    rows.append(Row([Cell("hallucination rate"), Cell("hallucinated / predicted figures and dates judged"),
                     *(Cell(_hallucination_rate(t)) for _, t in found)], total=True,
                    data={"error": "hallucination_rate"}))  # fmt: skip
    return Table("taxonomy", cols, rows)


def failures_table(ctx: ReportContext) -> Table:
    """Per (prompt, model): samples, failed, and the failures of each kind."""
    kinds = sorted({k for g in ctx.groups for k in g.failures_by_kind})
    cols = [Column("prompt"), Column("model"), *(Column(h, numeric=True) for h in ("samples", "failed", *kinds))]
    rows = [Row([Cell(g.prompt), Cell(g.model), Cell(str(g.samples)), Cell(str(g.failed)),
                 *(Cell(str(g.failures_by_kind.get(k, 0))) for k in kinds)]) for g in ctx.groups]  # fmt: skip
    return Table("failures", cols, rows)


def failed_samples_table(ctx: ReportContext) -> Table:
    """Every failed sample with its kind and message (the HTML page's; the Markdown lists the first 20)."""
    cols = [Column("prompt"), Column("model"), Column("article", css="mono"), Column("repeat", numeric=True),
            Column("kind"), Column("message")]  # fmt: skip
    rows = []
    for s in ctx.record.samples:
        if not s.ok:
            kind, msg = (s.failure.kind, s.failure.message) if s.failure else ("error", "")
            rows.append(Row([Cell(s.prompt), Cell(s.model), Cell(s.article_id), Cell(str(s.repeat)),
                             Cell(kind, code=True), Cell(msg[:300])]))  # fmt: skip
    return Table("failed-samples", cols, rows)


def cost_table(ctx: ReportContext) -> Table:
    """Per (prompt, model): tokens and latency per sample (mean / p50 / p95) and the total tokens."""
    heads = ("prompt tokens mean / p50 / p95", "completion tokens mean / p50 / p95", "latency s mean / p50 / p95",
             "total tokens")  # fmt: skip
    rows = []
    for g in ctx.groups:
        pt, ct, lt = g.prompt_tokens_per_sample, g.completion_tokens_per_sample, g.latency_s
        rows.append(Row([
            Cell(g.prompt), Cell(g.model),
            Cell(f"{pt.mean:.0f} / {pt.p50:.0f} / {pt.p95:.0f}"),
            Cell(f"{ct.mean:.0f} / {ct.p50:.0f} / {ct.p95:.0f}"),
            Cell(f"{f2(lt.mean)} / {f2(lt.p50)} / {f2(lt.p95)}"),
            Cell(str(g.prompt_tokens + g.completion_tokens)),
        ]))  # fmt: skip
    return Table("cost", [Column("prompt"), Column("model"), *(Column(h, numeric=True) for h in heads)], rows)


def report_view(ctx: ReportContext) -> ReportView:
    """Every table of the run report, built once for both formats."""
    entries = []
    for v in ctx.entries:
        e = EntryTables(v)
        if v.report is not None:
            e.scores, e.per_article = scores_table(v, v.report), per_article_table(v, v.report)
        entries.append(e)
    return ReportView(ctx, entries, taxonomy_table(ctx), failures_table(ctx), failed_samples_table(ctx),
                      cost_table(ctx), repeats_tables(ctx), ceiling_table(ctx))  # fmt: skip
