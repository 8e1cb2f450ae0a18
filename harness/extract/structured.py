"""instructor's set-up for a run: the mode, a lean create function, its hooks and a once-per-class model check.

instructor patches a thin create function that posts the prepared request with the openai client's own `post`
(the client's documented way to call an endpoint directly): the answer, errors and retries are the same as
`chat.completions.create`, without re-walking the typed request on every call. Its hooks feed the retry policy's
token counts.

Public API only, but for two speed-ups: `_check_response_models_once` wraps instructor's internal async-validator
check (no public switch exists) and `_prepare_once` memoises instructor's request preparation (the JSON-schema
prompt it rebuilds on every call) through its mode registry; each changes nothing when instructor's layout moves,
and tests/test_dependency_versions.py pins the versions they were checked against.
"""

from __future__ import annotations

import copy
import importlib
import json
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from harness.extract.direct import capture
from harness.extract.params import MODES, GenParams, mode_name
from harness.extract.retry import on_error, on_response

if TYPE_CHECKING:
    import instructor
    import openai

# The response schema of the request being made (a prompt may name its own), when it is sent as the grammar too.
_SCHEMA: ContextVar[dict[str, Any] | None] = ContextVar("harness_response_schema", default=None)


@asynccontextmanager
async def use_schema(schema: dict[str, Any], grammar: bool) -> AsyncIterator[None]:
    """Within this block, JSON-mode requests send `schema` as their decoding grammar when `grammar` is true."""
    token = _SCHEMA.set(schema if grammar else None)
    try:
        yield
    finally:
        _SCHEMA.reset(token)


def structured_client(client: openai.AsyncOpenAI, params: GenParams) -> instructor.AsyncInstructor:
    """An instructor client over `client` in the run's mode, its hooks feeding the per-request tally."""
    import httpx2
    import instructor
    import openai
    from openai.types.chat import ChatCompletion

    logging.getLogger("instructor").setLevel(logging.CRITICAL)  # faults are recorded per sample instead

    async def post_chat(**body: Any) -> Any:
        grammar = _SCHEMA.get()
        if grammar is not None and body.get("response_format") == {"type": "json_object"}:
            body["response_format"] = {"type": "json_object", "schema": grammar}  # llama_cpp.server makes a grammar
        capture(body)  # an article's first request, for the direct path to reuse (harness.extract.direct)
        raw = await client.post("/chat/completions", body=body, cast_to=httpx2.Response)  # raises on a status
        try:  # one pass in pydantic-core; openai's lenient construction for anything that does not validate
            return ChatCompletion.model_validate_json(raw.content)
        except ValidationError:
            data = raw.json()
            if not isinstance(data, dict):
                raise openai.APIResponseValidationError(response=raw, body=data) from None
            return ChatCompletion.model_construct(**data)  # openai's models construct nested types leniently

    _check_response_models_once()

    mode = getattr(instructor.Mode, MODES[mode_name(params.mode)])
    _prepare_once(mode)
    structured = instructor.AsyncInstructor(
        client=client, create=instructor.patch(create=post_chat, mode=mode), mode=mode,
    )  # fmt: skip
    structured.on("completion:response", on_response)
    structured.on("completion:error", on_error)
    return structured


def _check_response_models_once() -> None:
    """Make instructor's async-validator check run once per response-model class instead of on every call.

    instructor runs it six times per request, each walking the whole pydantic class hierarchy: about a third of the
    client's CPU per request. The model class is fixed for a run, so a class that passed once is remembered; one
    that fails still fails every time. If instructor's layout changes, nothing is replaced.
    """
    # Looked up by name (`import a.b.patch as m` could bind a function named `patch` instead of the module), so the
    # modules are Any: their attributes are read with getattr and replaced below.
    checks: Any
    patch: Any
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

    reject_async_validators.__dict__["harness_once"] = True  # the marker read above: never wrap twice
    checks.reject_async_validators = reject_async_validators
    if getattr(patch, "reject_async_validators", None) is original:
        patch.reject_async_validators = reject_async_validators


def _prepare_once(mode: Any) -> None:
    """Make instructor prepare a request (schema prompt merged into the system message, response_format) once per
    (response model, system message, other fields) in `mode`, then reuse it with each call's own user message.

    instructor rebuilds the prompt on every call: the schema, `json.dumps(indent=2)` and `dedent`, about 0.15 ms. The
    reuse starts only after a second call has confirmed that the reused request equals instructor's own, so a
    preparation that depends on more than these parts is never reused; any other shape of call goes to instructor.
    """
    registry: Any
    providers: Any
    try:
        registry = importlib.import_module("instructor.v2.core.registry")
        providers = importlib.import_module("instructor.v2.core.providers")
        handlers = registry.mode_registry.get_handlers(providers.Provider.OPENAI, mode)
    except (ImportError, AttributeError, KeyError, LookupError):
        return
    original = getattr(handlers, "request_handler", None)
    if original is None or getattr(original, "harness_once", False):
        return
    confirmed: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] = {}
    first: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] = {}

    def request_handler(response_model: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        key = _prepared_key(response_model, kwargs)
        if key is None:
            return original(response_model=response_model, kwargs=kwargs)
        if (done := confirmed.get(key)) is not None:
            return done[0], _reused(done[1], kwargs["messages"][1])
        model, prepared = original(response_model=response_model, kwargs=kwargs)
        seen = first.get(key)
        if seen is None:
            first[key] = (model, copy.deepcopy(prepared))
        elif (
            seen[0] is model
            and list(reused := _reused(seen[1], kwargs["messages"][1])) == list(prepared)
            and (reused == prepared)
        ):
            confirmed[key] = seen  # a second call, another user message: instructor's own equals the reused one
        return model, prepared

    request_handler.__dict__["harness_once"] = True  # the marker read above: never wrap twice
    request_handler.__dict__["__wrapped__"] = original  # instructor's own, for the tests to compare against
    handlers.request_handler = request_handler


def _prepared_key(response_model: Any, kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a preparation may depend on, for the harness's calls ([system, user] text messages); None otherwise."""
    messages = kwargs.get("messages")
    if not (isinstance(response_model, type) and isinstance(messages, list) and len(messages) == 2):
        return None
    system, user = messages
    if not (isinstance(system, dict) and isinstance(user, dict) and set(system) == set(user) == {"role", "content"}):
        return None
    if system["role"] != "system" or user["role"] != "user" or not isinstance(system["content"], str):
        return None
    if not isinstance(user["content"], str):
        return None
    try:
        rest = json.dumps({k: v for k, v in kwargs.items() if k != "messages"}, sort_keys=True)
    except (TypeError, ValueError):
        return None
    return response_model, system["content"], rest


def _reused(prepared: dict[str, Any], user: dict[str, str]) -> dict[str, Any]:
    """A confirmed preparation with this call's user message in place of the one it was made with (same key order:
    a batch line is hashed as written)."""
    messages = prepared.get("messages")
    if not (isinstance(messages, list) and len(messages) == 2):
        return {"messages": None}  # not the shape reused: never equal to instructor's own
    return {k: [dict(messages[0]), dict(user)] if k == "messages" else copy.deepcopy(v) for k, v in prepared.items()}
