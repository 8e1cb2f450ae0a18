"""Score records: what `evaluate` returns and `harness score --json` prints (field names are a public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field


class PRF(BaseModel):
    precision: float
    recall: float
    f1: float


class PRFInterval(PRF):
    ci: dict[str, list[float]] = Field(description="95% bootstrap interval per metric: {'precision': [lo, hi], ...}")


class FieldScore(BaseModel):
    """One field, micro-averaged strict P/R/F1 at the top level; relaxed and macro beside them."""

    precision: float
    recall: float
    f1: float
    ci: dict[str, list[float]]
    relaxed: PRFInterval
    macro: dict[str, PRFInterval] = Field(description="mean over articles: {'strict': ..., 'relaxed': ...}")
    counts: dict[str, int] = Field(description="correct, partial, incorrect, missing, spurious")
    credit: float | None = Field(default=None, description="claims: the summed credit of the matched pairs")


@dataclass(slots=True)
class ArticleFieldScore:
    """One field of one article (a dataclass: a large benchmark has tens of thousands)."""

    precision: float
    recall: float
    f1: float
    relaxed: dict[str, float]
    counts: dict[str, int]


@dataclass(slots=True)
class Item:
    """One scored slot or claim: the evidence a report needs to show why it earned what it earned.

    A plain dataclass (not a pydantic model): a large benchmark scores millions of them.
    """

    article_id: str
    field: str
    outcome: str
    error: str | None = None
    gold_key: str | None = None  # stable id of the gold item: pairs two runs' items for a comparison
    gold_claim: str | None = None
    pred_claim: int | None = None  # index of the predicted claim within its article
    gold_raw: str | None = None
    pred_raw: str | None = None
    gold_value: str | None = None
    pred_value: str | None = None
    credit: float | None = None  # claims: what the matched pair earned (slot F1 inside the pair)


class ScoreReport(BaseModel):
    figures: FieldScore
    dates: FieldScore
    attribution: FieldScore
    claims: FieldScore = Field(description="graded: each matched claim pair earns the slot F1 inside it")
    claims_exact: FieldScore = Field(description="all or nothing: a matched claim counts only with every slot right")
    figures_anywhere: FieldScore = Field(description="diagnostic: a figure counts wherever in the article it is")
    dates_anywhere: FieldScore = Field(description="diagnostic: a date counts wherever in the article it is")
    grounding: dict[str, int] = Field(
        default_factory=dict,
        description="predicted evidence quotes located in the "
        "article: quotes, exact, normalised, fuzzy, ungrounded_evidence; claims and values from noise",
    )
    per_article: dict[str, dict[str, ArticleFieldScore]]
    errors: dict[str, int] = Field(description="error types over all fields, e.g. scale_flip, misattribution")
    unparsed: dict[str, int] = Field(description="predicted figures/dates the normalisers could not read")
    ignored_predictions: dict[str, int] = Field(description="predicted claims per article id absent from the gold")
    seed: int
    n_boot: int
    items: list[Item]


class CeilingField(BaseModel):
    """One field: the second annotation's F1 against the gold (with its interval) and each entry's F1 on the
    same articles, by entry label."""

    field: str
    annotators_f1: float
    annotators_ci: list[float]
    annotators_symmetric_f1: float
    entries_f1: dict[str, float]


class HumanCeiling(BaseModel):
    second: str  # where the second annotation was read, as the run names it
    articles: list[str]
    fields: list[CeilingField]
