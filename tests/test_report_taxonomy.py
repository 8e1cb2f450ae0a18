"""Every error type of the taxonomy, produced from the articles' own sentences (one change to the gold answers)."""

from __future__ import annotations

import pytest

from harness.normalize.numbers import find_figures
from harness.schema import DateRef, Figure, PredictedClaim
from harness.score.grounding import locate
from harness.score.taxonomy import NAMED, claim_flags, hallucinated_date, hallucinated_figure, taxonomy
from tests.conftest import score_with_texts
from tests.test_report_support import gold_answers

A0, A1, A2, A3, A4 = ("000_5c7c061acdd0991c", "001_ace72b6c210ee1f9", "002_61bc8efce56588cd",
                      "003_c50be10e8d192006", "004_5da99a7ff07c33c6")  # fmt: skip


evaluate = score_with_texts


def _claim(answers, gold, cid: str) -> PredictedClaim:
    aid = next(a for a in answers if a.startswith(cid[:3]))
    return answers[aid][[c.id for c in gold[aid].claims].index(cid)]


def _set_figure(raw):
    return lambda c: c.figures.__setitem__(0, c.figures[0].model_copy(update={"raw": raw}))


def _set_date(raw):
    return lambda c: c.dates.__setitem__(0, c.dates[0].model_copy(update={"raw": raw}))


CASES = {
    # "3,8 juta" (3 800 000) read as "38 juta" (38 000 000): the same digits 38 at another power of ten. 38 000 000
    # is also a value no figure of 000 has, so it is a hallucinated figure too (ALSO below).
    "scale_flip": ("000-02", _set_figure("38 juta")),
    # "480 persen" answered as "480 orang": the value 480 is right, percent vs a count of persons is not.
    "wrong_unit": ("003-01", _set_figure("480 orang")),
    # "sekitar 27 juta" is approximate; "27 juta" is exact.
    "approx_mismatch": ("001-02", _set_figure("27 juta")),
    # "minimal 20 juta" is at least 20 juta; "20 juta" has no qualifier.
    "qualifier_mismatch": ("004-02", _set_figure("20 juta")),
    # "Senin (4/12/2023)" = 2023-12-04; "2023" is the right year, coarser.
    "coarser_date": ("001-02", _set_date("2023")),
    # "pada Desember 2020" = 2020-12; "pada 31 Desember 2020" is a day inside it, finer. No date of 000 states the
    # 31st, so it is a hallucinated date too (ALSO below).
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
    # "Istana Negara, Jakarta" in a date slot of 004-02 (the embedded model did this): nothing in it is a date.
    "not_a_date": ("004-02", _set_date("Istana Negara, Jakarta")),
    # 003-01 predicted twice: the second copy repeats a claim already matched.
    "duplicate": ("003-01", lambda _claim: None),
}
ALSO = {
    "scale_flip": {"hallucinated_figure": 1},
    "finer_date": {"hallucinated_date": 1},
}  # a second label the same change earns, explained above


@pytest.mark.parametrize("kind", list(CASES))
def test_each_error_type_from_one_change(kind, gold, articles):
    answers = gold_answers(gold)
    cid, change = CASES[kind]
    target = _claim(answers, gold, cid)
    change(target)
    if kind == "duplicate":
        answers[next(a for a in answers if a.startswith(cid[:3]))].append(target.model_copy(deep=True))
    report = evaluate(gold, [c for cs in answers.values() for c in cs], n_boot=10)
    t = taxonomy(answers, articles, gold, report)
    assert t.counts[kind] == 1, t.counts
    others = {k: n for k, n in t.counts.items() if k in NAMED and k != kind and n}
    assert others == ALSO.get(kind, {}), others


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
    # The same judgement without a scorer (taxonomy of claims alone, gold noise given) and from claim_flags:
    assert taxonomy({A4: answers[A4]}, articles, gold).counts["from_noise"] == 1
    # The same quote found in the article body would not be noise: 004's body quote "minimal 20 juta".
    body = PredictedClaim(article_id=A4, evidence=["minimal 20 juta"], figures=[{"raw": "20 juta"}])
    assert claim_flags(body, articles[A4].text, gold[A4].noise).from_noise is False


def test_hallucination_is_decided_on_normalised_values(articles):
    # 000's figures, read from its text: "3,8 juta" (3 800 000) and "2 juta" (2 000 000), nothing else.
    found = [nf.value for _s, _e, nf in find_figures(articles[A0].text) if nf.value is not None]
    assert set(found) == {3_800_000, 2_000_000}
    # "2 miliar" (2 000 000 000) and "38 juta" share digits with those figures but equal none of them
    assert hallucinated_figure(Figure(raw="2 miliar"), found) is True
    assert hallucinated_figure(Figure(raw="38 juta"), found) is True
    # the article's own values, as written there or written otherwise, are not hallucinated
    for raw in ("3,8 juta", "2 juta", "3.800.000", "dua juta"):
        assert hallucinated_figure(Figure(raw=raw), found) is False, raw


def test_gold_answers_have_no_error_and_nothing_hallucinated(gold, articles):
    answers = gold_answers(gold)
    report = evaluate(gold, [c for cs in answers.values() for c in cs], n_boot=10)
    t = taxonomy(answers, articles, gold, report)
    assert all(n == 0 for n in t.counts.values()), t.counts
    # every gold figure and date is judged: 28 figures and 22 dates (the gold files, `harness gold stats`)
    assert (t.figures_judged, t.dates_judged, t.hallucination_rate) == (28, 22, 0.0)


def test_hallucination_rate_needs_no_gold(articles):
    # Article 000 with no gold at all: one real figure, one invented. 1 of 2 judged -> rate 0.5.
    claims = {A0: [PredictedClaim(article_id=A0, text="t", figures=["3,8 juta", "5,2 juta"])]}
    t = taxonomy(claims, articles)
    assert (t.figures_judged, t.hallucinated_figures, t.hallucination_rate) == (2, 1, 0.5)
    assert t.noise_checked is False and t.scored is False


def test_date_checks(articles, gold):
    t1, t2 = articles[A1].text, articles[A2].text
    pub1 = gold[A1].published
    # "8 Maret 2023" is not written in 002, but "Ranu 8/3/23" is that day.
    assert hallucinated_date(DateRef(raw="8 Maret 2023"), t2) is False
    assert hallucinated_date(DateRef(raw="8 Maret 2019"), t2) is True
    # 001 says "Senin (4/12/2023)": "Desember 2023" and "2023" are stated by it (coarser); "5 Desember 2023" is not.
    assert hallucinated_date(DateRef(raw="Desember 2023"), t1, pub1) is False
    assert hallucinated_date(DateRef(raw="2023"), t1, pub1) is False
    assert hallucinated_date(DateRef(raw="5 Desember 2023"), t1, pub1) is True
    assert hallucinated_date(DateRef(raw="saat ini"), t2) is None  # deictic now: not judged


def test_locate_exact_then_casefolded_across_line_breaks(articles):
    text = articles[A0].text
    # The body of 000 is printed twice, so the quote occurs twice; case and spacing differ from the text.
    spans, how = locate("KATA ODO,  kepada\nSINDONEWS", text)
    assert len(spans) == 2 and how == "normalised"
    assert all(text[s:e].lower() == "kata odo, kepada sindonews" for s, e in spans)
    assert locate("tidak ada di artikel", text) == ([], None)
    # A quote retyped with one word changed is found fuzzily (partial ratio >= 90) at the right place.
    spans, how = locate("Saat ini, angka UMKM yang sudah bergabung telah mencapai 3,8 juta.", text)
    assert how == "fuzzy" and "telah mencapai 3,8 juta" in text[spans[0][0] : spans[0][1]]
