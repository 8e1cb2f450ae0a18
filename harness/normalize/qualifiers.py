"""Qualifiers of a figure: the words and signs around it that make it approximate, at least or at most."""

from __future__ import annotations

import re

from harness.normalize.word_patterns import any_case, one_of, table_key

__all__ = ["modifier_before", "modifiers_anywhere", "qualifier_after"]

# Comparatives: "60 persen lebih tinggi" is "60% higher", not "more than 60%".
_COMPARATIVES = (
    "tinggi rendah besar kecil banyak sedikit cepat lambat lama murah mahal baik buruk luas kuat lemah mudah "
    "sulit jauh lanjut maju efektif efisien penting produktif tepat berat awal dulu dahulu"
).split()
_AT_LEAST_AFTER = re.compile(
    rf"\s+{any_case('lebih')}\b(?!\s+(?:{one_of(['dari', 'kurang', *_COMPARATIVES])})\b)|\s+{any_case('ke atas')}\b"
    rf"|\s+{any_case('or')}\s+(?:{one_of(['more', 'above'])})\b|\s+{any_case('and above')}\b|\+"
)
_AT_MOST_AFTER = re.compile(
    rf"\s+{any_case('ke bawah')}\b|\s+{any_case('or')}\s+(?:{one_of(['less', 'fewer', 'below'])})\b"
    rf"|\s+{any_case('and below')}\b"
)

_APPROX_WORDS = (
    "sekitar",
    "sekira",
    "kurang lebih",
    "lebih kurang",
    "kira-kira",
    "kira kira",
    "about",
    "around",
    "approximately",
    "approx.",
    "approx",
    "roughly",
    "circa",
    "some",
)
_AT_LEAST_WORDS = (
    "lebih dari",
    "minimal",
    "setidaknya",
    "sedikitnya",
    "paling sedikit",
    "di atas",
    "tidak kurang dari",
    "tak kurang dari",
    "more than",
    "at least",
    "over",
    "above",
    "no less than",
    "not less than",
)
_AT_MOST_WORDS = (
    "hampir",
    "nyaris",
    "maksimal",
    "paling banyak",
    "kurang dari",
    "di bawah",
    "tidak lebih dari",
    "tak lebih dari",
    "almost",
    "nearly",
    "up to",
    "at most",
    "less than",
    "fewer than",
    "under",
    "below",
    "no more than",
    "not more than",
)
_APPROX_TOO = {"hampir", "nyaris", "almost", "nearly"}  # "almost X" is at most X *and* approximate
# Comparison signs: the schema has only at_least / at_most, so ">" and "≥" both mean at_least, "<" and "≤" at_most.
_SIGNS = {">": "at_least", ">=": "at_least", "≥": "at_least", "<": "at_most", "<=": "at_most", "≤": "at_most"}
_QUAL_WORDS = {**dict.fromkeys(_AT_LEAST_WORDS, "at_least"), **dict.fromkeys(_AT_MOST_WORDS, "at_most"), **_SIGNS}
_MODIFIER = (
    rf"(?:(?<![^\W_])(?:{one_of(_APPROX_WORDS + _AT_LEAST_WORDS + _AT_MOST_WORDS)})(?![^\W_])"
    r"|[~±≈]|(?<![-=<>])[<>]=?|[≤≥])"
)  # "->" is an arrow, not "more than"
_MODIFIER_BEFORE = re.compile(rf"(?P<mod>{_MODIFIER})\s*$")
_MODIFIER_ANY = re.compile(_MODIFIER)
_LEBIH_ANY = re.compile(rf"\b{any_case('lebih')}\b(?!\s+(?:{one_of(_COMPARATIVES)})\b)")


def qualifier_after(s: str, pos: int) -> tuple[str | None, int]:
    """An "or more" / "or less" tail at s[pos:] ("60 persen lebih", "18 tahun ke atas"): (qualifier, end)."""
    if tail := _AT_LEAST_AFTER.match(s, pos):
        return "at_least", tail.end()
    if tail := _AT_MOST_AFTER.match(s, pos):
        return "at_most", tail.end()
    return None, pos


def modifier_before(before: str) -> tuple[int, bool, str | None] | None:
    """The modifier word or sign that ends `before` ("sekitar ", "lebih dari "): (its start, approx, qualifier)."""
    mod = _MODIFIER_BEFORE.search(before)
    if not mod:
        return None
    word = table_key(mod.group("mod"))
    if word in _QUAL_WORDS:
        return mod.start(), word in _APPROX_TOO, _QUAL_WORDS[word]
    return mod.start(), True, None


def modifiers_anywhere(s: str) -> tuple[bool, str | None]:
    """Approx flag and qualifier from modifier words anywhere in a short figure phrase."""
    approx, qualifier = False, None
    for m in _MODIFIER_ANY.finditer(s):
        word = table_key(m.group(0))
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
