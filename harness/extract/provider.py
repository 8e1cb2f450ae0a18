"""The Provider: one OpenAI-compatible endpoint, asked once per sample; the face the runner and pipeline use.

The client is built once per run and shared across requests; each request is retried by the policy in
`harness.extract.retry`, shaped by instructor as set up in `harness.extract.structured`. The API key lives only in
the client object: it is never put in a record, a cache entry or a log line.

Limits a hostile or broken server cannot lift: every HTTP request has one deadline (`timeout`, the whole exchange);
a response body over `MAX_ANSWER_BYTES` is refused while it is read, and an answer with a string over
`MAX_FIELD_CHARS`, both as the failure kind `oversized` (not retried); at most `fd_in_flight()` requests are in
flight, below the process's open-file limit, so sockets never starve the cache writes.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from contextlib import AbstractAsyncContextManager
from typing import Any

from pydantic import BaseModel

from harness.extract.faults import Failure, retry_after_seconds
from harness.extract.identity import local_identity, remote_identity
from harness.extract.params import GenParams, mode_name
from harness.extract.response_spec import ResponseSpec, builtin_spec
from harness.extract.retry import Outcome, on_send, with_retries
from harness.extract.structured import structured_client, use_schema
from harness.extract.transport import AnswerTooLarge

MAX_ANSWER_BYTES = 1 << 20  # 1 MiB of response body: ~250k tokens, a hundred times the largest answer seen here
MAX_FIELD_CHARS = 100_000  # one string of an answer (a claim's text, a quote) past this is not a claim
FD_RESERVE = 64  # open files kept free for the interpreter, the cache writes, the record and the reports
_log = logging.getLogger("harness")

# Re-exported: the pipeline, the run record, the reports and the tests import these names from here.
__all__ = [
    "Failure",
    "GenParams",
    "Outcome",
    "Provider",
    "local_identity",
    "mode_name",
    "remote_identity",
    "retry_after_seconds",
]


def fd_in_flight() -> int:
    """Requests allowed in flight at once: one socket each, `FD_RESERVE` files kept free under `ulimit -n`."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 16
    return max(1, soft - FD_RESERVE)


def _longest_string(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return max((_longest_string(v) for v in value), default=0)
    return 0


def check_answer_size(answer: Any) -> None:
    """AnswerTooLarge when a string of a parsed answer (a pydantic model) is over MAX_FIELD_CHARS: the rule every
    path that reads answers applies, live or from a batch."""
    longest = _longest_string(answer.model_dump())
    if longest > MAX_FIELD_CHARS:
        raise AnswerTooLarge(MAX_FIELD_CHARS, longest, "a string of the answer", "characters")


class Provider:
    """An OpenAI-compatible endpoint wrapped by instructor; build one per run and share it across requests.

    The openai client's own retries are off (every attempt is counted by the retry policy); every endpoint, on this
    machine or remote, goes through the same guarded HTTP/1.1 transport.
    """

    def __init__(self, base_url: str, api_key: str | None, params: GenParams):
        import openai

        from harness.extract.transport import GuardedTransport, Http11Transport

        params = params.with_defaults(local=False) if params.timeout is None or params.grammar is None else params
        timeout = params.timeout
        assert timeout is not None  # with_defaults always fills it
        self.params = params
        self.in_flight = fd_in_flight()
        self._fd_slot = asyncio.Semaphore(self.in_flight)
        self._fd_said = False
        inner = Http11Transport(max_bytes=MAX_ANSWER_BYTES, on_send=on_send)  # every endpoint, one path
        guarded = GuardedTransport(inner, deadline=timeout, max_bytes=MAX_ANSWER_BYTES, on_send=on_send)
        http_client = openai.DefaultAsyncHttpxClient(transport=guarded, timeout=timeout)
        self._secrets = [api_key] if api_key else []
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "unused", max_retries=0, timeout=timeout, http_client=http_client,
        )  # fmt: skip
        self._instructor = structured_client(self._client, params)
        self._sampling: dict[str, Any] = {"temperature": params.temperature}
        if params.seed is not None:
            self._sampling["seed"] = params.seed
        if params.max_tokens is not None:
            self._sampling["max_tokens"] = params.max_tokens
        # A guard over one instructor call (all its re-asks): a server that trickles bytes cannot hang a sample.
        self._guard = timeout * (params.max_retries + 1) + 5.0

    async def aclose(self) -> None:
        await self._client.close()

    async def _once(self, messages: list[dict[str, str]], model: str, repeat: int, spec: ResponseSpec) -> BaseModel:
        if self._fd_slot.locked() and not self._fd_said:
            self._fd_said = True
            limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            _log.warning("at most %d requests in flight: the open-file limit (ulimit -n) is %d", self.in_flight, limit)
        async with self._fd_slot, asyncio.timeout(self._guard), use_schema(spec.schema):
            answer = await self._instructor.create(
                # ignore: messages are plain role/content dicts; instructor declares openai's TypedDict message params
                model=model, messages=messages, response_model=spec.model,  # type: ignore[arg-type]
                max_retries=self.params.max_retries, strict=False, **self.sampling(repeat),
            )  # fmt: skip
        check_answer_size(answer)
        return answer

    def sampling(self, repeat: int = 0) -> dict[str, Any]:
        """The sampling fields sent: repeat r asks with seed + r, so repeats at a temperature above 0 can differ
        (one fixed seed makes a seeded server give the same answer every time); repeat 0 sends the seed as given."""
        if repeat and "seed" in self._sampling:
            return {**self._sampling, "seed": self._sampling["seed"] + repeat}
        return self._sampling

    async def request(
        self,
        messages: list[dict[str, str]],
        model: str,
        slot: AbstractAsyncContextManager[Any] | None = None,
        repeat: int = 0,
        response: ResponseSpec | None = None,
    ) -> Outcome:
        """Ask once for `messages`, retrying transport faults; never raises for a fault of the endpoint.

        `slot` (the run's concurrency limit) is held only while a request is in flight, not while backing off.
        `response` is the model asked for (default: the built-in one).
        """
        spec = response or builtin_spec()
        return await with_retries(
            lambda: self._once(messages, model, repeat, spec), self.params, slot, self._secrets, spec.salvage
        )
