"""`harness agree GOLD_A GOLD_B`: how far two annotations of the same articles agree, by the scorer models face."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from harness.cli._common import ARTICLES_HELP, GOLD_HELP, at_least, run_guarded


def agree(
    gold_a: Path = typer.Argument(..., help="The reference annotation. " + GOLD_HELP),
    gold_b: Path = typer.Argument(..., help="The other annotation of (some of) the same articles, in any such form."),
    seeds: Path = typer.Option(Path("seeds"), "--seeds", help="The articles: " + ARTICLES_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the agreement per field (and both reports) as JSON."),
    seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples (at least 1)."),
) -> None:
    """Agreement per field: B's claims scored against A (P, R, F1 with its 95% interval), the reverse, and the mean.

    Only the articles both folders annotate are compared. Exit 2 with one line when they share none.
    """
    from rich.console import Console
    from rich.table import Table

    from harness import corpus
    from harness.errors import InputError
    from harness.score.agreement import Agreement, agreement

    def _do() -> Agreement:
        at_least("--seed", seed, 0)
        at_least("--n-boot", n_boot, 1)
        articles = corpus.load_article_source(seeds)
        a, b = corpus.load_gold(gold_a, articles), corpus.load_gold(gold_b, articles)
        if not set(a) & set(b):
            raise InputError(f"no article is annotated in both {gold_a.as_posix()} and {gold_b.as_posix()}")
        return agreement(a, b, {i: art.text for i, art in articles.items()}, seed=seed, n_boot=n_boot)

    result = run_guarded(_do)
    if as_json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1, sort_keys=True))
        return
    t = Table(title=f"Agreement of {gold_b.as_posix()} with {gold_a.as_posix()} on {len(result.articles)} articles")
    for col in ("field", "P", "R", "F1", "F1 95% CI", "F1 (B as reference)", "symmetric F1"):
        t.add_column(col, justify="left" if col == "field" else "right")
    for f in result.fields:
        t.add_row(f.field, f"{f.precision:.3f}", f"{f.recall:.3f}", f"{f.f1:.3f}", f"[{f.ci[0]:.2f}, {f.ci[1]:.2f}]",
                  f"{f.f1_reverse:.3f}", f"{f.f1_symmetric:.3f}")  # fmt: skip
    Console().print(t)
