"""Run records for the report, compare and gate tests, built from gold-derived predictions scored by `evaluate`.

The predictions are the gold claims written as a model would answer (raw text only), so every expected number
below follows from the gold and arithmetic. The tests at the end check the builders themselves.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

from harness import records as rec
from harness.extract.cache import Usage
from harness.extract.provider import Failure, GenParams
from harness.extract.runner import SampleResult
from harness.schema import PredictedClaim
from harness.score import evaluate
from harness.score.vocabulary import REPORTED
from tests.conftest import GOLD, SEEDS

Answers = dict[str, list[PredictedClaim] | Failure]  # article id -> claims, or the failure of its sample


def gold_answers(gold) -> dict[str, list[PredictedClaim]]:
    """The gold claims as a model would answer them: raw figures and dates, evidence quotes, speaker."""
    return {
        aid: [
            PredictedClaim(
                article_id=aid, text=c.statement, evidence=[e.text for e in c.evidence],
                figures=[{"raw": f.raw} for f in c.figures], dates=[{"raw": d.raw} for d in c.dates],
                speaker=c.speaker,
            )
            for c in g.claims
        ]
        for aid, g in sorted(gold.items())
    }  # fmt: skip


def degrade_figures(answers: dict[str, list[PredictedClaim]], k: int, per_article: int | None = None,
                    ) -> dict[str, list[PredictedClaim]]:  # fmt: skip
    """A copy where k predicted figures get the wrong value "777" (no article has it): the first ones in article
    order, at most `per_article` in each article."""
    out = copy.deepcopy(answers)
    n = 0
    for aid in sorted(out):
        here = 0
        for c in out[aid]:
            for i, f in enumerate(c.figures):
                if n < k and (per_article is None or here < per_article):
                    c.figures[i] = f.model_copy(update={"raw": "777"})
                    n, here = n + 1, here + 1
    assert n == k, f"only {n} figures to degrade"
    return out


def make_record(
    runs: dict[tuple[str, str], Answers],
    gold=None,
    articles=None,
    *,
    run_id: str = "20250101T000000Z-test00",
    n_boot: int = 200,
    gold_dir: Path = GOLD,
    seeds_dir: Path = SEEDS,
    latency: float = 1.0,
) -> rec.RunRecord:
    """A run record as `harness run` writes it: one sample per (prompt, model, article), repeat 0, scored on the
    gold's articles when `gold` is given. Tokens: 1000 prompt + 100 completion per answered sample."""
    samples, scores = [], []
    for (prompt, model), answers in runs.items():
        group = []
        for aid, ans in sorted(answers.items()):
            failed = isinstance(ans, Failure)
            group.append(SampleResult(
                prompt=prompt, model=model, article_id=aid, repeat=0, key=f"{prompt}-{model}-{aid}",
                source="request", ok=not failed, claims=[] if failed else ans, failure=ans if failed else None,
                usage=Usage(prompt_tokens=1000, completion_tokens=0 if failed else 100),
                latency_s=latency, attempts=1,
            ))  # fmt: skip
        samples += group
        if gold:
            ids = sorted(set(answers) & set(gold))
            report = evaluate(
                {a: gold[a] for a in ids},
                [c for s in group for c in s.claims],
                n_boot=n_boot,
                texts={a: articles[a].text for a in ids} if articles else None,
            )
            scores.append(rec.ScoreEntry(prompt=prompt, model=model, repeat=0, articles=ids,
                                         report=report.model_dump(mode="json")))  # fmt: skip
    failed = [s for s in samples if not s.ok]
    gold_files = sorted(Path(gold_dir).glob("*.yaml"))
    ids = sorted({a for r in runs.values() for a in r})
    prompts = [
        rec.PromptRef(id=p, version="1", sha256="a" * 64, path=f"prompts/{p}.yaml")
        for p in sorted({p for p, _ in runs})
    ]
    return rec.RunRecord(
        run_id=run_id, started="2025-01-01T00:00:00Z", duration_s=1.5,
        provenance=rec.Provenance(git_commit="0" * 40, git_dirty=False, packages={"harness": "0.1.0"}),
        endpoint=rec.EndpointInfo(kind="remote", identity="http://127.0.0.1:9/v1"),
        models=sorted({m for _, m in runs}), prompts=prompts,
        articles=rec.DataRef(source=str(seeds_dir), sha256={a: articles[a].sha256 for a in ids}),
        gold=rec.DataRef(source=str(gold_dir), sha256=rec.file_hashes(gold_files)) if gold else None,
        parameters=rec.RunParameters(generation=GenParams(), repeats=1, concurrency=1, offline=False,
                                     max_failure_rate=0.5, n_boot=n_boot, score_seed=0),
        cache=rec.CacheCounts(requests=len(samples), attempts=len(samples)),
        summary=rec.Summary(samples=len(samples), failed=len(failed), failure_rate=len(failed) / len(samples),
                            failures_by_kind=dict(Counter(s.failure.kind for s in failed))),
        samples=samples, scores=scores,
    )  # fmt: skip


def write(record: rec.RunRecord, tmp_path: Path) -> Path:
    """Write the record under tmp_path/runs/<id>/run.json; returns the run's folder."""
    return rec.write_run(record, tmp_path / "runs").parent


# ---- the builders themselves --------------------------------------------------------------------------------


def test_gold_answers_score_one(gold, articles):
    r = make_record({("guided", "m"): gold_answers(gold)}, gold, articles)
    report = r.scores[0].report
    for f in REPORTED:
        assert report[f]["f1"] == 1.0, f


def test_degrade_figures_wrong_value(gold, articles):
    # The gold has 2 + 8 + 7 + 8 + 3 = 28 figures (`harness gold stats`); 5 wrong values: COR 23, INC 5 ->
    # P = R = 23/28.
    r = make_record({("guided", "m"): degrade_figures(gold_answers(gold), 5)}, gold, articles)
    fig = r.scores[0].report["figures"]
    assert fig["counts"]["correct"] == 23
    assert abs(fig["f1"] - 23 / 28) < 1e-12
