"""The Provider: one OpenAI-compatible endpoint, asked once per sample; the face the runner and pipeline use.

The client is built once per run and shared across requests; each request is retried by the policy in
`harness.extract.retry`, shaped by instructor as set up in `harness.extract.structured`. The API key lives only in
the client object: it is never put in a record, a cache entry or a log line.
"""

from __future__ import annotations

import asyncio
from typing import Any

from harness.extract.faults import Failure, retry_after_seconds
from harness.extract.identity import local_identity, remote_identity
from harness.extract.params import GenParams, mode_name
from harness.extract.response import ClaimsAnswer, instructor_model
from harness.extract.retry import Outcome, with_retries
from harness.extract.structured import structured_client

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


class Provider:
    """An OpenAI-compatible endpoint wrapped by instructor; build one per run and share it across requests.

    The openai client's own retries are off (every attempt is counted by the retry policy); endpoints on this
    machine get the lean loopback transport.
    """

    def __init__(self, base_url: str, api_key: str | None, params: GenParams):
        import httpx2
        import openai

        from harness.extract.transport import LoopbackTransport, is_loopback_http

        params = params.with_defaults(local=False) if params.timeout is None or params.grammar is None else params
        timeout = params.timeout
        assert timeout is not None  # with_defaults always fills it
        self.params = params
        http_client = None
        if is_loopback_http(base_url):
            http_client = httpx2.AsyncClient(transport=LoopbackTransport(), timeout=timeout)
        self._secrets = [k for k in (api_key, api_key[:12] if api_key and len(api_key) > 16 else None) if k]
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "unused", max_retries=0, timeout=timeout, http_client=http_client,
        )  # fmt: skip
        self._instructor = structured_client(self._client, params)
        self._model = instructor_model()
        self._sampling: dict[str, Any] = {"temperature": params.temperature}
        if params.seed is not None:
            self._sampling["seed"] = params.seed
        if params.max_tokens is not None:
            self._sampling["max_tokens"] = params.max_tokens
        # A guard over one instructor call (all its re-asks): a server that trickles bytes cannot hang a sample.
        self._guard = timeout * (params.max_retries + 1) + 5.0

    async def aclose(self) -> None:
        await self._client.close()

    async def _once(self, messages: list[dict[str, str]], model: str) -> ClaimsAnswer:
        async with asyncio.timeout(self._guard):
            return await self._instructor.create(
                # ignore: messages are plain role/content dicts; instructor declares openai's TypedDict message params
                model=model, messages=messages, response_model=self._model,  # type: ignore[arg-type]
                max_retries=self.params.max_retries, strict=False, **self._sampling,
            )  # fmt: skip

    def _redacted(self, failure: Failure) -> Failure:
        """An endpoint may echo the key in its error text ("Incorrect API key provided: sk-..."): never keep it."""
        message = failure.message
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return failure if message == failure.message else failure.model_copy(update={"message": message})

    async def request(
        self, messages: list[dict[str, str]], model: str, slot: asyncio.Semaphore | None = None
    ) -> Outcome:
        """Ask once for `messages`, retrying transport faults; never raises for a fault of the endpoint.

        `slot` (the run's concurrency limit) is held only while a request is in flight, not while backing off.
        """
        return await with_retries(lambda: self._once(messages, model), self.params, slot, self._redacted)
