"""Figures: Indonesian (and English) number phrases to a Decimal value, unit, approx flag and qualifier.

Digits go through Babel's strict locale parsing ("id" first, then "en"). Scale words, number words and
qualifiers are hand-written: no maintained Python library parses "3,8 juta" or "800 ribuan" (number-parser
refuses language "id"; quantulum3 and CQE are English-only). Pure functions; nothing here raises on text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from babel.numbers import NumberFormatError, format_decimal, parse_decimal

__all__ = ["NormFigure", "parse_figure", "format_id", "same_digits", "find_figures"]

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

# Scale words -> power of ten. "ribuan"/"jutaan"/... after a number mean "that scale, roughly".
_SCALES = {
    "ribu": 3, "rb": 3, "thousand": 3,
    "juta": 6, "jt": 6, "million": 6,
    "miliar": 9, "milyar": 9, "billion": 9,
    "triliun": 12, "trilyun": 12, "trillion": 12,
}
_APPROX_SCALES = {
    "puluhan": 1, "ratusan": 2, "ribuan": 3, "jutaan": 6,
    "miliaran": 9, "milyaran": 9, "triliunan": 12,
}
# A few number words (hand-written: Babel formats numbers but has no spelled-out parser for Indonesian).
_WORDS = {
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "seratus": 100, "seribu": 1000,
    "sejuta": 1_000_000, "semiliar": 1_000_000_000, "setengah": Decimal("0.5"),
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}
_SELF_SCALED = {"seratus", "seribu", "sejuta", "semiliar"}  # counted in running text even without a scale word
_DIGIT_WORDS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")


def _alt(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_NUM = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_WORD_NUM = re.compile(
    rf"\b(?P<int>{_alt(_WORDS)})(?:\s+(?P<mul>puluh|ratus))?"
    rf"(?:\s+koma\s+(?P<frac>(?:{_alt(_DIGIT_WORDS)})(?:\s+(?:{_alt(_DIGIT_WORDS)}))*))?\b",
    re.IGNORECASE,
)
_SCALE_AFTER = re.compile(
    rf"\s*(?:(?P<scale>{_alt(_SCALES)})|(?P<ascale>{_alt(_APPROX_SCALES)}))\b", re.IGNORECASE
)
_UNIT_AFTER = re.compile(
    r"\s*(?P<pct>%|persen\b|per\s?cent\b|percent\b|pct\b)"
    r"|\s*(?P<idr>rupiah\b|idr\b)"
    r"|\s+(?P<persons>orang|jiwa|people|persons|person)\b",
    re.IGNORECASE,
)
# Comparatives: "60 persen lebih tinggi" is "60% higher", not "more than 60%".
_COMPARATIVES = (
    "tinggi rendah besar kecil banyak sedikit cepat lambat lama murah mahal baik buruk luas kuat lemah mudah "
    "sulit jauh lanjut maju efektif efisien penting produktif tepat berat awal dulu dahulu"
).split()
_AT_LEAST_AFTER = re.compile(
    rf"\s+lebih\b(?!\s+(?:dari|kurang|{_alt(_COMPARATIVES)})\b)|\s+ke\s+atas\b|\s+or\s+(?:more|above)\b"
    r"|\s+and\s+above\b|\+",
    re.IGNORECASE,
)
_AT_MOST_AFTER = re.compile(r"\s+ke\s+bawah\b|\s+or\s+(?:less|fewer|below)\b|\s+and\s+below\b", re.IGNORECASE)
_CURRENCY_BEFORE = re.compile(r"(?:(?<![^\W\d_])(?:rp|idr)\.?\s*)$", re.IGNORECASE)

_APPROX_WORDS = ("sekitar", "sekira", "kurang lebih", "lebih kurang", "kira-kira", "kira kira", "about", "around",
                 "approximately", "approx.", "approx", "roughly", "circa", "some")
_AT_LEAST_WORDS = ("lebih dari", "minimal", "setidaknya", "sedikitnya", "paling sedikit", "di atas",
                   "tidak kurang dari", "tak kurang dari", "more than", "at least", "over", "above",
                   "no less than", "not less than")
_AT_MOST_WORDS = ("hampir", "nyaris", "maksimal", "paling banyak", "kurang dari", "di bawah", "tidak lebih dari",
                  "tak lebih dari", "almost", "nearly", "up to", "at most", "less than", "fewer than", "under",
                  "below", "no more than", "not more than")
_APPROX_TOO = {"hampir", "nyaris", "almost", "nearly"}  # "almost X" is at most X *and* approximate
_QUAL_WORDS = {**{w: "at_least" for w in _AT_LEAST_WORDS}, **{w: "at_most" for w in _AT_MOST_WORDS}}
_MODIFIER = rf"(?:(?<![^\W_])(?:{_alt(_APPROX_WORDS + tuple(_QUAL_WORDS))})(?![^\W_])|[~±≈])"
_MODIFIER_BEFORE = re.compile(rf"(?P<mod>{_MODIFIER})\s*$", re.IGNORECASE)
_MODIFIER_ANY = re.compile(_MODIFIER, re.IGNORECASE)
_LEBIH_ANY = re.compile(rf"\blebih\b(?!\s+(?:{_alt(_COMPARATIVES)})\b)", re.IGNORECASE)

# Dates inside running text are not figures (find_figures only).
_MONTHS = (
    "januari februari pebruari maret april mei juni juli agustus september oktober november nopember desember "
    "january february march may june july august october december "
    "jan feb mar apr jun jul agu agt ags aug sep sept okt oct nov des dec"
).split()
_MONTH = _alt(_MONTHS)
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


_GROUPED_ID = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+")  # fullmatch on a _NUM token: "6.500", "3.800.000"


def _parse_digits(tok: str) -> Decimal | None:
    """Strict Indonesian reading first ("3,8", "6.500", "3.800" = 3800), then strict English ("3.8", "3,800,000")."""
    if "." not in tok and tok.count(",") < 2:
        return Decimal(tok.replace(",", "."))  # what Babel returns for "id": no group mark, so no strict check
    if _GROUPED_ID.fullmatch(tok):
        return Decimal(tok.replace(".", ""))  # "6.500": Babel's strict "id" check passes, same value
    with localcontext() as ctx:
        ctx.prec = _PREC  # Babel's strict check re-formats the number: more than 28 digits must survive it
        for locale in ("id", "en"):
            try:
                return parse_decimal(tok, locale=locale, strict=True)
            except (NumberFormatError, ValueError, InvalidOperation, ArithmeticError):
                continue
    return None


def _clean(value: Decimal) -> Decimal:
    """Canonical form: integers without exponent or trailing ".0", fractions without trailing zeros."""
    with localcontext() as ctx:
        ctx.prec = _PREC
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
        return value.normalize()


def _word_value(m: re.Match) -> Decimal:
    value = Decimal(_WORDS[m.group("int").lower()])
    if m.group("mul"):
        value *= 10 if m.group("mul").lower() == "puluh" else 100
    if m.group("frac"):
        digits = "".join(str(_WORDS[w.lower()]) for w in m.group("frac").split())
        value += Decimal("0." + digits)
    return value


def _mention(s: str, start: int, end: int, number: Decimal, words: bool, in_text: bool):
    """Extend a bare number at s[start:end] to the full figure phrase; None when it is not a figure."""
    left = start
    negative = False
    before = s[max(0, start - 40):start]
    cur = _CURRENCY_BEFORE.search(before)
    if not words:
        prev = s[start - 1] if start else ""
        if prev == "/" or s[end:end + 1] == "/":
            return None  # "4/12/2023", "28/3", "1/2": dates and fractions, not figures
        if prev.isalpha() and not cur:
            return None  # "B20", glued to a word
        if prev == "-" and start >= 2 and s[start - 2].isalpha():
            return None  # "covid-19"
        if prev == "-" and (start < 2 or s[start - 2].isspace() or s[start - 2] in "(["):
            negative, left = True, start - 1
    pos = end
    power, approx, qualifier, unit = 0, False, None, "count"
    sm = _SCALE_AFTER.match(s, pos)
    if sm:
        if sm.group("scale"):
            power = _SCALES[sm.group("scale").lower()]
        else:
            power, approx = _APPROX_SCALES[sm.group("ascale").lower()], True
        pos = sm.end()
    elif in_text and words and _needs_scale(s, start, end):
        return None  # "satu kuartal": a bare number word in running text is not counted as a figure
    um = _UNIT_AFTER.match(s, pos)
    if um:
        unit = "percent" if um.group("pct") else "idr" if um.group("idr") else "persons"
        pos = um.end()
    if not words and pos < len(s) and s[pos].isalpha() and pos == end:
        return None  # "4G", "90an": digits glued to a word that is no scale or unit
    if cur:
        unit, left = "idr", start - len(cur.group(0))
        before = s[max(0, left - 40):left]
    tail = _AT_LEAST_AFTER.match(s, pos)
    if tail:
        qualifier, pos = "at_least", tail.end()
    elif tail := _AT_MOST_AFTER.match(s, pos):
        qualifier, pos = "at_most", tail.end()
    mod = _MODIFIER_BEFORE.search(before)
    if mod:
        word = " ".join(mod.group("mod").lower().split())
        left -= len(before) - mod.start()
        if word in _QUAL_WORDS:
            qualifier = qualifier or _QUAL_WORDS[word]
            approx = approx or word in _APPROX_TOO
        else:
            approx = True
    with localcontext() as ctx:
        ctx.prec = _PREC
        value = number * (Decimal(10) ** power)
        if negative:
            value = -value
    return left, pos, NormFigure(_clean(value), unit, approx, qualifier)


def _needs_scale(s: str, start: int, end: int) -> bool:
    """True when the number word at s[start:end] needs a scale word to count as a figure in running text."""
    first = s[start:end].split()[0].lower()
    return first not in _SELF_SCALED


def _scan(s: str, in_text: bool) -> list[tuple[int, int, NormFigure]]:
    """Every figure phrase in s, in order, non-overlapping. in_text: skip dates and bare number words."""
    blocked: list[tuple[int, int]] = []
    if in_text:
        blocked = [m.span() for m in _DATE_SPANS.finditer(s)]
    found: list[tuple[int, int, NormFigure]] = []
    for m in _NUM.finditer(s):
        tok = m.group()
        if len(tok) > _MAX_TOKEN or any(a < m.end() and m.start() < b for a, b in blocked):
            continue
        number = _parse_digits(tok)
        if number is None:
            continue
        hit = _mention(s, m.start(), m.end(), number, words=False, in_text=in_text)
        if hit is None:
            continue
        if in_text and hit[2].unit == "count" and hit[2].value is not None and "." not in tok and "," not in tok \
                and len(tok) == 4 and 1900 <= int(tok) <= 2100 and hit[1] == m.end():
            continue  # a bare year ("pada 2024", "2022 ini", "Maret 2020") is a date, not a figure
        found.append(hit)
    for m in _WORD_NUM.finditer(s):
        hit = _mention(s, m.start(), m.end(), _word_value(m), words=True, in_text=in_text)
        if hit is not None:
            found.append(hit)
    found.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[tuple[int, int, NormFigure]] = []
    for hit in found:
        if out and hit[0] < out[-1][1]:
            continue
        out.append(hit)
    return out


def _modifiers_anywhere(s: str) -> tuple[bool, str | None]:
    """Approx flag and qualifier from modifier words anywhere in a short figure phrase."""
    approx, qualifier = False, None
    for m in _MODIFIER_ANY.finditer(s):
        word = " ".join(m.group(0).lower().split())
        if word in _QUAL_WORDS:
            qualifier = qualifier or _QUAL_WORDS[word]
            approx = approx or word in _APPROX_TOO
        else:
            approx = True
    if qualifier is None:
        rest = _MODIFIER_ANY.sub(" ", s)  # "kurang lebih" and "lebih dari" are already read
        if _LEBIH_ANY.search(rest):
            qualifier = "at_least"
    return approx, qualifier


def parse_figure(raw: str) -> NormFigure:
    """The figure a phrase states ("3,8 juta" -> 3800000 count; "60 persen lebih" -> 60 percent at_least).

    Ambiguity: "3.800" and "3,800" are read the Indonesian way (3800 and 3.8); English only when the
    Indonesian reading is impossible ("3.8", "3,800,000"). Unparseable text gives UNPARSED.
    """
    if not isinstance(raw, str):
        return UNPARSED
    try:
        s = _prep(raw)
        hits = _scan(s, in_text=False)
        if not hits:
            return UNPARSED
        fig = hits[0][2]
        approx, qualifier = _modifiers_anywhere(s)
        return NormFigure(fig.value, fig.unit, fig.approx or approx, fig.qualifier or qualifier)
    except Exception:  # noqa: BLE001 - a figure we cannot read is "unparsed", never a crash
        return UNPARSED


def find_figures(text: str) -> list[tuple[int, int, NormFigure]]:
    """Every figure mention in a text with its (start, end) span, greedy ("Rp 1,2 triliun", "60 persen lebih").

    Dates are skipped: "4/12/2023", "(28/3)", "5 Oktober 2020", "Maret 2020", and bare years 1900-2100.
    Spans index the text as given (no Unicode normalisation here, so offsets stay exact).
    """
    if not isinstance(text, str):
        return []
    try:
        return _scan(text.replace("\u2212", "-").replace("\u2013", "-"), in_text=True)
    except Exception:  # noqa: BLE001
        return []


def format_id(value: Decimal) -> str:
    """The number written the Indonesian way, every digit kept: 3800000 -> "3.800.000", 1234.5 -> "1.234,5".

    parse_figure reads it back exactly (for numbers written in up to 300 characters).
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

    Equal values count as the same digits; zero matches only zero.
    """
    try:
        a, b = Decimal(a), Decimal(b)
        if not (a.is_finite() and b.is_finite()):
            return False
        if a == 0 or b == 0:
            return a == b
        with localcontext() as ctx:
            ctx.prec = max(_PREC, len(a.as_tuple().digits), len(b.as_tuple().digits))
            ta, tb = a.normalize().as_tuple(), b.normalize().as_tuple()
        return ta.sign == tb.sign and ta.digits == tb.digits
    except (InvalidOperation, ValueError, TypeError):
        return False
