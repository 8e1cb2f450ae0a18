"""The direct path of a request: instructor's own prepared request, with this article's user message put in, sent
straight through the run's Wire, and its answer taken only when it is clean — status 200, not cut at max_tokens, a
message whose content validates as the response model. That is what instructor's JSON mode reads from the same reply
(it validates the message content as the model). Any other reply (an error status, a fault, a cut or refused answer,
text that does not validate) is handed to instructor together with the reply (`REPLAY`, which the guarded transport
of harness.extract.transport answers with), so instructor re-asks or fails exactly as it does for a reply it fetched
itself, and nothing is sent twice. openai and instructor (about a second and a half of imports) are loaded only when
a sample needs them.

Prepared requests: instructor builds the same request for every article but the user message. Once two articles of
a run have shown that (`Prepared.offer`), the request with a placeholder for the user message is kept, in memory and
in `<user cache>/prepared/`, keyed by everything it was built from, instructor's version included, so a later run
sends its first request before importing instructor.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.extract.wire import Headers, Wire
from harness.files import atomic_write_text, default_cache_dir, dist_version

FORMAT = 1  # bump when what post_chat (harness.extract.structured) adds to instructor's request changes
_SENTINEL = "\u0000harness: the article's user message\u0000"
_ENCODED = json.dumps(_SENTINEL)


@dataclass(frozen=True)
class Template:
    """A prepared request body as JSON text, split where the user message goes."""

    head: str
    tail: str

    def fill(self, user: str) -> bytes:
        return (self.head + json.dumps(user, ensure_ascii=False) + self.tail).encode("utf-8")

    @classmethod
    def of(cls, text: str) -> Template | None:
        parts = text.split(_ENCODED)
        return cls(parts[0], parts[1]) if len(parts) == 2 else None


def instructor_version() -> str:
    return dist_version("instructor") or "none"


class Prepared:
    """Prepared requests by key: known in this run, read from `folder`, or confirmed by two articles' requests."""

    def __init__(self, folder: Path | None):
        self._folder = folder
        self._known: dict[str, Template | None] = {}
        self._first: dict[str, tuple[str, str]] = {}  # key -> the first article's request (placeholder in), user

    @staticmethod
    def key(material: dict[str, Any]) -> str:
        """sha256 of what the request was built from (mode, response model, system message, model, sampling...)."""
        text = json.dumps({"format": FORMAT, **material}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Template | None:
        if key not in self._known:
            self._known[key] = self._read(key)
        return self._known[key]

    def offer(self, key: str, body: dict[str, Any], user: str) -> None:
        """instructor's first request of an article (`user` its user message): kept once a second article's
        request, placeholder in, is the same text."""
        if self._known.get(key) is not None:
            return
        messages = body.get("messages")
        if not (isinstance(messages, list) and len(messages) == 2 and messages[1] == {"role": "user", "content": user}):
            return
        text = json.dumps({**body, "messages": [messages[0], {"role": "user", "content": _SENTINEL}]})
        seen = self._first.setdefault(key, (text, user))
        if seen[1] == user:  # the first article, or the same message again: nothing shown yet
            return
        if seen[0] == text and (template := Template.of(text)) is not None:
            self._known[key] = template
            self._write(key, text)

    def _path(self, key: str) -> Path | None:
        return self._folder / f"{key}.json" if self._folder is not None else None

    def _read(self, key: str) -> Template | None:
        path = self._path(key)
        try:
            if path is None or not path.is_file() or path.stat().st_size > (1 << 22):
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # unreadable: instructor prepares the request again, and a good copy replaces it
        if not (isinstance(data, dict) and data.get("key") == key and isinstance(data.get("request"), str)):
            return None
        return Template.of(data["request"])

    def _write(self, key: str, text: str) -> None:
        path = self._path(key)
        if path is None:
            return
        with contextlib.suppress(OSError):  # a read-only cache folder: the next run prepares the request again
            atomic_write_text(path, json.dumps({"key": key, "request": text}, ensure_ascii=False) + "\n")


def prepared_dir() -> Path:
    """`$HARNESS_PREPARED_DIR`, else `prepared/` in the harness's own cache (`harness.files.default_cache_dir`)."""
    if own := os.environ.get("HARNESS_PREPARED_DIR"):
        return Path(own).expanduser()
    return default_cache_dir() / "prepared"


@dataclass
class Replay:
    """A request the direct path sent (its JSON body, parsed) and what came of it, for instructor to read."""

    body: Any
    reply: Reply


# The direct path's request being handed to instructor: its first request, if equal, is answered with the reply.
REPLAY: ContextVar[Replay | None] = ContextVar("harness_replay", default=None)

# The article whose request instructor is about to prepare, for `post_chat` to offer: (store, key, user message).
CAPTURE: ContextVar[tuple[Prepared, str, str] | None] = ContextVar("harness_capture", default=None)


def capture(body: dict[str, Any]) -> None:
    """Offer instructor's first request of an article to its store (called by post_chat with the body it posts)."""
    seen = CAPTURE.get()
    if seen is not None:
        CAPTURE.set(None)  # the first request only: a re-ask carries more messages
        store, key, user = seen
        store.offer(key, body, user)


@dataclass
class Reply:
    """What the direct path got: status, headers and body, or the exception raised instead."""

    status: int = 0
    headers: Headers | None = None
    content: bytes = b""
    error: BaseException | None = None


class Direct:
    """Chat-completion requests sent straight through `wire`, with openai's headers' substance (bearer key, JSON)."""

    def __init__(self, wire: Wire, base_url: str, api_key: str, deadline: float, on_send: Callable[[], None]):
        from harness import __version__

        self._wire = wire
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._deadline = deadline
        self._on_send = on_send
        headers = {"Accept": "application/json", "Content-Type": "application/json", "Accept-Encoding": "identity",
                   "User-Agent": f"harness/{__version__}", "Authorization": f"Bearer {api_key}"}  # fmt: skip
        for name, env in (("OpenAI-Organization", "OPENAI_ORG_ID"), ("OpenAI-Project", "OPENAI_PROJECT_ID")):
            if os.environ.get(env):  # as the openai client sends them
                headers[name] = os.environ[env]
        self._headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def post(self, body: bytes) -> Reply:
        """Send one request; every fault is returned in the reply, never raised."""
        self._on_send()
        try:
            async with asyncio.timeout(self._deadline):  # the whole exchange, connecting included
                status, headers, content = await self._wire.exchange("POST", self._url, self._headers, body)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # handed to instructor, which raises it as openai would
            return Reply(error=exc)
        return Reply(status, headers, content)


def clean_answer(reply: Reply, model: type[BaseModel]) -> tuple[BaseModel, int, int] | None:
    """The answer and its prompt and completion tokens when the reply is clean (see the module's docstring)."""
    if reply.error is not None or reply.status != 200:
        return None
    try:
        data = json.loads(reply.content)
        choice = data["choices"][0]
        message = choice["message"]
        text = message["content"]
        usage = data.get("usage") or {}
        tokens = usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    if not isinstance(text, str) or not text.strip() or choice.get("finish_reason") == "length":
        return None
    if message.get("refusal") is not None or message.get("tool_calls") or not all(type(t) is int for t in tokens):
        return None
    try:
        return model.model_validate_json(text, strict=False), tokens[0], tokens[1]
    except ValidationError:
        return None
