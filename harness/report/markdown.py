"""Markdown rendering: any view-model Table (each cell escaped once, by `md_cell`), and the run report's summary
(fits a CI job summary page) laid out from the same tables the HTML page shows.
"""

from __future__ import annotations

import re

from harness.report.context import ReportContext
from harness.report.view import REPEATS_NOTE, SCORES_NOTE, Cell, ReportView, Table, ceiling_note, report_view

# The signs of CommonMark/GFM inline syntax and table cells get a backslash ("_" only where it could open or close
# emphasis, not inside a word like an article id; "]" where a link, image or link definition would follow, so an
# interval "[0.85, 0.93]" stays as it reads); list, heading and quote markers only at the start; "<" becomes
# an entity (no HTML tag, no <autolink>); a URL scheme or "www." loses its bare autolink (a zero-width space).
_MD_SPECIAL = re.compile(r"[\\`*~|]|\](?=[(\[:])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|^(?:#|[+\->](?=\s|$))")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp|mailto|www)(?=[:.])")


def md_cell(value: object) -> str:
    """Text shown literally in Markdown, in a table cell or a list item: one line, every Markdown sign escaped.

    Links and images, code spans, emphasis, strike-through, headings, list and quote markers, HTML tags, entities,
    bare URLs and table pipes all come out as the characters they are."""
    s = " ".join(str(value).split())
    s = s.replace("<", "&lt;")
    s = _ORDERED.sub(r"\1\\\2", _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), s))
    return _AUTOLINK.sub(lambda m: m.group(0) + "&#8203;", s)


def code(value: object) -> str:
    """An inline code span outside tables: shown literally (no HTML), so only backticks and line breaks go."""
    return "`" + str(value).replace("`", "'").replace("\r", " ").replace("\n", " ") + "`"


def _code_span(text: str) -> str:
    """Literal inside backticks; in a table the pipes still need their backslash (GFM reads them first)."""
    return "`" + " ".join(text.replace("`", "'").split()).replace("|", "\\|") + "`"


def md_text(c: Cell) -> str:
    """A cell as Markdown: code in backticks, strong and row headers in bold, then its aside and its note (each
    text escaped by `md_cell` before the cell's own marks are put around it)."""
    s = _code_span(c.text) if c.code else md_cell(c.text)
    s = f"**{s}**" if (c.strong or c.head) and s else s
    return " ".join(x for x in (s, *(md_cell(a) for a in (c.aside, c.note) if a)) if x)


def md_row(cells: list[str]) -> str:
    return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"


def md_table(t: Table) -> list[str]:
    """The table's lines: header, alignment (numeric columns right-aligned), one line per row."""
    shown = [i for i, c in enumerate(t.columns) if c.markdown]
    lines = [md_row([md_cell(t.columns[i].header) for i in shown]),
             "|" + "|".join("---:" if t.columns[i].numeric else "---" for i in shown) + "|"]  # fmt: skip
    for r in t.rows:
        cells = [md_text(r.cells[i]) for i in shown]
        lines.append(md_row([f"**{cells[0]}**", *cells[1:]] if r.total else cells))
    return lines


def _facts(ctx: ReportContext) -> list[str]:
    r = ctx.record
    prov, s = r.provenance, r.summary
    commit = (prov.git_commit or "unknown")[:12] + (" (dirty)" if prov.git_dirty else "")
    prompts = ", ".join(
        f"{code(p.id)} v{code(p.version)} ({p.sha256[:12]}; response schema {code(p.response or '?')} "
        f"{(p.schema_sha256 or '?')[:12]})"
        for p in r.prompts
    )
    return [
        f"- **started** {code(r.started)}, {r.duration_s:.1f} s; git {code(commit)}; "
        f"harness {code(prov.packages.get('harness') or '?')}",
        f"- **endpoint** {r.endpoint.kind} {code(r.endpoint.identity)}; models: "
        + ", ".join(code(m) for m in r.models),
        f"- **prompts** {prompts}",
        f"- **articles** {len(r.articles.sha256)} from {code(r.articles.source)}; gold: "
        + (f"{code(r.gold.source)} ({len(r.gold.sha256)} files)" if r.gold else "none (no scores)"),
        f"- **samples** {s.samples}, failed {s.failed} ({s.failure_rate:.1%}); verdict **{s.verdict}**; "
        f"cache: {r.cache.hits_local} local + {r.cache.hits_recorded} recorded hits, {r.cache.requests} requests",
    ]


def _scores(view: ReportView) -> list[str]:
    out = ["## Scores", "", SCORES_NOTE, ""]
    for e in view.entries:
        if e.scores is None and e.view.entry is not None and e.view.entry.error:
            out += [f"- {md_cell(e.view.label)}: not scored ({md_cell(e.view.entry.error)})"]
    scored = [(e.view.label, e.scores, e.per_article) for e in view.entries if e.scores and e.per_article]
    if not scored:
        return [*out, "No scores: the run has no gold for its articles.", ""]
    for label, scores, _ in scored:
        out += [f"### {md_cell(label)}", "", *md_table(scores), ""]
    if view.ceiling is not None and view.ctx.record.ceiling is not None:
        note = md_cell(ceiling_note(view.ctx.record.ceiling))
        out += ["### Human ceiling", "", note, "", *md_table(view.ceiling), ""]
    if view.repeats:
        out += ["### Repeats: model sampling vs item sampling", "", REPEATS_NOTE, ""]
        for t in view.repeats:
            out += [f"**{md_cell(t.data['entry'])}**", "", *md_table(t), ""]
    out += ["### Per article (strict F1; correct / gold items — for claims, the credit earned / gold claims)", ""]
    for label, _, per_article in scored:
        out += [f"**{md_cell(label)}**", "", *md_table(per_article), ""]
    return out


def _taxonomy(view: ReportView) -> list[str]:
    if not any(e.view.taxonomy is not None for e in view.entries):
        return []
    note = ("Counts per entry. The scorer's types need gold; `from_noise` needs the gold's noise spans; hallucinated "
            "values are checked against the article text alone.")  # fmt: skip
    return ["## Error taxonomy", "", note, "", *md_table(view.taxonomy), ""]


def _failures_and_cost(view: ReportView) -> list[str]:
    out = ["## Failures", "", *md_table(view.failures)]
    failed = [s for s in view.ctx.record.samples if not s.ok]
    if failed:
        out += ["", "Failed samples (first 20):", ""]
        for s in failed[:20]:
            kind, msg = (s.failure.kind, s.failure.message) if s.failure else ("error", "")
            out.append(f"- {md_cell(s.prompt)} · {md_cell(s.model)} · {md_cell(s.article_id)} · repeat {s.repeat}: "
                       f"{code(kind)} {md_cell(msg[:160])}")  # fmt: skip
    out += ["", "## Tokens and latency", "",
            "Per sample (cached answers carry the tokens and latency recorded when they were first answered).", "",
            *md_table(view.cost), ""]  # fmt: skip
    return out


def render_markdown(ctx: ReportContext) -> str:
    """The run summary: facts, scores with intervals, per-article table, taxonomy, failures, tokens, latency."""
    view = report_view(ctx)
    lines = [f"# Evaluation run {md_cell(ctx.record.run_id)}", "", *_facts(ctx), ""]
    lines += _scores(view) + _taxonomy(view) + _failures_and_cost(view)
    if ctx.notes:
        lines += ["## Notes", "", *(f"- {md_cell(n)}" for n in ctx.notes), ""]
    return "\n".join(lines)


__all__ = ["code", "md_cell", "md_table", "render_markdown"]
