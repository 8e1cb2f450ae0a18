"""One scored entry of a run with what identifies it (a Side), the baseline file made of one, and whether two
sides can be paired: the same articles, texts, gold files and gold items.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError

from harness.errors import InputError
from harness.files import atomic_write_text, now_utc
from harness.records.run import RunRecord, ScoreEntry
from harness.score.compare import FieldComparison, compare_reports
from harness.score.model import ScoreReport


class Side(BaseModel):
    """One scored (prompt, model, repeat) with what identifies it and the gold it was scored on."""

    run_id: str
    prompt: str
    prompt_sha256: str | None = None
    model: str
    repeat: int = 0
    endpoint: str | None = None
    articles: dict[str, str]  # article id -> sha256 of the text scored
    gold_sha256: dict[str, str] | None = None  # gold file name -> sha256
    report: ScoreReport

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
    prompt_sha = next((p.sha256 for p in record.prompts if p.id == entry.prompt), None)
    return Side(
        run_id=record.run_id, prompt=entry.prompt, prompt_sha256=prompt_sha, model=entry.model, repeat=entry.repeat,
        endpoint=record.endpoint.identity, articles={a: record.articles.sha256.get(a, "") for a in entry.articles},
        gold_sha256=dict(record.gold.sha256) if record.gold else None, report=ScoreReport.model_validate(entry.report),
    )  # fmt: skip


def _gold_keys(report: ScoreReport) -> set[tuple[str, str]]:
    return {(it.field, it.gold_key) for it in report.items if it.gold_key}


def gold_mismatch(a: Side, b: Side) -> str | None:
    """Why A and B cannot be paired (different articles, article texts, gold files or gold items), else None."""
    if set(a.articles) != set(b.articles):
        only_a, only_b = sorted(set(a.articles) - set(b.articles)), sorted(set(b.articles) - set(a.articles))
        return (
            f"scored on different articles (only in A: {', '.join(only_a) or '-'}; "
            f"only in B: {', '.join(only_b) or '-'})"
        )
    changed = sorted(k for k in a.articles if a.articles[k] and b.articles[k] and a.articles[k] != b.articles[k])
    if changed:
        return f"article texts differ ({', '.join(changed)})"
    if a.gold_sha256 is not None and b.gold_sha256 is not None and a.gold_sha256 != b.gold_sha256:
        names = sorted(
            k for k in set(a.gold_sha256) | set(b.gold_sha256) if a.gold_sha256.get(k) != b.gold_sha256.get(k)
        )
        return f"scored on different gold (files differ: {', '.join(names)})"
    ka, kb = _gold_keys(a.report), _gold_keys(b.report)
    if ka != kb:
        return f"scored on different gold items ({len(ka - kb)} only in A, {len(kb - ka)} only in B)"
    return None


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
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read baseline: {exc.strerror} (write one with `harness gate --write-baseline RUN`)",
                         str(path)) from None  # fmt: skip
    try:
        b = Baseline.model_validate_json(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f"not a baseline file: {where}: {err['msg']}", str(path)) from None
    if b.baseline_version != BASELINE_VERSION:
        raise InputError(f"baseline version {b.baseline_version} is not {BASELINE_VERSION}", str(path))
    return b
