"""Run the embedded model as an OpenAI-compatible server (llama_cpp.server) on 127.0.0.1, and never leave it behind.

The server runs in its own process group. It is stopped when the `serve` block ends (normally, on an exception or on
Ctrl-C), at interpreter exit, when the harness receives SIGTERM or SIGHUP, and — on Linux — by the kernel if the
harness is killed outright.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.extract.local_model_setup import LocalModelError

DEFAULT_ALIAS = "qwen2.5-coder-1.5b-instruct"
STOP_GRACE_S = 1.0  # an idle server exits at once on SIGTERM; one mid-answer waits for it, so it is killed

_live: dict[int, tuple[subprocess.Popen, Path]] = {}  # pid -> (process, its log folder)
_live_lock = threading.Lock()
_atexit_registered = False


@dataclass(frozen=True)
class LocalServer:
    """A running server: point an OpenAI client at `base_url` (any api_key) and ask for `model`."""

    base_url: str
    model: str
    pid: int
    log_file: Path
    process: subprocess.Popen = field(repr=False, compare=False)


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_group(proc: subprocess.Popen, grace: float = STOP_GRACE_S) -> None:
    """SIGTERM the server's process group, wait, then SIGKILL whatever is left of it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # Children the server may have started share its group; the group id stays reserved while any of them lives.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _stop_all() -> None:
    """Stop every server this process started (at exit or on a fatal signal) and drop their logs."""
    with _live_lock:
        running = list(_live.values())
    for proc, log_dir in running:
        _stop_group(proc)
        with _live_lock:
            _live.pop(proc.pid, None)
        shutil.rmtree(log_dir, ignore_errors=True)


def _forward(previous, signum, frame) -> None:
    """Stop every server, then let the signal do what it did before we installed this handler."""
    _stop_all()
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@contextlib.contextmanager
def _forwarding_signals() -> Iterator[None]:
    """While a server runs, SIGTERM/SIGHUP to the harness first stop the server (main thread only: Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(sig)
        if previous is None or previous is signal.SIG_IGN or getattr(previous, "func", None) is _forward:
            continue  # set outside Python, ignored on purpose, or an outer `serve` already forwards it
        saved[sig] = previous
        signal.signal(sig, functools.partial(_forward, previous))
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


def _die_with_parent_hook():
    """Linux: ask the kernel to SIGKILL the server if the harness dies without cleaning up (e.g. SIGKILL).

    SIGKILL, not SIGTERM: on SIGTERM the server's web stack waits for the answer in progress (minutes on a CPU)
    before it exits, and a model server has nothing to save. The kernel sends it when the *thread* that started the
    server ends; `serve` holds that thread for its whole block.
    """
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def hook() -> None:  # runs in the child between fork and exec
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:  # the harness died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _log_tail(log_file: Path, lines: int = 6) -> str:
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return ""
    tail = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    return " | ".join(tail)


def _wait_ready(proc: subprocess.Popen, url: str, alias: str, timeout: float, log_file: Path) -> None:
    """Poll `GET /v1/models` until it lists `alias`; fail with the log tail if the process exits or time runs out."""
    import httpx  # here, not at the top: a run answered from the cache never starts the server

    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0, trust_env=False) as client:  # trust_env=False: no proxy for loopback
        while True:
            code = proc.poll()
            if code is not None:
                raise LocalModelError(
                    f"the model server exited with code {code} while starting (log {log_file}): {_log_tail(log_file)}"
                )
            with contextlib.suppress(httpx.TransportError, ValueError):
                answer = client.get(url)
                if answer.status_code == 200 and alias in {m.get("id") for m in answer.json().get("data", [])}:
                    return
            if time.monotonic() > deadline:
                tail = _log_tail(log_file)
                raise LocalModelError(
                    f"the model server did not answer {url} within {timeout:g} s (log {log_file}): {tail}"
                )
            time.sleep(0.25)


def llama_server_command(model_file: Path, alias: str, port: int, n_ctx: int, n_threads: int) -> list[str]:
    """The command `serve` launches by default: llama_cpp's OpenAI-compatible server on 127.0.0.1:`port`, with the
    `/slots` progress route of harness.extract.local_model_slots added (the answers are llama_cpp's own).
    `--logits_all false`: llama_cpp.server keeps the logits of every prompt token by default (for logprobs, which the
    harness never asks for); without them the server holds 2.2 GB instead of 4.2 GB, and a prompt after a reused
    prefix went from 47 to 56 tokens/s (636 tokens of article 001 after the compact prompt's 1,337, 2 cores)."""
    return [
        sys.executable, "-m", "harness.extract.local_model_slots", "--model", str(model_file), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(n_threads),
        "--logits_all", "false",
    ]  # fmt: skip


@contextlib.contextmanager
def serve(
    model_file: Path,
    alias: str = DEFAULT_ALIAS,
    n_ctx: int = 8192,
    n_threads: int = 2,
    startup_timeout: float = 180,
    *,
    port: int | None = None,
    command: Callable[[int], Sequence[str]] | None = None,
) -> Iterator[LocalServer]:
    """Start `python -m llama_cpp.server` on 127.0.0.1 and yield it once it answers; stop its process group on exit.

    `command(port)`, when given, is launched instead of llama_cpp's server (and `model_file` is not read): any
    process that serves `GET /v1/models` listing `alias` on 127.0.0.1:`port` goes through the same start, wait,
    stop and die-with-the-harness code — tests use a small stand-in so they need not load the model to check it.
    """
    global _atexit_registered
    if command is None:
        model_file = Path(model_file)
        if not model_file.is_file():
            raise LocalModelError("model file not found", file=str(model_file))
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalModelError("llama-cpp-python is not installed here; run `harness local-model setup`")
    port = port or free_port()
    if command is None:
        cmd = llama_server_command(model_file, alias, port, n_ctx, n_threads)
    else:
        cmd = [str(part) for part in command(port)]
    log_dir = Path(tempfile.mkdtemp(prefix="harness-llama-server-"))
    log_file = log_dir / "server.log"
    with _forwarding_signals():
        with _live_lock:
            if not _atexit_registered:
                atexit.register(_stop_all)
                _atexit_registered = True
            with log_file.open("wb") as log:
                proc = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True, preexec_fn=_die_with_parent_hook(),
                )  # fmt: skip
            _live[proc.pid] = (proc, log_dir)
        ready = False
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            _wait_ready(proc, f"{base_url}/models", alias, startup_timeout, log_file)
            ready = True
            yield LocalServer(base_url=base_url, model=alias, pid=proc.pid, log_file=log_file, process=proc)
        finally:
            healthy = ready and proc.poll() is None
            _stop_group(proc)
            with _live_lock:
                _live.pop(proc.pid, None)
            if healthy:  # keep the log of a server that failed to start or died; error messages name it
                shutil.rmtree(log_dir, ignore_errors=True)
