"""The price table: USD per 1M prompt and completion tokens for each model name, read from a YAML or JSON file.

One format for every verb that prices tokens (`harness leaderboard --prices`, `harness run --dry-run --prices`):

    gpt-4o-mini: {prompt: 0.15, completion: 0.60}     # YAML
    {"gpt-4o-mini": {"prompt": 0.15, "completion": 0.60}}   # JSON (a file ending in .json is read as JSON)

A malformed table is an InputError naming the file and the line of the offending entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.corpus import read_yaml
from harness.errors import InputError

FORMAT = '{"model": {"prompt": usd, "completion": usd}} in USD per 1M tokens'
PER_TOKENS = 1_000_000


class Price(BaseModel):
    """USD per 1M prompt (input) tokens and per 1M completion (output) tokens of one model."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    prompt: float = Field(ge=0.0)
    completion: float = Field(ge=0.0)

    def cost_usd(self, prompt_tokens: float, completion_tokens: float) -> float:
        """prompt_tokens x prompt / 1M + completion_tokens x completion / 1M."""
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / PER_TOKENS


def _lines(text: str) -> dict[str, dict[str, int]]:
    """Per top-level key, the 1-based line of the key ("") and of each of its own keys (YAML's node marks; JSON is
    read as YAML for this only), so an error points at the offending entry."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    out: dict[str, dict[str, int]] = {}
    for key, value in node.value:
        lines = {"": key.start_mark.line + 1}
        if isinstance(value, yaml.MappingNode):
            lines.update({str(k.value): k.start_mark.line + 1 for k, _ in value.value})
        out[str(key.value)] = lines
    return out


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON: {exc.msg}", str(path), exc.lineno) from None
    try:
        return read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        why = getattr(exc, "problem", None) or "not YAML"
        raise InputError(f"not YAML: {why}", str(path), mark.line + 1 if mark else None) from None


def load_prices(path: Path) -> dict[str, Price]:
    """The table in `path`, model name -> Price; an InputError with file and line when it is malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read price table: {exc.strerror}", str(path)) from None
    except UnicodeDecodeError:
        raise InputError("price table is not UTF-8", str(path)) from None
    raw = _parse(path, text)
    if not isinstance(raw, dict) or not raw:
        raise InputError(f"a price table is a mapping {FORMAT}", str(path), 1)
    lines = _lines(text)
    out: dict[str, Price] = {}
    for name, value in raw.items():
        where = lines.get(str(name), {})
        line = where.get("")
        if not isinstance(name, str) or not name:
            raise InputError(f"model name {name!r} is not a string", str(path), line)
        if not isinstance(value, dict):
            raise InputError(f"model {name!r}: expected {{prompt: usd, completion: usd}}, got {value!r}", str(path),
                             line)  # fmt: skip
        try:
            out[name] = Price.model_validate(value)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(map(str, err["loc"])) or "value"
            got = err.get("input")
            shown = "" if isinstance(got, dict) else f" (got {got!r})"
            at = where.get(field, line)
            raise InputError(f"model {name!r}: {field}: {err['msg']}{shown}", str(path), at) from None
    return out
