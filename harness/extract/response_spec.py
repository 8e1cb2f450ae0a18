"""The response model a prompt asks for: the built-in one, a JSON Schema file or an importable pydantic model, and
how its answer becomes the harness's PredictedClaim list.

The contract a custom model must meet (checked before any request, see `check_mapping`): its top is an object with
an array of objects (`claims` unless `response_fields` names another: `{claims: findings}`); each item has a string
for the claim's text and may have evidence (a string or strings), figures and dates (a string, a number, or an
array of them or of objects with `raw`) and speaker (a string). A field is found under its own name (evidence also
as `quote`, as the built-in model calls it) or under the property `response_fields` maps it to; a missing optional
field stays empty; other properties are ignored.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from harness.extract import response as builtin
from harness.extract.schema_model import SchemaRefused, build_model, check, kinds, pointer
from harness.schema import PredictedClaim

TARGETS = ("text", "evidence", "figures", "dates", "speaker")
DEFAULTS = {"text": ("text",), "evidence": ("evidence", "quote"), "figures": ("figures",), "dates": ("dates",),
            "speaker": ("speaker",)}  # fmt: skip
CLAIMS = "claims"
BUILTIN = "built-in"
_SCALARS = {"string", "number", "integer"}
_NULLS = {"", "null", "none", "-", "n/a", "tidak ada"}


def canonical_sha256(schema: dict[str, Any]) -> str:
    """sha256 of a schema's canonical JSON (sorted keys, no spaces): the `schema_sha256` of cache keys and records."""
    text = json.dumps(schema, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, eq=False)
class ResponseSpec:
    """What instructor is asked to fill (`model`, whose JSON schema `schema` is sent) and how its answer is read."""

    source: str  # "built-in", the schema file as the prompt names it, or `package.module:Class`
    base: type[BaseModel]  # the model as written: stored answers are read back with it
    schema: dict[str, Any] = field(repr=False)
    sha256: str
    claims_key: str = CLAIMS
    fields: dict[str, str] = field(default_factory=dict)  # target -> the item property it is read from
    grammar: bool = False  # the prompt asks for the schema to be sent as a decoding grammar too (`grammar: true`)

    @functools.cached_property
    def model(self) -> type[BaseModel]:
        """`base` as instructor's response model, built on first use: a run answered from the cache never imports
        instructor (nor openai, about half a second)."""
        return builtin.instructor_model() if self.builtin else _wrapped(self.base, self.schema)

    @property
    def builtin(self) -> bool:
        return self.source == BUILTIN

    def validate(self, data: dict[str, Any]) -> BaseModel:
        """A stored answer (a cache entry's `answer`) read back as the model."""
        return self.base.model_validate(data)

    def dump(self, answer: BaseModel) -> dict[str, Any]:
        """An answer as stored, under the schema's own property names."""
        return answer.model_dump(mode="json", by_alias=True)

    def to_predictions(self, article_id: str, answer: BaseModel) -> list[PredictedClaim]:
        if self.builtin:
            return builtin.to_predictions(article_id, answer)
        items = self.dump(answer).get(self.claims_key) or []
        return [self._claim(article_id, item) for item in items if isinstance(item, dict)]

    def _claim(self, article_id: str, item: dict[str, Any]) -> PredictedClaim:
        got = {t: item.get(p) for t, p in self.fields.items()}
        speaker = got.get("speaker")
        speaker = None if speaker is None or str(speaker).strip().lower() in _NULLS else str(speaker).strip()
        return PredictedClaim(
            article_id=article_id, text=str(got.get("text") or "").strip(), evidence=_texts(got.get("evidence")),
            figures=_texts(got.get("figures"), keep_objects=True), dates=_texts(got.get("dates"), keep_objects=True),
            speaker=speaker,
        )  # fmt: skip

    def salvage(self, text: str) -> BaseModel | None:
        """The claims finished before an answer was cut at max_tokens (the one being written is dropped)."""
        if self.builtin:
            return builtin.salvage(text)
        try:
            data = from_json(text.strip(), allow_partial=True)
        except ValueError:
            return None
        claims = data.get(self.claims_key) if isinstance(data, dict) else None
        if not isinstance(claims, list) or len(claims) < 2:
            return None
        try:
            return self.model.model_validate({**data, self.claims_key: claims[:-1]})
        except ValidationError:
            return None

    def ref(self) -> dict[str, str]:
        """What the run record keeps of it, beside the prompt."""
        return {"schema_sha256": self.sha256, "response": self.source, **({"grammar": "yes"} if self.grammar else {})}


def _texts(value: object, keep_objects: bool = False) -> list[Any]:
    """One or many strings (numbers as their text, blanks dropped); objects kept for figures and dates."""
    if value is None:
        return []
    out: list[Any] = []
    for x in value if isinstance(value, list) else [value]:
        if isinstance(x, dict) and keep_objects:
            out.append(x)
        elif isinstance(x, (str, int, float)) and not isinstance(x, bool) and str(x).strip():
            out.append(str(x).strip())
    return out


@functools.cache
def builtin_spec() -> ResponseSpec:
    """The built-in answer model (harness/extract/response.py): the schema and cache keys of every shipped prompt."""
    return ResponseSpec(BUILTIN, builtin.ClaimsAnswer, builtin.ClaimsAnswer.model_json_schema(),
                        builtin.schema_sha256())  # fmt: skip


def _wrapped(base: type[BaseModel], schema: dict[str, Any]) -> type[BaseModel]:
    """`base` as instructor's ResponseSchema, sending exactly `schema` (its title is the tool's name)."""
    from instructor import ResponseSchema

    frozen = json.dumps(schema)

    class Wrapped(base, ResponseSchema):  # type: ignore[valid-type, misc]  # a class built at run time
        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return json.loads(frozen) if not (args or kwargs) else base.model_json_schema(*args, **kwargs)

    Wrapped.__name__ = Wrapped.__qualname__ = str(schema.get("title") or base.__name__)
    Wrapped.__doc__ = str(schema.get("description") or "Claims found in the article.")
    return Wrapped


def from_schema_file(path: Path, named: str, fields: dict[str, str]) -> ResponseSpec:
    """A JSON Schema file of the supported subset, mapped to claims (SchemaRefused names what does not fit)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemaRefused(f"cannot read {named}: {exc.strerror}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise SchemaRefused(f"{named} is not JSON: {exc}") from None
    check(raw)
    sent = {k: v for k, v in raw.items() if k != "$schema"}
    sent.setdefault("title", "Claims")
    sent.setdefault("description", "Claims found in the article.")
    claims_key, mapping = check_mapping(sent, fields)
    model = build_model(sent, str(sent["title"]))
    return ResponseSpec(named, model, sent, canonical_sha256(sent), claims_key, mapping)


def from_import(ref: str, fields: dict[str, str]) -> ResponseSpec:
    """An importable pydantic model, `package.module:ClassName`, mapped to claims as a schema file is."""
    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise SchemaRefused(f"response_model {ref!r} is not of the form package.module:ClassName")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise SchemaRefused(f"cannot import response_model {ref!r}: {exc}") from None
    if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
        raise SchemaRefused(f"response_model {ref!r} is not a pydantic model class")
    sent = obj.model_json_schema()
    claims_key, mapping = check_mapping(_inline(sent, sent.get("$defs", {})), fields)
    return ResponseSpec(ref, obj, sent, canonical_sha256(sent), claims_key, mapping)


def _inline(node: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    """pydantic's schema read as the subset: `$ref`s to `$defs` inlined, `anyOf: [X, null]` as X nullable."""
    if depth > 20:
        raise SchemaRefused("the response model nests too deeply (a recursive model?)")
    if isinstance(node, list):
        return [_inline(x, defs, depth + 1) for x in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/$defs/"):
        return _inline(defs.get(node["$ref"].rsplit("/", 1)[1], {}), defs, depth + 1)
    options = node.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        merged = {**_inline(kept[0], defs, depth + 1), "nullable": len(kept) < len(options)} if len(kept) == 1 else {}
        if merged:
            return merged
        types = sorted({t for o in kept for t in kinds(_inline(o, defs, depth + 1))[0]})
        return {"type": types}
    return {k: _inline(v, defs, depth + 1) for k, v in node.items() if k != "$defs"}


def _accepts(target: str, node: dict[str, Any]) -> bool:
    names, _ = kinds(node)
    if not names:
        return False
    if target in ("text", "speaker"):
        return names <= {"string"}
    if target == "evidence":
        return names <= {"string"} or (names == {"array"} and kinds(node.get("items", {}))[0] <= {"string"})
    items = kinds(node.get("items", {}))[0] if names == {"array"} else names
    if names == {"array"} and "object" in items:
        return "raw" in (node.get("items", {}).get("properties") or {}) and items <= _SCALARS | {"object"}
    return bool(items) and items <= _SCALARS


def check_mapping(schema: dict[str, Any], fields: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The claims array's name and each PredictedClaim field's source property; SchemaRefused when unmappable."""
    unknown = sorted(set(fields) - {CLAIMS, *TARGETS})
    if unknown:
        raise SchemaRefused(f"response_fields: {unknown[0]!r} is not one of {', '.join((CLAIMS, *TARGETS))}")
    claims_key = fields.get(CLAIMS, CLAIMS)
    array = (schema.get("properties") or {}).get(claims_key)
    if not isinstance(array, dict) or kinds(array)[0] != {"array"}:
        raise SchemaRefused(f"the schema has no array property {claims_key!r} at the top to hold the claims")
    item = array.get("items") or {}
    if kinds(item)[0] != {"object"}:
        raise SchemaRefused(f"the items of {claims_key!r} must be objects (one per claim)")
    props: dict[str, Any] = item.get("properties") or {}
    where = pointer(("properties", claims_key, "items", "properties"))
    mapping: dict[str, str] = {}
    for target in TARGETS:
        if target in fields:
            if fields[target] not in props:
                raise SchemaRefused(f"response_fields: {target} -> {fields[target]!r}, no such property at {where}")
            source: str | None = fields[target]
        else:
            source = next((name for name in DEFAULTS[target] if name in props), None)
        if source is None:
            if target == "text":
                raise SchemaRefused(f"a claim needs its text: no property 'text' at {where} (map one: response_fields)")
            continue
        if not _accepts(target, props[source]):
            raise SchemaRefused(
                f"{target} read from {source!r} of type {sorted(kinds(props[source])[0])}: {_WANTS[target]}"
            )
        mapping[target] = source
    return claims_key, mapping


_WANTS = {
    "text": "the text must be a string",
    "speaker": "the speaker must be a string",
    "evidence": "evidence must be a string or an array of strings",
    "figures": "figures must be a string, a number, or an array of them or of objects with 'raw'",
    "dates": "dates must be a string, a number, or an array of them or of objects with 'raw'",
}
