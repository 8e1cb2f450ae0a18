"""Date phrases from the five articles, English forms a model may answer with, and TIMEX relations."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from harness.normalize import dates
from harness.normalize.date_finder import find_dates
from harness.normalize.dates import NormDate, parse_date, timex_relation

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.mark.parametrize(
    ("raw", "value", "granularity", "role"),
    [
        ("Desember 2020", "2020-12", "month", None),  # 000
        ("pada Desember 2020", "2020-12", "month", "point"),  # 000: the 2 juta target date
        ("Pada Maret 2020", "2020-03", "month", "point"),  # 000
        ("Senin (4/12/2023)", "2023-12-04", "day", None),  # 001: D/M/Y, 4 December, not April 12
        ("4/12/2023", "2023-12-04", "day", None),
        ("Per Maret 2023", "2023-03", "month", "as_of"),  # 001
        ("per Juni 2023", "2023-06", "month", "as_of"),  # 001
        ("hingga Desember 2023", "2023-12", "month", "until"),  # 001
        ("sepanjang 2023", "2023", "year", None),  # 001
        ("pada 2024", "2024", "year", "point"),  # 001
        ("pada 2020", "2020", "year", "point"),  # 002
        ("Pada April 2020", "2020-04", "month", "point"),  # 003
        ("Januari 2020", "2020-01", "month", None),  # 003
        ("Senin, 5 Oktober 2020", "2020-10-05", "day", None),  # 003
        ("dimulai Senin, 5 Oktober 2020", "2020-10-05", "day", "since"),  # 003
        ("hingga 12 Desember 2020", "2020-12-12", "day", "until"),  # 003
        ("Ranu 8/3/23", "2023-03-08", "day", None),  # 002: "Ranu" is a typo of "Rabu"; 23 -> 2023
        ("2023", "2023", "year", None),
        ("sejak 2021", "2021", "year", "since"),
        ("mulai Januari 2020", "2020-01", "month", "since"),
        ("sampai dengan 12 Desember 2020", "2020-12-12", "day", "until"),
        ("s.d. Juni 2023", "2023-06", "month", "until"),
        ("tanggal 5 Oktober 2020", "2020-10-05", "day", "point"),
        ("awal 2023", "2023", "year", None),
        ("akhir Desember 2023", "2023-12", "month", None),
        ("tahun 2023", "2023", "year", None),
        ("Minggu, 5 Maret 2023", "2023-03-05", "day", None),  # "Minggu" here is Sunday, not "week"
        ("December 2020", "2020-12", "month", None),
        ("4 December 2023", "2023-12-04", "day", None),
        ("December 4, 2023", "2023-12-04", "day", None),
        ("as of June 2023", "2023-06", "month", "as_of"),
        ("in December 2020", "2020-12", "month", "point"),
        ("2023-12-04", "2023-12-04", "day", None),
        ("2020-12", "2020-12", "month", None),
        ("kuartal III 2023", "2023-Q3", "quarter", None),
        ("Q3 2023", "2023-Q3", "quarter", None),
        ("triwulan pertama 2022", "2022-Q1", "quarter", None),
        ("semester I 2023", "2023-H1", "half", None),
        ("H2 2023", "2023-H2", "half", None),
    ],
)
def test_explicit_dates(raw: str, value: str, granularity: str, role: str | None) -> None:
    got = parse_date(raw)
    assert (got.value, got.granularity, got.role, got.deictic_now) == (value, granularity, role, False)


@pytest.mark.parametrize(
    ("raw", "published", "value"),
    [
        ("10 Februari", "2023-03-08", "2023-02-10"),  # 002: kick-off "10 Februari lalu", published 8 March 2023
        ("10 Februari lalu", "2023-03-08", "2023-02-10"),
        ("10 Februari", None, "XXXX-02-10"),  # year unknown without the publication date
        ("Senin (28/3)", "2022", "2022-03-28"),  # 004: the article names "2022" as this year
        ("Senin (28/3)", "2022-03-28", "2022-03-28"),
        ("Senin (28/3)", None, "XXXX-03-28"),
        ("tahun ini", "2022", "2022"),  # 004: "20 juta pada tahun ini"
        ("tahun depan", "2022", "2023"),  # 004: "di tahun depan, yakni 2023" = 2022 + 1
        ("tahun lalu", "2022", "2021"),  # 2022 - 1
        ("tahun lalu", "2021-02-10", "2020"),
        ("Desember", "2023", "2023-12"),
        ("Desember", None, "XXXX-12"),
        ("hingga Desember tahun ini", "2023-12-04", "2023-12"),  # 001: December of the year of publication
        ("hingga Desember tahun ini", None, "XXXX-12"),
        ("Desember tahun lalu", "2023", "2022-12"),  # 2023 - 1
        ("2022 ini", "2022-03-28", "2022"),  # 004: "platform digital 2022 ini"
        ("di tahun depan, yakni 2023", "2022-03-28", "2023"),  # 004: the explicit "yakni 2023" wins
        ("di tahun depan, yakni 2023", None, "2023"),
        ("kemarin", "2023-03-08", "2023-03-07"),  # yesterday, one day before publication
        ("Senin", "2023-03-08", "2023-03-06"),  # 8 March 2023 was a Wednesday; the Monday before is the 6th
        ("10 Desember lalu", "2023-03-08", "2022-12-10"),  # "lalu": the last 10 December before publication
        ("Desember lalu", "2023-03-08", "2022-12"),
        ("Maret lalu", "2023-03-08", "2023-03"),  # the month of publication itself
        ("10 Desember", "2023-03-08", "2023-12-10"),  # no "lalu": the publication year, as dateparser reads it
        ("2 tahun lalu", "2023", "2021"),  # two years ago, not "2" + the year before
    ],
)
def test_relative_to_publication(raw: str, published: str | None, value: str) -> None:
    assert parse_date(raw, published).value == value


@pytest.mark.parametrize(
    ("raw", "published"),
    [
        ("tahun ini", None),
        ("tahun depan", None),
        ("tahun lalu", None),
        ("Senin", None),  # a weekday alone needs the publication day
        ("Senin", "2023"),  # ...a year is not enough
        ("bulan lalu", "2023"),
        ("minggu lalu", "2023-03-08"),  # "last week" has no TIMEX value at our granularities
        ("pada tahun-tahun berikutnya", "2022"),  # 004: "in the years that follow", no one year
        ("tahun depan", "9999"),  # there is no year 10000 to name
    ],
)
def test_relative_without_anchor_is_unresolved(raw: str, published: str | None) -> None:
    assert parse_date(raw, published).value is None


def test_deictic_now() -> None:
    assert parse_date("saat ini") == NormDate(value=None, granularity=None, role=None, deictic_now=True)
    got = parse_date("saat ini", "2023-12-04")
    assert (got.value, got.granularity, got.deictic_now) == ("2023-12-04", "day", True)
    got = parse_date("hingga saat ini", "2023-12")  # 001 headline: "hingga saat ini 27 juta UMKM"
    assert (got.value, got.role, got.deictic_now) == ("2023-12", "as_of", True)
    assert parse_date("Sekarang").deictic_now
    assert parse_date("currently").deictic_now
    assert parse_date("now", "2022").value == "2022"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "garbage",
        "sejak awal pandemi",
        "3-4",
        "pukul 10.30 WIB",
        "31/2",
        "UMKM",
        "1700000000",
        "20231204",
        "31 Februari 2023",
        "\u0662\u0660\u0662\u0663",
        "0/0",
        "0/2023",
        "2023-00",
    ],
)
def test_garbage_is_all_none(raw: str) -> None:
    got = parse_date(raw)
    assert (got.value, got.granularity, got.deictic_now) == (None, None, False)


def test_not_a_string() -> None:
    assert parse_date(None) == NormDate(None, None, None, False)  # type: ignore[arg-type]
    assert parse_date("2023", published=20230308).value == "2023"  # type: ignore[arg-type]


def test_bad_published_is_ignored() -> None:
    assert parse_date("10 Februari", "kemarin").value == "XXXX-02-10"
    assert parse_date("10 Februari", "2023-02-31").value == "XXXX-02-10"


def test_repeated_calls_are_answered_from_the_cache() -> None:
    # The scorer asks for the same (raw, published) thousands of times: after the first, nothing is parsed again.
    # (How long 2000 calls take is measured by `make bench`, benchmarks/bench_normalize.py.)
    first = parse_date("Per Maret 2023", "2023-12-04")
    before = dates._parse.cache_info()
    assert all(parse_date("Per Maret 2023", "2023-12-04") == first for _ in range(2000))
    after = dates._parse.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (2000, 0)


@pytest.mark.parametrize(
    ("gold", "pred", "relation"),
    [
        ("2023-12-04", "2023-12-04", "exact"),
        ("2023-12-04", "2023", "coarser"),  # right year, day lost
        ("2023-12-04", "2023-12", "coarser"),
        ("2023-12-04", "2023-Q4", "coarser"),  # December is in Q4
        ("2023-12-04", "2023-H2", "coarser"),
        ("2023", "2023-12-04", "finer"),
        ("2023-H2", "2023-Q3", "finer"),
        ("2023-12", "2023-11", "different"),
        ("2023-12-04", "2022", "different"),
        ("2023-Q3", "2023-12", "different"),  # December is Q4
        ("XXXX-02-10", "2023-02-10", "finer"),  # the unknown year is consistent with 2023
        ("2023-02-10", "XXXX-02-10", "coarser"),
        ("XXXX-02-10", "XXXX-02-10", "exact"),
        ("XXXX-02-10", "2023-02-11", "different"),
        ("2023", "garbage", "different"),
        ("2023", "", "different"),
        ("2023-13", "2023", "different"),  # no month 13
    ],
)
def test_timex_relation(gold: str, pred: str, relation: str) -> None:
    assert timex_relation(gold, pred) == relation


def test_timex_relation_not_strings() -> None:
    assert timex_relation(None, "2023") == "different"  # type: ignore[arg-type]


# --- find_dates: the date phrases of each article, read from the article by hand -------------------------------
# (article, published as the gold's G4 gives it, every date phrase with its value, figures that must not be dates)
ARTICLE_DATES = [
    (
        "000_5c7c061acdd0991c",
        None,
        [
            # "pemerintah mematok target 2 juta UMKM bergabung ke ekosistem digital , pada Desember 2020."
            ("pada Desember 2020", "2020-12"),
            # "Pada Maret 2020, saat pandemi Covid-19 awal-awal menyerang, ..." (the body is printed twice)
            ("Pada Maret 2020", "2020-03"),
            ("Pada Maret 2020", "2020-03"),
            # "Yang dimulai tahun lalu, ..." (twice): no publication date, so no value and not reported
        ],
        ["3,8 Juta", "3,8 juta", "2 juta", "Covid-19"],
    ),
    (
        "001_ace72b6c210ee1f9",
        "2023-12-04",
        [
            ("2023-12", "2023-12"),  # " date 2023-12 Kemenko Perekonomian mencatat ..." (scraped dateline)
            ("pada 2024", "2024"),  # "... target 30 juta usaha mikro, kecil, dan menengah (UMKM) go digital pada 2024."
            ("Senin (4/12/2023)", "2023-12-04"),  # "... Pengembangan Ekonomi Digital, Senin (4/12/2023)."
            (
                "hingga Desember 2023",
                "2023-12",
            ),  # "... mengakselerasi 3 juta UMKM untuk go digital hingga Desember 2023."
            ("sepanjang 2023", "2023"),  # "Optimisme tersebut tercermin karena sepanjang 2023, ..."
            ("Per Maret 2023", "2023-03"),  # "Per Maret 2023, sebanyak 22 juta UMKM yang telah go digital."
            ("per Juni 2023", "2023-06"),  # "Sementara per Juni 2023, bertambah menjadi 22,8 juta UMKM ..."
            # "Jika membandingkan sejak Maret hingga Desember tahun ini, ..." ("sejak awal pandemi": no calendar date)
            ("sejak Maret", "2023-03"),
            ("hingga Desember tahun ini", "2023-12"),
        ],
        ["30 juta", "27 juta", "3 juta", "22 juta", "22,8 juta", "14,8 juta", "35,5 persen", "5 juta"],
    ),
    (
        "002_61bc8efce56588cd",
        "2023-03-08",
        [
            ("pada 10 Februari lalu", "2023-02-10"),  # "... yang telah kick off pada 10 Februari lalu."
            ("8/3/23", "2023-03-08"),  # "... ungkap Lies Zeny, Ranu 8/3/23." ("Ranu": a typo of "Rabu", no weekday)
            ("pada 2020", "2020"),  # "Dikatakan, pada 2020, Lazada menjadi bagian inisiator Bangga Buatan Indonesia."
        ],
        [
            "800 Ribu",
            "20 Toko",
            "1000 UMKM",
            "25 juta",
            "800 ribuan",
            "8 Kabupaten/Kota",
            "20 toko",
            "200 UMKM",
            "800 lainnya",
            "Covid-19",
            "Artikel 1",
            "Artikel 2",
        ],
    ),
    (
        "003_c50be10e8d192006",
        "2020-10-05",
        [
            # "Pada April 2020, penjualan daring meningkat 480 persen dibandingkan Januari 2020, ..."
            # "... peluncuran pelatihan UMKM digital di Indonesia, Senin, 5 Oktober 2020."
            # "Pelatihan resmi dimulai Senin, 5 Oktober 2020 hingga 12 Desember 2020." -- all twice (second copy)
            *[
                ("Pada April 2020", "2020-04"),
                ("Januari 2020", "2020-01"),
                ("Senin, 5 Oktober 2020", "2020-10-05"),
                ("dimulai Senin, 5 Oktober 2020", "2020-10-05"),
                ("hingga 12 Desember 2020", "2020-12-12"),
            ]
            * 2,
        ],
        [
            "480 persen",
            "60 persen",
            "14,6 persen",
            "9,4 juta",
            "64 juta",
            "6.500",
            "2.500",
            "60 modul",
            "satu kuartal",
            "covid-19",
        ],
    ),
    (
        "004_5da99a7ff07c33c6",
        "2022-03-28",
        [
            # "... Koperasi dan UMKM 2022 melalui konferensi video di Istana Negara, Jakarta, Senin (28/3)."
            ("2022", "2022"),
            ("Senin (28/3)", "2022-03-28"),  # the year in the event's name is still a year
            ("pada tahun ini", "2022"),  # "... dapat mencapai 20 juta pada tahun ini."
            # "Yang masuk ke platform digital 2022 ini harus mencapai target 20 juta, minimal 20 juta, dan meningkat
            #  24 juta di tahun depan, yakni 2023, dan 30 juta di 2024." ("tahun-tahun berikutnya": vague, no date)
            ("2022", "2022"),
            ("di tahun depan", "2023"),
            ("2023", "2023"),
            ("di 2024", "2024"),
            (
                "2025",
                "2025",
            ),  # "- Telkom Siap Gelar Digiland 2025 Seusai dapat Dukungan ..." (link list: noise, a year)
        ],
        ["20 juta", "24 juta", "30 juta", "2 UMKM", "Covid-19"],
    ),
]


@pytest.mark.parametrize(
    ("article", "published", "expected", "figures"), ARTICLE_DATES, ids=[a[0][:3] for a in ARTICLE_DATES]
)
def test_find_dates_in_articles(article: str, published: str | None, expected: list, figures: list[str]) -> None:
    text = (SEEDS / f"{article}.txt").read_text(encoding="utf-8")
    found = find_dates(text, published)
    assert Counter((text[s:e], nd.value) for s, e, nd in found) == Counter(expected)
    for fig in figures:  # no figure is (part of) a date
        assert fig in text
        at = [i for i in range(len(text)) if text.startswith(fig, i)]
        assert not [(s, e) for s, e, _ in found for i in at if s < i + len(fig) and i < e], fig


def test_find_dates_roles_and_granularity() -> None:
    text = (SEEDS / "001_ace72b6c210ee1f9.txt").read_text(encoding="utf-8")
    got = {text[s:e]: (nd.granularity, nd.role) for s, e, nd in find_dates(text, "2023-12-04")}
    assert got["Per Maret 2023"] == ("month", "as_of")
    assert got["sejak Maret"] == ("month", "since")
    assert got["hingga Desember tahun ini"] == ("month", "until")
    assert got["Senin (4/12/2023)"] == ("day", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Rule: a bare 1900-2100 is a year unless money precedes it or a scale, percent or counted noun follows.
        ("... (UMKM) go digital pada 2024.", [("pada 2024", "2024")]),  # 001
        ("Tercatat, 6.500 orang mendaftar dari kapasitas 2.500.", []),  # 003
        ("Pada kegiatan itu diikuti oleh 1000 UMKM, sebanyak 200 UMKM hadir secara langsung", []),  # 002
        ("Telkom Siap Gelar Digiland 2025 Seusai dapat Dukungan", [("2025", "2025")]),  # 004, link list
        # the same sentences with a figure in the year range: still figures
        ("Pada kegiatan itu diikuti oleh 2000 UMKM, sebanyak 2.000 UMKM hadir", []),
        (
            "Tercatat, 2023 orang mendaftar dari kapasitas 2100.",
            [("2100", "2100")],
        ),  # the rule's limit: a bare last figure
        ("angka UMKM yang telah bergabung telah mencapai 3,8 juta", []),
        ("anggaran Rp 2023 dan Rp2024 miliar, tumbuh 2020 persen dan 1999%", []),
        ("target 2030 juta UMKM, 2045 ribu pelaku", []),
        ("menuju Indonesia Emas 2045.", [("2045", "2045")]),
        ("sejak tahun 2020-an", []),  # a decade
        ("periode 2020-2021", [("2020", "2020"), ("2021", "2021")]),
        ("nilai 2.023 dan 2023,5 dan 12.2023", []),
    ],
)
def test_find_dates_bare_years(text: str, expected: list) -> None:
    assert [(text[s:e], nd.value) for s, e, nd in find_dates(text)] == expected


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("laba kuartal III 2023 naik", None, [("kuartal III 2023", "2023-Q3")]),
        (
            "pada semester I 2023 dan triwulan kedua 2022",
            None,
            [("pada semester I 2023", "2023-H1"), ("triwulan kedua 2022", "2022-Q2")],
        ),
        ("Q3 2023 dan H2 2024", None, [("Q3 2023", "2023-Q3"), ("H2 2024", "2024-H2")]),
        ("kuartal III", "2023-12-04", [("kuartal III", "2023-Q3")]),
        ("arus mudik H-1 Lebaran, satu kuartal, gas H2, virus H1N1", None, []),
        ("sepertiga atau 1/3 dari total, skor 2/1", None, []),  # year-less d/m only in a dateline form
        ("kata dia, Kamis (2/3).", None, [("Kamis (2/3)", "XXXX-03-02")]),
        ("kata dia (2/3).", "2023-03-08", [("2/3", "2023-03-02")]),
        ("tanggal 17/8", "2022", [("tanggal 17/8", "2022-08-17")]),
        ("Bisnis.com, 2023-12-04 10:00", None, [("2023-12-04", "2023-12-04")]),
        (
            "rilis 12/2023 dan 5-10-2020 serta 5.10.2020",
            None,
            [("12/2023", "2023-12"), ("5-10-2020", "2020-10-05"), ("5.10.2020", "2020-10-05")],
        ),
        ("10 Februari lalu", None, [("10 Februari lalu", "XXXX-02-10")]),
        ("Yang dimulai tahun lalu", None, []),  # 000: nothing to resolve it with
        ("Yang dimulai tahun lalu", "2021", [("dimulai tahun lalu", "2020")]),
        ("pada tahun-tahun berikutnya", "2022", []),
        ("Saat ini sudah 27 juta, hingga saat ini", "2023-12-04", []),  # deictic now: not a calendar date
        ("Juni dan Mei bertemu Agus, Maret", "2023", []),  # a month name alone, with no anchor: maybe a name
        ("pada Juni, sejak akhir Mei", "2023", [("pada Juni", "2023-06"), ("sejak akhir Mei", "2023-05")]),
        ("5 Okt 2020, Des. 2021", None, [("5 Okt 2020", "2020-10-05"), ("Des. 2021", "2021-12")]),
        ("45 Maret 2020", None, [("Maret 2020", "2020-03")]),  # no such day: the month is still stated
        ("on December 4, 2023", None, [("December 4, 2023", "2023-12-04")]),
    ],
)
def test_find_dates_forms(text: str, published: str | None, expected: list) -> None:
    assert [(text[s:e], nd.value) for s, e, nd in find_dates(text, published)] == expected


def test_find_dates_not_text() -> None:
    assert find_dates(None) == []  # type: ignore[arg-type]
    assert find_dates("") == []


def test_ten_kilobytes_read_as_their_articles_one_by_one() -> None:
    # The five articles in one 10 KB text give exactly the dates each gives alone, at its offset: the finder
    # reads all of a long text, and nothing carries over from one article into the next. (Its speed on these
    # 10 KB is measured by `make bench`, benchmarks/bench_normalize.py.)
    parts = [(SEEDS / f"{a}.txt").read_text(encoding="utf-8") for a, *_ in ARTICLE_DATES]
    text = "\n".join(parts)
    assert len(text) > 10_000
    alone, offset = [], 0
    for part in parts:
        alone += [(s + offset, e + offset, nd) for s, e, nd in find_dates(part, "2021-06-15")]
        offset += len(part) + 1
    assert len(alone) >= 5 * 3  # every article states dates (test_find_dates_in_articles lists them)
    assert find_dates(text, "2021-06-15") == alone


@pytest.mark.parametrize("month", sorted(dates._MONTH_NUMBER))
def test_calendar_by_hand_reads_as_dateparser(month: str) -> None:
    """parse_date reads "5 maret 2020" and the like itself; dateparser, slower, reads them the same way."""
    for form in ("{d} {m} {y}", "{m} {y}", "{d} {m}", "{m}"):
        for d, y, published in [(1, 1900, None), (28, 2020, "2023-03-08"), (31, 2100, "2022")]:
            s = form.format(d=d, m=month, y=y)
            pub = dates._published(published)
            by_hand = dates._calendar(s, pub, past=False)
            by_dateparser = dates._via_dateparser(s, pub[3] if pub else dates._SENTINELS, known_year=pub is not None)
            assert (by_hand if by_hand != ("", "") else None) == by_dateparser, s
    # The one difference: with no year, dateparser moves "29 Februari" to some leap year; by hand it is no date.
