"""Figures: Indonesian (and English) number phrases to a Decimal value, unit, approx flag and qualifier.

Separator rule: one "." or "," between 1-3 digits (no leading 0) and exactly three digits groups thousands
("3.800" = 3800, "6,500 orang" = 6500, "800,000"), unless the word after the number makes it a decimal mark: an
Indonesian scale word or "persen" makes "," decimal ("1,500 juta" = 1.5 x 10^6), an English scale word or "percent"
makes "." decimal ("1.500 million" = 1.5 x 10^6). Any other single mark is decimal ("3,8", "3.8"); two marks, or one
used twice, go through Babel's strict "id" then "en" parsing ("1.234,5", "1,234.5", "3.800.000", "1,234,567").
Compact "M" is miliar after Rp or a decimal comma ("Rp 1,2 M", "1,2 M"), else million ("3.8M"); "T" = 10^12.

Scale words, number words (number_words.py) and qualifiers (qualifiers.py) are hand-written: no dependency of this
project reads "3,8 juta" or "800 ribuan". Nothing here raises on text: an unreadable figure is value None, decided by
the logic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from babel.numbers import NumberFormatError, format_decimal, parse_decimal

from harness.normalize.number_words import find_number_words
from harness.normalize.qualifiers import modifier_before, modifiers_anywhere, qualifier_after
from harness.normalize.word_patterns import any_case, one_of, table_key

__all__ = ["NormFigure", "find_figures", "format_id", "parse_figure", "same_digits"]

_MAX_TOKEN = 300  # longer digit runs are noise, not figures (and would need ever more precision)
_PREC = 2 * _MAX_TOKEN  # working precision: twice the longest digit run read, so nothing is ever rounded


@dataclass(frozen=True)
class NormFigure:
    """A figure's meaning: value (None when unparsed), unit, approximate flag and at_least/at_most qualifier."""

    value: Decimal | None
    unit: str | None  # "count" | "persons" | "percent" | "idr"
    approx: bool = False
    qualifier: str | None = None  # "at_least" | "at_most" | None


UNPARSED = NormFigure(value=None, unit=None, approx=False, qualifier=None)

# Scale words -> (power of ten, language). The language picks the decimal mark of a single separator (see above).
_SCALES = {
    "ribu": (3, "id"),
    "rb": (3, "id"),
    "thousand": (3, "en"),
    "juta": (6, "id"),
    "jt": (6, "id"),
    "million": (6, "en"),
    "mn": (6, "en"),
    "mln": (6, "en"),
    "miliar": (9, "id"),
    "milyar": (9, "id"),
    "billion": (9, "en"),
    "bn": (9, "en"),
    "triliun": (12, "id"),
    "trilyun": (12, "id"),
    "trillion": (12, "en"),
}
# "ribuan"/"jutaan"/... after a number mean "that scale, roughly" (Indonesian).
_APPROX_SCALES = {"puluhan": 1, "ratusan": 2, "ribuan": 3, "jutaan": 6, "miliaran": 9, "milyaran": 9, "triliunan": 12}
_DECIMAL_MARK: dict[str | None, str] = {"id": ",", "en": "."}  # no language (None): no mark decides


_NUM = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_SCALE_AFTER = re.compile(rf"\s*(?:(?P<scale>{one_of(_SCALES)})|(?P<ascale>{one_of(_APPROX_SCALES)}))\b")
# Case matters: "800k", "2B" glued; "M", "T" glued or after one space ("Rp 2,5 T"); never "m" (metres), "t" (tonnes).
_COMPACT_AFTER = re.compile(r"(?:(?P<k>[kK])|(?P<b>B)|[ \u00a0]?(?P<m>M)|[ \u00a0]?(?P<t>T))\b")
_NEXT_PART = re.compile(r"[^\S\n]+([0-9]+(?:[.,][0-9]+)*)")  # "3 juta| 800 ribu"
_UNIT_AFTER = re.compile(
    rf"\s*(?P<pct>%|(?P<persen>{any_case('persen')})\b|(?P<percent>{one_of(['per cent', 'percent', 'pct'])})\b)"
    rf"|\s*(?P<idr>{one_of(['rupiah', 'idr'])})\b"
    rf"|\s+(?P<persons>{one_of(['orang', 'jiwa', 'people', 'persons', 'person'])})\b"
)
_CURRENCY_BEFORE = re.compile(rf"(?:(?<![^\W\d_])(?:{one_of(['rp', 'idr'])})\.?\s*)$")

# Dates inside running text are not figures (find_figures only).
_MONTHS = (
    "januari februari pebruari maret april mei juni juli agustus september oktober november nopember desember "
    "january february march may june july august october december "
    "jan feb mar apr jun jul agu agt ags aug sep sept okt oct nov des dec"
).split()
_MONTH = one_of(_MONTHS)
_DATE_SPANS = re.compile(
    rf"\b\d{{1,2}}\s+(?:{_MONTH})\b\.?(?:\s+\d{{4}}\b)?"  # 5 Oktober 2020, 10 Februari
    rf"|\b(?:{_MONTH})\b\.?\s+\d{{4}}\b"  # Desember 2020
    r"|\b\d{4}-\d{1,2}(?:-\d{1,2})?\b"  # 2023-12-04
    r"|\b\d{1,2}\.\d{1,2}\.\d{4}\b"  # 4.12.2023
    r"|\b\d{1,2}-\d{1,2}-\d{4}\b"  # 4-12-2023
    r"|\b\d{1,2}[.:]\d{2}\s*(?:WIB|WITA|WIT)\b|\b(?:pukul|jam)\s+\d{1,2}[.:]\d{2}\b",  # clock times
    re.IGNORECASE,
)


def _prep(text: str) -> str:
    """NFKC (full-width digits, no-break spaces) and a plain minus, keeping string length stable enough to slice."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("\u2212", "-").replace("\u2013", "-")


_GROUPABLE = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}")  # fullmatch: one separator that may group thousands
_ID_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]{3})*,[0-9]+")  # fullmatch (and not _GROUPABLE): a decimal comma


def _parse_digits(tok: str, decimal: str | None = None) -> Decimal | None:
    """A digit token's value, or None when it is no well-formed number ("1,2,3"). `decimal`: the mark the word
    after the number makes decimal ("," before juta, "." before million), None when no word decides."""
    marks = {c for c in tok if c in ".,"}
    if not marks:
        return Decimal(tok)
    mark = marks.pop()
    if not marks and tok.count(mark) == 1:  # one single separator: our rule, no locale can decide it
        if _GROUPABLE.fullmatch(tok) and mark != decimal:
            return Decimal(tok.replace(mark, ""))  # "6.500", "6,500 orang", "800,000"
        return Decimal(tok.replace(mark, "."))  # "3,8", "3.8", "1,500 juta"
    with localcontext() as ctx:
        ctx.prec = _PREC  # Babel's strict check re-formats the number: more than 28 digits must survive it
        for locale in ("id", "en"):
            try:
                return parse_decimal(tok, locale=locale, strict=True)
            except NumberFormatError:  # not this locale's writing; the next one, or None after both
                continue
    return None


def _clean(value: Decimal) -> Decimal:
    """Canonical form: integers without exponent or trailing ".0", fractions without trailing zeros."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
        return value.normalize()


def _scale_after(s: str, pos: int, tok: str | None, currency: bool) -> tuple[int, bool, str | None, int] | None:
    """The scale word at s[pos:] after a number: (power of ten, approx, language or None, end), or None.
    Compact letters ("800k", "3.8M", "Rp 2,5 T") only after digits (tok), never after number words."""
    m = _SCALE_AFTER.match(s, pos)
    if m and m.group("scale"):
        power, lang = _SCALES[table_key(m.group("scale"))]
        return power, False, lang, m.end()
    if m:
        return _APPROX_SCALES[table_key(m.group("ascale"))], True, "id", m.end()
    if tok is None:
        return None
    m = _COMPACT_AFTER.match(s, pos)
    if m is None:
        return None
    if m.group("m"):  # miliar in Indonesian money and decimal-comma writing, million otherwise
        miliar = currency or (_ID_DECIMAL.fullmatch(tok) and not _GROUPABLE.fullmatch(tok))
        return (9, False, "id", m.end()) if miliar else (6, False, "en", m.end())
    if m.group("t"):
        return 12, False, "id" if currency else None, m.end()
    return (3 if m.group("k") else 9), False, "en", m.end()


def _compound_tail(s: str, pos: int, power: int, currency: bool) -> tuple[int, Decimal]:
    """Smaller scaled parts after a scaled number: "3 juta| 800 ribu" adds 800 x 10^3. (end, amount added)."""
    added = Decimal(0)
    while (m := _NEXT_PART.match(s, pos)) and len(m.group(1)) <= _MAX_TOKEN:
        scale = _scale_after(s, m.end(), m.group(1), currency)
        if scale is None or scale[1] or scale[0] >= power:
            break
        part = _parse_digits(m.group(1), _DECIMAL_MARK.get(scale[2]))
        if part is None or part * Decimal(10) ** scale[0] >= Decimal(10) ** power:
            break  # "3 juta 5000 ribu" is no compound amount
        added += part * Decimal(10) ** scale[0]
        power, pos = scale[0], scale[3]
    return pos, added


def _mention(s: str, start: int, end: int, tok: str | None = None, number: Decimal | None = None,
             scaled: bool = False) -> tuple[int, int, NormFigure, bool] | None:  # fmt: skip
    """Extend the number at s[start:end] (a digit token `tok`, or a number word's `number`) to the whole figure
    phrase: (start, end, figure, weak), or None when it is no figure. weak: a bare small number word ("satu")."""
    left, negative = start, False
    before = s[max(0, start - 40) : start]
    cur = _CURRENCY_BEFORE.search(before)
    if tok is not None:
        prev = s[start - 1] if start else ""
        if prev == "/" or s[end : end + 1] == "/":
            return None  # "4/12/2023", "28/3", "1/2": dates and fractions, not figures
        if prev.isalpha() and not cur:
            return None  # "B20", glued to a word
        if prev == "-" and start >= 2 and s[start - 2].isalpha():
            return None  # "covid-19"
        if prev == "-" and (start < 2 or s[start - 2].isspace() or s[start - 2] in "(["):
            negative, left = True, start - 1
    pos, power, approx, lang, added = end, 0, False, None, Decimal(0)
    with localcontext() as ctx:
        ctx.prec = _PREC
        scale = _scale_after(s, pos, tok, cur is not None)
        if scale:
            power, approx, lang, pos = scale
            if not approx and tok is not None:
                pos, added = _compound_tail(s, pos, power, cur is not None)
        unit = "count"
        um = _UNIT_AFTER.match(s, pos)
        if um:
            unit = "percent" if um.group("pct") else "idr" if um.group("idr") else "persons"
            lang = lang or ("id" if um.group("persen") else "en" if um.group("percent") else None)
            pos = um.end()
        if tok is not None:
            if pos == end and pos < len(s) and s[pos].isalpha():
                return None  # "4G", "90an": digits glued to a word that is no scale or unit
            number = _parse_digits(tok, _DECIMAL_MARK.get(lang))
        if number is None:  # a malformed digit token (a number word always comes with its value)
            return None
        value = number * Decimal(10) ** power + added
        value = -value if negative else value  # inside the context: unary minus rounds to its precision
    if cur:
        unit, left = "idr", start - len(cur.group(0))
        before = s[max(0, left - 40) : left]
    qualifier, pos = qualifier_after(s, pos)
    if mod := modifier_before(before):
        at, mod_approx, mod_qualifier = mod
        left -= len(before) - at
        qualifier = qualifier or mod_qualifier
        approx = approx or mod_approx
    weak = tok is None and not scaled and scale is None and um is None
    return left, pos, NormFigure(_clean(value), unit, approx, qualifier), weak


def _scan(s: str, in_text: bool) -> list[tuple[int, int, NormFigure, bool]]:
    """Every figure phrase in s, in order, non-overlapping. in_text: skip dates, bare years and weak hits."""
    blocked: list[tuple[int, int]] = []
    if in_text:
        blocked = [m.span() for m in _DATE_SPANS.finditer(s)]
    found: list[tuple[int, int, NormFigure, bool]] = []
    for m in _NUM.finditer(s):
        tok = m.group()
        if len(tok) > _MAX_TOKEN or any(a < m.end() and m.start() < b for a, b in blocked):
            continue
        hit = _mention(s, m.start(), m.end(), tok=tok)
        if hit is None:
            continue
        if (
            in_text
            and hit[2].unit == "count"
            and tok.isdigit()
            and len(tok) == 4
            and 1900 <= int(tok) <= 2100
            and hit[1] == m.end()
        ):
            continue  # a bare year ("pada 2024", "2022 ini", "Maret 2020") is a date, not a figure
        found.append(hit)
    for start, end, value, scaled in find_number_words(s):
        hit = _mention(s, start, end, number=value, scaled=scaled)
        if hit is not None and not (in_text and hit[3]):  # "satu kuartal": a duration, not a figure
            found.append(hit)
    found.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[tuple[int, int, NormFigure, bool]] = []
    for hit in found:
        if out and hit[0] < out[-1][1]:
            continue
        out.append(hit)
    return out


def parse_figure(raw: str) -> NormFigure:
    """The figure a phrase states ("3,8 juta" -> 3800000 count; "60 persen lebih" -> 60 percent at_least).

    The first figure in the phrase, preferring digits or a scaled number word over a bare one ("one of 27 million"
    is 27000000). Separators follow the rule in the module docstring. Unreadable text gives UNPARSED.
    """
    if not isinstance(raw, str):
        return UNPARSED
    s = _prep(raw)
    hits = _scan(s, in_text=False)
    if not hits:
        return UNPARSED
    fig = next((h[2] for h in hits if not h[3]), hits[0][2])
    approx, qualifier = modifiers_anywhere(s)
    return NormFigure(fig.value, fig.unit, fig.approx or approx, fig.qualifier or qualifier)


def find_figures(text: str) -> list[tuple[int, int, NormFigure]]:
    """Every figure mention in a text with its (start, end) span, greedy ("Rp 1,2 triliun", "60 persen lebih").

    Dates are skipped: "4/12/2023", "(28/3)", "5 Oktober 2020", "Maret 2020", and bare years 1900-2100; so are bare
    small number words ("satu kuartal"). Spans index the text as given (no Unicode normalisation, offsets exact).
    """
    if not isinstance(text, str):
        return []
    s = text.replace("\u2212", "-").replace("\u2013", "-")
    return [(a, b, fig) for a, b, fig, _weak in _scan(s, in_text=True)]


def format_id(value: Decimal) -> str:
    """The number written the Indonesian way, every digit kept: 3800000 -> "3.800.000", 1234.5 -> "1.234,5".

    parse_figure reads it back exactly (for numbers written in up to 300 characters), except 1-3 digits with exactly
    three decimals ("1,234"), which the separator rule reads as grouped thousands.
    """
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    if not value.is_finite():
        return str(value)
    digits, exponent = len(value.as_tuple().digits), value.as_tuple().exponent
    with localcontext() as ctx:
        ctx.prec = max(_PREC, digits + abs(int(exponent)) + 2)
        return format_decimal(value, locale="id", decimal_quantization=False)


def same_digits(a: Decimal, b: Decimal) -> bool:
    """True when a and b differ only by a power of ten (3800000 vs 38000000, 3.8 vs 38): a scale or comma slip.

    Equal values count as the same digits; zero matches only zero; a non-number matches nothing.
    """
    try:
        a, b = Decimal(a), Decimal(b)
    except (InvalidOperation, TypeError, ValueError):  # "abc", None, a malformed tuple: not a number
        return False
    if not (a.is_finite() and b.is_finite()):
        return False
    if a == 0 or b == 0:
        return a == b
    with localcontext() as ctx:
        ctx.prec = max(_PREC, len(a.as_tuple().digits), len(b.as_tuple().digits))
        ta, tb = a.normalize().as_tuple(), b.normalize().as_tuple()
    return ta.sign == tb.sign and ta.digits == tb.digits
