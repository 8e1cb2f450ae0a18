"""The `harness` command's entry (console script and `python -m harness`) builds only the verb it is given, and
behaves as the whole app for everything else: help, groups, unknown verbs, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.cli import app


def harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"})  # fmt: skip


def test_every_verb_of_the_app_is_reachable_by_name() -> None:
    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert {"run", "score", "gold", "cache", "report", "gate", "local-model", "variants"} <= set(names)
    for name in names:
        done = harness(name, "--help")
        assert done.returncode == 0, (name, done.stderr)
        assert f"Usage: harness {name}" in done.stdout


def test_without_a_known_verb_it_is_the_whole_app() -> None:
    listed = harness("--help")
    assert listed.returncode == 0
    for name in ("run", "gold", "leaderboard", "variants"):
        assert name in listed.stdout
    unknown = harness("no-such-verb")
    assert unknown.returncode == 2 and "No such command 'no-such-verb'" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [(["gold", "check", "--gold", "no/such/folder"], "error: no/such/folder: no such gold folder or file"),
     (["gate", "no-such-run"], "error: no-such-run: no such run")],
)  # fmt: skip
def test_a_verb_built_alone_keeps_its_errors_and_exit_codes(args: list[str], said: str) -> None:
    done = harness(*args)
    assert done.returncode == 2 and said in done.stderr  # the verb's own one-line error, not a usage error
