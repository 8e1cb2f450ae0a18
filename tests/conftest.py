"""Shared fixtures: the project's own articles and gold, loaded once."""

from __future__ import annotations

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


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m harness ARGS` in a real subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
