"""The leaderboard of a run: its (prompt, model) figures (`groups.group_stats`) ranked by one field's F1, with cost
when a price table gives USD per 1M prompt / completion tokens per model name.
"""

from __future__ import annotations

from harness.prices import Price
from harness.records import RunRecord
from harness.report.groups import GroupStats, group_stats
from harness.report.markdown import md_cell, md_table
from harness.report.view import Cell, Column, Row, Table, f3
from harness.score.vocabulary import REPORTED


def leaderboard(record: RunRecord, prices: dict[str, Price] | None = None, sort: str = "claims") -> list[GroupStats]:
    """One row per (prompt, model), best `sort` F1 first (unscored rows last); cost filled from `prices`."""
    rows = group_stats(record)
    for r in rows:
        p = (prices or {}).get(r.model)
        if p is not None:
            r.cost_usd = p.cost_usd(r.prompt_tokens, r.completion_tokens)
    return sorted(rows, key=lambda r: (r.f1.get(sort) is None, -(r.f1.get(sort) or 0.0)))


def leaderboard_table(rows: list[GroupStats]) -> Table:
    """Rank, prompt, model, F1 per field, failures, tokens, mean latency, and cost when any row has a price."""
    has_cost = any(r.cost_usd is not None for r in rows)
    several = any(r.repeats_scored > 1 for r in rows)  # a run with repeats says over how many each F1 is a mean
    heads = [*(["repeats"] if several else []), *REPORTED, "failed", "prompt tok", "completion tok", "mean latency s",
             *(["cost USD"] if has_cost else [])]  # fmt: skip
    cols = [Column("#"), Column("prompt"), Column("model"), *(Column(h, numeric=True) for h in heads)]
    out = []
    for i, r in enumerate(rows, 1):
        cells = [str(i), r.prompt, r.model, *([str(r.repeats_scored)] if several else []),
                 *(f3(r.f1[f]) for f in REPORTED), f"{r.failed}/{r.samples}",
                 str(r.prompt_tokens), str(r.completion_tokens), f"{r.latency_s.mean:.2f}"]  # fmt: skip
        if has_cost:
            cells.append("n/a" if r.cost_usd is None else f"{r.cost_usd:.6f}")
        out.append(Row([Cell(c) for c in cells]))
    return Table("leaderboard", cols, out)


def render_leaderboard(record: RunRecord, rows: list[GroupStats], sort: str = "claims") -> str:
    """Markdown: a title, what the numbers are, and the leaderboard table."""
    lines = [
        f"# Leaderboard — run {md_cell(record.run_id)}", "",
        f"Strict micro F1 per field (mean over repeats), sorted by `{sort}`. Tokens and latency over all samples"
        " of the row, cached answers included (their recorded cost)."
        + (" `repeats`: the scored repeats each F1 is the mean of; their spread is in the run report."
           if any(r.repeats_scored > 1 for r in rows) else ""), "",
        *md_table(leaderboard_table(rows)),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"
