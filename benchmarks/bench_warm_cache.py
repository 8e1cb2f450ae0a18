"""Warm cache: the five seed articles re-run with every answer already stored, then reported — `harness run`
(scoring with the default 1,000 bootstrap resamples included) followed by `harness report RUN`, timed as a user
runs them, as two processes. Target: at most 2 s together, and 0 requests.

Two cases: `local` — the answers are in the local cache (filled first from the loopback endpoint, which then counts
the requests of the timed run); `recorded` — the embedded model's committed answers in reports/recorded, replayed
with `--offline` into an empty local cache (skipped when they do not cover the five articles).
Prints one JSON line per case. Run: `python benchmarks/bench_warm_cache.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")


def timed(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    r = subprocess.run([HARNESS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - t0, r


def record_path(stdout: str) -> str:
    return next(line.split(": ", 1)[1] for line in stdout.splitlines() if line.startswith("record: "))


def run_and_report(run_args: list[str], env: dict[str, str]) -> dict:
    t_run, r = timed(["run", *run_args], env)
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["?"])[-1][:200]}
    rec_path = record_path(r.stdout)
    rec = json.loads(Path(rec_path).read_text(encoding="utf-8"))
    t_rep, rep = timed(["report", str(Path(rec_path).parent)], env)
    if rep.returncode != 0:
        return {"error": rep.stderr.strip()[-200:]}
    c = rec["cache"]
    return {"run_s": round(t_run, 2), "report_s": round(t_rep, 2), "total_s": round(t_run + t_rep, 2),
            "samples": rec["summary"]["samples"], "hits": c["hits_local"] + c["hits_recorded"],
            "requests": c["requests"]}  # fmt: skip


def main() -> None:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HARNESS_"))}
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        work = Path(tmp)
        with LoopbackServer(delay=0.0, max_requests=20, max_seconds=300) as srv:
            env = {**base_env, "OPENAI_API_KEY": "sk-bench"}
            args = ["--base-url", srv.base_url, "--model", "bench-model", "--cache-dir", str(work / "cache"),
                    "--recorded", str(work / "none"), "--out", str(work / "runs")]  # fmt: skip
            _, fill = timed(["run", *args, "--quiet"], env)
            if fill.returncode != 0:
                raise SystemExit(f"filling the cache failed: {fill.stderr[-500:]}")
            srv.reset_counts()
            row = run_and_report(args, env)
            row["endpoint_requests"] = srv.requests
        print(json.dumps({"bench": "warm_cache", "case": "local", **row}), flush=True)

        args = ["--offline", "--cache-dir", str(work / "empty-cache"), "--out", str(work / "runs-recorded")]
        row = run_and_report(args, base_env)  # no endpoint configured: the embedded model, answered from recordings
        print(json.dumps({"bench": "warm_cache", "case": "recorded", **row}), flush=True)


if __name__ == "__main__":
    main()
