"""An OpenAI-compatible chat-completions server for tests: real sockets on 127.0.0.1, canned answers, fault modes.

Dependency-free on purpose (asyncio streams on an event loop in a background thread, HTTP/1.1 with keep-alive),
so the tests exercise the real openai + instructor + httpx path. It answers with canned JSON claims chosen by a
marker found in the request's user messages (the newest that holds one), counts and logs requests, and injects
faults selected per request — by the `X-Fault` header, by `fault=<mode>` inside the model name, or from a queue
filled with `add_faults` (optionally only for requests whose user message holds a marker):

    401             status 401 whose message echoes the bearer token back (as some servers do)
    429[:secs]      status 429 with Retry-After (default `retry_after`)
    500, 503        server errors
    reset           the connection is reset before any response byte
    slow[:secs]     the answer comes after `slow_s` seconds (past a client's timeout)
    malformed_body  status 200 whose body is not JSON
    malformed_json  a completion whose message content is not JSON
    schema          a completion whose content is JSON that does not fit the claims schema
    truncated       the body stops half-way, short of its Content-Length
    empty_choices   a completion with `choices: []`
    empty_content   a completion whose message content is ""
    length          finish_reason "length" with a cut answer
    hostile_text    status 400 with a plain-text body full of terminal escapes and Markdown (`HOSTILE_TEXT`)
    echo_key:N      status 401 whose message is N filler characters, then the bearer token (to cut it at a boundary)
    huge:N          a completion whose one claim text is N bytes long (default 10 MB)
    drip:secs       the answer's bytes one at a time, one every `secs` seconds (default 0.5)
    drop_next       the answer, then the next request on this connection is read and dropped unanswered (the
                    connection is closed), as a server closing an idle keep-alive connection does

`decode_rate` (tokens a second) makes `GET /slots` answer as the embedded model's server does
(harness.extract.local_model_slots): the tokens "decoded" so far by the answer waiting out its `delay`.

`max_request_bytes` makes a request body larger than that a 400 `context_length_exceeded`, as real endpoints answer
a prompt past the model's context.

Run it alone for benchmarks: `python tests/fake_openai_server.py --delay 0.2` prints its base URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import struct
import threading
import time
from collections import deque
from typing import Any

FAULTS = (
    "401", "429", "500", "503", "reset", "slow", "malformed_body", "malformed_json", "schema", "truncated",
    "empty_choices", "empty_content", "length", "hostile_text", "echo_key", "huge", "drip", "drop_next",
)  # fmt: skip
# A server error body a terminal and a Markdown report must both show as inert text.
HOSTILE_TEXT = (
    "boom\x1b[2J\x1b[H\x1b[31mred\x1b[0m \x1b]0;pwned title\x07 \x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ "
    "bell\x07 back\x08\x08space \x9b31m c1 \x00nul\x7f "
    "[click me](http://evil.example/) ![img](http://evil.example/x.png) `code` <b>bold</b> <script>alert(1)</script>"
    " | pipe |\n# heading\n**strong** _em_ ~~strike~~ https://evil.example/auto"
)
ANSWERED = ("", "slow", "malformed_json", "schema", "empty_content", "length", "empty_choices", "drip", "drop_next")
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


class FakeOpenAIServer:
    """Start with `with FakeOpenAIServer(answers) as srv:`; point a client at `srv.base_url`."""

    def __init__(
        self,
        answers: dict[str, Any] | None = None,
        *,
        default_answer: Any = None,
        delay: float = 0.0,
        slow_s: float = 5.0,
        retry_after: str = "1",
        port: int = 0,
        keep_log: bool = True,
        max_request_bytes: int | None = None,
        decode_rate: float | None = None,
    ):
        self.answers = dict(answers or {})
        self.default_answer = {"claims": []} if default_answer is None else default_answer
        self.delay = delay
        self.slow_s = slow_s
        self.retry_after = retry_after
        self.always_fault: str | None = None
        self.keep_log = keep_log
        self.max_request_bytes = max_request_bytes
        self.decode_rate = decode_rate
        self._decoding: list[float] = []  # start times of the answers waiting out their delay
        self.slot_polls = 0
        self.requests = 0  # chat-completion requests received
        self.dropped = 0  # requests read and left unanswered (`drop_next`): received, never counted in `requests`
        self.log: list[dict[str, Any]] = []
        self.accepted: list[float] = []  # time.monotonic() of each connection accepted
        self.first_request_at: float | None = None  # ... and of the first request read
        self.requests_read = 0  # requests read off their sockets, answered or not yet
        self.open_connections = 0  # connections not yet closed
        self._queues: dict[str | None, deque[str]] = {}
        self._lock = threading.Lock()
        self._want_port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAIServer:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-openai", daemon=True)
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self._want_port, backlog=1024), self._loop
        )
        self._server = fut.result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def _close() -> None:
            assert self._server is not None
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            for t in list(self._tasks):  # a handler still sleeping out a delay or a slow answer ends now
                t.cancel()
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=2)

        asyncio.run_coroutine_threadsafe(_close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test controls

    def add_faults(self, *modes: str, marker: str | None = None) -> None:
        """Queue faults for the next requests (those whose user message holds `marker`, or any request)."""
        for m in modes:
            if m.split(":", 1)[0] not in FAULTS:
                raise ValueError(f"unknown fault {m!r}")
        with self._lock:
            self._queues.setdefault(marker, deque()).extend(modes)

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.dropped = 0
            self.log.clear()
            self._queues.clear()
        self.always_fault = None

    def requests_for(self, marker: str) -> int:
        return sum(1 for r in self.log if r["marker"] == marker)

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.accepted.append(time.monotonic())
            self.open_connections += 1
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        drop_next = False
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                length = int(headers.get("content-length", "0") or 0)
                body = await reader.readexactly(length) if length else b""
                if self.first_request_at is None:
                    self.first_request_at = time.monotonic()
                with self._lock:
                    self.requests_read += 1
                if drop_next:  # read, never answered: the connection closes under the client's request
                    with self._lock:
                        self.dropped += 1
                    break
                keep = await self._route(method, path, headers, body, writer)
                if keep == "drop_next":
                    drop_next = True
                elif not keep or headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # stop() ends a handler still waiting out a delay: a normal end, not an error
            pass
        finally:
            with self._lock:
                self.open_connections -= 1
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    @staticmethod
    def _send(writer: asyncio.StreamWriter, status: int, payload: bytes, extra: dict[str, str] | None = None,
              content_length: int | None = None) -> None:  # fmt: skip
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Content-Type: application/json",
                f"Content-Length: {len(payload) if content_length is None else content_length}"]  # fmt: skip
        head += [f"{k}: {v}" for k, v in (extra or {}).items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)

    async def _route(self, method: str, path: str, headers: dict[str, str], body: bytes,
                     writer: asyncio.StreamWriter) -> bool | str:  # fmt: skip
        if method == "GET" and path.rstrip("/").endswith("/models"):
            self._send(
                writer, 200, json.dumps({"object": "list", "data": [{"id": "fake-model", "object": "model"}]}).encode()
            )
            await writer.drain()
            return True
        if method == "GET" and path.rstrip("/") == "/slots" and self.decode_rate is not None:
            self.slot_polls += 1
            busy = min(self._decoding, default=None)
            n = int((time.monotonic() - busy) * self.decode_rate) if busy is not None else 0
            self._send(writer, 200, json.dumps([{"id": 0, "is_processing": busy is not None, "n_decoded": n}]).encode())
            await writer.drain()
            return True
        if method != "POST" or path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send(writer, 404, b'{"error": {"message": "not found"}}')
            await writer.drain()
            return True
        try:
            req = json.loads(body)
        except ValueError:
            self._send(writer, 400, b'{"error": {"message": "request body is not JSON"}}')
            await writer.drain()
            return True
        if self.max_request_bytes is not None and len(body) > self.max_request_bytes:
            with self._lock:
                self.requests += 1
                if self.keep_log:
                    self.log.append({"marker": None, "fault": "too_long", "model": req.get("model"), "request": req,
                                     "headers": dict(headers), "usage": None})  # fmt: skip
            msg = f"maximum context length exceeded: {len(body)} bytes > {self.max_request_bytes}"
            err = {"error": {"message": msg, "type": "invalid_request_error", "code": "context_length_exceeded"}}
            self._send(writer, 400, json.dumps(err).encode())
            await writer.drain()
            return True
        return await self._chat(req, headers, writer)

    def _pick(self, req: dict[str, Any], headers: dict[str, str]) -> tuple[str | None, Any, str | None]:
        """The marker the request matches, its canned answer, and the fault to inject (if any)."""
        users = [m.get("content") or "" for m in req.get("messages", []) if m.get("role") == "user"]
        texts = [t if isinstance(t, str) else json.dumps(t) for t in reversed(users)]
        # The newest user message that names a marker: a re-ask ("correct your JSON") follows the article's message
        # and still belongs to that article.
        marker = next((m for t in texts for m in self.answers if m in t), None)
        answer = self.answers[marker] if marker is not None else self.default_answer
        fault = headers.get("x-fault")
        model = str(req.get("model", ""))
        if not fault and "fault=" in model:
            fault = model.split("fault=", 1)[1].split(",")[0]
        with self._lock:
            self.requests += 1
            if not fault:
                for key in ([marker] if marker is not None else []) + [None]:
                    q = self._queues.get(key)
                    if q:
                        fault = q.popleft()
                        break
        return marker, answer, fault or self.always_fault

    async def _chat(self, req: dict[str, Any], headers: dict[str, str], writer: asyncio.StreamWriter) -> bool | str:
        marker, answer, fault = self._pick(req, headers)
        mode, _, arg = (fault or "").partition(":")
        content = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        finish = "stop"
        if mode == "huge":
            content = json.dumps({"claims": [{"text": "x" * int(arg or 10_000_000)}]})
        elif mode == "malformed_json":
            content = '{"claims": [{"text": "unterminated'
        elif mode == "schema":
            content = '{"result": "no claims field here"}'
        elif mode == "empty_content":
            content = ""
        elif mode == "length":
            content, finish = content[: max(1, len(content) // 2)], "length"
        prompt_chars = sum(
            len(m.get("content") or "") for m in req.get("messages", []) if isinstance(m.get("content"), str)
        )
        usage = {"prompt_tokens": prompt_chars // 4, "completion_tokens": max(1, len(content) // 4)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if self.keep_log:
            with self._lock:
                self.log.append({"marker": marker, "fault": fault, "model": req.get("model"), "request": req,
                                 "headers": dict(headers), "usage": usage if mode in ANSWERED else None})  # fmt: skip
        # Logged above on arrival: a request whose client gave up (or was killed) while waiting was still received.
        if self.delay:
            started = time.monotonic()
            self._decoding.append(started)
            try:
                await asyncio.sleep(self.delay)
            finally:
                self._decoding.remove(started)
        if mode == "slow":
            await asyncio.sleep(float(arg) if arg else self.slow_s)
        if mode == "401":
            token = headers.get("authorization", "").removeprefix("Bearer ")
            err = {"error": {"message": f"Incorrect API key provided: {token}", "type": "invalid_request_error",
                             "code": "invalid_api_key"}}  # fmt: skip
            self._send(writer, 401, json.dumps(err).encode())
            await writer.drain()
            return True
        if mode == "echo_key":
            token = headers.get("authorization", "").removeprefix("Bearer ")
            err = {"error": {"message": "k" * int(arg or 0) + token, "type": "invalid_request_error"}}
            self._send(writer, 401, json.dumps(err).encode())
            await writer.drain()
            return True
        if mode == "hostile_text":
            raw = HOSTILE_TEXT.encode("utf-8")
            writer.write(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(raw)
            )
            writer.write(raw)
            await writer.drain()
            return True
        if mode in ("429", "500", "503"):
            status = int(mode)
            extra = {"Retry-After": arg or self.retry_after} if status == 429 else {}
            err = {"error": {"message": f"injected {status}", "type": "server_error", "code": None}}
            self._send(writer, status, json.dumps(err).encode(), extra)
            await writer.drain()
            return True
        if mode == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if mode == "malformed_body":
            self._send(writer, 200, b'{"id": "chatcmpl-x", "choices": [ this is not json')
            await writer.drain()
            return True
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if req.get("tools") and mode != "empty_content":
            name = req["tools"][0].get("function", {}).get("name", "answer")
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": name, "arguments": content}}]}  # fmt: skip
        choices = [] if mode == "empty_choices" else [{"index": 0, "message": message, "finish_reason": finish}]
        payload = json.dumps({
            "id": f"chatcmpl-{self.requests}", "object": "chat.completion", "created": int(time.time()),
            "model": req.get("model", "fake-model"), "choices": choices, "usage": usage,
        }, ensure_ascii=False).encode("utf-8")  # fmt: skip
        if mode == "truncated":
            self._send(writer, 200, payload[: len(payload) // 2], content_length=len(payload))
            await writer.drain()
            writer.transport.close()
            return False
        if mode == "drip":
            self._send(writer, 200, b"", content_length=len(payload))
            for i in range(len(payload)):
                writer.write(payload[i : i + 1])
                await writer.drain()
                await asyncio.sleep(float(arg) if arg else 0.5)
            return True
        self._send(writer, 200, payload)
        await writer.drain()
        return "drop_next" if mode == "drop_next" else True


def main() -> None:
    ap = argparse.ArgumentParser(description="Serve canned OpenAI-style chat completions on 127.0.0.1.")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    ap.add_argument("--answer", default=None, help="JSON answer for every request (default: no claims)")
    args = ap.parse_args()
    answer = json.loads(args.answer) if args.answer else None
    srv = FakeOpenAIServer(default_answer=answer, delay=args.delay, port=args.port, keep_log=False).start()
    print(srv.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
