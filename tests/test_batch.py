"""`harness run --batch` against a loopback fake of the Batch API (real sockets, the real openai client): answers in
the cache under a live run's keys and file names, bodies a live run sends, scores a live run gets; an interrupted
wait resumed on the same batch; per-line errors, an expired and a failed batch as failures of their kind; refusals."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import clean_env, cli, endpoint_env
from tests.fake_batch_server import FakeBatchServer
from tests.test_extract_runner import A001, ANSWERS

FAST = ("--batch-poll-max", "0.02")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def server():
    with FakeBatchServer(ANSWERS) as srv:
        yield srv


def harness_run(tmp_path: Path, srv: FakeBatchServer | None, cache: str, *args: str):
    """`harness run ARGS` with the fake as the endpoint (or none: the embedded model), `cache` as the cache folder."""
    folders = ["--cache-dir", str(tmp_path / cache), "--recorded", str(tmp_path / "none"),
               "--out", str(tmp_path / "runs"), "--n-boot", "20", "--model", "fake-model"]  # fmt: skip
    if "--prompt" not in args:  # the fake answers in the built-in schema, which the guided prompt asks for
        folders += ["--prompt", "guided"]
    env = endpoint_env(srv.base_url, "sk-test") if srv is not None else endpoint_env()
    return cli("run", *args, *folders, env=env)


def entries(folder: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def record(stdout: str) -> dict:
    path = next(line.split(" ", 1)[1] for line in stdout.splitlines() if line.startswith("record: "))
    return json.loads(Path(path).read_text(encoding="utf-8"))


@pytest.mark.parametrize("mode", ["json", "tools"])
def test_batch_answers_are_a_live_runs_answers_under_the_same_keys(tmp_path, server, mode):
    live = harness_run(tmp_path, server, "live", "--mode", mode, "-q")
    assert live.returncode == 0, live.stderr
    live_bodies = sorted(json.dumps(e["request"], sort_keys=True) for e in server.log)
    server.reset()
    batch = harness_run(tmp_path, server, "batch", "--mode", mode, "--batch", *FAST)
    assert batch.returncode == 0, batch.stderr
    assert "batch batch_1 submitted: 5 request(s)" in batch.stderr and "completed: 5 answer(s) cached" in batch.stderr
    # the batch's lines carried exactly the bodies the live run posted (JSON mode's schema, tools mode's tool)
    assert sorted(json.dumps(e["request"], sort_keys=True) for e in server.log) == live_bodies
    (upload,) = [f for f in server.files.values() if f["purpose"] == "batch"]
    lines = [json.loads(x) for x in upload["content"].splitlines()]
    assert {x["url"] for x in lines} == {"/v1/chat/completions"} and server.batches["batch_1"]["completion_window"]
    a, b = entries(tmp_path / "live"), entries(tmp_path / "batch")
    assert sorted(a) == sorted(b) == sorted(f"{x['custom_id']}.json" for x in lines)  # custom_id = the cache key
    for name in a:
        assert b[name]["answer"] == a[name]["answer"] and b[name]["parts"] == a[name]["parts"]
        assert b[name]["usage"] == a[name]["usage"]  # usage tokens read off the batch's completion
        assert b[name]["labels"]["batch_id"] == "batch_1"
    rl, rb = record(live.stdout), record(batch.stdout)
    assert [s["report"] for s in rb["scores"]] == [s["report"] for s in rl["scores"]]  # scores equal a live run's
    assert [(s["key"], s["claims"]) for s in rb["samples"]] == [(s["key"], s["claims"]) for s in rl["samples"]]
    # a third run finds every answer in the cache: no batch, no upload, no request
    files, log = len(server.files), len(server.log)
    again = harness_run(tmp_path, server, "batch", "--mode", mode, "--batch", *FAST, "-q")
    assert again.returncode == 0, again.stderr
    assert (server.batches_created, len(server.files), len(server.log)) == (1, files, log)
    assert "5 local hits" in again.stdout


def test_a_prompt_with_its_own_response_schema_is_asked_and_read_with_it(tmp_path):
    """plain-flat names prompts/schemas/flat.json: the batch lines send that schema and the answers are read with it,
    stored under the schema's own property names, as a live run stores them."""
    flat = {"statement": "Sekitar 27 juta UMKM telah go digital", "figure": "sekitar 27 juta", "date": None,
            "source": "Rudy Salahuddin", "quote": "Rudy Salahuddin melaporkan saat ini"}  # fmt: skip
    with FakeBatchServer({"Rudy Salahuddin": {"claims": [flat]}}) as srv:
        live = harness_run(tmp_path, srv, "live", "--prompt", "plain-flat", "-q")
        assert live.returncode == 0, live.stderr
        bodies = sorted(json.dumps(e["request"], sort_keys=True) for e in srv.log)
        srv.reset()
        batch = harness_run(tmp_path, srv, "batch", "--prompt", "plain-flat", "--batch", *FAST, "-q")
        assert batch.returncode == 0, batch.stderr
        assert sorted(json.dumps(e["request"], sort_keys=True) for e in srv.log) == bodies
    assert all("statement" in b for b in bodies)  # the prompt's schema, not the built-in one
    a, b = entries(tmp_path / "live"), entries(tmp_path / "batch")
    assert sorted(a) == sorted(b) and [b[n]["answer"] for n in a] == [a[n]["answer"] for n in a]
    assert any(e["answer"]["claims"] and "statement" in e["answer"]["claims"][0] for e in b.values())
    rl, rb = record(live.stdout), record(batch.stdout)
    assert [s["claims"] for s in rb["samples"]] == [s["claims"] for s in rl["samples"]]
    assert any(s["claims"] for s in rb["samples"]) and all(s["ok"] for s in rb["samples"])


def test_an_interrupted_wait_resumes_the_same_batch(tmp_path, server):
    server.polls_before_end = 10**6
    first = harness_run(tmp_path, server, "cache", "--batch", *FAST, "--batch-wait", "0.2")
    assert first.returncode == 2
    (line,) = [x for x in first.stderr.splitlines() if x.startswith("error: ")]
    assert "batch batch_1 is still in_progress" in line and "run the same command again to resume" in line
    (state,) = (tmp_path / "cache" / "batches").glob("*.json")
    kept = json.loads(state.read_text(encoding="utf-8"))
    assert kept["batch_id"] == "batch_1" and len(kept["keys"]) == 5 and kept["input_file_id"] == "file-1"
    assert not entries(tmp_path / "cache") and not (tmp_path / "runs").exists()
    polled = len(server.retrieved)
    assert polled >= 2  # it kept looking until the wait ran out
    server.polls_before_end = 0
    second = harness_run(tmp_path, server, "cache", "--batch", *FAST)
    assert second.returncode == 0, second.stderr
    assert "batch batch_1 resumed" in second.stderr
    assert server.batches_created == 1 and [f for f in server.files if server.files[f]["purpose"] == "batch"] == [
        "file-1"
    ]  # no second upload, no second batch
    assert set(server.retrieved[polled:]) == {"batch_1"}
    assert len(entries(tmp_path / "cache")) == 5
    assert json.loads(state.read_text(encoding="utf-8"))["reported"] is True
    # a dry run with --batch now has nothing to submit
    dry = harness_run(tmp_path, server, "cache", "--batch", "--dry-run")
    assert dry.returncode == 0 and "--batch: nothing to submit" in dry.stdout


def test_a_dry_run_says_what_would_be_submitted_and_what_would_be_resumed(tmp_path, server):
    dry = harness_run(tmp_path, server, "cache", "--batch", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "--batch: 5 request(s) would be submitted as one Batch API job" in dry.stdout.replace("\n", " ")
    assert not server.files and not server.batches_created and not (tmp_path / "cache").exists()
    server.polls_before_end = 10**6
    assert harness_run(tmp_path, server, "cache", "--batch", *FAST, "--batch-wait", "0").returncode == 2
    dry = harness_run(tmp_path, server, "cache", "--batch", "--dry-run")
    assert "batch batch_1" in dry.stdout and "would resume polling it" in dry.stdout.replace("\n", " ")


def test_per_line_errors_are_failures_of_their_kind_and_not_retried(tmp_path, server):
    server.add_faults("500", marker="Rudy Salahuddin")  # a non-200 line: the error file
    server.add_faults("schema", marker="Odo Manuhutu")  # a 200 line that fails validation: no re-ask in a batch
    r = harness_run(tmp_path, server, "cache", "--batch", *FAST, "-q")
    assert r.returncode == 0, r.stderr  # 2 of 5 failed: within the default --max-failure-rate 0.5
    rec = record(r.stdout)
    failed = {s["article_id"]: s["failure"] for s in rec["samples"] if not s["ok"]}
    assert failed[A001]["kind"] == "http_status" and failed[A001]["status"] == 500
    assert "injected 500" in failed[A001]["message"]
    (schema,) = [f for a, f in failed.items() if a != A001]
    assert schema["kind"] == "schema"
    assert rec["summary"]["failures_by_kind"] == {"http_status": 1, "schema": 1}
    assert len(server.log) == 5  # each line asked once: neither failure was asked again live
    assert len(entries(tmp_path / "cache")) == 3  # failures are not cached
    # the next --batch run submits only the two that failed, as a new batch
    again = harness_run(tmp_path, server, "cache", "--batch", *FAST, "-q")
    assert again.returncode == 0 and server.batches_created == 2
    newest = [f for f in server.files.values() if f["purpose"] == "batch"][-1]
    assert len(newest["content"].splitlines()) == 2
    assert len(entries(tmp_path / "cache")) == 5


def test_an_expired_batch_keeps_what_ran_and_fails_the_rest(tmp_path):
    with FakeBatchServer(ANSWERS, final_status="expired", expire_after=1) as srv:
        r = harness_run(tmp_path, srv, "cache", "--batch", *FAST, "-q")
        assert r.returncode == 1  # 4 of 5 failed: over --max-failure-rate 0.5
        assert "run failed: failure rate 80% > 50%" in r.stderr
        rec = record(r.stdout)
        assert rec["summary"]["failures_by_kind"] == {"timeout": 4}
        assert all("batch_expired" in s["failure"]["message"] for s in rec["samples"] if not s["ok"])
        assert len(entries(tmp_path / "cache")) == 1  # the line that ran before the window ended is kept
        lenient = harness_run(tmp_path, srv, "other", "--batch", *FAST, "-q", "--max-failure-rate", "1")
        assert lenient.returncode == 0


def test_a_failed_batch_fails_every_sample(tmp_path):
    with FakeBatchServer(ANSWERS, final_status="failed") as srv:
        r = harness_run(tmp_path, srv, "cache", "--batch", *FAST, "-q")
        assert r.returncode == 1
        rec = record(r.stdout)
        assert rec["summary"]["failures_by_kind"] == {"error": 5}
        assert "the input file was refused" in rec["samples"][0]["failure"]["message"]
        assert srv.log == []  # nothing was asked
        again = harness_run(tmp_path, srv, "cache", "--batch", *FAST, "-q")
        assert again.returncode == 1 and srv.batches_created == 2  # a failed batch is submitted anew, not re-read


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ((), "not the embedded model"),
        (("--model", "baseline"), "not the rules-only baseline"),
    ],
)
def test_batch_is_refused_without_an_endpoint(tmp_path, args, why):
    folders = ["--cache-dir", str(tmp_path / "c"), "--out", str(tmp_path / "runs"), "--batch", *args]
    r = cli("run", *folders, env=endpoint_env())
    assert r.returncode == 2 and why in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_batch_is_refused_without_a_cache(tmp_path, server):
    r = harness_run(tmp_path, server, "c", "--batch", "--no-cache")
    assert r.returncode == 2 and "not with --no-cache" in r.stderr and not server.log and not server.files


def test_a_killed_wait_is_resumed_by_the_same_command(tmp_path, server):
    """The process killed while it polls (a CI timeout): the batch id was kept before the first look, so the next
    run polls the same batch."""
    server.polls_before_end = 10**6
    folders = ["--cache-dir", str(tmp_path / "cache"), "--recorded", str(tmp_path / "none"), "--out",
               str(tmp_path / "runs"), "--n-boot", "20",
    "--prompt", "guided", "--model", "fake-model", "--batch", *FAST]  # fmt: skip
    env = clean_env()
    env |= {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test"}
    child = subprocess.Popen([sys.executable, "-m", "harness", "run", *folders], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(server.retrieved) < 3 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert len(server.retrieved) >= 3, "the child never polled"
    finally:
        child.kill()
        child.wait(10)
    assert server.batches_created == 1 and list((tmp_path / "cache" / "batches").glob("*.json"))
    server.polls_before_end = 0
    r = harness_run(tmp_path, server, "cache", "--batch", *FAST, "-q")
    assert r.returncode == 0, r.stderr
    assert server.batches_created == 1 and len(entries(tmp_path / "cache")) == 5
