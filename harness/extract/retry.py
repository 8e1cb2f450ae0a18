"""The retry policy of one request: what is retried, how long to back off (Retry-After honoured), attempts counted.

Transport faults (connection, timeout, 429, 5xx) are retried by tenacity (`AsyncRetrying`: the loop, the stop after
`max_attempts`, the sleeps; the first attempt runs before it, so a request answered at once builds no loop) with the
wait chosen by `backoff_seconds`: the server's Retry-After capped at `retry_after_max`, else exponential back-off
from `backoff_base` with 50-100% jitter. The openai client's own retries are off. Answers that do not fit the response
model are re-asked by instructor (`max_retries`). Attempts are the HTTP requests the transport actually wrote
(`on_send`: a silent re-send on a closed keep-alive connection included); tokens come from instructor's hooks,
re-asks included, so every attempt is on the record.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from harness.extract.cache import Usage
from harness.extract.faults import Failure, classify, salvaged
from harness.extract.params import GenParams

if TYPE_CHECKING:
    from tenacity import RetryCallState

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


@dataclass
class Outcome:
    """The result of one logical request: an answer or a failure, with its attempts, tokens and wall time.

    `truncated`: the answer was cut at max_tokens and holds the claims completed before the cut.
    """

    answer: BaseModel | None
    usage: Usage
    attempts: int
    latency_s: float
    failure: Failure | None = None
    truncated: bool = False


class _Tally:
    """Per-request counters, reached from instructor's hooks through a context variable (one per asyncio task)."""

    __slots__ = ("completion_tokens", "errors", "prompt_tokens", "responses", "sends", "setup_s")

    def __init__(self) -> None:
        self.responses = self.errors = self.prompt_tokens = self.completion_tokens = self.sends = 0
        self.setup_s = 0.0  # time spent loading the client (instructor, openai), which is not the endpoint's


_TALLY: ContextVar[_Tally | None] = ContextVar("harness_request_tally", default=None)


def on_response(response: Any) -> None:
    """instructor's `completion:response` hook: one attempt answered, with its tokens."""
    usage = getattr(response, "usage", None)
    count_response(getattr(usage, "prompt_tokens", 0) or 0, getattr(usage, "completion_tokens", 0) or 0)


def count_response(prompt_tokens: int, completion_tokens: int) -> None:
    """One attempt answered (through instructor's hook or on the direct path), with its tokens."""
    tally = _TALLY.get()
    if tally is not None:
        tally.responses += 1
        tally.prompt_tokens += prompt_tokens
        tally.completion_tokens += completion_tokens


def count_setup(seconds: float) -> None:
    """This request waited `seconds` for the client itself to load: taken out of its latency."""
    tally = _TALLY.get()
    if tally is not None:
        tally.setup_s += seconds


def on_send() -> None:
    """The transport wrote one HTTP request to a socket (a re-send included)."""
    tally = _TALLY.get()
    if tally is not None:
        tally.sends += 1


def on_error(_error: Exception, **_: Any) -> None:
    """instructor's `completion:error` hook: one attempt failed."""
    tally = _TALLY.get()
    if tally is not None:
        tally.errors += 1


def retryable(failure: Failure) -> bool:
    """Transport faults, timeouts and the HTTP statuses that say "try again later"."""
    if failure.kind in ("transport", "timeout"):
        return True
    return failure.kind == "http_status" and failure.status in RETRYABLE_STATUS


def backoff_seconds(params: GenParams, attempt: int, retry_after: float | None) -> float:
    """The server's Retry-After (capped), else exponential back-off from `backoff_base` with jitter."""
    if retry_after is not None:
        return min(retry_after, params.retry_after_max)
    base = min(params.backoff_base * (2 ** (attempt - 1)), params.backoff_max)
    return base * (0.5 + random.random() / 2)


class _Retry(Exception):
    """A retryable failure, carried through tenacity with the wait the server asked for."""

    def __init__(self, failure: Failure, retry_after: float | None):
        super().__init__(failure.message)
        self.failure = failure
        self.retry_after = retry_after


async def _attempts_after(
    first: _Retry, attempt: Callable[[], Awaitable[tuple[BaseModel | None, Failure | None, bool]]], params: GenParams
) -> tuple[BaseModel | None, Failure | None, bool]:
    """Attempts 2 to `max_attempts` in tenacity's loop, after the back-off the first failure asks for (tenacity is
    imported here, by the first retry of a run: most runs need none, and a command's start is spared 18 ms)."""
    if params.max_attempts <= 1:
        return None, first.failure, False
    from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

    def wait(state: RetryCallState) -> float:  # state.attempt_number counts this loop's attempts: one came before
        exc = state.outcome.exception() if state.outcome is not None else None
        retry_after = exc.retry_after if isinstance(exc, _Retry) else None
        return backoff_seconds(params, state.attempt_number + 1, retry_after)

    await asyncio.sleep(backoff_seconds(params, 1, first.retry_after))
    retrying = AsyncRetrying(
        stop=stop_after_attempt(params.max_attempts - 1), wait=wait, retry=retry_if_exception_type(_Retry),
        sleep=asyncio.sleep, reraise=True,
    )  # fmt: skip
    try:
        return await retrying(attempt)
    except _Retry as last:
        return None, last.failure, False


async def with_retries(
    call: Callable[[], Awaitable[BaseModel]],
    params: GenParams,
    slot: AbstractAsyncContextManager[Any] | None,
    secrets: Iterable[str] = (),
    salvage: Callable[[str], BaseModel | None] | None = None,
) -> Outcome:
    """Run `call` until it answers, a fault is not retryable, or `max_attempts` is reached; never raises for a fault.

    `slot` (the run's concurrency limit) is held only while a request is in flight, not while backing off.
    The latency runs from the first attempt's start to the end, back-off included, queueing and the one-time loading
    of instructor and openai excluded.
    `secrets` are redacted from failure messages before they are cut; `salvage` reads the claims finished in an
    answer cut at max_tokens (default: the built-in model's).
    """
    tally = _Tally()
    token = _TALLY.set(tally)
    start: float | None = None  # set when the first attempt starts: waiting for a free slot is not latency
    secrets = list(secrets)

    async def attempt() -> tuple[BaseModel | None, Failure | None, bool]:
        nonlocal start
        try:
            if slot is None:
                start = start or time.perf_counter()
                return await call(), None, False
            async with slot:
                start = start or time.perf_counter()
                return await call(), None, False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every fault of the endpoint becomes a recorded failure
            if type(exc) is TimeoutError:  # our guard fired: no instructor hook saw this attempt end
                tally.errors += 1
            failure, retry_after = classify(exc, secrets)
            if failure.kind == "length":
                answer = salvaged(exc, salvage)
                return (answer, None, True) if answer is not None else (None, failure, False)
            if retryable(failure):
                raise _Retry(failure, retry_after) from exc
            return None, failure, False

    answer: BaseModel | None
    failure: Failure | None
    truncated: bool
    try:
        try:  # most requests end at their first attempt, which runs outside the loop (building one costs per call)
            answer, failure, truncated = await attempt()
        except _Retry as first:
            answer, failure, truncated = await _attempts_after(first, attempt, params)
    finally:
        _TALLY.reset(token)
    usage = Usage(prompt_tokens=tally.prompt_tokens, completion_tokens=tally.completion_tokens)
    attempts = tally.sends or max(tally.responses + tally.errors, 1)
    latency = max(0.0, time.perf_counter() - start - tally.setup_s) if start is not None else 0.0
    return Outcome(answer=answer, usage=usage, attempts=attempts, latency_s=latency,
                   failure=failure, truncated=truncated)  # fmt: skip
