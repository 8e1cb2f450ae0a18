"""Date phrases from the five articles, English forms a model may answer with, and TIMEX relations."""

from __future__ import annotations

import pytest

from harness.normalize.dates import NormDate, parse_date, timex_relation


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


@pytest.mark.parametrize("raw", ["", "garbage", "sejak awal pandemi", "3-4", "pukul 10.30 WIB", "31/2", "UMKM"])
def test_garbage_is_all_none(raw: str) -> None:
    got = parse_date(raw)
    assert (got.value, got.granularity, got.deictic_now) == (None, None, False)


def test_not_a_string() -> None:
    assert parse_date(None) == NormDate(None, None, None, False)  # type: ignore[arg-type]
    assert parse_date("2023", published=20230308).value == "2023"  # type: ignore[arg-type]


def test_bad_published_is_ignored() -> None:
    assert parse_date("10 Februari", "kemarin").value == "XXXX-02-10"
    assert parse_date("10 Februari", "2023-02-31").value == "XXXX-02-10"


def test_repeated_calls_are_fast() -> None:
    import time

    parse_date("Per Maret 2023", "2023-12-04")
    start = time.perf_counter()
    for _ in range(2000):
        parse_date("Per Maret 2023", "2023-12-04")
    assert time.perf_counter() - start < 1.0  # cached: the scorer calls this thousands of times


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
