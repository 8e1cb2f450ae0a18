"""Predictions built from the gold to fool the scorer, each with the verdict a careful annotator would give.

Every expected number comes from the gold annotations (gold/*.yaml, read by people from the articles) and the
arithmetic in the comment next to it, never from the scorer's own output. Gold totals: 39 claims, 28 figures,
22 dates, 30 attributed claims. A matched claim pair earns 2 x credit / (gold slots + predicted slots), its slots
being its figures, dates and speaker (correct 1, partial 0.5); docs/SCORING.md §4.
"""

from __future__ import annotations

import pytest

from harness.schema import PredictedClaim
from tests.conftest import score_with_texts

A000, A001, A002, A003, A004 = ("000_5c7c061acdd0991c", "001_ace72b6c210ee1f9", "002_61bc8efce56588cd",
                                "003_c50be10e8d192006", "004_5da99a7ff07c33c6")  # fmt: skip


@pytest.fixture(scope="module")
def score():
    return lambda gold, preds, **kw: score_with_texts(gold, preds, n_boot=50, **kw)


def claim(gold_claim, aid, **changes) -> PredictedClaim:
    """A gold claim as a model would answer it (raw values, its evidence quoted), with some parts changed."""
    base = {
        "article_id": aid, "text": gold_claim.statement, "evidence": [e.text for e in gold_claim.evidence],
        "figures": [{"raw": f.raw} for f in gold_claim.figures], "dates": [{"raw": d.raw} for d in gold_claim.dates],
        "speaker": gold_claim.speaker,
    }  # fmt: skip
    return PredictedClaim(**{**base, **changes})


def perfect(gold) -> list[PredictedClaim]:
    return [claim(c, aid) for aid, g in sorted(gold.items()) for c in g.claims]


def test_a_bag_of_every_value_in_one_textless_claim_scores_nothing(gold, score):
    # One claim per article, no text, no evidence, every gold figure and date of the article: it says nothing an
    # annotator could place, so it matches no gold claim. figures: COR 0, SPU 28, MIS 28 -> P = R = F1 = 0; the
    # same for dates (SPU 22, MIS 22). The value-anywhere diagnostic still finds every value (F1 1.0).
    bag = [
        PredictedClaim(
            article_id=aid,
            figures=[{"raw": f.raw} for c in g.claims for f in c.figures],
            dates=[{"raw": d.raw} for c in g.claims for d in c.dates],
        )
        for aid, g in sorted(gold.items())
    ]
    r = score(gold, bag)
    assert r.figures.counts == {"correct": 0, "partial": 0, "incorrect": 0, "missing": 28, "spurious": 28}
    assert r.dates.counts == {"correct": 0, "partial": 0, "incorrect": 0, "missing": 22, "spurious": 22}
    assert (r.figures.f1, r.dates.f1, r.claims.f1) == (0.0, 0.0, 0.0)
    assert r.figures_anywhere.f1 == 1.0 and r.dates_anywhere.f1 == 1.0
    # The best single gold claim, predicted alone and right, scores more: 001-07 holds 2 of the 28 figures,
    # P = 2/2, R = 2/28 -> F1 = 2 x 1 x (1/14) / (1 + 1/14) = 2/15 = 0.133.
    best = claim(next(c for c in gold[A001].claims if c.id == "001-07"), A001)
    assert score(gold, [best]).figures.f1 == pytest.approx(2 / 15)


def test_a_bag_placed_on_one_claim_earns_only_that_claims_values(gold, score):
    # Article 001 only: one claim quoting 001-01's evidence and carrying all 8 figures and 8 dates of the article.
    # It matches 001-01; inside the pair 30 juta and "pada 2024" are right (COR 1 each), the other 7 + 7 values are
    # spurious and the 7 + 7 gold values of the other claims missing: P = 1/8, R = 1/8, F1 = 0.125 on both fields.
    # Predicting 001-07 alone and right would give figures F1 = 2 x 1 x (2/8) / (1 + 2/8) = 0.4: the bag is worse.
    g001 = gold[A001]
    first = g001.claims[0]
    bag = claim(first, A001, figures=[{"raw": f.raw} for c in g001.claims for f in c.figures],
                dates=[{"raw": d.raw} for c in g001.claims for d in c.dates])  # fmt: skip
    r = score({A001: g001}, [bag])
    assert (r.figures.counts["correct"], r.figures.counts["spurious"], r.figures.counts["missing"]) == (1, 7, 7)
    assert r.figures.f1 == pytest.approx(0.125) and r.dates.f1 == pytest.approx(0.125)
    alone = score({A001: g001}, [claim(g001.claims[6], A001)])
    assert alone.figures.f1 == pytest.approx(0.4) and alone.figures.f1 > r.figures.f1


def test_values_moved_to_the_wrong_claims_earn_nothing(gold, score):
    # Each claim keeps its text, evidence and speaker but carries the values of the next gold claim of its article
    # (the last takes the first's). No two neighbouring claims share a value, so strict credit is 0 on figures and
    # dates. Partial credit comes only from coincidences a reader would also see: figures, 002-05 "800 ribuan"
    # (800000) given 002-06's "8" has the same digit (scale_flip); dates, 001-02 2023-12-04 given "hingga Desember
    # 2023" and 001-03 2023-12 given "sepanjang 2023" and 004-01 2022-03-28 given "2022 ini" (coarser), 001-04 2023
    # given "Per Maret 2023" (finer). Every value is still somewhere in its article: figures_anywhere = 1.0.
    preds = []
    for aid, g in sorted(gold.items()):
        for k, c in enumerate(g.claims):
            nxt = g.claims[(k + 1) % len(g.claims)]
            preds.append(
                claim(c, aid, figures=[{"raw": f.raw} for f in nxt.figures], dates=[{"raw": d.raw} for d in nxt.dates])
            )
    r = score(gold, preds)
    assert r.figures.counts["correct"] == 0 and r.figures.counts["partial"] == 1
    assert r.dates.counts["correct"] == 0 and r.dates.counts["partial"] == 4
    assert r.figures.f1 == 0.0 and r.dates.f1 == 0.0
    assert r.figures_anywhere.f1 == 1.0
    assert r.attribution.f1 == 1.0  # the speakers were not moved


def test_two_claims_with_swapped_values_by_hand(gold, score):
    # Article 000: 000-01 (2 juta, pada Desember 2020, Odo) and 000-02 (3,8 juta, Odo) swap their values; 000-03..05
    # are right. figures: pair 01 2 juta vs 3,8 juta INC, pair 02 3,8 juta vs 2 juta INC -> COR 0, F1 0.
    # dates: 01's Desember 2020 MIS, the same date on 02 SPU, 04's Maret 2020 COR -> P = 1/2, R = 1/2.
    # claims: 01 has 3 gold slots (fig, date, speaker) and 2 predicted (fig, speaker), credit 1 (speaker) ->
    # 2/5; 02 has 2 gold, 3 predicted, credit 1 -> 2/5; 03, 04, 05 earn 1 -> P = R = (0.4 + 0.4 + 3)/5 = 0.76.
    g = gold[A000]
    c1, c2, *rest = g.claims
    preds = [claim(c1, A000, figures=[{"raw": "3,8 juta"}], dates=[]),
             claim(c2, A000, figures=[{"raw": "2 juta"}], dates=[{"raw": "pada Desember 2020"}]),
             *(claim(c, A000) for c in rest)]  # fmt: skip
    r = score({A000: g}, preds)
    assert r.figures.counts == {"correct": 0, "partial": 0, "incorrect": 2, "missing": 0, "spurious": 0}
    assert (r.dates.precision, r.dates.recall) == (0.5, 0.5)
    assert r.claims.precision == pytest.approx(0.76) and r.claims.recall == pytest.approx(0.76)


def test_leaving_out_only_the_speaker_gives_a_graded_claim_score(gold, score):
    # Every claim right but without a speaker. A claim with f figures, d dates and a gold speaker (s = 1) earns
    # 2(f + d) / (2(f + d) + s); one with no slot at all earns 1. Per article, from the gold:
    #   000: 01 (1,1,1) 4/5, 02 (1,0,1) 2/3, 03 (0,0,1) 0, 04 (0,1,0) 1, 05 (0,0,0) 1            = 52/15
    #   001: 01, 02, 05, 06 (1,1,1) 4/5 each, 03 (1,1,0) 1, 04 (0,1,1) 2/3, 07 (2,0,0) 1, 08 (1,2,0) 1, 09 0
    #                                                                                            = 103/15
    #   002: 01 (0,1,0) 1, and nine claims with one slot and a speaker at 2/3                     = 7
    #   003: 01 (1,3,1) 8/9, 02, 03, 05 (0,0,1) 0, 04, 07, 08, 09 (1,0,1) 2/3, 06 (2,0,1) 4/5, 10, 11 (no speaker) 1
    #                                                                                            = 286/45
    #   004: 01 (0,1,0) 1, 02..04 (1,1,1) 4/5                                                   = 17/5
    # Sum = (156 + 309 + 315 + 286 + 153) / 45 = 1219/45; P = R = 1219 / (45 x 39) = 0.69459.
    preds = [p.model_copy(update={"speaker": None}) for p in perfect(gold)]
    r = score(gold, preds)
    assert r.claims.precision == pytest.approx(1219 / 1755) and r.claims.recall == pytest.approx(1219 / 1755)
    assert r.claims.credit == pytest.approx(1219 / 45)
    assert r.per_article[A000]["claims"].recall == pytest.approx(52 / 75)  # (52/15) / 5 claims
    assert 0 < r.claims.f1 < 1 and r.claims_exact.recall == pytest.approx(9 / 39)  # the 9 claims without a speaker
    assert r.attribution.counts["missing"] == 30 and r.attribution.recall == 0.0
    assert r.figures.f1 == 1.0 and r.dates.f1 == 1.0


LOOKALIKES = {  # a different person (or body) who shares part of the name
    "Odo Manuhutu": "Odo Kusuma",
    "Rudy Salahuddin": "Rudy Hartono",
    "Kemenko Perekonomian": "Kemenko Marves",
    "Pemerintah": "Pemerintah Provinsi Banten",
    "Lies Zeny Merry": "Lies Hartati",
    "Budi Primawan": "Budi Arie",
    "Agus Mintono": "Agus Salim",
    "Johnny G. Plate": "Johnny Depp",
    "Joko Widodo": "Joko Susilo",
}


def test_lookalike_speakers_earn_nothing(gold, score):
    # All 30 attributed claims name someone else who shares a name part: INC 30, COR 0 -> P = R = 0.
    preds = [p.model_copy(update={"speaker": LOOKALIKES[p.speaker]}) if p.speaker else p for p in perfect(gold)]
    r = score(gold, preds)
    assert r.attribution.counts == {"correct": 0, "partial": 0, "incorrect": 30, "missing": 0, "spurious": 0}
    assert r.errors.get("misattribution") == 30 and "organisation_for_person" not in r.errors


def test_claims_lifted_from_scraped_noise_earn_nothing(gold, score, articles):
    # Added to perfect predictions: a claim quoting 001's "Cek Berita dan Artikel yang lain di Google News" link,
    # and one quoting 000's "Baca Juga" with a figure and a speaker. Both are from noise: spurious claims, their
    # figure and speaker spurious. claims: credit 39, ACT 41 -> P = 39/41, R = 1; figures P = 28/29.
    noise = [
        PredictedClaim(
            article_id=A001,
            text="Cek Berita dan Artikel yang lain di Google News",
            evidence=["Cek Berita dan Artikel yang lain di Google News"],
        ),
        PredictedClaim(article_id=A000, text="Baca Juga", evidence=["Baca Juga"], figures=["3,8 juta"], speaker="Odo"),
    ]
    r = score(gold, perfect(gold) + noise)
    assert r.claims.precision == pytest.approx(39 / 41) and r.claims.recall == 1.0
    assert r.figures.precision == pytest.approx(28 / 29) and r.attribution.precision == pytest.approx(30 / 31)
    assert r.errors.get("from_noise") == 2 and r.grounding["from_noise_claims"] == 2


def test_a_date_taken_from_the_dateline_noise_is_not_credited(gold, score):
    # 001 opens with the scraped token "date 2023-12". A right 001-02 claim (27 juta, Rudy) whose date is that
    # "2023-12" instead of "Senin (4/12/2023)" would be a coarser date (partial); taken from noise it earns nothing:
    # the gold date is missing, the noise date spurious. dates: COR 21, MIS 1, SPU 1 -> P = R = 21/22.
    preds = [claim(c, aid, dates=[{"raw": "2023-12"}]) if c.id == "001-02" else claim(c, aid)
             for aid, g in sorted(gold.items()) for c in g.claims]  # fmt: skip
    r = score(gold, preds)
    assert r.dates.counts == {"correct": 21, "partial": 0, "incorrect": 0, "missing": 1, "spurious": 1}
    assert r.errors.get("from_noise") == 1 and r.grounding["from_noise_values"] == 1


def test_a_paraphrase_with_the_right_values_is_matched(gold, score):
    # 000-02 in other words, no quote: "Jumlah UMKM yang sudah bergabung mencapai 3,8 juta" shares with the gold
    # evidence the content words umkm, bergabung, mencapai, juta (Dice 2 x 4 / (5 + 16) = 0.38 >= 0.3): matched,
    # and its figure and speaker are right -> the pair earns 1. The same values under an unrelated sentence match
    # nothing: the claim, its figure and its speaker are spurious and 000-02 is missing.
    g = gold[A000]
    others = [claim(c, A000) for c in g.claims if c.id != "000-02"]
    para = PredictedClaim(article_id=A000, text="Jumlah UMKM yang sudah bergabung mencapai 3,8 juta",
                          figures=["3,8 juta"], speaker="Odo")  # fmt: skip
    r = score({A000: g}, [*others, para])
    assert (r.claims.precision, r.claims.recall, r.figures.f1) == (1.0, 1.0, 1.0)
    unrelated = para.model_copy(update={"text": "Harga cabai di pasar tradisional naik tajam"})
    r = score({A000: g}, [*others, unrelated])
    assert r.claims.counts["missing"] == 1 and r.claims.counts["spurious"] == 1
    assert r.figures.counts == {"correct": 1, "partial": 0, "incorrect": 0, "missing": 1, "spurious": 1}


def test_evidence_not_in_the_article_is_reported_ungrounded(gold, score):
    # Two quotes: one retyped with other line breaks and curly quotes (found, normalised), one invented.
    g = gold[A000]
    good = claim(
        g.claims[2],
        A000,
        evidence=["“Animo masyarakat, kalau bisa dilihat   mulai meningkat pembelian produk-produk lokal,” kata Odo"],
    )
    bad = claim(g.claims[3], A000, evidence=["Pada Maret 2020 semua UMKM di Tangerang tutup permanen"])
    r = score({A000: g}, [good, bad])
    assert r.grounding["normalised"] == 1 and r.grounding["ungrounded_evidence"] == 1
    assert r.errors["ungrounded_evidence"] == 1
    # The invented quote is no anchor, but the claim's words still place it: its English text and the quote share
    # maret, 2020, covid, 19, umkm with 000-04's evidence (11 content words) out of 17 distinct predicted words:
    # Dice 2 x 5 / (17 + 11) = 0.36 >= 0.3, so 000-04 is matched and its date "Pada Maret 2020" is correct; 000-01's
    # date was not predicted. dates: COR 1, MIS 1.
    assert r.dates.counts == {"correct": 1, "partial": 0, "incorrect": 0, "missing": 1, "spurious": 0}


def test_the_speakers_organisation_is_judged_by_the_gold_field_the_same_way_every_time(gold, score):
    # Odo Manuhutu's gold organisation is "... (Kemenko Marves)", Rudy Salahuddin's "Kemenko Perekonomian" (which in
    # 001 is also a speaker of its own). Naming the organisation instead of the person on Odo's 3 claims (000-01..03)
    # and Rudy's 2 (001-02, 001-09) is partial every time, however the organisation is written:
    # attribution COR 25, PAR 5 of 30 -> strict P = R = 25/30; relaxed (25 + 2.5)/30 = 0.9167.
    orgs = {"Odo Manuhutu": "Kemenko Marves", "Rudy Salahuddin": "Kemenko Perekonomian"}
    preds = [p.model_copy(update={"speaker": orgs.get(p.speaker, p.speaker)}) for p in perfect(gold)]
    preds[0] = preds[0].model_copy(update={"speaker": "Kementerian Koordinator Bidang Kemaritiman dan Investasi"})
    r = score(gold, preds)
    assert r.attribution.counts == {"correct": 25, "partial": 5, "incorrect": 0, "missing": 0, "spurious": 0}
    assert r.attribution.relaxed.recall == pytest.approx(27.5 / 30)
    assert r.errors.get("organisation_for_person") == 5
