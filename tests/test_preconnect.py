"""Connections opened while a run plans (harness.extract.preconnect): taken by the requests instead of new ones,
never opened where they must not be (offline, through a proxy), never left open, and a stale one costs no sample.
Real sockets on 127.0.0.1 throughout."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from harness.extract.preconnect import Preconnect
from harness.extract.provider import GenParams, Provider
from harness.extract.wire import Wire
from tests.conftest import cli, endpoint_env
from tests.fake_openai_server import FakeOpenAIServer
from tests.test_extract_provider import ANSWER, FAST, MESSAGES
from tests.test_extract_runner import A001, ANSWERS


def wait_for(check, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class Listener:
    """A bare TCP listener counting connections; `reply` answers each request read on a connection (or, None, the
    connection is closed at once)."""

    def __init__(self, reply=None):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.closed_by_peer = 0
        self.reply = reply
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._conn, args=(conn, self.accepted), daemon=True).start()

    def _conn(self, conn: socket.socket, n: int) -> None:
        with conn:
            if self.reply is None or not self.reply(n):
                return  # closed without a byte, as a server dropping an idle connection
            while data := conn.recv(65536):
                if b"\r\n\r\n" in data:
                    body = b'{"ok": true}'
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            self.closed_by_peer += 1

    def close(self) -> None:
        self.sock.close()


def test_opens_up_to_the_count_then_limit_and_close_give_every_socket_back():
    srv = Listener(reply=lambda _: True)
    warm = Preconnect(f"http://127.0.0.1:{srv.port}/v1", 5)
    wait_for(lambda: warm.opened == 5 and srv.accepted == 5)
    assert warm.take(("http", "127.0.0.1", srv.port + 1)) is None  # another origin gets none
    sock = warm.take(("http", "127.0.0.1", srv.port))
    assert sock is not None and sock.getblocking() is False
    warm.limit(2)  # one taken, one kept, three closed (5 opened in all, 2 wanted)
    wait_for(lambda: srv.closed_by_peer == 3)
    warm.close()  # the one kept
    wait_for(lambda: srv.closed_by_peer == 4)
    assert warm.take(("http", "127.0.0.1", srv.port)) is None and srv.accepted == 5
    sock.close()
    wait_for(lambda: srv.closed_by_peer == 5)
    srv.close()


def test_limit_before_the_thread_is_done_stops_it():
    srv = Listener(reply=lambda _: True)
    warm = Preconnect(f"http://127.0.0.1:{srv.port}/v1", 50)
    warm.limit(0)  # everything was in the cache
    wait_for(lambda: not [t for t in threading.enumerate() if t.name == "harness-preconnect"])
    assert warm.take(("http", "127.0.0.1", srv.port)) is None
    wait_for(lambda: srv.closed_by_peer == srv.accepted)  # any opened meanwhile is closed, none kept
    warm.close()
    srv.close()


def test_connections_older_than_fresh_s_are_closed_not_used():
    """A server or proxy may close a connection that has sent nothing: after a long plan the run connects afresh
    rather than re-send on a dead one."""
    srv = Listener(reply=lambda _: True)
    warm = Preconnect(f"http://127.0.0.1:{srv.port}/v1", 2, fresh_s=0.05)
    wait_for(lambda: warm.opened == 2)
    time.sleep(0.1)
    assert warm.take(("http", "127.0.0.1", srv.port)) is None
    wait_for(lambda: srv.closed_by_peer == 2)  # both closed, and no more opened
    time.sleep(0.05)
    assert srv.accepted == 2 and warm.take(("http", "127.0.0.1", srv.port)) is None
    warm.close()
    srv.close()


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1:21/v1", "http:///v1", "https://api.example.invalid/v1"],
)  # fmt: skip
def test_nothing_is_opened_for_another_scheme_no_host_or_through_a_proxy(url, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # the example host would go through it
    warm = Preconnect(url, 4)
    time.sleep(0.05)
    assert warm.opened == 0 and not [t for t in threading.enumerate() if t.name == "harness-preconnect"]
    warm.close()


def test_an_unreachable_endpoint_stops_the_thread_quietly():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connection refused
    warm = Preconnect(f"http://127.0.0.1:{port}/v1", 3)
    wait_for(lambda: not [t for t in threading.enumerate() if t.name == "harness-preconnect"])
    assert warm.opened == 0 and warm.take(("http", "127.0.0.1", port)) is None


def test_requests_go_out_on_the_connections_opened_before_them():
    with FakeOpenAIServer({"ARTIKEL-X": ANSWER}) as srv:
        warm = Preconnect(srv.base_url, 3)
        wait_for(lambda: len(srv.accepted) == 3)

        async def go():
            provider = Provider(srv.base_url, "sk-test", GenParams(**FAST), preconnect=warm)
            try:
                return await asyncio.gather(*(provider.request(MESSAGES, "fake-model") for _ in range(3)))
            finally:
                await provider.aclose()

        outcomes = asyncio.run(go())
        warm.close()
        assert all(o.answer is not None for o in outcomes)
        # three requests at once, three connections in all, every one of them open before the first request
        assert len(srv.accepted) == 3 and srv.first_request_at is not None
        assert max(srv.accepted) < srv.first_request_at
        wait_for(lambda: srv.open_connections == 0)


def test_a_connection_the_server_dropped_before_use_is_replaced_not_failed():
    srv = Listener(reply=lambda n: n > 1)  # the first connection (the one opened ahead) is closed at once
    warm = Preconnect(f"http://127.0.0.1:{srv.port}/v1", 1)
    wait_for(lambda: warm.opened == 1)
    time.sleep(0.05)  # the close has reached this side

    async def go():
        wire = Wire(preconnect=warm)
        try:
            return await wire.exchange("POST", f"http://127.0.0.1:{srv.port}/v1/x", [], b"{}")
        finally:
            await wire.aclose()

    status, _, body = asyncio.run(go())
    assert status == 200 and body == b'{"ok": true}' and srv.accepted == 2
    srv.close()


def run_args(tmp_path, *more: str) -> list[str]:
    return ["run", "--prompt", "guided", "--model", "fake-model", "--cache-dir", str(tmp_path / "cache"),
            "--recorded", str(tmp_path / "none"), "--out", str(tmp_path / "runs"), "--n-boot", "20", *more]  # fmt: skip


def test_a_run_leaves_no_connection_open_and_a_cached_or_offline_run_sends_nothing(tmp_path):
    with FakeOpenAIServer(ANSWERS) as srv:
        env = endpoint_env(srv.base_url, "sk-test")
        first = cli(*run_args(tmp_path, "--concurrency", "3"), env=env)
        assert first.returncode == 0, first.stderr
        assert srv.requests == 5  # the five seed articles
        # at most one connection per request in flight opened ahead, plus any the requests opened themselves
        assert len(srv.accepted) <= 6
        wait_for(lambda: srv.open_connections == 0)  # used or not, every connection is closed with the run

        again = cli(*run_args(tmp_path, "--concurrency", "3"), env=env)  # all five in the cache now
        assert again.returncode == 0 and srv.requests == 5
        wait_for(lambda: srv.open_connections == 0)

        before = len(srv.accepted)
        offline = cli(*run_args(tmp_path, "--offline", "--article", A001), env=env)
        assert offline.returncode == 0 and len(srv.accepted) == before  # --offline opens nothing
