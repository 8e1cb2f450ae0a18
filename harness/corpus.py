"""Load articles and gold, check the gold against the article text, and locate every error by file and line.

Articles are the seed files (`seeds/<article_id>.txt`, byte for byte, sha256-pinned). Gold is one YAML file per
article (`gold/<article_id>.yaml`), or data of the export's schema (harness.corpus_datasets). Every problem becomes
an InputError naming the file and line (a dataset's row).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

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


def read_yaml(text: str) -> Any:
    """`yaml.safe_load` with libyaml's parser where PyYAML has it: the harness's one way to read a YAML file's data
    (gold, prompts, price tables); it raises yaml.YAMLError with the problem's mark as safe_load does."""
    return yaml.load(text, Loader=_YamlLoader)  # a safe loader: SafeLoader or its libyaml twin


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_utf8(data: bytes, file: str) -> str:
    """Strict UTF-8 decode; a bad byte is reported with the line it sits on."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", file, line) from None


def regular_file(path: Path, cap: int | None, what: str) -> None:
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
    regular_file(path, MAX_ARTICLE_BYTES, "an article")
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
    # sorted by name, not by Path (which compares every part of each path: at 500 files a fifth of the load time)
    return {p.stem: load_article(p) for p in sorted(folder.glob("*.txt"), key=lambda p: p.name)}


@dataclass(frozen=True)
class GoldFile:
    """A parsed gold file and a way back from any field to its line (for error messages)."""

    path: Path
    article: GoldArticle
    _root: yaml.Node

    def line_of(self, *loc: str | int) -> int:
        return _line_of(self._root, loc)

    def where(self, *loc: str | int) -> tuple[str, int | None]:
        return str(self.path), _line_of(self._root, loc)


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
    regular_file(Path(path), None, "a gold file")
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


def gold_source_problem(source: Path) -> str | None:
    """Why a path named as the gold holds no gold, or None: a folder of YAML gold files, a `harness gold export`
    folder, or a JSON, JSON Lines or Parquet file of the export's schema."""
    from harness.corpus_datasets import data_file_problem, is_saved_dataset

    source = Path(source)
    if source.is_file():
        return data_file_problem(source)
    if source.is_dir() and is_saved_dataset(source) and not any(p.suffix in GOLD_SUFFIXES for p in source.iterdir()):
        return None
    if not source.exists():
        return "no such gold folder or file"
    return gold_folder_problem(source)


def gold_paths(folder: Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such gold folder", str(folder))
    return sorted(p for p in folder.iterdir() if p.suffix in GOLD_SUFFIXES)


def check_gold_file(gf: GoldFile, articles: dict[str, Article]) -> None:
    """The gold agrees with the article text: id and hash, evidence at its offset, raw values inside evidence."""
    check_gold(gf.article, gf.where, articles)


def check_gold(g: GoldArticle, where: Callable[..., tuple[str, int | None]], articles: dict[str, Article]) -> None:
    """One article's gold against its text; `where(*loc)` gives the file and line (or row) of a field."""
    if g.article_id not in articles:
        raise InputError(f"unknown article id {g.article_id!r} (no such article in the articles)", *where("article_id"))
    art = articles[g.article_id]
    if g.sha256 != art.sha256:
        raise InputError(f"sha256 does not match the text of article {g.article_id} ({art.sha256})", *where("sha256"))
    for j, ev in enumerate(g.noise):
        if art.text[ev.start : ev.end] != ev.text:
            raise InputError(f"noise span {ev.text[:40]!r} is not at offset {ev.start}", *where("noise", j))
    names = {s.name for s in g.speakers}
    for i, c in enumerate(g.claims):
        for j, ev in enumerate(c.evidence):
            if art.text[ev.start : ev.end] != ev.text:
                kind = "occurs elsewhere" if ev.text in art.text else "is not in the article"
                raise InputError(f"claim {c.id}: evidence {ev.text[:40]!r} {kind} (not at offset {ev.start})",
                                 *where("claims", i, "evidence", j))  # fmt: skip
        spans = [ev.text for ev in c.evidence]
        for field in ("figures", "dates"):
            for j, item in enumerate(getattr(c, field)):
                if not any(item.raw in s for s in spans):
                    raise InputError(f"claim {c.id}: raw {field[:-1]} {item.raw!r} is not inside its evidence",
                                     *where("claims", i, field, j, "raw"))  # fmt: skip
        if c.speaker is not None and c.speaker not in names:
            raise InputError(f"claim {c.id}: speaker {c.speaker!r} is not among the article's speakers",
                             *where("claims", i, "attribution", "speaker"))  # fmt: skip


def load_gold(source: Path, articles: dict[str, Article]) -> dict[str, GoldArticle]:
    """The gold of a folder of YAML files, of a `harness gold export` folder or of a JSON / JSON Lines / Parquet
    file of its schema, validated and checked alike; ids unique across the whole gold set."""
    source = Path(source)
    entries: Iterable[tuple[GoldArticle, Callable[..., tuple[str, int | None]]]]
    if source.is_dir() and (gold_paths(source) or not _is_saved(source)):
        entries = ((gf.article, gf.where) for gf in map(parse_gold_file, gold_paths(source)))
    elif source.exists():
        from harness.corpus_datasets import gold_rows

        entries = ((r.article, r.where) for r in gold_rows(source))
    else:
        raise InputError("no such gold folder or file", str(source))
    out: dict[str, GoldArticle] = {}
    seen: dict[str, str] = {}
    for g, where in entries:
        check_gold(g, where, articles)
        if g.article_id in out:
            raise InputError(f"second gold for article {g.article_id}", *where("article_id"))
        for i, c in enumerate(g.claims):
            if c.id in seen:
                raise InputError(f"duplicate claim id {c.id!r} (first in {seen[c.id]})", *where("claims", i, "id"))
            seen[c.id] = where("claims", i, "id")[0]
        out[g.article_id] = g
    return out


SECOND_ANNOTATION = "second"  # <gold folder>/second/: another annotator's gold for some of the articles


def load_second_annotation(
    gold_source: Path | None, articles: dict[str, Article]
) -> tuple[dict[str, GoldArticle], Path | None]:
    """The second annotation beside a gold folder (`<gold>/second/`) for the human ceiling: its files of the given
    articles, checked like any gold (a run of some articles — `--article`, `--shard` — leaves the others out);
    ({}, None) when the gold is not a folder or has none. `harness gold check --gold <gold>/second` checks it all."""
    folder = Path(gold_source) / SECOND_ANNOTATION if gold_source is not None else None
    if folder is None or not folder.is_dir() or not gold_paths(folder):
        return {}, None
    out: dict[str, GoldArticle] = {}
    for gf in map(parse_gold_file, gold_paths(folder)):
        if gf.article.article_id not in articles:
            continue
        check_gold(gf.article, gf.where, articles)
        if gf.article.article_id in out:
            raise InputError(f"second gold for article {gf.article.article_id}", *gf.where("article_id"))
        out[gf.article.article_id] = gf.article
    return out, folder


def _is_saved(folder: Path) -> bool:
    return any((folder / f).exists() for f in ("dataset_dict.json", "dataset_info.json"))


def gold_source_hashes(source: Path) -> dict[str, str]:
    """sha256 of the bytes of every file the gold was read from: YAML file names, the files of a saved dataset (by
    path inside it), or the one data file's name. Provenance; pairing uses `gold_content_sha256`."""
    source = Path(source)
    if source.is_file():
        return {source.name: sha256_bytes(source.read_bytes())}
    if gold_paths(source) or not _is_saved(source):
        return {p.name: sha256_bytes(p.read_bytes()) for p in gold_paths(source)}
    files = sorted(p for p in source.rglob("*") if p.is_file())
    return {p.relative_to(source).as_posix(): sha256_bytes(p.read_bytes()) for p in files}


def _canonical(x: Any) -> Any:
    if isinstance(x, Decimal):  # 3800000, 3.8E+6 and 3800000.0 are one value
        return format(x.normalize(), "f")
    if isinstance(x, dict):
        return {k: _canonical(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_canonical(v) for v in x]
    return x


def gold_content_sha256(gold: dict[str, GoldArticle]) -> dict[str, str]:
    """Per article id, the sha256 of its gold's content as canonical JSON: the same for a YAML file and its export,
    whatever the file format, key order, quoting or comments; different when any field of the gold differs."""
    return {
        aid: sha256_bytes(json.dumps(_canonical(g.model_dump()), sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode("utf-8"))
        for aid, g in sorted(gold.items())
    }  # fmt: skip


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


def load_article_source(path: Path) -> dict[str, Article]:
    """A folder of `.txt` files, a `datasets` dataset saved with `save_to_disk`, or a JSON / JSON Lines / Parquet
    file (columns article_id and text; a gold file of the export's schema is one)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such folder of articles", str(path))
    if path.is_dir() and any(path.glob("*.txt")):  # a folder of .txt files needs nothing of the `datasets` side
        return load_articles(path)
    from harness import corpus_datasets as cd

    if path.is_file():
        return cd.load_articles_file(path)
    if _is_saved(path):
        return cd.load_articles_dataset(path)
    raise InputError("neither .txt articles nor a dataset saved with save_to_disk", str(path))
