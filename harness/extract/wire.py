"""HTTP/1.1 on asyncio streams: the one connection pool every request of a run goes through, for every endpoint, on
this machine or remote, plain or TLS, direct or through a proxy. No HTTP library is imported here, so the direct path
(harness.extract.direct) can send its first request before httpx and openai are loaded.

Hand-written because httpcore's pool inspects every pooled connection's socket on each request: at 50 connections on
a small CPU that alone costs about a millisecond per request, more than the rest of the client path. It speaks the
subset OpenAI-compatible servers use (Content-Length or chunked bodies, keep-alive, Connection: close), verifies TLS
with httpx's default context (the system store, or SSL_CERT_FILE / SSL_CERT_DIR), and takes the proxy from
HTTP_PROXY / HTTPS_PROXY / ALL_PROXY minus NO_PROXY, as httpx would: plain http through the proxy with an absolute
URL, https through a CONNECT tunnel. Its faults are `WireError`s; harness.extract.transport maps them to httpx's.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import os
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, unquote, urlsplit

if TYPE_CHECKING:
    from harness.extract.preconnect import Preconnect

Headers = list[tuple[str, str]]


class AnswerTooLarge(Exception):
    """A response body past the cap: refused while read, never parsed."""

    def __init__(self, limit: int, size: int | None = None, what: str = "the response body", unit: str = "bytes"):
        said = f"{size} {unit}" if size is not None else f"more than {limit} {unit}"
        super().__init__(f"{what} has {said}, over the cap of {limit} {unit}")
        self.limit = limit


class WireError(Exception):
    """A request that got no response; `kind` is what httpx would call it (harness.extract.transport maps it):
    connect, connect_timeout, read_timeout, read, protocol or proxy."""

    def __init__(self, message: str, kind: str = "read"):
        super().__init__(message)
        self.kind = kind


def origin(parts: SplitResult) -> tuple[str, str, int]:
    """(scheme, host, port) of a split URL: what a connection is kept for and taken by."""
    scheme = parts.scheme
    return scheme, parts.hostname or "", parts.port or (443 if scheme == "https" else 80)


def _no_send() -> None:
    return None


def _is_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _env_proxies() -> dict[str, str]:
    """{scheme: proxy} from the `<scheme>_proxy` variables, the lower-case name winning over the upper-case one and an
    empty lower-case value removing it, as urllib.request.getproxies_environment reads them (not imported here: with
    the email package it pulls in, 17 ms of a command's start). HTTP_PROXY is ignored in a CGI request."""
    env = os.environ
    found = {k[:-6].lower(): v for k, v in env.items() if v and k.lower().endswith("_proxy")}
    if "REQUEST_METHOD" in env:
        found.pop("http", None)
    for k, v in env.items():  # then the names written with a lower-case `_proxy`, which win (or, empty, remove)
        if k.endswith("_proxy"):
            if v:
                found[k[:-6].lower()] = v
            else:
                found.pop(k[:-6].lower(), None)
    return found


def env_proxy(scheme: str, host: str) -> str | None:
    """The proxy URL the environment names for `scheme://host` (NO_PROXY honoured), or None: connect directly.
    A loopback host is never proxied (as Go's net/http does): a remote proxy would reach its own loopback."""
    proxies = _env_proxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    host = host.lower()
    if not proxy or host == "localhost" or _is_loopback_ip(host):
        return None
    for entry in (e.strip().lower() for e in proxies.get("no", "").split(",")):
        if entry == "*":
            return None
        entry = entry.split("://", 1)[-1]
        name = (entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry).strip("[]").lstrip(".")  # port dropped
        if name and (host == name or host.endswith("." + name)):
            return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _proxy_auth(proxy: str) -> str:
    """The Proxy-Authorization header line for a proxy URL with user:password in it, else empty."""
    parts = urlsplit(proxy)
    if parts.username is None:
        return ""
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return f"Proxy-Authorization: Basic {base64.b64encode(pair).decode('ascii')}\r\n"


class _NoResponse(Exception):
    """The server closed the connection before sending a byte (typical of an idle keep-alive connection)."""


class _Conn:
    __slots__ = ("preopened", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, preopened: bool = False):
        self.reader = reader
        self.writer = writer
        self.preopened = preopened  # opened before the run asked (harness.extract.preconnect): it may have idled out

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


async def _read_body(reader: asyncio.StreamReader, headers: Headers, limit: int) -> tuple[bytes, bool]:
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


async def _read_response(
    reader: asyncio.StreamReader, limit: int, head_only: bool = False
) -> tuple[int, Headers, bytes, bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _NoResponse from None
        raise
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = [(k.strip(), v.strip()) for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)]
    if head_only:  # a proxy's answer to CONNECT: what follows belongs to the tunnel
        return int(status), headers, b"", False
    body, reusable = await _read_body(reader, headers, limit)
    close = any(k.lower() == "connection" and "close" in v.lower() for k, v in headers)
    return int(status), headers, body, reusable and not close and version == "HTTP/1.1"


class Wire:
    """A LIFO pool of idle keep-alive connections per scheme, host and port, and the requests sent over them.

    `max_bytes` caps a response body; `on_send` hears of a request re-sent after a kept-alive connection turned
    out closed (the first send is counted by the caller); `preconnect` holds connections opened ahead of the run's
    requests, taken before opening new ones."""

    def __init__(
        self, max_bytes: int = 1 << 62, on_send: Callable[[], None] = _no_send, preconnect: Preconnect | None = None
    ) -> None:
        self._preconnect = preconnect
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._max_bytes = max_bytes
        self._on_send = on_send
        self._tls: ssl.SSLContext | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}
        self._written = 0  # requests written to a socket, re-sends included
        self._awaiting: list[tuple[int, asyncio.Future[None]]] = []

    async def written(self, n: int) -> None:
        """Return once `n` requests in all have been written to their sockets (re-sends included)."""
        if self._written < n:
            waiter = asyncio.get_running_loop().create_future()
            self._awaiting.append((n, waiter))
            await waiter

    def _count_written(self) -> None:
        self._written += 1
        if self._awaiting:
            for n, waiter in self._awaiting:
                if n <= self._written and not waiter.done():
                    waiter.set_result(None)
            self._awaiting = [(n, w) for n, w in self._awaiting if not w.done()]

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:  # built on the first https request: loading the CA bundle takes a few ms
            import httpx2

            self._tls = httpx2.create_ssl_context(trust_env=True)
        return self._tls

    def proxy(self, scheme: str, host: str) -> str | None:
        key = (scheme, host)
        if key not in self._proxies:
            self._proxies[key] = env_proxy(scheme, host)
        return self._proxies[key]

    async def _connect(self, key: tuple[str, str, int], proxy: str | None, timeout: float | None) -> _Conn:
        scheme, host, port = key
        tls = self._tls_context() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                sock = self._preconnect.take(key) if self._preconnect is not None and proxy is None else None
                if sock is not None:
                    reader, writer = await asyncio.open_connection(sock=sock, ssl=tls, server_hostname=tls and host)
                    return _Conn(reader, writer, preopened=True)
                if proxy is None:
                    reader, writer = await asyncio.open_connection(host, port, ssl=tls, server_hostname=tls and host)
                    return _Conn(reader, writer)
                via = urlsplit(proxy)
                if via.scheme != "http":
                    raise WireError(f"proxy scheme {via.scheme!r} is not supported (use an http:// proxy)", "proxy")
                reader, writer = await asyncio.open_connection(via.hostname, via.port or 80)
                conn = _Conn(reader, writer)
                if tls is not None:  # a tunnel through the proxy, then TLS with the endpoint inside it
                    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
                    auth = _proxy_auth(proxy)
                    writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{auth}\r\n".encode("latin-1"))
                    status, _, _, _ = await _read_response(reader, 1 << 16, head_only=True)
                    if status != 200:
                        conn.close()
                        raise WireError(f"the proxy refused the tunnel to {target} ({status})", "proxy")
                    await writer.start_tls(tls, server_hostname=host)
                return conn
        except TimeoutError:
            raise WireError(f"connecting to {host}:{port} timed out", "connect_timeout") from None
        except (OSError, asyncio.IncompleteReadError, _NoResponse, ValueError) as exc:
            raise WireError(f"cannot connect to {host}:{port}: {exc}", "connect") from None

    async def exchange(
        self, method: str, url: str, headers: list[tuple[bytes, bytes]], body: bytes,
        connect_timeout: float | None = None, read_timeout: float | None = None,
    ) -> tuple[int, Headers, bytes]:  # fmt: skip
        """Send one request (`headers` without Host and Content-Length, which are added) and read its response:
        status, headers and body. Raises WireError for a request that got no response, AnswerTooLarge past the cap.
        """
        parts = urlsplit(url)
        key = origin(parts)
        scheme, host = key[0], key[1]
        proxy = self.proxy(scheme, host)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        extra: list[bytes] = []
        if proxy is not None and scheme == "http":  # plain http through a proxy: the absolute URL, no tunnel
            target = url.split("#", 1)[0]
            if auth := _proxy_auth(proxy):
                extra.append(auth.rstrip("\r\n").encode("latin-1"))
        lines = [b"%s %s HTTP/1.1" % (method.encode(), target.encode("ascii"))]
        names = {k.lower() for k, _ in headers}
        if b"host" not in names:
            lines.append(b"Host: " + parts.netloc.rsplit("@", 1)[-1].encode("idna"))
        if b"content-length" not in names and (body or method not in ("GET", "HEAD")):
            lines.append(b"Content-Length: %d" % len(body))
        lines += [k + b": " + v for k, v in headers]
        return await self._send(key, proxy, b"\r\n".join(lines + extra) + b"\r\n\r\n" + body,
                                connect_timeout, read_timeout)  # fmt: skip

    async def _send(
        self, key: tuple[str, str, int], proxy: str | None, payload: bytes, connect_timeout: float | None,
        read_timeout: float | None,
    ) -> tuple[int, Headers, bytes]:  # fmt: skip
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
                conn = await self._connect(key, proxy, connect_timeout)
                reused = conn.preopened
            try:
                conn.writer.write(payload)
                self._count_written()
                async with asyncio.timeout(read_timeout):
                    await conn.writer.drain()
                    status, headers, content, keep = await _read_response(conn.reader, self._max_bytes)
            except _NoResponse:
                conn.close()
                if reused:  # the server had dropped this idle connection; the request never reached it
                    continue
                raise WireError("server closed the connection without sending a response", "protocol") from None
            except TimeoutError:
                conn.close()
                raise WireError("timed out waiting for the response", "read_timeout") from None
            except (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                conn.close()
                raise WireError(f"{type(exc).__name__}: {exc}") from None
            except BaseException:
                conn.close()
                raise
            if keep:
                idle.append(conn)
            else:
                conn.close()
            return status, headers, content

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()
