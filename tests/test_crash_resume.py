"""A run killed mid-way (SIGKILL, no chance to clean up) resumes with exactly the samples it had not finished, and
ends with the same scores and predictions as a run that was never interrupted.

The fake server answers each seed article with three of its gold claims (so the scores are not trivial) after a
delay; `--concurrency 1` makes the samples finish one at a time, and the kill comes once two answers are cached.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import clean_env
from tests.fake_openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
KEY_FILE = re.compile(r"^[0-9a-f]{64}\.json$")


def markers() -> dict[str, str]:
    """article id -> the first 30 characters of its text (each article's opening line differs from the others')."""
    out = {p.stem: p.read_text(encoding="utf-8")[:30] for p in SEEDS}
    assert len(set(out.values())) == len(out)
    return out


def gold_answers() -> dict[str, dict]:
    """marker -> an answer made of the article's first three gold claims, as the model would write them."""
    answers = {}
    for aid, mark in markers().items():
        gold = yaml.safe_load((ROOT / "gold" / f"{aid}.yaml").read_text(encoding="utf-8"))
        claims = [
            {"text": c["statement"], "figures": [f["raw"] for f in c.get("figures") or []],
             "dates": [d["raw"] for d in c.get("dates") or []], "speaker": (c.get("attribution") or {}).get("speaker"),
             "quote": c["evidence"][0]["text"]}
            for c in gold["claims"][:3]
        ]  # fmt: skip
        answers[mark] = {"claims": claims}
    return answers


def command(tmp_path: Path, cache: str, out: str) -> list[str]:
    return [HARNESS, "run", "--prompt", "guided",
            "--model", "fake-model", "--concurrency", "1", "--cache-dir", str(tmp_path / cache),
            "--recorded", str(tmp_path / "none"), "--out", str(tmp_path / out), "--n-boot", "200"]  # fmt: skip


def environment(srv: FakeOpenAIServer) -> dict[str, str]:
    env = clean_env()
    env.update(OPENAI_BASE_URL=srv.base_url, OPENAI_API_KEY="sk-test-resume")
    return env


def record_of(stdout: str) -> dict:
    path = next(line.split(": ", 1)[1] for line in stdout.splitlines() if line.startswith("record: "))
    return json.loads(Path(path).read_text(encoding="utf-8"))


def cache_state(folder: Path) -> dict[str, str]:
    """article id -> key of every cache entry; fails on any file that is not a complete, self-consistent entry."""
    out = {}
    for p in sorted(folder.iterdir()):
        if p.name == "scores" and p.is_dir():  # the run's kept scores (harness.run_scores): complete files only too
            assert all(KEY_FILE.match(s.name) for s in p.iterdir()), sorted(s.name for s in p.iterdir())
            continue
        assert KEY_FILE.match(p.name), f"stray file in the cache after the kill: {p.name}"
        entry = json.loads(p.read_text(encoding="utf-8"))  # a half-written file would not parse
        assert entry["key"] == p.stem and entry["answer"]["claims"], p.name
        out[entry["labels"]["article_id"]] = entry["key"]
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("resume")
    mark = markers()
    with FakeOpenAIServer(gold_answers(), delay=0.5) as srv:
        env = environment(srv)
        proc = subprocess.Popen(command(tmp_path, "cache", "runs"), cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(list((tmp_path / "cache").glob("*.json"))) < 2:
                time.sleep(0.02)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        time.sleep(0.2)  # let a request the killed run had just sent reach the server's log before it is reset
        killed_run = {a: srv.requests_for(m) for a, m in mark.items()}
        cached = cache_state(tmp_path / "cache")
        killed_run_records = list((tmp_path / "runs").rglob("*")) if (tmp_path / "runs").exists() else []

        srv.reset()
        resumed = subprocess.run(command(tmp_path, "cache", "runs"), cwd=ROOT, env=env, capture_output=True,
                                 text=True, timeout=120)  # fmt: skip
        resumed_requests = {a: srv.requests_for(m) for a, m in mark.items()}
        final_cache = cache_state(tmp_path / "cache")

        srv.reset()
        whole = subprocess.run(command(tmp_path, "cache-whole", "runs-whole"), cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)  # fmt: skip
        whole_requests = srv.requests
    return {"killed_run": killed_run, "cached": cached, "killed_run_records": killed_run_records, "resumed": resumed,
                "resumed_requests": resumed_requests, "final_cache": final_cache, "whole": whole,
                "whole_requests": whole_requests}  # fmt: skip


def test_the_kill_came_mid_way_and_left_only_complete_entries(runs):
    cached = runs["cached"]  # cache_state already refused temp files and half-written entries
    assert 2 <= len(cached) < len(SEEDS), cached
    assert all(runs["killed_run"][a] == 1 for a in cached)  # each cached answer cost exactly one request
    assert not [p for p in runs["killed_run_records"] if p.is_file()]  # no run record, and no temp file of one


def test_the_resumed_run_asks_only_for_what_was_missing(runs):
    r = runs["resumed"]
    assert r.returncode == 0, r.stderr
    for aid, n in runs["resumed_requests"].items():
        assert n == (0 if aid in runs["cached"] else 1), (aid, n)  # 0 repeats for finished samples, 1 for the rest
    missing = len(SEEDS) - len(runs["cached"])
    assert f"{len(runs['cached'])} local hits, 0 recorded hits, {missing} misses; {missing} requested" in r.stdout
    # The entries written before the kill were kept as they were, and the missing ones were added.
    assert runs["final_cache"].keys() == {p.stem for p in SEEDS}
    assert all(runs["final_cache"][a] == k for a, k in runs["cached"].items())


def test_the_resumed_run_equals_an_uninterrupted_one(runs):
    resumed, whole = record_of(runs["resumed"].stdout), record_of(runs["whole"].stdout)
    assert runs["whole"].returncode == 0 and runs["whole_requests"] == len(SEEDS)
    assert resumed["run_id"] != whole["run_id"]

    def predictions(rec: dict) -> dict[str, list]:
        return {s["article_id"]: s["claims"] for s in rec["samples"]}

    def keys(rec: dict) -> dict[str, str]:
        return {s["article_id"]: s["key"] for s in rec["samples"]}

    assert keys(resumed) == keys(whole)
    assert predictions(resumed) == predictions(whole)
    # Three gold claims per article were answered, so every article has three predictions.
    assert [len(c) for c in predictions(whole).values()] == [3] * len(SEEDS)
    assert [s["report"] for s in resumed["scores"]] == [s["report"] for s in whole["scores"]]
    # Each answer is three gold claims with their figures as written, so every one of those figures is correct.
    answered = sum(len(c["figures"]) for answer in gold_answers().values() for c in answer["claims"])
    assert answered > 0 and whole["scores"][0]["report"]["figures"]["counts"]["correct"] == answered
