"""A variant folder written and read back: `seeds/<id>.txt`, `gold/<id>.yaml` (generated, with a header saying
so) and `variants.json`, the manifest tying each variant to the hashes of its original text and gold file and
listing every rewrite made. `harness compare --variant` reads the manifest to pair a run on the originals with a
run on the variant."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from harness.errors import InputError
from harness.files import atomic_write_text, read_json_model
from harness.schema import Article, GoldArticle
from harness.variants.apply import Variant

__all__ = ["MANIFEST", "ArticleVariant", "Manifest", "RewriteRecord", "gold_yaml", "read_manifest", "write_variants"]

MANIFEST = "variants.json"
MANIFEST_VERSION = 1
CHOICE = (
    "deterministic, no randomness: every occurrence of a form is rewritten by its rule; scaled numbers alternate "
    "full digits / compact by the order in which their values first occur; names come from fixed lists in the "
    "order speakers and name tokens appear"
)


class RewriteRecord(BaseModel):
    kind: str
    rule: str
    old: str
    new: str
    start: int  # offset of `old` in the original text
    new_start: int  # offset of `new` in the variant text


class SkippedRecord(BaseModel):
    kind: str
    rule: str
    old: str
    new: str
    why: str


class ArticleVariant(BaseModel):
    origin_text_sha256: str
    origin_gold_file: str
    origin_gold_sha256: str
    text_sha256: str
    gold_file: str
    gold_sha256: str
    names: dict[str, str] = {}
    rewrites: list[RewriteRecord] = []
    skipped: list[SkippedRecord] = []


class Manifest(BaseModel):
    manifest_version: int = MANIFEST_VERSION
    kind: str
    command: str
    choice: str = CHOICE
    articles: dict[str, ArticleVariant]


def _plain(obj: Any) -> Any:
    """Decimals as the YAML numbers the hand-written gold uses (2000000, 14.6); the rest unchanged."""
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def gold_yaml(gold: GoldArticle, origin: str, kind: str) -> str:
    """The variant's gold file: a header naming its origin and the command, then the gold as YAML."""
    header = (
        f"# Generated from gold/{origin} by `harness variants make --kind {kind}`; do not edit: regenerate it.\n"
        f"# Its text is seeds/{gold.article_id}.txt beside this folder; values are the original gold's, raws,\n"
        "# spans and names as they now occur (variants.json lists every rewrite).\n"
    )
    body = yaml.safe_dump(_plain(gold.model_dump()), allow_unicode=True, sort_keys=False, width=100_000)
    return header + body


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_variants(out: Path, kind: str, made: dict[str, tuple[Article, Path, Variant]]) -> Manifest:
    """Write every variant (article id -> original article, its gold file, the variant) and the manifest under
    `out`; the gold's sha256 is that of the text bytes written."""
    out = Path(out)
    articles: dict[str, ArticleVariant] = {}
    for aid, (article, gold_path, v) in sorted(made.items()):
        data = v.text.encode("utf-8")
        atomic_write_text(out / "seeds" / f"{aid}.txt", v.text)
        v.gold.sha256 = _sha(data)
        text = gold_yaml(v.gold, gold_path.name, kind)
        atomic_write_text(out / "gold" / f"{aid}.yaml", text)
        articles[aid] = ArticleVariant(
            origin_text_sha256=article.sha256, origin_gold_file=gold_path.name,
            origin_gold_sha256=_sha(gold_path.read_bytes()), text_sha256=v.gold.sha256, gold_file=f"{aid}.yaml",
            gold_sha256=_sha(text.encode("utf-8")), names=v.names,
            rewrites=[RewriteRecord(kind=r.kind, rule=r.rule, old=r.old, new=r.new, start=r.start, new_start=n)
                      for r, n in v.rewrites],
            skipped=[SkippedRecord(**s.__dict__) for s in v.skipped],
        )  # fmt: skip
    manifest = Manifest(kind=kind, command=f"harness variants make --kind {kind}", articles=articles)
    atomic_write_text(out / MANIFEST, manifest.model_dump_json(indent=1) + "\n")
    return manifest


def read_manifest(path: Path) -> Manifest:
    """`variants.json`, or the variant folder holding it; InputError when missing or not a manifest."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    m = read_json_model(path, Manifest, "the variants manifest", "a variants manifest")
    if m.manifest_version != MANIFEST_VERSION:
        raise InputError(f"variants manifest version {m.manifest_version} is not {MANIFEST_VERSION}", str(path))
    return m
