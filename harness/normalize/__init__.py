"""Shared normalisers: figures, dates and names, read the same way from gold and from predictions.

Pure functions, no I/O; none of them raises on arbitrary text (unreadable input gives an "unparsed" result).
"""

from harness.normalize.date_finder import find_dates
from harness.normalize.dates import NormDate, parse_date
from harness.normalize.names import normalize_name, resolve_speaker, split_aliases, strip_titles
from harness.normalize.numbers import NormFigure, find_figures, format_id, parse_figure, same_digits
from harness.normalize.outlets import is_outlet
from harness.normalize.timex import timex_relation

__all__ = [
    "NormDate",
    "NormFigure",
    "find_dates",
    "find_figures",
    "format_id",
    "is_outlet",
    "normalize_name",
    "parse_date",
    "parse_figure",
    "resolve_speaker",
    "same_digits",
    "split_aliases",
    "strip_titles",
    "timex_relation",
]
