"""TCP connections to the endpoint opened while a run still plans, so its first requests do not wait for them.

A run decides everything before its first request (articles, gold, prompts, cache keys: bad input is refused before
anything is paid for), and that takes a while: at 500 articles about 50 ms. Meanwhile a thread opens up to
`count` connections to the endpoint's host and port; `Wire` (harness.extract.wire) takes one for each new
connection it would otherwise open, and connects itself when none is ready. Connecting is a system call that leaves
the interpreter free, so it runs on the other core: at 100 requests in flight on 2 cores the first requests went
out about 35 ms sooner. A remote endpoint gains its handshake's round trips.

Only the TCP handshake is done here (TLS, when the endpoint is https, is still done by the Wire on the event loop);
nothing is sent. Nothing is opened through a proxy, nor for a scheme other than http/https. A connection that cannot
be opened stops the thread quietly: the requests connect themselves and report what goes wrong. A connection older
than `FRESH_S` when asked for is closed instead of used (a server or a proxy on the way may close a connection
that has sent nothing), so a long plan costs no re-sent request. Connections not taken are closed by
`close()`, which the run calls when it has its answers, or when it stops early.
"""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

from harness.extract.wire import env_proxy, origin

CONNECT_TIMEOUT = 5.0  # seconds per connection: a host that does not answer holds the thread, not the run
FRESH_S = 2.0  # a connection opened longer ago than this is not used


class Preconnect:
    """`Preconnect(base_url, count)` starts opening; `take(key)`, `limit(n)`, `close()` from the run's side."""

    def __init__(self, base_url: str, count: int, timeout: float = CONNECT_TIMEOUT, fresh_s: float = FRESH_S):
        self.key = origin(urlsplit(base_url))
        scheme, host = self.key[0], self.key[1]
        self._fresh_s = fresh_s
        self._ready: list[tuple[float, socket.socket]] = []  # (time.monotonic() when opened, socket), oldest first
        self._lock = threading.Lock()
        self._want = count
        self._closed = False
        self.opened = 0  # connections this thread opened, taken or not
        if scheme not in ("http", "https") or not host or count < 1 or env_proxy(scheme, host) is not None:
            self._want = 0
            return
        threading.Thread(target=self._open, args=(timeout,), name="harness-preconnect", daemon=True).start()

    def _open(self, timeout: float) -> None:
        try:  # the name is looked up once (asyncio looks it up again for a connection it opens itself)
            family, kind, proto, _, address = socket.getaddrinfo(*self.key[1:], type=socket.SOCK_STREAM)[0]
        except OSError:
            return
        while True:
            with self._lock:
                if self._closed or self.opened >= self._want:
                    return
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(timeout)
                sock.connect(address)
            except OSError:
                sock.close()
                return
            with self._lock:
                if self._closed or self.opened >= self._want:  # closed or limited while connecting
                    sock.close()
                    return
                self.opened += 1
                self._ready.append((time.monotonic(), sock))

    def take(self, key: tuple[str, str, int]) -> socket.socket | None:
        """A connected socket for `key` (scheme, host, port), non-blocking, or None: connect yourself."""
        with self._lock:
            if key != self.key or not self._ready:
                return None
            opened, sock = self._ready.pop()
            stale = time.monotonic() - opened > self._fresh_s
            if stale:  # the newest is too old, so is every other one
                self._closed = True
                left, self._ready = [sock] + [other for _, other in self._ready], []
        if stale:
            for each in left:
                each.close()
            return None
        sock.setblocking(False)
        return sock

    def limit(self, count: int) -> None:
        """At most `count` connections in all: the run knows how many requests it will send (none: all cached)."""
        with self._lock:
            self._want = min(self._want, max(0, count))
            cut = min(len(self._ready), max(0, self.opened - self._want))  # those taken count too
            surplus, self._ready = self._ready[:cut], self._ready[cut:]  # the oldest go
        for _, sock in surplus:
            sock.close()

    def close(self) -> None:
        """Close every connection not taken, and open no more."""
        with self._lock:
            self._closed = True
            left, self._ready = self._ready, []
        for _, sock in left:
            sock.close()
