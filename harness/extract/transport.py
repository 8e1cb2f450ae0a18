"""The httpx transports the openai client is given: `Http11Transport` speaks through the run's `Wire` (the one
HTTP/1.1 pool, harness.extract.wire), `GuardedTransport` puts a guard over every request (one deadline, size cap,
sends counted) and answers a request the direct path has already sent from that path's reply.

`GuardedTransport`: each request gets one deadline for the whole exchange (a server dripping a byte at a time cannot
stretch a per-read timeout), a response body larger than its cap is refused as `AnswerTooLarge` while it is read
(before any JSON parsing), and every request written to a socket is reported to `on_send` — a re-send on a
kept-alive connection the server had closed included. A request equal to the one in `REPLAY` (set by the provider
when the direct path hands a sample over to instructor) is not sent again: its reply, or its fault, is returned as
if the endpoint had just given it, so instructor and openai read it as they read any other, and nothing is paid twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx2

from harness.extract.direct import REPLAY, Replay
from harness.extract.wire import AnswerTooLarge, Wire, WireError

__all__ = ["AnswerTooLarge", "GuardedTransport", "Http11Transport"]

_HTTPX_FAULTS: dict[str, type[httpx2.TransportError]] = {
    "connect": httpx2.ConnectError, "connect_timeout": httpx2.ConnectTimeout, "read_timeout": httpx2.ReadTimeout,
    "read": httpx2.ReadError, "protocol": httpx2.RemoteProtocolError, "proxy": httpx2.ProxyError,
}  # fmt: skip


def httpx_fault(exc: WireError) -> httpx2.TransportError:
    """The httpx exception a wire fault is (openai maps these to its connection and timeout errors)."""
    return _HTTPX_FAULTS[exc.kind](str(exc))


class Http11Transport(httpx2.AsyncBaseTransport):
    """httpx transport over the run's `Wire`: its keep-alive pool, TLS and proxies."""

    def __init__(self, wire: Wire) -> None:
        self._wire = wire

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        timeouts = request.extensions.get("timeout", {})
        body = await request.aread()
        headers = [(k, b"identity" if k.lower() == b"accept-encoding" else v) for k, v in request.headers.raw]
        try:
            status, got, content = await self._wire.exchange(
                request.method, str(request.url), headers, body, timeouts.get("connect"), timeouts.get("read")
            )
        except WireError as exc:
            raise httpx_fault(exc) from None
        return httpx2.Response(status, headers=got, stream=httpx2.ByteStream(content), request=request)

    async def aclose(self) -> None:
        await self._wire.aclose()


class GuardedTransport(httpx2.AsyncBaseTransport):
    """Every request through `inner` with one deadline, its response body capped, and its sends counted."""

    def __init__(
        self, inner: httpx2.AsyncBaseTransport, deadline: float, max_bytes: int, on_send: Callable[[], None]
    ) -> None:
        self._inner = inner
        self._deadline = deadline
        self._max_bytes = max_bytes
        self._on_send = on_send

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.headers["Accept-Encoding"] = "identity"  # the cap counts the bytes that will be parsed
        replay = REPLAY.get()
        if replay is not None and _same_body(await request.aread(), replay.body):
            REPLAY.set(None)  # once: a re-ask is a new request
            return self._replayed(request, replay)
        self._on_send()
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._inner.handle_async_request(request)
                try:
                    content = await self._read_capped(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise httpx2.ReadTimeout(f"no complete response within the deadline of {self._deadline:g} s") from None
        return httpx2.Response(
            response.status_code, headers=response.headers, stream=httpx2.ByteStream(content),
            request=request, extensions=response.extensions,
        )  # fmt: skip

    def _replayed(self, request: httpx2.Request, replay: Replay) -> httpx2.Response:
        reply = replay.reply
        if isinstance(reply.error, WireError):
            raise httpx_fault(reply.error)
        if type(reply.error) is TimeoutError:  # the direct path's deadline: the same one as here
            raise httpx2.ReadTimeout(f"no complete response within the deadline of {self._deadline:g} s")
        if reply.error is not None:
            raise reply.error
        return httpx2.Response(
            reply.status, headers=reply.headers or [], stream=httpx2.ByteStream(reply.content), request=request
        )

    async def _read_capped(self, response: httpx2.Response) -> bytes:
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._max_bytes:
            raise AnswerTooLarge(self._max_bytes, int(length))
        parts: list[bytes] = []
        total = 0
        async for chunk in response.aiter_raw():
            total += len(chunk)
            if total > self._max_bytes:
                raise AnswerTooLarge(self._max_bytes)
            parts.append(chunk)
        return b"".join(parts)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _same_body(content: bytes, sent: Any) -> bool:
    """Whether a request's JSON body is the one the direct path sent (compared as JSON: key order and spacing aside)."""
    try:
        return bool(json.loads(content) == sent)
    except ValueError:
        return False
