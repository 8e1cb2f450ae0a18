"""The scoring core on cases small enough to check by hand, built from the articles' own sentences.

Each expected number is derived in a comment from the counts (COR, PAR, INC, MIS, SPU) and the formulas of
docs/SCORING.md: strict P = COR/ACT, R = COR/POS; relaxed adds 0.5 per PAR. A matched claim pair earns
2 x credit / (gold slots + predicted slots), its slots being its figures, dates and speaker (correct 1, partial 0.5).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from harness.schema import Attribution, DateRef, Evidence, Figure, GoldArticle, GoldClaim, PredictedClaim, Speaker
from harness.score.vocabulary import REPORTED
from tests.conftest import score_with_texts

A000 = "000_5c7c061acdd0991c"
A001 = "001_ace72b6c210ee1f9"


evaluate = score_with_texts


def _ev(articles, aid, text):
    return Evidence(text=text, start=articles[aid].text.index(text))


@pytest.fixture
def mini_gold(articles):
    """Two claims of article 000 and one of 001, annotated by hand for these tests."""
    odo = Speaker(name="Odo Manuhutu", aliases=["Odo"], role="Deputi", organisation="Kemenko Marves")
    rudy = Speaker(name="Rudy Salahuddin", aliases=["Rudy"], organisation="Kemenko Perekonomian")
    g000 = GoldArticle(
        article_id=A000, sha256=articles[A000].sha256, speakers=[odo],
        claims=[
            GoldClaim(
                id="t-1", statement="target 2 million MSMEs by December 2020",
                evidence=[_ev(articles, A000, "pemerintah mematok target 2 juta UMKM bergabung ke ekosistem digital , "
                                 "pada Desember 2020")],
                figures=[Figure(raw="2 juta", value=Decimal(2000000), unit="count")],
                dates=[DateRef(raw="pada Desember 2020", value="2020-12", role="target")],
                attribution=Attribution(speaker="Odo Manuhutu", cue="mengatakan", kind="indirect"),
            ),
            GoldClaim(
                id="t-2", statement="3.8 million MSMEs have joined",
                evidence=[_ev(articles, A000, "Saat ini, angka UMKM yang telah bergabung telah mencapai 3,8 juta.")],
                figures=[Figure(raw="3,8 juta", value=Decimal(3800000), unit="count")],
                attribution=Attribution(speaker="Odo Manuhutu", cue="sambung", kind="direct"),
            ),
        ],
    )  # fmt: skip
    g001 = GoldArticle(
        article_id=A001,
        sha256=articles[A001].sha256,
        published="2023-12-04",
        speakers=[rudy],
        claims=[
            GoldClaim(
                id="t-3",
                statement="27 million MSMEs have gone digital",
                evidence=[
                    _ev(
                        articles,
                        A001,
                        "Saat ini sudah 27 juta yang sudah go digital,” ujarnya dalam Media Briefing: "
                        "Peluncuran Buku Putih Strategi Nasional Pengembangan Ekonomi Digital, Senin (4/12/2023)",
                    )
                ],
                figures=[Figure(raw="27 juta", value=Decimal(27000000), unit="count")],
                dates=[DateRef(raw="Senin (4/12/2023)", value="2023-12-04", role="point")],
                attribution=Attribution(speaker="Rudy Salahuddin", cue="ujar", kind="direct"),
            ),
        ],
    )
    return {A000: g000, A001: g001}


def _pred(aid, text, figures=(), dates=(), speaker=None):
    return PredictedClaim(article_id=aid, text=text, figures=list(figures), dates=list(dates), speaker=speaker)


def _perfect():
    return [
        _pred(A000, "pemerintah mematok target 2 juta UMKM pada Desember 2020", ["2 juta"], ["Desember 2020"], "Odo"),
        _pred(A000, "angka UMKM yang telah bergabung telah mencapai 3,8 juta", ["3,8 juta"], [], "Odo Manuhutu"),
        _pred(
            A001, "Saat ini sudah 27 juta yang sudah go digital", ["27 juta"], ["Senin (4/12/2023)"], "Rudy Salahuddin"
        ),
    ]


def test_perfect_predictions_score_one(mini_gold):
    r = evaluate(mini_gold, _perfect(), n_boot=200)
    for field in REPORTED:
        s = getattr(r, field)
        assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0), field


def test_scale_flip_38_juta_for_3_8_juta(mini_gold):
    preds = _perfect()
    preds[1] = _pred(A000, "angka UMKM yang telah bergabung telah mencapai 38 juta", ["38 juta"], [], "Odo")
    r = evaluate(mini_gold, preds, n_boot=200)
    # figures: "2 juta" COR, "27 juta" COR, "38 juta" vs "3,8 juta" same digits 38 -> PAR (scale_flip).
    # POS = ACT = 3; strict P = R = 2/3; relaxed P = R = (2 + 0.5)/3 = 0.8333...
    assert r.figures.counts == {"correct": 2, "partial": 1, "incorrect": 0, "missing": 0, "spurious": 0}
    assert r.figures.precision == pytest.approx(2 / 3) and r.figures.recall == pytest.approx(2 / 3)
    assert r.figures.relaxed.recall == pytest.approx(2.5 / 3)
    assert r.errors.get("scale_flip") == 1
    # claims: t-2 is matched; its slots are the figure and the speaker on both sides (2 + 2), credit 0.5 + 1 = 1.5
    # -> 2 x 1.5 / 4 = 0.75; t-1 and t-3 earn 1. P = R = (1 + 0.75 + 1) / 3 = 0.91667; all-or-nothing: 2/3.
    assert r.claims.counts["partial"] == 1 and r.claims.recall == pytest.approx(2.75 / 3)
    assert r.claims.credit == pytest.approx(2.75)
    assert r.claims_exact.recall == pytest.approx(2 / 3)


def test_year_2023_for_senin_4_12_2023_is_coarser(mini_gold):
    preds = _perfect()
    preds[2] = _pred(A001, "Saat ini sudah 27 juta yang sudah go digital", ["27 juta"], ["2023"], "Rudy")
    r = evaluate(mini_gold, preds, n_boot=200)
    # dates: "Desember 2020" COR; "2023" vs 2023-12-04 -> PAR (coarser). POS = ACT = 2.
    # strict R = 1/2 = 0.5; relaxed R = (1 + 0.5)/2 = 0.75
    assert r.dates.counts["correct"] == 1 and r.dates.counts["partial"] == 1
    assert r.dates.recall == pytest.approx(0.5) and r.dates.relaxed.recall == pytest.approx(0.75)
    assert r.errors.get("coarser_date") == 1
    # figures untouched: R = 3/3. claims: t-3 has figure, date, speaker on both sides (3 + 3), credit
    # 1 + 0.5 + 1 = 2.5 -> 2 x 2.5 / 6 = 0.8333; with t-1, t-2 at 1: R = (2 + 0.8333) / 3 = 0.9444
    assert r.figures.recall == 1.0
    assert r.claims.recall == pytest.approx((2 + 5 / 6) / 3)


def test_sindonews_for_odo_is_an_attribution_error(mini_gold):
    preds = _perfect()
    preds[1] = _pred(A000, "angka UMKM yang telah bergabung telah mencapai 3,8 juta", ["3,8 juta"], [], "Sindonews")
    r = evaluate(mini_gold, preds, n_boot=200)
    # attribution: t-1 COR, t-3 COR, t-2 "Sindonews" -> INC (outlet_as_speaker). POS = ACT = 3.
    # P = R = 2/3
    assert r.attribution.counts == {"correct": 2, "partial": 0, "incorrect": 1, "missing": 0, "spurious": 0}
    assert r.attribution.recall == pytest.approx(2 / 3)
    assert r.errors.get("outlet_as_speaker") == 1


def test_duplicate_prediction_is_spurious(mini_gold):
    preds = [*_perfect(), _perfect()[2]]
    r = evaluate(mini_gold, preds, n_boot=200)
    # the copy of the 27 juta claim cannot align again: one spurious claim, one spurious figure and date,
    # one spurious speaker. claims: COR 3, SPU 1 -> P = 3/4, R = 1; the copy is labelled a duplicate.
    assert r.claims.counts["spurious"] == 1 and r.errors.get("duplicate") == 1
    assert r.claims.precision == pytest.approx(3 / 4) and r.claims.recall == 1.0
    assert r.figures.counts["spurious"] == 1 and r.figures.precision == pytest.approx(3 / 4)


def test_missing_article_predictions_are_all_missing(mini_gold):
    preds = [p for p in _perfect() if p.article_id != A001]
    r = evaluate(mini_gold, preds, n_boot=200)
    # 001 has 1 figure, 1 date, 1 speaker, 1 claim, all missing; 000 all correct.
    # figures R = 2/3, P = 2/2 = 1; dates R = 1/2; attribution R = 2/3; claims R = 2/3
    assert r.figures.recall == pytest.approx(2 / 3) and r.figures.precision == 1.0
    assert r.dates.recall == pytest.approx(1 / 2)
    assert r.per_article[A001]["claims"].recall == 0.0
    # macro recall over the two articles: (1 + 0)/2 = 0.5 for claims
    assert r.claims.macro["strict"].recall == pytest.approx(0.5)


def test_unparseable_value_is_counted_as_wrong_not_dropped(mini_gold):
    preds = _perfect()
    preds[2] = PredictedClaim.model_validate(
        {"article_id": A001, "text": "Saat ini sudah 27 juta yang sudah go digital",
         "figures": [{"raw": "27 juta", "value": "banyak sekali"}], "dates": ["Senin (4/12/2023)"], "speaker": "Rudy"}
    )  # fmt: skip
    r = evaluate(mini_gold, preds, n_boot=200)
    # the figure is present but unreadable: it pairs inside its claim as INC. COR 2, INC 1 -> P = R = 2/3
    assert r.unparsed["figures"] == 1
    assert r.figures.counts["incorrect"] == 1 and r.figures.precision == pytest.approx(2 / 3)


def test_a_place_given_as_a_date_is_a_spurious_unreadable_date(mini_gold):
    # The embedded model put "Istana Negara, Jakarta" in a claim's dates (article 004). On t-2, which has no gold
    # date, it is spurious: dates COR 2, SPU 1 -> P = 2/3, R = 2/2; nothing in it could be a date: not_a_date.
    preds = _perfect()
    preds[1] = _pred(A000, "angka UMKM yang telah bergabung telah mencapai 3,8 juta", ["3,8 juta"],
                     ["Istana Negara, Jakarta"], "Odo Manuhutu")  # fmt: skip
    r = evaluate(mini_gold, preds, n_boot=200)
    assert r.unparsed["dates"] == 1
    assert (r.dates.precision, r.dates.recall) == (pytest.approx(2 / 3), 1.0)
    (spu,) = [it for it in r.items if it.field == "dates" and it.outcome == "spurious"]
    assert spu.error == "not_a_date" and spu.pred_raw == "Istana Negara, Jakarta"


def test_unknown_article_ids_are_reported_not_scored(mini_gold):
    preds = [*_perfect(), _pred("999_unknown", "x", ["5 juta"])]
    r = evaluate(mini_gold, preds, n_boot=200)
    assert r.ignored_predictions == {"999_unknown": 1}
    assert r.figures.f1 == 1.0


def test_unknown_article_id_and_no_resamples_are_refused(mini_gold):
    with pytest.raises(ValueError, match="999_unknown"):
        evaluate(mini_gold, _perfect(), article_ids=[A000, "999_unknown"], n_boot=10)
    with pytest.raises(ValueError, match="n_boot"):
        evaluate(mini_gold, _perfect(), n_boot=0)


def test_intervals_contain_the_point_and_are_seeded(mini_gold):
    preds = _perfect()
    preds[1] = _pred(A000, "mencapai 38 juta", ["38 juta"], [], "Odo")
    a = evaluate(mini_gold, preds, seed=7, n_boot=300)
    b = evaluate(mini_gold, preds, seed=7, n_boot=300)
    assert a.model_dump_json() == b.model_dump_json()
    lo, hi = a.figures.ci["recall"]
    assert lo <= a.figures.recall <= hi
    assert lo < hi  # 3 items with one partial: resampling moves the recall
