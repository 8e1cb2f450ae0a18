"""What a run would ask and cost, without asking (`harness run --dry-run`): per (prompt, model) and in total, the
samples, those the cache or the recorded answers already hold, the requests left, their prompt and completion
tokens, and their price. Each estimate names its method; cached samples cost nothing.

Prompt tokens are counted on the request bodies a run would post (`tokens.request_bodies`). Completion tokens
cannot be counted before the answer: they are the mean completion tokens of the stored answers of the same prompt
and model (this run's cache hits first, else any stored answer in the layers the run consults), else
`DEFAULT_COMPLETION_TOKENS`; max_tokens per request is the bound shown beside them. Both count one attempt per
request: instructor's re-asks and transport retries would add to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from statistics import fmean
from typing import Literal

from pydantic import BaseModel

from harness.extract.cache import CacheEntry, ResponseCache
from harness.extract.params import GenParams
from harness.extract.runner import Sample
from harness.extract.tokens import TokenCounter, request_bodies
from harness.prices import Price

DEFAULT_COMPLETION_TOKENS = 1000  # when no answer of the prompt and model is stored (capped at max_tokens)
Answered = Literal["local", "recorded", "rules", "request", "same key"]


class SampleEstimate(BaseModel):
    """One sample: where its answer would come from, and the prompt tokens of its request if one is sent."""

    prompt: str
    model: str
    article_id: str
    repeat: int
    key: str
    answered_by: Answered  # "same key": another sample of the run asks the same request (answered once)
    prompt_tokens: int | None = None


class Tally(BaseModel):
    """Counts and tokens of a set of samples: a (prompt, model) group or the whole run."""

    samples: int = 0
    cached_local: int = 0
    cached_recorded: int = 0
    by_rules: int = 0  # the rules-only baseline answers in-process: no request
    requests: int = 0  # distinct requests to send
    prompt_tokens: int = 0
    completion_tokens: int = 0  # estimated
    completion_tokens_max: int | None = 0  # max_tokens per request; None: no limit set
    cost_usd: float | None = None  # with a price table: prompt + estimated completion tokens
    cost_max_usd: float | None = None  # with a price table: prompt tokens + max_tokens per request


class GroupEstimate(Tally):
    prompt: str
    model: str
    prompt_tokens_method: str
    completion_tokens_per_request: float
    completion_tokens_method: str


class DryRun(BaseModel):
    """The estimate of a whole run (the public JSON of `harness run --dry-run --json`)."""

    endpoint: str  # "embedded", "remote" or "rules"
    identity: str
    mode: str
    max_tokens: int | None
    groups: list[GroupEstimate]
    total: Tally
    samples: list[SampleEstimate]
    notes: list[str] = []


def completion_guess(stored: list[int], max_tokens: int | None) -> tuple[float, str]:
    """Completion tokens expected per request and how that was decided: the mean of the stored answers' completion
    tokens, else the default, never above max_tokens."""
    if stored:
        guess, how = fmean(stored), f"mean of {len(stored)} stored answer(s) of this prompt and model"
    else:
        guess, how = float(DEFAULT_COMPLETION_TOKENS), "default (no stored answer of this prompt and model)"
    if max_tokens is not None and guess > max_tokens:
        return float(max_tokens), how + f", capped at max_tokens {max_tokens}"
    return round(guess, 1), how


def priced(tally: Tally, price: Price | None) -> None:
    """Fill the tally's cost from `price`: estimated, and with every request running to max_tokens."""
    if price is None:
        return
    tally.cost_usd = price.cost_usd(tally.prompt_tokens, tally.completion_tokens)
    if tally.completion_tokens_max is not None:
        tally.cost_max_usd = price.cost_usd(tally.prompt_tokens, tally.completion_tokens_max)


def stored_completions(cache: ResponseCache) -> dict[tuple[str, str], list[int]]:
    """Completion tokens of every stored answer in the cache's layers, by (prompt id, model); answers that
    recorded no usage are left out."""
    out: dict[tuple[str, str], list[int]] = {}
    for store in cache.layers:
        for _, entry in store.entries():
            if entry is not None and entry.usage.completion_tokens > 0:
                key = (entry.labels.get("prompt", ""), entry.parts.model)
                out.setdefault(key, []).append(entry.usage.completion_tokens)
    return out


def _answered(samples: list[Sample], rules: bool, hit_layers: dict[str, str]) -> list[SampleEstimate]:
    out, asked = [], set()
    for s in samples:
        layer = hit_layers.get(s.key)
        how: Answered = "rules" if rules else "local" if layer == "local" else "recorded" if layer else "request"
        if how == "request":
            how = "same key" if s.key in asked else how
            asked.add(s.key)
        out.append(SampleEstimate(prompt=s.prompt.id, model=s.model, article_id=s.article.article_id,
                                  repeat=s.repeat, key=s.key, answered_by=how))  # fmt: skip
    return out


def estimate_run(
    samples: list[Sample],
    params: GenParams,
    counter_for: Callable[[str], TokenCounter],
    *,
    rules: bool = False,
    hits: dict[str, CacheEntry] | None = None,
    hit_layers: dict[str, str] | None = None,
    stored: Callable[[], dict[tuple[str, str], list[int]]] = dict,
    prices: dict[str, Price] | None = None,
    endpoint: tuple[str, str] = ("remote", ""),
) -> DryRun:
    """The estimate of a run of `samples`: `hits` the cache entries found by key and `hit_layers` their layer
    ("local" or "recorded"); `counter_for(model)` the token counter of a model; `stored()` the stored completion
    tokens by (prompt id, model), read only when a group has no hit that recorded usage."""
    hits, hit_layers = hits or {}, hit_layers or {}
    rows = _answered(samples, rules, hit_layers)
    sending = {r.key: (s.messages, s.model, s.repeat) for r, s in zip(rows, samples, strict=True)
               if r.answered_by == "request"}  # fmt: skip
    specs = [s.prompt.spec() for r, s in zip(rows, samples, strict=True) if r.answered_by == "request"]
    bodies = dict(zip(sending, request_bodies(params, list(sending.values()), specs), strict=True)) if sending else {}
    counters: dict[str, TokenCounter] = {}
    for r in rows:
        if r.answered_by == "request":  # a sample with the same key as an earlier one is not sent again
            if r.model not in counters:
                counters[r.model] = counter_for(r.model)
            r.prompt_tokens = counters[r.model].count(bodies[r.key])
    groups: dict[tuple[str, str], list[SampleEstimate]] = {}
    for r in rows:
        groups.setdefault((r.prompt, r.model), []).append(r)
    stored_all: dict[tuple[str, str], list[int]] | None = None
    out = []
    for (prompt, model), rs in groups.items():
        seen = [hits[r.key].usage.completion_tokens for r in rs if r.key in hits]
        seen = [n for n in seen if n > 0]
        if not seen and any(r.answered_by == "request" for r in rs):
            stored_all = stored() if stored_all is None else stored_all
            seen = stored_all.get((prompt, model), [])
        per, how = completion_guess(seen, params.max_tokens)
        out.append(_group(prompt, model, rs, per, how, counters.get(model), params.max_tokens,
                          (prices or {}).get(model)))  # fmt: skip
    return DryRun(endpoint=endpoint[0], identity=endpoint[1], mode=params.mode, max_tokens=params.max_tokens,
                  groups=out, total=total(out, priced_run=prices is not None), samples=rows,
                  notes=_notes(out, params, prices))  # fmt: skip


def _notes(groups: list[GroupEstimate], params: GenParams, prices: dict[str, Price] | None) -> list[str]:
    notes = ["cached and recorded answers cost nothing; samples that share a cache key are asked once"]
    if any(g.requests for g in groups):
        notes.append(f"tokens are for one attempt per request: instructor's re-asks (up to --max-retries "
                     f"{params.max_retries}) and transport retries would add to them")  # fmt: skip
    if prices is not None:
        unpriced = sorted({g.model for g in groups if g.requests and g.cost_usd is None})
        notes += [f"no price for model {m!r} in the price table: its cost is left out of the total" for m in unpriced]
    return notes


def _group(prompt: str, model: str, rows: list[SampleEstimate], per: float, how: str, counter: TokenCounter | None,
           max_tokens: int | None, price: Price | None) -> GroupEstimate:  # fmt: skip
    requests = sum(1 for r in rows if r.answered_by == "request")
    g = GroupEstimate(
        prompt=prompt, model=model, samples=len(rows),
        cached_local=sum(1 for r in rows if r.answered_by == "local"),
        cached_recorded=sum(1 for r in rows if r.answered_by == "recorded"),
        by_rules=sum(1 for r in rows if r.answered_by == "rules"), requests=requests,
        prompt_tokens=sum(r.prompt_tokens or 0 for r in rows),
        prompt_tokens_method=counter.method if counter is not None else "nothing to send",
        completion_tokens=round(per * requests), completion_tokens_per_request=per,
        completion_tokens_method=how if requests else "nothing to send",
        completion_tokens_max=None if max_tokens is None else max_tokens * requests,
    )  # fmt: skip
    priced(g, price)
    return g


def total(groups: Iterable[GroupEstimate], priced_run: bool) -> Tally:
    """The groups added up; the cost is the sum over the groups with a price (None when no table was given)."""
    groups = list(groups)
    t = Tally()
    for g in groups:
        for name in ("samples", "cached_local", "cached_recorded", "by_rules", "requests", "prompt_tokens",
                     "completion_tokens"):  # fmt: skip
            setattr(t, name, getattr(t, name) + getattr(g, name))
    maxes = [g.completion_tokens_max for g in groups]
    t.completion_tokens_max = None if any(m is None for m in maxes) else sum(m or 0 for m in maxes)
    if priced_run:
        t.cost_usd = sum(g.cost_usd or 0.0 for g in groups)
        t.cost_max_usd = sum(g.cost_max_usd or 0.0 for g in groups)
    return t
