"""Rendering of a paired comparison of two scored entries (B - A): which entries, whether they share the gold,
and the per-field table as Markdown or self-contained HTML. The statistics are `harness.score.compare`'s.
"""

from __future__ import annotations

from pydantic import BaseModel

from harness.errors import InputError
from harness.report.leaderboard import md_cell
from harness.report.record import RunRecord, ScoreEntry
from harness.score.compare import FieldComparison, compare_reports
from harness.score.model import ScoreReport


class Side(BaseModel):
    """One scored (prompt, model, repeat) with what identifies it and the gold it was scored on."""

    run_id: str
    prompt: str
    prompt_sha256: str | None = None
    model: str
    repeat: int = 0
    endpoint: str | None = None
    articles: dict[str, str]  # article id -> sha256 of the text scored
    gold_sha256: dict[str, str] | None = None  # gold file name -> sha256
    report: ScoreReport

    @property
    def label(self) -> str:
        return f"{self.prompt} · {self.model}" + (f" · repeat {self.repeat}" if self.repeat else "")


def select_entry(record: RunRecord, prompt: str | None = None, model: str | None = None, repeat: int | None = None,
                 which: str = "run") -> ScoreEntry:  # fmt: skip
    """The first scored entry of a run matching the given prompt / model / repeat; InputError when there is none."""
    if not record.scores:
        raise InputError(f"{which} {record.run_id} has no scores (was it run without gold?)")
    found = [e for e in record.scores if (prompt is None or e.prompt == prompt) and (model is None or e.model == model)
             and (repeat is None or e.repeat == repeat)]  # fmt: skip
    if not found:
        have = ", ".join(f"{e.prompt}/{e.model}/{e.repeat}" for e in record.scores)
        want = f"prompt={prompt or '*'} model={model or '*'} repeat={'*' if repeat is None else repeat}"
        raise InputError(f"{which} {record.run_id} has no entry {want} (it has prompt/model/repeat: {have})")
    entry = found[0]
    if entry.report is None:
        raise InputError(f"{which} {record.run_id}: {entry.prompt}/{entry.model} was not scored ({entry.error or 'no report'})")
    return entry


def side_of(record: RunRecord, entry: ScoreEntry) -> Side:
    prompt_sha = next((p.sha256 for p in record.prompts if p.id == entry.prompt), None)
    return Side(
        run_id=record.run_id, prompt=entry.prompt, prompt_sha256=prompt_sha, model=entry.model, repeat=entry.repeat,
        endpoint=record.endpoint.identity, articles={a: record.articles.sha256.get(a, "") for a in entry.articles},
        gold_sha256=dict(record.gold.sha256) if record.gold else None, report=ScoreReport.model_validate(entry.report),
    )  # fmt: skip


def _gold_keys(report: ScoreReport) -> set[tuple[str, str]]:
    return {(it.field, it.gold_key) for it in report.items if it.gold_key}


def gold_mismatch(a: Side, b: Side) -> str | None:
    """Why A and B cannot be paired (different articles, article texts, gold files or gold items), else None."""
    if set(a.articles) != set(b.articles):
        only_a, only_b = sorted(set(a.articles) - set(b.articles)), sorted(set(b.articles) - set(a.articles))
        return f"scored on different articles (only in A: {', '.join(only_a) or '-'}; only in B: {', '.join(only_b) or '-'})"
    changed = sorted(k for k in a.articles if a.articles[k] and b.articles[k] and a.articles[k] != b.articles[k])
    if changed:
        return f"article texts differ ({', '.join(changed)})"
    if a.gold_sha256 is not None and b.gold_sha256 is not None and a.gold_sha256 != b.gold_sha256:
        names = sorted(k for k in set(a.gold_sha256) | set(b.gold_sha256) if a.gold_sha256.get(k) != b.gold_sha256.get(k))
        return f"scored on different gold (files differ: {', '.join(names)})"
    ka, kb = _gold_keys(a.report), _gold_keys(b.report)
    if ka != kb:
        return f"scored on different gold items ({len(ka - kb)} only in A, {len(kb - ka)} only in B)"
    return None


def compare_sides(a: Side, b: Side, seed: int = 0, n_boot: int = 1000, n_perm: int = 2000) -> list[FieldComparison]:
    """B - A per field on the same gold; InputError when they were scored on different gold."""
    why = gold_mismatch(a, b)
    if why:
        raise InputError(f"cannot compare {a.run_id} with {b.run_id}: {why}")
    return compare_reports(a.report, b.report, seed=seed, n_boot=n_boot, n_perm=n_perm)


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
    from harness.report.html import diff_chart, environment

    chart = diff_chart([(r.field, r.diff, r.ci, r.mdd) for r in rows])
    return environment().get_template("compare.html.j2").render(a=a, b=b, rows=rows, chart=chart, explain=EXPLAIN)
