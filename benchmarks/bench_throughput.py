"""API-bound throughput of the whole `harness run`: N generated articles against an endpoint that answers every
request after a fixed delay, at several concurrency limits, reached through 127.0.0.1 and through the machine's own
network address (the server listens on 0.0.0.0), beside a plain openai-client script on the same work.

The floor is N x delay / concurrency (500 x 0.2 s / 50 = 2 s): what an ideal client would take. Per address and
concurrency, each figure as a ratio to that floor: `wall` (the whole command, interpreter start-up and imports
included), `api` (first request in to last answer out, as the endpoint saw it: the client's request path alone), the
peer (`openai_peer.py`: openai's client, a semaphore and gather, JSON mode, one output file) whole and its request
phase, and a plain asyncio client (keep-alive connections, no openai) showing what the endpoint itself allows.
Rounds are interleaved (every address and concurrency once per round, harness then peer) and each figure is the
median over the rounds; the load average is taken before and after. The run is timed with `--no-report`
(extraction, scoring and the run record): writing report.md/report.html is timed by the warm-cache benchmark.
Prints one JSON line per (address, concurrency).

Run: `python benchmarks/bench_throughput.py [--articles 500] [--concurrency 10 50 100] [--delay 0.2] [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer
from timed_run import bench_env, timed_run

ROOT = Path(__file__).resolve().parents[1]
PEER = Path(__file__).resolve().parent / "openai_peer.py"
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
    # The loopback server answers in the built-in schema: the guided prompt's (the default, compact, names its own).
    args = ["--base-url", base_url, "--model", "bench-model", "--prompt", "guided", "--articles", str(articles),
            "--cache-dir", str(work / "cache"), "--recorded", str(work / "none"), "--out", str(work / "runs"),
            "--concurrency", str(concurrency), "--max-attempts", "1", "--no-report",
            *(["--quiet"] if quiet else [])]  # fmt: skip
    return timed_run(args, bench_env(OPENAI_API_KEY="sk-bench"), timeout=600)


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


def network_address() -> str | None:
    """This machine's own non-loopback address (the one a UDP socket would leave by; nothing is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # a documentation address (TEST-NET-2): routing only
            address = str(probe.getsockname()[0])
        except OSError:
            address = ""
    if address and not address.startswith("127."):
        return address
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return next((a for a in out if "." in a and not a.startswith("127.")), None)


def peer_run(base_url: str, articles: Path, out: Path, concurrency: int) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, str(PEER), base_url, str(articles), str(concurrency), str(out)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    if r.returncode != 0:
        raise SystemExit(f"openai peer failed ({r.returncode}): {r.stderr[-2000:]}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[10, 50, 100])
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quiet", action="store_true", help="pass --quiet to harness run (no per-sample lines)")
    args = ap.parse_args()
    network = network_address()
    places = [("loopback", "127.0.0.1")] + ([("network", network)] if network else [])
    runs = args.rounds * len(places) * len(args.concurrency)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp, LoopbackServer(
        delay=args.delay, max_requests=(3 * runs + 2) * args.articles, max_seconds=3600, host="0.0.0.0"
    ) as srv:  # fmt: skip
        work = Path(tmp)
        make_articles(work / "articles", args.articles)
        seen: dict[tuple[str, int], dict[str, list[float]]] = {}
        for r in range(args.rounds):
            for place, address in places:
                for c in args.concurrency:
                    got = seen.setdefault((place, c), {})
                    srv.reset_counts()
                    run_dir = work / f"r{r}-{place}-c{c}"
                    wall, rec = harness_run(srv.url_at(address), work / "articles", run_dir, c, args.quiet)
                    assert srv.requests == args.articles and rec["cache"]["requests"] == args.articles, srv.requests
                    assert rec["summary"]["failed"] == 0
                    got.setdefault("wall", []).append(wall)
                    got.setdefault("api", []).append((srv.last_sent or 0) - (srv.first_arrival or 0))
                    srv.reset_counts()
                    got.setdefault("peer", []).append(peer_run(srv.url_at(address), work / "articles",
                                                               run_dir / "peer.jsonl", c))  # fmt: skip
                    assert srv.requests == args.articles, srv.requests
                    got.setdefault("peer_api", []).append((srv.last_sent or 0) - (srv.first_arrival or 0))
                    if r == 0:
                        srv.reset_counts()
                        got["plain"] = [asyncio.run(plain_client(address, srv.port, args.articles, c))]
        load_after = os.getloadavg()
        for (place, c), got in seen.items():
            floor = args.articles * args.delay / c
            med = {k: statistics.median(v) for k, v in got.items()}
            print(json.dumps({
                "bench": "throughput", "address": place, "articles": args.articles, "concurrency": c,
                "delay_s": args.delay, "rounds": args.rounds, "floor_s": round(floor, 2),
                "wall_s": round(med["wall"], 2), "wall_ratio": round(med["wall"] / floor, 2),
                "wall_range_s": [round(min(got["wall"]), 2), round(max(got["wall"]), 2)],
                "api_s": round(med["api"], 2), "api_ratio": round(med["api"] / floor, 2),
                "peer_s": round(med["peer"], 2), "peer_ratio": round(med["peer"] / floor, 2),
                "peer_api_ratio": round(med["peer_api"] / floor, 2),
                "vs_peer": round(med["wall"] / med["peer"], 2),
                "plain_client_s": round(med["plain"], 2), "plain_client_ratio": round(med["plain"] / floor, 2),
                "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
            }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
