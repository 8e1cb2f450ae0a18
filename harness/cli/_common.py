"""Shared CLI plumbing: turn library errors into one-line messages and documented exit codes."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from harness.errors import EXIT_INPUT, InputError

if TYPE_CHECKING:
    from pydantic import ValidationError

T = TypeVar("T")

GOLD_HELP = ("The gold: a folder of <article_id>.yaml files, a `harness gold export` folder, or a .json, .jsonl or "
             ".parquet file of its schema (see `harness gold export --help`).")  # fmt: skip
ARTICLES_HELP = ("a folder of .txt files, a `datasets` save_to_disk folder, or a .json, .jsonl or .parquet file "
                 "(columns article_id and text; a gold file of the export's schema is one).")  # fmt: skip

# Config fields whose command-line option is not `--<field-name>`.
_FLAGS = {"out_dir": "--out", "only": "--article", "prompts": "--prompt", "models": "--model"}


def option_error(exc: ValidationError) -> InputError:
    """The first invalid setting of a RunConfig / GenParams as `--option VALUE: why`."""
    err = exc.errors()[0]
    name = str(err["loc"][-1]) if err["loc"] else "option"
    flag = _FLAGS.get(name, "--" + name.replace("_", "-"))
    return InputError(f"{flag} {err.get('input')!r}: {err['msg'][:1].lower()}{err['msg'][1:]}")


def at_least(option: str, value: float | None, low: float) -> None:
    """Refuse `option` below `low` (NaN included) before the verb does anything."""
    if value is not None and not value >= low:
        raise InputError(f"{option} must be at least {low:g}, not {value}")


def within(option: str, value: float, low: float, high: float) -> None:
    """Refuse `option` outside [low, high], NaN and infinities included."""
    if not (math.isfinite(value) and low <= value <= high):
        raise InputError(f"{option} must be between {low:g} and {high:g}, not {value}")


def _stdout_gone() -> None:
    """After stdout failed (a full disk, a closed pipe): point fd 1 at /dev/null, so that the interpreter's own
    flush at exit does not print a second error."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def os_error_line(exc: OSError) -> str:
    """`path: why` of an OSError (its file when it names one)."""
    return InputError(exc.strerror or str(exc), None if exc.filename is None else str(exc.filename)).one_line()


def run_guarded(fn: Callable[[], T]) -> T:
    """Call `fn`; an InputError becomes `error: file:line: message` on stderr and exit code 2; so does an OSError
    (a file that cannot be written after all: a full disk, a permission changed under the run), as one line."""
    try:
        return fn()
    except InputError as exc:
        print(f"error: {exc.one_line()}", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT) from None
    except OSError as exc:
        print(f"error: {os_error_line(exc)}", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT) from None


def printing_guarded(fn: Callable[[], T]) -> T:
    """Call `fn`, which prints to stdout; stdout that cannot be written is one line on stderr and exit 2."""
    try:
        try:
            return fn()
        finally:  # print() buffers when stdout is not a terminal: fail here, not at the interpreter's exit
            sys.stdout.flush()
    except OSError as exc:
        _stdout_gone()
        print(f"error: <stdout>: cannot write: {exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(EXIT_INPUT) from None
