"""`harness cache explain|list`: show what a cache key is made of, whether it is stored, and what is stored."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from harness.cli import run as run_cli
from harness.cli._common import at_least, run_guarded
from harness.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(no_args_is_help=True, help="Inspect the response cache: explain a key, list the entries.")


def _console() -> Console:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 160)  # logs and pipes are not 80 columns wide


def _recorded(recorded: list[Path] | None) -> list[Path]:
    from harness.extract.cache import DEFAULT_RECORDED_DIR

    return [d for d in (recorded or [DEFAULT_RECORDED_DIR]) if Path(d).is_dir()]


@app.command()
def explain(
    prompt: str = typer.Option(..., "--prompt", help="Prompt id in --prompts-dir or a YAML path."),
    article: str = typer.Option(..., "--article", help="Article id (file stem)."),
    model: str | None = typer.Option(None, "--model", help="Model name (default: the embedded model's alias)."),
    repeat: int = typer.Option(0, "--repeat", help="Repeat index (0 for the first)."),
    articles: Path | None = run_cli.ARTICLES,
    seeds: Path = run_cli.SEEDS,
    prompts_dir: Path = run_cli.PROMPTS_DIR,
    base_url: str | None = run_cli.BASE_URL,
    endpoint_id: str | None = run_cli.ENDPOINT_ID,
    model_file: Path | None = run_cli.MODEL_FILE,
    temperature: float = run_cli.TEMPERATURE,
    seed: int = run_cli.SEED,
    max_tokens: int = run_cli.MAX_TOKENS,
    mode: str = run_cli.MODE,
    grammar: bool | None = run_cli.GRAMMAR,
    cache_dir: Path = run_cli.CACHE_DIR,
    recorded: list[Path] = run_cli.RECORDED,
) -> None:
    """Print the parts of one sample's cache key, the key, and whether (and where) it is stored.

    On a miss, the stored entries nearest to it are listed with the parts in which they differ.
    """
    from rich.table import Table

    from harness.corpus import load_article_source
    from harness.extract.cache import ResponseCache
    from harness.extract.prompts import resolve_prompts
    from harness.extract.runner import make_sample
    from harness.pipeline import RunConfig, resolve_endpoint

    def go():
        at_least("--repeat", repeat, 0)
        cfg = RunConfig(models=[model] if model else [], base_url=base_url, endpoint_id=endpoint_id,
                        model_file=model_file)  # fmt: skip
        ep = resolve_endpoint(cfg)
        arts = load_article_source(articles or seeds)
        if article not in arts:
            raise InputError(f"unknown article {article!r}", str(articles or seeds))
        (p,) = resolve_prompts([prompt], prompts_dir)
        gen = run_cli.generation(temperature, seed, max_tokens, mode, grammar=grammar).with_defaults(ep.kind == "local")
        sample = make_sample(p, ep.models[0], arts[article], ep.identity, gen, repeat)
        cache = ResponseCache.open(cache_dir, _recorded(recorded))
        return sample, cache, cache.lookup(sample.key)

    sample, cache, hit = run_guarded(go)
    t = Table(title=f"cache key of {sample.label}", show_header=False)
    t.add_column("part")
    t.add_column("value", overflow="fold")
    for k, v in sample.parts.model_dump(mode="json").items():
        t.add_row(k, str(v))
    t.add_row(
        "prompt (not in the key)", f"{sample.prompt.id} v{sample.prompt.version} sha256 {sample.prompt.sha256[:16]}"
    )
    spec = sample.prompt.spec()
    t.add_row("response schema", f"{spec.source} (its sha256 is schema_sha256)")
    t.add_row("key", sample.key)
    _console().print(t)
    if hit is not None:
        print(f"hit: {hit.layer} cache, {hit.path}")
        return
    print("miss: in no cache layer (" + ", ".join(f"{s.name} {s.root}" for s in cache.layers) + ")")
    near = cache.near_misses(sample.parts)
    for layer, path, diff in near:
        parts = "; ".join(f"{k}={str(v)[:24]}" for k, v in diff.items())
        print(f"  nearest ({layer}) {path.name[:16]}: differs in {parts}")


@app.command("list")
def list_entries(
    cache_dir: Path = run_cli.CACHE_DIR,
    recorded: list[Path] = run_cli.RECORDED,
) -> None:
    """Every stored answer: layer, key, prompt, article, model, endpoint, repeat, claims, when it was made."""
    from rich.table import Table

    from harness.extract.cache import ResponseCache

    cache = ResponseCache.open(cache_dir, _recorded(recorded))
    t = Table(title="cached answers")
    for c in ("layer", "key", "prompt", "article", "model", "endpoint", "repeat", "claims", "created"):
        t.add_column(c, justify="right" if c in ("repeat", "claims") else "left")
    n = 0
    for store in cache.layers:
        for path, e in store.entries():
            n += 1
            if e is None:
                t.add_row(store.name, path.stem[:12], "[red]unreadable entry[/]", *[""] * 6)
                continue
            t.add_row(store.name, e.key[:12], e.labels.get("prompt", "?"), e.labels.get("article_id", "?"),
                      e.parts.model, e.parts.endpoint[:24], str(e.parts.repeat), str(len(e.answer.get("claims", []))),
                      e.created)  # fmt: skip
    _console().print(t)
    print(f"{n} entries")
