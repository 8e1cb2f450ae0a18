"""End to end with the real embedded model on one article: served, asked, parsed, scored, then replayed offline.

Marked `local_model` (slow on a CPU: a minute or more). Skipped only when the weights are not set up.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.extract import local_model as lm
from harness.extract.provider import GenParams
from harness.pipeline import RunConfig, execute_run
from harness.records import read_run

pytestmark = pytest.mark.local_model
ROOT = Path(__file__).resolve().parents[1]
ARTICLE = "004_5da99a7ff07c33c6"  # short, and rich in figures and targets


@pytest.fixture(scope="module")
def weights() -> Path:
    path = lm.model_path()
    if not path.is_file():
        pytest.skip(f"embedded model weights absent ({path}); run `harness local-model setup`")
    return path


def test_embedded_model_extracts_and_scores_one_article(tmp_path, weights, monkeypatch):
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "HARNESS_MODEL_FILE"):
        monkeypatch.delenv(var, raising=False)
    cfg = RunConfig(
        # The guided prompt: its answer to 004 is a list of short claims, so a cap cuts it between finished claims
        # (the plain prompt's answer on one llama.cpp build ran past the cap inside its first claim).
        prompts=["guided"], only=[ARTICLE], seeds=ROOT / "seeds", gold=ROOT / "gold", prompts_dir=ROOT / "prompts",
        cache_dir=tmp_path / "cache", recorded=[], out_dir=tmp_path / "runs", n_boot=100,
        # A cap keeps the test to a few minutes on two shared cores; an answer cut there keeps its finished claims.
        generation=GenParams(max_tokens=768),
    )  # fmt: skip
    rec = read_run(execute_run(cfg).path)
    assert rec.endpoint.kind == "local" and rec.endpoint.identity == "local:" + lm.QWEN_PIN.sha256
    (sample,) = rec.samples
    assert sample.ok, sample.failure
    assert sample.source == "request" and sample.attempts >= 1 and sample.usage.completion_tokens > 0
    assert len(sample.claims) >= 1 and all(c.article_id == ARTICLE for c in sample.claims)
    (score,) = rec.scores
    assert score.error is None and score.articles == [ARTICLE]
    for field in ("figures", "dates", "attribution", "claims"):
        assert 0.0 <= score.report[field]["f1"] <= 1.0
    # The same run again is answered by the cache: no server, nothing requested.
    start = time.perf_counter()
    again = read_run(execute_run(cfg.model_copy(update={"offline": True})).path)
    assert again.cache.hits_local == 1 and again.cache.requests == 0
    assert again.samples[0].claims == sample.claims
    assert time.perf_counter() - start < 30
