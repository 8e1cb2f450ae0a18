"""`harness run`'s progress: one line per finished sample; on a terminal a live area below the lines (samples done,
requests in flight, tokens a second, ETA, the embedded answer's tokens so far); elsewhere a plain line every 30 s
for a long answer, so a pipe or a CI log gets no control codes."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from harness.extract.progress import ProgressHooks
from harness.preload import preload

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

PLAIN_EVERY_S = 30.0
T = TypeVar("T")
# What prints a run's end (the score table); imported while the first requests wait, when the run has any.
PRINTING = ["rich.console", "rich.table", "rich.markup"]
# Set, these can make rich treat a stream that is not a TTY as a terminal (or a notebook): then rich is asked.
_TERMINAL_HINTS = ("FORCE_TERMINAL", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JPY_PARENT_PID", "COLAB_RELEASE_TAG")


def stderr_may_be_terminal() -> bool:
    """False when rich's Console on stderr cannot be a terminal: no TTY and none of the variables that say otherwise.
    A pipe or a CI log is then written without importing rich (about 30 ms of a command's start)."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty()) or any(os.environ.get(k) for k in _TERMINAL_HINTS)


def _what(prompt: str, model: str, article_id: str, repeat: int, repeats: bool) -> str:
    return f"{prompt} {model} {article_id}" + (f" #{repeat}" if repeats else "")


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class RunProgress:
    """The listener `execute_run` is given (`on_result` and `hooks`), rendering on `console` (stderr)."""

    def __init__(self, console: Console | None = None, *, quiet: bool = False, repeats: bool = False,
                 clock: Callable[[], float] = time.monotonic, plain_every_s: float = PLAIN_EVERY_S):  # fmt: skip
        """`console`: where to render; None is stderr, its rich Console made only when something needs rich."""
        self._console, self.quiet, self.repeats, self.clock = console, quiet, repeats, clock
        self.plain_every_s = plain_every_s
        self.terminal = console.is_terminal if console is not None else stderr_may_be_terminal() and (
            self.console.is_terminal)  # fmt: skip
        self.live_area = self.terminal and not quiet
        self._lock = threading.Lock()
        self.total = self.done = 0
        self.flying: dict[str, float] = {}  # label -> when its request took a slot
        self.said: dict[str, float] = {}  # label -> when its last plain "tokens so far" line was printed
        self.tokens: tuple[str | None, int, float] | None = None  # the answer in progress: label, tokens, rate
        self.completion_tokens = 0
        self.request_s = 0.0
        self.t0: float | None = None
        self._live: Live | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
        return self._console

    def hooks(self) -> ProgressHooks:
        return ProgressHooks(on_plan=self.on_plan, on_sent=self.on_sent, on_start=self.on_start,
                             on_stop=self.on_stop, on_tokens=self.on_tokens)  # fmt: skip

    def __enter__(self) -> RunProgress:
        if self.live_area:
            from rich.live import Live

            self._live = Live(console=self.console, get_renderable=self.render, refresh_per_second=4, transient=True,
                              redirect_stdout=False, redirect_stderr=False)  # fmt: skip
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()  # transient: the area is erased, the lines printed above it stay
            self._live = None

    def around(self, run: Callable[[], T]) -> T:
        """`run()` with the live area shown while it runs, and erased before its result or its error is printed."""
        with self:
            return run()

    def _label(self, s) -> str:
        return _what(s.prompt.id, s.model, s.article.article_id, s.repeat, self.repeats)

    def on_plan(self, n: int) -> None:
        with self._lock:
            self.total += n
            self.t0 = self.t0 if self.t0 is not None else self.clock()

    def on_sent(self) -> None:
        preload(PRINTING)  # the run's end is printed with rich: imported while the first requests wait

    def on_start(self, sample) -> None:
        with self._lock:
            label = self._label(sample)
            self.flying[label] = self.clock()
            self.said[label] = self.flying[label]

    def on_stop(self, sample) -> None:
        with self._lock:
            label = self._label(sample)
            self.flying.pop(label, None)
            if self.tokens is not None and self.tokens[0] == label:
                self.tokens = None

    def on_tokens(self, sample, n: int, rate: float) -> None:
        label = self._label(sample) if sample is not None else None
        with self._lock:
            self.tokens = (label, n, rate)
            now = self.clock()
            key = label or "the answer in progress"
            due = not self.live_area and not self.quiet and now - self.said.get(key, now) >= self.plain_every_s
            self.said.setdefault(key, now)
            if due:
                self.said[key] = now
        if due:
            from rich.markup import escape

            self.console.print(f"  … {escape(key)}: {n} tokens so far", soft_wrap=True, highlight=False)

    def on_result(self, r) -> None:
        with self._lock:
            self.done += 1
            if r.source == "request":
                self.completion_tokens += r.usage.completion_tokens
                self.request_s += r.latency_s
        if self.quiet:
            return
        if not self.terminal and r.ok:  # a pipe or a log: the same words without rich (0.2 ms a line)
            out = self._console.file if self._console is not None else sys.stderr
            out.write(f"  ok {_what(r.prompt, r.model, r.article_id, r.repeat, self.repeats)}: "
                      f"{len(r.claims)} claims, {r.latency_s:.1f} s, {r.attempts} attempt(s)"
                      + (" (cut at max_tokens)" if r.truncated else "") + "\n")  # fmt: skip
            return
        from rich.markup import escape

        what = escape(_what(r.prompt, r.model, r.article_id, r.repeat, self.repeats))
        if r.ok:
            line = (f"  [green]ok[/] {what}: {len(r.claims)} claims, {r.latency_s:.1f} s, {r.attempts} attempt(s)"
                    + (" (cut at max_tokens)" if r.truncated else ""))  # fmt: skip
        else:
            line = f"  [red]failed[/] {what}: {r.failure.kind} ({escape(r.failure.message[:120])})"
        self.console.print(line, soft_wrap=True, highlight=False)

    def status(self) -> str:
        """The live area's text: done/total, in flight, tokens a second, ETA, and the answer in progress."""
        with self._lock:
            if not self.total:
                return "loading the articles, the cache and the model…"
            parts = [f"{self.done}/{self.total} requested samples done", f"{len(self.flying)} in flight"]
            live_rate = self.tokens[2] if self.tokens and self.tokens[2] > 0 else None
            if live_rate is not None:
                parts.append(f"{live_rate:.1f} tok/s now")
            elif self.request_s > 0:
                parts.append(f"{self.completion_tokens / self.request_s:.1f} tok/s")
            if self.t0 is not None and 0 < self.done < self.total:
                parts.append(f"ETA {_clock((self.clock() - self.t0) / self.done * (self.total - self.done))}")
            if self.done >= self.total and not self.flying:
                parts.append("scoring")
            line = " · ".join(parts)
            if self.tokens is not None:
                label, n, _ = self.tokens
                since = self.flying.get(label) if label else None
                took = f" in {_clock(self.clock() - since)}" if since is not None else ""
                line += f"\n  {label or 'answer in progress'}: {n} tokens so far{took}"
            return line

    def render(self) -> Text:
        from rich.text import Text

        return Text(self.status(), style="cyan")
