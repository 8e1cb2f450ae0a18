"""Per (prompt, model) figures of a run — failures, tokens, latency, F1 per field, cost — and the leaderboard
that ranks them. Cost needs a price table: USD per 1M prompt / completion tokens per model name.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError

from harness.errors import InputError
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


class Price(BaseModel):
    prompt: float
    completion: float


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


def load_prices(path: Path) -> dict[str, Price]:
    """`{"model-name": {"prompt": 0.15, "completion": 0.60}, ...}`, USD per 1M tokens; InputError when malformed."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read price table: {exc.strerror}", str(path)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", str(path), exc.lineno) from None
    if not isinstance(raw, dict):
        raise InputError('price table must be an object {"model": {"prompt": usd, "completion": usd}}', str(path))
    out = {}
    for name, v in raw.items():
        try:
            out[name] = Price.model_validate(v)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(f"model {name!r}: {'.'.join(map(str, err['loc']))}: {err['msg']}", str(path)) from None
    return out


def leaderboard(record: RunRecord, prices: dict[str, Price] | None = None, sort: str = "claims") -> list[GroupStats]:
    """One row per (prompt, model), best `sort` F1 first (unscored rows last); cost filled from `prices`."""
    rows = group_stats(record)
    for r in rows:
        p = (prices or {}).get(r.model)
        if p is not None:
            r.cost_usd = (r.prompt_tokens * p.prompt + r.completion_tokens * p.completion) / 1e6
    return sorted(rows, key=lambda r: (r.f1.get(sort) is None, -(r.f1.get(sort) or 0.0)))


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: pipes escaped, line breaks flattened, no raw HTML tag ("<" escaped)."""
    s = str(value).replace("<", "&lt;")
    return s.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def render_leaderboard(record: RunRecord, rows: list[GroupStats], sort: str = "claims") -> str:
    """Markdown: rank, prompt, model, F1 per field, failures, tokens, mean latency, cost."""
    has_cost = any(r.cost_usd is not None for r in rows)
    head = ["#", "prompt", "model", *REPORTED, "failed", "prompt tok", "completion tok", "mean latency s"]
    head += ["cost USD"] if has_cost else []
    lines = [
        f"# Leaderboard — run {md_cell(record.run_id)}", "",
        f"Strict micro F1 per field (mean over repeats), sorted by `{sort}`. Tokens and latency over all samples"
        " of the row, cached answers included (their recorded cost).", "",
        "| " + " | ".join(head) + " |", "|" + "|".join("---" if i < 3 else "---:" for i in range(len(head))) + "|",
    ]  # fmt: skip
    for i, r in enumerate(rows, 1):
        cells = [
            str(i),
            md_cell(r.prompt),
            md_cell(r.model),
            *(fmt(r.f1[f]) for f in REPORTED),
            f"{r.failed}/{r.samples}",
            str(r.prompt_tokens),
            str(r.completion_tokens),
            f"{r.latency_s.mean:.2f}",
        ]
        if has_cost:
            cells.append("n/a" if r.cost_usd is None else f"{r.cost_usd:.6f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
