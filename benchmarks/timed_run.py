"""One `harness run` as the benchmarks time it: a subprocess of this interpreter's `harness`, with no endpoint or
harness setting inherited from the caller, timed whole (process start included), its run record read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")


def bench_env(**extra: str) -> dict[str, str]:
    """The caller's environment without OPENAI_* and HARNESS_* variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HARNESS_"))}
    env.update(extra)
    return env


def timed_run(args: list[str], env: dict[str, str], timeout: float) -> tuple[float, dict]:
    """Wall seconds of `harness run ARGS` and its run.json; SystemExit with the end of stderr when it fails."""
    t0 = time.perf_counter()
    r = subprocess.run([HARNESS, "run", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"harness run failed ({r.returncode}): {r.stderr[-2000:]}")
    path = next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("record: "))
    return wall, json.loads(Path(path).read_text(encoding="utf-8"))
