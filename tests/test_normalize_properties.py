"""Properties: the normalisers never raise on arbitrary text; figures in Indonesian, English or words read back."""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from babel.numbers import format_decimal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.normalize.date_finder import find_dates
from harness.normalize.dates import _MONTH_NUMBER, NormDate, parse_date, timex_relation
from harness.normalize.names import is_outlet, normalize_name, resolve_speaker, split_aliases, strip_titles
from harness.normalize.numbers import NormFigure, find_figures, format_id, parse_figure, same_digits
from harness.schema import Speaker

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPEAKERS = [Speaker(name="Odo Manuhutu"), Speaker(name="Joko Widodo", aliases=["Jokowi"])]

# Text that looks like the articles often enough to reach the interesting branches.
WORDS = st.sampled_from(
    [
        "3,8",
        "juta",
        "Rp",
        "persen",
        "%",
        "lebih",
        "sekitar",
        "hampir",
        "6.500",
        "orang",
        "ribuan",
        "dari",
        "(",
        ")",
        "4/12/2023",
        "Senin",
        "Desember",
        "2023",
        "per",
        "hingga",
        "saat ini",
        "tahun",
        "lalu",
        "-",
        ",",
        ".",
        "Presiden",
        "Deputi",
        "Odo",
        "dua",
        "koma",
        "~",
        "Q3",
        "semester",
        "I",
        "28/3",
        "minimal",
        "1.234,5",
        "3.8",
        "million",
    ]
)
ARTICLEISH = st.lists(st.one_of(WORDS, st.text(max_size=6)), max_size=12).map(" ".join)
TEXT = st.one_of(st.text(max_size=80), ARTICLEISH)
# Figures also meet compact suffixes, comparison signs, number words and letters that fold onto ASCII ones.
FIGURE_WORDS = st.sampled_from(
    [
        "3,8",
        "6,500",
        "1,234,567",
        "3.800.000",
        "1,2,3",
        "800",
        "juta",
        "ribu",
        "miliar",
        "M",
        "T",
        "k",
        "bn",
        "Rp",
        "Rp1,2",
        "persen",
        "%",
        "orang",
        "lebih",
        "sekitar",
        "ribuan",
        ">",
        "≥",
        "<",
        "≤",
        "~",
        "-",
        "->",
        "dua",
        "tiga",
        "puluh",
        "belas",
        "ratus",
        "setengah",
        "koma",
        "delapan",
        "sebelas",
        "one",
        "and",
        "a",
        "half",
        "point",
        "million",
        "thousand",
        "2 mılıar",
        "5 thouſand",
        "\u212a",
        "\u00a0",
        "\n",
        "4/12/2023",
        "2023",
    ]
)
FIGURE_TEXT = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(FIGURE_WORDS, WORDS, st.text(max_size=4)), max_size=12).map(" ".join),
    st.lists(FIGURE_WORDS, max_size=8).map("".join),  # glued: "Rp1,2M", "800k", "duajuta"
)


@FAST
@given(FIGURE_TEXT)
def test_parse_figure_never_raises(raw: str) -> None:
    # Meaningful because the normaliser catches no broad exception: anything raised inside fails here.
    fig = parse_figure(raw)
    assert isinstance(fig, NormFigure)
    assert fig.value is None or isinstance(fig.value, Decimal)
    assert fig.unit in (None, "count", "persons", "percent", "idr")
    assert fig.qualifier in (None, "at_least", "at_most")
    assert (fig.value is None) == (fig.unit is None)


@FAST
@given(FIGURE_TEXT)
def test_find_figures_spans_are_ordered_and_read_back(text: str) -> None:
    found = find_figures(text)
    last = 0
    for start, end, fig in found:
        assert last <= start < end <= len(text)
        assert isinstance(fig.value, Decimal)
        assert parse_figure(text[start:end]).value == fig.value  # the span alone says what was found
        last = end


@FAST
@given(ARTICLEISH, st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999999"), places=3), ARTICLEISH)
def test_a_figure_in_running_text_is_found(before: str, x: Decimal, after: str) -> None:
    # Whatever surrounds a sentence, the figure it states is found: "Sebanyak 3,8 juta UMKM." -> 3.8 x 10^6.
    text = f"{before}. Sebanyak {format_id(x)} juta UMKM. {after}"
    assert scaled(x, 6) in [fig.value for _s, _e, fig in find_figures(text)], text


# Dates also meet relative years at the ends of the calendar, non-ASCII digits, timestamps and impossible days.
DATE_WORDS = st.sampled_from(
    [
        "tahun depan",
        "tahun lalu",
        "yakni",
        "lalu",
        "ini",
        "Maret",
        "10 Februari",
        "29 Februari",
        "31/2",
        "8/3/23",
        "Ranu",
        "kuartal",
        "III",
        "semester",
        "H-1",
        "Q5",
        "9999",
        "0000",
        "0001",
        "2100",
        "1700000000",
        "tahun-tahun",
        "\u0662\u0660\u0662\u0663",
        "\uff12\uff10\uff12\uff13",
        "99999999 hari lalu",
        "sejak",
        "s.d.",
        "kemarin",
        "(",
        ")",
    ]
)
DATE_TEXT = st.one_of(
    TEXT, DATE_WORDS, st.lists(st.one_of(DATE_WORDS, WORDS, st.text(max_size=4)), max_size=5).map(" ".join)
)
PUBLISHED = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["2023-03-08", "2022", "2023-12", "garbage", "9999", "9999-12-31", "0001-01-01"]),
)
TIMEX = {
    "year": r"(?:[0-9]{4}|XXXX)",
    "quarter": r"(?:[0-9]{4}|XXXX)-Q[1-4]",
    "half": r"(?:[0-9]{4}|XXXX)-H[12]",
    "month": r"(?:[0-9]{4}|XXXX)-[0-9]{2}",
    "day": r"(?:[0-9]{4}|XXXX)-[0-9]{2}-[0-9]{2}",
}


def is_timex(nd: NormDate) -> bool:
    """The value is an ASCII TIMEX of the stated granularity, and one timex_relation can read."""
    pattern = TIMEX.get(nd.granularity or "")
    return (
        pattern is not None
        and re.fullmatch(pattern, nd.value or "") is not None
        and timex_relation(nd.value, nd.value) == "exact"
    )


@FAST
@given(DATE_TEXT, PUBLISHED)
@example("\u0662\u0660\u0662\u0663", None)  # Arabic-Indic digits once came back as the "year" value
@example("0/0", None)  # once "XXXX" at day granularity
def test_parse_date_never_raises(raw: str, published: str | None) -> None:
    # Meaningful because parse_date catches no broad exception: anything raised inside fails here.
    got = parse_date(raw, published)
    assert isinstance(got, NormDate)
    assert got.role in (None, "point", "as_of", "since", "until")
    assert (got.value is None) == (got.granularity is None)
    if got.value is not None:
        assert is_timex(got), got


@FAST
@given(DATE_TEXT, PUBLISHED)
def test_find_dates_spans_read_back(text: str, published: str | None) -> None:
    last = 0
    for start, end, got in find_dates(text, published):
        assert last <= start < end <= len(text)
        assert is_timex(got) and not got.deictic_now, got
        assert parse_date(text[start:end], published) == got  # the span alone says what was found
        last = end


MONTHS = sorted(_MONTH_NUMBER.items())  # every spelling the reader knows: "maret", "march", "pebruari", ...


@FAST
@given(ARTICLEISH, st.integers(1, 28), st.sampled_from(MONTHS), st.integers(1900, 2100), ARTICLEISH)
def test_a_date_in_running_text_is_found(before: str, day: int, month: tuple[str, int], year: int, after: str) -> None:
    # Whatever surrounds a sentence, the full date it states is found: "Pada 4 Desember 2023." -> 2023-12-04.
    name, number = month
    text = f"{before}. Pada {day} {name.capitalize()} {year}. {after}"
    assert f"{year:04d}-{number:02d}-{day:02d}" in [nd.value for _s, _e, nd in find_dates(text)], text


@FAST
@given(TEXT, TEXT)
def test_timex_relation_never_raises(a: str, b: str) -> None:
    assert timex_relation(a, b) in ("exact", "coarser", "finer", "different")


@FAST
@given(TEXT)
def test_names_never_raise(name: str) -> None:
    assert isinstance(strip_titles(name), str)
    assert isinstance(normalize_name(name), str)
    assert all(isinstance(a, str) and a for a in split_aliases(name))
    assert resolve_speaker(name, SPEAKERS) in (None, "Odo Manuhutu", "Joko Widodo")
    assert isinstance(is_outlet(name), bool)


DECIMALS = st.one_of(
    st.decimals(
        min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, allow_infinity=False, places=None
    ),
    st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=3),  # "1,234": the ambiguous shape
)
# One separator between 1-3 digits and exactly three: read as grouped thousands when no word says otherwise.
AMBIGUOUS = {"id": re.compile(r"-?[1-9][0-9]{0,2},[0-9]{3}"), "en": re.compile(r"-?[1-9][0-9]{0,2}\.[0-9]{3}")}


def written(x: Decimal, locale: str) -> str:
    """x written the way of `locale` ("id": 1.234,5; "en": 1,234.5), every digit kept."""
    if locale == "id":
        return format_id(x)
    with localcontext() as ctx:
        ctx.prec = 600
        return format_decimal(x, locale="en", decimal_quantization=False)


def scaled(x: Decimal, power: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 600  # exact: x has fewer digits than that
        return x.scaleb(power)


@FAST
@given(DECIMALS, st.sampled_from(["id", "en"]))
def test_format_round_trip(x: Decimal, locale: str) -> None:
    text = written(x, locale)
    # "1,234" (id) and "1.234" (en) are 1.234 written out, but read as 1234 = 1.234 x 10^3 by the separator rule.
    expected = scaled(x, 3) if AMBIGUOUS[locale].fullmatch(text) else x
    assert parse_figure(text).value == expected


@FAST
@given(DECIMALS, st.sampled_from([("id", " juta"), ("id", " persen"), ("en", " million"), ("en", " percent")]))
def test_format_round_trip_with_a_word(x: Decimal, case: tuple[str, str]) -> None:
    # The word after the number names the language, so even "1,234 juta" and "1.234 million" read exactly.
    locale, word = case
    power = 6 if word in (" juta", " million") else 0
    assert parse_figure(written(x, locale) + word).value == scaled(x, power)


@FAST
@given(
    st.integers(1, 999),
    st.integers(1, 999),
    st.sampled_from(
        [
            ("triliun", 12, "miliar", 9),
            ("miliar", 9, "juta", 6),
            ("juta", 6, "ribu", 3),
            ("miliar", 9, "ribu", 3),
            ("million", 6, "thousand", 3),
        ]
    ),
)
def test_compound_amounts_add_up(a: int, b: int, scales: tuple[str, int, str, int]) -> None:
    big, p, small, q = scales
    assert parse_figure(f"{a} {big} {b} {small}").value == a * 10**p + b * 10**q  # "3 juta 800 ribu" = 3800000


_ID_UNITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]


def _spell_below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    out = [] if not hundreds else ["seratus"] if hundreds == 1 else [_ID_UNITS[hundreds], "ratus"]
    if rest in (10, 11):
        out.append("sepuluh" if rest == 10 else "sebelas")
    elif 12 <= rest <= 19:
        out += [_ID_UNITS[rest - 10], "belas"]
    elif rest >= 20:
        out += [_ID_UNITS[rest // 10], "puluh"] + ([_ID_UNITS[rest % 10]] if rest % 10 else [])
    elif rest:
        out.append(_ID_UNITS[rest])
    return out


def spell_id(n: int) -> str:
    """n (1 <= n < 10^15) in Indonesian words, as a test-side writer (the module only reads them)."""
    words = []
    for power, scale in ((12, "triliun"), (9, "miliar"), (6, "juta"), (3, "ribu")):
        q, n = divmod(n, 10**power)
        if q:
            words += ["seribu"] if (power, q) == (3, 1) else [*_spell_below_1000(q), scale]
    return " ".join(words + _spell_below_1000(n))


@FAST
@given(st.one_of(st.integers(1, 999), st.integers(1, 10**15 - 1)))
def test_indonesian_number_words_round_trip(n: int) -> None:
    assert parse_figure(spell_id(n)).value == n  # e.g. 3800000 = "tiga juta delapan ratus ribu"


@FAST
@given(st.integers(0, 999), st.lists(st.integers(0, 9), min_size=1, max_size=6))
def test_indonesian_decimal_words_round_trip(n: int, decimals: list[int]) -> None:
    whole = "nol" if n == 0 else spell_id(n)
    raw = f"{whole} koma {' '.join(_ID_UNITS[d] for d in decimals)} juta"  # "tiga koma delapan juta"
    assert parse_figure(raw).value == scaled(Decimal(f"{n}.{''.join(map(str, decimals))}"), 6)


@FAST
@given(
    st.from_regex(r"-?[0-9]{1,8}(?:[.,][0-9]{1,4}){0,4}", fullmatch=True),
    st.sampled_from(["", "Rp", "Rp ", ">", "sekitar ", "≤ "]),
    st.sampled_from(["", " juta", " million", "M", " M", "k", " persen", "%", " orang", " T", "bn", " ribuan"]),
)
def test_digit_tokens_never_raise(token: str, before: str, after: str) -> None:
    fig = parse_figure(before + token + after)
    assert fig.value is None or isinstance(fig.value, Decimal)
    assert (fig.value is None) == (fig.unit is None)


@FAST
@given(
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e12"), allow_nan=False, places=3),
    st.integers(min_value=-6, max_value=6),
)
def test_same_digits_under_powers_of_ten(x: Decimal, k: int) -> None:
    assert same_digits(x, x.scaleb(k))
    # x + 1 is never x times a power of ten here: x * (10^k - 1) = 1 needs x = 1/9, 1/99, ..., which no decimal with
    # three places is. So the digits differ, both ways round (a function that said True to all would fail here).
    assert not same_digits(x, x + 1) and not same_digits(x + 1, x)
