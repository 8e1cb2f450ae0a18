"""The `harness` command: thin typer verbs over the library. Nothing in the library imports this package."""

from __future__ import annotations

import atexit
import gc

import typer

from harness.cli._common import run_guarded  # noqa: F401  (re-exported for verb modules)

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
# At exit every object left is frozen, so the interpreter's last collections skip them: after a run of 500 samples
# walking them took about 0.1 s of a 2 s command, for memory the process gives back to the system anyway.
atexit.register(gc.freeze)


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
