"""Rendering of a paired comparison of two scored entries (B - A): which entries, whether they share the gold,
and the per-field table as Markdown or self-contained HTML. The statistics are `harness.score.compare`'s.
"""

from __future__ import annotations

from harness.records import Side
from harness.report.markdown import md_cell
from harness.score.compare import FieldComparison

EXPLAIN = (
    "B − A per field (strict micro F1), paired item by item on the same gold. 95% interval: paired bootstrap "
    "(rows redrawn within articles). p: approximate randomisation (A/B swapped per row), Holm-adjusted across the "
    "fields. MDD: the smallest difference this gold can detect (paired test, α = 0.05, power 0.8); a difference "
    "below it is not evidence either way. Verdict: better only when the Holm p < 0.05 and the interval excludes 0."
)


def render_compare_markdown(a: Side, b: Side, rows: list[FieldComparison]) -> str:
    lines = ["# Paired comparison: B − A", "", "| | run | prompt | model | repeat |", "|---|---|---|---|---:|"]
    for name, s in (("A", a), ("B", b)):
        lines.append(f"| **{name}** | {md_cell(s.run_id)} | {md_cell(s.prompt)} | {md_cell(s.model)} | {s.repeat} |")
    lines += ["", f"{len(a.articles)} articles. " + EXPLAIN, "",
              "| field | A | B | B − A | 95% CI | p | p (Holm) | gold items | MDD | verdict |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r.field} | {r.a:.3f} | {r.b:.3f} | **{r.diff:+.3f}** | [{r.ci[0]:+.3f}, {r.ci[1]:+.3f}] | "
                     f"{r.p_value:.4f} | {r.p_holm:.4f} | {r.n_gold} | {r.mdd:.3f} | {r.verdict} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def render_compare_html(a: Side, b: Side, rows: list[FieldComparison]) -> str:
    from harness.report.charts import diff_chart
    from harness.report.html import environment

    chart = diff_chart([(r.field, r.diff, r.ci, r.mdd) for r in rows])
    return environment().get_template("compare.html.j2").render(a=a, b=b, rows=rows, chart=chart, explain=EXPLAIN)
