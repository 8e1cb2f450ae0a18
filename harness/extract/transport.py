"""The HTTP transports: a guard over every request (deadline, size cap, sends counted) and a lean HTTP/1.1
keep-alive transport for endpoints on this machine (127.0.0.1, localhost, ::1).

`GuardedTransport` wraps whichever transport speaks to the endpoint: each request gets one deadline for the whole
exchange (a server dripping a byte at a time cannot stretch a per-read timeout), a response body larger than its cap
is refused as `AnswerTooLarge` while it is read (before any JSON parsing), and every request written to a socket is
reported to `on_send` — a re-send on a kept-alive connection the server had closed included.

The loopback transport is hand-written because httpcore's pool inspects every pooled connection's socket on each
request: at 50 connections on a small CPU that alone costs about a millisecond per request, more than the rest of
the client path. It is used only for plain http:// on loopback (no TLS, no proxy applies there); every other URL goes
through httpx's own transport. It speaks the subset such servers use: Content-Length or chunked bodies, keep-alive,
Connection: close.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx2

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class AnswerTooLarge(Exception):
    """A response body past the cap: refused while read, never parsed."""

    def __init__(self, limit: int, size: int | None = None, what: str = "the response body", unit: str = "bytes"):
        said = f"{size} {unit}" if size is not None else f"more than {limit} {unit}"
        super().__init__(f"{what} has {said}, over the cap of {limit} {unit}")
        self.limit = limit


def _no_send() -> None:
    return None


def is_loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


class _NoResponse(Exception):
    """The server closed the connection before sending a byte (typical of an idle keep-alive connection)."""


class _Conn:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]], limit: int) -> tuple[bytes, bool]:
    """The body per the headers (at most `limit` bytes, else AnswerTooLarge), and whether the connection may be
    reused."""
    te = next((v for k, v in headers if k.lower() == "transfer-encoding"), "")
    if "chunked" in te.lower():
        parts: list[bytes] = []
        total = 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, if any
                    pass
                return b"".join(parts), True
            total += size
            if total > limit:
                raise AnswerTooLarge(limit)
            parts.append((await reader.readexactly(size + 2))[:-2])
    length = next((v for k, v in headers if k.lower() == "content-length"), None)
    if length is not None:
        if int(length) > limit:
            raise AnswerTooLarge(limit, int(length))
        return await reader.readexactly(int(length)), True
    body = await reader.read(limit + 1)  # delimited by the server closing the connection
    while len(body) <= limit and (more := await reader.read(limit + 1 - len(body))):
        body += more
    if len(body) > limit:
        raise AnswerTooLarge(limit)
    return body, False


async def _read_response(reader: asyncio.StreamReader, limit: int) -> tuple[int, list[tuple[str, str]], bytes, bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _NoResponse from None
        raise
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = [(k.strip(), v.strip()) for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)]
    body, reusable = await _read_body(reader, headers, limit)
    close = any(k.lower() == "connection" and "close" in v.lower() for k, v in headers)
    return int(status), headers, body, reusable and not close and version == "HTTP/1.1"


class LoopbackTransport(httpx2.AsyncBaseTransport):
    """httpx transport over asyncio streams with a LIFO pool of idle connections per host and port.

    `max_bytes` caps a response body; `on_send` hears of a request re-sent after a kept-alive connection turned
    out closed (the first send is counted by `GuardedTransport`)."""

    def __init__(self, max_bytes: int = 1 << 62, on_send: Callable[[], None] = _no_send) -> None:
        self._idle: dict[tuple[str, int], list[_Conn]] = {}
        self._max_bytes = max_bytes
        self._on_send = on_send

    async def _connect(self, key: tuple[str, int], timeout: float | None) -> _Conn:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(*key)
        except TimeoutError:
            raise httpx2.ConnectTimeout(f"connecting to {key[0]}:{key[1]} timed out") from None
        except OSError as exc:
            raise httpx2.ConnectError(f"cannot connect to {key[0]}:{key[1]}: {exc}") from None
        return _Conn(reader, writer)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        timeouts = request.extensions.get("timeout", {})
        url = request.url
        key = (url.host, url.port or 80)
        body = await request.aread()
        lines = [b"%s %s HTTP/1.1" % (request.method.encode(), url.raw_path)]
        lines += [k + b": " + (b"identity" if k.lower() == b"accept-encoding" else v) for k, v in request.headers.raw]
        payload = b"\r\n".join(lines) + b"\r\n\r\n" + body
        idle = self._idle.setdefault(key, [])
        first = True
        while True:
            if not first:
                self._on_send()  # sent again: the first send reached a connection the server had closed
            first = False
            reused = False
            conn = None
            while idle:
                candidate = idle.pop()
                if candidate.usable():
                    conn, reused = candidate, True
                    break
                candidate.close()
            if conn is None:
                conn = await self._connect(key, timeouts.get("connect"))
            try:
                conn.writer.write(payload)
                async with asyncio.timeout(timeouts.get("read")):
                    await conn.writer.drain()
                    status, headers, content, keep = await _read_response(conn.reader, self._max_bytes)
            except _NoResponse:
                conn.close()
                if reused:  # the server had dropped this idle connection; the request never reached it
                    continue
                raise httpx2.RemoteProtocolError("server closed the connection without sending a response") from None
            except TimeoutError:
                conn.close()
                raise httpx2.ReadTimeout("timed out waiting for the response") from None
            except (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                conn.close()
                raise httpx2.ReadError(f"{type(exc).__name__}: {exc}") from None
            except BaseException:
                conn.close()
                raise
            if keep:
                idle.append(conn)
            else:
                conn.close()
            return httpx2.Response(status, headers=headers, stream=httpx2.ByteStream(content), request=request)

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()


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
