"""Load articles and gold, check the gold against the article text, and locate every error by file and line.

Articles are the seed files (`seeds/<article_id>.txt`, byte for byte, sha256-pinned). Gold is one YAML file per
article (`gold/<article_id>.yaml`). Every problem becomes an InputError naming the file and line.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from harness.errors import InputError
from harness.schema import Article, GoldArticle

GOLD_SUFFIXES = (".yaml", ".yml")
# An article larger than this is refused: a news article is tens of KB, and 5 MB is already past any model's context.
MAX_ARTICLE_BYTES = 5 * 1024 * 1024
_YamlLoader = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)  # libyaml's parser when PyYAML was built with it (~5x faster)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_utf8(data: bytes, file: str) -> str:
    """Strict UTF-8 decode; a bad byte is reported with the line it sits on."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", file, line) from None


def _regular_file(path: Path, cap: int | None, what: str) -> None:
    """Refuse, before opening it, anything at `path` that is not a regular file (a folder, a FIFO that would block
    the open, a device, a symlink loop) or that is larger than `cap` bytes."""
    try:
        st = os.stat(path)  # follows a symlink to its file; a loop is ELOOP, and nothing is opened
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device"
        raise InputError(f"{kind}, not a regular file: not read as {what}", str(path))
    if cap is not None and st.st_size > cap:
        raise InputError(f"{what} of {st.st_size} bytes is larger than the cap of {cap} bytes", str(path))


def load_article(path: Path) -> Article:
    """One seed file; an empty one is refused (there is nothing to extract, and nothing to send a model), and so
    is anything that is not a regular file or is larger than MAX_ARTICLE_BYTES."""
    _regular_file(path, MAX_ARTICLE_BYTES, "an article")
    data = path.read_bytes()
    text = decode_utf8(data, str(path))
    if not text.strip():
        raise InputError("empty article (no text to extract claims from)", str(path), 1)
    return Article(article_id=path.stem, text=text, sha256=sha256_bytes(data))


def load_articles(folder: Path) -> dict[str, Article]:
    """All `*.txt` files of a folder, keyed by article id (the file stem), in name order."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such folder of articles", str(folder))
    return {p.stem: load_article(p) for p in sorted(folder.glob("*.txt"))}


@dataclass(frozen=True)
class GoldFile:
    """A parsed gold file and a way back from any field to its line (for error messages)."""

    path: Path
    article: GoldArticle
    _root: yaml.Node

    def line_of(self, *loc: str | int) -> int:
        return _line_of(self._root, loc)


def _line_of(node: yaml.Node, loc: Iterable[str | int]) -> int:
    """1-based line of the YAML node at a pydantic-style location, or of its deepest existing ancestor."""
    for key in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            child = node.value[key]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def parse_gold_file(path: Path) -> GoldFile:
    """Read and validate one gold file; YAML, UTF-8 and schema errors come back located."""
    name = str(path)
    _regular_file(Path(path), None, "a gold file")
    text = decode_utf8(Path(path).read_bytes(), name)
    loader = _YamlLoader(text)
    try:  # one parse: the node tree gives line numbers for errors, the same tree gives the data
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"invalid YAML: {problem}", name, line) from None
    finally:
        loader.dispose()
    if root is None or not isinstance(data, dict):
        raise InputError("a gold file must be a YAML mapping with article_id, sha256, speakers, claims", name, 1)
    try:
        article = GoldArticle.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc)
        msg = "missing required field" if err["type"] == "missing" else err["msg"]
        raise InputError(f"{where}: {msg}", name, _line_of(root, loc)) from None
    return GoldFile(path=Path(path), article=article, _root=root)


def gold_folder_problem(folder: Path) -> str | None:
    """Why a folder named as the gold holds no gold, or None: it must exist and hold `*.yaml`/`*.yml` files."""
    folder = Path(folder)
    if not folder.is_dir():
        return "no such gold folder"
    if any(p.suffix in GOLD_SUFFIXES for p in folder.iterdir()):
        return None
    if (folder / "dataset_dict.json").exists() or (folder / "dataset_info.json").exists():
        return ("this is a `datasets` export (harness gold export), not a gold folder: give the folder of "
                "<article_id>.yaml gold files")  # fmt: skip
    return "no gold files in this folder (expected <article_id>.yaml files, as in gold/)"


def gold_paths(folder: Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such gold folder", str(folder))
    return sorted(p for p in folder.iterdir() if p.suffix in GOLD_SUFFIXES)


def check_gold_file(gf: GoldFile, articles: dict[str, Article]) -> None:
    """The gold agrees with the article text: id and hash, evidence at its offset, raw values inside evidence."""
    g, name = gf.article, str(gf.path)
    if g.article_id not in articles:
        raise InputError(
            f"unknown article id {g.article_id!r} (no such file in seeds/)", name, gf.line_of("article_id")
        )
    art = articles[g.article_id]
    if g.sha256 != art.sha256:
        raise InputError(f"sha256 does not match seeds/{g.article_id}.txt ({art.sha256})", name, gf.line_of("sha256"))
    for j, ev in enumerate(g.noise):
        if art.text[ev.start : ev.end] != ev.text:
            raise InputError(f"noise span {ev.text[:40]!r} is not at offset {ev.start}", name, gf.line_of("noise", j))
    names = {s.name for s in g.speakers}
    for i, c in enumerate(g.claims):
        for j, ev in enumerate(c.evidence):
            if art.text[ev.start : ev.end] != ev.text:
                where = "occurs elsewhere" if ev.text in art.text else "is not in the article"
                raise InputError(
                    f"claim {c.id}: evidence {ev.text[:40]!r} {where} (not at offset {ev.start})",
                    name, gf.line_of("claims", i, "evidence", j),
                )  # fmt: skip
        spans = [ev.text for ev in c.evidence]
        for field in ("figures", "dates"):
            for j, item in enumerate(getattr(c, field)):
                if not any(item.raw in s for s in spans):
                    raise InputError(
                        f"claim {c.id}: raw {field[:-1]} {item.raw!r} is not inside its evidence",
                        name, gf.line_of("claims", i, field, j, "raw"),
                    )  # fmt: skip
        if c.speaker is not None and c.speaker not in names:
            raise InputError(
                f"claim {c.id}: speaker {c.speaker!r} is not among the article's speakers",
                name, gf.line_of("claims", i, "attribution", "speaker"),
            )  # fmt: skip


def load_gold(folder: Path, articles: dict[str, Article]) -> dict[str, GoldArticle]:
    """Every gold file of a folder, validated and checked; ids unique across the whole gold set."""
    out: dict[str, GoldArticle] = {}
    seen: dict[str, str] = {}
    for path in gold_paths(folder):
        gf = parse_gold_file(path)
        check_gold_file(gf, articles)
        if gf.article.article_id in out:
            raise InputError(
                f"second gold file for article {gf.article.article_id}", str(path), gf.line_of("article_id")
            )
        for i, c in enumerate(gf.article.claims):
            if c.id in seen:
                raise InputError(
                    f"duplicate claim id {c.id!r} (first in {seen[c.id]})", str(path), gf.line_of("claims", i, "id")
                )
            seen[c.id] = str(path)
        out[gf.article.article_id] = gf.article
    return out


def gold_stats(gold: dict[str, GoldArticle]) -> list[dict[str, str | int]]:
    """Claims, figures, dates and speakers per article (the speakers that the claims attribute to)."""
    rows: list[dict[str, str | int]] = []
    for aid, g in sorted(gold.items()):
        spoken = {c.speaker for c in g.claims if c.speaker}
        rows.append(
            {
                "article_id": aid,
                "claims": len(g.claims),
                "figures": sum(len(c.figures) for c in g.claims),
                "dates": sum(len(c.dates) for c in g.claims),
                "attributed": sum(1 for c in g.claims if c.speaker),
                "speakers": len(spoken),
            }
        )
    return rows


def gold_to_rows(gold: dict[str, GoldArticle]) -> list[dict[str, object]]:
    """One row per gold claim, in the column names predictions use too (values as exact decimal strings)."""
    return [
                {
                    "article_id": aid,
                    "claim_id": c.id,
                    "text": c.statement,
                    "evidence": [e.text for e in c.evidence],
                    "evidence_start": [e.start for e in c.evidence],
                    "figures": [
                        {"raw": f.raw, "value": None if f.value is None else str(f.value), "unit": f.unit,
                         "approx": f.approx, "qualifier": f.qualifier, "counted": f.counted}
                        for f in c.figures
                    ],
                    "dates": [{"raw": d.raw, "value": d.value, "role": d.role} for d in c.dates],
                    "speaker": c.speaker,
                    "attribution_kind": c.attribution.kind,
                    "cue": c.attribution.cue,
                }
        for aid, g in sorted(gold.items())
        for c in g.claims
    ]  # fmt: skip


def export_gold(gold: dict[str, GoldArticle], articles: dict[str, Article], out: Path) -> None:
    """Write the gold as a `datasets.DatasetDict` (splits `claims` and `articles`) that `load_from_disk` opens."""
    from datasets import Dataset, DatasetDict  # heavy import, only for this verb

    arts = [
        {"article_id": a.article_id, "text": a.text, "sha256": a.sha256}
        for a in articles.values()
        if a.article_id in gold
    ]
    DatasetDict({"claims": Dataset.from_list(gold_to_rows(gold)), "articles": Dataset.from_list(arts)}).save_to_disk(
        str(out)
    )


def load_articles_dataset(folder: Path) -> dict[str, Article]:
    """Articles from a `datasets` dataset on disk (a Dataset, or a DatasetDict with an `articles` split)."""
    from datasets import DatasetDict, load_from_disk

    try:
        ds = load_from_disk(str(folder))
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"not a saved datasets dataset: {exc}", str(folder)) from None
    if isinstance(ds, DatasetDict):  # the gold export's `articles` split, else `train`, else the first split
        ds = ds["articles"] if "articles" in ds else ds["train"] if "train" in ds else next(iter(ds.values()))
    missing = {"article_id", "text"} - set(ds.column_names)
    if missing:
        raise InputError(f"dataset lacks column(s) {', '.join(sorted(missing))}", str(folder))
    out: dict[str, Article] = {}
    for i, row in enumerate(ds):
        aid, text = str(row["article_id"]), row["text"]
        if isinstance(text, str) and len(text.encode("utf-8")) > MAX_ARTICLE_BYTES:
            raise InputError(f"row {i}: article {aid} is larger than the cap of {MAX_ARTICLE_BYTES} bytes", str(folder))
        if not isinstance(text, str) or not text.strip() or aid in out:
            why = (
                "duplicate article_id"
                if aid in out
                else "text is not a string"
                if not isinstance(text, str)
                else "empty article"
            )
            raise InputError(f"row {i}: {why}", str(folder))
        out[aid] = Article(article_id=aid, text=text, sha256=sha256_bytes(text.encode("utf-8")))
    return out


def load_article_source(path: Path) -> dict[str, Article]:
    """A folder of `.txt` files, or a `datasets` dataset saved with `save_to_disk` (columns article_id, text)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such folder of articles", str(path))
    if path.is_dir() and any(path.glob("*.txt")):
        return load_articles(path)
    if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
        return load_articles_dataset(path)
    raise InputError("neither .txt articles nor a dataset saved with save_to_disk", str(path))
