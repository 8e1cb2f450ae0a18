"""Prompt tokens of a request before it is sent: the request body instructor would post, and a token counter.

The body comes from the very client a run uses (`structured.structured_client` in the run's mode, asked as
`Provider` asks), whose HTTP call is replaced by one that keeps the body and stops: so it holds what the mode adds
(JSON mode puts the response schema into the system message, tools mode sends it as a tool). It is counted by

- the embedded model's own tokenizer (its GGUF vocabulary, loaded alone, and its chat template rendered as
  llama_cpp's server renders it): the prompt tokens that server reports, for the embedded model;
- tiktoken, for a model name tiktoken knows, when tiktoken is installed and its encoding file can be loaded
  (it is downloaded on first use): message texts plus 3 tokens per message and 3 for the reply, OpenAI's recipe;
- otherwise characters / 4, rounded up, over the same texts: a rule of thumb, and named as one.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.extract.params import GenParams
from harness.extract.response_spec import ResponseSpec, builtin_spec
from harness.extract.structured import structured_client, use_schema

CHARS_PER_TOKEN = 4
TIKTOKEN_PER_MESSAGE = 3  # OpenAI's counting recipe: <|start|>{role}\n{content}<|end|>\n
TIKTOKEN_REPLY = 3  # every reply is primed with <|start|>assistant<|message|>

Body = dict[str, Any]


class _Kept(Exception):
    """Raised by the stand-in client once it holds the body: nothing goes further."""


class _KeepingClient:
    """Stands where the openai client stands in `structured_client`: keeps the body posted, sends nothing."""

    def __init__(self) -> None:
        self.body: Body | None = None

    async def post(self, path: str, *, body: Body, cast_to: Any) -> Any:  # noqa: ARG002 (the client's signature)
        self.body = body
        raise _Kept


async def _bodies(
    params: GenParams, requests: list[tuple[list[dict[str, str]], str, int]], responses: list[ResponseSpec] | None
) -> list[Body]:
    keeper = _KeepingClient()
    client = structured_client(keeper, params)  # type: ignore[arg-type]  # the one method it calls is there
    out: list[Body] = []
    for i, (messages, name, repeat) in enumerate(requests):
        spec = responses[i] if responses is not None else builtin_spec()
        keeper.body = None
        sampling: dict[str, Any] = {"temperature": params.temperature}
        if params.seed is not None:
            sampling["seed"] = params.seed + repeat  # as Provider.sampling: repeat r asks with seed + r
        if params.max_tokens is not None:
            sampling["max_tokens"] = params.max_tokens
        try:  # the arguments of Provider._once
            async with use_schema(spec.schema, params.sends_grammar(spec.grammar)):
                await client.create(model=name, messages=messages, response_model=spec.model,  # type: ignore[arg-type]
                                    max_retries=0, strict=False, **sampling)  # fmt: skip
        except Exception:  # _Kept, however instructor wraps it
            if keeper.body is None:
                raise
        if keeper.body is None:
            raise RuntimeError("instructor answered without posting a request")
        out.append(keeper.body)
    return out


def request_bodies(
    params: GenParams, requests: list[tuple[list[dict[str, str]], str, int]],
    responses: list[ResponseSpec] | None = None,
) -> list[Body]:  # fmt: skip
    """The chat-completion body each (messages, model, repeat) would be posted with under `params`, asking for the
    response model of `responses` (one per request; default the built-in one); none is sent."""
    return asyncio.run(_bodies(params, requests, responses))


def _texts(body: Body, schema_in_prompt: bool) -> list[str]:
    """What a server without a known template turns into prompt text: roles, contents, tool definitions and (when
    `schema_in_prompt`) a json_schema response format."""
    out = []
    for m in body.get("messages", []):
        out.append(str(m.get("role", "")))
        content = m.get("content")
        out.append(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False))
    if body.get("tools"):
        out.append(json.dumps(body["tools"], ensure_ascii=False))
    fmt = body.get("response_format")
    if schema_in_prompt and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        out.append(json.dumps(fmt.get("json_schema"), ensure_ascii=False))
    return out


class TokenCounter:
    """Counts the prompt tokens of a request body; `method` says how, in words a report can print."""

    def __init__(self, method: str, count: Callable[[Body], int], exact: bool = False):
        self.method = method
        self.exact = exact
        self._count = count

    def count(self, body: Body) -> int:
        return self._count(body)


def chars_counter(why: str) -> TokenCounter:
    """Characters / 4 over the texts of the request, rounded up: the fallback, with the reason it is used."""

    def count(body: Body) -> int:
        return math.ceil(sum(len(t) for t in _texts(body, True)) / CHARS_PER_TOKEN)

    return TokenCounter(f"characters/{CHARS_PER_TOKEN} fallback ({why})", count)


def gguf_counter(model_file: Path) -> TokenCounter:
    """The embedded model's tokenizer and chat template from its GGUF file (vocabulary only: about 0.5 s, 100 MB,
    no weights), counting as llama_cpp's server does: the rendered prompt tokenized with its special tokens."""
    import llama_cpp
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    # llama.cpp's loader warns about a context longer than the (absent) training context of a vocabulary alone;
    # llama_cpp prints its log lines to sys.stderr, kept here instead.
    with contextlib.redirect_stderr(io.StringIO()):
        vocab = llama_cpp.Llama(str(model_file), vocab_only=True, verbose=False)
    template = vocab.metadata.get("tokenizer.chat_template")
    if not template:
        return chars_counter(f"{model_file.name} has no chat template")

    def text(token: int) -> str:
        return vocab.detokenize([token], special=True).decode("utf-8", "replace") if token >= 0 else ""

    eos, bos = vocab.token_eos(), vocab.token_bos()
    render = Jinja2ChatFormatter(template=template, eos_token=text(eos), bos_token=text(bos), stop_token_ids=[eos])

    def count(body: Body) -> int:
        out = render(messages=body["messages"], tools=body.get("tools"), tool_choice=body.get("tool_choice"))
        return len(vocab.tokenize(out.prompt.encode("utf-8"), add_bos=not out.added_special, special=True))

    return TokenCounter(f"the embedded model's tokenizer and chat template ({model_file.name})", count, exact=True)


def tiktoken_counter(model: str) -> TokenCounter:
    """tiktoken's encoding of `model` with OpenAI's per-message recipe; characters/4 when tiktoken is not installed,
    does not know the model name, or cannot load the encoding file (it downloads it on first use)."""
    try:  # optional, and untyped here when absent
        tiktoken: Any = importlib.import_module("tiktoken")
    except ImportError:
        return chars_counter("tiktoken is not installed")
    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return chars_counter(f"tiktoken does not know the model name {model!r}")
    try:
        encoding = tiktoken.get_encoding(name)
    except Exception as exc:  # a download refused or offline: requests' and tiktoken's own errors alike
        return chars_counter(f"tiktoken's {name} encoding could not be loaded: {type(exc).__name__}")

    def count(body: Body) -> int:
        texts = _texts(body, True)
        messages = len(body.get("messages", []))
        tokens = sum(len(encoding.encode(t, disallowed_special=())) for t in texts)
        return tokens + TIKTOKEN_PER_MESSAGE * messages + TIKTOKEN_REPLY

    return TokenCounter(f"tiktoken {name} (+{TIKTOKEN_PER_MESSAGE} per message, +{TIKTOKEN_REPLY} for the reply)",
                        count)  # fmt: skip


def embedded_counter(model_file: Path | None) -> TokenCounter:
    """The embedded model's counter: its GGUF file as the run would serve it (`model_file`, else the pinned file
    when set up); characters/4 when there is none or llama_cpp is not installed."""
    from harness.extract.local_model_setup import LocalModelError, resolve_model_file

    try:
        path = model_file or resolve_model_file(None)
    except LocalModelError as exc:
        return chars_counter(f"no embedded model file: {exc.message}")
    try:
        return gguf_counter(path)
    except ImportError:
        return chars_counter("llama_cpp is not installed (`harness local-model setup`)")
    except (ValueError, RuntimeError, OSError) as exc:  # llama_cpp raises ValueError for a file it cannot load
        return chars_counter(f"{path.name} could not be read as a GGUF vocabulary: {exc}")
