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
        ("6,500 people", D("6500"), "persons"),  # one comma + 3 digits, no scale word: 6 x 1000 + 500
        ("2 thousand", D("2000"), "count"),
        ("3 billion", D("3000000000"), "count"),
    ],
)
def test_english_answers(raw: str, value: Decimal, unit: str) -> None:
    fig = parse_figure(raw)
    assert (fig.value, fig.unit) == (value, unit)


def test_ambiguous_dot_reads_indonesian() -> None:
    # "3.800" is 3800 in Indonesian and 3.8 in English; grouping wins (no scale word): 3 x 1000 + 800.
    assert parse_figure("3.800").value == D("3800")
    # "3.8" has a group of one digit after the dot, impossible as grouping, so a decimal point: 3.8.
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
    assert values == {
        D(x) for x in ("27000000", "30000000", "3000000", "22000000", "22800000", "14800000", "35.5", "5000000")
    }


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


# --- Figures in their sentences: each is read by parse_figure from its raw phrase and found by find_figures, with
# the same span, in the sentence. ARTICLE sentences are verbatim from seeds/ (checked); NEWS ones are realistic
# sentences for forms the five articles do not use.
ARTICLE = [
    # (article, sentence, raw, value, unit, approx, qualifier)
    (
        "000",
        "Saat ini, angka UMKM yang telah bergabung telah mencapai 3,8 juta.",
        "3,8 juta",
        D("3800000"),
        "count",
        False,
        None,
    ),  # 3,8 x 10^6 (decimal comma before a scale word)
    (
        "000",
        "pemerintah mematok target 2 juta UMKM bergabung ke ekosistem digital",
        "2 juta",
        D("2000000"),
        "count",
        False,
        None,
    ),  # 2 x 10^6
    (
        "001",
        "Sementara per Juni 2023, bertambah menjadi 22,8 juta UMKM di Indonesia yang telah onboarding digital.",
        "22,8 juta",
        D("22800000"),
        "count",
        False,
        None,
    ),  # 22,8 x 10^6
    (
        "001",
        "Angka tersebut bertambah sebanyak 14,8 juta sejak awal pandemi atau 35,5 persen dari total populasi UMKM.",
        "35,5 persen",
        D("35.5"),
        "percent",
        False,
        None,
    ),  # 35 + 5/10, a percentage kept as written
    (
        "001",
        "Saat ini sudah 27 juta yang sudah go digital",
        "27 juta",
        D("27000000"),
        "count",
        False,
        None,
    ),  # 27 x 10^6
    (
        "002",
        "saat ini terdapat sekitar 800 ribuan UMKM yang tersebar di 8 Kabupaten/Kota di Provinsi Banten.",
        "sekitar 800 ribuan",
        D("800000"),
        "count",
        True,
        None,
    ),  # 800 x 10^3, approximate ("sekitar", "-an")
    (
        "002",
        "Sekira 800 Ribu UKM Banten Sudah Masuk 20 Toko Daring",
        "Sekira 800 Ribu",
        D("800000"),
        "count",
        True,
        None,
    ),  # headline: 800 x 10^3, "sekira" = approximately
    (
        "002",
        "Pada kegiatan itu diikuti oleh 1000 UMKM, sebanyak 200 UMKM hadir secara langsung",
        "1000",
        D("1000"),
        "count",
        False,
        None,
    ),  # no separator at all
    (
        "003",
        "Pada April 2020, penjualan daring meningkat 480 persen dibandingkan Januari 2020",
        "480 persen",
        D("480"),
        "percent",
        False,
        None,
    ),
    (
        "003",
        "Padahal, kontribusi UMKM terhadap produk domestik bruto (PDB) mencapai 60 persen lebih.",
        "60 persen lebih",
        D("60"),
        "percent",
        False,
        "at_least",
    ),  # trailing "lebih" = 60 % or more
    (
        "003",
        "go online baru menyentuh sekitar 14,6 persen atau setara dengan 9,4 juta",
        "sekitar 14,6 persen",
        D("14.6"),
        "percent",
        True,
        None,
    ),  # 14 + 6/10
    (
        "003",
        "Tercatat, 6.500 orang mendaftar dari kapasitas 2.500.",
        "6.500 orang",
        D("6500"),
        "persons",
        False,
        None,
    ),  # thousands dot: 6 x 1000 + 500
    (
        "003",
        "Tercatat, 6.500 orang mendaftar dari kapasitas 2.500.",
        "2.500",
        D("2500"),
        "count",
        False,
        None,
    ),  # 2 x 1000 + 500; the full stop after it ends the sentence
    (
        "004",
        "harus mencapai target 20 juta, minimal 20 juta, dan meningkat 24 juta di tahun depan",
        "minimal 20 juta",
        D("20000000"),
        "count",
        False,
        "at_least",
    ),  # 20 x 10^6, at least
]
NEWS = [
    # (sentence, raw, value, unit, approx, qualifier)
    # English thousands grouping: one comma before exactly three digits and no scale word groups.
    (
        "More than 6,500 people registered for the training, against a capacity of 2,500.",
        "More than 6,500 people",
        D("6500"),
        "persons",
        False,
        "at_least",
    ),  # 6 x 1000 + 500
    (
        "Banten has about 800,000 small businesses selling online.",
        "about 800,000",
        D("800000"),
        "count",
        True,
        None,
    ),  # 800 x 1000 + 000
    (
        "The ministry counted 1,234,567 registered sellers.",
        "1,234,567",
        D("1234567"),
        "count",
        False,
        None,
    ),  # 1 x 10^6 + 234 x 10^3 + 567
    (
        "A total of 1,500 workers were laid off.",
        "1,500",
        D("1500"),
        "count",
        False,
        None,
    ),  # ambiguous "1,500": no scale word, so grouping = 1 x 1000 + 500
    (
        "Bantuan disalurkan kepada 3.800.000 pelaku usaha.",
        "3.800.000",
        D("3800000"),
        "count",
        False,
        None,
    ),  # 3 x 10^6 + 800 x 10^3
    (
        "Sebanyak 3.800 UMKM mengikuti pelatihan itu.",
        "3.800",
        D("3800"),
        "count",
        False,
        None,
    ),  # Indonesian thousands dot: 3 x 1000 + 800
    # A scale word or "persen" after the number makes an Indonesian comma decimal even before three digits.
    (
        "Pemerintah menyiapkan anggaran Rp2,375 triliun untuk program tersebut.",
        "Rp2,375 triliun",
        D("2375000000000"),
        "idr",
        False,
        None,
    ),  # 2,375 x 10^12 = 2 375 x 10^9
    (
        "Inflasi tahunan tercatat 2,615 persen pada bulan itu.",
        "2,615 persen",
        D("2.615"),
        "percent",
        False,
        None,
    ),  # 2 + 615/1000
    # Rupiah, with and without a space after "Rp".
    (
        "Modal usaha yang disalurkan sebesar Rp 10 juta per pelaku.",
        "Rp 10 juta",
        D("10000000"),
        "idr",
        False,
        None,
    ),  # 10 x 10^6
    (
        "Omzet koperasi itu mencapai Rp1,2 miliar per tahun.",
        "Rp1,2 miliar",
        D("1200000000"),
        "idr",
        False,
        None,
    ),  # 1,2 x 10^9
    ("Omzet koperasi itu mencapai Rp 1,2 miliar per tahun.", "Rp 1,2 miliar", D("1200000000"), "idr", False, None),
    # Compact suffixes.
    (
        "The startup raised 3.8M in its seed round.",
        "3.8M",
        D("3800000"),
        "count",
        False,
        None,
    ),  # English M = million: 3.8 x 10^6
    ("The video drew 800k views in a day.", "800k", D("800000"), "count", False, None),  # 800 x 10^3
    ("Exports rose to 2bn last year.", "2bn", D("2000000000"), "count", False, None),  # 2 x 10^9
    (
        "Omzet koperasi itu mencapai Rp1,2 M per tahun.",
        "Rp1,2 M",
        D("1200000000"),
        "idr",
        False,
        None,
    ),  # after Rp, M = miliar: 1,2 x 10^9
    (
        "Nilai transaksi pameran itu 1,2 M.",
        "1,2 M",
        D("1200000000"),
        "count",
        False,
        None,
    ),  # a decimal comma is Indonesian writing: M = miliar
    (
        "Penyaluran kredit usaha rakyat tahun ini Rp 2,5 T.",
        "Rp 2,5 T",
        D("2500000000000"),
        "idr",
        False,
        None,
    ),  # T = triliun: 2,5 x 10^12
    ("Harga motor listrik itu kini 27 jt.", "27 jt", D("27000000"), "count", False, None),  # jt = juta: 27 x 10^6
    ("Diskon pembelian pertama 500 rb.", "500 rb", D("500000"), "count", False, None),  # rb = ribu: 500 x 10^3
    # Compound amounts: the smaller scaled parts add up.
    (
        "Setiap pelaku usaha menerima bantuan Rp 3 juta 800 ribu.",
        "Rp 3 juta 800 ribu",
        D("3800000"),
        "idr",
        False,
        None,
    ),  # 3 x 10^6 + 800 x 10^3
    (
        "Kerugian ditaksir 1 miliar 200 juta rupiah.",
        "1 miliar 200 juta rupiah",
        D("1200000000"),
        "idr",
        False,
        None,
    ),  # 1 x 10^9 + 200 x 10^6
    # Number words (in running text only with a multiplier or a unit: "satu kuartal" is no figure).
    (
        "Pemerintah menargetkan dua juta UMKM masuk ekosistem digital.",
        "dua juta",
        D("2000000"),
        "count",
        False,
        None,
    ),  # 2 x 10^6
    (
        "Sebanyak satu setengah juta pelaku usaha telah terdaftar.",
        "satu setengah juta",
        D("1500000"),
        "count",
        False,
        None,
    ),  # (1 + 1/2) x 10^6
    (
        "Angka UMKM yang bergabung mencapai tiga koma delapan juta.",
        "tiga koma delapan juta",
        D("3800000"),
        "count",
        False,
        None,
    ),  # 3,8 x 10^6
    (
        "Kontribusinya sekitar dua puluh lima persen dari PDB.",
        "sekitar dua puluh lima persen",
        D("25"),
        "percent",
        True,
        None,
    ),  # 2 x 10 + 5
    (
        "Program ini menyasar seratus ribu pedagang pasar.",
        "seratus ribu",
        D("100000"),
        "count",
        False,
        None,
    ),  # 100 x 10^3
    ("Pelatihan diikuti tiga ratus peserta.", "tiga ratus", D("300"), "count", False, None),  # 3 x 100
    ("Sebelas orang terluka dalam kecelakaan itu.", "Sebelas orang", D("11"), "persons", False, None),
    (
        "The government wants two million firms online by 2024.",
        "two million",
        D("2000000"),
        "count",
        False,
        None,
    ),  # 2 x 10^6
    (
        "Some one and a half million sellers joined the platform.",
        "Some one and a half million",
        D("1500000"),
        "count",
        True,
        None,
    ),  # (1 + 1/2) x 10^6, "some" = approx
    # Comparison signs: ">" and "≥" are at_least, "<" and "≤" at_most (the schema has no strict bounds).
    ("Kontribusi UMKM terhadap PDB >60%.", ">60%", D("60"), "percent", False, "at_least"),
    ("Kontribusi UMKM terhadap PDB > 60 persen.", "> 60 persen", D("60"), "percent", False, "at_least"),
    ("Target tahun ini ≥20 juta UMKM.", "≥20 juta", D("20000000"), "count", False, "at_least"),  # 20 x 10^6
    ("Inflasi dijaga <5% tahun ini.", "<5%", D("5"), "percent", False, "at_most"),
    ("Rasio kredit macet ≤ 3 persen.", "≤ 3 persen", D("3"), "percent", False, "at_most"),
    ("UMKM yang sudah go digital ~3 juta.", "~3 juta", D("3000000"), "count", True, None),  # 3 x 10^6, approximately
]


@pytest.mark.parametrize(
    ("sentence", "raw", "value", "unit", "approx", "qualifier"),
    [case[1:] for case in ARTICLE] + NEWS,
    ids=[case[2] for case in ARTICLE] + [case[1] for case in NEWS],
)
def test_figures_in_sentences(sentence, raw, value, unit, approx, qualifier) -> None:
    want = (raw, value, unit, approx, qualifier)
    fig = parse_figure(raw)
    assert (raw, fig.value, fig.unit, fig.approx, fig.qualifier) == want
    found = [(sentence[a:b], f.value, f.unit, f.approx, f.qualifier) for a, b, f in find_figures(sentence)]
    assert want in found


@pytest.mark.parametrize(("article", "sentence"), [case[:2] for case in ARTICLE])
def test_article_sentences_are_verbatim(article: str, sentence: str) -> None:
    assert sentence in seed(article)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        # One separator before exactly three digits, no word after: grouping.
        ("1,500", D("1500")),  # English grouping 1 x 1000 + 500 (not the Indonesian decimal 1.5)
        ("1.500", D("1500")),  # Indonesian grouping 1 x 1000 + 500
        ("-6,500", D("-6500")),
        # ... before a scale word of the other language, or any other shape: a decimal mark.
        ("1,500 juta", D("1500000")),  # Indonesian scale word: decimal comma, 1.5 x 10^6
        ("1.500 juta", D("1500000000")),  # the dot still groups in Indonesian: 1500 x 10^6
        ("1.250 million", D("1250000")),  # English scale word: decimal point, 1.25 x 10^6
        ("1,250 million", D("1250000000")),  # the comma still groups in English: 1250 x 10^6
        ("0,500", D("0.5")),  # a leading 0 never starts a group: 0 + 500/1000
        ("0.125", D("0.125")),
        ("1234,567", D("1234.567")),  # four digits before the comma: no valid grouping, so a decimal
        ("3,80", D("3.8")),  # two digits after: a decimal
        ("3.8", D("3.8")),
        # Two separators, or one used twice: Babel's strict id/en parsing.
        ("1.234,5", D("1234.5")),
        ("1,234.5", D("1234.5")),
        ("1.234.567,25", D("1234567.25")),
        ("1,234,567.25", D("1234567.25")),
    ],
)
def test_separator_rule(raw: str, value: Decimal) -> None:
    assert parse_figure(raw).value == value


@pytest.mark.parametrize("raw", ["1,2,3", "1.23.4", "12,34,567", "1.234,5,6", "1,234.5.6"])
def test_malformed_digit_groups_are_unparsed(raw: str) -> None:
    # Neither locale writes these; they must come back as value None (from the logic, not a swallowed error).
    assert parse_figure(raw) == NormFigure(value=None, unit=None, approx=False, qualifier=None)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Rp 500 M", D("500000000000")),  # rupiah: M = miliar, 500 x 10^9
        ("500M", D("500000000")),  # no rupiah, no decimal comma: M = million, 500 x 10^6
        ("Rp 1,500 M", D("1500000000")),  # M = miliar makes the comma decimal: 1.5 x 10^9
        ("2.5T", D("2500000000000")),  # T = 10^12 in both languages
        ("2B", D("2000000000")),  # English B, glued only
        ("800K", D("800000")),
        ("3 mln", D("3000000")),
    ],
)
def test_compact_suffixes(raw: str, value: Decimal) -> None:
    assert parse_figure(raw).value == value


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Lari 500 m pertama", [D("500")]),  # lower-case m is metres, not million
        ("koneksi 3.8Mbps", []),  # a unit glued to the digits: no figure
        ("2 Mei 2023", []),  # "M" of a month name is no scale (and the date is skipped)
        ("3 juta 5000 ribu", [D("3000000"), D("5000000")]),  # 5000 x 10^3 >= 10^6: two amounts, not a compound
        ("2 juta\n800 ribu", [D("2000000"), D("800000")]),  # parts of one amount stay on one line
        ("3 juta 0,5 juta", [D("3000000"), D("500000")]),  # a compound goes down the scales, never back up
    ],
)
def test_scale_look_alikes(text: str, values: list[Decimal]) -> None:
    assert [f.value for _, _, f in find_figures(text)] == values


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("sebelas", D("11")),
        ("dua belas", D("12")),  # 2 + 10
        ("tiga ratus", D("300")),  # 3 x 100
        ("seratus dua puluh lima", D("125")),  # 100 + 2 x 10 + 5
        ("empat belas koma enam persen", D("14.6")),  # (4 + 10) + 6/10
        ("setengah juta", D("500000")),  # 1/2 x 10^6
        ("sejuta lima ratus ribu", D("1500000")),  # 10^6 + 5 x 100 x 10^3
        ("tiga juta delapan ratus ribu", D("3800000")),  # 3 x 10^6 + 8 x 100 x 10^3
        ("satu miliar dua ratus juta", D("1200000000")),  # 10^9 + 2 x 100 x 10^6
        ("nol koma nol lima", D("0.05")),
        ("Dua Juta", D("2000000")),  # a headline's capitals
        ("one hundred and five", D("105")),
        ("twenty-five", D("25")),
        ("half a million", D("500000")),
        ("a million", D("1000000")),
        ("three point eight million", D("3800000")),
        ("one of 27 million", D("27000000")),  # a bare "one" gives way to the scaled figure
    ],
)
def test_more_number_words(raw: str, value: Decimal) -> None:
    assert parse_figure(raw).value == value


def test_bare_small_number_words_are_no_figures_in_text() -> None:
    # 003: "di dalam sedikit lebih dari satu kuartal" is a duration (G6), not a figure.
    assert find_figures("di dalam sedikit lebih dari satu kuartal peningkatannya") == []
    # A unit makes one a figure: 2 persons.
    assert [(f.value, f.unit) for _, _, f in find_figures("dua orang mendaftar")] == [(D("2"), "persons")]


def test_look_alike_letters_are_no_scale_words() -> None:
    # Dotless ı and long ſ match "i" and "s" under a plain IGNORECASE; no scale word is spelled with them, so the
    # digits are read alone, and nothing raises (the old normaliser hid a KeyError here behind `except Exception`).
    assert [(a, b, f.value) for a, b, f in find_figures("2 mılıar")] == [(0, 1, D("2"))]
    assert [(a, b, f.value) for a, b, f in find_figures("2 thouſand")] == [(0, 1, D("2"))]
    assert parse_figure("2 thouſand").value == D("2000")  # parse_figure applies NFKC first: ſ -> s


def test_arrow_is_no_comparison() -> None:
    assert parse_figure("naik -> 5 persen").qualifier is None
    assert parse_figure("naik >= 5 persen").qualifier == "at_least"
