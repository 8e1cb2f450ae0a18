"""Rendering of a paired comparison of two scored entries (B - A): which entries, whether they share the gold,
and the per-field table as Markdown or self-contained HTML. The statistics are `harness.score.compare`'s.
"""

from __future__ import annotations

from harness.records import Side
from harness.report.markdown import md_table
from harness.report.view import Cell, Column, Row, Table, f3
from harness.score.compare import FieldComparison

EXPLAIN = (
    "B − A per field (strict micro F1), paired item by item on the same gold. 95% interval: paired bootstrap "
    "(rows redrawn within articles). p: approximate randomisation (A/B swapped per row), Holm-adjusted across the "
    "fields. MDD: the smallest difference this gold can detect (paired test, α = 0.05, power 0.8); a difference "
    "below it is not evidence either way. Verdict: better only when the Holm p < 0.05 and the interval excludes 0."
)
REPEATS_EXPLAIN = (
    " With repeats: each gold item's outcome is averaged over its side's repeats; the interval redraws items with all "
    "their repeats, and p deals each item's answers of both sides at random between A and B (docs/SCORING.md §7)."
)
VERDICT_CSS = {"B better": "verdict-b", "A better": "verdict-a"}


def _repeat(s: Side, n: int) -> str:
    return str(s.repeat) if n == 1 else f"mean over {n} repeats"


def sides_table(a: Side, b: Side, repeats: tuple[int, int] = (1, 1)) -> Table:
    """Which entry is A and which is B: run, prompt, response schema (sha256, first 12), model, repeat (or how many
    repeats were averaged); the HTML page adds the endpoint."""
    cols = [Column(""), Column("run", css="mono"), Column("prompt"), Column("schema", css="mono"), Column("model"),
            Column("repeat", numeric=True), Column("endpoint", css="mono", markdown=False)]  # fmt: skip
    rows = [Row([Cell(name, head=True), Cell(s.run_id), Cell(s.prompt), Cell((s.schema_sha256 or "?")[:12]),
                 Cell(s.model), Cell(_repeat(s, n)), Cell(s.endpoint or "")])
            for name, s, n in (("A", a, repeats[0]), ("B", b, repeats[1]))]  # fmt: skip
    return Table("sides", cols, rows)


def explain(repeats: tuple[int, int] = (1, 1)) -> str:
    """What the numbers are; with repeats, how they were used."""
    if max(repeats) == 1:
        return EXPLAIN
    return EXPLAIN + REPEATS_EXPLAIN


def comparison_table(rows: list[FieldComparison]) -> Table:
    """Per field: F1 of A and B, the difference with its interval, p and Holm p, gold items, MDD, verdict."""
    heads = ("A", "B", "B − A", "95% CI", "p", "p (Holm)", "gold items", "MDD")
    cols = [Column("field"), *(Column(h, numeric=True) for h in heads), Column("verdict")]
    out = [Row([
        Cell(r.field), Cell(f3(r.a)), Cell(f3(r.b)), Cell(f"{r.diff:+.3f}", strong=True),
        Cell(f"[{r.ci[0]:+.3f}, {r.ci[1]:+.3f}]"), Cell(f"{r.p_value:.4f}"), Cell(f"{r.p_holm:.4f}"),
        Cell(str(r.n_gold)), Cell(f3(r.mdd)), Cell(r.verdict, css=VERDICT_CSS.get(r.verdict, "")),
    ], data={"field": r.field}) for r in rows]  # fmt: skip
    return Table("comparison", cols, out)


def render_compare_markdown(a: Side, b: Side, rows: list[FieldComparison], repeats: tuple[int, int] = (1, 1)) -> str:
    """The comparison as Markdown; `repeats`: how many repeats each side averaged (1: the one entry shown)."""
    lines = ["# Paired comparison: B − A", "", *md_table(sides_table(a, b, repeats))]
    lines += ["", f"{len(a.articles)} articles. " + explain(repeats), "", *md_table(comparison_table(rows))]
    if b.variant is not None:  # a run on a variant of A's articles (harness compare --variant)
        lines[1:1] = ["", b.variant.note]
    return "\n".join(lines) + "\n"


def render_compare_html(a: Side, b: Side, rows: list[FieldComparison], repeats: tuple[int, int] = (1, 1)) -> str:
    """The comparison as one self-contained page: the table, the chart and the items where A and B differ."""
    from harness.report.charts import diff_chart
    from harness.report.explore import compare_explorer, csp, script
    from harness.report.html import environment

    chart = diff_chart([(r.field, r.diff, r.ci, r.mdd) for r in rows])
    env = environment()
    code, source = script(env)
    note = "Items of each side's first repeat." if max(repeats) > 1 else ""
    return env.get_template("compare.html.j2").render(
        csp=csp(source),
        script=code,
        explorer=compare_explorer(a.report, b.report, note),
        a=a,
        b=b,
        sides=sides_table(a, b, repeats),
        comparison=comparison_table(rows),
        chart=chart,
        explain=explain(repeats),
    )
