"""Dates in running text: every date phrase of an article, with its span and the value parse_date gives it.

The scorer calls a predicted date hallucinated when its value is none of the article's, so this must find what
the article states (datelines and scraped noise included). Regular expressions find candidate phrases;
parse_date, the one date normaliser, reads each of them, so the cost is a handful of calls per article.
"""

from __future__ import annotations

import re
import string

from harness.normalize.dates import _MONTHS, NormDate, parse_date

__all__ = ["find_dates"]

_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)  # keeps every offset, unlike str.lower()
_START = r"(?<![0-9a-z])"  # not inside a word or a longer number
_STOP = r"(?![0-9a-z])"
_NO_NUM_AFTER = r"(?![0-9a-z]|[.,/-][0-9])"  # "4/12/2023" ends here, not in "4/12/2023/5" or "2023,5"
_FULL = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ABBR = "sept|sep|jan|feb|mar|apr|jun|jul|agu|agt|ags|aug|okt|oct|nov|des|dec"
_YEAR_TAIL = r"(?:\s*[-/,]?\s*(?:tahun\s+)?[0-9]{4}" + _STOP + ")?"

# Day/month phrases. d: day, y: year, rel: "lalu" or "tahun ini/lalu/depan" after a year-less date.
_CALENDAR = re.compile(
    rf"{_START}(?:(?P<d>[0-9]{{1,2}})\s+)?(?P<m>(?P<full>{_FULL})|(?:{_ABBR})\.?){_STOP}"
    rf"(?:(?:\s*,)?\s+(?:tahun\s+)?(?P<y>[0-9]{{4}}){_STOP}|(?P<rel>\s+(?:tahun\s+(?:ini|lalu|depan)|lalu){_STOP}))?"
)
_ENGLISH = re.compile(rf"{_START}(?:{_FULL})\s+[0-9]{{1,2}}(?:st|nd|rd|th)?,\s*[0-9]{{4}}{_STOP}")  # May 4, 2023
# "4/12/2023", "8/3/23", "5-10-2020", "5.10.2020", "12/2023" and year-less "28/3" (kept only in a dateline form).
_NUMERIC = re.compile(
    rf"{_START}(?<![0-9][.,/])[0-9]{{1,2}}(?:/[0-9]{{1,2}}/(?:[0-9]{{4}}|[0-9]{{2}})|([.-])[0-9]{{1,2}}\1[0-9]{{4}}"
    rf"|/[0-9]{{4}}|(?P<dm>/[0-9]{{1,2}})){_NO_NUM_AFTER}"
)
_ISO = re.compile(rf"{_START}(?<![0-9][.,/])[0-9]{{4}}-[0-9]{{1,2}}(?:-[0-9]{{1,2}})?{_NO_NUM_AFTER}")
_PERIOD = re.compile(
    rf"{_START}(?:(?:kuartal|kwartal|triwulan|quarter|tw)\s*-?\s*(?:iv|iii|ii|i|[1-4]|pertama|kedua|ketiga|keempat)"
    rf"|(?:semester|paruh)\s*-?\s*(?:ii|i|[12]|pertama|kedua)|q[1-4]|h[12](?=\s*[-/,]?\s*[0-9]{{4}})"  # "H2" alone: not
    rf"|(?:first|second|third|fourth)\s+quarter|(?:first|second)\s+half){_STOP}{_YEAR_TAIL}"
)
_RELATIVE_YEAR = re.compile(rf"(?<![\w-])tahun\s+(?:ini|lalu|depan){_STOP}")  # not "tahun-tahun berikutnya"
_BARE_YEAR = re.compile(  # not the decade "2020-an"
    rf"{_START}(?<![0-9][.,/])(?:19[0-9]{{2}}|20[0-9]{{2}}|2100)(?![0-9a-z]|[.,/][0-9]|-an{_STOP})"
)
# Rule: a bare 1900-2100 is a year unless money comes before it or a scale, percent or counted noun after it.
_MONEY_BEFORE = re.compile(r"(?:\brp\.?|\bidr|\busd|\bus\$|\$|€|£|¥)\s*$")
_QUANTITY_AFTER = re.compile(
    r"\s*(?:%|(?:persen|ribu|ribuan|rb|juta|jt|miliar|milyar|triliun|orang|jiwa|unit|umkm|ukm|pelaku|peserta|usaha|"
    r"perusahaan|toko|produk|buah|kali|modul|desa|sekolah|siswa|pekerja|karyawan|warga|keluarga|rumah|kasus|km|kg|"
    r"ton|ha|hektare|hektar|meter|rupiah|dolar)(?![a-z]))"
)
_ANCHORS = (
    r"per|pada|sejak|hingga|sampai(?:\s+dengan)?|s\.\s?d\.?|s/d|mulai|dimulai|tanggal|tgl\.?|di|awal|akhir|"
    r"pertengahan|medio|sepanjang|selama|bulan|tahun"
)
_PREFIX = re.compile(rf"(?<![\w-])(?:(?:{_ANCHORS})\s+){{1,3}}$")  # "pada", "sejak akhir", kept for the role
_WEEKDAY = re.compile(r"(?<![\w-])(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad)\s*,?\s*(?P<paren>\()?$")
_DATE_WORD = re.compile(r"(?<![\w-])(?:tanggal|tgl\.?)\s*$")
_LOOK_BACK = 48  # characters searched for a weekday and anchor words in front of a date


def _extend_left(text: str, start: int, end: int) -> tuple[int, int, bool, bool]:
    """Widen a date over the weekday and anchor words before it: (start, end, has weekday, has anchor)."""
    weekday = anchored = False
    if m := _WEEKDAY.search(text, max(0, start - _LOOK_BACK), start):
        if not m.group("paren"):
            start, weekday = m.start(), True
        elif text.startswith(")", end):  # "Senin (4/12/2023)": the closing bracket comes along
            start, end, weekday = m.start(), end + 1, True
    if m := _PREFIX.search(text, max(0, start - _LOOK_BACK), start):
        start, anchored = m.start(), True
    return start, end, weekday, anchored


def _candidates(low: str) -> list[tuple[int, int]]:
    """Spans of the ASCII-lowercased text that may be dates, each with shorter fallbacks after it (tried when the
    longer one does not parse)."""
    spans: list[tuple[int, int]] = []

    def add(m: re.Match, wide: tuple[int, int, bool, bool] | None = None, *inner: int) -> None:
        """The date widened to its weekday and anchors, then the bare date, then each inner start."""
        start, end = m.span()
        wide = wide or _extend_left(low, start, end)
        spans.extend([(wide[0], wide[1]), (start, end), *((i, end) for i in inner)])

    for m in _CALENDAR.finditer(low):
        wide = _extend_left(low, *m.span())
        if not (m.group("d") or m.group("y")) and (not m.group("full") or not (wide[3] or m.group("rel"))):
            continue  # a month name alone ("Juni") is a date only after an anchor or before "tahun ini"
        add(m, wide, m.start("m"))
    for m in _NUMERIC.finditer(low):
        wide = _extend_left(low, *m.span())
        in_brackets = low[m.start() - 1 : m.start()] == "(" and low.startswith(")", m.end())
        if m.group("dm") and not (wide[2] or in_brackets or _DATE_WORD.search(low, max(0, m.start() - 9), m.start())):
            continue  # "28/3" alone may be a fraction or a score; "Senin (28/3)" is a date
        add(m, wide)
    for rx in (_ENGLISH, _ISO, _PERIOD, _RELATIVE_YEAR):
        for m in rx.finditer(low):
            add(m)
    for m in _BARE_YEAR.finditer(low):
        if _MONEY_BEFORE.search(low, max(0, m.start() - 8), m.start()) or _QUANTITY_AFTER.match(low, m.end()):
            continue  # "Rp 2023", "2023 orang": a figure
        add(m)
    return spans


def find_dates(text: str, published: str | None = None) -> list[tuple[int, int, NormDate]]:
    """Every date phrase in `text` as (start, end, parse_date value), in order and not overlapping.

    A phrase keeps its weekday and anchor words ("Per Maret 2023" -> "2023-03", as_of); year-less and relative
    phrases take their year from `published` and are left out when it cannot resolve them ("tahun lalu" without
    it). Deictic "now" ("saat ini") is not a calendar date and is not reported.
    """
    if not isinstance(text, str):
        return []
    found: list[tuple[int, int, NormDate]] = []
    end_of_last = 0
    for start, end in sorted(set(_candidates(text.translate(_LOWER))), key=lambda se: (se[0], -se[1])):
        if start < end_of_last:
            continue
        got = parse_date(text[start:end], published)
        if got.value is None or got.deictic_now:
            continue
        found.append((start, end, got))
        end_of_last = end
    return found
