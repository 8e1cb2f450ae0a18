"""Time spent on endpoint faults, against the floor each fault sets: the wall-clock bounds that used to be test
assertions (tests/test_faults.py, tests/test_extract_provider.py) and flaked on a busy machine. The tests keep the
behaviour (which failure, how many attempts, which waits were chosen); this measures how long it took.

Cases (one JSON line each):
- `run`: `harness run` over twelve articles against the fault-injecting fake server (tests/fake_openai_server.py),
  the fault plan of tests/test_faults.py, timeout 0.5 s, 3 attempts. Per sample: `429 once` (Retry-After 1.5 s,
  floor 1.5 s), `429 always` (Retry-After 0 twice: floor 0 s, former bound 0.75 s, the harness's own back-off it
  must not add), `slow` (three attempts cut at 0.5 s: floor 1.5 s, former bound 9 s).
- `slot`: one slot, four requests the server answers after 0.3 s each: each request's latency against 0.3 s
  (waiting for the slot is not latency; former bound 0.6 s).
- `timeout`: an answer 3 s away, two attempts cut at 0.3 s: floor 0.6 s (former bound 2 s).
Run: `python benchmarks/bench_faults.py`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from timed_run import bench_env, timed_run  # noqa: E402

from tests.fake_openai_server import FakeOpenAIServer  # noqa: E402  (the project root goes on the path first)

TIMEOUT, ATTEMPTS = 0.5, 3
PLAN = {"a01_clean": (None, 0), "a03_429_once": ("429:1.5", 1), "a04_429_always": ("429:0", 10),
        "a08_slow": ("slow:3", 10)}  # fmt: skip
# sample -> (floor in s, the former test bound in s)
FLOORS = {"a01_clean": (0.0, None), "a03_429_once": (1.5, None), "a04_429_always": (0.0, 0.75),
          "a08_slow": (ATTEMPTS * TIMEOUT, 9.0)}  # fmt: skip


def marker(article_id: str) -> str:
    return f"PENANDA-{article_id.upper()}"


def fault_run() -> list[dict]:
    answers = {marker(a): {"claims": [{"text": "1 juta UMKM go digital", "figures": ["1 juta"]}]} for a in PLAN}
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        work = Path(tmp)
        (work / "articles").mkdir()
        for a in PLAN:
            (work / "articles" / f"{a}.txt").write_text(f"{marker(a)}\n1 juta UMKM go digital.\n", encoding="utf-8")
        with FakeOpenAIServer(answers, slow_s=3.0, keep_log=False) as srv:
            for a, (fault, n) in PLAN.items():
                if fault:
                    srv.add_faults(*[fault] * n, marker=marker(a))
            env = bench_env(OPENAI_BASE_URL=srv.base_url, OPENAI_API_KEY="sk-bench-faults")
            # The fake answers in the built-in schema: the guided prompt's.
            args = ["--model", "fake-model", "--prompt", "guided", "--articles", str(work / "articles"),
                    "--cache-dir", str(work / "cache"), "--recorded", str(work / "none"), "--out", str(work / "runs"),
                    "--max-attempts", str(ATTEMPTS), "--max-retries", "1", "--timeout", str(TIMEOUT),
                    "--max-failure-rate", "1", "--concurrency", "16", "--no-report", "--quiet",
                    "--n-boot", "10"]  # fmt: skip
            wall, rec = timed_run(args, env, timeout=300)
    rows = []
    for s in rec["samples"]:
        floor, bound = FLOORS[s["article_id"]]
        rows.append({"bench": "faults", "case": "run", "sample": s["article_id"], "latency_s": round(s["latency_s"], 3),
                     "floor_s": floor, "former_bound_s": bound, "attempts": s["attempts"],
                     "failure": (s["failure"] or {}).get("kind")})  # fmt: skip
    rows.append({"bench": "faults", "case": "run", "sample": "whole command", "latency_s": round(wall, 2),
                 "floor_s": max(f for f, _ in FLOORS.values()), "former_bound_s": None, "attempts": None,
                 "failure": None})  # fmt: skip
    return rows


async def _slot_latencies(base_url: str) -> list[float]:
    from harness.extract.provider import GenParams, Provider

    messages = [{"role": "system", "content": "x"}, {"role": "user", "content": "ARTIKEL-X"}]
    provider = Provider(base_url, None, GenParams(backoff_base=0.01, backoff_max=0.05, timeout=5.0))
    slot = asyncio.Semaphore(1)
    try:
        outs = await asyncio.gather(*(provider.request(messages, "m", slot) for _ in range(4)))
    finally:
        await provider.aclose()
    return [o.latency_s for o in outs]


async def _timeout_latency(base_url: str) -> float:
    from harness.extract.provider import GenParams, Provider

    messages = [{"role": "system", "content": "x"}, {"role": "user", "content": "ARTIKEL-X"}]
    provider = Provider(base_url, None, GenParams(backoff_base=0.01, backoff_max=0.05, timeout=0.3, max_attempts=2))
    try:
        out = await provider.request(messages, "m")
    finally:
        await provider.aclose()
    assert out.failure is not None and out.failure.kind == "timeout"
    return out.latency_s


def provider_cases() -> list[dict]:
    answer = {"claims": [{"text": "1 juta UMKM go digital", "figures": ["1 juta"]}]}
    with FakeOpenAIServer({"ARTIKEL-X": answer}, delay=0.3, keep_log=False) as srv:
        lat = asyncio.run(_slot_latencies(srv.base_url))
    rows = [{"bench": "faults", "case": "slot", "sample": f"request {i + 1} of 4", "latency_s": round(x, 3),
             "floor_s": 0.3, "former_bound_s": 0.6, "attempts": 1, "failure": None}
            for i, x in enumerate(sorted(lat))]  # fmt: skip
    with FakeOpenAIServer({"ARTIKEL-X": answer}, slow_s=3.0, keep_log=False) as srv:
        srv.always_fault = "slow"
        x = asyncio.run(_timeout_latency(srv.base_url))
    rows.append({"bench": "faults", "case": "timeout", "sample": "2 attempts cut at 0.3 s", "latency_s": round(x, 3),
                 "floor_s": 0.6, "former_bound_s": 2.0, "attempts": 2, "failure": "timeout"})  # fmt: skip
    return rows


def main() -> None:
    for row in fault_run() + provider_cases():
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
