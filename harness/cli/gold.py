"""`harness gold check|stats|export`: validate, summarise and export the hand-annotated gold."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli._common import ARTICLES_HELP, GOLD_HELP, run_guarded

app = typer.Typer(no_args_is_help=True, help="Validate, summarise and export the gold annotations.")

GOLD = typer.Option(Path("gold"), "--gold", help=GOLD_HELP)
SEEDS = typer.Option(Path("seeds"), "--seeds", help="The articles: " + ARTICLES_HELP)


def _load(gold: Path, seeds: Path):
    from harness import corpus
    from harness.errors import InputError

    articles = corpus.load_article_source(seeds)
    if why := corpus.gold_source_problem(gold):
        raise InputError(why, str(gold))
    return corpus.load_gold(gold, articles), articles


@app.command()
def check(gold: Path = GOLD, seeds: Path = SEEDS) -> None:
    """Validate the gold: schema, ids, hashes, evidence offsets, raw values inside evidence. Exit 2 on error, with
    the file and line (for a dataset: the row, counted from 1)."""
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
    out: Path = typer.Option(..., "--out", help="Folder (--format disk) or file (json, parquet) to write."),
    fmt: str = typer.Option("disk", "--format", help="disk: a save_to_disk folder; json: JSON Lines; parquet."),
    gold: Path = GOLD,
    seeds: Path = SEEDS,
) -> None:
    """Write the gold as Hugging Face `datasets` data, no hub access; every form reads back as the same gold
    (`--gold OUT` of any verb, and `--articles OUT` of `harness run`).

    \b
    disk     a DatasetDict folder (`datasets.load_from_disk(OUT)`) with two splits:
             articles: article_id, text, sha256, published, speakers, noise (one row per article with gold)
             claims:   article_id, claim_id, text, evidence, evidence_start, figures, dates, speaker,
                       attribution_kind, cue (one row per claim)
    json     one JSON Lines file, one row per article: the articles columns and `claims`, a list of
             that article's claims in the claims columns (without article_id)
    parquet  the same rows as one Parquet file

    Figure values are exact decimal strings; each evidence span starts at the character offset in the text that
    the same position of evidence_start gives.
    """
    from harness import corpus_datasets
    from harness.errors import InputError

    def _do():
        if fmt not in corpus_datasets.FORMATS:
            raise InputError(f"--format {fmt!r}: one of {', '.join(corpus_datasets.FORMATS)}")
        g, articles = _load(gold, seeds)
        if fmt != "disk" and corpus_datasets.LOADERS.get(out.suffix.lower()) != fmt:
            raise InputError(f"--out: --format {fmt} writes a {' or '.join(corpus_datasets.suffixes(fmt))} file",
                             str(out))  # fmt: skip
        corpus_datasets.export_gold(g, articles, out, fmt)
        return g

    g = run_guarded(_do)
    print(f"wrote {sum(len(a.claims) for a in g.values())} claims, {len(g)} articles to {out}")
