"""Per (prompt, model) figures of a run — failures, tokens, latency, mean F1 per field — pooled over repeats and
articles; the run report's failure and cost tables and the leaderboard are built from them.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from pydantic import BaseModel

from harness.records import RunRecord, entry_report
from harness.score.vocabulary import REPORTED


class Spread(BaseModel):
    """Mean, median and 95th percentile (numpy's linear interpolation) of one quantity over samples."""

    mean: float = 0.0
    p50: float = 0.0
    p95: float = 0.0

    @classmethod
    def of(cls, xs: list[float]) -> Spread:
        if not xs:
            return cls()
        a = np.asarray(xs, dtype=float)
        return cls(mean=float(a.mean()), p50=float(np.percentile(a, 50)), p95=float(np.percentile(a, 95)))


class GroupStats(BaseModel):
    """One (prompt, model) of a run, every repeat and article pooled."""

    prompt: str
    model: str
    samples: int
    failed: int
    failures_by_kind: dict[str, int]
    prompt_tokens: int
    completion_tokens: int
    prompt_tokens_per_sample: Spread
    completion_tokens_per_sample: Spread
    latency_s: Spread
    f1: dict[str, float | None]  # mean strict micro F1 over the repeats scored; None without scores
    repeats_scored: int = 0
    cost_usd: float | None = None


def group_stats(record: RunRecord) -> list[GroupStats]:
    """Per (prompt, model), in the run's order: failures, tokens and latency over samples, mean F1 over repeats."""
    keys: list[tuple[str, str]] = []
    for s in record.samples:
        if (s.prompt, s.model) not in keys:
            keys.append((s.prompt, s.model))
    for e in record.scores:
        if (e.prompt, e.model) not in keys:
            keys.append((e.prompt, e.model))
    out = []
    for prompt, model in keys:
        ss = [s for s in record.samples if (s.prompt, s.model) == (prompt, model)]
        reports = [r for e in record.scores if (e.prompt, e.model) == (prompt, model) and (r := entry_report(e))]
        f1 = {f: (sum(getattr(r, f).f1 for r in reports) / len(reports) if reports else None) for f in REPORTED}
        out.append(GroupStats(
            prompt=prompt, model=model, samples=len(ss), failed=sum(not s.ok for s in ss),
            failures_by_kind=dict(Counter(s.failure.kind for s in ss if not s.ok and s.failure)),
            prompt_tokens=sum(s.usage.prompt_tokens for s in ss),
            completion_tokens=sum(s.usage.completion_tokens for s in ss),
            prompt_tokens_per_sample=Spread.of([s.usage.prompt_tokens for s in ss]),
            completion_tokens_per_sample=Spread.of([s.usage.completion_tokens for s in ss]),
            latency_s=Spread.of([s.latency_s for s in ss]), f1=f1, repeats_scored=len(reports),
        ))  # fmt: skip
    return out
