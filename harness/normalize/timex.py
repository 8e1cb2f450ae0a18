"""TIMEX values compared for scoring: a predicted date is exact, coarser, finer than the gold one, or different."""

from __future__ import annotations

import re

__all__ = ["timex_relation"]

_TIMEX = re.compile(r"^([0-9]{4}|XXXX)(?:-(?:([0-9]{2})(?:-([0-9]{2}))?|Q([1-4])|H([12])))?$")


def _interval(value: str | None) -> tuple[int | None, int, int] | None:
    """A TIMEX value as (year or None, first and last month*100+day it covers)."""
    if not isinstance(value, str):
        return None
    m = _TIMEX.match(value.strip().upper())
    if not m:
        return None
    year = None if m.group(1) == "XXXX" else int(m.group(1))
    mo, d, q, h = (int(g) if g else None for g in m.group(2, 3, 4, 5))
    if (mo is not None and not 1 <= mo <= 12) or (d is not None and not 1 <= d <= 31):
        return None
    if mo is not None and d:  # the pattern has a day only after a month
        return year, mo * 100 + d, mo * 100 + d
    if mo:
        return year, mo * 100 + 1, mo * 100 + 31
    if q:
        return year, (3 * q - 2) * 100 + 1, 3 * q * 100 + 31
    if h:
        return year, (6 * h - 5) * 100 + 1, 6 * h * 100 + 31
    return year, 101, 1231


def _contains(a: tuple[int | None, int, int], b: tuple[int | None, int, int]) -> bool:
    return (a[0] is None or a[0] == b[0]) and a[1] <= b[1] and b[2] <= a[2]


def timex_relation(gold: str, pred: str) -> str:
    """How a predicted TIMEX value relates to the gold one: "exact" | "coarser" | "finer" | "different".

    "coarser": pred covers gold ("2023" for "2023-12-04"); "finer": pred lies inside gold. An unknown year
    ("XXXX-02-10") is consistent with any year. Unreadable values are "different".
    """
    g, p = _interval(gold), _interval(pred)
    if g is None or p is None:
        return "different"
    if g == p:
        return "exact"
    g_has_p, p_has_g = _contains(g, p), _contains(p, g)
    if p_has_g and not g_has_p:
        return "coarser"
    if g_has_p and not p_has_g:
        return "finer"
    return "different"
