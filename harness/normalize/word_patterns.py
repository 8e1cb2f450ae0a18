"""Word tables as regexes: words in any ASCII case, longest-first alternations, and a match's key in its table."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["any_case", "one_of", "table_key"]


def any_case(w: str) -> str:
    """A word or phrase in any ASCII case, and only ASCII letters, so a match's lower() is always a table key
    (a plain IGNORECASE also matches "ı" for "i" and "ſ" for "s", which no table holds)."""
    return r"\s+".join(f"(?ai:{re.escape(part)})" for part in w.split())


def one_of(words: Iterable[str]) -> str:
    """Any of the words, longest first (a longer phrase wins over its prefix), each written by `any_case`."""
    return "|".join(any_case(w) for w in sorted(words, key=len, reverse=True))


def table_key(text: str) -> str:
    """A matched word or phrase as its table key: lower case, each run of whitespace one space."""
    return " ".join(text.lower().split())
