"""Shared fixtures: the project's own articles and gold, loaded once; the real embedded model, served once."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT / "gold"


@pytest.fixture(scope="session")
def articles():
    from harness.corpus import load_articles

    return load_articles(SEEDS)


@pytest.fixture(scope="session")
def gold(articles):
    from harness.corpus import load_gold

    return load_gold(GOLD, articles)


@functools.cache
def _article_texts() -> dict[str, str]:
    from harness.corpus import load_articles

    return {a: art.text for a, art in load_articles(SEEDS).items()}


def score_with_texts(gold, preds, **kw):
    """The scorer as `harness run` and `harness score` call it: with the article texts, so quotes are located."""
    from harness.score import evaluate

    texts = _article_texts()
    return evaluate(gold, preds, texts={a: texts[a] for a in gold if a in texts}, **kw)


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m harness ARGS` in a real subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


# ---------------------------------------------------------------- the real embedded model, once per test session

EMBEDDED_GROUP = "embedded_model"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (`--dist loadgroup`)
def pytest_collection_modifyitems(config, items):
    """A test that asks for the real model is `local_model` and in one xdist group: one worker serves the model."""
    for item in items:
        if "embedded_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.local_model)
            item.add_marker(pytest.mark.xdist_group(EMBEDDED_GROUP))


@pytest.fixture(scope="session")
def embedded_server():
    """The pinned embedded model served by llama_cpp.server on 127.0.0.1, started once for the whole session and
    stopped at its end; skipped (with the reason) when its weights are not set up. Loading it costs seconds and
    3 GB of memory, so every test that needs the real model shares this one."""
    from harness.extract import local_model as lm

    weights = lm.model_path()
    if not weights.is_file():
        pytest.skip(f"embedded model weights absent ({weights}); run `harness local-model setup`")
    assert lm.is_verified(weights), "cached weights are not verified; run `harness local-model setup`"
    with lm.serve(weights) as server:
        yield server
