"""Dates: Indonesian (and English) date phrases to TIMEX-style values cut to their stated granularity.

dateparser does the reading; our own rules handle what it misses: anchor words kept as the role ("per",
"sejak", "hingga", "pada"), noise words, weekday names and typos in front of numeric dates ("Ranu 8/3/23"),
quarters and halves; plain calendar dates ("5 Oktober 2020", "Maret 2020") are read by hand, as dateparser
reads them but without its cost. Pure functions; no text makes them raise: an unreadable date is the UNPARSED
result of the rules, and the only exceptions caught are those a named call is known to raise, at that call.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from harness.normalize.timex import timex_relation  # re-exported: the scorer and tests import it from here

__all__ = ["NormDate", "parse_date", "timex_relation"]

_MAX_LEN = 160  # longer text is a sentence, not a date phrase; dateparser is slow on it


@dataclass(frozen=True)
class NormDate:
    """A date phrase's TIMEX value ("2023-12", "XXXX-02-10"), granularity, anchor role and "now" flag."""

    value: str | None
    granularity: str | None  # "year" | "quarter" | "half" | "month" | "day"
    role: str | None = None  # "point" | "as_of" | "since" | "until"
    deictic_now: bool = False  # "saat ini", "sekarang", "now": anchored to the publication date


UNPARSED = NormDate(value=None, granularity=None, role=None, deictic_now=False)

_ANCHOR = re.compile(
    r"^(?P<w>sampai\s+dengan|s\.\s?d\.?|s/d|sampai|hingga|until|till|through|up\s+to|as\s+of|per|sejak|"
    r"dimulai|mulai|since|starting|from|pada|tanggal|tgl\.?|di|on|in)(?!\w)\s*",
)
_ROLES = {
    "sampai dengan": "until",
    "s.d.": "until",
    "s.d": "until",
    "s. d.": "until",
    "s. d": "until",
    "s/d": "until",
    "sampai": "until",
    "hingga": "until",
    "until": "until",
    "till": "until",
    "through": "until",
    "up to": "until",
    "as of": "as_of",
    "per": "as_of",
    "sejak": "since",
    "dimulai": "since",
    "mulai": "since",
    "since": "since",
    "starting": "since",
    "from": "since",
}  # everything else in _ANCHOR ("pada", "di", "tanggal", "on", "in") is a point
_MONTHS = (  # month names dateparser knows; listed here to recognise "10 Februari lalu" and "Desember tahun ini"
    "januari februari pebruari maret april mei juni juli agustus september oktober november nopember desember "
    "january february march may june july august october december"
).split()
_MONTH = "|".join(
    sorted(
        [
            *_MONTHS,
            "jan",
            "feb",
            "mar",
            "apr",
            "jun",
            "jul",
            "agu",
            "agt",
            "ags",
            "aug",
            "sep",
            "sept",
            "okt",
            "oct",
            "nov",
            "des",
            "dec",
        ],
        key=len,
        reverse=True,
    )
)
# "5 maret 2021", "maret 2021", "maret" and "2021" read by hand, as dateparser reads them (a test compares the two)
_MONTH_NUMBER = {m: n for n, names in enumerate((
    "januari january", "februari pebruari february", "maret march", "april", "mei may", "juni june", "juli july",
    "agustus august", "september", "oktober october", "november nopember", "desember december"), start=1)
    for m in names.split()}  # fmt: skip
_PLAIN = re.compile(rf"(?:(?:([0-9]{{1,2}}) )?({'|'.join(_MONTHS)})(?: ([0-9]{{4}}))?|([0-9]{{4}}))")
_NOISE = re.compile(
    rf"^(?:awal|akhir|pertengahan|medio|sepanjang|selama|early|late|mid|end\s+of|the|of|during|throughout|"
    rf"(?:bulan|tahun|year)(?=\s+(?:[0-9]|(?:{_MONTH})\b)))(?!\w)[\s,-]*"
)
_TRAILING_LALU = re.compile(r"(?<=\w)\s+lalu$")
_WEEKDAY = re.compile(
    r"^(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)(?!\w)[\s,]*(?=.*[0-9])"
)
_NOW = re.compile(
    r"^(?:(?P<asof>hingga|sampai|per|as\s+of|up\s+to|until)\s+)?"
    r"(?:saat\s+ini|sekarang|kini|dewasa\s+ini|now|currently|at\s+present|present|(?P<todate>to\s+date|so\s+far))$"
)
_NAMELY = re.compile(r"[,;]?\s*\b(?:yakni|yaitu|namely|i\.e\.)(?!\w)\s*")
_VAGUE = re.compile(r"\b(tahun|bulan|minggu|pekan|hari)-\1\b")  # "tahun-tahun berikutnya": no one date
_REL_YEAR = re.compile(r"\s*\btahun\s+(ini|depan|berikutnya|lalu|kemarin|sebelumnya)$")
_ISO = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{1,2})(?:-([0-9]{1,2}))?(?![0-9])")
_MONTH_YEAR = re.compile(r"(?<![0-9/])([0-9]{1,2})/([0-9]{4})(?![0-9/])")
_DMY = re.compile(r"(?<![0-9/.-])([0-9]{1,2})([/.-])([0-9]{1,2})(?:\2([0-9]{4}|[0-9]{2}))?(?![0-9/.-]|,[0-9])")
_ORD = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "pertama": 1,
    "kedua": 2,
    "ketiga": 3,
    "keempat": 4,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
}
_ORDS = "iv|iii|ii|i|[1-4]|pertama|kedua|ketiga|keempat|first|second|third|fourth"
_YEAR_TAIL = r"(?:\s*[-/,]?\s*(?:tahun\s+|of\s+|th\.?\s+)?([0-9]{4}))?"
_QUARTER = re.compile(
    rf"\b(?:kuartal|kwartal|triwulan|quarter|q|tw)\s*-?\s*({_ORDS})\b{_YEAR_TAIL}"
    rf"|\b(first|second|third|fourth)\s+quarter\b{_YEAR_TAIL}"
)
_HALF = re.compile(rf"\b(?:semester|paruh|h)\s*-?\s*({_ORDS})\b{_YEAR_TAIL}|\b(first|second)\s+half\b{_YEAR_TAIL}")
_TIMEX_QH = re.compile(r"^([0-9]{4}|xxxx)-?([qh])([1-4])$")


def _published(published: str | None) -> tuple[str, str, int, tuple[datetime, ...]] | None:
    """Publication date as (TIMEX, granularity, year, reference datetimes spanning what it leaves open)."""
    if not isinstance(published, str):
        return None
    m = _ISO.match(published.strip()) or re.match(r"^([0-9]{4})()()(?![0-9])", published.strip())
    if not m:
        return None
    try:
        y = int(m.group(1))
        if m.group(3):
            d = datetime(y, int(m.group(2)), int(m.group(3)))
            return f"{y:04d}-{d.month:02d}-{d.day:02d}", "day", y, (d,)
        if m.group(2):
            mo = int(m.group(2))
            return f"{y:04d}-{mo:02d}", "month", y, (datetime(y, mo, 2), datetime(y, mo, 27))
        return f"{y:04d}", "year", y, (datetime(y, 1, 15), datetime(y, 11, 15))
    except ValueError:
        return None


# Without a publication date, two far-off leap years stand in as references: a part that follows the reference
# came from it, not from the text (so "10 Februari" -> "XXXX-02-10" and "tahun lalu" -> unresolved).
_SENTINELS = (datetime(1804, 1, 15), datetime(1808, 11, 15))


@lru_cache(maxsize=64)
def _parser(base: datetime):
    """One DateDataParser per reference date (construction is slow; the scorer calls parse_date thousands of times)."""
    from dateparser.date import DateDataParser

    # No timestamp or no-spaces parsers: a run of digits ("1700000000", "123456") is a figure, not a date.
    settings = {
        "DATE_ORDER": "DMY",
        "PREFER_LOCALE_DATE_ORDER": False,
        "PREFER_DATES_FROM": "current_period",
        "RELATIVE_BASE": base,
        "PARSERS": ["relative-time", "custom-formats", "absolute-time"],
    }
    return DateDataParser(languages=["id", "en"], settings=settings)


def _ymd(y: int | None, mo: int | None = None, d: int | None = None) -> str | None:
    """TIMEX string for a validated (year, month, day); None when the date does not exist."""
    try:  # 2000 is a leap year: "29/2" stays valid without a year; "0/0" is no date (0 is not "absent")
        date(2000 if y is None else y, 1 if mo is None else mo, 1 if d is None else d)
    except ValueError:  # the day, month or year does not exist
        return None
    out = "XXXX" if y is None else f"{y:04d}"
    if mo is not None:
        out += f"-{mo:02d}"
    if d is not None:
        out += f"-{d:02d}"
    return out


def _rules(s: str, year: int | None) -> tuple[str, str] | None:
    """Numeric dates, quarters and halves, read by hand (DMY order; a two-digit year is 20yy below 70).

    None: no rule applies (dateparser may try); ("", ""): the text is known not to be a date.
    """
    if m := _TIMEX_QH.match(s):
        return f"{m.group(1).upper()}-{m.group(2).upper()}{m.group(3)}", "quarter" if m.group(2) == "q" else "half"
    for rx, kind in ((_QUARTER, "Q"), (_HALF, "H")):
        if m := rx.search(s):
            n = _ORD[(m.group(1) or m.group(3)).lower()]
            if kind == "H" and n > 2:
                continue
            y = m.group(2) or m.group(4)
            y = int(y) if y else year
            return f"{'XXXX' if y is None else f'{y:04d}'}-{kind}{n}", "quarter" if kind == "Q" else "half"
    if m := _ISO.search(s):
        v = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
        return (v, "day" if m.group(3) else "month") if v else None
    if m := _MONTH_YEAR.search(s):
        v = _ymd(int(m.group(2)), int(m.group(1)))
        return (v, "month") if v else None
    if m := _DMY.search(s):
        if m.group(4) is None and m.group(2) != "/":
            return ("", "")  # "10.30", "3-4": a clock time or a range, not a date
        y = m.group(4)
        if y is None:
            y = year
        elif len(y) == 2:
            y = 2000 + int(y) if int(y) < 70 else 1900 + int(y)
        v = _ymd(int(y) if y is not None else None, int(m.group(3)), int(m.group(1)))
        return (v, "day") if v else None
    return None


def _truncate(obj: datetime, period: str | None) -> tuple[tuple[int, ...], str] | None:
    if period == "year":
        return (obj.year,), "year"
    if period == "quarter":
        return (obj.year, (obj.month - 1) // 3 + 1), "quarter"
    if period == "month":
        return (obj.year, obj.month), "month"
    if period in ("day", "time"):
        return (obj.year, obj.month, obj.day), "day"
    return None  # "week": no TIMEX value at our granularities


def _via_dateparser(s: str, bases: tuple[datetime, ...], known_year: bool) -> tuple[str, str] | None:
    results = []
    for base in bases:
        try:
            data = _parser(base).get_date_data(s)
        except (ValueError, OverflowError):  # datetime arithmetic past year 1..9999 inside dateparser: no date
            return None
        if data is None or data.date_obj is None:
            return None
        cut = _truncate(data.date_obj, data.period)
        if cut is None:
            return None
        results.append(cut)
    parts: tuple[int | None, ...]  # the year becomes None below when only the reference date supplied it
    parts, gran = results[0]
    if any(r != results[0] for r in results[1:]):
        # Differing results came from the reference date. Without a publication date, a year that merely
        # followed the sentinel reference is "unknown" while month and day stay known.
        if known_year or gran == "year":
            return None
        if not all(
            r[1] == gran and r[0][0] == b.year and r[0][1:] == parts[1:] for r, b in zip(results, bases, strict=True)
        ):
            return None
        parts = (None, *parts[1:])
    if gran == "quarter":
        y = "XXXX" if parts[0] is None else f"{parts[0]:04d}"
        return f"{y}-Q{parts[1]}", "quarter"
    v = _ymd(*parts)
    return (v, gran) if v else None


def _calendar(s: str, pub: tuple[str, str, int, tuple[datetime, ...]] | None, past: bool) -> tuple[str, str] | None:
    """ "5 oktober 2020", "maret 2020", "10 februari", "maret", "2020" by hand; None: not one of these forms.

    A missing year is the publication year (dateparser's "current period"); with `past` ("10 Februari lalu") a
    date after the publication date is the previous year's. ("", ""): the form, but no such date ("31 februari").
    """
    m = _PLAIN.fullmatch(s)
    if not m:
        return None
    day, month, year = m.group(1), m.group(2), m.group(3) or m.group(4)
    if year and not 1900 <= int(year) <= 2100:
        return None  # left to dateparser, as before
    if month is None:
        return year, "year"
    mo, d = _MONTH_NUMBER[month], int(day) if day else None
    y = int(year) if year else None
    if y is None and pub is not None:
        y = pub[2]
        pub_md = tuple(int(p) for p in pub[0].split("-")[1:])  # (month, day), (month,) or ()
        if past and pub_md and (mo, d or 0)[: len(pub_md)] > pub_md:
            y -= 1
    v = _ymd(y, mo, d)
    return (v, "day" if d else "month") if v else ("", "")


def _clean(raw: str) -> str:
    s = unicodedata.normalize("NFKC", raw).casefold()
    s = re.sub(r"[()\[\]{}\"“”]", " ", s)
    return " ".join(s.split()).strip(" ,.;:")


@lru_cache(maxsize=8192)
def _parse(raw: str, published: str | None) -> NormDate:
    s = _clean(raw)
    if not s or len(s) > _MAX_LEN:
        return UNPARSED
    pub = _published(published)
    role = None
    for _ in range(8):  # strip anchors and noise in front, keeping the first anchor as the role
        if m := _ANCHOR.match(s):
            word = " ".join(m.group("w").split())
            role = role or _ROLES.get(word, "point")
        elif not (m := _NOISE.match(s)):
            break
        s = s[m.end() :].strip(" ,")
    if m := _NOW.match(s):
        if m.group("asof") or m.group("todate") or role == "until":
            role = "as_of"
        if pub is None:
            return NormDate(None, None, role, True)
        return NormDate(pub[0], pub[1], role, True)
    if (m := _NAMELY.search(s)) and s[m.end() :]:  # "tahun depan, yakni 2023": the explicit restatement wins
        named = _parse(s[m.end() :], published)
        if named.value is not None:
            return NormDate(named.value, named.granularity, role or named.role, named.deictic_now)
        s = s[: m.start()].strip(" ,")
    if _VAGUE.search(s):
        return NormDate(None, None, role, False)
    past = re.search(rf"(?:\b(?:{_MONTH})|[0-9])\s+lalu$", s) is not None
    if past:
        s = _TRAILING_LALU.sub("", s)  # "10 Februari lalu": "last 10 February"; "tahun lalu" is left alone
    s = re.sub(r"(?<=[0-9]{4})\s+ini$", "", s)  # "2022 ini": "this 2022"
    if (m := _REL_YEAR.search(s)) and re.fullmatch(rf"(?:.*\b(?:{_MONTH}))?", s[: m.start()]):
        # "tahun ini", "Desember tahun ini": (a month of) a year relative to publication; not "2 tahun lalu"
        shift = {"ini": 0, "depan": 1, "berikutnya": 1, "lalu": -1, "kemarin": -1, "sebelumnya": -1}[m.group(1)]
        if pub and not 1 <= pub[2] + shift <= 9999:
            return NormDate(None, None, role, False)  # no such year to name
        s = (s[: m.start()] + (f" {pub[2] + shift}" if pub else "")).strip()
    s = _WEEKDAY.sub("", s)
    year = pub[2] if pub else None
    got = _rules(s, year)
    if got is None:
        got = _calendar(s, pub, past)
    if got is None and re.search(r"[a-z0-9]", s):
        got = _via_dateparser(s, pub[3] if pub else _SENTINELS, known_year=pub is not None)
    if not got or not got[0]:
        return NormDate(None, None, role, False)
    return NormDate(got[0], got[1], role, False)


def parse_date(raw: str, published: str | None = None) -> NormDate:
    """A date phrase's TIMEX value, granularity and anchor role ("Per Maret 2023" -> "2023-03", as_of).

    Relative or year-less dates are anchored to `published` ("2023-03-08", "2023-03" or "2023") when given;
    without it a missing year is "XXXX" and a relative date stays unresolved. Unreadable text gives UNPARSED.
    """
    if not isinstance(raw, str):
        return UNPARSED
    if published is not None and not isinstance(published, str):
        published = None
    return _parse(raw, published)
