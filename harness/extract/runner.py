"""Plan the samples of a run (prompt x model x article x repeat), answer them from the cache, request the rest.

Requests run concurrently under a semaphore; each finished answer is written to the cache at once, so an
interrupted run loses nothing it already paid for. A failed sample is a recorded result with no claims, never an
exception.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

import harness
from harness.extract.cache import (
    CacheEntry,
    KeyParts,
    KeyTemplate,
    ResponseCache,
    ResponseStore,
    Usage,
    messages_sha256,
)
from harness.extract.faults import Failure
from harness.extract.params import GenParams, mode_name
from harness.extract.progress import ProgressHooks, watch_slots
from harness.extract.prompts import Prompt, fill
from harness.extract.response import schema_sha256
from harness.files import now_utc
from harness.schema import Article, PredictedClaim

if TYPE_CHECKING:
    from harness.extract.provider import Provider

Source = Literal["request", "local", "recorded", "none"]


@dataclass(frozen=True)
class Sample:
    """One request to make (or find in the cache): which prompt, model, article and repeat, and its cache key."""

    prompt: Prompt
    model: str
    article: Article
    repeat: int
    messages: list[dict[str, str]] = field(repr=False)
    parts: KeyParts
    key: str

    @property
    def label(self) -> str:
        return f"prompt={self.prompt.id} model={self.model} article={self.article.article_id} repeat={self.repeat}"

    def labels(self) -> dict[str, str]:
        return {
            "prompt": self.prompt.id, "prompt_version": self.prompt.version, "prompt_sha256": self.prompt.sha256,
            "article_id": self.article.article_id, "article_sha256": self.article.sha256,
        }  # fmt: skip


class SampleResult(BaseModel):
    """What became of one sample: its claims (none if it failed), where the answer came from, cost and faults."""

    prompt: str
    model: str
    article_id: str
    repeat: int
    key: str
    source: Source
    ok: bool
    claims: list[PredictedClaim] = []
    usage: Usage = Usage()
    latency_s: float = 0.0
    attempts: int = 0
    truncated: bool = False  # cut at max_tokens; the claims completed before the cut
    failure: Failure | None = None


def key_parts(
    endpoint: str,
    model: str,
    messages: list[dict[str, str]],
    params: GenParams,
    repeat: int,
    schema: str | None = None,
    prompt_grammar: bool = False,
) -> KeyParts:
    """The parts of a sample's key; `schema` is the sha256 of the response schema sent (default: the built-in one),
    `prompt_grammar` whether the prompt asks for it as a grammar."""
    return KeyParts(
        endpoint=endpoint, model=model, messages_sha256=messages_sha256(messages), mode=mode_name(params.mode),
        grammar=params.sends_grammar(prompt_grammar), schema_sha256=schema or schema_sha256(),
        temperature=params.temperature,
        seed=params.seed,
        max_tokens=params.max_tokens, repeat=repeat,
    )  # fmt: skip


def make_sample(prompt: Prompt, model: str, article: Article, endpoint: str, params: GenParams, repeat: int) -> Sample:
    messages = fill(prompt, article.text)
    spec = prompt.spec()
    parts = key_parts(endpoint, model, messages, params, repeat, spec.sha256, spec.grammar)
    return Sample(prompt, model, article, repeat, messages, parts, parts.key())


def plan_samples(
    prompts: Iterable[Prompt], models: Iterable[str], articles: Iterable[Article], endpoint: str, params: GenParams,
    repeats: int = 1,
) -> list[Sample]:  # fmt: skip
    """Every prompt x model x article x repeat, in that nesting order: each sample as `make_sample` makes it, the
    keys of one prompt, model and repeat written from one KeyTemplate."""
    arts, models, out = list(articles), list(models), []
    for p in prompts:
        spec = p.spec()
        filled = [fill(p, a.text) for a in arts]
        digests = [messages_sha256(messages) for messages in filled]
        for i, m in enumerate(models):
            templates = [KeyTemplate(key_parts(endpoint, m, [], params, r, spec.sha256, spec.grammar))
                         for r in range(repeats)]  # fmt: skip
            for a, messages, digest in zip(arts, filled, digests, strict=True):
                for r, template in enumerate(templates):
                    parts, key = template.fill(digest)
                    own = messages if i == r == 0 else fill(p, a.text)  # a sample's own list: a re-ask appends to it
                    out.append(Sample(p, m, a, r, own, parts, key))
    return out


def _from_entry(sample: Sample, entry: CacheEntry, source: Source) -> SampleResult:
    spec = sample.prompt.spec()
    answer = spec.validate(entry.answer)
    return SampleResult(
        prompt=sample.prompt.id, model=sample.model, article_id=sample.article.article_id, repeat=sample.repeat,
        key=sample.key, source=source, ok=True, claims=spec.to_predictions(sample.article.article_id, answer),
        usage=entry.usage, latency_s=entry.latency_s, attempts=entry.attempts, truncated=entry.truncated,
    )  # fmt: skip


def cached_results(
    samples: list[Sample], cache: ResponseCache
) -> tuple[dict[str, SampleResult], dict[str, CacheEntry]]:
    """Results for every sample the cache holds (by key), and the entries they came from."""
    results: dict[str, SampleResult] = {}
    entries: dict[str, CacheEntry] = {}
    for s in samples:
        if s.key in results:
            continue
        hit = cache.lookup(s.key)
        if hit is not None:
            results[s.key] = _from_entry(s, hit.entry, "local" if hit.layer == "local" else "recorded")
            entries[s.key] = hit.entry
    return results, entries


@dataclass
class RequestStats:
    requests: int = 0  # samples requested from the endpoint
    attempts: int = 0  # HTTP attempts, retries and re-asks included
    written: int = 0  # cache entries written
    write_errors: list[str] = field(default_factory=list)


class _Writer:
    """Writes cache entries on a few background threads: disk time (fsync) never stalls the event loop, handing an
    entry over costs the loop a queue put rather than a thread-pool round trip, and the threads' fsyncs overlap (the
    file system commits them together), so the answers of the last wave are on disk soon after they land."""

    # Two, not four: each thread takes the interpreter lock between its system calls, and at 100 requests in flight
    # four cost the event loop more than they saved at the end (A/B, 500 entries: request phase 1.10 s against 1.13 s,
    # the last answers on disk 16 ms later).
    THREADS = 2
    # When the requests are over the event loop no longer needs the lock, and what the two threads have not written
    # yet (the last wave's answers: closing took 25-54 ms in one set of runs, 2-11 ms in another) is shared out
    # wider: 100 entries took 29 ms on 2 threads, 23 ms on 8 (medians of 6; the fsyncs overlap).
    DRAIN_THREADS = 6

    def __init__(self, stores: list[ResponseStore], stats: RequestStats):
        self._stores = stores
        self._stats = stats
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[CacheEntry | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, name=f"harness-cache-writer-{i}")
                         for i in range(self.THREADS)]  # fmt: skip
        self._started = False

    def start(self) -> None:
        """Start the threads (once): after the first requests are sent, since starting a thread waits for it to run."""
        if not self._started:
            self._started = True
            for t in self._threads:
                t.start()

    def _run(self) -> None:
        while (entry := self._queue.get()) is not None:
            try:
                for store in self._stores:
                    store.put(entry)
                with self._lock:
                    self._stats.written += 1
            except OSError as exc:  # a full disk loses the cache entry, not the run
                with self._lock:
                    self._stats.write_errors.append(f"{entry.key[:16]}: {exc}")

    def submit(self, entry: CacheEntry) -> None:
        self._queue.put(entry)

    def close(self) -> None:
        """Write everything submitted so far, then stop (also on Ctrl-C: finished answers are kept). Called when no
        request is left in flight; a backlog then gets up to DRAIN_THREADS more threads."""
        self.start()
        for i in range(min(self.DRAIN_THREADS, self._queue.qsize() // 2)):
            self._threads.append(threading.Thread(target=self._run, name=f"harness-cache-drain-{i}"))
            self._threads[-1].start()
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join()


class _Held:
    """The run's concurrency slot as one sample holds it: taking and leaving it tell the progress listener."""

    def __init__(self, slot: asyncio.Semaphore, sample: Sample, flying: list[Sample], hooks: ProgressHooks):
        self._slot, self._sample, self._flying, self._hooks = slot, sample, flying, hooks

    async def __aenter__(self) -> None:
        await self._slot.acquire()
        self._flying.append(self._sample)
        if self._hooks.on_start is not None:
            self._hooks.on_start(self._sample)

    async def __aexit__(self, *exc: object) -> None:
        self._flying.remove(self._sample)
        self._slot.release()
        if self._hooks.on_stop is not None:
            self._hooks.on_stop(self._sample)


async def request_samples(
    samples: list[Sample],
    provider: Provider,
    cache: ResponseCache,
    concurrency: int,
    *,
    record_to: ResponseStore | None = None,
    on_result: Callable[[SampleResult], None] | None = None,
    hooks: ProgressHooks | None = None,
    slots: str | None = None,
) -> tuple[dict[str, SampleResult], RequestStats]:
    """Request every sample (one request per distinct key), writing each answer to the cache as soon as it lands.

    `hooks` hear each request start and stop; with `slots` (an embedded server's `/slots` URL) also its tokens."""
    unique = list({s.key: s for s in samples}.values())
    slot = asyncio.Semaphore(max(1, concurrency))
    flying: list[Sample] = []
    if hooks is not None and hooks.on_plan is not None:
        hooks.on_plan(len(unique))
    stats = RequestStats()
    results: dict[str, SampleResult] = {}
    stores = [s for s in (cache.local, record_to) if s is not None]
    writer = _Writer(stores, stats) if stores else None
    # the hooks the slots report to, only when a listener hears starts, stops or (with `slots`) tokens
    watcher = hooks if hooks is not None and hooks.on_tokens is not None and slots is not None else None
    tracker = hooks if hooks is not None and (hooks.on_start or hooks.on_stop or watcher) else None

    async def one(sample: Sample) -> None:
        held = _Held(slot, sample, flying, tracker) if tracker is not None else slot
        outcome = await provider.request(sample.messages, sample.model, held, sample.repeat, sample.prompt.spec())
        # The slot this answer held is free: the sample waiting for it sends its request first, and this answer's
        # bookkeeping (results, cache entry) runs after, while that request is on the network.
        await asyncio.sleep(0)
        stats.requests += 1
        stats.attempts += outcome.attempts
        base = {
            "prompt": sample.prompt.id,
            "model": sample.model,
            "article_id": sample.article.article_id,
            "repeat": sample.repeat,
            "key": sample.key,
            "source": "request",
            "usage": outcome.usage,
            "latency_s": outcome.latency_s,
            "attempts": outcome.attempts,
        }
        if outcome.answer is None:
            result = SampleResult(**base, ok=False, failure=outcome.failure)
        else:
            claims = sample.prompt.spec().to_predictions(sample.article.article_id, outcome.answer)
            result = SampleResult(**base, ok=True, claims=claims, truncated=outcome.truncated)
            entry = CacheEntry(
                key=sample.key, parts=sample.parts, labels=sample.labels(),
                answer=sample.prompt.spec().dump(outcome.answer),
                usage=outcome.usage, latency_s=round(outcome.latency_s, 4), attempts=outcome.attempts,
                truncated=outcome.truncated, created=now_utc(), harness_version=harness.__version__,
            )  # fmt: skip
            if writer is not None:
                writer.submit(entry)
        results[sample.key] = result
        if on_result is not None:
            on_result(result)

    watch = None
    if watcher is not None and slots is not None:
        watch = asyncio.ensure_future(watch_slots(slots, lambda: list(flying), watcher))
    try:
        # The samples beyond the first `concurrency` only queue for a slot: they are started once the first requests
        # are on their sockets, not before them (at 500 samples and 100 in flight the first requests went out about
        # 8 ms sooner). So are the cache writers and whatever the listener starts meanwhile (hooks.on_sent): at 100
        # in flight, rich imported in a thread while the first requests were being sent delayed them by 20-60 ms.
        tasks = [asyncio.ensure_future(one(s)) for s in unique[:concurrency]]
        try:
            await _first_written(provider, list(tasks))
            if writer is not None:
                writer.start()
            if hooks is not None and hooks.on_sent is not None:
                hooks.on_sent()
            tasks += [asyncio.ensure_future(one(s)) for s in unique[concurrency:]]
            await asyncio.gather(*tasks)
        except BaseException:  # cancelled (Ctrl-C), or a sample raised: none goes on to hand the writer an answer
            for t in tasks:
                t.cancel()
            raise
    finally:
        if watch is not None:
            watch.cancel()
        if writer is not None:
            writer.close()
    return results, stats


async def _first_written(provider: Provider, first: list[asyncio.Future[None]]) -> None:
    """Return once each of the first requests is written to its socket, or sooner if one of them has ended (a
    request that failed before it was written, or one waiting for a file descriptor another must free)."""
    written = asyncio.ensure_future(provider.written(len(first)))
    try:
        await asyncio.wait([written, *first], return_when=asyncio.FIRST_COMPLETED)
    finally:
        written.cancel()


def record_entries(entries: Iterable[CacheEntry], store: ResponseStore) -> int:
    """Copy entries (answers found in the cache) into a recording store; returns how many were new there."""
    n = 0
    for entry in entries:
        if store.get(entry.key) is None:
            store.put(entry)
            n += 1
    return n


def answer_by_rules(samples: list[Sample], on_result: Callable[[SampleResult], None] | None) -> dict[str, SampleResult]:
    """The `baseline` model's answers, from the rules in-process: no request, no server, nothing cached."""
    from harness.extract.baseline import extract_claims

    out: dict[str, SampleResult] = {}
    for s in samples:
        if s.key in out:
            continue
        t0 = time.perf_counter()
        claims = extract_claims(s.article.article_id, s.article.text)
        out[s.key] = SampleResult(
            prompt=s.prompt.id, model=s.model, article_id=s.article.article_id, repeat=s.repeat, key=s.key,
            source="none", ok=True, claims=claims, latency_s=round(time.perf_counter() - t0, 4), attempts=0,
        )  # fmt: skip
        if on_result is not None:
            on_result(out[s.key])
    return out
