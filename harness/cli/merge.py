"""`harness merge`: the shards of a split run joined into one run record and report, rescored as the run unsplit."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli._common import printing_guarded, run_guarded
from harness.cli.run import _print_result


def merge(
    runs: list[Path] = typer.Argument(
        ..., help="Shard run records (`harness run --shard I/N`): run.json files, run folders or folders of them."
    ),
    out: Path = typer.Option(Path("reports/runs"), "--out", help="Where the merged record goes (<out>/<run-id>/)."),
    articles: Path | None = typer.Option(
        None, "--articles", help="The articles (default: the source the shards recorded, e.g. seeds)."
    ),
    gold: Path | None = typer.Option(None, "--gold", help="The gold (default: the source the shards recorded)."),
    allow_partial: bool = typer.Option(
        False, "--allow-partial", help="Merge even with shards missing; the record is marked partial."
    ),
    report: bool = typer.Option(
        True, "--report/--no-report", help="Also write report.md and report.html beside run.json."
    ),
) -> None:
    """Join shard runs into one run record whose scores are the unsplit run's (rescored from the answers).

    Refuses (exit 2, naming the run) shards of different prompts, models, parameters, gold or harness, a shard
    given twice and missing shards (unless --allow-partial); exit 1 when too many samples failed, as `harness run`.
    """
    from harness.merge import merge_runs

    result = run_guarded(lambda: merge_runs(runs, out, articles, gold, allow_partial))
    printing_guarded(lambda: _print_result(result, report))
