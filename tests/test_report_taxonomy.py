"""Every error type of the taxonomy, produced from the articles' own sentences (one change to the gold answers)."""

from __future__ import annotations

import pytest

from harness.report.taxonomy import NAMED, claim_flags, hallucinated_date, locate, taxonomy
from harness.schema import DateRef, PredictedClaim
from harness.score import evaluate
from tests.test_report_support import gold_answers

A0, A1, A2, A3, A4 = ("000_5c7c061acdd0991c", "001_ace72b6c210ee1f9", "002_61bc8efce56588cd",
                      "003_c50be10e8d192006", "004_5da99a7ff07c33c6")  # fmt: skip


def _claim(answers, gold, cid: str) -> PredictedClaim:
    aid = next(a for a in answers if a.startswith(cid[:3]))
    return answers[aid][[c.id for c in gold[aid].claims].index(cid)]


def _set_figure(raw):
    return lambda c: c.figures.__setitem__(0, c.figures[0].model_copy(update={"raw": raw}))


def _set_date(raw):
    return lambda c: c.dates.__setitem__(0, c.dates[0].model_copy(update={"raw": raw}))


CASES = {
    # "3,8 juta" (3 800 000) read as "38 juta" (38 000 000): the same digits 38 at another power of ten.
    "scale_flip": ("000-02", _set_figure("38 juta")),
    # "480 persen" answered as "480 orang": the value 480 is right, percent vs a count of persons is not.
    "wrong_unit": ("003-01", _set_figure("480 orang")),
    # "sekitar 27 juta" is approximate; "27 juta" is exact.
    "approx_mismatch": ("001-02", _set_figure("27 juta")),
    # "minimal 20 juta" is at least 20 juta; "20 juta" has no qualifier.
    "qualifier_mismatch": ("004-02", _set_figure("20 juta")),
    # "Senin (4/12/2023)" = 2023-12-04; "2023" is the right year, coarser.
    "coarser_date": ("001-02", _set_date("2023")),
    # "pada Desember 2020" = 2020-12; "pada 31 Desember 2020" is a day inside it, finer.
    "finer_date": ("000-01", _set_date("pada 31 Desember 2020")),
    # "Per Maret 2023" (as of) vs "sejak Maret 2023" (since): same month, other anchor.
    "wrong_anchor": ("001-05", _set_date("sejak Maret 2023")),
    # Budi Primawan's "pada 2020, Lazada menjadi bagian inisiator" given to Agus Mintono, another speaker of 002.
    "misattribution": ("002-03", lambda c: setattr(c, "speaker", "Agus Mintono")),
    # "kata Odo, kepada Sindonews": Sindonews is the addressee (the outlet), not the speaker.
    "outlet_as_speaker": ("000-03", lambda c: setattr(c, "speaker", "Sindonews")),
    # "5,2 juta" occurs nowhere in 000 (its figures are 3,8 juta and 2 juta: digits 38 and 2, not 52).
    "hallucinated_figure": ("000-02", lambda c: c.figures.append(c.figures[0].model_copy(update={"raw": "5,2 juta"}))),
    # "Juni 2021": 000 has no "Juni 2021" and no year 2021 (its years: 2020 only).
    "hallucinated_date": ("000-01", lambda c: c.dates.append(DateRef(raw="Juni 2021"))),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_each_error_type_from_one_change(kind, gold, articles):
    answers = gold_answers(gold)
    cid, change = CASES[kind]
    change(_claim(answers, gold, cid))
    report = evaluate(gold, [c for cs in answers.values() for c in cs], n_boot=10)
    t = taxonomy(answers, articles, gold, report)
    assert t.counts[kind] == 1, t.counts
    others = {k: n for k, n in t.counts.items() if k in NAMED and k != kind and n}
    assert others == {}, others


def test_a_claim_from_the_related_links_of_004_is_from_noise(gold, articles):
    answers = gold_answers(gold)
    answers[A4].append(PredictedClaim(
        article_id=A4, text="Dua UMKM binaan Bea Cukai Nunukan sukses ekspor",
        evidence=["2 UMKM Binaan Bea Cukai Nunukan Sukses Ekspor"], figures=[{"raw": "2"}],
    ))  # fmt: skip
    report = evaluate(gold, [c for cs in answers.values() for c in cs], n_boot=10)
    t = taxonomy(answers, articles, gold, report)
    assert t.counts["from_noise"] == 1
    assert {k: n for k, n in t.counts.items() if k in NAMED and n} == {"from_noise": 1}
    # The same quote found in the article body would not be noise: 004's body quote "minimal 20 juta".
    body = PredictedClaim(article_id=A4, evidence=["minimal 20 juta"], figures=[{"raw": "20 juta"}])
    assert claim_flags(body, articles[A4].text, gold[A4].noise).from_noise is False


def test_values_alone_decide_when_no_quote_is_found(gold, articles):
    text, noise = articles[A2].text, gold[A2].noise
    # 002's only "1" is in "Iklan Tengah Artikel 1", an ad placeholder; "800 ribuan" is in Agus's paragraph.
    assert claim_flags(PredictedClaim(article_id=A2, text="x", figures=["1"]), text, noise).from_noise is True
    assert claim_flags(PredictedClaim(article_id=A2, text="x", figures=["800 ribuan"]), text, noise).from_noise is False


def test_gold_answers_have_no_error_and_nothing_hallucinated(gold, articles):
    answers = gold_answers(gold)
    report = evaluate(gold, [c for cs in answers.values() for c in cs], n_boot=10)
    t = taxonomy(answers, articles, gold, report)
    assert all(n == 0 for n in t.counts.values()), t.counts
    # every gold figure and date is judged: 28 figures and 22 dates (GUIDELINES.md counts)
    assert (t.figures_judged, t.dates_judged, t.hallucination_rate) == (28, 22, 0.0)


def test_hallucination_rate_needs_no_gold(articles):
    # Article 000 with no gold at all: one real figure, one invented. 1 of 2 judged -> rate 0.5.
    claims = {A0: [PredictedClaim(article_id=A0, text="t", figures=["3,8 juta", "5,2 juta"])]}
    t = taxonomy(claims, articles)
    assert (t.figures_judged, t.hallucinated_figures, t.hallucination_rate) == (2, 1, 0.5)
    assert t.noise_checked is False and t.scored is False


def test_date_checks(articles):
    t2 = articles[A2].text
    # "8 Maret 2023" is not written in 002, but its year is, as the two-digit year of "Ranu 8/3/23".
    assert hallucinated_date(DateRef(raw="8 Maret 2023"), t2) is False
    assert hallucinated_date(DateRef(raw="8 Maret 2019"), t2) is True
    assert hallucinated_date(DateRef(raw="saat ini"), t2) is None  # deictic now: not judged


def test_locate_exact_then_casefolded_across_line_breaks(articles):
    text = articles[A0].text
    # The body of 000 is printed twice, so the quote occurs twice; case and spacing differ from the text.
    spans = locate("KATA ODO,  kepada\nSINDONEWS", text)
    assert len(spans) == 2
    assert all(text[s:e].lower() == "kata odo, kepada sindonews" for s, e in spans)
    assert locate("tidak ada di artikel", text) == []
