"""`harness run --batch`: its options turned into the run's BatchConfig, refused up front where a batch cannot go,
and the batch's progress lines on stderr."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from harness.extract.params import BatchConfig
    from harness.pipeline import RunConfig

BATCH_HELP = (
    "Send the samples the cache lacks as one OpenAI Batch API job (half price, 24 h window) and wait for it; an "
    "interrupted wait is resumed by the same command. Endpoints only; no re-asks inside a batch."
)
POLL_MAX_HELP = "With --batch: the longest pause between two looks at the batch, in seconds (from 5 s, doubling)."
WAIT_HELP = "With --batch: stop waiting after this many seconds (exit 2); the same command resumes the same batch."


def batch_config(batch: bool, poll_max: float, wait: float | None) -> BatchConfig | None:
    """The BatchConfig of the options, or None without --batch (its options alone are refused)."""
    from pydantic import ValidationError

    from harness.extract.params import BatchConfig

    if not batch:
        if wait is not None:
            raise InputError("--batch-wait goes with --batch")
        return None
    try:
        return BatchConfig(poll_first=min(5.0, poll_max), poll_max=poll_max, wait=wait)
    except ValidationError as exc:
        err = exc.errors()[0]
        flag = {"poll_max": "--batch-poll-max", "poll_first": "--batch-poll-max", "wait": "--batch-wait"}
        raise InputError(f"{flag.get(str(err['loc'][0]), '--batch')} {err.get('input')!r}: {err['msg']}") from None


def checked_by(config: Callable[[], RunConfig]) -> Callable[[], RunConfig]:
    """`config` whose result raises an InputError when --batch cannot go with it: no endpoint, the baseline, no
    cache."""

    def checked() -> RunConfig:
        cfg = config()
        if cfg.batch is None:
            return cfg
        from harness.extract.batch_api import refusal
        from harness.pipeline import resolve_endpoint

        if (why := refusal(resolve_endpoint(cfg))) is not None:
            raise InputError(why)
        if cfg.cache_dir is None:
            raise InputError("--batch keeps its answers and its batch id in the local cache: not with --no-cache")
        return cfg

    return checked


class _Lines(logging.Handler):
    def __init__(self, console: Console):
        super().__init__()
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        self.console.print(f"  batch: {record.getMessage()}", soft_wrap=True, markup=False, highlight=False)


def show_progress(console: Console | None, quiet: bool) -> None:
    """The batch's submission, polls and end as lines on `console` (stderr); none when `quiet` (then no console)."""
    log = logging.getLogger("harness.batch")
    for old in [h for h in log.handlers if isinstance(h, _Lines)]:  # an earlier run's console in this process
        log.removeHandler(old)
    if not quiet:
        assert console is not None
        log.addHandler(_Lines(console))
    log.setLevel(logging.INFO)
    log.propagate = False
