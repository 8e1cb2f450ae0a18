"""Splitting a run's articles over machines: the `I/N` spec, the stable hash that puts each article in one shard,
and what a run record keeps of its shard (or of the shards it was merged from).

An article's shard is `int.from_bytes(sha256(article_id as UTF-8)[:8], "big") % N + 1`: shards are numbered from
1 to N, and the same id lands in the same shard on every machine, Python version and run (Python's own hash() of a
string is salted per process). The split is by article, so every prompt, model and repeat of an article stays in
one shard, as the paired comparisons and per-article scores need.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from harness.errors import InputError
from harness.schema import Article

_SPEC = re.compile(r"([0-9]+)/([0-9]+)")
MAX_SHARDS = 100_000


def shard_of(article_id: str, count: int) -> int:
    """The shard (1..count) that holds this article."""
    digest = hashlib.sha256(article_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def _parse(spec: str) -> tuple[int, int]:
    m = _SPEC.fullmatch(spec.strip())
    if not m:
        raise InputError(f"--shard {spec!r}: expected I/N, shard I of N numbered from 1 (e.g. 2/3)")
    index, count = int(m[1]), int(m[2])
    if not 1 <= count <= MAX_SHARDS:
        raise InputError(f"--shard {spec!r}: the number of shards must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise InputError(f"--shard {spec!r}: shards are numbered from 1 to {count} (1/{count} ... {count}/{count})")
    return index, count


class Shard(BaseModel):
    """Shard `index` of `count`, numbered from 1; made from the string `I/N` too."""

    model_config = ConfigDict(frozen=True)

    index: int
    count: int

    @model_validator(mode="before")
    @classmethod
    def _from_spec(cls, data: Any) -> Any:
        if isinstance(data, str):
            index, count = _parse(data)
            return {"index": index, "count": count}
        return data

    @model_validator(mode="after")
    def _in_range(self) -> Shard:
        _parse(f"{self.index}/{self.count}")
        return self

    @classmethod
    def parse(cls, spec: str) -> Shard:
        """`I/N` as a Shard; anything else is an InputError naming --shard."""
        index, count = _parse(spec)
        return cls(index=index, count=count)

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, article_id: str) -> bool:
        return shard_of(article_id, self.count) == self.index


class ShardRef(Shard):
    """What a shard's run record keeps: which shard, and the articles it was cut from (so that `harness merge`
    can tell shards of one split from shards of another)."""

    corpus_articles: int  # articles before the split
    corpus_sha256: str  # sha256 of the "article_id sha256" lines of every article before the split, by id

    def note(self, taken: int) -> str:
        return (
            f"shard {self.label}: {taken} of {self.corpus_articles} articles; `harness merge` joins the shards into "
            "one run"
        )


class MergeRef(BaseModel):
    """What a merged run record keeps: the shard runs it joined, and the shards missing from a partial merge."""

    count: int
    shards: list[int]
    runs: list[str]  # the shards' run ids, in shard order
    missing: list[int] = []
    partial: bool = False


def corpus_hash(articles: Mapping[str, Article]) -> str:
    """One hash for a set of articles, their ids and texts, whatever their order."""
    lines = "".join(f"{aid} {articles[aid].sha256}\n" for aid in sorted(articles))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def take(shard: Shard, articles: Mapping[str, Article]) -> tuple[dict[str, Article], ShardRef]:
    """The articles of this shard, in their order, and the record's note of the split."""
    kept = {aid: a for aid, a in articles.items() if shard.holds(aid)}
    ref = ShardRef(index=shard.index, count=shard.count, corpus_articles=len(articles),
                   corpus_sha256=corpus_hash(articles))  # fmt: skip
    return kept, ref
