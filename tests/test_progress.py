"""Live progress of `harness run`: the embedded server's `/slots` route, the runner's hooks against a loopback fake
server that answers after a delay, and the CLI's rendering on a terminal (a pty) and through a pipe."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from harness.cli.progress import RunProgress
from harness.extract.cache import ResponseCache, ResponseStore
from harness.extract.local_model_server import llama_server_command
from harness.extract.local_model_slots import Decoding, counting, with_slots
from harness.extract.progress import ProgressHooks, decoded, slots_url
from harness.extract.provider import Provider
from harness.extract.runner import request_samples
from harness.pipeline import plan_run
from tests.conftest import clean_env
from tests.fake_openai_server import FakeOpenAIServer
from tests.test_extract_runner import ANSWERS, config

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")  # any control character but tab and newline


def test_the_slots_route_counts_generated_tokens_and_passes_sends_through():
    state = Decoding()
    seen: list = []

    def generate(self, tokens):  # llama_cpp's shape: a generator that may be sent tokens to resume from
        for t in tokens:
            sent = yield t
            seen.append(sent)

    wrapped = counting(generate, state)
    gen = wrapped(None, [7, 8, 9])
    assert next(gen) == 7 and state.processing and state.n_decoded == 1
    assert gen.send([1]) == 8 and seen == [[1]]
    assert state.slots()[0] == {"id": 0, "is_processing": True, "n_decoded": 2, "next_token": {"n_decoded": 2}}
    assert list(gen) == [9] and not state.processing and state.n_decoded == 3
    gen = wrapped(None, [1, 2, 3])
    next(gen)
    gen.close()  # the caller stops at an end-of-generation token: the slot is free again
    assert not state.processing

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = with_slots(lambda: FastAPI(), state)()
    assert TestClient(app).get("/slots").json()[0]["n_decoded"] == 1
    assert decoded(state.slots()) is None  # no answer in progress
    assert decoded([{"id": 0, "is_processing": True, "next_token": {"n_decoded": 12}}]) == 12  # llama.cpp's shape


def test_the_embedded_server_is_llama_cpp_with_the_slots_route(tmp_path):
    cmd = llama_server_command(tmp_path / "w.gguf", "alias", 5555, n_ctx=4096, n_threads=2)
    assert cmd[1:3] == ["-m", "harness.extract.local_model_slots"] and "--model_alias" in cmd
    assert slots_url("http://127.0.0.1:5555/v1") == "http://127.0.0.1:5555/slots"
    out = subprocess.run([sys.executable, "-m", "harness.extract.local_model_slots", "--help"], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)  # fmt: skip
    assert out.returncode == 0 and "--model_alias" in out.stdout  # llama_cpp.server's own arguments


def _ask(tmp_path: Path, srv: FakeOpenAIServer, hooks: ProgressHooks | None, name: str):
    plan = plan_run(config(tmp_path, srv, only=["001_ace72b6c210ee1f9"], cache_dir=tmp_path / name))
    cache = ResponseCache.open(tmp_path / name, [])

    async def go():
        provider = Provider(srv.base_url, "k", plan.cfg.generation)
        try:
            return await request_samples(plan.samples, provider, cache, 1, hooks=hooks,
                                         slots=slots_url(srv.base_url) if hooks else None)  # fmt: skip
        finally:
            await provider.aclose()

    results, _ = asyncio.run(go())
    return plan.samples, results, ResponseStore(tmp_path / name, "cache")


def test_hooks_hear_starts_stops_and_tokens_and_the_answer_is_the_same(tmp_path):
    events: list = []
    hooks = ProgressHooks(
        on_plan=lambda n: events.append(("plan", n)),
        on_start=lambda s: events.append(("start", s.article.article_id)),
        on_stop=lambda s: events.append(("stop", s.article.article_id)),
        on_tokens=lambda s, n, rate: events.append(("tokens", s.article.article_id if s else None, n, rate)),
    )
    with FakeOpenAIServer(ANSWERS, delay=2.6, decode_rate=50) as srv:
        samples, watched, store = _ask(tmp_path, srv, hooks, "watched")
        assert srv.slot_polls >= 2
        bodies = [log["request"] for log in srv.log]
        srv.reset()
        _, plain, plain_store = _ask(tmp_path, srv, None, "plain")
        assert [log["request"] for log in srv.log] == bodies  # the same request: nothing streamed, nothing added
    aid = samples[0].article.article_id
    assert events[0] == ("plan", 1) and events[1] == ("start", aid) and events[-1] == ("stop", aid)
    tokens = [e for e in events if e[0] == "tokens"]
    assert len(tokens) >= 2 and all(e[1] == aid for e in tokens)
    assert [e[2] for e in tokens] == sorted(e[2] for e in tokens) and tokens[-1][2] >= 50
    assert tokens[-1][3] > 0  # the live rate between two polls
    key = samples[0].key
    assert watched[key].claims == plain[key].claims and watched[key].usage == plain[key].usage
    a, b = store.get(key), plain_store.get(key)
    assert a is not None and b is not None and (a.key, a.answer, a.usage) == (b.key, b.answer, b.usage)


def test_on_sent_is_heard_once_when_the_first_requests_are_on_their_sockets(tmp_path):
    """What a listener starts meanwhile (the CLI imports rich for the run's end, the pipeline its records and
    provenance) waits until the first requests are written: a thread importing modules would take the interpreter
    lock from the event loop while it sends them. The hook holds the event loop, so a request the server reads
    while the hook waits was written before the hook was called."""
    heard: list[int] = []
    with FakeOpenAIServer(ANSWERS, delay=1.0) as srv:

        def on_sent() -> None:
            deadline = time.monotonic() + 10
            while srv.requests_read < 3 and time.monotonic() < deadline:
                time.sleep(0.005)
            heard.append(srv.requests_read)

        plan = plan_run(config(tmp_path, srv, cache_dir=tmp_path / "c"))  # the five seed articles
        cache = ResponseCache.open(tmp_path / "c", [])

        async def go():
            provider = Provider(srv.base_url, "k", plan.cfg.generation)
            try:
                return await request_samples(plan.samples, provider, cache, 3, hooks=ProgressHooks(on_sent=on_sent))
            finally:
                await provider.aclose()

        results, stats = asyncio.run(go())
    assert heard == [3]  # once, the three requests in flight already read; the other two wait for a slot
    assert len(plan.samples) == 5 and stats.requests == 5 and all(r.ok for r in results.values())


def test_a_run_hears_on_sent_beside_its_own_work_and_still_records_its_provenance(tmp_path):
    from harness.pipeline import execute_run

    heard: list[str] = []
    with FakeOpenAIServer(ANSWERS) as srv:
        done = execute_run(config(tmp_path, srv, only=["001_ace72b6c210ee1f9"]),
                           hooks=ProgressHooks(on_sent=lambda: heard.append("sent")))  # fmt: skip
    assert heard == ["sent"] and done.record.cache.requests == 1
    assert done.record.provenance.python and done.record.provenance.packages  # begun by the pipeline's own on_sent


def test_a_server_without_slots_only_loses_the_token_count(tmp_path):
    seen: list = []
    hooks = ProgressHooks(on_tokens=lambda *a: seen.append(a))
    with FakeOpenAIServer(ANSWERS, delay=1.5) as srv:  # GET /slots is a 404 here: the watch ends
        samples, results, _ = _ask(tmp_path, srv, hooks, "c")
    assert seen == [] and results[samples[0].key].ok


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_pipe_gets_a_plain_line_every_30_s_of_a_long_answer():
    from types import SimpleNamespace as NS

    out = io.StringIO()
    clock = _Clock()
    shown = RunProgress(Console(file=out, width=100), clock=clock)
    assert not shown.live_area  # not a terminal
    sample = NS(prompt=NS(id="guided"), model="m", article=NS(article_id="000_x"), repeat=0)
    with shown:
        shown.on_plan(2)
        shown.on_start(sample)
        for t, n in ((10, 100), (31, 312), (40, 400), (62, 600)):
            clock.t = t
            shown.on_tokens(sample, n, 10.0)
        assert "2 tokens" not in shown.status() and "600 tokens so far" in shown.status()
        shown.on_stop(sample)
        usage = NS(completion_tokens=620)
        shown.on_result(NS(prompt="guided", model="m", article_id="000_x", repeat=0, ok=True, claims=[],
                           latency_s=62.0, attempts=1, truncated=False, source="request", usage=usage))  # fmt: skip
    text = out.getvalue()
    assert text.splitlines() == [
        "  … guided m 000_x: 312 tokens so far",
        "  … guided m 000_x: 600 tokens so far",
        "  ok guided m 000_x: 0 claims, 62.0 s, 1 attempt(s)",
    ]
    assert not CONTROL.search(text)
    clock.t = 70
    assert shown.status().startswith("1/2 requested samples done · 0 in flight · 10.0 tok/s · ETA 1:10")


def _env(srv: FakeOpenAIServer) -> dict[str, str]:
    env = clean_env()
    env.update(OPENAI_BASE_URL=srv.base_url, OPENAI_API_KEY="k", TERM="xterm-256color", COLUMNS="120", LINES="40")
    env.pop("NO_COLOR", None)
    return env


def _args(tmp_path: Path, *more: str) -> list[str]:
    return [HARNESS, "run", "--prompt", "guided",
            "--model", "fake-model", "--concurrency", "1", "--cache-dir", str(tmp_path / "cache"),
            "--recorded", str(tmp_path / "none"), "--out", str(tmp_path / "runs"), "--n-boot", "20", "--no-report",
            *more]  # fmt: skip


def _on_a_pty(args: list[str], env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """Run `args` with stdin, stdout and stderr on a pseudo-terminal; everything it wrote, and its exit code."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is the pty
        os.chdir(ROOT)
        os.execve(args[0], args, env)
    chunks: list[bytes] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_the_live_area_shows_then_goes_leaving_the_lines_and_the_table(tmp_path):
    with FakeOpenAIServer(ANSWERS, delay=0.8) as srv:
        code, out = _on_a_pty(_args(tmp_path), _env(srv))
    assert code == 0, out
    assert "requested samples done" in out and "in flight" in out and "ETA" in out
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out).replace("\r", "\n").splitlines()
    assert len([ln for ln in lines if ln.startswith("  ok guided fake-model ")]) == 5  # one line per sample, kept
    last_live = out.rindex("requested samples done")
    table = out.index("strict F1")
    assert last_live < table
    assert "\x1b[2K" in out[last_live:table]  # the live area erased before the table
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out[table:])
    assert "fake-model" in plain and "requested samples done" not in plain


def test_piped_the_output_is_lines_without_control_codes(tmp_path):
    with FakeOpenAIServer(ANSWERS, delay=0.3) as srv:
        r = subprocess.run(_args(tmp_path), cwd=ROOT, env=_env(srv), capture_output=True, text=True, timeout=150)
    assert r.returncode == 0, r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.startswith("  ok ")]) == 5
    assert "requested samples done" not in r.stderr + r.stdout
    assert not CONTROL.search(r.stderr) and not CONTROL.search(r.stdout)


def test_quiet_stays_silent_on_a_terminal(tmp_path):
    with FakeOpenAIServer(ANSWERS, delay=0.3) as srv:
        code, out = _on_a_pty(_args(tmp_path, "-q"), _env(srv))
    assert code == 0, out
    before_table = out[: out.index("strict F1")]
    assert "requested samples done" not in out and " ok " not in before_table


def test_piped_the_progress_lines_are_written_without_importing_rich():
    """On a pipe (no TTY, no variable that makes rich see a terminal) an answer's line is plain text on stderr and
    rich is not imported for it; a failure's line, which rich renders, imports it then."""
    code = (
        "import sys\n"
        "from types import SimpleNamespace as N\n"
        "from harness.cli.progress import RunProgress\n"
        "p = RunProgress()\n"
        "ok = N(source='request', ok=True, prompt='guided', model='m', article_id='a1', repeat=0, claims=[1, 2],\n"
        "       latency_s=0.25, attempts=1, truncated=False, usage=N(completion_tokens=7))\n"
        "p.on_result(ok)\n"
        "print('rich before a failure:', 'rich' in sys.modules, p.terminal)\n"
        "bad = N(source='request', ok=False, prompt='guided', model='m', article_id='a2', repeat=0, claims=[],\n"
        "        latency_s=0.5, attempts=2, truncated=False, usage=N(completion_tokens=0),\n"
        "        failure=N(kind='timeout', message='[gone]'))\n"
        "p.on_result(bad)\n"
        "print('rich after a failure:', 'rich.console' in sys.modules)\n"
    )
    env = {k: v for k, v in clean_env().items() if k not in ("FORCE_TERMINAL", "TTY_COMPATIBLE", "TTY_INTERACTIVE")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["rich before a failure: False False", "rich after a failure: True"]
    assert done.stderr.splitlines() == ["  ok guided m a1: 2 claims, 0.2 s, 1 attempt(s)",
                                        "  failed guided m a2: timeout ([gone])"]  # fmt: skip
