"""The `harness` command: thin typer verbs over the library. Nothing in the library imports this package."""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading

# A command is short-lived and allocates in bursts (imports, 500 answers parsed at once): with the collector's
# default first threshold (700 allocations) an offline replay of the five seed articles ran 162 collections, with
# 100,000 it runs 17; cyclic garbage is still collected, later. At 100 requests in flight over 500 articles the
# whole command took 15-49 ms less (medians of two sets of 6-8 interleaved runs, 2 cores; benchmarks/README.md).
gc.set_threshold(100_000, 50, 100)

import typer  # noqa: E402  (after the threshold: the imports are most of the allocations)

from harness.cli._common import run_guarded  # noqa: E402, F401  (re-exported for verb modules)

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


def _register() -> None:
    """Attach each verb group; one module per area keeps every file readable in one sitting."""
    from harness.cli import gold, score

    app.add_typer(gold.app, name="gold")
    app.command("score")(score.score)
    from harness.cli import local_model

    app.add_typer(local_model.app, name="local-model")
    from harness.cli import cache, run

    app.command("run")(run.run)
    from harness.cli import merge

    app.command("merge")(merge.merge)
    app.add_typer(cache.app, name="cache")
    from harness.cli import report as report_cli

    app.command("report")(report_cli.report)
    app.command("compare")(report_cli.compare)
    app.command("gate")(report_cli.gate)
    app.command("leaderboard")(report_cli.leaderboard)
    from harness.cli import normalize as normalize_cli

    app.command("normalize")(normalize_cli.normalize)
    from harness.cli import agree

    app.command("agree")(agree.agree)
    from harness.cli import variants

    app.add_typer(variants.app, name="variants")


_register()


def main(prog_name: str | None = None) -> None:
    """The `harness` command (console script and `python -m harness`): the verb, then the process ends (`_leave`)."""
    try:
        _dispatch(prog_name)
    except SystemExit as stop:
        _leave(stop.code)
    _leave(0)


def _leave(code: str | int | None) -> None:
    """End the process as `sys.exit(code)` would, without the interpreter's teardown: threads are joined, atexit
    handlers run (an embedded server is stopped) and output is flushed, but the objects of a 500-sample run are not
    freed one by one for memory the system takes back anyway (about 10 ms of a 1.5 s command). Every file the
    command writes is closed before it returns."""
    shutdown = getattr(threading, "_shutdown", None)  # what the interpreter's own exit runs first
    if shutdown is None:
        sys.exit(code)
    if code is not None and not isinstance(code, int):  # sys.exit("message"): printed, exit status 1
        print(code, file=sys.stderr)
        code = 1
    shutdown()
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (`harness run | head`): the interpreter would exit with 120
        code = code or 120
    os._exit(code or 0)


def _dispatch(prog_name: str | None) -> None:
    """Only the verb named on the command line is turned into a click command, since typer evaluates every
    parameter's annotations to do it (about 15 ms for all verbs, at each command's start); without a known verb
    (`harness`, `harness --help`, a typo) every verb is."""
    verb = sys.argv[1] if len(sys.argv) > 1 else None
    only = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
    only.registered_commands = [c for c in app.registered_commands if c.name == verb]
    only.registered_groups = [g for g in app.registered_groups if g.name == verb]
    if only.registered_commands or only.registered_groups:
        only.callback()(_root)  # a group, as the whole app is: `harness run ...`, not a single-command app
        only(prog_name=prog_name)
    else:
        app(prog_name=prog_name)


def _root() -> None:
    """The `harness` command: thin typer verbs over the library."""
