"""`harness run --dry-run`: what a run would ask and cost, from the run's own plan and cache lookup
(`pipeline.plan_run`), estimated by harness.extract.estimate. Nothing is sent, written or served: no server starts.
"""

from __future__ import annotations

from harness.extract.estimate import DryRun, estimate_run, stored_completions
from harness.extract.runner import cached_results
from harness.extract.tokens import TokenCounter, embedded_counter, tiktoken_counter
from harness.pipeline import RunConfig, open_cache, plan_run
from harness.prices import Price


def dry_run(cfg: RunConfig, prices: dict[str, Price] | None = None) -> DryRun:
    """The estimate of `execute_run(cfg)`: the same samples and cache lookup; prompt tokens counted by the embedded
    model's tokenizer for the embedded model, else by tiktoken or characters/4 (see harness.extract.tokens)."""
    plan = plan_run(cfg)
    ep, cfg = plan.endpoint, plan.cfg
    cache = open_cache(cfg)
    found, entries = cached_results([] if ep.rules else plan.samples, cache)
    embedded = ep.kind == "local" and not ep.rules
    local: TokenCounter | None = None

    def counter_for(model: str) -> TokenCounter:
        nonlocal local
        if not embedded:
            return tiktoken_counter(model)
        local = local or embedded_counter(ep.model_file)  # loaded once, and only when a request is left
        return local

    estimate = estimate_run(
        plan.samples, cfg.generation, counter_for, rules=ep.rules, hits=entries,
        hit_layers={k: r.source for k, r in found.items()}, stored=lambda: stored_completions(cache), prices=prices,
        endpoint=("rules" if ep.rules else "embedded" if embedded else "remote", ep.identity),
    )  # fmt: skip
    if cfg.batch is not None:  # what `--batch` would submit, or the stored batch it would resume
        from harness.extract.batch_api import batch_note

        sending = [s for s, e in zip(plan.samples, estimate.samples, strict=True) if e.answered_by == "request"]
        estimate.notes.append(batch_note(sending, cfg.generation, cache))
    if cfg.offline and estimate.total.requests:
        estimate.notes.append(f"--offline: a real run would stop (exit 2): {estimate.total.requests} request(s) are "
                              "not cached")  # fmt: skip
    return estimate
