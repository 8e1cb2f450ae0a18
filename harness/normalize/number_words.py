"""Spelled-out numbers in Indonesian and English: "dua puluh lima" = 25, "tiga koma delapan juta" = 3800000,
"satu setengah juta" = 1500000, "tiga juta delapan ratus ribu" = 3800000, "one and a half million" = 1500000.

Hand-written: Babel parses digits only and no dependency of this project reads number words (num2words only writes
them). A word that cannot continue the number ends it ("dua tiga juta", a range, reads "dua" then "tiga juta").
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

__all__ = ["find_number_words"]

_UNITS = {
    "nol": 0,
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS = {  # whole numbers from 10 to 19: nothing of lower rank may follow them in the same group
    "sepuluh": 10,
    "sebelas": 11,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {  # multiply the group before them and close it; they must come in decreasing order
    "ribu": 3,
    "thousand": 3,
    "juta": 6,
    "million": 6,
    "miliar": 9,
    "milyar": 9,
    "billion": 9,
    "triliun": 12,
    "trilyun": 12,
    "trillion": 12,
}
_SE_SCALES = {"seribu": 3, "sejuta": 6, "semiliar": 9, "semilyar": 9, "setriliun": 12}  # "se-" = one of them
_HALF = ("setengah", "half")
_POINT = ("koma", "point")  # decimal mark; the digits after it are read one by one ("koma delapan" = ,8)
_VOCAB = (
    *_UNITS,
    *_TEENS,
    *_TENS,
    *_SCALES,
    *_SE_SCALES,
    *_HALF,
    *_POINT,
    "puluh",
    "belas",
    "ratus",
    "hundred",
    "seratus",
    "and",
    "a",
)
_MAX_FRACTION = 20  # decimals read after "koma"; more is noise

# (?ai:...): any ASCII case, and only ASCII letters, so a match's lower() is always a key of the tables above.
_WORD = "(?ai:" + "|".join(sorted(_VOCAB, key=len, reverse=True)) + ")"
_RUN = re.compile(rf"\b{_WORD}\b(?:[\s-]+{_WORD}\b)*")
_TOKEN = re.compile(r"[^\s-]+")


def _read(words: list[str]) -> tuple[Decimal, int, bool] | None:
    """The longest prefix of `words` (lower case) that is one number: (value, words used, scaled), or None.

    scaled: the number has a multiplier of a hundred or more (ratus, ribu, juta, ...), so it is a figure in running
    text where a bare "satu" or "dua" usually is not. Groups below a thousand are built digit by digit: `digit` is
    a unit word waiting to learn its rank, `free` the highest rank (2 hundreds, 1 tens, 0 units) still open + 1.
    """
    total, group, digit, frac = Decimal(0), Decimal(0), None, ""
    free, last_scale, have, closed, in_frac, scaled = 3, 99, False, False, False, False
    best = None
    for i, w in enumerate(words):
        prev, nxt = words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else ""
        if in_frac:
            if w in _UNITS and len(frac) < _MAX_FRACTION:
                frac += str(_UNITS[w])
                best = (total + group + Decimal("0." + frac), i + 1, scaled)
                continue
            if not frac:
                break
            in_frac, closed = False, True  # after the decimals only a scale word may follow
        if w in _UNITS and digit is None and free >= 1 and not closed:
            digit, have = _UNITS[w], True
        elif w in ("puluh", "belas") and digit is not None and free >= 2:
            group += digit * 10 if w == "puluh" else digit + 10
            digit, free = None, 1 if w == "puluh" else 0
        elif w in ("ratus", "hundred") and digit is not None and free >= 3:
            group, digit, free, scaled = group + digit * 100, None, 2, True
        elif w == "seratus" and digit is None and free >= 3:
            group, free, have, scaled = group + 100, 2, True, True
        elif (w in _TEENS or w in _TENS) and digit is None and free >= 2:
            group, have = group + _TEENS.get(w, 0) + _TENS.get(w, 0), True
            free = 1 if w in _TENS else 0
        elif w in _HALF and group == 0 and not closed:  # "satu setengah" 1.5, "setengah juta", "one and a half"
            group, digit, free, closed, have = (digit or 0) + Decimal("0.5"), None, 0, True, True
        elif w in _POINT and have and not closed and nxt in _UNITS:
            group, digit, free, in_frac = group + (digit or 0), None, 0, True
            continue  # "tiga koma" alone is no number yet
        elif w in _SCALES and have and _SCALES[w] < last_scale:
            value = group + (digit or 0) + (Decimal("0." + frac) if frac else 0)
            total += value * Decimal(10) ** _SCALES[w]
            group, digit, frac, free, have, closed = Decimal(0), None, "", 3, False, False
            last_scale, scaled = _SCALES[w], True
        elif w in _SE_SCALES and not have and _SE_SCALES[w] < last_scale:
            total += Decimal(10) ** _SE_SCALES[w]
            last_scale, free, scaled = _SE_SCALES[w], 3, True
        elif w == "and" and i and prev not in ("and", "a"):
            continue  # "one hundred and five", "one and a half"; a trailing "and" is not part of the number
        elif w == "a" and (nxt == "half" or prev == "half"):
            continue  # "and a half", "half a million"
        elif w == "a" and (nxt in _SCALES or nxt == "hundred") and digit is None and not have:
            digit, have = 1, True  # "a million"
            continue
        else:
            break
        best = (total + group + (digit or 0) + (Decimal("0." + frac) if frac else 0), i + 1, scaled)
    return best


def find_number_words(s: str) -> list[tuple[int, int, Decimal, bool]]:
    """Every spelled-out number in s: (start, end, value, scaled), in order and not overlapping."""
    out: list[tuple[int, int, Decimal, bool]] = []
    runs = list(_RUN.finditer(s))
    if not runs:
        return out
    with localcontext() as ctx:
        ctx.prec = 60  # up to 15 integer digits (triliun) and _MAX_FRACTION decimals, never rounded
        for run in runs:
            toks = list(_TOKEN.finditer(s, run.start(), run.end()))
            words = [t.group().lower() for t in toks]
            i = 0
            while i < len(toks):
                got = _read(words[i:])
                if got is None:
                    i += 1
                    continue
                value, used, scaled = got
                out.append((toks[i].start(), toks[i + used - 1].end(), value, scaled))
                i += used
    return out
