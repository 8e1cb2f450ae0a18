"""The compact answer the model fills in, and its conversion to the house's PredictedClaim.

On a CPU every output token costs time, so keys are short and figures/dates are the text as written in the
article ("27 juta", "per Maret 2023"): the harness normalises them, the model does not (asked for a number, a
small model once turned "27 juta" into 2.7e15).
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import from_json

from harness.schema import PredictedClaim

_NULLS = {"", "null", "none", "-", "n/a", "tidak ada"}


def _strings(v: object) -> object:
    """Lists of text: a lone string becomes a list, null becomes [], numbers become their text, blanks go."""
    if v is None:
        return []
    if isinstance(v, (str, int, float)):
        v = [v]
    if isinstance(v, list):
        return [str(x).strip() for x in v if x is not None and not isinstance(x, bool) and str(x).strip()]
    return v


class ClaimOut(BaseModel):
    """One claim as the model writes it."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    text: str = Field(description="the claim in one short sentence")
    figures: list[str] = Field(default_factory=list, description="numbers as written in the article")
    dates: list[str] = Field(default_factory=list, description="dates as written in the article")
    speaker: str | None = Field(default=None, description="who said it; null for the outlet's own text")
    quote: str | None = Field(default=None, description="the article sentence it comes from, verbatim")

    @field_validator("figures", "dates", mode="before")
    @classmethod
    def _as_strings(cls, v: object) -> object:
        return _strings(v)

    @field_validator("speaker", "quote", mode="before")
    @classmethod
    def _blank_is_null(cls, v: object) -> object:
        if isinstance(v, str) and v.strip().lower() in _NULLS:
            return None
        return v.strip() if isinstance(v, str) else v


class ClaimsAnswer(BaseModel):
    """The whole answer for one article: a list of claims (may be empty; the key itself is required)."""

    claims: list[ClaimOut]

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The compact schema (no titles), built once: instructor asks for it on every request."""
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        return json.loads(_schema_text())


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items() if k != "title" or not isinstance(v, str)}
    if isinstance(node, list):
        return [_strip_titles(x) for x in node]
    return node


@functools.cache
def _schema_text() -> str:
    # ignore: mypy types a classmethod read off its class as a plain callable, without the bound method's __func__
    schema = _strip_titles(BaseModel.model_json_schema.__func__(ClaimsAnswer))  # type: ignore[attr-defined]
    schema["title"] = "Claims"  # the tool's name in TOOLS mode
    schema["description"] = "Claims found in the article."
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))  # field order kept: the model follows it


@functools.cache
def schema_sha256() -> str:
    """sha256 of the response model's JSON schema (canonical JSON): a part of every cache key."""
    canonical = json.dumps(json.loads(_schema_text()), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@functools.cache
def instructor_model() -> type[ClaimsAnswer]:
    """ClaimsAnswer wrapped once for instructor (it would otherwise build a new wrapper class per request)."""
    from instructor import ResponseSchema

    class Claims(ClaimsAnswer, ResponseSchema):
        """Claims found in the article."""

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return ClaimsAnswer.model_json_schema(*args, **kwargs)

    return Claims


def salvage(text: str) -> ClaimsAnswer | None:
    """The complete claims of an answer cut at max_tokens (the claim being written when it was cut is dropped).

    A small model on a CPU often runs out of tokens near the end of a long article; the claims it finished are
    still its answer. None when not one claim was finished.
    """
    try:
        data = from_json(text.strip(), allow_partial=True)
    except ValueError:
        return None
    claims = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(claims, list):
        return None
    kept = []
    for raw in claims[:-1]:
        try:
            kept.append(ClaimOut.model_validate(raw))
        except ValidationError:
            break
    return ClaimsAnswer(claims=kept) if kept else None


def to_predictions(article_id: str, answer: BaseModel) -> list[PredictedClaim]:
    """The answer's claims as PredictedClaim records (figures/dates raw only; the quote becomes the evidence)."""
    if not isinstance(answer, ClaimsAnswer):
        answer = ClaimsAnswer.model_validate(answer.model_dump())
    return [
        PredictedClaim(
            article_id=article_id,
            text=c.text,
            evidence=[c.quote] if c.quote else [],
            figures=[{"raw": f} for f in c.figures],
            dates=[{"raw": d} for d in c.dates],
            speaker=c.speaker,
        )
        for c in answer.claims
    ]
