"""API-bound throughput of the whole `harness run`: N generated articles against a loopback endpoint that answers
every request after a fixed delay, at several concurrency limits.

The floor is N x delay / concurrency (500 x 0.2 s / 50 = 2 s): what an ideal client would take. Three figures per
concurrency, each as a ratio to that floor: `wall` (the whole command, interpreter start-up and imports included),
`api` (first request in to last answer out, as the endpoint saw it: the client's request path alone) and, for
reference, a plain asyncio client (keep-alive connections, no openai or instructor) against the same endpoint, which
shows what the endpoint itself allows. The run is timed with `--no-report` (extraction, scoring and the run record):
writing report.md/report.html is timed by the warm-cache benchmark. Prints one JSON line per row.

Run: `python benchmarks/bench_throughput.py [--articles 500] [--concurrency 10 50 100] [--delay 0.2]`.
"""

from __future__ import annotations

import argparse
import asyncio
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
SENTENCES = [
    "Menteri Koperasi dan UKM mengatakan {n} juta UMKM sudah masuk ekosistem digital per Juni {y}.",
    "Pemerintah menargetkan 30 juta UMKM go digital pada 2024.",
    "Menurut data Kemenkop, nilai transaksi daring naik {p} persen sejak {y}.",
    "Sebanyak {n}.{p}00 pelaku usaha mengikuti pelatihan pemasaran digital, kata pejabat dinas setempat.",
]


def make_articles(folder: Path, n: int) -> None:
    """N short articles (about 400 characters), each with its own figures, so each has its own cache key."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = f"Berita UMKM nomor {i}\n" + " ".join(
            s.format(n=i % 90 + 1, y=2019 + i % 5, p=i % 60 + 1) for s in SENTENCES
        )  # fmt: skip
        (folder / f"bench{i:04d}.txt").write_text(text + "\n", encoding="utf-8")


def harness_run(base_url: str, articles: Path, work: Path, concurrency: int, quiet: bool) -> tuple[float, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HARNESS_"))}
    env["OPENAI_API_KEY"] = "sk-bench"
    cmd = [
        HARNESS,
        "run",
        "--base-url",
        base_url,
        "--model",
        "bench-model",
        "--articles",
        str(articles),
        "--cache-dir",
        str(work / "cache"),
        "--recorded",
        str(work / "none"),
        "--out",
        str(work / "runs"),
        "--concurrency",
        str(concurrency),
        "--max-attempts",
        "1",
        "--no-report",
        *(["--quiet"] if quiet else []),
    ]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"harness run failed ({r.returncode}): {r.stderr[-2000:]}")
    path = next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("record: "))
    return wall, json.loads(Path(path).read_text(encoding="utf-8"))


async def plain_client(host: str, port: int, n: int, concurrency: int) -> float:
    """n POSTs over `concurrency` keep-alive connections with asyncio streams; seconds taken."""
    body = json.dumps({"model": "bench-model", "messages": [{"role": "user", "content": "x" * 400}]}).encode()
    req = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
           f"Content-Length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip
    todo = iter(range(n))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for _ in todo:
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(ln[15:]) for ln in head.split(b"\r\n") if ln[:15].lower() == b"content-length:")
            json.loads(await reader.readexactly(length))
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[10, 50, 100])
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--quiet", action="store_true", help="pass --quiet to harness run (no per-sample lines)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp, LoopbackServer(
        delay=args.delay, max_requests=(2 + len(args.concurrency) * 2) * args.articles, max_seconds=900
    ) as srv:  # fmt: skip
        work = Path(tmp)
        make_articles(work / "articles", args.articles)
        for c in args.concurrency:
            floor = args.articles * args.delay / c
            srv.reset_counts()
            ref = asyncio.run(plain_client("127.0.0.1", srv.port, args.articles, c))
            srv.reset_counts()
            wall, rec = harness_run(srv.base_url, work / "articles", work / f"c{c}", c, args.quiet)
            assert srv.requests == args.articles and rec["cache"]["requests"] == args.articles, srv.requests
            assert rec["summary"]["failed"] == 0
            api = (srv.last_sent or 0) - (srv.first_arrival or 0)
            print(json.dumps({
                "bench": "throughput", "articles": args.articles, "concurrency": c, "delay_s": args.delay,
                "floor_s": round(floor, 2), "wall_s": round(wall, 2), "wall_ratio": round(wall / floor, 2),
                "api_s": round(api, 2), "api_ratio": round(api / floor, 2), "peak_in_flight": srv.peak_in_flight,
                "plain_client_s": round(ref, 2), "plain_client_ratio": round(ref / floor, 2),
                "run_duration_s": rec["duration_s"],
            }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
