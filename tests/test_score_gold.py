"""Scoring the real gold against transformed copies of itself (issue: scoring core, done-when 1 and 3)."""

from __future__ import annotations

import json

import pytest

from harness.predictions import dump_predictions
from harness.schema import Figure, PredictedClaim
from harness.score.vocabulary import REPORTED as FIELDS
from tests.conftest import cli, run_cli, score_with_texts

evaluate = score_with_texts


def as_predictions(gold, values: bool) -> list[PredictedClaim]:
    """The gold claims as a model would answer them: raw text only (values=False) or with values too."""
    return [
        PredictedClaim(
            article_id=aid, text=c.statement, evidence=[e.text for e in c.evidence],
            figures=[f.model_dump() if values else {"raw": f.raw} for f in c.figures],
            dates=[d.model_dump() if values else {"raw": d.raw} for d in c.dates],
            speaker=c.speaker,
        )
        for aid, g in sorted(gold.items())
        for c in g.claims
    ]  # fmt: skip


@pytest.mark.parametrize("values", [True, False], ids=["with-values", "raw-only"])
def test_gold_against_itself_is_one_everywhere(gold, values):
    # raw-only is the stronger check: the normalisers must read every raw string of the gold exactly as the
    # annotators valued it (value, unit class, approx, qualifier; TIMEX value).
    r = evaluate(gold, as_predictions(gold, values), n_boot=100)
    for f in FIELDS:
        s = getattr(r, f)
        assert (s.precision, s.recall, s.f1, s.relaxed.f1) == (1.0, 1.0, 1.0, 1.0), (f, s.counts, r.errors)
        for aid in gold:
            assert r.per_article[aid][f].f1 == 1.0, (aid, f)


def test_figure_and_date_objects_are_read_by_their_fields():
    # A Figure or DateRef object handed to a prediction (a gold claim's, in `harness agree`) keeps its fields; it used
    # to be read as one string, its repr, so the gold against itself scored figures F1 0.214 (22 approx_mismatch).
    from decimal import Decimal

    from harness.schema import DateRef

    p = PredictedClaim(article_id="x", figures=[Figure(raw="sekitar 27 juta", value=Decimal(27000000), approx=True)],
                       dates=[DateRef(raw="Senin (4/12/2023)", value="2023-12-04", role="point")])  # fmt: skip
    assert (p.figures[0].raw, p.figures[0].value, p.figures[0].approx) == ("sekitar 27 juta", 27000000, True)
    assert (p.dates[0].raw, p.dates[0].value, p.dates[0].role) == ("Senin (4/12/2023)", "2023-12-04", "point")


def _n_figures(gold) -> int:
    return sum(len(c.figures) for g in gold.values() for c in g.claims)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_removing_k_figures_gives_recall_n_minus_k_over_n(gold, k):
    preds = as_predictions(gold, values=False)
    n = _n_figures(gold)
    removed = 0
    for p in preds:  # drop the first figure of the first k claims that have one
        if removed < k and p.figures:
            p.figures.pop(0)
            removed += 1
    assert removed == k
    r = evaluate(gold, preds, n_boot=100)
    # COR = N - k, MIS = k, nothing spurious: R = (N - k) / N, P = 1
    assert r.figures.recall == pytest.approx((n - k) / n, abs=1e-12)
    assert r.figures.precision == 1.0
    assert r.figures.counts["missing"] == k


@pytest.mark.parametrize("k", [1, 4])
def test_adding_k_spurious_figures_gives_precision_n_over_n_plus_k(gold, k):
    preds = as_predictions(gold, values=False)
    n = _n_figures(gold)
    for i in range(k):  # values that occur in no article: 7.777.70x
        preds[i].figures.append(Figure(raw=f"7.777.70{i}"))
    r = evaluate(gold, preds, n_boot=100)
    # COR = N, SPU = k: P = N / (N + k), R = 1
    assert r.figures.precision == pytest.approx(n / (n + k), abs=1e-12)
    assert r.figures.recall == 1.0


def test_outlet_instead_of_speaker_is_an_attribution_error(gold):
    preds = as_predictions(gold, values=False)
    odo = next(p for p in preds if p.article_id.startswith("000") and p.speaker == "Odo Manuhutu")
    odo.speaker = "Sindonews"
    r = evaluate(gold, preds, n_boot=100)
    pos = sum(1 for g in gold.values() for c in g.claims if c.speaker)
    # one of POS attributed claims now INC: R = (POS - 1) / POS
    assert r.attribution.counts["incorrect"] == 1
    assert r.attribution.recall == pytest.approx((pos - 1) / pos)
    assert r.errors["outlet_as_speaker"] == 1
    assert r.figures.f1 == 1.0  # the figures are untouched


def test_inference_given_to_the_official_is_spurious_attribution(gold):
    preds = as_predictions(gold, values=False)
    inferred = [p for p, c in zip(preds, (c for g in sorted(gold.items()) for c in g[1].claims), strict=True)
                if c.attribution.kind == "inference"]  # fmt: skip
    assert inferred, "the gold has the journalist's inferences (Artinya, ...)"
    inferred[0].speaker = "Rudy Salahuddin"
    r = evaluate(gold, preds, n_boot=100)
    assert r.attribution.counts["spurious"] == 1
    assert r.errors["speaker_for_unattributed"] == 1


def test_score_json_is_byte_identical_for_the_same_seed(tmp_path, gold):
    path = tmp_path / "p.jsonl"
    preds = as_predictions(gold, values=False)
    preds[0].figures = []
    path.write_text(dump_predictions(preds), encoding="utf-8")
    a = run_cli("score", "--predictions", str(path), "--json", "--seed", "3", "--n-boot", "100")
    b = run_cli("score", "--predictions", str(path), "--json", "--seed", "3", "--n-boot", "100")
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    out = json.loads(a.stdout)
    for f in FIELDS:  # the headline four and the diagnostics, each with the same public keys
        assert {"precision", "recall", "f1", "ci", "relaxed", "counts"} <= set(out[f])
        assert set(out[f]["counts"]) == {"correct", "partial", "incorrect", "missing", "spurious"}
    # Every gold claim is predicted and matched; only the first (000-01: one figure, one date, a speaker) lost its
    # figure, so its pair has 3 gold slots, 2 predicted, 2 correct: credit 2 x 2 / (3 + 2) = 0.8. The other
    # claims earn 1 each: credit = (claims - 1) + 0.8 (39 gold claims: 38.8).
    first = gold[sorted(gold)[0]].claims[0]
    assert (len(first.figures), len(first.dates), first.speaker is not None) == (1, 1, True)
    n_claims = sum(len(g.claims) for g in gold.values())
    assert out["claims"]["credit"] == pytest.approx(n_claims - 1 + 0.8)
    assert "grounding" in out and set(out["per_article"]) == set(gold)
    assert (out["seed"], out["n_boot"]) == (3, 100)  # the resampling the options asked for


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("{not json", ["invalid JSON"]),
        ('{"text": "no article id"}', ["article_id", "missing"]),
        ("[1, 2]", ["JSON object"]),
    ],
)
def test_malformed_prediction_line_is_named(tmp_path, line, words):
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"article_id": "000_5c7c061acdd0991c", "figures": ["3,8 juta"]}\n\n' + line + "\n", encoding="utf-8"
    )
    r = cli("score", "--predictions", str(path))
    assert r.returncode == 2
    assert "p.jsonl:3:" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    for w in words:
        assert w in r.stderr


def test_non_utf8_predictions_are_named(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"article_id": "000_5c7c061acdd0991c"}\n{"article_id": "\xff"}\n')
    r = cli("score", "--predictions", str(path))
    assert r.returncode == 2 and "p.jsonl:2:" in r.stderr and "UTF-8" in r.stderr


def test_unknown_articles_and_missing_fields_do_not_crash(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"article_id": "nope"}\n'
        '{"article_id": "000_5c7c061acdd0991c", "figures": [{"raw": "??"}], "dates": ["kapan-kapan"]}\n',
        encoding="utf-8",
    )
    r = cli("score", "--predictions", str(path), "--json", "--n-boot", "50")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ignored_predictions"] == {"nope": 1}
    assert out["unparsed"] == {"figures": 1, "dates": 1}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", ["no predicted claims"]),
        ("\n\n", ["no predicted claims"]),
        (
            '{"article_id": "999_unknown", "figures": ["3,8 juta"]}\n',
            ["no prediction names a gold article", "999_unknown"],
        ),
    ],
    ids=["empty", "blank-lines", "no-gold-article"],
)
def test_predictions_that_score_nothing_are_refused(tmp_path, content, words):
    path = tmp_path / "p.jsonl"
    path.write_text(content, encoding="utf-8")
    r = cli("score", "--predictions", str(path))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "p.jsonl" in r.stderr and all(w in r.stderr for w in words)


def test_zero_resamples_is_a_usage_error(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"article_id": "000_5c7c061acdd0991c", "figures": ["3,8 juta"]}\n', encoding="utf-8")
    r = cli("score", "--predictions", str(path), "--n-boot", "0")
    assert r.returncode == 2 and "n-boot" in r.stderr
