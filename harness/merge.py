"""`harness merge`: the run records of a split run's shards (`harness run --shard I/N`) joined into one record, after
checking that they belong together, and rescored from the samples' answers against the gold with the run's own
scoring function, seed and resamples, so that the merged scores are those of the run unsplit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from harness import records as rec
from harness.corpus import (
    gold_source_hashes,
    gold_source_problem,
    load_article_source,
    load_gold,
    load_second_annotation,
)
from harness.errors import InputError
from harness.extract.shard import MergeRef, ShardRef, corpus_hash, shard_of
from harness.files import unwritable_dir
from harness.pipeline import RunResult
from harness.run_scores import human_ceiling_of, score_results
from harness.schema import Article, GoldArticle

Run = tuple[Path, rec.RunRecord]

# What shards of one run share, each named for the refusal when it differs; the scores depend on all of it.
BELONG: tuple[tuple[str, Callable[[rec.RunRecord], Any]], ...] = (
    ("record version", lambda r: r.record_version),
    ("harness version", lambda r: (r.provenance.packages.get("harness"), r.provenance.git_commit)),
    ("endpoint", lambda r: (r.endpoint.kind, r.endpoint.identity, r.endpoint.model_file)),
    ("models", lambda r: r.models),
    ("prompts", lambda r: [(p.id, p.version, p.sha256) for p in r.prompts]),
    ("generation parameters", lambda r: (r.parameters.generation.model_dump(mode="json"), r.parameters.repeats)),
    ("scoring parameters", lambda r: (r.parameters.n_boot, r.parameters.score_seed, r.parameters.max_failure_rate)),
    ("gold", lambda r: r.gold.sha256 if r.gold else None),
    ("number of shards", lambda r: r.shard.count if r.shard else None),
    ("articles split", lambda r: (r.shard.corpus_articles, r.shard.corpus_sha256) if r.shard else None),
)


def run_paths(paths: Iterable[Path]) -> list[Path]:
    """Each argument as run.json files: the file itself, a run folder, or a folder of run folders (a downloaded
    CI artifact)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and not (p / "run.json").is_file():
            found = sorted(p.glob("*/run.json"))
            if not found:
                raise InputError("no run record here (a run.json, a run folder or a folder of run folders)", str(p))
            out += found
        else:
            out.append(p / "run.json" if p.is_dir() else p)
    return out


def _name(path: Path) -> str:
    return str(path.parent if path.name == "run.json" else path)


def check_shards(runs: list[Run], allow_partial: bool = False) -> MergeRef:
    """Refuse shards that are not parts of one run (naming the run), the same shard twice, and missing shards unless
    `allow_partial`; what the merged record keeps of them."""
    for path, r in runs:
        if r.shard is None:
            why = "a merged run" if r.merged else "not a shard (a run made without --shard I/N)"
            raise InputError(f"cannot merge: {why}", _name(path))
    first_path, first = runs[0]
    for path, r in runs[1:]:
        for what, get in BELONG:
            if get(r) != get(first):
                raise InputError(f"not a shard of the same run as {_name(first_path)}: different {what}", _name(path))
    by_index: dict[int, Run] = {}
    owner: dict[str, Path] = {}
    for path, r in runs:
        shard = r.shard
        assert shard is not None
        if shard.index in by_index:
            raise InputError(f"shard {shard.label} given twice (also {_name(by_index[shard.index][0])})", _name(path))
        by_index[shard.index] = (path, r)
        _check_articles(path, r, shard, owner)
    count = first.shard.count if first.shard else 1
    missing = [i for i in range(1, count + 1) if i not in by_index]
    if missing and not allow_partial:
        given = ", ".join(f"{i}/{count}" for i in sorted(by_index))
        raise InputError(
            f"shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing (given: {given}); pass --allow-partial "
            "to merge the others into a record marked partial"
        )
    order = sorted(by_index)
    return MergeRef(count=count, shards=order, runs=[by_index[i][1].run_id for i in order], missing=missing,
                    partial=bool(missing))  # fmt: skip


def _check_articles(path: Path, r: rec.RunRecord, shard: ShardRef, owner: dict[str, Path]) -> None:
    """Every article of a shard belongs in it by the hash, and in no other run given; its samples are its own."""
    for aid in r.articles.sha256:
        if shard_of(aid, shard.count) != shard.index:
            raise InputError(f"article {aid} does not belong to shard {shard.label} by its hash", _name(path))
        if aid in owner:
            raise InputError(f"article {aid} is also in {_name(owner[aid])}: the shards overlap", _name(path))
        owner[aid] = path
    stray = next((s.article_id for s in r.samples if s.article_id not in r.articles.sha256), None)
    if stray is not None:
        raise InputError(f"a sample of article {stray}, which the run's articles do not list", _name(path))


def _sources(runs: list[Run], articles_dir: Path | None, gold_dir: Path | None,
             ) -> tuple[Path, dict[str, Article], Path | None, dict[str, GoldArticle]]:  # fmt: skip
    """The article texts and gold the shards used, re-read and checked against the hashes the shards recorded."""
    first = runs[0][1]
    src = Path(articles_dir or first.articles.source)
    loaded = load_article_source(src)
    for path, r in runs:
        for aid, want in r.articles.sha256.items():
            art = loaded.get(aid)
            if art is None or art.sha256 != want:
                why = "is not in" if art is None else "differs from the text the shard used in"
                raise InputError(f"article {aid} {why} {src.as_posix()} (pass --articles)", _name(path))
    gold: dict[str, GoldArticle] = {}
    gsrc = None
    if first.gold is not None:
        gsrc = Path(gold_dir or first.gold.source)
        if problem := gold_source_problem(gsrc):
            raise InputError(f"{problem} (pass --gold)", str(gsrc))
        if gold_source_hashes(gsrc) != first.gold.sha256:  # the very files: the merged record names them
            raise InputError("the gold differs from the gold the shards were scored on", str(gsrc))
        gold = load_gold(gsrc, loaded)
    return src, loaded, gsrc, gold


def _check_harness(runs: list[Run], here: rec.Provenance) -> None:
    """The merging harness must score as the one that ran the shards (same version, same commit when both know)."""
    path, r = runs[0]
    theirs, ours = r.provenance, here
    commits_differ = theirs.git_commit and ours.git_commit and theirs.git_commit != ours.git_commit
    if theirs.packages.get("harness") != ours.packages.get("harness") or commits_differ:
        raise InputError(
            f"made by harness {theirs.packages.get('harness')} at commit {(theirs.git_commit or '?')[:12]}, merging "
            f"with {ours.packages.get('harness')} at {(ours.git_commit or '?')[:12]}: use the harness of the shards",
            _name(path),
        )


def _notes(runs: list[Run]) -> list[str]:
    """The shards' notes once each, without each shard's own note of its split."""
    out: list[str] = []
    for _, r in runs:
        own = r.shard.note(len(r.articles.sha256)) if r.shard else None
        out += [n for n in r.notes if n != own and n not in out]
    return out


def merge_runs(paths: Iterable[Path], out_dir: Path = Path("reports/runs"), articles_dir: Path | None = None,
               gold_dir: Path | None = None, allow_partial: bool = False) -> RunResult:  # fmt: skip
    """Check, join, rescore and write; returns the merged record, where it was written and its exit code (as
    `harness run`'s: 1 when more than the run's max failure rate of the samples failed)."""
    files = run_paths(paths)
    if why := unwritable_dir(out_dir):
        raise InputError(f"--out: {why}", str(out_dir))
    runs = [(p, rec.read_run(p)) for p in files]
    merged = check_shards(runs, allow_partial)
    here = rec.provenance()
    _check_harness(runs, here)
    runs.sort(key=lambda run: run[1].shard.index if run[1].shard else 0)
    src, loaded, gsrc, gold = _sources(runs, articles_dir, gold_dir)
    first = runs[0][1]

    ids = {aid for _, r in runs for aid in r.articles.sha256}
    articles = {aid: a for aid, a in loaded.items() if aid in ids}  # in the source's order, as the run unsplit
    pos = {aid: i for i, aid in enumerate(articles)}
    prompt_pos = {p.id: i for i, p in enumerate(first.prompts)}
    model_pos = {m: i for i, m in enumerate(first.models)}
    samples = sorted(
        (s for _, r in runs for s in r.samples),
        key=lambda s: (prompt_pos.get(s.prompt, -1), model_pos.get(s.model, -1), pos[s.article_id], s.repeat),
    )  # the order of the run unsplit: prompt x model x article x repeat
    p = first.parameters
    scores, score_notes = score_results(gold, articles, samples, seed=p.score_seed, n_boot=p.n_boot)
    second, second_dir = load_second_annotation(gsrc, articles) if gold and gsrc else ({}, None)
    ceiling = human_ceiling_of(gold, second, second_dir, articles, samples, seed=p.score_seed, n_boot=p.n_boot)
    assert first.shard is not None
    if not merged.partial and corpus_hash(articles) != first.shard.corpus_sha256:
        raise InputError("the shards' articles do not make up the articles they were split from", _name(runs[0][0]))

    shard_notes = _notes(runs)
    lost = sum(n.startswith("cache entry not written") for _, r in runs for n in r.notes)
    labels = ", ".join(f"{i}/{merged.count}" for i in merged.shards)
    notes = [f"merged from shard(s) {labels} (runs {', '.join(merged.runs)}): rescored over {len(articles)} articles"]
    if merged.partial:
        gone = ", ".join(f"{i}/{merged.count}" for i in merged.missing)
        notes.append(f"partial: shard(s) {gone} missing; scores cover {len(articles)} of "
                     f"{first.shard.corpus_articles} articles")  # fmt: skip
    notes += score_notes + ([] if gold else ["no gold for these articles: extraction only, no scores"])
    notes += [n for n in shard_notes if n not in notes]

    caches = [r.cache for _, r in runs]
    now = rec.utc_now()
    fingerprint = "|".join(["merge", *merged.runs, first.endpoint.identity, *first.models,
                            *(pr.sha256 for pr in first.prompts), *(a.sha256 for a in articles.values())])  # fmt: skip
    record = rec.RunRecord(
        run_id=rec.make_run_id(now, fingerprint), started=min(r.started for _, r in runs),
        finished=max(r.finished for _, r in runs), duration_s=round(sum(r.duration_s for _, r in runs), 3),
        provenance=here, endpoint=first.endpoint, models=first.models, prompts=first.prompts,
        articles=rec.DataRef(source=src.as_posix(), sha256={a: art.sha256 for a, art in articles.items()}),
        gold=first.gold.model_copy(update={"source": gsrc.as_posix()}) if first.gold and gsrc else None,
        parameters=p.model_copy(update={"offline": all(r.parameters.offline for _, r in runs),
                                        "concurrency": max(r.parameters.concurrency for _, r in runs)}),
        cache=rec.CacheCounts(**{k: sum(getattr(c, k) for c in caches) for k in rec.CacheCounts.model_fields}),
        summary=rec.Summary.of(samples, p.max_failure_rate, lost), samples=samples, scores=scores, notes=notes,
        merged=merged, ceiling=ceiling,
    )  # fmt: skip
    path = rec.write_run(record, out_dir)
    return RunResult(record, path, record.summary.exit_code)
