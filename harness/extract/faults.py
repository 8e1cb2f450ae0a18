"""What went wrong with a request: openai/instructor exceptions mapped to the failure kinds a record keeps.

A record names the kind of fault (transport, timeout, HTTP status, malformed, schema, empty, cut at max_tokens, an
oversized answer), never the exception; the server's Retry-After is read off the fault here for the retry policy to
honour. A failure's message is the one text of a server that enters a record, so it is made safe here, once: the
key redacted (any 8 characters of it, plain, URL- or base64-encoded), terminal escapes and control characters
removed, and only then cut to `MESSAGE_CHARS` — the terminal, report.md and report.html show it as it is.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import quote, quote_plus

from pydantic import BaseModel, ValidationError

from harness.extract.response import salvage
from harness.extract.wire import AnswerTooLarge

FailureKind = Literal[
    "transport", "timeout", "http_status", "malformed", "schema", "empty", "length", "oversized", "error"
]  # fmt: skip
MESSAGE_CHARS = 500  # a failure message is cut here, after redaction
SCAN_CHARS = 65_536  # an error text is read this far at most (bounded work on a huge error body)
SECRET_RUN = 8  # this many characters of a key in a row are redacted wherever they stand

# ANSI/ECMA-48 escapes: OSC (title, hyperlink) up to BEL or ST; CSI (colours, clear screen, cursor); DCS/SOS/PM/APC
# strings; the two-byte escapes; their C1 forms. What remains of C0/C1, DEL and the bidi overrides becomes a space.
_ESCAPES = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def sanitized(text: str) -> str:
    """One line of inert text: escape sequences dropped, control characters (newlines too) made spaces."""
    return " ".join(_CONTROLS.sub(" ", _ESCAPES.sub("", text)).split())


def _secret_forms(secret: str) -> set[str]:
    """The key as a server may echo it: plain, URL-encoded, base64 (standard and URL-safe, at each alignment)."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    raw = secret.encode("utf-8")
    for skip in range(3):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            text = enc(raw[skip:]).decode("ascii").rstrip("=")
            forms.add(text[:-2] if len(text) > SECRET_RUN + 2 else text)  # the last characters depend on what follows
    return forms


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every run of `SECRET_RUN` or more characters of a secret (or a whole shorter one) as `***`."""
    grams: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        if len(secret) < SECRET_RUN:
            text = text.replace(secret, "***")
            continue
        for form in _secret_forms(secret):
            grams.update(form[i : i + SECRET_RUN] for i in range(len(form) - SECRET_RUN + 1))
    if not grams:
        return text
    spans: list[list[int]] = []
    for i in range(len(text) - SECRET_RUN + 1):
        if text[i : i + SECRET_RUN] in grams:
            if spans and i <= spans[-1][1]:
                spans[-1][1] = i + SECRET_RUN
            else:
                spans.append([i, i + SECRET_RUN])
    for start, end in reversed(spans):
        text = text[:start] + "***" + text[end:]
    return text


def server_text(text: str, secrets: Iterable[str] = ()) -> str:
    """A text from a server made safe for a record, a terminal and a report: redacted, sanitised, then cut."""
    secrets = list(secrets)
    text = redact(text[:SCAN_CHARS], secrets)
    return redact(sanitized(text), secrets)[:MESSAGE_CHARS]


class Failure(BaseModel):
    """Why a sample has no answer."""

    kind: FailureKind
    message: str
    status: int | None = None


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date); None if absent or bad."""
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _empty_completion(completion: Any) -> bool:
    choices = getattr(completion, "choices", None)
    if not choices:
        return True
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    return not (content and content.strip()) and not getattr(message, "tool_calls", None)


def _too_large(exc: BaseException) -> AnswerTooLarge | None:
    seen: BaseException | None = exc
    for _ in range(5):  # openai wraps a transport's exception in APIConnectionError, instructor in its own
        if seen is None or isinstance(seen, AnswerTooLarge):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def classify(exc: BaseException, secrets: Iterable[str] = ()) -> tuple[Failure, float | None]:
    """Map an exception from openai/instructor to a failure kind, and a Retry-After if the server sent one.

    `secrets` (the API key) are redacted from the message before it is cut (see `server_text`)."""
    big = _too_large(exc)
    if big is not None:
        return Failure(kind="oversized", message=server_text(str(big), secrets)), None
    if type(exc) is TimeoutError:  # the provider's own guard: no need to load openai to say so
        return Failure(kind="timeout", message=server_text(f"TimeoutError: {exc}", secrets)), None
    import openai
    from instructor.core import IncompleteOutputException, InstructorRetryException, ResponseParsingError

    last_completion = None
    if isinstance(exc, InstructorRetryException):
        last_completion = getattr(exc, "last_completion", None)
        exc = exc.__cause__ or exc
    cause = exc.__cause__ if isinstance(exc, openai.APIConnectionError) and exc.__cause__ else None
    msg = f"{type(exc).__name__}: {exc}" + (f" ({type(cause).__name__}: {cause})" if cause else "")
    msg = server_text(msg, secrets)
    if isinstance(exc, (TimeoutError, openai.APITimeoutError)):
        return Failure(kind="timeout", message=msg), None
    if isinstance(exc, openai.APIConnectionError):
        return Failure(kind="transport", message=msg), None
    if isinstance(exc, openai.APIStatusError):
        return Failure(kind="http_status", message=msg, status=exc.status_code), retry_after_seconds(
            exc.response.headers
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return Failure(kind="malformed", message=msg), None
    if isinstance(exc, IncompleteOutputException):
        return Failure(kind="length", message="the answer was cut at max_tokens"), None
    if isinstance(exc, ResponseParsingError) or (last_completion is not None and _empty_completion(last_completion)):
        return Failure(kind="empty", message=msg), None
    if isinstance(exc, json.JSONDecodeError):
        return Failure(kind="malformed", message=msg), None
    if isinstance(exc, ValidationError):
        bad_json = any(e.get("type") == "json_invalid" for e in exc.errors())
        return Failure(kind="malformed" if bad_json else "schema", message=msg), None
    return Failure(kind="error", message=msg), None


def salvaged(exc: BaseException, read: Callable[[str], BaseModel | None] | None = None) -> BaseModel | None:
    """The completed claims of an answer cut at max_tokens, from the exception's last completion."""
    completion = getattr(exc, "last_completion", None)
    choices = getattr(completion, "choices", None) or []
    if not choices:
        return None
    message = choices[0].message
    text = message.content or ""
    if not text and getattr(message, "tool_calls", None):
        text = message.tool_calls[0].function.arguments or ""
    return (read or salvage)(text)
