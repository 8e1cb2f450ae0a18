"""Content-addressed store of model answers: one JSON file per key, written atomically, readable by people.

The key is the sha256 of a canonical JSON of everything that decides an answer: endpoint identity (never a random
port, never a key), model, messages, instructor mode, response-schema hash, sampling parameters and repeat index.
Layers: the local store (read-write, `.cache/harness/responses/`) first, then read-only recorded stores
(`reports/recorded/`, committed). Hand-written rather than instructor's cache: that one hashes the base URL (a
local server's port changes every run) and keeps neither usage, latency nor explainable key parts.

An entry is read only when it is a regular file named in the store's folder (a symlink, a FIFO or a device is not
followed) and at most `MAX_ENTRY_BYTES` long; anything else is a miss, asked again, and noted in `problems`. A write
that fails for want of file descriptors is tried again briefly before it is given up (and reported by the caller).
An entry is written whole or not at all and is on disk (fsync) before it takes its name: a run killed, or a machine
losing power, leaves either the entry or none.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.files import atomic_write_bytes

KEY_VERSION = 1
DEFAULT_CACHE_DIR = Path(".cache/harness/responses")
DEFAULT_RECORDED_DIR = Path("reports/recorded")
MAX_ENTRY_BYTES = 8 << 20  # an answer is capped at 1 MiB (provider.MAX_ANSWER_BYTES); its entry, indented, fits here
WRITE_TRIES = 5  # attempts at a cache write that fails with EMFILE/ENFILE, 0.05 s, 0.1 s, 0.2 s ... apart


class EntryRefused(ValueError):
    """A cache entry that is not a regular file, or is too big to be one the harness wrote."""


def read_entry_bytes(path: Path, limit: int = MAX_ENTRY_BYTES) -> bytes:
    """The bytes of a regular file at `path`, not through a symlink, at most `limit` of them (else EntryRefused)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EntryRefused(f"{path.name} is a symlink: not followed") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EntryRefused(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise EntryRefused(f"{path.name} has {info.st_size} bytes, over the cap of {limit}")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise EntryRefused(f"{path.name} grew past the cap of {limit} bytes while read")
    return data


def canonical_json(obj: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_LEADS: dict[tuple[tuple[str, str], ...], Any] = {}  # a leading message -> sha256 state after `[<its JSON>,`
_LEADS_KEPT = 64


def messages_sha256(messages: list[dict[str, str]]) -> str:
    """sha256 of `canonical_json(messages)`. The same digest, computed once per run for the part every sample shares:
    a JSON list is `[`, its items' JSON joined by `,`, then `]`, so the state after the leading message (a prompt's
    system text, several KB) is kept and copied (at 500 articles a third of the time it takes to plan a run)."""
    try:
        lead = tuple(sorted(messages[0].items())) if len(messages) > 1 else None
        hash(lead)
    except TypeError:  # a message whose content is not text (a list of parts): no shortcut
        lead = None
    if lead is None:
        return sha256_text(canonical_json(messages))
    state = _LEADS.get(lead)
    if state is None:
        state = hashlib.sha256(("[" + canonical_json(messages[0]) + ",").encode("utf-8"))
        if len(_LEADS) < _LEADS_KEPT:
            _LEADS[lead] = state
    digest = state.copy()
    digest.update((",".join(canonical_json(m) for m in messages[1:]) + "]").encode("utf-8"))
    return digest.hexdigest()


class KeyParts(BaseModel):
    """What decides an answer; its canonical JSON hashes to the cache key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = KEY_VERSION
    endpoint: str
    model: str
    messages_sha256: str
    mode: str
    grammar: bool  # the schema was also sent as a decoding grammar
    schema_sha256: str
    temperature: float
    seed: int | None
    max_tokens: int | None
    repeat: int

    def key(self) -> str:
        return sha256_text(canonical_json(self.model_dump(mode="json")))


class KeyTemplate:
    """Parts that differ only in their messages' digest (one prompt, model and repeat over many articles):
    `fill(digest)` is `parts.model_copy(update={"messages_sha256": digest})` and its `key()`, with the canonical JSON
    around the digest written once (at 500 articles the keys took about half the time to plan the samples)."""

    _MARK = "\x00"  # written `"\u0000"` in JSON; should another part hold it too, every key is worked out in full

    def __init__(self, parts: KeyParts):
        self._parts = parts
        text = canonical_json({**parts.model_dump(mode="json"), "messages_sha256": self._MARK})
        around = text.split(json.dumps(self._MARK))
        self._around = (around[0], around[1]) if len(around) == 2 else None

    def fill(self, digest: str) -> tuple[KeyParts, str]:
        parts = self._parts.model_copy(update={"messages_sha256": digest})
        if self._around is None:
            return parts, parts.key()
        head, tail = self._around
        return parts, sha256_text(head + json.dumps(digest, ensure_ascii=False) + tail)


class Usage(BaseModel):
    """Tokens spent on one sample, every attempt included."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class CacheEntry(BaseModel):
    """One stored answer: the key and its parts, labels for people, the parsed answer, usage and latency."""

    key: str
    parts: KeyParts
    labels: dict[str, str] = {}
    answer: dict[str, Any]
    usage: Usage = Usage()
    latency_s: float = 0.0
    attempts: int = 1
    truncated: bool = False
    created: str = ""
    harness_version: str = ""


class ResponseStore:
    """One folder of `<key>.json` entries."""

    def __init__(self, root: Path, name: str, writable: bool = True):
        self.root = Path(root)
        self.name = name
        self.writable = writable
        self.problems: list[str] = []  # entries refused (a symlink, not a regular file, too big): asked again

    def _read(self, path: Path) -> CacheEntry:
        try:
            return CacheEntry.model_validate_json(read_entry_bytes(path))
        except EntryRefused as exc:
            self.problems.append(f"{self.name} cache entry refused, asked again: {exc}")
            raise

    def path(self, key: str) -> Path:
        return self.root / f"{key}.json"

    def get(self, key: str) -> CacheEntry | None:
        """The entry under `key`, or None when absent or unreadable (an unreadable entry is simply re-requested)."""
        try:
            entry = self._read(self.path(key))
        except (OSError, ValidationError, ValueError):
            return None
        return entry if entry.key == key and entry.parts.key() == key else None

    def put(self, entry: CacheEntry) -> Path:
        if not self.writable:
            raise PermissionError(f"the {self.name} store at {self.root} is read-only")
        path = self.path(entry.key)
        data = (entry.model_dump_json(indent=1) + "\n").encode("utf-8")
        for attempt in range(WRITE_TRIES):
            try:
                atomic_write_bytes(path, data)
                return path
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE) or attempt == WRITE_TRIES - 1:
                    raise
                time.sleep(0.05 * 2**attempt)  # sockets in flight hold the descriptors; some close soon
        return path

    def entries(self) -> Iterator[tuple[Path, CacheEntry | None]]:
        """Every entry file, parsed (None if a file does not parse), in name order."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*.json")):
            try:
                yield path, self._read(path)
            except (OSError, ValidationError, ValueError):
                yield path, None


@dataclass(frozen=True)
class Hit:
    entry: CacheEntry
    layer: str
    path: Path


class ResponseCache:
    """The layered cache: the local store first (the only one written), then recorded stores, read-only."""

    def __init__(self, local: ResponseStore | None, recorded: list[ResponseStore] | None = None):
        self.local = local
        self.layers = [s for s in [local, *(recorded or [])] if s is not None]

    @classmethod
    def open(cls, cache_dir: Path | None, recorded_dirs: list[Path] | None = None) -> ResponseCache:
        local = ResponseStore(cache_dir, "local") if cache_dir is not None else None
        recorded = [ResponseStore(d, "recorded", writable=False) for d in recorded_dirs or []]
        return cls(local, recorded)

    def lookup(self, key: str) -> Hit | None:
        for store in self.layers:
            entry = store.get(key)
            if entry is not None:
                return Hit(entry, store.name, store.path(key))
        return None

    def put(self, entry: CacheEntry) -> Path | None:
        return self.local.put(entry) if self.local is not None else None

    def near_misses(self, parts: KeyParts, limit: int = 5) -> list[tuple[str, Path, dict[str, Any]]]:
        """Stored entries closest to `parts` and the fields where they differ: the answer to "why a miss?"."""
        want = parts.model_dump(mode="json")
        scored = []
        for store in self.layers:
            for path, entry in store.entries():
                if entry is None:
                    continue
                have = entry.parts.model_dump(mode="json")
                diff = {k: have.get(k) for k in want if have.get(k) != want[k]}
                if diff:
                    scored.append((len(diff), store.name, path, diff))
        scored.sort(key=lambda t: (t[0], str(t[2])))
        return [(name, path, diff) for _, name, path, diff in scored[:limit]]
