"""The gold and the articles as `datasets` data: the export (a `save_to_disk` folder, a JSON Lines or a Parquet file)
and any dataset of its schema read back as the same GoldArticle and Article records, errors naming file and row.

A save_to_disk folder holds two splits: `articles` (one row per article with gold: article_id, text, sha256,
published, speakers, noise) and `claims` (one row per claim: article_id, claim_id, text, evidence, evidence_start,
figures, dates, speaker, attribution_kind, cue). A single file is the `articles` split with each article's claims
nested in a `claims` column (the claim columns less article_id): one row per article, as one YAML file per article.
Rows are numbered from 1 in errors (the line of a JSON Lines file). Files are read with `datasets.load_dataset`
into a temporary cache that is removed after reading: no hub access, nothing left behind, never a stale copy.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.corpus import MAX_ARTICLE_BYTES, regular_file, sha256_bytes
from harness.errors import InputError
from harness.schema import Article, GoldArticle

LOADERS = {".json": "json", ".jsonl": "json", ".parquet": "parquet"}  # file suffix -> `datasets` packaged loader
FORMATS = ("disk", "json", "parquet")  # `harness gold export --format`
ARTICLE_COLUMNS = ("article_id", "sha256", "published", "speakers", "noise")
FILE_COLUMNS = ("article_id", "text", "sha256", "published", "speakers", "noise", "claims")  # a single-file gold
SCALAR_COLUMNS = ("article_id", "text", "sha256", "published")
CLAIM_COLUMNS = ("claim_id", "text", "evidence", "evidence_start", "figures", "dates", "speaker", "attribution_kind",
                 "cue")  # fmt: skip
# GoldClaim's field path -> the column it is read from (for errors in the data's own words)
_COLUMN_OF = {"id": "claim_id", "statement": "text", "attribution": "", "kind": "attribution_kind"}


def _datasets() -> Any:
    """The `datasets` module set for local files only: no hub, no download counter, no progress bars."""
    import os

    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # read when `datasets` is first imported
    os.environ.setdefault("HF_UPDATE_DOWNLOAD_COUNTS", "0")
    import datasets

    datasets.config.HF_HUB_OFFLINE = True  # and set in case it was imported before: load_dataset pings S3 otherwise
    datasets.config.HF_UPDATE_DOWNLOAD_COUNTS = False
    datasets.disable_progress_bars()
    return datasets


def is_saved_dataset(path: Path) -> bool:
    """A folder written by `save_to_disk` (a DatasetDict or a Dataset)."""
    return Path(path).is_dir() and any((Path(path) / f).exists() for f in ("dataset_dict.json", "dataset_info.json"))


def suffixes(loader: str) -> list[str]:
    return [k for k, v in LOADERS.items() if v == loader]


def data_file_problem(path: Path) -> str | None:
    """Why a file cannot be read as `datasets` data, or None: its suffix must name a loader."""
    if Path(path).suffix.lower() not in LOADERS:
        return f"not a data file (expected a {', '.join(LOADERS)} file)"
    return None


def read_file_rows(path: Path, what: str) -> tuple[list[str] | None, list[dict[str, Any]]]:
    """Column names and rows of a JSON, JSON Lines or Parquet file, through `datasets.load_dataset`. A JSON file's
    values are read as JSON (the `Json` feature), not by Arrow's type inference, which would turn "2023-12-04" into
    a timestamp; its columns are then those of the schema (None: in JSON an absent key and a null are one)."""
    path = Path(path)
    if why := data_file_problem(path):
        raise InputError(why, str(path))
    regular_file(path, None, what)
    datasets = _datasets()
    loader = LOADERS[path.suffix.lower()]
    features = datasets.Features({c: datasets.Json() for c in FILE_COLUMNS}) if loader == "json" else None
    with tempfile.TemporaryDirectory(prefix="harness-datasets-") as cache, _quiet(datasets):  # removed after reading
        try:
            ds = datasets.load_dataset(loader, data_files=str(path), features=features, cache_dir=cache, split="train")
        except Exception as exc:  # the loaders raise many kinds (arrow, json, generation errors): one line each
            raise InputError(f"not readable as {what}: {_why(exc, datasets, path, cache)}", str(path)) from None
        if features is None:
            return list(ds.column_names), ds.to_list()
        rows = ds.to_list()
        for c in SCALAR_COLUMNS:  # read from storage: the Json feature would decode the string "2024" as a number
            for row, raw in zip(rows, ds.data.column(c).to_pylist(), strict=True):
                row[c] = _json_scalar(raw)
        return None, rows


def _json_scalar(raw: str | None) -> str | None:
    """A top-level string as the JSON file has it, from the `Json` feature's storage, which keeps a string that
    parses as JSON ("2024") as it is and stores any other value as its JSON text. A value that is wholly a JSON
    string literal ('"x"') reads as its content (x): the storage does not tell the two apart."""
    from datasets.utils.json import ujson_loads

    if raw is None:
        return None
    value = ujson_loads(raw)
    if isinstance(value, str):
        try:
            ujson_loads(value)
        except ValueError:
            return value  # a string that is not JSON, stored as its JSON
    return raw


def _why(exc: Exception, datasets: Any, path: Path, cache: str) -> str:
    """One line for a loader's failure; for a JSON file that does not fit the schema, its unknown columns."""
    if isinstance(exc, datasets.exceptions.DatasetGenerationError) and path.suffix.lower() in (".json", ".jsonl"):
        try:
            ds = datasets.load_dataset("json", data_files=str(path), cache_dir=f"{cache}/untyped", split="train")
        except Exception:  # the first error is the one reported
            pass
        else:
            unknown = sorted(set(ds.column_names) - set(FILE_COLUMNS))
            if unknown:
                return f"unknown column(s) {', '.join(unknown)} (known: {', '.join(FILE_COLUMNS)})"
    cause = exc.__cause__ or exc
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return lines[0][:200]


@contextlib.contextmanager
def _quiet(datasets: Any) -> Iterator[None]:
    """No log lines from `datasets` while it reads (it logs a bad file before raising): the error is ours, one line."""
    level = datasets.logging.get_verbosity()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL + 10)
    try:
        yield
    finally:
        datasets.logging.set_verbosity(level)


def _read_saved(folder: Path) -> Any:
    datasets = _datasets()
    try:
        with _quiet(datasets):
            return datasets.load_from_disk(str(folder))
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise InputError(f"not a saved `datasets` dataset: {exc}", str(folder)) from None


def _require(columns: list[str], wanted: tuple[str, ...], name: str) -> None:
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)} (the schema of `harness gold export`)", name)


# ---------------------------------------------------------------- articles


def _articles_from_rows(rows: list[dict[str, Any]], name: str) -> dict[str, Article]:
    """Articles from rows with article_id and text; a `sha256` column, when there is one, must be the text's."""
    out: dict[str, Article] = {}
    for n, row in enumerate(rows, 1):
        aid, text = row.get("article_id"), row.get("text")
        if not isinstance(aid, str) or not aid:
            raise InputError("article_id is not a non-empty string", name, n)
        if not isinstance(text, str):
            raise InputError(f"article {aid}: text is not a string", name, n)
        data = text.encode("utf-8")
        if len(data) > MAX_ARTICLE_BYTES:
            raise InputError(f"article {aid} is larger than the cap of {MAX_ARTICLE_BYTES} bytes", name, n)
        if not text.strip():
            raise InputError(f"article {aid}: empty article (no text to extract claims from)", name, n)
        if aid in out:
            raise InputError(f"duplicate article_id {aid}", name, n)
        sha = sha256_bytes(data)
        if row.get("sha256") not in (None, sha):
            raise InputError(f"article {aid}: sha256 {row['sha256']} is not the sha256 of its text ({sha})", name, n)
        out[aid] = Article(article_id=aid, text=text, sha256=sha)
    return out


def load_articles_dataset(folder: Path) -> dict[str, Article]:
    """Articles from a `save_to_disk` folder: a Dataset, or a DatasetDict's `articles` split (else `train`, else the
    first split)."""
    from datasets import DatasetDict

    ds = _read_saved(folder)
    name = str(folder)
    if isinstance(ds, DatasetDict):
        split = "articles" if "articles" in ds else "train" if "train" in ds else next(iter(ds))
        ds, name = ds[split], f"{folder}/{split}"
    missing = {"article_id", "text"} - set(ds.column_names)
    if missing:
        raise InputError(f"missing column(s) {', '.join(sorted(missing))}", name)
    return _articles_from_rows(ds.to_list(), name)


def load_articles_file(path: Path) -> dict[str, Article]:
    """Articles from a JSON, JSON Lines or Parquet file with columns article_id and text (a gold file is one)."""
    columns, rows = read_file_rows(path, "articles")
    missing = {"article_id", "text"} - set(FILE_COLUMNS if columns is None else columns)
    if missing:
        raise InputError(f"missing column(s) {', '.join(sorted(missing))}", str(path))
    return _articles_from_rows(rows, str(path))


# ---------------------------------------------------------------- gold


@dataclass(frozen=True)
class GoldRow:
    """One article's gold read from data, and where each part of it came from (file and row)."""

    article: GoldArticle
    place: tuple[str, int]  # the article's row
    claim_places: tuple[tuple[str, int], ...]  # each claim's row (the article's own row in a single file)

    def where(self, *loc: str | int) -> tuple[str, int | None]:
        return _where(self.place, self.claim_places, loc)


def _where(place: tuple[str, int], claim_places: tuple[tuple[str, int], ...] | list[tuple[str, int]],
           loc: tuple[Any, ...]) -> tuple[str, int]:  # fmt: skip
    """The row a location inside an article's gold comes from: a claim's row, else the article's."""
    if len(loc) > 1 and loc[0] == "claims" and isinstance(loc[1], int) and loc[1] < len(claim_places):
        return claim_places[loc[1]]
    return place


def _items(value: Any) -> Any:
    """A list of structs as validation wants it: nulls left out, so a field the data leaves empty takes its default
    as an absent YAML key does (Arrow cannot tell a missing key from a null)."""
    if not isinstance(value, list):
        return value
    return [_present(x) if isinstance(x, dict) else x for x in value]


def _claim(row: dict[str, Any]) -> dict[str, Any]:
    """A claim row (the export's column names) as GoldClaim's fields; a null is an absent key, as in YAML."""
    ev, starts = row.get("evidence"), row.get("evidence_start")
    evidence: Any = ev
    if isinstance(ev, list) and isinstance(starts, list):
        if len(ev) != len(starts):
            raise ValueError(f"evidence has {len(ev)} spans and evidence_start {len(starts)} offsets")
        evidence = [{"text": t, "start": s} for t, s in zip(ev, starts, strict=True)]
    elif isinstance(ev, list) and ev:
        raise ValueError("evidence_start: missing (the offset of each evidence span)")
    attribution = _present({"cue": row.get("cue"), "kind": row.get("attribution_kind")})
    claim = _present({"id": row.get("claim_id"), "statement": row.get("text"), "evidence": evidence,
                      "figures": _items(row.get("figures")), "dates": _items(row.get("dates"))})  # fmt: skip
    return {**claim, "attribution": {"speaker": row.get("speaker"), **attribution}}


def _present(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _column_path(loc: tuple[Any, ...], nested: bool) -> str:
    """A validation error's location in the data's columns: `claims.2.text` in a file, `text` in a claims row."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["claims"] and len(parts) > 1:
        rest = parts[2:]
        if rest[:1] == ["evidence"] and rest[-1:] == ["start"]:
            rest = ["evidence_start", *rest[1:-1]]
        elif rest[:1] == ["evidence"] and rest[-1:] == ["text"]:
            rest = rest[:-1]
        rest = [c for c in (_COLUMN_OF.get(p, p) for p in rest) if c]
        parts = (parts[:2] if nested else []) + rest
    return ".".join(parts) or "row"


def _gold_article(row: dict[str, Any], claims: list[dict[str, Any]], place: tuple[str, int],
                  claim_places: list[tuple[str, int]], nested: bool) -> GoldRow:  # fmt: skip
    """One GoldArticle from an article row and its claim rows; errors name the row and the column."""
    data = _present({k: row.get(k) for k in ARTICLE_COLUMNS})
    for k in ("speakers", "noise"):
        if k in data:
            data[k] = _items(data[k])
    built = []
    for i, c in enumerate(claims):
        try:
            built.append(_claim(c))
        except ValueError as exc:
            prefix = f"claims.{i}." if nested else ""
            raise InputError(f"{prefix}evidence: {exc}", *claim_places[i]) from None
    data["claims"] = built
    try:
        article = GoldArticle.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        msg = "missing required field (absent or null)" if err["type"] == "missing" else err["msg"]
        raise InputError(f"{_column_path(loc, nested)}: {msg}", *_where(place, claim_places, loc)) from None
    return GoldRow(article, place, tuple(claim_places))


def gold_rows_of_file(path: Path) -> list[GoldRow]:
    """The gold of a single JSON, JSON Lines or Parquet file: one row per article, its claims nested."""
    columns, rows = read_file_rows(path, "gold")
    name = str(path)
    if columns is not None:  # a Parquet file has a schema: the export's columns must be in it
        _require(columns, (*ARTICLE_COLUMNS, "claims"), name)
    out = []
    for n, row in enumerate(rows, 1):
        claims = row.get("claims")
        if claims is None:
            raise InputError("claims: missing required field (absent or null)", name, n)
        if not isinstance(claims, list) or not all(isinstance(c, dict) for c in claims):
            raise InputError("claims: not a list of claims", name, n)
        out.append(_gold_article(row, claims, (name, n), [(name, n)] * len(claims), nested=True))
    return out


def gold_rows_of_saved(folder: Path) -> list[GoldRow]:
    """The gold of a `save_to_disk` folder of the export's schema: splits `articles` and `claims`."""
    from datasets import DatasetDict

    ds = _read_saved(folder)
    if not isinstance(ds, DatasetDict) or not {"articles", "claims"} <= set(ds):
        raise InputError("a gold dataset needs the splits `articles` and `claims` (as `harness gold export` writes)",
                         str(folder))  # fmt: skip
    arts_name, claims_name = f"{folder}/articles", f"{folder}/claims"
    _require(ds["articles"].column_names, ARTICLE_COLUMNS, arts_name)
    _require(ds["claims"].column_names, ("article_id", *CLAIM_COLUMNS), claims_name)
    arts = ds["articles"].to_list()
    by_article: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    known = {r.get("article_id") for r in arts}
    for n, c in enumerate(ds["claims"].to_list(), 1):
        if c.get("article_id") not in known:
            raise InputError(f"claim of article {c.get('article_id')!r}, which the articles split does not list",
                             claims_name, n)  # fmt: skip
        by_article.setdefault(c["article_id"], []).append((n, c))
    out = []
    for n, row in enumerate(arts, 1):
        mine = by_article.pop(row.get("article_id"), [])  # a second row of one article gets no claims: refused later
        claim_places = [(claims_name, m) for m, _ in mine]
        out.append(_gold_article(row, [c for _, c in mine], (arts_name, n), claim_places, nested=False))
    return out


def gold_rows(source: Path) -> list[GoldRow]:
    """The gold of a `save_to_disk` folder or of a single data file."""
    source = Path(source)
    return gold_rows_of_saved(source) if source.is_dir() else gold_rows_of_file(source)


# ---------------------------------------------------------------- export


def gold_to_rows(gold: dict[str, GoldArticle]) -> list[dict[str, object]]:
    """One row per gold claim, in the column names predictions use too (values as exact decimal strings)."""
    return [{"article_id": aid, **_claim_row(c)} for aid, g in sorted(gold.items()) for c in g.claims]


def _claim_row(c: Any) -> dict[str, object]:
    return {
        "claim_id": c.id, "text": c.statement, "evidence": [e.text for e in c.evidence],
        "evidence_start": [e.start for e in c.evidence],
        "figures": [{"raw": f.raw, "value": None if f.value is None else str(f.value), "unit": f.unit,
                     "approx": f.approx, "qualifier": f.qualifier, "counted": f.counted} for f in c.figures],
        "dates": [{"raw": d.raw, "value": d.value, "role": d.role} for d in c.dates],
        "speaker": c.speaker, "attribution_kind": c.attribution.kind, "cue": c.attribution.cue,
    }  # fmt: skip


def article_rows(gold: dict[str, GoldArticle], articles: dict[str, Article]) -> list[dict[str, object]]:
    """One row per article with gold: its text and the gold's article-level fields."""
    return [
        {"article_id": aid, "text": articles[aid].text, "sha256": g.sha256, "published": g.published,
         "speakers": [s.model_dump() for s in g.speakers], "noise": [e.model_dump() for e in g.noise]}
        for aid, g in sorted(gold.items())
    ]  # fmt: skip


def export_gold(gold: dict[str, GoldArticle], articles: dict[str, Article], out: Path, fmt: str = "disk") -> None:
    """Write the gold as a `datasets.DatasetDict` folder (`disk`), or as one JSON Lines or Parquet file of one row
    per article with its claims nested (`json`, `parquet`); each reads back as the same gold."""
    import json

    from harness.files import atomic_write_text

    datasets = _datasets()
    arts = article_rows(gold, articles)
    if fmt == "disk":
        datasets.DatasetDict({"claims": datasets.Dataset.from_list(gold_to_rows(gold)),
                              "articles": datasets.Dataset.from_list(arts)}).save_to_disk(str(out))  # fmt: skip
        return
    nested = [{**a, "claims": [_claim_row(c) for c in gold[str(a["article_id"])].claims]} for a in arts]
    if fmt == "json":
        atomic_write_text(Path(out), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in nested))
    elif fmt == "parquet":
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(out).with_name(f".{Path(out).name}.tmp")  # renamed into place whole, as atomic_write_text does
        try:
            datasets.Dataset.from_list(nested).to_parquet(str(tmp))
            tmp.replace(out)
        finally:
            tmp.unlink(missing_ok=True)
    else:
        raise InputError(f"--format {fmt!r}: one of {', '.join(FORMATS)}")
