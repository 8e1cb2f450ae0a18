"""A whole run in-process against the fake server: cache behaviour, failures as data, scores, the record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.extract.provider import GenParams
from harness.pipeline import RunConfig, execute_run
from harness.records import read_run
from tests.fake_openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
A001 = "001_ace72b6c210ee1f9"
# Canned answers, chosen by a name that occurs in one article only. The 001 claim is gold claim 001-02 as the
# article writes it: "Rudy Salahuddin melaporkan saat ini sekitar 27 juta UMKM yang telah go digital".
CLAIM_001 = {
    "text": "Sekitar 27 juta UMKM telah go digital",
    "figures": ["sekitar 27 juta"],
    "dates": ["Senin (4/12/2023)"],
    "speaker": "Rudy Salahuddin",
    "quote": "Rudy Salahuddin melaporkan saat ini sekitar 27 juta UMKM yang telah go digital",
}
ANSWERS = {
    "Rudy Salahuddin": {"claims": [CLAIM_001]},
    "Odo Manuhutu": {"claims": [{"text": "3,8 juta UMKM bergabung", "figures": ["3,8 juta"], "speaker": "Odo"}]},
}


@pytest.fixture
def server():
    with FakeOpenAIServer(ANSWERS) as srv:
        yield srv


def config(tmp_path: Path, srv: FakeOpenAIServer, **over) -> RunConfig:
    base = {
        "prompts": ["plain"], "models": ["fake-model"], "seeds": ROOT / "seeds", "gold": ROOT / "gold",
        "prompts_dir": ROOT / "prompts", "base_url": srv.base_url, "endpoint_id": "fake-endpoint",
        "cache_dir": tmp_path / "cache", "recorded": [], "out_dir": tmp_path / "runs", "n_boot": 50,
        "generation": GenParams(backoff_base=0.01, backoff_max=0.05, timeout=5.0),
    }  # fmt: skip
    base.update(over)
    return RunConfig(**base)


def test_run_scores_and_records_then_a_rerun_makes_no_request(tmp_path, server):
    first = execute_run(config(tmp_path, server))
    assert first.exit_code == 0 and server.requests == 5
    rec = read_run(first.path)
    assert rec.cache.misses == 5 and rec.cache.requests == 5 and rec.cache.written == 5
    assert [s.ok for s in rec.samples] == [True] * 5
    by_article = {s.article_id: s for s in rec.samples}
    assert by_article[A001].claims[0].figures[0].raw == "sekitar 27 juta"
    (score,) = rec.scores
    assert (score.prompt, score.model, len(score.articles)) == ("plain", "fake-model", 5)
    # 001's gold holds 8 figures (gold/001_ace72b6c210ee1f9.yaml); the one canned figure is one of them.
    assert score.report["per_article"][A001]["figures"]["counts"]["correct"] == 1
    assert score.report["per_article"][A001]["figures"]["counts"]["missing"] == 8 - 1
    assert rec.prompts[0].id == "plain" and len(rec.prompts[0].sha256) == 64
    assert rec.provenance.packages["instructor"] and rec.provenance.packages["openai"]
    assert rec.endpoint.identity == "fake-endpoint"
    assert set(rec.articles.sha256) == {p.stem for p in (ROOT / "seeds").glob("*.txt")}
    assert rec.gold is not None and len(rec.gold.sha256) == 5

    second = execute_run(config(tmp_path, server))
    assert server.requests == 5  # nothing new was asked
    rec2 = read_run(second.path)
    assert rec2.cache.hits_local == 5 and rec2.cache.requests == 0
    assert [s.claims for s in rec2.samples] == [s.claims for s in rec.samples]
    assert rec2.scores[0].report["claims"] == rec.scores[0].report["claims"]


def test_only_missing_samples_are_requested(tmp_path, server):
    execute_run(config(tmp_path, server, only=[A001]))
    assert server.requests == 1
    rec = read_run(execute_run(config(tmp_path, server, prompts=["plain", "guided"])).path)
    # 2 prompts x 5 articles = 10 samples, one of them already cached.
    assert server.requests == 1 + 9
    assert (rec.cache.hits_local, rec.cache.misses) == (1, 9)


def test_failed_samples_are_recorded_and_scored_as_no_claims(tmp_path, server):
    server.add_faults(*["503"] * 10, marker="Rudy Salahuddin")
    result = execute_run(config(tmp_path, server, generation=GenParams(backoff_base=0.01, max_attempts=2)))
    rec = read_run(result.path)
    assert result.exit_code == 0  # 1 of 5 failed: 20% is under the 50% threshold
    failed = [s for s in rec.samples if not s.ok]
    assert [(s.article_id, s.failure.kind, s.failure.status, s.attempts) for s in failed] == [
        (A001, "http_status", 503, 2)
    ]
    assert rec.summary.failures_by_kind == {"http_status": 1} and rec.summary.failure_rate == 0.2
    # 001 still counts in the scores, with nothing found: all of its 8 gold figures are missing.
    assert rec.scores[0].report["per_article"][A001]["figures"]["counts"]["missing"] == 8
    assert rec.cache.written == 4  # a failure is not cached: the next run asks again
    server.reset()
    execute_run(config(tmp_path, server))
    assert server.requests == 1


def test_too_many_failures_fail_the_run(tmp_path, server):
    server.always_fault = "schema"
    result = execute_run(config(tmp_path, server, generation=GenParams(max_retries=0)))
    assert result.exit_code == 1
    rec = read_run(result.path)
    assert rec.summary.verdict == "failed" and rec.summary.failures_by_kind == {"schema": 5}
    assert (
        execute_run(config(tmp_path, server, max_failure_rate=1.0, generation=GenParams(max_retries=0))).exit_code == 0
    )


def test_offline_replays_and_a_miss_names_the_sample(tmp_path, server):
    execute_run(config(tmp_path, server, only=[A001]))
    n = server.requests
    rec = read_run(execute_run(config(tmp_path, server, only=[A001], offline=True)).path)
    assert rec.cache.hits_local == 1 and server.requests == n
    with pytest.raises(InputError, match=r"--offline: no cached answer for prompt=plain model=fake-model article=000_"):
        execute_run(config(tmp_path, server, offline=True))
    assert server.requests == n


def test_recorded_layer_answers_on_another_machine(tmp_path, server):
    execute_run(config(tmp_path, server, record_to=tmp_path / "recorded"))
    assert len(list((tmp_path / "recorded").glob("*.json"))) == 5
    # A fresh cache, the recordings as read-only layer, no endpoint reachable: everything replays.
    cfg = config(tmp_path, server, cache_dir=tmp_path / "fresh", recorded=[tmp_path / "recorded"], offline=True,
                 base_url="http://127.0.0.1:9/v1")  # fmt: skip
    rec = read_run(execute_run(cfg).path)
    assert rec.cache.hits_recorded == 5 and not list((tmp_path / "fresh").glob("*"))


def test_articles_without_gold_are_extracted_without_scores(tmp_path, server):
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "x1.txt").write_text("Rudy Salahuddin melaporkan 27 juta UMKM.", encoding="utf-8")
    rec = read_run(execute_run(config(tmp_path, server, articles=folder, gold=None)).path)
    assert [s.article_id for s in rec.samples] == ["x1"] and rec.samples[0].claims
    assert rec.scores == [] and rec.gold is None and any("no gold" in n for n in rec.notes)


def test_articles_from_a_saved_dataset(tmp_path, server):
    import datasets

    ds = datasets.Dataset.from_dict({"article_id": ["d1", "d2"], "text": ["Odo Manuhutu: 3,8 juta.", "Tidak ada."]})
    ds.save_to_disk(str(tmp_path / "ds"))
    rec = read_run(execute_run(config(tmp_path, server, articles=tmp_path / "ds", gold=None)).path)
    assert [(s.article_id, len(s.claims)) for s in rec.samples] == [("d1", 1), ("d2", 0)]


def test_the_api_key_is_never_written(tmp_path, server, monkeypatch):
    secret = "sk-live-THIS-MUST-NOT-LEAK"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    execute_run(config(tmp_path, server, record_to=tmp_path / "recorded"))
    from pydantic import SecretStr

    execute_run(config(tmp_path, server, api_key=SecretStr(secret + "2"), prompts=["guided"]))
    assert server.log[0]["headers"]["authorization"] == f"Bearer {secret}"  # it was used...
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 10
    for p in files:  # ...and is in none of the files the run wrote
        assert secret not in p.read_text(encoding="utf-8", errors="replace"), p


def test_input_errors(tmp_path, server):
    with pytest.raises(InputError, match="unknown article id"):
        execute_run(config(tmp_path, server, only=["nope"]))
    with pytest.raises(InputError, match="--model is required"):
        execute_run(config(tmp_path, server, models=[]))
    with pytest.raises(InputError, match="unknown prompt"):
        execute_run(config(tmp_path, server, prompts=["nope"]))
    assert server.requests == 0


def test_repeats_are_separate_samples(tmp_path, server):
    rec = read_run(execute_run(config(tmp_path, server, only=[A001], repeats=3)).path)
    assert [s.repeat for s in rec.samples] == [0, 1, 2] and len({s.key for s in rec.samples}) == 3
    assert server.requests == 3 and len(rec.scores) == 3
    assert json.loads(rec.model_dump_json())["parameters"]["repeats"] == 3
    # A seeded server gives one answer per seed: repeat r is asked with seed 0 + r, so the repeats can differ.
    assert sorted(e["request"]["seed"] for e in server.log) == [0, 1, 2]
