"""The embedded model's server: llama_cpp.server, plus `GET /slots` with the tokens decoded so far, and greedy
decoding under a grammar checked after the pick (harness.extract.local_model_sampler: the same tokens, faster).

llama-cpp-python's server has no /slots or /metrics, and its streamed answers carry no usage, so a run that wants
to see a long answer grow counts the tokens here, beside the same non-streamed generation (answers, usage and cache
keys stay as they are). Run as `python -m harness.extract.local_model_slots <llama_cpp.server arguments>`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

from harness.extract.local_model_sampler import install_sampling


class Decoding:
    """The one slot of the server: whether it is generating, and the tokens it has decoded for the current answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.processing = False
        self.n_decoded = 0
        self.started = 0.0

    def begin(self) -> None:
        with self._lock:
            self.processing, self.n_decoded, self.started = True, 0, time.monotonic()

    def step(self) -> None:
        with self._lock:
            self.n_decoded += 1

    def end(self) -> None:
        with self._lock:
            self.processing = False

    def slots(self) -> list[dict[str, Any]]:
        """llama.cpp server's `/slots` shape, reduced to what progress needs."""
        with self._lock:
            return [{"id": 0, "is_processing": self.processing, "n_decoded": self.n_decoded,
                     "next_token": {"n_decoded": self.n_decoded}}]  # fmt: skip


STATE = Decoding()


def counting(generate: Callable[..., Generator[int, Any, None]], state: Decoding = STATE) -> Callable[..., Any]:
    """`Llama.generate` wrapped: every token it yields is counted; tokens and what is sent back pass through."""

    @functools.wraps(generate)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Generator[int, Any, None]:
        inner = generate(self, *args, **kwargs)
        state.begin()
        try:
            token = next(inner)
            while True:
                state.step()
                token = inner.send((yield token))  # what the caller sends (tokens to resume from) passes through
        except StopIteration:
            return
        finally:
            inner.close()
            state.end()

    return wrapper


def with_slots(create_app: Callable[..., Any], state: Decoding = STATE) -> Callable[..., Any]:
    """llama_cpp.server's `create_app` with `GET /slots` added to the app it makes."""

    @functools.wraps(create_app)
    def make(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        app.add_api_route("/slots", state.slots, methods=["GET"])
        return app

    return make


def main() -> None:
    import llama_cpp
    import llama_cpp.server.__main__ as server

    # setattr: the same line type-checks with llama_cpp installed (a method assigned) and without it (make lint
    # runs before the embedded model's runtime is installed).
    setattr(llama_cpp.Llama, "generate", counting(llama_cpp.Llama.generate))  # noqa: B010
    install_sampling(llama_cpp)
    server.create_app = with_slots(server.create_app)
    server.main()


if __name__ == "__main__":
    main()
