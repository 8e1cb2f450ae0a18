"""The run record: one typed JSON file per run (`reports/runs/<run-id>/run.json`) and a way to read it back.

It holds what is needed to trust and redo a run — provenance (git commit, dirty flag, package versions), the
endpoint's identity (never its key), parameters, prompt and data hashes — and what the run produced: every sample's
claims, tokens, latency and failure, cache counts, and the scores per prompt and model.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic_core import core_schema

from harness.errors import EXIT_FAILED, EXIT_OK, InputError
from harness.extract.cache import Usage
from harness.extract.params import GenParams
from harness.extract.runner import SampleResult
from harness.extract.shard import MergeRef, ShardRef
from harness.files import atomic_write_text, dist_version

if TYPE_CHECKING:
    from harness.schema import GoldArticle
    from harness.score.model import HumanCeiling, ScoreReport

RECORD_VERSION = 1
PACKAGES = ("harness", "openai", "instructor", "pydantic")


class _LazyCeiling:
    """The `ceiling` field's type: harness.score.ceiling.HumanCeiling, imported only when a record has a ceiling to
    validate (harness.score brings numpy; a run without a second annotation, and reading its record, need none).
    Validated by HumanCeiling itself and dumped as the model it holds, so a record reads and writes as before."""

    @staticmethod
    def _validate(value: Any) -> HumanCeiling:
        from harness.score.model import HumanCeiling

        return HumanCeiling.model_validate(value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(cls._validate)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        from harness.score.model import HumanCeiling

        return handler(HumanCeiling.__pydantic_core_schema__)


if TYPE_CHECKING:
    _Ceiling = HumanCeiling
else:
    _Ceiling = _LazyCeiling


class Provenance(BaseModel):
    git_commit: str | None = None
    git_dirty: bool | None = None
    packages: dict[str, str | None] = {}
    python: str = ""
    platform: str = ""


class EndpointInfo(BaseModel):
    """Which endpoint answered: its cache identity (`local:<gguf sha256>` or a URL without credentials)."""

    kind: Literal["local", "remote"]
    identity: str
    model_file: str | None = None  # file name only, for the embedded model


class PromptRef(BaseModel):
    """A prompt file (sha256 of its bytes) and the response schema it was sent with (sha256 of its canonical JSON)."""

    id: str
    version: str
    sha256: str
    path: str
    schema_sha256: str | None = None  # None in records made before prompts could name their schema
    response: str | None = None  # "built-in", the schema file as the prompt names it, or package.module:Class


class DataRef(BaseModel):
    """Where articles (or gold) came from and the sha256 of each item (for gold: of each file read, and of each
    article's gold content, which is the same for a YAML folder and its `harness gold export`)."""

    source: str
    sha256: dict[str, str] = {}
    content_sha256: dict[str, str] | None = None  # gold only: article id -> sha256 of its canonical gold content


class RunParameters(BaseModel):
    generation: GenParams
    repeats: int
    concurrency: int
    offline: bool
    max_failure_rate: float
    n_boot: int
    score_seed: int


class CacheCounts(BaseModel):
    hits_local: int = 0
    hits_recorded: int = 0
    misses: int = 0
    requests: int = 0  # samples sent to the endpoint
    attempts: int = 0  # HTTP attempts, retries and re-asks included
    written: int = 0


class ScoreEntry(BaseModel):
    """Scores of one (prompt, model, repeat) over the gold articles of the run; `report` is evaluate()'s JSON."""

    prompt: str
    model: str
    repeat: int
    articles: list[str]
    report: dict[str, Any] | None = None
    error: str | None = None


class Summary(BaseModel):
    samples: int = 0
    failed: int = 0
    failure_rate: float = 0.0
    failures_by_kind: dict[str, int] = {}
    usage: Usage = Usage()
    verdict: Literal["ok", "failed"] = "ok"
    exit_code: int = 0

    @classmethod
    def of(cls, results: list[SampleResult], max_failure_rate: float, lost: int = 0) -> Summary:
        """Failures, tokens and the verdict of a run's samples; `lost`: answers paid for that the cache could not
        keep, which fail the run too (a re-run would pay for them again)."""
        failed = [r for r in results if not r.ok]
        rate = len(failed) / len(results) if results else 0.0
        exit_code = EXIT_FAILED if rate > max_failure_rate or lost else EXIT_OK
        usage = sum((r.usage for r in results if r.source == "request"), Usage())
        return cls(
            samples=len(results), failed=len(failed), failure_rate=round(rate, 4),
            failures_by_kind=dict(Counter(r.failure.kind for r in failed if r.failure)), usage=usage,
            verdict="failed" if exit_code else "ok", exit_code=exit_code,
        )  # fmt: skip


class RunRecord(BaseModel):
    record_version: int = RECORD_VERSION
    run_id: str
    started: str
    finished: str = ""
    duration_s: float = 0.0
    provenance: Provenance
    endpoint: EndpointInfo
    models: list[str]
    prompts: list[PromptRef]
    articles: DataRef
    gold: DataRef | None = None
    parameters: RunParameters
    cache: CacheCounts
    summary: Summary
    samples: list[SampleResult]
    scores: list[ScoreEntry] = []
    notes: list[str] = []
    shard: ShardRef | None = None  # a run of one shard (`harness run --shard I/N`)
    merged: MergeRef | None = None  # shards joined by `harness merge`
    ceiling: _Ceiling | None = None  # a second annotation's agreement beside the entries' F1 (<gold>/second/)


def make_run_id(started: datetime, fingerprint: str) -> str:
    """`20240102T030405Z-1a2b3c`: UTC start time plus a short hash of what the run is about."""
    digest = hashlib.sha256(f"{fingerprint}|{started.isoformat()}".encode()).hexdigest()[:6]
    return f"{started.strftime('%Y%m%dT%H%M%SZ')}-{digest}"


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def provenance(cwd: Path | None = None) -> Provenance:
    cwd = Path(cwd or Path.cwd())
    commit = _git(["rev-parse", "HEAD"], cwd)
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd) if commit else None
    packages = {name: dist_version(name) for name in PACKAGES}
    return Provenance(
        git_commit=commit.strip() if commit else None, git_dirty=bool(status.strip()) if status is not None else None,
        packages=packages, python=platform.python_version(), platform=platform.platform(terse=True),
    )  # fmt: skip


def file_hashes(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def gold_ref(source: Path, gold: dict[str, GoldArticle]) -> DataRef:
    """What a record keeps of its gold: the source, the sha256 of each file read and of each article's gold."""
    from harness.corpus import gold_content_sha256, gold_source_hashes

    return DataRef(source=Path(source).as_posix(), sha256=gold_source_hashes(source),
                   content_sha256=gold_content_sha256(gold))  # fmt: skip


def write_run(record: RunRecord, out_dir: Path) -> Path:
    """Write `<out_dir>/<run_id>/run.json` atomically; returns its path."""
    path = Path(out_dir) / record.run_id / "run.json"
    atomic_write_text(path, record.model_dump_json(indent=1) + "\n")
    return path


def read_run(path: Path) -> RunRecord:
    """Read a run record (a `run.json` file or the run's folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / "run.json"
    try:
        return RunRecord.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read run record: {exc.strerror}", str(path)) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f"not a run record: {where}: {err['msg']}", str(path)) from None


def entry_report(entry: ScoreEntry) -> ScoreReport | None:
    """The ScoreReport of a ScoreEntry, or None when it was not scored."""
    from harness.score.model import ScoreReport

    return ScoreReport.model_validate(entry.report) if entry.report is not None else None
