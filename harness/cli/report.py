"""`harness report|compare|gate|leaderboard`: read run records and turn them into reports, comparisons, a
regression gate for CI, and a prompts x models leaderboard. Exit codes: 0 ok, 1 regression (gate), 2 input error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from harness.cli._common import at_least, run_guarded, within
from harness.errors import EXIT_FAILED, InputError
from harness.files import unwritable_dir, unwritable_file

RUNS = Path("reports/runs")
RUNS_DIR = typer.Option(RUNS, "--runs-dir", help="Where run folders live (a bare run id is looked up here).")


def resolve_run(arg: str, runs_dir: Path = RUNS) -> Path:
    """A run folder, a run.json, or a run id under `runs_dir`."""
    p = Path(arg)
    for cand in (p, Path(runs_dir) / arg):
        if cand.is_file() or (cand / "run.json").is_file():
            return cand
    where = Path(runs_dir).as_posix()
    raise InputError(f"no such run (give a run folder, its run.json, or a run id under {where})", arg)


def newest_run(runs_dir: Path = RUNS) -> Path:
    """The newest run under `runs_dir` (run ids start with their UTC start time, so the largest id is newest)."""
    runs = sorted(p for p in Path(runs_dir).glob("*/run.json")) if Path(runs_dir).is_dir() else []
    if not runs:
        raise InputError("no runs found (run `harness run` first, or name a RUN)", Path(runs_dir).as_posix())
    return runs[-1].parent


def check_numbers(seed: int, n_boot: int, n_perm: int, repeats: dict[str, int | None] | None = None) -> None:
    """The statistics' options, refused before anything is read: resamples at least 1, seeds not negative."""
    at_least("--seed", seed, 0)
    at_least("--n-boot", n_boot, 1)
    at_least("--n-perm", n_perm, 1)
    for option, value in (repeats or {}).items():
        at_least(option, value, 0)


def check_output_file(option: str, path: Path | None) -> None:
    """A file to write is checked before the verb works: not a folder, FIFO or device, and its folder writable."""
    why = unwritable_file(path) if path is not None else None
    if why:
        raise InputError(f"{option}: {why}", str(path))


def _read(arg: str, runs_dir: Path):
    from harness.records import read_run

    return read_run(resolve_run(arg, runs_dir))


def report(
    run: str = typer.Argument(..., help="Run folder, run.json, or run id."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for report.md and report.html (default: the run's folder)."
    ),
    articles: Path | None = typer.Option(
        None, "--articles", help="Where the article texts are (default: as recorded)."
    ),
    gold: Path | None = typer.Option(None, "--gold", help="Where the gold is (default: as recorded)."),
    runs_dir: Path = RUNS_DIR,
) -> None:
    """Write report.md (fits a CI job summary) and a self-contained report.html for a run."""
    from harness.report.html import write_run_report

    def _do():
        why = unwritable_dir(out) if out is not None else None
        if why:
            raise InputError(f"--out: {why}", str(out))
        return write_run_report(resolve_run(run, runs_dir), None, out, articles, gold)

    md, html = run_guarded(_do)
    print(f"wrote {md.as_posix()} and {html.as_posix()}")


def compare(
    run_a: str = typer.Argument(..., help="Run A (the reference)."),
    run_b: str = typer.Argument(..., help="Run B; differences are B minus A."),
    a_prompt: str | None = typer.Option(None, "--a-prompt"), a_model: str | None = typer.Option(None, "--a-model"),
    a_repeat: int | None = typer.Option(None, "--a-repeat"),
    b_prompt: str | None = typer.Option(None, "--b-prompt"), b_model: str | None = typer.Option(None, "--b-model"),
    b_repeat: int | None = typer.Option(None, "--b-repeat"),
    html: Path | None = typer.Option(None, "--html", help="Also write the comparison as a self-contained HTML file."),
    variant: Path | None = typer.Option(None, "--variant", help="B ran on this variant of A's articles (its "
                                        "variants.json or folder, from `harness variants make`): the robustness gap."),
    seed: int = typer.Option(0, "--seed"), n_boot: int = typer.Option(1000, "--n-boot"),
    n_perm: int = typer.Option(2000, "--n-perm"), runs_dir: Path = RUNS_DIR,
) -> None:  # fmt: skip
    """Paired comparison of two runs on the same gold: per field B - A, 95% interval, p (Holm), MDD, verdict.

    Each run's first scored (prompt, model) is used unless --a-*/--b-* pick another; when it has several repeats and
    no --a-repeat/--b-repeat picks one, every repeat is used (each item averaged over them). Exit 2 when the two
    were scored on different gold. With --variant, B's texts and gold are those of the manifest's variant of A's
    (every hash checked) and its gold items must be A's: B - A is then the robustness gap.
    """
    from harness.files import atomic_write_text
    from harness.records.repeated import compare_repeated_sides, select_sides
    from harness.report.compare import render_compare_html, render_compare_markdown

    def _do():
        check_numbers(seed, n_boot, n_perm, {"--a-repeat": a_repeat, "--b-repeat": b_repeat})
        check_output_file("--html", html)
        ra, rb = _read(run_a, runs_dir), _read(run_b, runs_dir)
        a = select_sides(ra, a_prompt, a_model, a_repeat, "run A")
        b = select_sides(rb, b_prompt, b_model, b_repeat, "run B")
        if variant is not None:
            from harness.records import pair_variant
            from harness.variants import read_manifest

            b = pair_variant(a, b, read_manifest(variant))
        rows = compare_repeated_sides(a, b, seed=seed, n_boot=n_boot, n_perm=n_perm)
        if html is not None:
            atomic_write_text(html, render_compare_html(a[0], b[0], rows, (len(a), len(b))))
        return render_compare_markdown(a[0], b[0], rows, (len(a), len(b)))

    sys.stdout.write(run_guarded(_do))


def gate(
    run: str | None = typer.Argument(None, help="Run to check (default: the newest under --runs-dir)."),
    baseline: Path = typer.Option(Path("reports/baseline.json"), "--baseline",
                                  help="Baseline file to compare with (or to write)."),
    threshold: float = typer.Option(0.05, "--threshold", help="F1 fall that may count as a regression."),
    junit: Path | None = typer.Option(None, "--junit", help="Write JUnit XML here (one testcase per field)."),
    write: bool = typer.Option(False, "--write-baseline", help="Write RUN's scores as the baseline instead of gating."),
    prompt: str | None = typer.Option(None, "--prompt", help="Entry of RUN to use (default: the baseline's prompt)."),
    model: str | None = typer.Option(None, "--model", help="Entry of RUN to use (default: the baseline's model)."),
    repeat: int | None = typer.Option(None, "--repeat"),
    seed: int = typer.Option(0, "--seed"), n_boot: int = typer.Option(1000, "--n-boot"),
    n_perm: int = typer.Option(2000, "--n-perm"), runs_dir: Path = RUNS_DIR,
) -> None:  # fmt: skip
    """Fail (exit 1) when a field's F1 falls by more than --threshold AND the paired 95% interval of the fall lies
    entirely below 0; pass (exit 0) otherwise; exit 2 on a missing or bad baseline or run, or different gold."""
    from harness.files import atomic_write_text
    from harness.records import make_baseline, read_baseline, write_baseline
    from harness.records.repeated import select_sides
    from harness.report.gate import junit_xml, render_gate, run_gate

    def _do():
        from harness.records import read_run

        check_numbers(seed, n_boot, n_perm, {"--repeat": repeat})
        within("--threshold", threshold, 0.0, 1.0)
        check_output_file("--junit", junit)
        if write:
            check_output_file("--baseline", baseline)
        path = resolve_run(run, runs_dir) if run else newest_run(runs_dir)
        record = read_run(path)
        if write:
            sides = select_sides(record, prompt, model, repeat)
            kept = f" (repeat {sides[0].repeat} of {len(sides)}: a baseline keeps one; --repeat picks)"
            return None, (write_baseline(make_baseline(sides[0]), baseline), kept if len(sides) > 1 else "")
        base = read_baseline(baseline)
        sides = select_sides(record, prompt or base.prompt, model or base.model, repeat)
        result = run_gate(base, sides, threshold, seed=seed, n_boot=n_boot, n_perm=n_perm)
        if junit is not None:
            atomic_write_text(junit, junit_xml(result))
        return result, None

    result, written = run_guarded(_do)
    if written is not None:
        print(f"wrote baseline {written[0].as_posix()}{written[1]}")
        return
    sys.stdout.write(render_gate(result))
    if not result.passed:
        raise typer.Exit(EXIT_FAILED)


def leaderboard(
    run: str = typer.Argument(..., help="Run folder, run.json, or run id (typically prompts x models)."),
    prices: Path | None = typer.Option(
        None, "--prices", help='YAML or JSON {"model": {"prompt": usd, "completion": usd}}, USD per 1M tokens.'
    ),
    sort: str = typer.Option(
        "claims",
        "--sort",
        help="Field whose F1 ranks the rows: figures, dates, attribution, claims, claims_exact, figures_anywhere, "
        "dates_anywhere.",
    ),
    runs_dir: Path = RUNS_DIR,
) -> None:
    """One row per (prompt, model): F1 per field, failures, tokens, mean latency, and cost with a price table."""
    from harness.prices import load_prices
    from harness.report.leaderboard import leaderboard as board
    from harness.report.leaderboard import render_leaderboard
    from harness.score.vocabulary import REPORTED

    def _do():
        if sort not in REPORTED:
            raise InputError(f"--sort must be one of {', '.join(REPORTED)}, not {sort!r}")
        record = _read(run, runs_dir)
        table = load_prices(prices) if prices else None
        return render_leaderboard(record, board(record, table, sort), sort)

    sys.stdout.write(run_guarded(_do))
