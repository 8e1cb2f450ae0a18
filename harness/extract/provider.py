"""One OpenAI-compatible endpoint behind instructor: the client is built once, each request retried with back-off.

Transport faults (connection, timeout, 429, 5xx) are retried here with exponential back-off that honours
Retry-After, within a bounded number of attempts; the openai client's own retries are off so every attempt is
counted. Answers that do not fit the response model are re-asked by instructor (`max_retries`). Tokens of every
attempt are tallied through instructor's hooks. The API key lives only in the client object: it is never put in
a record, a cache entry or a log line.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ValidationError

from harness.extract.cache import Usage
from harness.extract.response import ClaimsAnswer, instructor_model, salvage

# instructor modes offered on the command line (llama_cpp.server: json and tools work, json_schema does not).
MODES = {"json": "JSON", "md_json": "MD_JSON", "tools": "TOOLS", "json_schema": "JSON_SCHEMA"}
FailureKind = Literal["transport", "timeout", "http_status", "malformed", "schema", "empty", "length", "error"]
RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}
LOCAL_PREFIX = "local:"


class GenParams(BaseModel):
    """Generation and retry settings of a run (all of them go in the run record)."""

    temperature: float = 0.0
    seed: int | None = 0
    max_tokens: int | None = 2048
    mode: str = "json"
    max_retries: int = 2  # instructor re-asks after an answer that does not fit the response model
    max_attempts: int = 4  # transport attempts per request (429/5xx/timeout/connection), first one included
    timeout: float | None = None  # seconds per HTTP request; None: the run decides (see `with_defaults`)
    grammar: bool | None = None  # json mode: also send the schema as llama_cpp.server's grammar (compact output)
    backoff_base: float = 0.5  # first back-off in seconds, doubled per attempt, with jitter
    backoff_max: float = 30.0
    retry_after_max: float = 60.0  # a longer Retry-After is capped here

    def with_defaults(self, local: bool) -> GenParams:
        """Fill what depends on the endpoint: the embedded model on a CPU gets a long timeout (a timed-out request
        keeps its single slot busy, so a retry would only queue behind it), other endpoints 300 s. The grammar stays
        off unless asked for: with it the 1.5B model tends to close the claims list at once."""
        return self.model_copy(update={
            "timeout": self.timeout if self.timeout is not None else (1800.0 if local else 300.0),
            "grammar": bool(self.grammar),
        })  # fmt: skip


class Failure(BaseModel):
    """Why a sample has no answer."""

    kind: FailureKind
    message: str
    status: int | None = None


@dataclass
class Outcome:
    """The result of one logical request: an answer or a failure, with its attempts, tokens and wall time.

    `truncated`: the answer was cut at max_tokens and holds the claims completed before the cut.
    """

    answer: ClaimsAnswer | None
    usage: Usage
    attempts: int
    latency_s: float
    failure: Failure | None = None
    truncated: bool = False


def mode_name(mode: str) -> str:
    """Canonical lower-case mode name; ValueError for an unknown one."""
    m = mode.strip().lower()
    if m not in MODES:
        raise ValueError(f"unknown instructor mode {mode!r} (choose from {', '.join(MODES)})")
    return m


def remote_identity(base_url: str) -> str:
    """An endpoint's cache identity: its URL without credentials, query or fragment (no secret ever lands in a key)."""
    parts = urlsplit(base_url.strip())
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def local_identity(model_file: Path | None, pinned_sha256: str, verified: bool) -> str:
    """`local:<sha256 of the GGUF>`: the same on every machine whatever port the server got.

    The pinned file (verified at set-up) is named by its pin without re-reading 1 GB; any other file is hashed.
    """
    if model_file is None or verified:
        return LOCAL_PREFIX + pinned_sha256
    digest = hashlib.sha256()
    with Path(model_file).open("rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    return LOCAL_PREFIX + digest.hexdigest()


class _Tally:
    """Per-request counters, reached from instructor's hooks through a context variable (one per asyncio task)."""

    __slots__ = ("completion_tokens", "errors", "prompt_tokens", "responses")

    def __init__(self) -> None:
        self.responses = self.errors = self.prompt_tokens = self.completion_tokens = 0


_TALLY: ContextVar[_Tally | None] = ContextVar("harness_request_tally", default=None)


def _on_response(response: Any) -> None:
    tally = _TALLY.get()
    if tally is None:
        return
    tally.responses += 1
    usage = getattr(response, "usage", None)
    if usage is not None:
        tally.prompt_tokens += getattr(usage, "prompt_tokens", 0) or 0
        tally.completion_tokens += getattr(usage, "completion_tokens", 0) or 0


def _on_error(_error: Exception, **_: Any) -> None:
    tally = _TALLY.get()
    if tally is not None:
        tally.errors += 1


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


def _salvaged(exc: BaseException) -> ClaimsAnswer | None:
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


def _check_response_models_once() -> None:
    """Make instructor's async-validator check run once per response-model class instead of on every call.

    instructor runs it six times per request, each walking the whole pydantic class hierarchy: about a third of the
    client's CPU per request. The model class is fixed for a run, so a class that passed once is remembered; one
    that fails still fails every time. If instructor's layout changes, nothing is replaced.
    """
    import importlib
    import weakref

    try:
        checks = importlib.import_module("instructor.v2.validation.async_validators")
        patch = importlib.import_module("instructor.v2.core.patch")
    except ImportError:
        return
    original = getattr(checks, "reject_async_validators", None)
    if original is None or getattr(original, "harness_once", False):
        return
    passed: weakref.WeakSet[type] = weakref.WeakSet()

    def reject_async_validators(response_model: Any) -> None:
        if isinstance(response_model, type) and response_model in passed:
            return
        original(response_model)
        if isinstance(response_model, type):
            passed.add(response_model)

    reject_async_validators.harness_once = True  # type: ignore[attr-defined]
    checks.reject_async_validators = reject_async_validators
    if getattr(patch, "reject_async_validators", None) is original:
        patch.reject_async_validators = reject_async_validators


def _retryable(failure: Failure) -> bool:
    if failure.kind in ("transport", "timeout"):
        return True
    return failure.kind == "http_status" and failure.status in RETRYABLE_STATUS


class Provider:
    """An OpenAI-compatible endpoint wrapped by instructor; build one per run and share it across requests.

    instructor patches a thin create function that posts the prepared request with the openai client's own
    `post` (the client's documented way to call an endpoint directly): the answer, errors and retries are the
    same as `chat.completions.create`, without re-walking the typed request on every call. Endpoints on this
    machine get the lean loopback transport.
    """

    def __init__(self, base_url: str, api_key: str | None, params: GenParams):
        import httpx2
        import instructor
        import openai
        from openai.types.chat import ChatCompletion

        from harness.extract.transport import LoopbackTransport, is_loopback_http

        logging.getLogger("instructor").setLevel(logging.CRITICAL)  # faults are recorded per sample instead
        params = params.with_defaults(local=False) if params.timeout is None or params.grammar is None else params
        self.params = params
        http_client = None
        if is_loopback_http(base_url):
            http_client = httpx2.AsyncClient(transport=LoopbackTransport(), timeout=params.timeout)
        self._secrets = [k for k in (api_key, api_key[:12] if api_key and len(api_key) > 16 else None) if k]
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "unused", max_retries=0, timeout=params.timeout,
            http_client=http_client,
        )  # fmt: skip
        client = self._client
        grammar = {"type": "json_object", "schema": ClaimsAnswer.model_json_schema()} if params.grammar else None

        async def post_chat(**body: Any) -> Any:
            if grammar is not None and body.get("response_format") == {"type": "json_object"}:
                body["response_format"] = grammar  # llama_cpp.server turns the schema into a grammar
            raw = await client.post("/chat/completions", body=body, cast_to=httpx2.Response)  # raises on a status
            try:  # one pass in pydantic-core; the client's own lenient path for anything that does not validate
                return ChatCompletion.model_validate_json(raw.content)
            except ValidationError:
                return client._process_response_data(data=raw.json(), cast_to=ChatCompletion, response=raw)

        _check_response_models_once()

        mode = getattr(instructor.Mode, MODES[mode_name(params.mode)])
        self._instructor = instructor.AsyncInstructor(
            client=client, create=instructor.patch(create=post_chat, mode=mode), mode=mode,
        )  # fmt: skip
        self._instructor.on("completion:response", _on_response)
        self._instructor.on("completion:error", _on_error)
        self._model = instructor_model()
        self._sampling: dict[str, Any] = {"temperature": params.temperature}
        if params.seed is not None:
            self._sampling["seed"] = params.seed
        if params.max_tokens is not None:
            self._sampling["max_tokens"] = params.max_tokens
        # A guard over one instructor call (all its re-asks): a server that trickles bytes cannot hang a sample.
        self._guard = params.timeout * (params.max_retries + 1) + 5.0

    async def aclose(self) -> None:
        await self._client.close()

    async def _once(self, messages: list[dict[str, str]], model: str) -> ClaimsAnswer:
        async with asyncio.timeout(self._guard):
            return await self._instructor.create(
                model=model, messages=messages, response_model=self._model,  # type: ignore[arg-type]
                max_retries=self.params.max_retries, strict=False, **self._sampling,
            )  # fmt: skip

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.params.retry_after_max)
        base = min(self.params.backoff_base * (2 ** (attempt - 1)), self.params.backoff_max)
        return base * (0.5 + random.random() / 2)

    def _redacted(self, failure: Failure) -> Failure:
        """An endpoint may echo the key in its error text ("Incorrect API key provided: sk-..."): never keep it."""
        message = failure.message
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return failure if message == failure.message else failure.model_copy(update={"message": message})

    async def request(
        self, messages: list[dict[str, str]], model: str, slot: asyncio.Semaphore | None = None
    ) -> Outcome:
        """Ask once for `messages`, retrying transport faults; never raises for a fault of the endpoint.

        `slot` (the run's concurrency limit) is held only while a request is in flight, not while backing off.
        The latency runs from the first attempt's start to the end, back-off included, queueing excluded.
        """
        tally = _Tally()
        token = _TALLY.set(tally)
        start: float | None = None  # set when the first attempt starts: waiting for a free slot is not latency
        failure: Failure | None = None
        answer: ClaimsAnswer | None = None
        truncated = False
        try:
            for attempt in range(1, self.params.max_attempts + 1):
                try:
                    if slot is None:
                        start = start or time.perf_counter()
                        answer = await self._once(messages, model)
                    else:
                        async with slot:
                            start = start or time.perf_counter()
                            answer = await self._once(messages, model)
                    failure = None
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # every fault of the endpoint becomes a recorded failure
                    if type(exc) is TimeoutError:  # our guard fired: no instructor hook saw this attempt end
                        tally.errors += 1
                    failure, retry_after = classify(exc)
                    failure = self._redacted(failure)
                    if failure.kind == "length":
                        answer = _salvaged(exc)
                        if answer is not None:
                            truncated, failure = True, None
                        break
                    if not _retryable(failure) or attempt == self.params.max_attempts:
                        break
                    await asyncio.sleep(self._backoff(attempt, retry_after))
        finally:
            _TALLY.reset(token)
        usage = Usage(prompt_tokens=tally.prompt_tokens, completion_tokens=tally.completion_tokens)
        attempts = max(tally.responses + tally.errors, 1)
        latency = time.perf_counter() - start if start is not None else 0.0
        return Outcome(answer=answer, usage=usage, attempts=attempts, latency_s=latency,
                       failure=failure, truncated=truncated)  # fmt: skip
