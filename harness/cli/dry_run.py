"""The printing of `harness run --dry-run`: the estimate as a table with each estimate's method, or as JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.cli._common import printing_guarded, run_guarded
from harness.errors import InputError
from harness.extract.estimate import DryRun, Tally

if TYPE_CHECKING:
    from harness.pipeline import RunConfig


def _n(value: int | None) -> str:
    return "no limit" if value is None else f"{value:,}"


def _usd(value: float | None) -> str:
    return "-" if value is None else f"{value:.6f}"


def estimate_table(est: DryRun, priced: bool) -> Table:
    """One row per (prompt, model) and a total: samples, answered already, requests, tokens, cost with prices."""
    t = Table(title="Dry run: nothing sent, no server started", box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0),
              pad_edge=False)  # fmt: skip
    heads = ["prompt", "model", "samples", "cached", "recorded", "to send", "prompt tok", "compl. tok est",
             "compl. tok max", *(["USD est", "USD max"] if priced else [])]  # fmt: skip
    for h in heads:
        t.add_column(h, justify="left" if h in ("prompt", "model") else "right", no_wrap=True)

    def cells(g: Tally) -> list[str]:
        row = [str(g.samples), str(g.cached_local), str(g.cached_recorded), str(g.requests), _n(g.prompt_tokens),
               _n(g.completion_tokens), _n(g.completion_tokens_max)]  # fmt: skip
        return row + ([_usd(g.cost_usd), _usd(g.cost_max_usd)] if priced else [])

    for g in est.groups:
        t.add_row(escape(g.prompt), escape(g.model), *cells(g))
    t.add_row("total", "", *cells(est.total), style="bold")
    t.caption = "est: estimated completion tokens; max: every request running to max_tokens"
    return t


def print_estimate(est: DryRun, priced: bool, as_json: bool) -> None:
    """The estimate on stdout: JSON (`--json`), or the table, the method of every estimate and the notes."""
    if as_json:
        print(json.dumps(est.model_dump(mode="json"), ensure_ascii=False, indent=1, sort_keys=True))
        return
    console = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
    print(f"endpoint: {est.endpoint} ({est.identity[:40]}), mode {est.mode}, max_tokens {_n(est.max_tokens)}")
    console.print(estimate_table(est, priced))
    for g in est.groups:
        if not g.requests:
            print(f"{g.prompt} x {g.model}: nothing to send")
            continue
        print(f"{g.prompt} x {g.model}: prompt tokens counted with {g.prompt_tokens_method}; completion tokens "
              f"{round(g.completion_tokens_per_request):,} per request, {g.completion_tokens_method}")  # fmt: skip
    if est.total.by_rules:
        print(f"answered by the rules-only baseline in-process: {est.total.by_rules} sample(s), no request")
    for note in est.notes:
        print(f"note: {note}")


def dry_run_verb(config: Callable[[], RunConfig], dry_run: bool, prices: Path | None, as_json: bool) -> None:
    """`harness run --dry-run [--prices FILE] [--json]`: the run's options checked as a run checks them, then the
    estimate printed; --prices and --json without --dry-run are refused (a run neither prices nor prints JSON)."""
    from harness.dry_run import dry_run as estimate
    from harness.prices import load_prices

    def go() -> DryRun:
        if not dry_run:
            raise InputError(f"{'--prices' if prices else '--json'} goes with --dry-run")
        table = load_prices(prices) if prices is not None else None
        return estimate(config(), table)

    est = run_guarded(go)
    printing_guarded(lambda: print_estimate(est, prices is not None, as_json))
