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
import json
import logging
import resource
import time
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from harness.extract.direct import (
    CAPTURE,
    REPLAY,
    Direct,
    Prepared,
    Replay,
    clean_answer,
    instructor_version,
    prepared_dir,
)
from harness.extract.faults import Failure, retry_after_seconds
from harness.extract.identity import local_identity, remote_identity
from harness.extract.params import GenParams, mode_name
from harness.extract.response_spec import ResponseSpec, builtin_spec
from harness.extract.retry import Outcome, count_response, count_setup, on_send, with_retries
from harness.extract.structured import use_schema
from harness.extract.wire import AnswerTooLarge, Wire

if TYPE_CHECKING:
    from harness.extract.preconnect import Preconnect

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
    machine or remote, goes through the same HTTP/1.1 pool, directly (harness.extract.direct) or under instructor.
    """

    def __init__(
        self, base_url: str, api_key: str | None, params: GenParams, prepared: Prepared | None = None,
        preconnect: Preconnect | None = None,
    ) -> None:  # fmt: skip
        params = params.with_defaults(local=False) if params.timeout is None else params
        timeout = params.timeout
        assert timeout is not None  # with_defaults always fills it
        self.params = params
        self.in_flight = fd_in_flight()
        self._fd_slot = asyncio.Semaphore(self.in_flight)
        self._fd_said = False
        self._base_url, self._api_key, self._timeout = base_url, api_key, timeout
        self._wire = Wire(max_bytes=MAX_ANSWER_BYTES, on_send=on_send, preconnect=preconnect)  # every endpoint
        self._direct = Direct(self._wire, base_url, api_key or "unused", timeout, on_send)
        self._prepared = prepared if prepared is not None else Prepared(prepared_dir())
        self._keys: dict[tuple[Any, ...], str | None] = {}
        self._client: Any = None  # the openai client and instructor over it: built when a sample first needs them
        self._instructor: Any = None
        self._building = asyncio.Lock()
        self._secrets = [api_key] if api_key else []
        self._sampling: dict[str, Any] = {"temperature": params.temperature}
        if params.seed is not None:
            self._sampling["seed"] = params.seed
        if params.max_tokens is not None:
            self._sampling["max_tokens"] = params.max_tokens
        # A guard over one instructor call (all its re-asks): a server that trickles bytes cannot hang a sample.
        self._guard = timeout * (params.max_retries + 1) + 5.0

    async def _structured(self) -> Any:
        """instructor over the openai client, both over the run's Wire: built on the first sample that needs them,
        in a thread, so that the second of imports does not stall the requests in flight (nor fire their deadlines).
        """
        if self._instructor is None:
            t0 = time.perf_counter()
            async with self._building:
                if self._instructor is None:
                    self._instructor = await asyncio.to_thread(self._build)
            count_setup(time.perf_counter() - t0)  # loading the client is not the endpoint's latency
        return self._instructor

    def _build(self) -> Any:
        import openai

        from harness.extract.structured import structured_client
        from harness.extract.transport import GuardedTransport, Http11Transport

        guarded = GuardedTransport(Http11Transport(self._wire), self._timeout, MAX_ANSWER_BYTES, on_send)
        http_client = openai.DefaultAsyncHttpxClient(transport=guarded, timeout=self._timeout)
        self._client = openai.AsyncOpenAI(
            base_url=self._base_url, api_key=self._api_key or "unused", max_retries=0, timeout=self._timeout,
            http_client=http_client,
        )  # fmt: skip
        return structured_client(self._client, self.params)

    async def written(self, n: int) -> None:
        """Return once `n` of this provider's requests in all have been written to their sockets."""
        await self._wire.written(n)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
        await self._wire.aclose()

    def _key(self, system: str, model: str, sampling: dict[str, Any], spec: ResponseSpec) -> str | None:
        """The prepared-request key of a request, or None where the direct path does not apply (not JSON mode)."""
        memo = (system, model, tuple(sampling.items()), spec.sha256, spec.source)
        if memo not in self._keys:
            self._keys[memo] = None if mode_name(self.params.mode) != "json" else Prepared.key({
                "instructor": instructor_version(), "mode": "json", "grammar": self.params.sends_grammar(spec.grammar),
                "schema": spec.sha256, "response": spec.source, "system": system, "model": model, "sampling": sampling,
            })  # fmt: skip
        return self._keys[memo]

    async def _once(self, messages: list[dict[str, str]], model: str, repeat: int, spec: ResponseSpec) -> BaseModel:
        if self._fd_slot.locked() and not self._fd_said:
            self._fd_said = True
            limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            _log.warning("at most %d requests in flight: the open-file limit (ulimit -n) is %d", self.in_flight, limit)
        sampling = self.sampling(repeat)
        shape = len(messages) == 2 and messages[0].get("role") == "system" and messages[1].get("role") == "user"
        key = self._key(messages[0]["content"], model, sampling, spec) if shape else None
        grammar = self.params.sends_grammar(spec.grammar)
        async with self._fd_slot, asyncio.timeout(self._guard), use_schema(spec.schema, grammar):
            template = self._prepared.get(key) if key is not None else None
            clean, replay = None, None
            if template is not None:
                body = template.fill(messages[1]["content"])
                reply = await self._direct.post(body)
                if (clean := clean_answer(reply, spec.base)) is None:
                    replay = Replay(json.loads(body), reply)
            if clean is not None:
                answer, prompt_tokens, completion_tokens = clean
                count_response(prompt_tokens, completion_tokens)
            else:
                answer = await self._ask_instructor(messages, model, sampling, spec, key, replay)
        if clean is None or len(reply.content) > MAX_FIELD_CHARS:  # no string of an answer is longer than its reply
            check_answer_size(answer)
        return answer

    async def _ask_instructor(
        self, messages: list[dict[str, str]], model: str, sampling: dict[str, Any], spec: ResponseSpec,
        key: str | None, replay: Replay | None,
    ) -> BaseModel:  # fmt: skip
        """instructor's own call, its first request answered by `replay` when the direct path already sent it."""
        structured = await self._structured()
        captured = CAPTURE.set((self._prepared, key, messages[1]["content"]) if key and replay is None else None)
        replayed = REPLAY.set(replay)
        try:
            answer: BaseModel = await structured.create(
                model=model, messages=messages, response_model=spec.model,
                max_retries=self.params.max_retries, strict=False, **sampling,
            )  # fmt: skip
        finally:
            REPLAY.reset(replayed)
            CAPTURE.reset(captured)
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
