"""`harness run` and `harness cache` as a user runs them: the console script as a subprocess where the process is
the subject (environment variables, exit codes, a SIGKILL), the same verbs in this process for the rest."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.score.vocabulary import REPORTED
from tests.conftest import clean_env, cli, endpoint_env
from tests.fake_openai_server import FakeOpenAIServer
from tests.test_extract_runner import A001, ANSWERS

ROOT = Path(__file__).resolve().parents[1]
SECRET = "sk-cli-SECRET-never-in-files"
HARNESS = str(Path(sys.executable).parent / "harness")  # the console script of this environment


@pytest.fixture
def server():
    with FakeOpenAIServer(ANSWERS) as srv:
        yield srv


def harness(
    args: list[str], tmp_path: Path, srv: FakeOpenAIServer | None, *, process: bool = True
) -> subprocess.CompletedProcess:
    """`harness ARGS` with this test's cache and output folders: the console script in a subprocess with only the
    endpoint's variables set, or (process=False) the same verb in this process (tests/conftest.py `cli`) where the
    process itself is not what the test is about."""
    defaults = ["--cache-dir", str(tmp_path / "cache"), "--recorded", str(tmp_path / "none")]
    if args[0] == "run":
        args = [*args, *defaults, "--out", str(tmp_path / "runs"), "--n-boot", "50"]
    elif args[:2] in (["cache", "explain"], ["cache", "list"]):
        args = [*args, *defaults]
    if not process:
        return cli(*args, env=endpoint_env(srv.base_url, SECRET) if srv is not None else endpoint_env())
    env = clean_env()
    if srv is not None:
        env.update(OPENAI_BASE_URL=srv.base_url, OPENAI_API_KEY=SECRET)
    return subprocess.run([HARNESS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def record_of(out: str) -> dict:
    path = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("record: "))
    return json.loads(Path(path).read_text(encoding="utf-8"))


def test_run_against_an_endpoint_from_the_environment(tmp_path, server):
    r = harness(["run", "--prompt", "guided", "--model", "fake-model"], tmp_path, server)
    assert r.returncode == 0, r.stderr
    assert "strict F1" in r.stdout and "attribution" in r.stdout and "fake-model" in r.stdout
    rec = record_of(r.stdout)
    assert rec["endpoint"]["kind"] == "remote" and rec["endpoint"]["identity"] == server.base_url
    assert rec["cache"]["requests"] == 5 and server.requests == 5
    # The canned answer for 001 is gold claim 001-02 with its figure "sekitar 27 juta": one correct figure there.
    assert rec["scores"][0]["report"]["per_article"][A001]["figures"]["counts"]["correct"] == 1
    assert rec["prompts"][0]["id"] == "guided"  # the default prompt
    # Each run gets its reports beside its record (the secret scan below covers them too).
    folder = Path(next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("record: "))).parent
    assert (folder / "report.md").read_text(encoding="utf-8").startswith(f"# Evaluation run {rec['run_id']}")
    assert "<table" in (folder / "report.html").read_text(encoding="utf-8")
    # The key went to the server and into no file and no output.
    assert all(log["headers"]["authorization"] == f"Bearer {SECRET}" for log in server.log)
    assert SECRET not in r.stdout + r.stderr
    for p in tmp_path.rglob("*"):
        if p.is_file():
            assert SECRET not in p.read_text(encoding="utf-8", errors="replace"), p

    again = harness(["run", "--prompt", "guided", "--model", "fake-model"], tmp_path, server, process=False)
    assert again.returncode == 0 and server.requests == 5
    assert "5 local hits" in again.stdout and "0 requested" in again.stdout


def test_offline_miss_exits_2_naming_the_sample(tmp_path, server):
    r = harness(
        ["run", "--prompt", "guided", "--model", "fake-model", "--offline", "--article", A001], tmp_path, server
    )
    assert r.returncode == 2 and server.requests == 0
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith("error: --offline: no cached answer for prompt=guided model=fake-model article=" + A001)


def test_zero_resamples_is_refused_before_any_request(tmp_path, server):
    r = cli("run", "--prompt", "guided",
            "--model", "fake-model", "--article", A001, "--n-boot", "0", "--cache-dir", str(tmp_path / "cache"),
            "--out", str(tmp_path / "runs"), env=endpoint_env(server.base_url, SECRET))  # fmt: skip
    assert r.returncode == 2 and server.requests == 0 and "n-boot" in r.stderr
    assert not (tmp_path / "runs").exists()


def test_offline_with_the_embedded_model_starts_no_server(tmp_path):
    # No endpoint configured: the embedded model is the default, but offline it is neither needed nor started.
    r = harness(["run", "--offline", "--article", A001], tmp_path, None, process=False)
    assert r.returncode == 2 and "--offline: no cached answer" in r.stderr
    assert "model=qwen2.5-coder-1.5b-instruct" in r.stderr


def test_no_report_and_no_recorded(tmp_path):
    """--no-report writes run.json alone; --no-recorded ignores recorded answers (how `make run` asks the model)."""
    recorded = ["--recorded", str(ROOT / "reports" / "recorded")]
    r = harness(["run", "--offline", "--article", A001, "--no-report", *recorded], tmp_path, None, process=False)
    assert r.returncode == 0, r.stderr
    rec = record_of(r.stdout)
    assert rec["cache"]["hits_recorded"] == 1 and "report:" not in r.stdout
    assert sorted(p.name for p in (tmp_path / "runs" / rec["run_id"]).iterdir()) == ["run.json"]
    r = harness(["run", "--offline", "--article", A001, "--no-recorded", *recorded], tmp_path, None, process=False)
    assert r.returncode == 2 and "--offline: no cached answer" in r.stderr


def test_failure_threshold_exit_code(tmp_path, server):
    server.always_fault = "500"
    r = harness(
        ["run", "--prompt", "guided", "--model", "fake-model", "--max-attempts", "1", "--article", A001],
        tmp_path,
        server,
    )
    assert r.returncode == 1 and "run failed: failure rate 100% > 50%" in r.stderr
    rec = record_of(r.stdout)
    assert rec["samples"][0]["failure"]["kind"] == "http_status" and rec["samples"][0]["failure"]["status"] == 500


def test_a_killed_run_resumes_with_only_the_missing_samples(tmp_path, server):
    server.delay = 0.4
    cmd = [
        HARNESS,
        "run",
        "--prompt",
        "guided",
        "--model",
        "fake-model",
        "--concurrency",
        "1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--recorded",
        str(tmp_path / "none"),
        "--out",
        str(tmp_path / "runs"),
    ]
    env = clean_env()
    env.update(OPENAI_BASE_URL=server.base_url)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list((tmp_path / "cache").glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list((tmp_path / "cache").glob("*.json")))
    assert 2 <= done < 5
    before = server.requests
    r = harness(["run", "--prompt", "guided", "--model", "fake-model"], tmp_path, server, process=False)
    assert r.returncode == 0
    assert server.requests - before == 5 - done  # only what the killed run had not finished
    assert f"{done} local hits" in r.stdout


def test_cache_explain_and_list(tmp_path, server):
    assert (
        harness(
            ["run", "--prompt", "guided", "--model", "fake-model", "--article", A001], tmp_path, server, process=False
        ).returncode
        == 0
    )
    hit = harness(
        ["cache", "explain", "--prompt", "guided", "--article", A001, "--model", "fake-model"],
        tmp_path,
        server,
        process=False,
    )
    assert hit.returncode == 0 and "hit: local cache" in hit.stdout
    for part in ("endpoint", "model", "messages_sha256", "mode", "schema_sha256", "temperature", "repeat"):
        assert part in hit.stdout
    miss = harness(["cache", "explain", "--prompt", "guided", "--article", A001, "--model", "fake-model",
                    "--temperature", "0.5"], tmp_path, server, process=False)  # fmt: skip
    assert miss.returncode == 0 and "miss" in miss.stdout and "differs in temperature=0.0" in miss.stdout
    listing = harness(["cache", "list"], tmp_path, None, process=False)
    assert listing.returncode == 0 and "1 entries" in listing.stdout and "guided" in listing.stdout
    unknown = harness(
        ["cache", "explain", "--prompt", "guided", "--article", "nope", "--model", "m"], tmp_path, server, process=False
    )
    assert unknown.returncode == 2 and "unknown article 'nope'" in unknown.stderr


def test_offline_replay_reproduces_the_committed_baseline(tmp_path):
    """A fresh clone with no model: `harness run --offline` answers from reports/recorded and gives exactly the
    scores committed in reports/baseline.json (counts, P/R/F1 and, with the same seed and resamples, intervals)."""
    baseline = json.loads((ROOT / "reports" / "baseline.json").read_text(encoding="utf-8"))
    r = cli("run", "--offline", "-q", "--no-report", "--cache-dir", str(tmp_path / "empty"),
            "--out", str(tmp_path / "runs"), env=endpoint_env())  # fmt: skip
    assert r.returncode == 0, r.stderr
    rec = record_of(r.stdout)
    assert rec["cache"] == {**rec["cache"], "hits_local": 0, "hits_recorded": 5, "requests": 0}
    (entry,) = rec["scores"]
    assert (entry["prompt"], entry["model"]) == (baseline["prompt"], baseline["model"])
    for field in REPORTED:
        got, want = entry["report"][field], baseline["report"][field]
        for k in ("precision", "recall", "f1", "ci", "counts"):
            assert got[k] == want[k], (field, k)
