"""Figures as the five articles write them, and as a model may answer them in English."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from harness.normalize.numbers import NormFigure, find_figures, format_id, parse_figure, same_digits

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
D = Decimal


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        ("3,8 juta", D("3800000"), "count"),  # 000: 3,8 x 10^6 = 3 800 000 (decimal comma)
        ("3,8 Juta", D("3800000"), "count"),  # 000 headline, capitalised scale word
        ("2 juta", D("2000000"), "count"),  # 000: 2 x 10^6
        ("27 juta", D("27000000"), "count"),  # 001: 27 x 10^6
        ("22,8 juta", D("22800000"), "count"),  # 001: 22,8 x 10^6 = 22 800 000
        ("14,8 juta", D("14800000"), "count"),  # 001: 14,8 x 10^6
        ("35,5 persen", D("35.5"), "percent"),  # 001: percent kept as written
        ("25 juta", D("25000000"), "count"),  # 002
        ("1000", D("1000"), "count"),  # 002: "1000 UMKM" written without a thousands dot
        ("480 persen", D("480"), "percent"),  # 003
        ("14,6 persen", D("14.6"), "percent"),  # 003: 14,6 = 14 + 6/10
        ("9,4 juta", D("9400000"), "count"),  # 003: 9,4 x 10^6
        ("6.500 orang", D("6500"), "persons"),  # 003: thousands dot, 6 x 1000 + 500
        ("2.500", D("2500"), "count"),  # 003: 2 x 1000 + 500
        ("1.234,5", D("1234.5"), "count"),  # both separators: 1 x 1000 + 234 + 5/10
        ("Rp 1,2 triliun", D("1200000000000"), "idr"),  # 1,2 x 10^12
        ("Rp1.200.000", D("1200000"), "idr"),  # glued currency, 1 x 10^6 + 200 x 10^3
        ("Rp. 5.000,-", D("5000"), "idr"),  # "Rp." and the ",-" of whole rupiah
        ("1,2 triliun rupiah", D("1200000000000"), "idr"),
        ("2 juta orang", D("2000000"), "persons"),
        ("5 rb", D("5000"), "count"),  # abbreviation rb = ribu = 10^3
        ("3 jt", D("3000000"), "count"),  # jt = juta = 10^6
        ("2 miliar", D("2000000000"), "count"),  # 2 x 10^9
        ("2 milyar", D("2000000000"), "count"),  # spelling variant
        ("7 trilyun", D("7000000000000"), "count"),  # 7 x 10^12, spelling variant
        ("3,8juta", D("3800000"), "count"),  # no space before the scale word
    ],
)
def test_indonesian_figures(raw: str, value: Decimal, unit: str) -> None:
    fig = parse_figure(raw)
    assert fig.value == value
    assert fig.unit == unit


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        ("3.8 million", D("3800000"), "count"),  # "3.8" is impossible in Indonesian, so English: 3.8 x 10^6
        ("3,800,000", D("3800000"), "count"),  # English grouping (two commas cannot be an Indonesian decimal)
        ("480 percent", D("480"), "percent"),
        ("14.6%", D("14.6"), "percent"),
        ("60 per cent", D("60"), "percent"),
        ("22.8 million", D("22800000"), "count"),  # 22.8 x 10^6
        ("1.2 trillion rupiah", D("1200000000000"), "idr"),  # 1.2 x 10^12
        ("IDR 5 million", D("5000000"), "idr"),
        ("6,500 people", D("6.5"), "persons"),  # ambiguous: the Indonesian reading (decimal comma) wins
        ("2 thousand", D("2000"), "count"),
        ("3 billion", D("3000000000"), "count"),
    ],
)
def test_english_answers(raw: str, value: Decimal, unit: str) -> None:
    fig = parse_figure(raw)
    assert (fig.value, fig.unit) == (value, unit)


def test_ambiguous_dot_reads_indonesian() -> None:
    # "3.800" is 3800 in Indonesian and 3.8 in English; the Indonesian reading wins: 3 x 1000 + 800.
    assert parse_figure("3.800").value == D("3800")
    # "3.8" has a group of one digit after the dot, impossible in Indonesian, so English 3.8.
    assert parse_figure("3.8").value == D("3.8")


@pytest.mark.parametrize(
    ("raw", "value", "approx", "qualifier"),
    [
        ("800 ribuan", D("800000"), True, None),  # 002: 800 x 10^3, "ribuan" = thousands-ish
        ("sekitar 800 ribuan", D("800000"), True, None),  # 002 as written
        ("Sekira 800 Ribu", D("800000"), True, None),  # 002 headline: 800 x 10^3
        ("sekitar 27 juta", D("27000000"), True, None),  # 001
        ("sekitar 14,6 persen", D("14.6"), True, None),  # 003
        ("60 persen lebih", D("60"), False, "at_least"),  # 003: trailing "lebih" = 60% or more
        ("minimal 20 juta", D("20000000"), False, "at_least"),  # 004: 20 x 10^6
        ("lebih dari 3 juta", D("3000000"), False, "at_least"),
        ("setidaknya 5 juta", D("5000000"), False, "at_least"),
        ("paling sedikit 10 persen", D("10"), False, "at_least"),
        ("di atas 50 persen", D("50"), False, "at_least"),
        ("more than 3.8 million", D("3800000"), False, "at_least"),
        ("at least 20 million", D("20000000"), False, "at_least"),
        ("hampir 50 persen", D("50"), True, "at_most"),  # "almost": at most *and* approximate
        ("maksimal 2 juta", D("2000000"), False, "at_most"),
        ("paling banyak 100", D("100"), False, "at_most"),
        ("kurang dari 1 juta", D("1000000"), False, "at_most"),
        ("di bawah 5 persen", D("5"), False, "at_most"),
        ("almost 30 million", D("30000000"), True, "at_most"),
        ("nearly 3 million", D("3000000"), True, "at_most"),
        ("up to 30%", D("30"), False, "at_most"),
        ("kurang lebih 5 juta", D("5000000"), True, None),  # "more or less" is approximate, no bound
        ("lebih kurang 5 juta", D("5000000"), True, None),
        ("kira-kira 2 juta", D("2000000"), True, None),
        ("about 27 million", D("27000000"), True, None),
        ("around 27 million", D("27000000"), True, None),
        ("approximately 3.8 million", D("3800000"), True, None),
        ("~3.8 million", D("3800000"), True, None),
        ("3 puluhan", D("30"), True, None),  # 3 x 10, approximate
        ("2 ratusan", D("200"), True, None),  # 2 x 100, approximate
        ("60 persen lebih tinggi", D("60"), False, None),  # comparative "60% higher", not "more than 60%"
    ],
)
def test_approx_and_qualifiers(raw: str, value: Decimal, approx: bool, qualifier: str | None) -> None:
    fig = parse_figure(raw)
    assert (fig.value, fig.approx, fig.qualifier) == (value, approx, qualifier)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("dua juta", D("2000000")),  # 2 x 10^6
        ("sejuta", D("1000000")),
        ("seribu", D("1000")),
        ("seratus", D("100")),
        ("sepuluh", D("10")),
        ("satu", D("1")),
        ("tiga koma delapan juta", D("3800000")),  # "tiga koma delapan" = 3,8; x 10^6
        ("dua puluh juta", D("20000000")),  # 2 x 10 x 10^6
        ("seratus ribu", D("100000")),  # 100 x 10^3
        ("two million", D("2000000")),
    ],
)
def test_number_words(raw: str, value: Decimal) -> None:
    assert parse_figure(raw).value == value


@pytest.mark.parametrize("raw", ["", "   ", "garbage", "UMKM go digital", "4/12/2023", "juta", "ratusan ribu", "%"])
def test_unparsed(raw: str) -> None:
    assert parse_figure(raw) == NormFigure(value=None, unit=None, approx=False, qualifier=None)


def test_not_a_string_is_unparsed() -> None:
    assert parse_figure(None).value is None  # type: ignore[arg-type]


def test_values_are_decimal_without_float_noise() -> None:
    fig = parse_figure("22,8 juta")
    assert isinstance(fig.value, Decimal)
    assert str(fig.value) == "22800000"  # not 22800000.0 nor 2.28E+7
    assert str(parse_figure("14,6 persen").value) == "14.6"


def test_negative_numbers() -> None:
    assert parse_figure("-12,5").value == D("-12.5")
    assert parse_figure("covid-19").value is None  # a hyphen after a word is no minus sign, "covid-19" no figure
    assert parse_figure("3-4 juta").value == D("3")  # ranges are not read as such: first number, no scale


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("3800000"), "3.800.000"),  # thousands dot every three digits
        (D("1234.5"), "1.234,5"),  # decimal comma
        (D("14.6"), "14,6"),
        (D("0.000001"), "0,000001"),  # no rounding to three decimals
        (D("6500"), "6.500"),
    ],
)
def test_format_id(value: Decimal, text: str) -> None:
    assert format_id(value) == text
    assert parse_figure(text).value == value


def test_same_digits() -> None:
    assert same_digits(D("3800000"), D("38000000"))  # "38 juta" for "3,8 juta": 3,8 x 10^6 vs 38 x 10^6
    assert same_digits(D("3.8"), D("38"))  # 38 = 3.8 x 10
    assert same_digits(D("22800000"), D("228"))  # 22 800 000 = 228 x 10^5
    assert same_digits(D("3800000"), D("3800000"))
    assert not same_digits(D("3800000"), D("3900000"))
    assert not same_digits(D("38"), D("-38"))
    assert not same_digits(D("0"), D("10"))
    assert same_digits(D("0"), D("0.0"))
    assert not same_digits(D("NaN"), D("1"))


def spans(text: str) -> list[tuple[str, Decimal | None, str | None]]:
    return [(text[a:b], f.value, f.unit) for a, b, f in find_figures(text)]


def test_find_figures_spans_are_greedy_and_exact() -> None:
    text = "mencapai 60 persen lebih, Rp 1,2 triliun dan 3,8 juta UMKM."
    found = find_figures(text)
    assert [text[a:b] for a, b, _ in found] == ["60 persen lebih", "Rp 1,2 triliun", "3,8 juta"]
    assert [f.value for _, _, f in found] == [D("60"), D("1200000000000"), D("3800000")]  # 1,2 x 10^12
    assert found[0][2].qualifier == "at_least"


def test_find_figures_skips_dates() -> None:
    text = "Senin (4/12/2023) dan Senin, 5 Oktober 2020 hingga 12 Desember 2020; Pada Maret 2020, pada 2024, (28/3)."
    assert find_figures(text) == []
    assert find_figures("Ranu 8/3/23.") == []
    assert find_figures("platform digital 2022 ini") == []  # a bare year 1900-2100
    assert spans("dari 2000 menjadi 2.000 UMKM") == [("2.000", D("2000"), "count")]  # grouped: a count


def test_find_figures_article_000() -> None:
    text = seed("000")
    values = {f.value for _, _, f in find_figures(text)}
    # "3,8 juta" (3,8 x 10^6) and the 2 juta target; "Desember 2020", "Maret 2020" and "Covid-19" are no figures.
    assert values == {D("3800000"), D("2000000")}


def test_find_figures_article_001() -> None:
    found = spans(seed("001"))
    assert ("22,8 juta", D("22800000"), "count") in found  # per Juni 2023: 22,8 x 10^6
    assert ("35,5 persen", D("35.5"), "percent") in found
    assert ("sekitar 27 juta", D("27000000"), "count") in found
    values = {v for _, v, _ in found}
    assert D("2023") not in values and D("4") not in values and D("2024") not in values  # dates skipped
    assert values == {D(x) for x in ("27000000", "30000000", "3000000", "22000000", "22800000", "14800000",
                                     "35.5", "5000000")}


def test_find_figures_article_003() -> None:
    found = spans(seed("003"))
    assert ("6.500 orang", D("6500"), "persons") in found  # 6 x 1000 + 500 people registered
    assert ("2.500", D("2500"), "count") in found  # capacity
    assert ("60 persen lebih", D("60"), "percent") in found
    assert ("480 persen", D("480"), "percent") in found
    values = {v for _, v, _ in found}
    assert D("5") not in values and D("12") not in values and D("2020") not in values  # 5 Oktober, 12 Desember 2020


def test_find_figures_article_004() -> None:
    values = {f.value for _, _, f in find_figures(seed("004"))}
    assert {D("20000000"), D("24000000"), D("30000000")} <= values  # 20, 24, 30 juta
    assert D("28") not in values and D("3") not in values  # "Senin (28/3)"
    assert D("2022") not in values and D("2023") not in values and D("2024") not in values
