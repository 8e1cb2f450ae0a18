"""Scoring at scale: N synthetic articles with 20 gold and 20 predicted claims each, timed end to end.

Target (issue: scoring core): 10,000 articles in under 10 s on 2 cores, and doubling the work costs at most
2.2x the time. Prints one JSON line per size. Run: `python benchmarks/bench_scoring.py [--sizes 5000 10000 20000]`.
`--profile` scores in one process under cProfile and prints where the time goes (stderr); its times are not the
benchmark's.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import itertools
import json
import pstats
import random
import sys
import time
from decimal import Decimal

from harness.schema import Attribution, DateRef, Evidence, Figure, GoldArticle, GoldClaim, PredictedClaim, Speaker
from harness.score import evaluate

WORDS = "umkm digital target juta pemerintah pelaku usaha platform ekosistem pasar produk lokal data".split()
MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
SPEAKERS = [
    Speaker(name=n, aliases=[n.split()[0]])
    for n in ("Odo Manuhutu", "Rudy Salahuddin", "Johnny G. Plate", "Joko Widodo")
]


def make_article(i: int, rng: random.Random) -> tuple[GoldArticle, list[PredictedClaim]]:
    aid = f"syn{i:06d}"
    claims, preds = [], []
    for c in range(20):
        n = rng.randint(1, 99)
        tenth = rng.randint(0, 9)
        raw = f"{n},{tenth} juta" if tenth else f"{n} juta"
        value = (Decimal(n) + Decimal(tenth) / 10) * 1_000_000
        year, month = rng.randint(2019, 2024), rng.randint(1, 12)
        date_raw, date_val = f"{MONTHS[month - 1]} {year}", f"{year}-{month:02d}"
        words = " ".join(rng.sample(WORDS, 6))
        speaker = rng.choice(SPEAKERS).name if rng.random() < 0.7 else None
        text = f"{words} {raw} {date_raw}"
        claims.append(GoldClaim(
            id=f"{aid}-{c:02d}", statement=text, evidence=[Evidence(text=text, start=0)],
            figures=[Figure(raw=raw, value=value, unit="count")], dates=[DateRef(raw=date_raw, value=date_val)],
            attribution=Attribution(speaker=speaker, kind="indirect" if speaker else "narrative"),
        ))  # fmt: skip
        roll = rng.random()
        if roll < 0.6:  # right
            preds.append(
                PredictedClaim(
                    article_id=aid, text=text, figures=[{"raw": raw}], dates=[{"raw": date_raw}], speaker=speaker
                )
            )
        elif roll < 0.75:  # scale flip and coarser date
            preds.append(
                PredictedClaim(
                    article_id=aid,
                    text=text,
                    figures=[{"raw": f"{n}{tenth} juta"}],
                    dates=[{"raw": str(year)}],
                    speaker=speaker,
                )
            )
        elif roll < 0.9:  # spurious claim instead of this one
            preds.append(
                PredictedClaim(
                    article_id=aid,
                    text=" ".join(rng.sample(WORDS, 5)),
                    figures=[{"raw": f"{rng.randint(100, 999)} ribu"}],
                    speaker="Sindonews",
                )
            )
        # else: missing
    while len(preds) < 20:
        preds.append(
            PredictedClaim(
                article_id=aid, text="tambahan", figures=[{"raw": f"{rng.randint(1, 9)}.{rng.randint(100, 999)}"}]
            )
        )
    return GoldArticle(article_id=aid, sha256="0" * 64, speakers=SPEAKERS, claims=claims), preds


def build(n: int, seed: int = 0):
    rng = random.Random(seed)
    gold, preds = {}, []
    for i in range(n):
        g, p = make_article(i, rng)
        gold[g.article_id] = g
        preds.extend(p)
    return gold, preds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000, 20000])
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--profile", action="store_true", help="one process under cProfile; top functions to stderr")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        gold, preds = build(n)
        profiler = cProfile.Profile() if args.profile else None
        t0 = time.perf_counter()
        if profiler:
            report = profiler.runcall(evaluate, gold, preds, n_boot=args.n_boot, workers=1)
        else:
            report = evaluate(gold, preds, n_boot=args.n_boot)
        dt = time.perf_counter() - t0
        rows.append(
            {
                "bench": "scoring",
                "articles": n,
                "claims_per_side": 20,
                "seconds": round(dt, 2),
                "figures_f1": round(report.figures.f1, 4),
                **({"profiled": True} if profiler else {}),
            }
        )
        if profiler:
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        del report, gold, preds  # each size starts from a clean heap, as it would in its own process
        gc.collect()
        print(json.dumps(rows[-1]), flush=True)
    for a, b in itertools.pairwise(rows):
        if b["articles"] == 2 * a["articles"]:
            print(
                json.dumps(
                    {
                        "bench": "scoring",
                        "doubling": f"{a['articles']}->{b['articles']}",
                        "time_ratio": round(b["seconds"] / a["seconds"], 2),
                    }
                )
            )


if __name__ == "__main__":
    main()
