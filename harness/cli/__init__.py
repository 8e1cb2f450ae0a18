"""The `harness` command: thin typer verbs over the library. Nothing in the library imports this package."""

from __future__ import annotations

import typer

from harness.cli._common import run_guarded  # noqa: F401  (re-exported for verb modules)

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


def _register() -> None:
    """Attach each verb group; one module per area keeps every file readable in one sitting."""
    from harness.cli import gold, score

    app.add_typer(gold.app, name="gold")
    app.command("score")(score.score)
    from harness.cli import local_model

    app.add_typer(local_model.app, name="local-model")


_register()
