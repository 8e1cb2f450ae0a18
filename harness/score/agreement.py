"""Agreement of two annotations of the same articles, scored by the very scorer the models face: B's claims read as
predictions against A as the reference, then A's against B; the symmetric F1 is the mean of the two directions.

This is the human ceiling a model's score is read against: where two careful annotators agree only at 0.8, a model
at 0.8 is as good as a second annotator on that field.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from harness.schema import GoldArticle, PredictedClaim
from harness.score.evaluate import evaluate
from harness.score.model import ScoreReport
from harness.score.vocabulary import REPORTED


def as_predictions(gold: Mapping[str, GoldArticle]) -> list[PredictedClaim]:
    """Each gold claim as a model would answer it: its statement, its evidence quoted, its values and speaker."""
    return [
        PredictedClaim(
            article_id=aid, text=c.statement, evidence=[e.text for e in c.evidence],
            figures=list(c.figures), dates=list(c.dates), speaker=c.speaker,
        )
        for aid, g in sorted(gold.items())
        for c in g.claims
    ]  # fmt: skip


class FieldAgreement(BaseModel):
    """One field: B scored with A as reference (P, R, F1 and its 95% interval), the reverse F1, and their mean."""

    field: str
    precision: float
    recall: float
    f1: float
    ci: list[float]
    f1_reverse: float
    f1_symmetric: float


class Agreement(BaseModel):
    articles: list[str]
    fields: list[FieldAgreement]
    a_reference: ScoreReport  # B's claims scored against A
    b_reference: ScoreReport  # A's claims scored against B


def agreement(
    a: Mapping[str, GoldArticle],
    b: Mapping[str, GoldArticle],
    texts: Mapping[str, str],
    seed: int = 0,
    n_boot: int = 1000,
) -> Agreement:
    """Agreement on the articles both annotations cover; ValueError when they share none."""
    ids = sorted(set(a) & set(b))
    if not ids:
        raise ValueError("the two annotations share no article")
    ga, gb = {i: a[i] for i in ids}, {i: b[i] for i in ids}
    t = {i: texts[i] for i in ids}
    ra = evaluate(ga, as_predictions(gb), texts=t, seed=seed, n_boot=n_boot)
    rb = evaluate(gb, as_predictions(ga), texts=t, seed=seed, n_boot=n_boot)
    fields = []
    for f in REPORTED:
        sa, sb = getattr(ra, f), getattr(rb, f)
        fields.append(FieldAgreement(field=f, precision=sa.precision, recall=sa.recall, f1=sa.f1, ci=sa.ci["f1"],
                                     f1_reverse=sb.f1, f1_symmetric=(sa.f1 + sb.f1) / 2))  # fmt: skip
    return Agreement(articles=ids, fields=fields, a_reference=ra, b_reference=rb)
