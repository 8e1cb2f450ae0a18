"""Shared normalisers: figures, dates and names, read the same way from gold and from predictions.

Pure functions, no I/O; none of them raises on arbitrary text (unreadable input gives an "unparsed" result).
"""

from harness.normalize.date_finder import find_dates
from harness.normalize.dates import NormDate, parse_date, timex_relation
from harness.normalize.names import is_outlet, normalize_name, resolve_speaker, split_aliases, strip_titles
from harness.normalize.numbers import NormFigure, find_figures, format_id, parse_figure, same_digits

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
