"""Shared fixtures: the project's own articles and gold, loaded once; the real embedded model, served once."""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
GOLD = ROOT / "gold"


@pytest.fixture(scope="session", autouse=True)
def _session_prepared_requests(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The user's own prepared requests are never read or written by the tests, module fixtures included."""
    os.environ["HARNESS_PREPARED_DIR"] = str(tmp_path_factory.mktemp("prepared-session"))


@pytest.fixture(autouse=True)
def _own_prepared_requests(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no prepared request kept (harness.extract.direct), in-process and in the harness
    processes it starts: what one test's run kept must not decide which path another's first requests take."""
    monkeypatch.setenv("HARNESS_PREPARED_DIR", str(tmp_path_factory.mktemp("prepared")))


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
    """Run `python -m harness ARGS` in a real subprocess, as a user would: for tests whose subject is the process
    itself (its exit status as the shell sees it, signals, what a child inherits, what it imports)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def own_setting(name: str) -> bool:
    """An OPENAI_*/HARNESS_* variable of this shell, which a test's harness must not see; the test's own
    prepared-request folder (set per test above) is not one of them."""
    return name.startswith(("OPENAI_", "HARNESS_")) and name != "HARNESS_PREPARED_DIR"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the shell's OPENAI_*/HARNESS_* settings, plus `extra`: for a subprocess."""
    return {**{k: v for k, v in os.environ.items() if not own_setting(k)}, **extra}


def endpoint_env(base_url: str | None = None, api_key: str | None = None) -> dict[str, str | None]:
    """For `cli(..., env=...)`: no OPENAI_*/HARNESS_* variable of this shell, then the endpoint given (if any)."""
    env: dict[str, str | None] = {k: None for k in os.environ if own_setting(k)}
    if base_url is not None:
        env["OPENAI_BASE_URL"] = base_url
    if api_key is not None:
        env["OPENAI_API_KEY"] = api_key
    return env


def cli(*args: str, cwd: Path = ROOT, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """Run `harness ARGS` in this process through typer's CliRunner: the same verbs, exit codes, and stdout and
    stderr kept apart, as run_cli returns them, without an interpreter start and the imports per call (0.5-2 s
    each). `env` sets variables for the call (None unsets one); an unexpected exception propagates."""
    from typer.testing import CliRunner

    from harness.cli import app

    with contextlib.chdir(cwd):
        r = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    return subprocess.CompletedProcess(["harness", *args], r.exit_code, r.stdout, r.stderr)


# ---------------------------------------------------------------- the real embedded model, once per test session

EMBEDDED_GROUP = "embedded_model"


@pytest.hookimpl(tryfirst=True)  # before -m selects and before pytest-xdist reads the order and the groups
def pytest_collection_modifyitems(config, items):
    """A test that asks for the real model is marked `local_model`, and its file is collected first.

    The model takes a minute of the suite's two cores, so it should start at once and overlap with everything
    else: `make test` runs `-n 2 --dist loadfile --no-loadscope-reorder`, which hands out whole files in collection
    order, so the file of the model's tests (tests/test_extract_local_e2e.py, where all of them live) goes first to
    one worker, which alone loads the model. They also carry the xdist group `embedded_model` for `--dist
    loadgroup`."""
    model_files = set()
    for item in items:
        if "embedded_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.local_model)
            item.add_marker(pytest.mark.xdist_group(EMBEDDED_GROUP))
            model_files.add(item.path)
    items.sort(key=lambda item: item.path not in model_files)  # stable: every other order is kept


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
    # Under pytest-xdist the other worker keeps a core busy. llama.cpp's threads wait for each other at every layer,
    # so a second thread on a shared core slows the model down instead of up: with one core busy, the e2e request
    # took 148 s on one thread and 407 s on two (2 cores). Alone (plain `pytest`), two threads are faster.
    n_threads = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2
    with lm.serve(weights, n_threads=n_threads) as server:
        yield server
