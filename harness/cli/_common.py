"""Shared CLI plumbing: turn library errors into one-line messages and documented exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import typer

from harness.errors import EXIT_INPUT, InputError

T = TypeVar("T")


def run_guarded(fn: Callable[[], T]) -> T:
    """Call `fn`; an InputError becomes `error: file:line: message` on stderr and exit code 2."""
    try:
        return fn()
    except InputError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT) from None
