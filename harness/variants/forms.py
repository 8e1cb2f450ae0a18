"""Numbers and dates rewritten into equivalent forms ("3,8 juta" -> "3.800.000", "Maret 2023" -> "03/2023").

Each rule finds a surface form in the original text and proposes its equivalent; a proposal is kept only when the
harness's own normaliser reads old and new alike (figures: value, unit, approx, qualifier; dates: TIMEX value),
so the gold's values stay true. The choice is deterministic: no randomness, the same text gives the same rewrites.
The forms are hand-written rules, not a formatter library, because they must be the writings the normaliser reads
(Babel, through `format_id`, writes the digits of the "3.800.000" form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from harness.normalize import find_figures, format_id, parse_date, parse_figure

__all__ = ["Rewrite", "Skipped", "date_rewrites", "number_rewrites"]


@dataclass(frozen=True)
class Rewrite:
    """One replacement in the original text: text[start:end] == old becomes new."""

    kind: str  # "numbers" | "dates" | "names"
    rule: str
    start: int
    old: str
    new: str

    @property
    def end(self) -> int:
        return self.start + len(self.old)


@dataclass(frozen=True)
class Skipped:
    """A rewrite a rule proposed and the normaliser refused (it reads the new form otherwise): not made."""

    kind: str
    rule: str
    old: str
    new: str
    why: str


# ---- numbers --------------------------------------------------------------------------------------------------

_SCALED = re.compile(r"(?<![\w.,])(?P<n>[0-9]+(?:,[0-9]+)?) (?P<s>juta|ribu)(?!\w)", re.IGNORECASE)
_PERCENT = re.compile(r"(?<![\w.,])(?P<n>[0-9]+(?:,[0-9]+)?) persen(?!\w)", re.IGNORECASE)
_GROUPED = re.compile(r"(?<![\w.,/-])(?P<n>[1-9][0-9]{0,2}(?:\.[0-9]{3})+)(?![\w/]|[.,][0-9])")
_PLAIN = re.compile(r"(?<![\w.,/-])(?P<n>[1-9][0-9]{3,})(?![\w/]|[.,][0-9])")
_COMPACT = {"juta": "jt", "ribu": "rb"}
_CONTEXT = 16  # characters after a figure that can change its reading ("persen", "lebih", a scale word)


def _reading(s: str) -> tuple:
    f = parse_figure(s)
    return f.value, f.unit, f.approx, f.qualifier


def number_rewrites(text: str) -> tuple[list[Rewrite], list[Skipped]]:
    """Every figure written "N juta|ribu", "N persen", "6.500" or "1000" in the text, rewritten: scaled numbers
    alternate between full digits and the compact form by the order in which their values first occur ("3,8 juta"
    -> "3.800.000", the next value "25 juta" -> "25 jt"); "60 persen" -> "60%"; "6.500" -> "6500"; "1000" -> "1.000".
    Only numbers the normaliser reads as figures in the text are touched (not years, dates, "Covid-19")."""
    figures = find_figures(text)

    def is_figure(a: int, b: int) -> bool:
        return any(fa <= a and b <= fb for fa, fb, _ in figures)

    found: list[tuple[int, int, str, str]] = []  # start, end, rule, new
    order: list[Decimal] = []
    for m in _SCALED.finditer(text):
        value = parse_figure(m.group()).value
        if value is None or not is_figure(*m.span()):
            continue
        if value not in order:
            order.append(value)
        if order.index(value) % 2 == 0:
            found.append((m.start(), m.end(), "scaled→digits", format_id(value)))
        else:
            found.append((m.start(), m.end(), "scaled→compact", f"{m.group('n')} {_COMPACT[m.group('s').lower()]}"))
    found += [(m.start(), m.end(), "persen→%", f"{m.group('n')}%") for m in _PERCENT.finditer(text)
              if is_figure(*m.span())]  # fmt: skip
    found += [(m.start(), m.end(), "grouped→plain", m.group("n").replace(".", "")) for m in _GROUPED.finditer(text)
              if is_figure(*m.span())]  # fmt: skip
    found += [(m.start(), m.end(), "plain→grouped", format_id(Decimal(m.group("n")))) for m in _PLAIN.finditer(text)
              if is_figure(*m.span()) and not 1900 <= int(m.group("n")) <= 2100]  # fmt: skip
    out, skipped = [], []
    for start, end, rule, new in sorted(found):
        old, after = text[start:end], text[end : end + _CONTEXT]
        if _reading(old + after) != _reading(new + after):
            skipped.append(Skipped("numbers", rule, old, new, "the normaliser reads the new form otherwise"))
            continue
        out.append(Rewrite("numbers", rule, start, old, new))
    return out, skipped


# ---- dates ----------------------------------------------------------------------------------------------------

_MONTHS = ("Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember").split()
_MONTH_NO = {m.casefold(): i for i, m in enumerate(_MONTHS, start=1)}
_MON = "(?P<mon>" + "|".join(_MONTHS) + ")"
_WD = r"(?P<wd>Senin|Selasa|Rabu|Kamis|Jum'?at|Sabtu|Minggu)"
_D, _M = r"(?P<d>[0-9]{1,2})", r"(?P<m>[0-9]{1,2})"
_DATE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx, re.IGNORECASE))
    for name, rx in (
        ("weekday (d/m/y)→weekday, d month y", rf"(?<!\w){_WD} \({_D}/{_M}/(?P<y>[0-9]{{4}})\)"),
        ("weekday (d/m)→weekday, d month", rf"(?<!\w){_WD} \({_D}/{_M}\)"),
        ("d month y→d/m/y", rf"(?<![\w/.]){_D} {_MON} (?P<y>[0-9]{{4}})(?!\w)"),
        ("d/m/yy→d/m/yyyy", rf"(?<![\w/.]){_D}/{_M}/(?P<yy>[0-9]{{2}})(?![\w/])"),
        ("month y→mm/y", rf"(?<![\w/.]){_MON} (?P<y>[0-9]{{4}})(?!\w)"),
        ("d month→d/m", rf"(?<![\w/.]){_D} {_MON}(?!\w)(?! [0-9])"),
    )
)


def _date_form(rule: str, m: re.Match[str]) -> str | None:
    g = m.groupdict()
    month = _MONTH_NO[g["mon"].casefold()] if g.get("mon") else int(g["m"]) if g.get("m") else None
    if month is None or not 1 <= month <= 12:
        return None
    if rule.startswith("weekday (d/m/y)"):
        return f"{g['wd']}, {int(g['d'])} {_MONTHS[month - 1]} {g['y']}"
    if rule.startswith("weekday (d/m)"):
        return f"{g['wd']}, {int(g['d'])} {_MONTHS[month - 1]}"
    if rule.startswith("d month y"):
        return f"{g['d']}/{month}/{g['y']}"
    if rule.startswith("d/m/yy"):
        return f"{g['d']}/{g['m']}/{2000 + int(g['yy'])}" if int(g["yy"]) < 70 else None
    if rule.startswith("month y"):
        return f"{month:02d}/{g['y']}"
    return f"{g['d']}/{month}"


def date_rewrites(text: str, published: str | None) -> tuple[list[Rewrite], list[Skipped]]:
    """Every calendar date of the text in its other writing: "Senin (4/12/2023)" -> "Senin, 4 Desember 2023",
    "5 Oktober 2020" -> "5/10/2020", "Desember 2020" -> "12/2020", "8/3/23" -> "8/3/2023", "10 Februari" -> "10/2".
    The rules run in that order and a later one never touches what an earlier one took; relative dates ("Desember
    tahun ini"), bare years and ISO dates are left as written."""
    taken: list[tuple[int, int]] = []
    out, skipped = [], []
    for rule, rx in _DATE_RULES:
        for m in rx.finditer(text):
            a, b = m.span()
            if any(x < b and a < y for x, y in taken):
                continue
            new = _date_form(rule, m)
            if new is None:
                continue
            taken.append((a, b))
            if parse_date(m.group(), published).value != parse_date(new, published).value or new == m.group():
                skipped.append(Skipped("dates", rule, m.group(), new, "the normaliser reads the new form otherwise"))
                continue
            out.append(Rewrite("dates", rule, a, m.group(), new))
    return sorted(out, key=lambda r: r.start), skipped
