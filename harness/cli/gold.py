"""`harness gold check|stats|export`: validate, summarise and export the hand-annotated gold."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Validate, summarise and export the gold annotations.")
