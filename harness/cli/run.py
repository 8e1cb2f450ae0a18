"""`harness run`: prompts x models x articles in one command — extract (cache first), score, record, print."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from harness.cli._common import ARTICLES_HELP, GOLD_HELP, option_error, printing_guarded, run_guarded
from harness.cli.batch import BATCH_HELP, POLL_MAX_HELP, WAIT_HELP, batch_config, checked_by, show_progress
from harness.errors import InputError
from harness.extract.cache import DEFAULT_CACHE_DIR, DEFAULT_RECORDED_DIR
from harness.extract.prompts import DEFAULT_PROMPT

if TYPE_CHECKING:
    from rich.table import Table

# Options shared with `harness cache explain` (the same flags name the same cache key).
PROMPT = typer.Option(
    None, "--prompt", help=f"Prompt id in --prompts-dir or a YAML path; repeatable. (default: {DEFAULT_PROMPT})"
)
MODEL = typer.Option(
    None,
    "--model",
    help="Model name; repeatable. Required with an endpoint; the embedded model's alias otherwise. `baseline` with no "
    "endpoint: the built-in rules-only reader (no model, no request); at an endpoint it is an ordinary model name.",
)
ARTICLES = typer.Option(
    None,
    "--articles",
    help="Other articles: " + ARTICLES_HELP,
)
SEEDS = typer.Option(Path("seeds"), "--seeds", help="Folder of the articles (<article_id>.txt).")
PROMPTS_DIR = typer.Option(Path("prompts"), "--prompts-dir", help="Folder of prompt YAML files.")
BASE_URL = typer.Option(
    None, "--base-url", help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL; none: the embedded model)."
)
ENDPOINT_ID = typer.Option(
    None, "--endpoint-id", help="Name the endpoint in cache keys yourself (e.g. a server whose port changes)."
)
MODEL_FILE = typer.Option(
    None,
    "--model-file",
    help="Another GGUF file for the embedded model (default: $HARNESS_MODEL_FILE or the pinned one).",
)
TEMPERATURE = typer.Option(0.0, "--temperature")
SEED = typer.Option(0, "--seed", help="Sampling seed sent to the endpoint.")
MAX_TOKENS = typer.Option(2048, "--max-tokens")
MODE = typer.Option("json", "--mode", help="instructor mode: json, tools, md_json or json_schema.")
GRAMMAR = typer.Option(
    None,
    "--grammar/--no-grammar",
    help="json mode: also send the schema as a decoding grammar (a llama_cpp.server extension; part of the cache "
    "key). Default: on the embedded model as each prompt file says (`grammar: true`; the shipped compact prompt "
    "does), off at any other endpoint.",
)
CACHE_DIR = typer.Option(DEFAULT_CACHE_DIR, "--cache-dir", help="Local response cache (one JSON file per key).")
RECORDED = typer.Option(
    None,
    "--recorded",
    help=f"Read-only recorded responses, consulted after the cache; repeatable. (default: {DEFAULT_RECORDED_DIR})",
)


def generation(temperature: float, seed: int | None, max_tokens: int, mode: str, **more: object):
    """GenParams from the options; a value out of range is an InputError naming its option."""
    from pydantic import ValidationError

    from harness.extract.params import GenParams, mode_name

    try:
        mode = mode_name(mode)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    try:
        return GenParams(temperature=temperature, seed=seed, max_tokens=max_tokens, mode=mode, **more)
    except ValidationError as exc:
        raise option_error(exc) from None


def _f1(field: dict) -> str:
    ci = field.get("ci", {}).get("f1")
    return f"{field['f1']:.2f}" + (f"\n{ci[0]:.2f}-{ci[1]:.2f}" if ci else "")


def score_table(record) -> Table:
    """One row per prompt x model (x repeat): strict F1 with its 95% interval per field, and failed samples."""
    from rich import box
    from rich.table import Table

    repeats = record.parameters.repeats > 1
    t = Table(title=f"Run {record.run_id}: strict F1 and its 95% bootstrap interval", box=box.SIMPLE_HEAD,
              padding=(0, 1, 0, 0), pad_edge=False)  # fmt: skip
    from harness.score.vocabulary import FIELDS

    cols = ["prompt", "model", *(["repeat"] if repeats else []), *FIELDS, "found", "failed"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("prompt", "model") else "right", no_wrap=True)
    scores = {(s.prompt, s.model, s.repeat): s for s in record.scores}
    groups: dict[tuple[str, str, int], list] = {}
    for r in record.samples:
        groups.setdefault((r.prompt, r.model, r.repeat), []).append(r)
    for (prompt, model, repeat), rs in groups.items():
        s = scores.get((prompt, model, repeat))
        rep = s.report if s is not None else None
        cells = [_f1(rep[f]) for f in FIELDS] if rep else ["-"] * len(FIELDS)
        failed = sum(1 for r in rs if not r.ok)
        row = [prompt, model, *([str(repeat)] if repeats else []), *cells, str(sum(len(r.claims) for r in rs)),
               f"{failed}/{len(rs)}"]  # fmt: skip
        t.add_row(*row, style="red" if failed else None)
    return t


def run(
    prompt: list[str] = PROMPT,
    model: list[str] = MODEL,
    articles: Path | None = ARTICLES,
    seeds: Path = SEEDS,
    article: list[str] = typer.Option(None, "--article", help="Run only this article id; repeatable."),
    gold: Path | None = typer.Option(
        None, "--gold", help=GOLD_HELP + " Default: gold/ when the articles are the seeds."
    ),
    prompts_dir: Path = PROMPTS_DIR,
    base_url: str | None = BASE_URL,
    api_key: str | None = typer.Option(
        None, "--api-key", help="(default: $OPENAI_API_KEY) Sent to the endpoint only; never written to any file."
    ),
    endpoint_id: str | None = ENDPOINT_ID,
    model_file: Path | None = MODEL_FILE,
    temperature: float = TEMPERATURE,
    seed: int = SEED,
    max_tokens: int = MAX_TOKENS,
    mode: str = MODE,
    grammar: bool | None = GRAMMAR,
    max_retries: int = typer.Option(
        2, "--max-retries", help="instructor re-asks after an answer that fails the schema."
    ),
    max_attempts: int = typer.Option(
        4, "--max-attempts", help="Attempts per request on 429/5xx/timeout/connection faults."
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds per HTTP request (default: 1800 embedded, 300 otherwise)."
    ),
    concurrency: int | None = typer.Option(
        None, "--concurrency", help="Requests in flight (default: 1 embedded, 8 otherwise)."
    ),
    repeats: int = typer.Option(
        1, "--repeats", help="Ask each sample this many times (each repeat is its own cache entry)."
    ),
    offline: bool = typer.Option(False, "--offline", help="Answer from the cache only; a miss is an error (exit 2)."),
    cache_dir: Path = CACHE_DIR,
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the local cache."),
    recorded: list[Path] = RECORDED,
    no_recorded: bool = typer.Option(
        False,
        "--no-recorded",
        help="Do not consult recorded responses: ask the model for whatever the local cache lacks.",
    ),
    record_to: Path | None = typer.Option(
        None, "--record-to", help="Also write every answer of this run to this folder (e.g. reports/recorded)."
    ),
    out: Path = typer.Option(Path("reports/runs"), "--out", help="Where run records go (<out>/<run-id>/run.json)."),
    max_failure_rate: float = typer.Option(
        0.5, "--max-failure-rate", help="Exit 1 when more than this share of samples failed."
    ),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the intervals."),
    n_threads: int = typer.Option(2, "--n-threads", help="CPU threads of the embedded model."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-sample progress lines."),
    report: bool = typer.Option(
        True, "--report/--no-report", help="Also write report.md and report.html beside run.json."
    ),
    shard: str | None = typer.Option(
        None,
        "--shard",
        help="Run shard I of N (I from 1 to N, e.g. 2/3): the articles whose sha256(id) falls in it, every prompt, "
        "model and repeat of each; `harness merge` joins the shards' records into the run unsplit.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Send nothing: print the samples, cache hits, requests, tokens and cost it would take."
    ),
    prices: Path | None = typer.Option(
        None, "--prices", help="With --dry-run: YAML or JSON {model: {prompt: usd, completion: usd}}, USD per 1M tokens"
    ),
    as_json: bool = typer.Option(False, "--json", help="With --dry-run: print the estimate as JSON."),
    batch: bool = typer.Option(False, "--batch", help=BATCH_HELP),
    batch_poll_max: float = typer.Option(300.0, "--batch-poll-max", help=POLL_MAX_HELP),
    batch_wait: float | None = typer.Option(None, "--batch-wait", help=WAIT_HELP),
) -> None:
    """Extract claims with each prompt and model from every article, score them against the gold, write a run record.

    Exit 0 when done, 1 when more than --max-failure-rate of the samples failed, 2 on bad input or a cache miss
    under --offline. With --dry-run: nothing is sent or written and no server starts; exit 0, or 2 on bad input.
    """
    from pydantic import SecretStr

    from harness.cli.progress import RunProgress
    from harness.pipeline import RunConfig, execute_run

    shown = RunProgress(quiet=quiet, repeats=repeats > 1)  # on stderr; rich only where it is needed

    def config() -> RunConfig:
        from pydantic import ValidationError

        from harness.extract.shard import Shard

        part = Shard.parse(shard) if shard is not None else None
        gen = generation(temperature, seed, max_tokens, mode, max_retries=max_retries, max_attempts=max_attempts,
                         timeout=timeout, grammar=grammar)  # fmt: skip
        try:
            return RunConfig(
                prompts=prompt or [DEFAULT_PROMPT], models=model or [], articles=articles, only=article or [],
                seeds=seeds, gold=gold,
                prompts_dir=prompts_dir, base_url=base_url, api_key=SecretStr(api_key) if api_key else None,
                endpoint_id=endpoint_id, model_file=model_file, generation=gen,
                concurrency=concurrency, repeats=repeats, offline=offline, cache_dir=None if no_cache else cache_dir,
                recorded=[] if no_recorded else (recorded or [DEFAULT_RECORDED_DIR]), record_to=record_to, out_dir=out,
                max_failure_rate=max_failure_rate, n_boot=n_boot, n_threads=n_threads, shard=part,
                batch=batch_config(batch, batch_poll_max, batch_wait),
            )  # fmt: skip
        except ValidationError as exc:
            raise option_error(exc) from None

    config = checked_by(config)  # --batch refused up front where it cannot go
    show_progress(shown.console if batch and not quiet else None, quiet or not batch)
    if dry_run or prices or as_json:
        from harness.cli.dry_run import dry_run_verb

        dry_run_verb(config, dry_run, prices, as_json)
        return
    # What the command's start left (modules, typer's commands: most of the process's objects) stays for the whole
    # run: frozen, it is not walked again by a full collection during the requests (about 30 ms at 500 samples), and
    # given back to the collector afterwards (a process that runs several commands, a test session, keeps nothing).
    gc.freeze()
    try:  # on a terminal a live area under the per-sample lines; it is gone before an error or the table prints
        result = run_guarded(lambda: shown.around(lambda: execute_run(config(), on_result=shown.on_result,
                                                                      hooks=shown.hooks())))  # fmt: skip
    finally:
        gc.unfreeze()
    printing_guarded(lambda: _print_result(result, report))


def _print_result(result, report: bool) -> None:
    """The score table, cache and token counts, notes, where the record and reports went; exit 1 on a failed run."""
    from rich.console import Console

    rec = result.record
    console = Console(width=None if sys.stdout.isatty() else 120)  # logs and CI files are not 80 columns wide
    console.print(score_table(rec))
    c, s = rec.cache, rec.summary
    print(f"cache: {c.hits_local} local hits, {c.hits_recorded} recorded hits, {c.misses} misses; "
          f"{c.requests} requested ({c.attempts} HTTP attempts), {c.written} written")  # fmt: skip
    print(f"tokens: {s.usage.prompt_tokens} prompt, {s.usage.completion_tokens} completion (requested samples)")
    for note in rec.notes:
        print(f"note: {note}")
    if s.failed:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(s.failures_by_kind.items()))
        print(f"failed samples: {s.failed}/{s.samples} ({kinds}); threshold {rec.parameters.max_failure_rate:.0%}")
    print(f"record: {result.path}")
    if report:
        from harness.report.html import write_run_report

        md, html = run_guarded(lambda: write_run_report(result.path, rec))
        print(f"report: {md.as_posix()} and {html.as_posix()}")
    if result.exit_code:
        lost = sum(n.startswith("cache entry not written") for n in rec.notes)
        why = (
            f"{lost} answer(s) paid for could not be cached"
            if lost
            else (f"failure rate {s.failure_rate:.0%} > {rec.parameters.max_failure_rate:.0%}")
        )
        print(f"run failed: {why}", file=sys.stderr)
        raise typer.Exit(result.exit_code)
