"""One scored entry of a run with what identifies it (a Side), the baseline file made of one, and whether two
sides can be paired: the same articles, texts, gold files and gold items.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

from harness.errors import InputError
from harness.files import atomic_write_text, now_utc, read_json_model
from harness.records.run import RunRecord, ScoreEntry
from harness.score.compare import FieldComparison, compare_reports
from harness.score.model import ScoreReport
from harness.variants.manifest import Manifest

_S = TypeVar("_S", "Side", list["Side"])


class VariantOf(BaseModel):
    """Set on side B by `pair_variant`: B was scored on a variant of A's articles (`harness variants make`), checked
    against the manifest; the texts and gold files it stands for are A's, so its items pair with A's."""

    kind: str
    origin_articles: dict[str, str]  # article id -> sha256 of the original text
    origin_gold: dict[str, str]  # gold file name -> sha256 of the original gold file

    @property
    def note(self) -> str:
        """What a comparison report says about the pairing."""
        return (
            f"The article texts and gold files differ by design: B was scored on the `{self.kind}` variant of A's "
            f"articles (`harness variants make --kind {self.kind}`), every text and gold hash checked against its "
            "variants.json. Items pair by gold item, so B − A is the robustness gap (negative: worse on the "
            "rewritten forms)."
        )


class Side(BaseModel):
    """One scored (prompt, model, repeat) with what identifies it and the gold it was scored on."""

    run_id: str
    prompt: str
    prompt_sha256: str | None = None
    schema_sha256: str | None = None  # the response schema the prompt was sent with
    model: str
    repeat: int = 0
    endpoint: str | None = None
    articles: dict[str, str]  # article id -> sha256 of the text scored
    gold_sha256: dict[str, str] | None = None  # gold file name -> sha256
    gold_content: dict[str, str] | None = None  # article id -> sha256 of its gold content (any file format)
    report: ScoreReport
    variant: VariantOf | None = Field(default=None, exclude=True)  # never written into a baseline

    @property
    def label(self) -> str:
        return f"{self.prompt} · {self.model}" + (f" · repeat {self.repeat}" if self.repeat else "")


def select_entry(record: RunRecord, prompt: str | None = None, model: str | None = None, repeat: int | None = None,
                 which: str = "run") -> ScoreEntry:  # fmt: skip
    """The first scored entry of a run matching the given prompt / model / repeat; InputError when there is none."""
    if not record.scores:
        raise InputError(f"{which} {record.run_id} has no scores (was it run without gold?)")
    found = [e for e in record.scores if (prompt is None or e.prompt == prompt) and (model is None or e.model == model)
             and (repeat is None or e.repeat == repeat)]  # fmt: skip
    if not found:
        have = ", ".join(f"{e.prompt}/{e.model}/{e.repeat}" for e in record.scores)
        want = f"prompt={prompt or '*'} model={model or '*'} repeat={'*' if repeat is None else repeat}"
        raise InputError(f"{which} {record.run_id} has no entry {want} (it has prompt/model/repeat: {have})")
    entry = found[0]
    if entry.report is None:
        raise InputError(
            f"{which} {record.run_id}: {entry.prompt}/{entry.model} was not scored ({entry.error or 'no report'})"
        )
    return entry


def side_of(record: RunRecord, entry: ScoreEntry) -> Side:
    ref = next((p for p in record.prompts if p.id == entry.prompt), None)
    return Side(
        run_id=record.run_id, prompt=entry.prompt, prompt_sha256=ref.sha256 if ref else None,
        schema_sha256=ref.schema_sha256 if ref else None, model=entry.model, repeat=entry.repeat,
        endpoint=record.endpoint.identity, articles={a: record.articles.sha256.get(a, "") for a in entry.articles},
        gold_sha256=dict(record.gold.sha256) if record.gold else None, report=ScoreReport.model_validate(entry.report),
        gold_content=dict(record.gold.content_sha256) if record.gold and record.gold.content_sha256 else None,
    )  # fmt: skip


def _gold_keys(report: ScoreReport) -> set[tuple[str, str]]:
    return {(it.field, it.gold_key) for it in report.items if it.gold_key}


def gold_mismatch(a: Side, b: Side) -> str | None:
    """Why A and B cannot be paired (different articles, article texts, gold files or gold items), else None. A side
    B paired as a variant of A (`pair_variant`) is compared by the original texts and gold it stands for."""
    if b.variant is not None:
        b = b.model_copy(update={"articles": b.variant.origin_articles, "gold_sha256": b.variant.origin_gold})
    if set(a.articles) != set(b.articles):
        only_a, only_b = sorted(set(a.articles) - set(b.articles)), sorted(set(b.articles) - set(a.articles))
        return (
            f"scored on different articles (only in A: {', '.join(only_a) or '-'}; "
            f"only in B: {', '.join(only_b) or '-'})"
        )
    changed = sorted(k for k in a.articles if a.articles[k] and b.articles[k] and a.articles[k] != b.articles[k])
    if changed:
        return f"article texts differ ({', '.join(changed)})"
    same_content = a.gold_content is not None and a.gold_content == b.gold_content  # a YAML gold and its export
    if a.gold_sha256 is not None and b.gold_sha256 is not None and a.gold_sha256 != b.gold_sha256 and not same_content:
        names = sorted(
            k for k in set(a.gold_sha256) | set(b.gold_sha256) if a.gold_sha256.get(k) != b.gold_sha256.get(k)
        )
        return f"scored on different gold (files differ: {', '.join(names)})"
    ka, kb = _gold_keys(a.report), _gold_keys(b.report)
    if ka != kb:
        return f"scored on different gold items ({len(ka - kb)} only in A, {len(kb - ka)} only in B)"
    return None


def _variant_problem(a: Side, b: Side, m: Manifest) -> str | None:
    """Why B is not the manifest's variant of the articles and gold A was scored on, else None."""
    if set(a.articles) != set(b.articles):
        return "scored on different articles"
    unknown = sorted(set(a.articles) - set(m.articles))
    if unknown:
        return f"articles not in the variants manifest: {', '.join(unknown)}"
    for name, side, want, other in (("A", a, "origin", "variant"), ("B", b, "variant", "origin")):
        texts = {k: m.articles[k].origin_text_sha256 if want == "origin" else m.articles[k].text_sha256
                 for k in side.articles}  # fmt: skip
        off = sorted(k for k in side.articles if side.articles[k] != texts[k])
        if off:
            swapped = all(side.articles[k] == (m.articles[k].text_sha256 if want == "origin"
                                                else m.articles[k].origin_text_sha256) for k in off)  # fmt: skip
            hint = f" ({name} was scored on the {other} texts: give the run on the originals as A)" if swapped else ""
            return f"{name} was not scored on the {want} texts of the manifest ({', '.join(off)}){hint}"
        if side.gold_sha256 is None:
            continue
        for k in side.articles:
            v = m.articles[k]
            file, sha = (v.origin_gold_file, v.origin_gold_sha256) if want == "origin" else (v.gold_file, v.gold_sha256)
            if side.gold_sha256.get(file) != sha:
                return f"{name} was not scored on the {want} gold of the manifest ({file} differs)"
    return None


def pair_variant(a: Side | list[Side], b: _S, manifest: Manifest) -> _S:
    """B (one side or its repeats) marked as scored on the manifest's variant of A's articles, after checking every
    text and gold hash of both sides against the manifest; InputError when they do not fit. The gold items must
    still agree, which `gold_mismatch` checks when the two are compared."""
    first = a[0] if isinstance(a, list) else a
    sides = b if isinstance(b, list) else [b]
    out = []
    for s in sides:
        why = _variant_problem(first, s, manifest)
        if why:
            raise InputError(f"cannot compare {first.run_id} with {s.run_id} as a {manifest.kind} variant: {why}")
        origin_gold = dict(first.gold_sha256) if first.gold_sha256 is not None else {}
        mark = VariantOf(kind=manifest.kind, origin_articles=dict(first.articles), origin_gold=origin_gold)
        out.append(s.model_copy(update={"variant": mark}))
    return out if isinstance(b, list) else out[0]


def compare_sides(a: Side, b: Side, seed: int = 0, n_boot: int = 1000, n_perm: int = 2000) -> list[FieldComparison]:
    """B - A per field on the same gold; InputError when they were scored on different gold."""
    why = gold_mismatch(a, b)
    if why:
        raise InputError(f"cannot compare {a.run_id} with {b.run_id}: {why}")
    return compare_reports(a.report, b.report, seed=seed, n_boot=n_boot, n_perm=n_perm)


BASELINE_VERSION = 2  # 2: claim-grounded scores (claims graded, claims_exact, *_anywhere); 1: bag-of-values scores


class Baseline(Side):
    """`reports/baseline.json`: one scored entry of a run — its identity, the gold hashes and the full score
    report (with every item's outcome, which the paired comparison needs)."""

    baseline_version: int = BASELINE_VERSION
    created: str = ""


def make_baseline(side: Side) -> Baseline:
    return Baseline(**side.model_dump(), created=now_utc())


def write_baseline(baseline: Baseline, path: Path) -> Path:
    atomic_write_text(Path(path), baseline.model_dump_json(indent=1) + "\n")
    return Path(path)


def read_baseline(path: Path) -> Baseline:
    """Read a baseline file; InputError (exit 2) when it is missing, not JSON, or not a baseline."""
    b = read_json_model(path, Baseline, "baseline", "a baseline file",
                        hint=" (write one with `harness gate --write-baseline RUN`)")  # fmt: skip
    if b.baseline_version != BASELINE_VERSION:
        raise InputError(f"baseline version {b.baseline_version} is not {BASELINE_VERSION}", str(path))
    return b
