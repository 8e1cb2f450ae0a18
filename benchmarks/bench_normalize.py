"""The date normaliser's speed: the wall-clock bounds that used to be assertions in tests/test_normalize_dates.py
(the tests keep the behaviour: repeated calls come from the cache, a 10 KB text reads as its articles one by one).

Cases (one JSON line each, best and median of 7 repeats):
- `cached`: 2,000 calls of parse_date("Per Maret 2023", "2023-12-04") after a first one: target 1 s (the former
  bound; the scorer asks the same (raw, published) thousands of times);
- `10 KB`: find_dates over the five seed articles joined (about 11,800 characters) with a publication date not
  seen before, so parse_date's cache does not help: target 0.05 s (the former bound).
Run: `python benchmarks/bench_normalize.py`.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from harness.normalize.date_finder import find_dates  # noqa: E402  (the project root goes on the path first)
from harness.normalize.dates import parse_date  # noqa: E402

REPEATS = 7


def timed(fn) -> list[float]:
    out = []
    for i in range(REPEATS):
        t0 = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t0)
    return out


def row(case: str, seconds: list[float], target: float, detail: str) -> dict:
    best, median = min(seconds), statistics.median(seconds)
    return {"bench": "normalize", "case": case, "best_s": round(best, 6), "median_s": round(median, 6),
            "target_s": target, "ratio": round(median / target, 4), "detail": detail}  # fmt: skip


def main() -> None:
    parse_date("Per Maret 2023", "2023-12-04")

    def cached(_i: int) -> None:
        for _ in range(2000):
            parse_date("Per Maret 2023", "2023-12-04")

    print(json.dumps(row("cached", timed(cached), 1.0, "2000 parse_date calls of one (raw, published)")), flush=True)

    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))
    find_dates(text, None)  # imports and compiled patterns

    def ten_kb(i: int) -> None:
        find_dates(text, f"2021-06-{10 + i:02d}")  # a publication date not seen yet in this process

    detail = f"find_dates over the 5 seed articles ({len(text):,} characters), unseen publication date"
    print(json.dumps(row("10 KB", timed(ten_kb), 0.05, detail)), flush=True)


if __name__ == "__main__":
    main()
