"""One HTTP path for every endpoint: TLS verified against the trusted store, an https endpoint reached through a
CONNECT proxy and a plain one through a forwarding proxy (both named by the environment), each request counted.
("endpoint.test" and "api.invalid" are never resolved: the proxy stands for them.)"""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from harness.extract.params import GenParams
from harness.extract.provider import Provider

ANSWER = {"claims": [{"text": "Sekitar 27 juta UMKM telah go digital", "figures": ["sekitar 27 juta"]}]}
MESSAGES = [{"role": "system", "content": "Extract claims."}, {"role": "user", "content": "<article>X</article>"}]
BODY = json.dumps({
    "id": "c", "object": "chat.completion", "created": 0, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(ANSWER)}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
}).encode()  # fmt: skip
REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate for localhost (its own CA), made by the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,DNS:endpoint.test",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder


async def _origin(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: list[bytes]) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head.split(b"\r\n", 1)[0])
            length = next((int(ln[15:]) for ln in head.split(b"\r\n") if ln[:15].lower() == b"content-length:"), 0)
            await reader.readexactly(length)
            writer.write(REPLY)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except ConnectionError:
        pass
    finally:
        dst.close()


async def _proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: list[bytes]) -> None:
    """CONNECT: a tunnel to the target's port on 127.0.0.1; other methods: answered here as the origin would."""
    head = await reader.readuntil(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0]
    seen.append(line)
    if not line.startswith(b"CONNECT "):
        length = next((int(ln[15:]) for ln in head.split(b"\r\n") if ln[:15].lower() == b"content-length:"), 0)
        await reader.readexactly(length)
        writer.write(REPLY)
        await writer.drain()
        writer.close()
        return
    port = line.split()[1].decode().rsplit(":", 1)[1]
    up_reader, up_writer = await asyncio.open_connection("127.0.0.1", int(port))  # every name is this machine here
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


def _ask(base_url: str) -> tuple[object, list[int]]:
    """Three articles, one after another: the first two through instructor, which shows the request it prepares; the
    third through the direct path (harness.extract.direct) on the same connection pool. The last answer, and the
    attempts of each."""

    async def go():
        provider = Provider(base_url, "sk-test", GenParams(timeout=5.0, backoff_base=0.01))
        try:
            outs = []
            for article in ("X", "Y", "Z"):
                messages = [MESSAGES[0], {"role": "user", "content": f"<article>{article}</article>"}]
                outs.append(await provider.request(messages, "m"))
            return outs[-1].answer, [o.attempts for o in outs]
        finally:
            await provider.aclose()

    return asyncio.run(go())


def _serve(handler, seen: list[bytes], tls: ssl.SSLContext | None = None):
    async def start():
        return await asyncio.start_server(lambda r, w: handler(r, w, seen), "127.0.0.1", 0, ssl=tls)

    return start


def _run_with(servers, base_url_of, monkeypatch_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, ask=None):
    """Start the servers on one loop in a thread, ask (`_ask` unless told) from the main thread, stop them."""
    import threading

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    started = [asyncio.run_coroutine_threadsafe(s(), loop).result(10) for s in servers]
    ports = [s.sockets[0].getsockname()[1] for s in started]
    try:
        for k, v in monkeypatch_env.items():
            monkeypatch.setenv(k, v.format(*ports))
        return (ask or _ask)(base_url_of(*ports))
    finally:

        async def stop() -> None:  # the servers closed and their handlers ended, so no task outlives its loop
            for s in started:
                s.close()
            handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in handlers:
                t.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def _server_tls(cert: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert / "cert.pem", cert / "key.pem")
    return ctx


def test_https_endpoint_is_verified_and_answered(cert: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []
    monkeypatch.setenv("SSL_CERT_FILE", str(cert / "cert.pem"))
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    answer, attempts = _run_with(
        [_serve(_origin, seen, _server_tls(cert))], "https://localhost:{}/v1".format, {}, monkeypatch
    )
    assert answer is not None and attempts == [1, 1, 1]
    assert seen == [b"POST /v1/chat/completions HTTP/1.1"] * 3


def test_untrusted_certificate_is_a_connection_failure(cert: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    answer, _ = _run_with([_serve(_origin, seen, _server_tls(cert))], "https://localhost:{}/v1".format, {}, monkeypatch)
    assert answer is None and seen == []  # refused during the handshake: nothing was read by the server


def test_https_through_a_connect_proxy(cert: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    origin: list[bytes] = []
    proxy: list[bytes] = []
    monkeypatch.setenv("SSL_CERT_FILE", str(cert / "cert.pem"))
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("no_proxy", "")
    env = {"HTTPS_PROXY": "http://127.0.0.1:{1}", "https_proxy": "http://127.0.0.1:{1}"}
    answer, attempts = _run_with(
        [_serve(_origin, origin, _server_tls(cert)), _serve(_proxy, proxy)],
        lambda o, _p: f"https://endpoint.test:{o}/v1", env, monkeypatch,
    )  # fmt: skip
    assert answer is not None and attempts == [1, 1, 1]
    assert len(proxy) == 1 and proxy[0].startswith(b"CONNECT endpoint.test:")  # one tunnel, kept alive for all three
    assert origin == [b"POST /v1/chat/completions HTTP/1.1"] * 3


def test_plain_http_through_a_forwarding_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy: list[bytes] = []
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("no_proxy", "")
    env = {"HTTP_PROXY": "http://u:p@127.0.0.1:{0}", "http_proxy": "http://u:p@127.0.0.1:{0}"}
    answer, attempts = _run_with([_serve(_proxy, proxy)], lambda _p: "http://api.invalid:8080/v1", env, monkeypatch)
    # This proxy closes each connection after its answer without saying so: a later request written to the kept
    # connection finds it closed and is sent again on a new one; both writes count as attempts (README), so the
    # second and third requests may show 2, while the proxy received each request once.
    assert answer is not None and attempts[0] == 1 and all(a in (1, 2) for a in attempts)
    assert proxy == [b"POST http://api.invalid:8080/v1/chat/completions HTTP/1.1"] * 3


def test_https_on_a_connection_opened_ahead_is_verified_and_answered(cert: Path, monkeypatch: pytest.MonkeyPatch):
    """A connection opened while a run plans is TCP only; the wire then does TLS on it as on one it opens itself."""
    import time

    from harness.extract.preconnect import Preconnect

    seen: list[bytes] = []
    monkeypatch.setenv("SSL_CERT_FILE", str(cert / "cert.pem"))
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    def ask_on_it(base_url: str):
        warm = Preconnect(base_url, 1)
        deadline = time.monotonic() + 10
        while warm.opened < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)

        async def go():
            provider = Provider(base_url, "sk-test", GenParams(timeout=5.0), preconnect=warm)
            try:
                return await provider.request(MESSAGES, "m")
            finally:
                await provider.aclose()

        outcome = asyncio.run(go())
        left = warm.take(warm.key)
        warm.close()
        return outcome, left

    outcome, left = _run_with([_serve(_origin, seen, _server_tls(cert))], "https://localhost:{}/v1".format, {},
                              monkeypatch, ask=ask_on_it)  # fmt: skip
    assert outcome.answer is not None and outcome.attempts == 1
    assert left is None  # the one connection opened ahead carried the request
    assert seen and seen[0].startswith(b"POST /v1/chat/completions")
