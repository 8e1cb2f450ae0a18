"""`harness gold check|stats|export`: validate, summarise and export the hand-annotated gold."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli._common import run_guarded

app = typer.Typer(no_args_is_help=True, help="Validate, summarise and export the gold annotations.")

GOLD = typer.Option(Path("gold"), "--gold", help="Folder of gold YAML files, one per article.")
SEEDS = typer.Option(Path("seeds"), "--seeds", help="Folder of the articles (<article_id>.txt).")


def _load(gold: Path, seeds: Path):
    from harness import corpus

    articles = corpus.load_articles(seeds)
    return corpus.load_gold(gold, articles), articles


@app.command()
def check(gold: Path = GOLD, seeds: Path = SEEDS) -> None:
    """Validate every gold file: schema, ids, hashes, evidence offsets, raw values inside evidence. Exit 2 on error."""
    g, articles = run_guarded(lambda: _load(gold, seeds))
    n = sum(len(a.claims) for a in g.values())
    without = sorted(set(articles) - set(g))
    print(f"gold ok: {len(g)} articles, {n} claims" + (f"; no gold for {', '.join(without)}" if without else ""))


@app.command()
def stats(gold: Path = GOLD, seeds: Path = SEEDS) -> None:
    """Claims, figures, dates and speakers per article."""
    from rich.console import Console
    from rich.table import Table

    from harness import corpus

    g, _ = run_guarded(lambda: _load(gold, seeds))
    rows = corpus.gold_stats(g)
    table = Table(title="Gold set")
    cols = ["article_id", "claims", "figures", "dates", "attributed", "speakers"]
    for c in cols:
        table.add_column(c, justify="left" if c == "article_id" else "right")
    for r in rows:
        table.add_row(*(str(r[c]) for c in cols))
    table.add_row("total", *(str(sum(int(r[c]) for r in rows)) for c in cols[1:]), style="bold")
    Console().print(table)


@app.command()
def export(
    out: Path = typer.Option(..., "--out", help="Folder to write the dataset to."),
    gold: Path = GOLD,
    seeds: Path = SEEDS,
) -> None:
    """Write the gold as a Hugging Face `datasets` dataset (`datasets.load_from_disk(OUT)`), no hub access."""
    from harness import corpus

    g, articles = run_guarded(lambda: _load(gold, seeds))
    corpus.export_gold(g, articles, out)
    print(f"wrote {sum(len(a.claims) for a in g.values())} claims, {len(g)} articles to {out}")
