"""The one vocabulary of the house: pydantic records shared by gold, predictions and scores.

Gold claims (hand-annotated, `gold/*.yaml`) and predicted claims (model output, `*.jsonl`) use the same
Figure / DateRef records, so one set of normalisers reads both sides.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Unit = Literal["count", "persons", "percent", "idr"]
Qualifier = Literal["at_least", "at_most"]
DateRole = Literal["point", "as_of", "since", "until", "target"]
AttributionKind = Literal["direct", "indirect", "narrative", "inference"]


class _Strict(BaseModel):
    """Gold records reject unknown keys so a typo in a hand-written file is caught, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Figure(_Strict):
    """A number as written in the article and what it means.

    `raw` is the article's own text ("3,8 juta", "60 persen lebih"); `value` is the decimal it denotes
    (3800000, 60). Predictions may carry `raw` only; the normaliser then fills the rest.
    """

    raw: str
    value: Decimal | None = None
    unit: Unit | None = None
    approx: bool = False
    qualifier: Qualifier | None = None
    counted: str | None = Field(default=None, description="what is counted, e.g. 'UMKM go digital'")


class DateRef(_Strict):
    """A date expression, its TIMEX-style value cut to the stated granularity, and its anchor role."""

    raw: str
    value: str | None = Field(default=None, description="TIMEX-style: '2024', '2020-12', '2023-12-04'")
    role: DateRole | None = None


class Evidence(_Strict):
    """A verbatim span of the article: `text == article[start:start + len(text)]`."""

    text: str
    start: int = Field(ge=0)

    @property
    def end(self) -> int:
        return self.start + len(self.text)


class Speaker(_Strict):
    """A source named in one article: canonical name plus every alias the article uses for it."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    role: str | None = None
    organisation: str | None = None


class Attribution(_Strict):
    """Who the claim is attributed to, with the cue verb and the kind of report (PARC-style)."""

    speaker: str | None = Field(description="canonical name from the article's speakers; null = the outlet's own text")
    cue: str | None = None
    kind: AttributionKind


class GoldClaim(_Strict):
    """One hand-annotated claim: a statement, its evidence spans, figures, dates and attribution."""

    id: str
    statement: str
    evidence: list[Evidence] = Field(min_length=1)
    figures: list[Figure] = Field(default_factory=list)
    dates: list[DateRef] = Field(default_factory=list)
    attribution: Attribution

    @property
    def speaker(self) -> str | None:
        return self.attribution.speaker


class GoldArticle(_Strict):
    """All gold for one article: its id and hash (to pin the exact text), speakers and claims."""

    article_id: str
    sha256: str
    published: str | None = Field(default=None, description="publication date (TIMEX) when the article states it")
    speakers: list[Speaker] = Field(default_factory=list)
    noise: list[Evidence] = Field(default_factory=list, description="scraped spans that are not the article's content")
    claims: list[GoldClaim]


class Article(BaseModel):
    """An article's text, addressed by its id (the seed file's stem) and the sha256 of its bytes."""

    article_id: str
    text: str
    sha256: str


class PredictedClaim(BaseModel):
    """One predicted claim, one line of a predictions JSONL file (field names of the gold export).

    Lenient on purpose: a model's output is data to be scored, not a file to reject.
    """

    model_config = ConfigDict(extra="ignore")

    article_id: str
    text: str = ""
    evidence: list[str] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    dates: list[DateRef] = Field(default_factory=list)
    speaker: str | None = None

    @field_validator("evidence", mode="before")
    @classmethod
    def _evidence_list(cls, v: object) -> object:
        if v is None:
            return []
        if isinstance(v, str):
            return [v]
        return v

    @field_validator("figures", "dates", mode="before")
    @classmethod
    def _lenient_items(cls, v: object, info) -> object:
        """Bare strings ("3,8 juta") mean {"raw": ...}; unknown keys are dropped; a `value` that is not a
        number/TIMEX string is what the model asserted, so it replaces `raw` and is scored as unreadable."""
        if v is None:
            return []
        if not isinstance(v, list):
            return v
        model = Figure if info.field_name == "figures" else DateRef
        out = []
        for x in v:
            if isinstance(x, str):
                out.append({"raw": x})
                continue
            if isinstance(x, BaseModel):  # a Figure or DateRef object (e.g. a gold claim's): its fields, not its repr
                x = x.model_dump()
            if not isinstance(x, dict):
                out.append({"raw": str(x)})
                continue
            item = {k: x[k] for k in model.model_fields if k in x and x[k] is not None}
            item.setdefault("raw", str(x.get("value", "")))
            if not isinstance(item["raw"], str):
                item["raw"] = str(item["raw"])
            try:
                model.model_validate(item)
            except ValueError:
                item = {"raw": str(x.get("value", item.get("raw", "")))}
            out.append(item)
        return out
