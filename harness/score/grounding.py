"""Evidence grounding: where in the article a predicted claim's quotes stand, and whether that is scraped noise.

A quote is looked for exactly, then with whitespace, case and straight/curly quotes normalised (a model re-wraps
lines and retypes quotes), then fuzzily: rapidfuzz's best partial alignment scoring at least FUZZY_CUTOFF
(a retyped word or two in a sentence-long quote). Pure functions over strings; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from harness.score.metrics import dice

FUZZY_CUTOFF = 90.0  # rapidfuzz partial_ratio (0-100) of the quote against its best-aligned stretch of the article
FUZZY_MIN_LEN = 20  # shorter quotes are found exactly or not at all: a fuzzy match of a few words means little
_DQ, _SQ = '["“”„]', "['‘’]"
_QUOTES = {'"': _DQ, "“": _DQ, "”": _DQ, "„": _DQ, "'": _SQ, "‘": _SQ, "’": _SQ}  # straight and curly alike

Span = tuple[int, int]


def locate(quote: str, text: str, fuzzy: bool = True) -> tuple[list[Span], str | None]:
    """Every (start, end) of `quote` in `text` and how it was found: "exact", "normalised", "fuzzy", or None
    (not found: []). Exact and normalised give every occurrence; fuzzy gives the best-aligned stretch."""
    quote = (quote or "").strip()
    if not quote or not text:
        return [], None
    spans, at = [], text.find(quote)
    while at >= 0:
        spans.append((at, at + len(quote)))
        at = text.find(quote, at + 1)
    if spans:
        return spans, "exact"
    parts = ["".join(_QUOTES.get(ch, re.escape(ch)) for ch in tok) for tok in quote.split()]
    spans = [m.span() for m in re.finditer(r"\s+".join(parts), text, re.IGNORECASE)]
    if spans:
        return spans, "normalised"
    if not fuzzy or len(quote) < FUZZY_MIN_LEN or len(quote) > len(text):
        return [], None
    lowered = text.lower()
    if len(lowered) != len(text):  # a case fold that changes lengths would shift the offsets
        return [], None
    hit = fuzz.partial_ratio_alignment(" ".join(quote.lower().split()), lowered, score_cutoff=FUZZY_CUTOFF)
    if hit is None:
        return [], None
    return [(hit.dest_start, hit.dest_end)], "fuzzy"


def inside(span: Span, spans: Iterable[Span]) -> bool:
    """True when `span` lies wholly within one of `spans`."""
    return any(s <= span[0] and span[1] <= e for s, e in spans)


def union_length(spans: Iterable[Span]) -> int:
    """Characters covered by a set of spans (overlaps counted once)."""
    total, end = 0, -1
    for s, e in sorted(spans):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


def overlap(a: Sequence[Span], b: Sequence[Span]) -> int:
    """Characters covered by both span sets."""
    return union_length(a) + union_length(b) - union_length([*a, *b])


@dataclass
class Grounding:
    """One predicted claim against its article: `anchors` are the first occurrences of its located quotes (evidence
    and, when it is verbatim, its text), `found` how each evidence quote was found (None: ungrounded),
    `from_noise` whether every occurrence of every anchor lies inside the gold's scraped-noise spans."""

    anchors: list[Span] = field(default_factory=list)
    found: list[str | None] = field(default_factory=list)
    from_noise: bool = False

    @property
    def ungrounded(self) -> int:
        return sum(1 for f in self.found if f is None)


def ground(text_of_claim: str, evidence: Sequence[str], article: str, noise: Sequence[Span] = ()) -> Grounding:
    """Locate a claim's evidence quotes and its text in the article (see `locate`) and judge them against noise."""
    g = Grounding()
    every: list[Span] = []
    for q in evidence:
        spans, how = locate(q, article)
        g.found.append(how)
        if spans:
            g.anchors.append(spans[0])
            every += spans
    spans, _how = locate(text_of_claim, article)
    if spans:
        g.anchors.append(spans[0])
        every += spans
    g.from_noise = bool(every) and bool(noise) and all(inside(s, noise) for s in every)
    return g


def only_in_noise(raw: str, article: str, noise: Sequence[Span]) -> bool:
    """A value's text occurs in the article, and only inside scraped noise ("date 2023-12" in a dateline)."""
    if not noise:
        return False
    spans, _how = locate(raw, article, fuzzy=False)
    return bool(spans) and all(inside(s, noise) for s in spans)


def location_similarity(anchors: Sequence[Span], region: Sequence[Span]) -> float:
    """Dice of characters: 2 |anchors & gold evidence| / (|anchors| + |gold evidence|); 0 when either is empty."""
    if not anchors or not region:
        return 0.0
    return float(dice(overlap(anchors, region), union_length(anchors), union_length(region)))
