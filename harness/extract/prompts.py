"""Versioned prompt files (`prompts/*.yaml`) and the chat messages they make for one article.

A prompt file holds `id`, `version`, `description`, `system` and a `user` template with one `{article}` slot, and may
name its response model (`response_schema: schemas/x.json` beside the file, or `response_model: pkg.mod:Class`, with
`response_fields` mapping it to claims: harness/extract/response_spec.py), and may ask (`grammar: true`) for that
schema to be sent as a decoding grammar too (json mode, on the embedded model; elsewhere `--grammar` decides). The
run record keeps each file's sha256 (of its bytes) and its response schema's, so a changed prompt is never mistaken
for the old one.
The article only ever fills that slot of the user message, between delimiters: it is data, never instructions.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.corpus import read_yaml
from harness.errors import InputError
from harness.extract.response_spec import ResponseSpec, SchemaRefused, builtin_spec, from_import, from_schema_file

SLOT = "{article}"
DEFAULT_PROMPT = "compact"  # what `harness run`, `make run` and the offline replay use when no --prompt is given
PROMPT_SUFFIXES = (".yaml", ".yml")
# Tags the shipped templates put around the article; the same text inside an article is defused (see `fill`).
DELIMITERS = ("<article>", "</article>")


class PromptFile(BaseModel):
    """The YAML content of a prompt file; unknown keys are refused so a typo does not pass silently."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: int | str
    description: str = ""
    system: str
    user: str
    response_schema: str | None = None  # a JSON Schema file, relative to the prompt file
    response_model: str | None = None  # an importable pydantic model, package.module:ClassName
    response_fields: dict[str, str] = {}  # PredictedClaim field (or `claims`) -> the schema's property
    grammar: bool = False  # the embedded model gets the response schema as a decoding grammar too (json mode)


class Prompt(BaseModel):
    """A loaded prompt: its content plus where it came from and the sha256 of the file's bytes."""

    id: str
    version: str
    description: str
    system: str
    user: str
    sha256: str
    path: str
    response: ResponseSpec | None = Field(default=None, exclude=True, repr=False)  # None: the built-in model

    model_config = ConfigDict(arbitrary_types_allowed=True)

    def spec(self) -> ResponseSpec:
        """The response model this prompt asks for (the built-in one unless its file names another)."""
        return self.response or builtin_spec()

    def ref(self) -> dict[str, str]:
        """What the run record keeps of a prompt: the file and the response schema sent with it."""
        return {"id": self.id, "version": self.version, "sha256": self.sha256, "path": self.path, **self.spec().ref()}


def load_prompt(path: Path) -> Prompt:
    """Read and check one prompt file; every problem is an InputError naming the file."""
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read prompt file: {exc.strerror}", name) from None
    try:
        raw = read_yaml(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("prompt file is not UTF-8", name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", name, mark.line + 1 if mark else None
        ) from None
    if not isinstance(raw, dict):
        raise InputError("a prompt file is a YAML mapping with id, version, description, system, user", name, 1)
    try:
        pf = PromptFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        line = _key_line(data, str(err["loc"][0])) if err["loc"] and err["type"] != "missing" else None
        raise InputError(
            f"{where}: {'missing required field' if err['type'] == 'missing' else err['msg']}", name, line
        ) from None
    if pf.user.count(SLOT) != 1:
        raise InputError(f"the user template must contain {SLOT} exactly once", name)
    if SLOT in pf.system:
        raise InputError(f"{SLOT} belongs in the user template only, not in system", name)
    return Prompt(
        id=pf.id, version=str(pf.version), description=pf.description.strip(), system=pf.system, user=pf.user,
        sha256=hashlib.sha256(data).hexdigest(), path=path.as_posix(), response=_response(pf, path, data),
    )  # fmt: skip


def _response(pf: PromptFile, path: Path, data: bytes) -> ResponseSpec | None:
    """The response model the file names, checked now (before any request), and whether it is sent as the grammar
    too; errors name the file and the key's line."""
    spec = _named_response(pf, path, data)
    if not pf.grammar:
        return spec
    return dataclasses.replace(spec or builtin_spec(), grammar=True)


def _named_response(pf: PromptFile, path: Path, data: bytes) -> ResponseSpec | None:
    if pf.response_schema is None and pf.response_model is None:
        if pf.response_fields:
            raise InputError("response_fields without response_schema or response_model", str(path),
                             _key_line(data, "response_fields"))  # fmt: skip
        return None
    if pf.response_schema is not None and pf.response_model is not None:
        raise InputError(
            "name response_schema or response_model, not both", str(path), _key_line(data, "response_model")
        )
    key = "response_schema" if pf.response_schema is not None else "response_model"
    try:
        if pf.response_schema is not None:
            return from_schema_file(path.parent / pf.response_schema, pf.response_schema, pf.response_fields)
        return from_import(str(pf.response_model), pf.response_fields)
    except SchemaRefused as exc:
        raise InputError(f"{key}: {exc}", str(path), _key_line(data, key)) from None


def _key_line(data: bytes, key: str) -> int | None:
    """The line (from 1) of a top-level key of a YAML mapping."""
    node = yaml.compose(data.decode("utf-8"))
    for k, _ in getattr(node, "value", []):
        if getattr(k, "value", None) == key:
            return int(k.start_mark.line) + 1
    return None


def load_prompts(folder: Path) -> dict[str, Prompt]:
    """Every prompt file of a folder, keyed by id; two files with one id are an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such prompts folder", str(folder))
    out: dict[str, Prompt] = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix in PROMPT_SUFFIXES):
        prompt = load_prompt(path)
        if prompt.id in out:
            raise InputError(f"prompt id {prompt.id!r} is also used by {out[prompt.id].path}", str(path))
        out[prompt.id] = prompt
    return out


def resolve_prompts(names: list[str], folder: Path) -> list[Prompt]:
    """Prompts by id (looked up in `folder`) or by path to a YAML file, in the order given, without repeats."""
    found: dict[str, Prompt] = {}
    catalogue: dict[str, Prompt] | None = None
    for name in names:
        if name.endswith(PROMPT_SUFFIXES) or "/" in name:
            prompt = load_prompt(Path(name))
        else:
            catalogue = catalogue if catalogue is not None else load_prompts(folder)
            if name not in catalogue:
                known = ", ".join(sorted(catalogue)) or "none"
                raise InputError(f"unknown prompt {name!r} (known in {folder}: {known})", str(folder))
            prompt = catalogue[name]
        if prompt.id in found and found[prompt.id].sha256 != prompt.sha256:
            raise InputError(f"two different prompts share the id {prompt.id!r}", prompt.path)
        found[prompt.id] = prompt
    return list(found.values())


def defuse(article: str) -> str:
    """Break delimiter tags inside the article (`</article>` -> `< /article>`) so its text cannot close the slot."""
    for tag in DELIMITERS:
        if tag in article:
            article = article.replace(tag, tag[:-1].replace("<", "< ", 1) + ">")
    return article


def fill(prompt: Prompt, article: str) -> list[dict[str, str]]:
    """The chat messages for one article: the system text as is, the article in the user template's slot.

    Plain replacement (not str.format or a template engine), so braces or template syntax in the article are
    inert text.
    """
    return [
        {"role": "system", "content": prompt.system},
        {"role": "user", "content": prompt.user.replace(SLOT, defuse(article))},
    ]
