"""Warm cache: the five seed articles re-run with every answer already stored — `harness run` as a user runs it,
one process: scoring with the default 1,000 bootstrap resamples, the run record, report.md and report.html.
Target: at most 2 s, and 0 requests.

Cases: `local` — the answers are in the local cache (filled first from the loopback endpoint, which then counts
the requests of the timed run); `recorded` — the embedded model's committed answers in reports/recorded, replayed
with `--offline` into an empty local cache; `make run` — the README's command, timed whole (make, the model check
and the run), when an earlier `make run` left the embedded model's answers in the project's cache (skipped
otherwise: it would start a fresh model run). Prints one JSON line per case.
Run: `python benchmarks/bench_warm_cache.py`.
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
from loopback_server import LoopbackServer

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")


def timed(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    r = subprocess.run([HARNESS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - t0, r


def record_path(stdout: str) -> str:
    return next(line.split(": ", 1)[1] for line in stdout.splitlines() if line.startswith("record: "))


def outcome(seconds: float, r: subprocess.CompletedProcess) -> dict:
    """The timed command's figures, read back from the run record it wrote (reports checked to exist)."""
    if r.returncode != 0:
        return {"error": (r.stderr.strip().splitlines() or ["?"])[-1][:200]}
    rec_path = Path(ROOT, record_path(r.stdout))
    rec = json.loads(rec_path.read_text(encoding="utf-8"))
    reports = all((rec_path.parent / f).is_file() for f in ("report.md", "report.html"))
    c = rec["cache"]
    return {"total_s": round(seconds, 2), "samples": rec["summary"]["samples"], "reports": reports,
            "hits": c["hits_local"] + c["hits_recorded"], "requests": c["requests"]}  # fmt: skip


def run_and_report(run_args: list[str], env: dict[str, str]) -> dict:
    return outcome(*timed(["run", *run_args], env))


def make_run(env: dict[str, str]) -> dict | None:
    """`make run` timed whole, if the embedded model's answers are already in the project's cache."""
    probe = subprocess.run([HARNESS, "run", "--no-recorded", "--offline", "-q", "--no-report", "--n-boot", "10",
                            "--out", tempfile.mkdtemp(prefix="bench-probe-")],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    if probe.returncode != 0:
        return None
    t0 = time.perf_counter()
    r = subprocess.run(["make", "-s", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return outcome(time.perf_counter() - t0, r)


def main() -> None:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HARNESS_"))}
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as tmp:
        work = Path(tmp)
        with LoopbackServer(delay=0.0, max_requests=20, max_seconds=300) as srv:
            env = {**base_env, "OPENAI_API_KEY": "sk-bench"}
            args = ["--base-url", srv.base_url, "--model", "bench-model", "--prompt", "guided",  # the server's schema
                    "--cache-dir", str(work / "cache"),
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

    row = make_run(base_env)
    if row is not None:
        print(json.dumps({"bench": "warm_cache", "case": "make run", **row}), flush=True)


if __name__ == "__main__":
    main()
