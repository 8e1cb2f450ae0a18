"""What went wrong with a request: openai/instructor exceptions mapped to the failure kinds a record keeps.

A record names the kind of fault (transport, timeout, HTTP status, malformed, schema, empty, cut at max_tokens),
never the exception; the server's Retry-After is read off the fault here for the retry policy to honour.
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from harness.extract.response import ClaimsAnswer, salvage

FailureKind = Literal["transport", "timeout", "http_status", "malformed", "schema", "empty", "length", "error"]


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


def classify(exc: BaseException) -> tuple[Failure, float | None]:
    """Map an exception from openai/instructor to a failure kind, and a Retry-After if the server sent one."""
    import openai
    from instructor.v2.core.errors import IncompleteOutputException, InstructorRetryException, ResponseParsingError

    last_completion = None
    if isinstance(exc, InstructorRetryException):
        last_completion = getattr(exc, "last_completion", None)
        exc = exc.__cause__ or exc
    cause = exc.__cause__ if isinstance(exc, openai.APIConnectionError) and exc.__cause__ else None
    msg = f"{type(exc).__name__}: {exc}" + (f" ({type(cause).__name__}: {cause})" if cause else "")
    msg = " ".join(msg.split())[:500]
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


def salvaged(exc: BaseException) -> ClaimsAnswer | None:
    """The completed claims of an answer cut at max_tokens, from the exception's last completion."""
    completion = getattr(exc, "last_completion", None)
    choices = getattr(completion, "choices", None) or []
    if not choices:
        return None
    message = choices[0].message
    text = message.content or ""
    if not text and getattr(message, "tool_calls", None):
        text = message.tool_calls[0].function.arguments or ""
    return salvage(text)
