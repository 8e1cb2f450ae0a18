"""Properties: the normalisers never raise on arbitrary text, and Indonesian formatting round-trips."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.normalize.dates import NormDate, parse_date, timex_relation
from harness.normalize.names import is_outlet, normalize_name, resolve_speaker, split_aliases, strip_titles
from harness.normalize.numbers import NormFigure, find_figures, format_id, parse_figure, same_digits
from harness.schema import Speaker

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPEAKERS = [Speaker(name="Odo Manuhutu"), Speaker(name="Joko Widodo", aliases=["Jokowi"])]

# Text that looks like the articles often enough to reach the interesting branches.
WORDS = st.sampled_from(
    ["3,8", "juta", "Rp", "persen", "%", "lebih", "sekitar", "hampir", "6.500", "orang", "ribuan", "dari", "(", ")",
     "4/12/2023", "Senin", "Desember", "2023", "per", "hingga", "saat ini", "tahun", "lalu", "-", ",", ".", "Presiden",
     "Deputi", "Odo", "dua", "koma", "~", "Q3", "semester", "I", "28/3", "minimal", "1.234,5", "3.8", "million"]
)
ARTICLEISH = st.lists(st.one_of(WORDS, st.text(max_size=6)), max_size=12).map(" ".join)
TEXT = st.one_of(st.text(max_size=80), ARTICLEISH)


@FAST
@given(TEXT)
def test_parse_figure_never_raises(raw: str) -> None:
    fig = parse_figure(raw)
    assert isinstance(fig, NormFigure)
    assert fig.value is None or isinstance(fig.value, Decimal)
    assert fig.unit in (None, "count", "persons", "percent", "idr")
    assert fig.qualifier in (None, "at_least", "at_most")
    assert (fig.value is None) == (fig.unit is None)


@FAST
@given(TEXT)
def test_find_figures_never_raises_and_spans_are_ordered(text: str) -> None:
    found = find_figures(text)
    last = 0
    for start, end, fig in found:
        assert last <= start < end <= len(text)
        assert isinstance(fig.value, Decimal)
        last = end


@FAST
@given(TEXT, st.one_of(st.none(), st.sampled_from(["2023-03-08", "2022", "2023-12", "garbage"]), st.text(max_size=12)))
def test_parse_date_never_raises(raw: str, published: str | None) -> None:
    got = parse_date(raw, published)
    assert isinstance(got, NormDate)
    assert got.granularity in (None, "year", "quarter", "half", "month", "day")
    if got.value is not None:
        assert timex_relation(got.value, got.value) == "exact"  # every value we produce is a readable TIMEX


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


DECIMALS = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, allow_infinity=False,
                       places=None)


@FAST
@given(DECIMALS)
def test_indonesian_format_round_trip(x: Decimal) -> None:
    assert parse_figure(format_id(x)).value == x


@FAST
@given(st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1e12"), allow_nan=False, places=3),
       st.integers(min_value=-6, max_value=6))
def test_same_digits_under_powers_of_ten(x: Decimal, k: int) -> None:
    assert same_digits(x, x.scaleb(k))
    assert same_digits(x, x + 1) == same_digits(x + 1, x)  # symmetric
