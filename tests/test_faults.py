"""Endpoint faults end to end: `harness run` in a subprocess against the fake server, one fault per article.

Each article carries a marker the fake server recognises, so a fault hits that article's requests only. One run
covers every fault mode at once (they run concurrently, so the run takes about as long as its slowest fault); the
checks are per sample: its failure kind in the record and on stderr, its attempts equal to the requests the server
saw for it and within the bound, and the untouched articles' claims exactly as the server answered them.
The fault kinds themselves are unit-tested in tests/test_extract_provider.py; this is the whole command.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import clean_env
from tests.fake_openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")
MAX_ATTEMPTS, MAX_RETRIES, TIMEOUT = 3, 1, 0.5

# article id -> (fault queued for its requests, how many of them, expected failure kind or None if it recovers)
PLAN: dict[str, tuple[str | None, int, str | None]] = {
    "a01_clean": (None, 0, None),
    "a02_clean": (None, 0, None),
    "a03_429_once": ("429:1.5", 1, None),  # Retry-After 1.5 s, then an answer
    "a04_429_always": ("429:0", 10, "http_status"),
    "a05_500_always": ("500", 10, "http_status"),
    "a06_503_once": ("503", 1, None),
    "a07_reset": ("reset", 10, "transport"),
    "a08_slow": ("slow:3", 10, "timeout"),  # 3 s, past the 0.5 s timeout
    "a09_malformed_json": ("malformed_json", 10, "malformed"),
    "a10_schema": ("schema", 10, "schema"),
    "a11_truncated_body": ("truncated", 10, "transport"),
    "a12_empty_choices": ("empty_choices", 10, "empty"),
}
FAILING = [a for a, (_, _, kind) in PLAN.items() if kind]  # 8 of 12 articles fail for good: rate 8/12 = 0.667


def marker(article_id: str) -> str:
    return f"PENANDA-{article_id.upper()}"


def figure(article_id: str) -> str:
    return f"{int(article_id[1:3])} juta"  # a01 -> "1 juta", a12 -> "12 juta": each article has its own figure


def answers() -> dict[str, dict]:
    return {
        marker(a): {"claims": [{"text": f"{figure(a)} UMKM go digital", "figures": [figure(a)], "dates": ["2023"],
                                "speaker": "Teten Masduki", "quote": f"{figure(a)} UMKM sudah go digital pada 2023."}]}
        for a in PLAN
    }  # fmt: skip


def write_articles(folder: Path) -> None:
    folder.mkdir()
    for a in PLAN:
        text = f"{marker(a)}\nMenteri Teten Masduki mengatakan {figure(a)} UMKM sudah go digital pada 2023.\n"
        (folder / f"{a}.txt").write_text(text, encoding="utf-8")


def queue_faults(srv: FakeOpenAIServer) -> None:
    for a, (fault, n, _) in PLAN.items():
        if fault:
            srv.add_faults(*[fault] * n, marker=marker(a))


def harness_run(tmp_path: Path, srv: FakeOpenAIServer, *extra: str) -> subprocess.CompletedProcess:
    env = clean_env()
    env.update(OPENAI_BASE_URL=srv.base_url, OPENAI_API_KEY="sk-test-faults")
    cmd = [HARNESS, "run", "--prompt", "guided", "--model", "fake-model", "--articles", str(tmp_path / "articles"),
           "--cache-dir", str(tmp_path / "cache"), "--recorded", str(tmp_path / "none"),
           "--out", str(tmp_path / "runs"),
           "--max-attempts", str(MAX_ATTEMPTS), "--max-retries", str(MAX_RETRIES), "--timeout", str(TIMEOUT),
           "--concurrency", "16", *extra]  # fmt: skip
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def record_of(stdout: str) -> dict:
    path = next(line.split(": ", 1)[1] for line in stdout.splitlines() if line.startswith("record: "))
    return json.loads(Path(path).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One run over all twelve articles, faults queued; the threshold (0.7) lets 8/12 = 67% failures pass."""
    tmp_path = tmp_path_factory.mktemp("faults")
    write_articles(tmp_path / "articles")
    with FakeOpenAIServer(answers(), slow_s=3.0) as srv:
        queue_faults(srv)
        r = harness_run(tmp_path, srv, "--max-failure-rate", "0.7")
        seen = {a: srv.requests_for(marker(a)) for a in PLAN}
        total = srv.requests
        # Second run, same cache, stricter threshold: only the failed samples are asked again, and fail again.
        srv.reset()
        queue_faults(srv)
        again = harness_run(tmp_path, srv, "--max-failure-rate", "0.6")
        seen_again = {a: srv.requests_for(marker(a)) for a in PLAN}
    return r, seen, total, again, seen_again


def test_the_run_finishes_and_records_each_failure_kind(first_run):
    r, *_ = first_run
    assert r.returncode == 0, r.stderr  # 8/12 = 0.667 <= 0.7
    rec = record_of(r.stdout)
    by_id = {s["article_id"]: s for s in rec["samples"]}
    assert sorted(by_id) == sorted(PLAN)
    for a, (_, _, kind) in PLAN.items():
        s = by_id[a]
        if kind is None:
            assert s["ok"] and s["failure"] is None, (a, s["failure"])
        else:
            assert not s["ok"] and s["failure"]["kind"] == kind and s["claims"] == [], (a, s["failure"])
            assert f"failed guided fake-model {a}: {kind}" in r.stderr
    assert by_id["a04_429_always"]["failure"]["status"] == 429
    assert by_id["a05_500_always"]["failure"]["status"] == 500
    assert rec["summary"]["failed"] == 8 and rec["summary"]["failures_by_kind"] == {
        "http_status": 2, "transport": 2, "timeout": 1, "malformed": 1, "schema": 1, "empty": 1,
    }  # fmt: skip
    assert "failed samples: 8/12" in r.stdout


def test_retries_are_bounded_and_every_attempt_is_counted(first_run):
    r, seen, total, *_ = first_run
    rec = record_of(r.stdout)
    by_id = {s["article_id"]: s for s in rec["samples"]}
    for a in PLAN:
        # What the record says it tried is what the server received for that article, no more, no less.
        assert by_id[a]["attempts"] == seen[a], (a, by_id[a]["attempts"], seen[a])
        assert 1 <= seen[a] <= MAX_ATTEMPTS * (MAX_RETRIES + 1)
    # Transport faults and retryable statuses: retried up to --max-attempts, never beyond.
    for a in ("a04_429_always", "a05_500_always", "a07_reset", "a08_slow", "a11_truncated_body"):
        assert seen[a] == MAX_ATTEMPTS, a
    # An answer that does not fit is re-asked --max-retries times by instructor, and not retried on top.
    for a in ("a09_malformed_json", "a10_schema"):
        assert seen[a] == 1 + MAX_RETRIES, a
    # One transient fault, then the answer: two requests.
    assert seen["a03_429_once"] == seen["a06_503_once"] == 2
    assert seen["a01_clean"] == seen["a02_clean"] == 1
    assert rec["cache"]["requests"] == 12 and rec["cache"]["attempts"] == total == sum(seen.values())
    assert f"12 requested ({total} HTTP attempts), 4 written" in r.stdout  # the 4 answered samples are cached


def test_retry_after_is_honoured_and_a_timeout_does_not_wait_for_the_slow_answer(first_run):
    r, seen, *_ = first_run
    by_id = {s["article_id"]: s for s in record_of(r.stdout)["samples"]}
    # The server asked for 1.5 s; the harness's own first back-off would have been at most 0.5 s.
    assert by_id["a03_429_once"]["latency_s"] >= 1.5
    # The slow answer comes after 3 s; each attempt gives up at 0.5 s. Waiting for it would have got the answer,
    # so a `timeout` failure after all three attempts shows none waited, and each ran to its timeout.
    slow = by_id["a08_slow"]
    assert (slow["failure"]["kind"], slow["attempts"], seen["a08_slow"]) == ("timeout", MAX_ATTEMPTS, MAX_ATTEMPTS)
    assert slow["latency_s"] >= MAX_ATTEMPTS * TIMEOUT
    # "Retry-After: 0" means no back-off: unit-tested on the waits the provider chooses
    # (test_extract_provider.py); how long these samples took against their floors is `make bench`
    # (benchmarks/bench_faults.py), not a test: a busy machine stretches any upper bound.


def test_unaffected_and_recovered_samples_are_exactly_the_answers(first_run):
    r, *_ = first_run
    by_id = {s["article_id"]: s for s in record_of(r.stdout)["samples"]}
    for a in ("a01_clean", "a02_clean", "a03_429_once", "a06_503_once"):
        (claim,) = by_id[a]["claims"]
        assert claim["article_id"] == a
        assert [f["raw"] for f in claim["figures"]] == [figure(a)]  # e.g. a03 -> "3 juta", from its own article
        assert [d["raw"] for d in claim["dates"]] == ["2023"] and claim["speaker"] == "Teten Masduki"
        assert claim["evidence"] == [f"{figure(a)} UMKM sudah go digital pada 2023."]


def test_the_exit_code_follows_the_failure_threshold_and_only_failures_are_asked_again(first_run):
    _r, seen, _total, again, seen_again = first_run
    # 8 of 12 failed again: 67% > 60% -> exit 1, with the reason on stderr; the record is written all the same.
    assert again.returncode == 1, again.stderr
    assert "run failed: failure rate 67% > 60%" in again.stderr
    rec = record_of(again.stdout)
    assert rec["summary"]["verdict"] == "failed" and rec["summary"]["exit_code"] == 1
    assert rec["cache"]["hits_local"] == 4 and rec["cache"]["misses"] == 8
    for a in PLAN:
        if a in FAILING:
            assert seen_again[a] == seen[a], a  # the same faults queued again: the same attempts as the first time
        else:
            assert seen_again[a] == 0, a  # answered last time: served from the cache


def test_a_rejected_key_fails_every_sample_once_and_the_run_exits_1(tmp_path):
    # 401 is not retryable: one attempt per sample, all failed, 100% > 50%.
    write_articles(tmp_path / "articles")
    with FakeOpenAIServer(answers()) as srv:
        srv.always_fault = "401"
        r = harness_run(tmp_path, srv)
        assert srv.requests == len(PLAN)
    assert r.returncode == 1 and "run failed: failure rate 100% > 50%" in r.stderr
    rec = record_of(r.stdout)
    assert {(s["failure"]["kind"], s["failure"]["status"], s["attempts"]) for s in rec["samples"]} == {
        ("http_status", 401, 1)
    }
