"""The human ceiling beside a run's scores: how far a second annotation agrees with the gold on the articles both
cover, and each scored entry's F1 on those same articles — a model is read against what two careful readers reach
on the same text, not against 1.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from harness.schema import GoldArticle, PredictedClaim
from harness.score.agreement import agreement
from harness.score.evaluate import evaluate
from harness.score.model import CeilingField, HumanCeiling
from harness.score.vocabulary import REPORTED

__all__ = ["CeilingField", "HumanCeiling", "claims_by_entry", "human_ceiling"]


class Answered(Protocol):
    """What the ceiling reads of a sample's result (harness.extract.runner.SampleResult has it)."""

    prompt: str
    model: str
    repeat: int
    claims: list[PredictedClaim]


def claims_by_entry(results: Iterable[Answered]) -> dict[str, list[PredictedClaim]]:
    """Predicted claims per scored entry, labelled as the report labels it ("prompt · model", "· repeat r" when a
    run has several repeats); a failed sample adds none."""
    results = list(results)
    several = any(r.repeat for r in results)
    out: dict[str, list[PredictedClaim]] = {}
    for r in results:
        label = f"{r.prompt} · {r.model}" + (f" · repeat {r.repeat}" if several else "")
        out.setdefault(label, []).extend(r.claims)
    return out


def human_ceiling(
    gold: Mapping[str, GoldArticle],
    second: Mapping[str, GoldArticle],
    texts: Mapping[str, str],
    entries: Mapping[str, Sequence[PredictedClaim]],
    second_name: str,
    seed: int = 0,
    n_boot: int = 1000,
) -> HumanCeiling | None:
    """The ceiling on the articles both annotations and the run cover; None when they share none.

    `entries`: each scored entry's label and its predicted claims (any articles; those outside are left out)."""
    ids = sorted(set(gold) & set(second) & set(texts))
    if not ids:
        return None
    g, t = {i: gold[i] for i in ids}, {i: texts[i] for i in ids}
    agreed = agreement(g, {i: second[i] for i in ids}, t, seed=seed, n_boot=n_boot)
    scored = {
        label: evaluate(g, [c for c in preds if c.article_id in g], texts=t, seed=seed, n_boot=n_boot)
        for label, preds in entries.items()
    }
    fields = [
        CeilingField(
            field=a.field, annotators_f1=a.f1, annotators_ci=a.ci, annotators_symmetric_f1=a.f1_symmetric,
            entries_f1={label: getattr(r, a.field).f1 for label, r in scored.items()},
        )
        for a in agreed.fields
        if a.field in REPORTED
    ]  # fmt: skip
    return HumanCeiling(second=second_name, articles=ids, fields=fields)
