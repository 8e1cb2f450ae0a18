"""One evaluation run end to end: load articles, gold and prompts, answer every sample (cache first, then the
endpoint), score each prompt x model against the gold, and write the run record.

With no endpoint configured the embedded local model is used; its server is started only if some sample is not
in the cache, and stopped afterwards whatever happens. With no endpoint, `--model baseline` is answered in-process
by the rules of harness.extract.baseline: no server, no request, nothing cached.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from harness.corpus import gold_source_problem, load_article_source, load_gold, load_second_annotation
from harness.errors import InputError
from harness.extract.cache import DEFAULT_CACHE_DIR, DEFAULT_RECORDED_DIR, ResponseCache, ResponseStore
from harness.extract.params import BatchConfig
from harness.extract.progress import ProgressHooks, slots_url
from harness.extract.prompts import DEFAULT_PROMPT, Prompt, resolve_prompts
from harness.extract.provider import GenParams, local_identity, remote_identity
from harness.extract.runner import (
    RequestStats,
    Sample,
    SampleResult,
    answer_by_rules,
    cached_results,
    plan_samples,
    record_entries,
    request_samples,
)
from harness.extract.shard import Shard, ShardRef, take
from harness.files import unwritable_dir, utc_now
from harness.preload import preload
from harness.run_scores import ScoreMemo, human_ceiling_of, score_results
from harness.schema import Article, GoldArticle

AFTER_REQUESTS = ["harness.records"]  # what a run needs once its answers are in, and with gold to score them:
SCORING = ["harness.score.evaluate", "scipy.optimize", "scipy.sparse", "scipy.special"]

if TYPE_CHECKING:
    from harness import records as rec
    from harness.extract.local_model_server import LocalServer
    from harness.extract.preconnect import Preconnect


class RunConfig(BaseModel):
    """Everything `harness run` can be told; the API key is excluded from every dump. Values out of range (no
    requests in flight, a failure rate above 1, NaN anywhere) are refused where the config is made or changed."""

    model_config = ConfigDict(validate_assignment=True, allow_inf_nan=False)

    prompts: list[str] = [DEFAULT_PROMPT]
    models: list[str] = []
    articles: Path | None = None  # another set of articles; then gold is used only if given explicitly
    only: list[str] = []  # run these article ids only
    seeds: Path = Path("seeds")
    gold: Path | None = None  # default: gold/ when the articles are the seeds
    prompts_dir: Path = Path("prompts")
    base_url: str | None = None  # default: $OPENAI_BASE_URL; neither -> the embedded local model
    api_key: SecretStr | None = Field(default=None, exclude=True)  # default: $OPENAI_API_KEY
    endpoint_id: str | None = None  # override the endpoint's cache identity
    model_file: Path | None = None  # another GGUF for the embedded model
    generation: GenParams = GenParams()
    concurrency: int | None = Field(None, ge=1)  # default: 1 for the embedded model (one slot), 8 otherwise
    repeats: int = Field(1, ge=1)
    offline: bool = False
    cache_dir: Path | None = DEFAULT_CACHE_DIR  # None: no local cache
    recorded: list[Path] = [DEFAULT_RECORDED_DIR]
    record_to: Path | None = None
    out_dir: Path = Path("reports/runs")
    max_failure_rate: float = Field(0.5, ge=0.0, le=1.0)
    n_boot: int = Field(1000, ge=1)
    score_seed: int = Field(0, ge=0)  # numpy's generators take no negative seed
    n_threads: int = Field(2, ge=1)
    n_ctx: int = Field(8192, ge=1)
    shard: Shard | None = None  # this run's part of a split over machines (`--shard I/N`, harness.extract.shard)
    batch: BatchConfig | None = None  # `--batch`: one Batch API job for the missing samples (extract/batch_api.py)


@dataclass
class Endpoint:
    kind: str  # "local" | "remote"
    identity: str
    models: list[str]
    base_url: str | None = None
    api_key: str | None = None
    model_file: Path | None = None
    rules: bool = False  # the `baseline` model: answered in-process by harness.extract.baseline


BASELINE = "baseline"  # with no endpoint configured, `--model baseline` is the rules-only reader, not a model


@dataclass
class RunResult:
    record: rec.RunRecord
    path: Path
    exit_code: int


REMOTE_CONCURRENCY = 8  # requests in flight at an endpoint unless --concurrency says (the embedded model: 1)


def endpoint_url(cfg: RunConfig) -> str | None:
    """The endpoint's base URL: --base-url, then OPENAI_BASE_URL; None means the embedded model."""
    return cfg.base_url or os.environ.get("OPENAI_BASE_URL") or None


def resolve_endpoint(cfg: RunConfig) -> Endpoint:
    """Flags first, then OPENAI_BASE_URL / OPENAI_API_KEY; no base URL at all means the embedded model."""
    base_url = endpoint_url(cfg)
    api_key = cfg.api_key.get_secret_value() if cfg.api_key else os.environ.get("OPENAI_API_KEY")
    if base_url:
        if not cfg.models:
            raise InputError("--model is required with an endpoint (OPENAI_BASE_URL or --base-url)")
        return Endpoint("remote", cfg.endpoint_id or remote_identity(base_url), list(cfg.models), base_url, api_key)
    if cfg.models == [BASELINE]:
        return Endpoint("local", BASELINE, [BASELINE], rules=True)
    from harness.extract.local_model import DEFAULT_ALIAS, QWEN_PIN, is_verified, resolve_model_file

    if len(cfg.models) > 1:
        raise InputError("the embedded model serves one model; pass at most one --model (its alias)")
    explicit = cfg.model_file or (
        Path(os.environ["HARNESS_MODEL_FILE"]) if os.environ.get("HARNESS_MODEL_FILE") else None
    )
    model_file = resolve_model_file(explicit) if explicit else None
    verified = model_file is not None and is_verified(model_file)
    identity = cfg.endpoint_id or local_identity(model_file, QWEN_PIN.sha256, verified)
    return Endpoint("local", identity, list(cfg.models) or [DEFAULT_ALIAS], model_file=model_file)


def _checked(cfg: RunConfig) -> RunConfig:
    """The config validated again (it may have been built with model_construct or changed field by field)."""
    try:
        return RunConfig.model_validate({**dict(cfg), "generation": dict(cfg.generation)})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"{'.'.join(str(p) for p in err['loc'])} {err.get('input')!r}: {err['msg']}") from None


def _check_output_places(cfg: RunConfig, writes_cache: bool) -> None:
    """Every folder the run will write is checked before the first request: a run that cannot keep what it pays
    for is refused up front, not after."""
    places = [("--out", cfg.out_dir), ("--record-to", cfg.record_to)]
    if writes_cache:
        places.append(("--cache-dir", cfg.cache_dir))
    for option, place in places:
        why = unwritable_dir(place) if place is not None else None
        if why:
            raise InputError(f"{option}: {why}", str(place))


def _load_gold(cfg: RunConfig, articles: dict[str, Article]) -> tuple[dict[str, GoldArticle], Path | None]:
    folder = cfg.gold if cfg.gold is not None else (Path("gold") if cfg.articles is None else None)
    if folder is None:
        return {}, None
    if cfg.gold is None and not folder.is_dir():
        return {}, None
    if cfg.gold is not None and (why := gold_source_problem(folder)):  # named on purpose: it must hold gold
        raise InputError(why, str(folder))
    return load_gold(folder, articles), folder


def _request_missing(cfg: RunConfig, ep: Endpoint, missing: list[Sample], cache: ResponseCache,
                     record_to: ResponseStore | None, on_result: Callable[[SampleResult], None] | None,
                     local_server: LocalServer | None = None, hooks: ProgressHooks | None = None,
                     warm: Preconnect | None = None) -> tuple[dict[str, SampleResult], RequestStats]:  # fmt: skip
    if cfg.batch is not None:  # instead of live requests: one Batch API job, waited for (or resumed)
        from harness.extract.batch_api import request_batch

        return request_batch(cfg.batch, cfg.generation, ep, missing, cache, record_to, on_result)
    from harness.extract.provider import Provider

    async def go(base_url: str, api_key: str | None, concurrency: int) -> tuple[dict[str, SampleResult], RequestStats]:
        provider = Provider(base_url, api_key, cfg.generation, preconnect=warm if ep.kind == "remote" else None)
        try:
            slots = slots_url(base_url) if ep.kind == "local" else None  # the embedded server's progress route
            return await request_samples(missing, provider, cache, concurrency, record_to=record_to,
                                         on_result=on_result, hooks=hooks, slots=slots)  # fmt: skip
        finally:
            await provider.aclose()

    if ep.kind == "remote":
        assert ep.base_url is not None
        return asyncio.run(go(ep.base_url, ep.api_key, cfg.concurrency or REMOTE_CONCURRENCY))
    if local_server is not None:  # kept up by the caller across runs: used as it is, left running
        return asyncio.run(go(local_server.base_url, "local", cfg.concurrency or 1))
    from harness.extract.local_model import resolve_model_file, serve

    model_file = ep.model_file or resolve_model_file(None)
    with serve(model_file, alias=ep.models[0], n_ctx=cfg.n_ctx, n_threads=cfg.n_threads) as server:
        return asyncio.run(go(server.base_url, "local", cfg.concurrency or 1))


def _labelled(result: SampleResult, sample: Sample) -> SampleResult:
    """The result under this sample's own labels: two samples can share a key (one prompt under two ids, two
    articles with the same text), and the answer of the first must not carry its ids into the second."""
    aid = sample.article.article_id
    if (result.prompt, result.model, result.article_id, result.repeat) == (
        sample.prompt.id, sample.model, aid, sample.repeat,
    ) and all(c.article_id == aid for c in result.claims):  # fmt: skip
        return result
    claims = [c if c.article_id == aid else c.model_copy(update={"article_id": aid}) for c in result.claims]
    return result.model_copy(update={"prompt": sample.prompt.id, "model": sample.model, "article_id": aid,
                                     "repeat": sample.repeat, "claims": claims})  # fmt: skip


class RunPlan(NamedTuple):
    """A run decided and not yet asked: its articles (`--article`, `--shard` applied), gold, prompts, endpoint and
    samples; `cfg` carries the endpoint's generation defaults. `execute_run` and `dry_run` both start from it."""

    cfg: RunConfig
    articles: dict[str, Article]
    gold: dict[str, GoldArticle]
    gold_dir: Path | None
    shard: ShardRef | None
    prompts: list[Prompt]
    endpoint: Endpoint
    samples: list[Sample]


def plan_run(cfg: RunConfig) -> RunPlan:
    """Load and check what the run reads, resolve the endpoint and plan the samples: nothing is asked or written."""
    cfg = _checked(cfg)
    articles = load_article_source(cfg.articles or cfg.seeds)
    if not articles:
        raise InputError("no articles found", str(cfg.articles or cfg.seeds))
    gold, gold_dir = _load_gold(cfg, articles)
    if cfg.only:
        unknown = [a for a in cfg.only if a not in articles]
        if unknown:
            raise InputError(f"unknown article id(s): {', '.join(unknown)}", str(cfg.articles or cfg.seeds))
        articles = {a: articles[a] for a in cfg.only}
    shard = None
    if cfg.shard is not None:
        articles, shard = take(cfg.shard, articles)
    prompts = resolve_prompts(cfg.prompts, cfg.prompts_dir)
    ep = resolve_endpoint(cfg)
    cfg = cfg.model_copy(update={"generation": cfg.generation.with_defaults(local=ep.kind == "local")})
    samples = plan_samples(prompts, ep.models, articles.values(), ep.identity, cfg.generation, cfg.repeats)
    return RunPlan(cfg, articles, gold, gold_dir, shard, prompts, ep, samples)


def open_cache(cfg: RunConfig) -> ResponseCache:
    """The run's cache layers: the local store, then the recorded folders that exist."""
    return ResponseCache.open(cfg.cache_dir, [d for d in cfg.recorded if Path(d).is_dir()])


def _also_on_sent(hooks: ProgressHooks | None, then: Callable[[], None]) -> ProgressHooks:
    """`hooks` (or none) with `then` also run when the first requests are on their sockets (ProgressHooks.on_sent)."""
    hooks = hooks or ProgressHooks()
    theirs = hooks.on_sent

    def on_sent() -> None:
        then()
        if theirs is not None:
            theirs()

    return replace(hooks, on_sent=on_sent)


def _meanwhile(begun: list[Future[rec.Provenance]], gold: bool) -> None:
    """Started once the first requests are on their sockets: what the run's end imports (harness.preload), and its
    provenance (two git commands and the package versions) in a thread while the requests wait on the network."""
    preload(AFTER_REQUESTS + (SCORING if gold else []))

    def work() -> rec.Provenance:
        from harness.records.run import provenance

        return provenance()

    pool = ThreadPoolExecutor(1, thread_name_prefix="harness-provenance")
    begun.append(pool.submit(work))  # a failure is raised where the record is built, as it would have been there
    pool.shutdown(wait=False)


def execute_run(
    cfg: RunConfig,
    on_result: Callable[[SampleResult], None] | None = None,
    local_server: LocalServer | None = None,
    hooks: ProgressHooks | None = None,
) -> RunResult:
    """Run, score and record; returns the record, where it was written and the exit code (0 ok, 1 too many failures).

    `local_server`: an embedded-model server the caller keeps running (a notebook, a test session) to answer the
    run's missing samples instead of starting one; it must serve the weights the run's endpoint identity names.
    `hooks`: requests starting and stopping, the embedded answer's tokens so far (harness.extract.progress)."""
    warm = _preconnect(cfg, local_server)
    try:
        return _execute(cfg, on_result, local_server, hooks, warm)
    finally:
        if warm is not None:
            warm.close()


def _preconnect(cfg: RunConfig, local_server: LocalServer | None) -> Preconnect | None:
    """Connections to an endpoint opened while the run plans (harness.extract.preconnect); none under --offline,
    for a batch job, or for the embedded model (its server starts later)."""
    url = endpoint_url(cfg)
    if url is None or cfg.offline or cfg.batch is not None or local_server is not None:
        return None
    from harness.extract.preconnect import Preconnect
    from harness.extract.provider import fd_in_flight

    return Preconnect(url, min(cfg.concurrency or REMOTE_CONCURRENCY, fd_in_flight()))


def _execute(cfg: RunConfig, on_result: Callable[[SampleResult], None] | None, local_server: LocalServer | None,
             hooks: ProgressHooks | None, warm: Preconnect | None) -> RunResult:  # fmt: skip
    started = utc_now()
    t0 = time.perf_counter()
    cfg, articles, gold, gold_dir, shard, prompts, ep, samples = plan_run(cfg)
    second, second_dir = load_second_annotation(gold_dir, articles) if gold and gold_dir else ({}, None)
    _check_output_places(cfg, writes_cache=not (cfg.offline or ep.rules))
    by_rules = answer_by_rules(samples, on_result) if ep.rules else {}
    asked = [s for s in samples if s.key not in by_rules]  # the samples a model answers (cache, then endpoint)

    cache = open_cache(cfg)
    record_store = ResponseStore(cfg.record_to, "record-to") if cfg.record_to else None
    found, entries = cached_results(asked, cache)
    missing = [s for s in asked if s.key not in found]
    if warm is not None:  # one connection per request at most; none when everything was in the cache
        warm.limit(min(len({s.key for s in missing}), cfg.concurrency or REMOTE_CONCURRENCY))
    if missing and cfg.offline:
        first = missing[0]
        raise InputError(
            f"--offline: no cached answer for {first.label} (key {first.key[:16]}); {len(missing)} of {len(samples)} "
            f"samples are not cached (see `harness cache explain`)"
        )
    requested: dict[str, SampleResult] = {}
    stats = RequestStats()
    provenance: Future[rec.Provenance] | None = None
    if missing:
        if local_server is not None and ep.kind != "local":
            raise InputError("a running embedded server was given, but the run is configured for an endpoint")
        begun: list[Future[rec.Provenance]] = []
        meanwhile = partial(_meanwhile, begun, bool(gold))
        if cfg.batch is not None:  # a batch job sends no requests of its own: started now, as before
            meanwhile()
        requested, stats = _request_missing(cfg, ep, missing, cache, record_store, on_result, local_server,
                                            hooks if cfg.batch else _also_on_sent(hooks, meanwhile), warm)  # fmt: skip
        provenance = begun[0] if begun else None
    if record_store is not None:
        record_entries(entries.values(), record_store)

    from harness import records as rec
    from harness.records.run import gold_ref

    results = [_labelled(by_rules.get(s.key) or found.get(s.key) or requested[s.key], s) for s in samples]
    memo = ScoreMemo(Path(cfg.cache_dir) / "scores" if cfg.cache_dir else None, keep=not (cfg.offline or ep.rules))
    scores, notes = score_results(gold, articles, results, seed=cfg.score_seed, n_boot=cfg.n_boot, memo=memo)
    ceiling = human_ceiling_of(gold, second, second_dir, articles, results, seed=cfg.score_seed, n_boot=cfg.n_boot,
                               memo=memo)  # fmt: skip
    summary = rec.Summary.of(results, cfg.max_failure_rate, len(stats.write_errors))
    exit_code = summary.exit_code
    fingerprint = "|".join(
        [ep.identity, *ep.models, *(p.sha256 for p in prompts), *(a.sha256 for a in articles.values())]
    )
    record = rec.RunRecord(
        run_id=rec.make_run_id(started, fingerprint), started=started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        provenance=provenance.result() if provenance is not None else rec.provenance(),
        endpoint=rec.EndpointInfo(kind=ep.kind, identity=ep.identity,
                                  model_file=ep.model_file.name if ep.model_file else None),
        models=ep.models, prompts=[rec.PromptRef(**p.ref()) for p in prompts],
        articles=rec.DataRef(source=Path(cfg.articles or cfg.seeds).as_posix(),
                             sha256={a.article_id: a.sha256 for a in articles.values()}),
        gold=gold_ref(gold_dir, gold) if gold_dir else None,
        parameters=rec.RunParameters(
            generation=cfg.generation, repeats=cfg.repeats,
            concurrency=cfg.concurrency or (1 if ep.kind == "local" else REMOTE_CONCURRENCY), offline=cfg.offline,
            max_failure_rate=cfg.max_failure_rate, n_boot=cfg.n_boot, score_seed=cfg.score_seed),
        cache=rec.CacheCounts(
            hits_local=sum(1 for r in found.values() if r.source == "local"),
            hits_recorded=sum(1 for r in found.values() if r.source == "recorded"),
            misses=len({s.key for s in missing}), requests=stats.requests, attempts=stats.attempts,
            written=stats.written),
        summary=summary, samples=results, scores=scores, shard=shard, ceiling=ceiling,
        notes=([shard.note(len(articles))] if shard else []) + notes
        + ([] if gold else ["no gold for these articles: extraction only, no scores"])
        + [f"cache entry not written: {e}" for e in stats.write_errors]
        + [p for store in cache.layers for p in store.problems],
    )  # fmt: skip
    record.finished = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    record.duration_s = round(time.perf_counter() - t0, 3)
    try:
        path = rec.write_run(record, cfg.out_dir)
    except OSError as exc:  # the folder was checked up front; a full disk or a changed permission is still possible
        where = exc.filename if exc.filename is not None else Path(cfg.out_dir) / record.run_id
        kept = "the answers requested are in the cache" if stats.written else "nothing was requested"
        raise InputError(f"cannot write the run record: {exc.strerror or exc} ({kept})", str(where)) from None
    return RunResult(record, path, exit_code)
