"""What a run tells a listener while it asks: a request starts, an answer's tokens grow. The CLI renders it.

The embedded model's tokens so far are read from its server's `GET /slots` (harness.extract.local_model_slots), one
poll a second beside the unchanged request; nothing is streamed, so answers, usage and cache keys do not change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.extract.runner import Sample

POLL_S = 1.0


@dataclass
class ProgressHooks:
    """Callbacks of a run in progress (each optional); they run on the run's event loop and must return quickly.

    on_plan(n): n requests will be made. on_sent(): the first requests are on their sockets (once; work that can
    wait, such as imports the run's end needs, starts then rather than while they are being sent: a thread importing
    modules takes the interpreter lock from the event loop between its system calls). on_start(sample) /
    on_stop(sample): a request holds / leaves a slot.
    on_tokens(sample, n, rate): the answer in progress has n tokens, decoded at `rate` per second lately; sample is
    None when several requests share the server's one slot and the one decoding cannot be told."""

    on_plan: Callable[[int], None] | None = None
    on_sent: Callable[[], None] | None = None
    on_start: Callable[[Sample], None] | None = None
    on_stop: Callable[[Sample], None] | None = None
    on_tokens: Callable[[Sample | None, int, float], None] | None = None


def slots_url(base_url: str) -> str:
    """The server's `/slots` beside its OpenAI routes (`http://h:p/v1` -> `http://h:p/slots`)."""
    root = base_url.rstrip("/")
    return (root.removesuffix("/v1") or root) + "/slots"


def decoded(payload: Any) -> int | None:
    """Tokens decoded by the busy slot of a `/slots` answer (llama.cpp's shape or ours), None when none is busy."""
    if not isinstance(payload, list):
        return None
    for slot in payload:
        if isinstance(slot, dict) and slot.get("is_processing"):
            n = slot.get("n_decoded", (slot.get("next_token") or {}).get("n_decoded"))
            return n if isinstance(n, int) else None
    return None


async def watch_slots(url: str, in_flight: Callable[[], list[Sample]], hooks: ProgressHooks,
                      poll_s: float = POLL_S) -> None:  # fmt: skip
    """Poll `url` until cancelled and report the answer in progress; a server without `/slots` ends the watch."""
    import httpx

    if hooks.on_tokens is None:
        return
    last: tuple[int, float] | None = None
    async with httpx.AsyncClient(timeout=max(poll_s, 2.0)) as client:
        while True:
            await asyncio.sleep(poll_s)
            flying = in_flight()
            if not flying:
                last = None
                continue
            try:
                response = await client.get(url)
            except httpx.HTTPError:
                continue  # busy or restarting: the next poll tries again
            if response.status_code == 404:
                return
            try:
                n = decoded(response.json()) if response.status_code == 200 else None
            except ValueError:
                n = None
            if n is None:
                continue
            now = time.monotonic()
            rate = (n - last[0]) / (now - last[1]) if last and n >= last[0] and now > last[1] else 0.0
            last = (n, now)
            hooks.on_tokens(flying[0] if len(flying) == 1 else None, n, rate)
