"""A lean HTTP/1.1 keep-alive transport for endpoints on this machine (127.0.0.1, localhost, ::1).

Hand-written because httpcore's pool inspects every pooled connection's socket on each request: at 50 connections
on a small CPU that alone costs about a millisecond per request, more than the rest of the client path. It is used
only for plain http:// on loopback (no TLS, no proxy applies there); every other URL goes through httpx's own
transport. It speaks the subset such servers use: Content-Length or chunked bodies, keep-alive, Connection: close.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import httpx2

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


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


async def _read_body(reader: asyncio.StreamReader, headers: list[tuple[str, str]]) -> tuple[bytes, bool]:
    """The body per the headers, and whether the connection may be reused."""
    te = next((v for k, v in headers if k.lower() == "transfer-encoding"), "")
    if "chunked" in te.lower():
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, if any
                    pass
                return b"".join(parts), True
            parts.append((await reader.readexactly(size + 2))[:-2])
    length = next((v for k, v in headers if k.lower() == "content-length"), None)
    if length is not None:
        return await reader.readexactly(int(length)), True
    return await reader.read(), False  # delimited by the server closing the connection


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, list[tuple[str, str]], bytes, bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _NoResponse from None
        raise
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = [(k.strip(), v.strip()) for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)]
    body, reusable = await _read_body(reader, headers)
    close = any(k.lower() == "connection" and "close" in v.lower() for k, v in headers)
    return int(status), headers, body, reusable and not close and version == "HTTP/1.1"


class LoopbackTransport(httpx2.AsyncBaseTransport):
    """httpx transport over asyncio streams with a LIFO pool of idle connections per host and port."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Conn]] = {}

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
        while True:
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
                    status, headers, content, keep = await _read_response(conn.reader)
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
