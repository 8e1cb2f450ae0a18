"""Every benchmark in one go (`make bench`): runs each as its own process, prints one table with the machine it ran
on, and writes it to benchmarks/results.md.

Takes about 20 minutes on 2 cores, most of it the embedded model's fresh run and the five throughput rounds
(`--embedded recorded` reads the committed answers instead, `--embedded skip` leaves it out).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def speed_probe(repeats: int = 7) -> float:
    """Milliseconds for a fixed pure-Python workload (JSON out and back, a sort, a hash), median of `repeats`: the
    same shared machine runs this up to 1.7x slower in some hours than in others, and every figure of the table
    stretches with it, so the table says how fast the machine was while it ran (lower is faster)."""
    data = [{"id": f"a{i:05d}", "text": "umkm digital " * (i % 7 + 1), "n": i * 7919 % 1000} for i in range(15000)]
    took = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        back = json.loads(json.dumps(data))
        back.sort(key=lambda d: (d["n"], d["id"]))
        hashlib.sha256("".join(d["text"] + d["id"] for d in back).encode()).hexdigest()
        took.append(time.perf_counter() - t0)
    return round(statistics.median(took) * 1000, 1)


def machine() -> dict[str, str]:
    cpu, simd = "?", "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "?":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags"):  # what llama.cpp's kernels can use: the embedded model's speed
                flags = set(line.split(":", 1)[1].split())
                simd = next((f for f in ("avx512f", "avx2", "avx") if f in flags), "none")
                break
    except OSError:
        pass
    ram = "?"
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        kb = next(int(ln.split()[1]) for ln in meminfo if ln.startswith("MemTotal"))
        ram = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return {"nproc": nproc, "cpu": cpu, "simd": simd, "ram": ram, "python": platform.python_version(),
            "commit": commit.strip() or "?", "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()), "probe": f"{speed_probe()} ms"}  # fmt: skip


def bench(script: str, *args: str) -> list[dict]:
    """Run one benchmark script; its JSON lines (stderr passed through so a failure shows)."""
    print(f"running {script} {' '.join(args)}", file=sys.stderr, flush=True)
    r = subprocess.run([sys.executable, str(HERE / script), *args], cwd=ROOT, capture_output=True, text=True)
    rows = [json.loads(ln) for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0:
        rows.append({"bench": script, "error": (r.stderr.strip().splitlines() or ["failed"])[-1][:160]})
    return rows


def table(rows: list[dict]) -> list[tuple[str, str, str, str, str, str]]:
    """(benchmark, case, measured, floor or target, ratio, detail) per row."""
    out = []
    for r in rows:
        b = r.get("bench", "?")
        if "error" in r or "skipped" in r:
            out.append((b, "-", "-", "-", "-", r.get("error") or r.get("skipped")))
        elif b == "throughput":
            out.append((b, f"{r['articles']} articles, c={r['concurrency']}, {r['address']} "
                        f"(median of {r['rounds']})", f"{r['wall_s']} s", f"floor {r['floor_s']} s",
                        f"{r['wall_ratio']}x",
                        f"request phase {r['api_ratio']}x; openai peer {r['peer_s']} s ({r['peer_ratio']}x, request "
                        f"phase {r['peer_api_ratio']}x), harness/peer {r['vs_peer']}x; plain asyncio client "
                        f"{r['plain_client_ratio']}x; wall range {r['wall_range_s'][0]}-{r['wall_range_s'][1]} s; "
                        f"load {r['load_before'][0]} -> {r['load_after'][0]}"))  # fmt: skip
        elif b == "warm_cache":
            asked = r.get("endpoint_requests", r["requests"])
            out.append((b, f"5 seed articles, {r['case']}", f"{r['total_s']} s", "target 2 s",
                        f"{round(r['total_s'] / 2, 2)}x", f"run, record, report.md and report.html"
                        f"{'' if r['reports'] else ' (reports MISSING)'}; {r['hits']}/{r['samples']} from cache; "
                        f"{asked} requests"))  # fmt: skip
        elif b == "embedded" and r.get("summary"):
            case = f"{r['articles']} articles, {r.get('prompt', 'guided')}, {r['n_threads']} threads ({r['source']})"
            out.append((b, case, f"{r['actual_s']} s",
                        f"floor {r['floor_full_s']} s (prefix reuse {r['floor_prefix_s']} s)",
                        f"{r['ratio_full']}x ({r['ratio_prefix']}x)",
                        f"prompt {r['prompt_tok_per_s']} tok/s, generation {r['gen_tok_per_s']} tok/s; "
                        f"{r['prompt_tokens']} prompt, {r['output_tokens']} output tokens "
                        f"({r['output_tokens_per_article']} per article)"))  # fmt: skip
        elif b == "embedded":
            out.append((b, f"  {r['article_id']}", f"{r['latency_s']:.1f} s", "", "",
                        f"{r['prompt_tokens']} prompt, {r['completion_tokens']} output tokens"
                        + (" (cut at max_tokens)" if r.get("truncated") else "")))  # fmt: skip
        elif b == "faults":
            floor, bound = r["floor_s"], r["former_bound_s"]
            ratio = f"{round(r['latency_s'] / floor, 2)}x" if floor else "-"
            target = f"floor {floor} s" + (f" (former test bound {bound} s)" if bound else "")
            detail = f"{r['attempts']} attempt(s), {r['failure'] or 'answered'}" if r["attempts"] else ""
            out.append((b, f"{r['case']}: {r['sample']}", f"{r['latency_s']} s", target, ratio, detail))
        elif b == "normalize":
            out.append((b, r["case"], f"{r['median_s']} s (best {r['best_s']} s)", f"target {r['target_s']} s",
                        f"{r['ratio']}x", r["detail"]))  # fmt: skip
        elif b == "scoring" and "articles" in r:
            out.append((b, f"{r['articles']} articles x {r['claims_per_side']} claims", f"{r['seconds']} s",
                        "10,000 in < 10 s", "", f"figures F1 {r['figures_f1']}"))  # fmt: skip
        elif b == "scoring":
            out.append((b, f"doubling {r['doubling']}", f"time x{r['time_ratio']}", "at most x2.2", "", ""))
    return out


def render(m: dict[str, str], rows: list[tuple[str, ...]]) -> str:
    head = ("benchmark", "case", "measured", "floor / target", "ratio", "detail")
    lines = [f"Machine: {m['nproc']} cores ({m['cpu']}, {m['simd']}), {m['ram']} RAM; Python {m['python']}; "
             f"commit {m['commit']}; {m['date']}; load average at the start {m['load']}; speed probe (a fixed "
             f"pure-Python workload, median of 7, lower is faster) {m['probe']} at the start, {m['probe_end']} at the "
             "end.", "",
             "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]  # fmt: skip
    lines += ["| " + " | ".join(str(c).replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedded", choices=["fresh", "recorded", "skip"], default="fresh")
    ap.add_argument("--articles", default="500", help="articles for the throughput benchmark")
    ap.add_argument("--rounds", default="5", help="interleaved rounds of the throughput benchmark (medians)")
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    args = ap.parse_args()
    m = machine()  # the load average before anything runs
    # The harness as installed: its bytecode written (as the Makefile's install does), whatever PYTHONDONTWRITEBYTECODE
    # says and whatever was edited since, so that no timed command pays for compiling the package.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "harness")], check=True, capture_output=True)
    rows: list[dict] = []
    rows += bench("bench_throughput.py", "--articles", args.articles, "--rounds", args.rounds,
                  "--concurrency", "10", "50", "100")  # fmt: skip
    rows += bench("bench_warm_cache.py")
    if args.embedded != "skip":
        rows += bench("bench_embedded.py", *(["--from-recorded"] if args.embedded == "recorded" else []))
    rows += bench("bench_scoring.py", "--sizes", "5000", "10000")
    rows += bench("bench_faults.py")
    rows += bench("bench_normalize.py")
    m["probe_end"] = f"{speed_probe()} ms"
    text = render(m, table(rows))
    print(text)
    args.out.write_text("# Benchmark results\n\nWritten by `make bench` (benchmarks/run_all.py); what each row "
                        "measures is in benchmarks/README.md.\n\n" + text, encoding="utf-8")  # fmt: skip
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
