"""A response schema written as JSON Schema (a restricted subset) turned into the pydantic model instructor fills in.

Hand-made over pydantic's `create_model` rather than a converter library: the subset a schema designer needs
(object, array, string, number, integer, boolean, enum, nullable, required, description) is a short walk, and every
other keyword must be refused by name, which general converters (datamodel-code-generator, which writes source code
and pulls in formatters; json-schema-to-pydantic) would accept or silently ignore instead.
"""

from __future__ import annotations

import keyword
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

# `title`, `description` and `$schema` are notes for people; `nullable` is OpenAPI's spelling of `"type": [X, "null"]`;
# `additionalProperties` may only be false (extra keys in an answer are ignored either way). `uniqueItems` (arrays
# only) is sent to the server for decoding (the embedded model closes the array after an item that repeats an earlier
# one: harness/extract/unique_items.py); an answer is never refused for a repeat, which would only re-ask the model.
KEYWORDS = frozenset(
    {"type", "properties", "required", "items", "enum", "description", "title", "nullable", "additionalProperties",
     "$schema", "uniqueItems"}
)  # fmt: skip
TYPES = {"object": dict, "array": list, "string": str, "number": float, "integer": int, "boolean": bool}


class SchemaRefused(ValueError):
    """A schema outside the subset; the message names the keyword (or the problem) and where it stands."""


def pointer(path: tuple[str, ...]) -> str:
    """A JSON Pointer for messages: `/properties/claims/items`, `/` for the root."""
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path)


def kinds(node: dict[str, Any]) -> tuple[set[str], bool]:
    """The node's JSON types (without null) and whether null is allowed; an enum without a type is its values'."""
    raw = node.get("type")
    names = set(raw) if isinstance(raw, list) else {raw} if isinstance(raw, str) else set()
    if not names and isinstance(node.get("enum"), list):
        names = {_enum_kind(v) for v in node["enum"]}
    nullable = "null" in names or node.get("nullable") is True
    return names - {"null"}, nullable


def _enum_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "number" if isinstance(value, float) else "string" if isinstance(value, str) else "object"


def check(node: object, path: tuple[str, ...] = ()) -> None:
    """Refuse anything outside the subset, naming the keyword and its place (SchemaRefused)."""
    where = pointer(path)
    if not isinstance(node, dict):
        raise SchemaRefused(f"a schema is a JSON object, not {type(node).__name__}, at {where}")
    for key in node:
        if key not in KEYWORDS:
            raise SchemaRefused(f"unsupported keyword {key!r} at {where}")
    if "$schema" in node and path:
        raise SchemaRefused(f"unsupported keyword '$schema' at {where} (only at the top)")
    if node.get("additionalProperties", False) is not False:
        raise SchemaRefused(f"unsupported keyword 'additionalProperties' other than false at {where}")
    names, _ = kinds(node)
    raw = node.get("type")
    if raw is not None and not (
        isinstance(raw, str) or (isinstance(raw, list) and all(isinstance(t, str) for t in raw))
    ):
        raise SchemaRefused(f"'type' must be a type name or a list of them at {where}")
    unknown = sorted(n for n in names if n not in TYPES)
    if unknown:
        raise SchemaRefused(f"unsupported type {unknown[0]!r} at {where}")
    if len(names) != 1:
        raise SchemaRefused(f"one type per node (and optionally null) at {where}, found {sorted(names) or 'none'}")
    if "enum" in node:
        values = node["enum"]
        if not isinstance(values, list) or not values or any(isinstance(v, (dict, list)) for v in values):
            raise SchemaRefused(f"'enum' must be a non-empty list of strings, numbers or booleans at {where}")
    for flag in ("nullable", "uniqueItems"):
        if flag in node and not isinstance(node[flag], bool):
            raise SchemaRefused(f"{flag!r} must be true or false at {where}")
    (kind,) = names
    if kind == "array":
        if "items" not in node:
            raise SchemaRefused(f"an array needs 'items' at {where}")
        check(node["items"], (*path, "items"))
    if kind == "object":
        props = node.get("properties", {})
        if not isinstance(props, dict):
            raise SchemaRefused(f"'properties' must be an object at {where}")
        for name, sub in props.items():
            check(sub, (*path, "properties", name))
        required = node.get("required", [])
        if not isinstance(required, list) or any(r not in props for r in required):
            missing = [r for r in required if r not in props] if isinstance(required, list) else required
            raise SchemaRefused(f"'required' names {missing!r}, not among the properties at {where}")
    for key in ("items", "uniqueItems", "properties", "required"):
        if key in node and kind != {"items": "array", "uniqueItems": "array"}.get(key, "object"):
            raise SchemaRefused(f"keyword {key!r} on a {kind} at {where}")


def build_model(schema: dict[str, Any], name: str = "Answer") -> type[BaseModel]:
    """The pydantic model of a checked schema (call `check` first); its root must be an object."""
    if kinds(schema)[0] != {"object"}:
        raise SchemaRefused("the top of a response schema must be an object")
    return _object(schema, name)


def _annotation(node: dict[str, Any], name: str) -> Any:
    (kind,), nullable = kinds(node)
    ann: Any
    if "enum" in node:
        ann = Literal[tuple(node["enum"])]
    elif kind == "object":
        ann = _object(node, name)
    elif kind == "array":
        ann = list[_annotation(node["items"], name + "Item")]  # type: ignore[misc]  # built at run time
    else:
        ann = TYPES[kind]
    return ann | None if nullable else ann


def _safe(name: str, i: int) -> str:
    """A Python field name for a property (`in`, `model_x`, `json` get another name; the JSON keeps the property's)."""
    ok = name.isidentifier() and not keyword.iskeyword(name) and not name.startswith(("_", "model_"))
    return name if ok and not hasattr(BaseModel, name) else f"field_{i}"


def _object(node: dict[str, Any], name: str) -> type[BaseModel]:
    required = set(node.get("required", []))
    fields: dict[str, Any] = {}
    for i, (prop, sub) in enumerate(node.get("properties", {}).items()):
        ann = _annotation(sub, name + "_" + (prop if prop.isidentifier() else str(i)))
        info = {"alias": prop, "description": sub.get("description")}
        fields[_safe(prop, i)] = (ann, Field(**info)) if prop in required else (ann | None, Field(None, **info))
    config = ConfigDict(extra="ignore", populate_by_name=True, coerce_numbers_to_str=True)
    return create_model(name, __config__=config, **fields)
