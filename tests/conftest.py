"""Shared fixtures: the project's own articles and gold, loaded once."""

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
