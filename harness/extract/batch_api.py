"""`harness run --batch`: a run's missing samples sent as one OpenAI Batch API job, waited for, and read back into
the cache under the keys a live run would use.

The input file is uploaded (`files.create(purpose="batch")`), the batch created on `/v1/chat/completions` with the
24 h window, and its id kept in the cache folder under the input's sha256 before the first poll: a run stopped while
it waits (Ctrl-C, a CI limit, `--batch-wait`) is resumed by the same command, which finds the same input and polls
the same batch instead of paying twice. Polling backs off (tenacity) from `poll_first` doubling up to `poll_max`.
Answers land in the cache as each live answer would; failures are per sample, never retried live.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import harness
from harness.errors import InputError
from harness.extract.batch import (
    STATE_DIR,
    TERMINAL,
    BatchState,
    StateStore,
    failure_for_missing,
    input_file,
    input_lines,
    jsonl,
    read_outcomes,
)  # fmt: skip
from harness.extract.cache import CacheEntry, ResponseCache, ResponseStore
from harness.extract.faults import server_text
from harness.extract.params import BatchConfig, GenParams
from harness.extract.retry import Outcome
from harness.extract.runner import RequestStats, Sample, SampleResult
from harness.files import now_utc

if TYPE_CHECKING:
    import openai
    from openai.types import Batch

_log = logging.getLogger("harness.batch")
MAX_REQUESTS = 50_000  # the Batch API's limits on one input file
MAX_INPUT_BYTES = 200 * 1024 * 1024


class Endpoint(Protocol):
    """What a batch needs of the run's endpoint (the pipeline's Endpoint has these)."""

    kind: str
    base_url: str | None
    api_key: str | None
    rules: bool


def refusal(ep: Endpoint) -> str | None:
    """Why `--batch` cannot go with this endpoint: the Batch API is an endpoint's, not the embedded model's."""
    if ep.rules:
        return "--batch goes with an endpoint (--base-url or OPENAI_BASE_URL), not the rules-only baseline"
    if ep.kind != "remote" or not ep.base_url:
        return "--batch goes with an endpoint's Batch API (--base-url or OPENAI_BASE_URL), not the embedded model"
    return None


class BatchPending(InputError):
    """The wait ended (`--batch-wait`) before the batch did; the same command resumes it."""


def state_store(cache: ResponseCache) -> StateStore:
    if cache.local is None:
        raise InputError("--batch keeps its answers and its batch id in the local cache: not with --no-cache")
    return StateStore(cache.local.root / STATE_DIR)


def _client(base_url: str, api_key: str | None, params: GenParams) -> openai.OpenAI:
    import openai

    return openai.OpenAI(base_url=base_url, api_key=api_key or "unused", timeout=params.timeout or 300.0,
                         max_retries=max(0, params.max_attempts - 1))  # fmt: skip


def _submit(client: openai.OpenAI, store: StateStore, data: bytes, sha: str, keys: list[str]) -> BatchState:
    uploaded = client.files.create(file=(f"harness-{sha[:16]}.jsonl", data), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h",
                                  metadata={"harness_input_sha256": sha})  # fmt: skip
    state = store.new(sha, batch.id, uploaded.id, keys)
    _log.info("batch %s submitted: %d request(s), input file %s (state: %s)", batch.id, len(keys), uploaded.id,
              store.path(sha))  # fmt: skip
    return state


def _counts(batch: Batch) -> str:
    c = batch.request_counts
    return f"{c.completed}/{c.total} done, {c.failed} failed" if c is not None else "no counts yet"


def poll(client: openai.OpenAI, batch_id: str, cfg: BatchConfig) -> Batch:
    """The batch once it ends, or as it stands when `cfg.wait` seconds have passed; the interval starts at
    `poll_first` and doubles up to `poll_max`."""
    from tenacity import Retrying, retry_if_result, stop_after_delay, stop_never, wait_exponential

    first = min(cfg.poll_first, cfg.poll_max)

    def said(state: Any) -> None:
        batch = state.outcome.result() if state.outcome is not None else None
        if batch is None:
            return
        _log.info("batch %s %s (%s); next look in %.3g s", batch.id, batch.status, _counts(batch),
                  state.upcoming_sleep)  # fmt: skip

    retrying = Retrying(
        wait=wait_exponential(multiplier=first, min=first, max=cfg.poll_max),
        retry=retry_if_result(lambda b: b.status not in TERMINAL),
        stop=stop_after_delay(cfg.wait) if cfg.wait is not None else stop_never,
        before_sleep=said, sleep=time.sleep, retry_error_callback=_last,
    )  # fmt: skip
    return retrying(client.batches.retrieve, batch_id)


def _last(state: Any) -> Any:
    """The batch as the last look saw it, when the wait limit stops the polling."""
    return state.outcome.result()


def _download(client: openai.OpenAI, file_id: str | None) -> bytes:
    return client.files.content(file_id).content if file_id else b""


def _errors(batch: Batch) -> str:
    errs = batch.errors.data if batch.errors is not None and batch.errors.data else []
    return "; ".join(f"{e.code}: {e.message}" for e in errs[:3])


def request_batch(
    cfg: BatchConfig,
    params: GenParams,
    ep: Endpoint,
    missing: list[Sample],
    cache: ResponseCache,
    record_to: ResponseStore | None = None,
    on_result: Callable[[SampleResult], None] | None = None,
) -> tuple[dict[str, SampleResult], RequestStats]:
    """Answer `missing` through one batch at `ep` (a stored one with the same input resumed), writing each answer
    to the cache under its key. Raises BatchPending when the wait limit passes before the batch ends."""
    import openai

    if (why := refusal(ep)) is not None:
        raise InputError(why)
    store = state_store(cache)
    unique = {s.key: s for s in missing}
    data, sha = input_file(input_lines(unique.values(), params))
    if len(unique) > MAX_REQUESTS or len(data) > MAX_INPUT_BYTES:
        raise InputError(f"--batch: {len(unique)} requests, {len(data):,} bytes: past the Batch API's {MAX_REQUESTS} "
                         f"requests or {MAX_INPUT_BYTES:,} bytes a batch; split the run with --shard I/N")  # fmt: skip
    base_url, api_key = str(ep.base_url), ep.api_key
    secrets = [api_key] if api_key else []
    client = _client(base_url, api_key, params)
    try:
        state = store.get(sha)
        if state is None or state.reported:  # a batch whose outcome a run recorded is not read twice
            state = _submit(client, store, data, sha, list(unique))
        else:
            _log.info("batch %s resumed (submitted %s, state: %s)", state.batch_id, state.created, store.path(sha))
        batch = poll(client, state.batch_id, cfg)
        state = state.model_copy(update={"status": batch.status})
        store.put(state)
        if batch.status not in TERMINAL:
            raise BatchPending(f"batch {batch.id} is still {batch.status} ({_counts(batch)}) after the --batch-wait "
                               f"of {cfg.wait:g} s: run the same command again to resume it (nothing is resubmitted)",
                               str(store.path(sha)))  # fmt: skip
        lines = jsonl(_download(client, batch.output_file_id)) + jsonl(_download(client, batch.error_file_id))
    except openai.APIError as exc:
        msg = server_text(f"{type(exc).__name__}: {exc}", secrets)
        raise InputError(f"the Batch API failed ({msg}); a submitted batch is resumed by the same command") from None
    finally:
        client.close()
    outcomes = read_outcomes(lines, unique, params, secrets)
    results, stats = _store(unique, outcomes, batch, cache, record_to, on_result)
    store.put(state.model_copy(update={"reported": True}))
    _log.info("batch %s %s: %d answer(s) cached, %d failed", batch.id, batch.status, stats.written,
              sum(1 for r in results.values() if not r.ok))  # fmt: skip
    return results, stats


def _store(unique: dict[str, Sample], outcomes: dict[str, Outcome], batch: Batch, cache: ResponseCache,
           record_to: ResponseStore | None, on_result: Callable[[SampleResult], None] | None,
           ) -> tuple[dict[str, SampleResult], RequestStats]:  # fmt: skip
    """Every sample's result: answers written to the cache (and `record_to`) as the live runner writes them."""
    stats = RequestStats(requests=len(unique), attempts=len(outcomes))
    results: dict[str, SampleResult] = {}
    errors = _errors(batch)
    for key, sample in unique.items():
        outcome = outcomes.get(key)
        base: dict[str, Any] = {"prompt": sample.prompt.id, "model": sample.model, "repeat": sample.repeat,
                                "article_id": sample.article.article_id, "key": key, "source": "request"}  # fmt: skip
        if outcome is None:
            results[key] = SampleResult(**base, ok=False, failure=failure_for_missing(batch.status, errors))
        elif outcome.answer is None:
            results[key] = SampleResult(**base, ok=False, usage=outcome.usage, attempts=1, failure=outcome.failure)
        else:
            spec = sample.prompt.spec()
            claims = spec.to_predictions(sample.article.article_id, outcome.answer)
            results[key] = SampleResult(**base, ok=True, claims=claims, usage=outcome.usage, attempts=1,
                                        truncated=outcome.truncated)  # fmt: skip
            entry = CacheEntry(
                key=key, parts=sample.parts, labels={**sample.labels(), "batch_id": batch.id},
                answer=spec.dump(outcome.answer), usage=outcome.usage, latency_s=0.0, attempts=1,
                truncated=outcome.truncated, created=now_utc(), harness_version=harness.__version__,
            )  # fmt: skip
            for target in (s for s in (cache.local, record_to) if s is not None):
                try:
                    target.put(entry)
                except OSError as exc:  # a full disk loses the cache entry, not the run
                    stats.write_errors.append(f"{key[:16]}: {exc}")
                    break
            else:
                stats.written += 1
        if on_result is not None:
            on_result(results[key])
    return results, stats


def batch_note(sending: list[Sample], params: GenParams, cache: ResponseCache) -> str:
    """What `--batch` would submit (`--dry-run`): the requests, the input file's size and sha256, or the stored
    batch with the same input that a run would resume instead."""
    if not sending:
        return "--batch: nothing to submit (every sample is answered already)"
    unique = {s.key: s for s in sending}
    data, sha = input_file(input_lines(unique.values(), params))
    state = state_store(cache).get(sha)
    if state is not None and not state.reported:
        return (f"--batch: batch {state.batch_id} (submitted {state.created}, {state.status} at the last look) has "
                f"exactly these {len(unique)} request(s): a run would resume polling it, not submit again")  # fmt: skip
    return (f"--batch: {len(unique)} request(s) would be submitted as one Batch API job on /v1/chat/completions "
            f"(input file {len(data):,} bytes, sha256 {sha[:16]}, custom_id = each sample's cache key; 24 h window, "
            "no re-asks; the Batch API bills about half the listed price)")  # fmt: skip
