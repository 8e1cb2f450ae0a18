"""A lean OpenAI-compatible endpoint for benchmarks: every chat completion is answered after a fixed delay with one
small valid claims answer. asyncio streams on 127.0.0.1 (or every address, `host="0.0.0.0"`, so a client can reach
it through the machine's own network address), keep-alive, no body parsing (the answer is built once).

Bounded and self-stopping: it refuses work after `max_requests` and stops itself after `max_seconds`, whatever the
client does. It records when the first request arrived and when the last answer left, so a benchmark can time the
API phase of a run apart from the client's start-up. Hand-written (not tests/fake_openai_server.py) so the server's
own CPU per request stays far below the client's: it must not be what is measured.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

ANSWER = {"claims": [{"text": "20 juta UMKM go digital", "figures": ["20 juta"], "dates": ["2023"],
                      "speaker": "Menteri"}]}  # fmt: skip


def _response(answer: dict) -> bytes:
    content = json.dumps(answer, ensure_ascii=False)
    body = json.dumps({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }).encode()  # fmt: skip
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


class LoopbackServer:
    """`with LoopbackServer(delay=0.2) as srv:` then point a client at `srv.base_url`."""

    def __init__(
        self, delay: float = 0.2, max_requests: int = 100_000, max_seconds: float = 600.0, host: str = "127.0.0.1"
    ):
        self.delay = delay
        self.host = host
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.requests = 0
        self.first_arrival: float | None = None  # time.perf_counter() of the first request
        self.last_sent: float | None = None  # ... and of the last answer sent
        self.peak_in_flight = 0
        self._in_flight = 0
        self._reply = _response(ANSWER)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bench-endpoint", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return self.url_at("127.0.0.1")

    def url_at(self, address: str) -> str:
        """The endpoint's base URL through `address` (127.0.0.1, or a network address when bound to 0.0.0.0)."""
        return f"http://{address}:{self.port}/v1"

    def reset_counts(self) -> None:
        self.requests, self.first_arrival, self.last_sent, self.peak_in_flight = 0, None, None, 0

    def start(self) -> LoopbackServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, self.host, 0, backlog=2048), self._loop
        ).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        self._loop.call_soon_threadsafe(self._loop.call_later, self.max_seconds, self._expire)  # self-stopping
        return self

    def _expire(self) -> None:
        """Past `max_seconds`: accept nothing more and drop every open connection."""
        assert self._server is not None
        self._server.close()
        for task in asyncio.all_tasks(self._loop):
            task.cancel()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return

        self._loop.call_soon_threadsafe(self._expire)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                if self.requests >= self.max_requests:  # bounded: past the budget, refuse and hang up
                    writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    await writer.drain()
                    break
                self.requests += 1
                if self.first_arrival is None:
                    self.first_arrival = time.perf_counter()
                self._in_flight += 1
                self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
                await asyncio.sleep(self.delay)
                writer.write(self._reply)
                await writer.drain()
                self._in_flight -= 1
                self.last_sent = time.perf_counter()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Serve one small claims answer after a fixed delay on 127.0.0.1.")
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--max-requests", type=int, default=100_000)
    ap.add_argument("--max-seconds", type=float, default=600.0)
    args = ap.parse_args()
    with LoopbackServer(args.delay, args.max_requests, args.max_seconds) as srv:
        print(srv.base_url, flush=True)
        deadline = time.monotonic() + args.max_seconds
        while time.monotonic() < deadline:
            time.sleep(0.5)
