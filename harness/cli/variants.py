"""`harness variants make`: metamorphic copies of the articles (numbers, dates, names rewritten into equivalent
forms) with the gold carried along, for a run that pairs with the run on the originals article by article."""

from __future__ import annotations

from pathlib import Path

import typer

from harness.cli._common import run_guarded

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.command("make")
def make(
    out: Path = typer.Option(..., "--out", help="Folder to write seeds/, gold/ and variants.json into."),
    kind: str = typer.Option("all", "--kind", help="numbers, dates, names, or all (the three together)."),
    seeds: Path = typer.Option(Path("seeds"), "--seeds", help="Folder of the original articles."),
    gold: Path = typer.Option(Path("gold"), "--gold", help="Folder of the original gold files."),
) -> None:
    """Write DIR/seeds/<id>.txt, DIR/gold/<id>.yaml and DIR/variants.json for every article with gold; the written
    folder is checked as `harness gold check` checks it before the command succeeds. Exit 2 on bad input."""
    from harness import corpus
    from harness.errors import InputError
    from harness.files import unwritable_dir
    from harness.variants import kinds_of, make_variant, write_variants

    def _do():
        kinds = kinds_of(kind)
        if why := corpus.gold_folder_problem(gold):
            raise InputError(why, str(gold))
        articles = corpus.load_articles(seeds)
        if not articles:
            raise InputError("no .txt articles in this folder", str(seeds))
        for sub, src in (("seeds", seeds), ("gold", gold)):
            if (out / sub).resolve() == Path(src).resolve():
                raise InputError(f"--out would overwrite the original {sub} (choose another folder)", str(out))
        if why := unwritable_dir(out):
            raise InputError(f"--out: {why}", str(out))
        corpus.load_gold(gold, articles)  # every check of `harness gold check` first
        made = {}
        tokens: dict[str, str] = {}  # one renaming table for the corpus: a person keeps his made-up name
        for path in corpus.gold_paths(gold):
            g = corpus.parse_gold_file(path).article
            art = articles[g.article_id]
            made[g.article_id] = (art, path, make_variant(art, g, kinds, str(path), tokens))
        for sub, suffix in (("seeds", ".txt"), ("gold", ".yaml")):
            stale = sorted(p.name for p in (out / sub).glob(f"*{suffix}") if p.stem not in made)
            if stale:
                raise InputError(f"holds files of no article of this gold: {', '.join(stale)}", str(out / sub))
        manifest = write_variants(out, kind, made)
        corpus.load_gold(out / "gold", corpus.load_articles(out / "seeds"))  # the acceptance check, on what was written
        return manifest

    manifest = run_guarded(_do)
    counts: dict[str, int] = {}
    for v in manifest.articles.values():
        for r in v.rewrites:
            counts[r.kind] = counts.get(r.kind, 0) + 1
    made_line = ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none"
    print(f"wrote {len(manifest.articles)} {kind} variants to {out.as_posix()} (rewrites: {made_line}); "
          f"gold check passed")  # fmt: skip
