"""Error taxonomy of a run: the scorer's error types, plus two that look at the article itself — a claim taken
from scraped noise (`from_noise`) and a value that occurs nowhere in the article (`hallucinated_*`).

Pure functions over claims, article text and (optional) gold. The hallucination check needs no gold, so it is
computed for any article set; `from_noise` needs the gold's noise spans.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel

from harness.normalize.dates import parse_date
from harness.normalize.numbers import find_figures, parse_figure, same_digits
from harness.schema import Article, DateRef, Evidence, Figure, GoldArticle, PredictedClaim
from harness.score.model import ScoreReport

# The named error types, in display order, with what each means (SCORING.md §3 for the scorer's ones).
NAMED: dict[str, str] = {
    "scale_flip": "same digits at another power of ten (decimal comma or scale word misread)",
    "wrong_unit": "right value, other unit class",
    "approx_mismatch": "exact vs approximate (sekitar, -an) differs",
    "qualifier_mismatch": "at least / at most differs",
    "coarser_date": "right date at a coarser granularity",
    "finer_date": "right date at a finer granularity",
    "wrong_anchor": "same date, other anchor (as of / since / until)",
    "misattribution": "another person named as speaker",
    "outlet_as_speaker": "the outlet or an addressee named as speaker",
    "from_noise": "claim taken from scraped noise (links, captions, ads)",
    "hallucinated_figure": "predicted figure that occurs nowhere in the article",
    "hallucinated_date": "predicted date whose text and year occur nowhere in the article",
}
OTHER: dict[str, str] = {
    "wrong_value": "other value",
    "wrong_date": "other date",
    "unparseable_value": "figure the normaliser cannot read",
    "unparseable_date": "date the normaliser cannot read",
    "organisation_for_person": "the speaker's organisation named instead of the person",
    "speaker_for_unattributed": "a speaker on the outlet's own text",
    "slot_errors": "aligned claim with some slot wrong",
}
_DQ, _SQ = "[\"“”„]", "['‘’]"
_QUOTES = {'"': _DQ, "“": _DQ, "”": _DQ, "„": _DQ, "'": _SQ, "‘": _SQ, "’": _SQ}  # straight and curly quotes alike
_YEAR = re.compile(r"^(\d{4})")


def locate(quote: str, text: str) -> list[tuple[int, int]]:
    """Every (start, end) of `quote` in `text`: exact occurrences, else case-insensitive with any run of
    whitespace matching any other and straight/curly quotes alike (a model re-wraps lines and retypes quotes)."""
    quote = (quote or "").strip()
    if not quote:
        return []
    spans, at = [], text.find(quote)
    while at >= 0:
        spans.append((at, at + len(quote)))
        at = text.find(quote, at + 1)
    if spans:
        return spans
    parts = ["".join(_QUOTES.get(ch, re.escape(ch)) for ch in tok) for tok in quote.split()]
    return [m.span() for m in re.finditer(r"\s+".join(parts), text, re.IGNORECASE)]


def inside(span: tuple[int, int], spans: Iterable[Evidence]) -> bool:
    """True when `span` lies wholly within one of `spans`."""
    return any(e.start <= span[0] and span[1] <= e.end for e in spans)


def figure_value(f: Figure) -> Decimal | None:
    """The value a predicted figure asserts: its own `value`, else what its `raw` reads as."""
    return f.value if f.value is not None else parse_figure(f.raw).value


def hallucinated_figure(f: Figure, article_values: Sequence[Decimal]) -> bool | None:
    """True when no figure of the article has this value or the same digits; None when the value is unreadable."""
    v = figure_value(f)
    if v is None:
        return None
    return not any(v == a or same_digits(v, a) for a in article_values)


def _year_in(text: str, year: str) -> bool:
    """The year written out ("2023"), or as the two-digit year of a numeric date ("8/3/23")."""
    return re.search(rf"(?<!\d)(?:{year}|\d{{1,2}}[/.-]\d{{1,2}}[/.-]{year[2:]})(?!\d)", text) is not None


def hallucinated_date(d: DateRef, text: str, published: str | None = None) -> bool | None:
    """True when neither the date's raw text nor its year occurs in the article (the year of `published`, when
    the gold knows it, counts as present); None for a deictic "now" or an unreadable date (not judged)."""
    parsed = parse_date(d.raw, published)
    if parsed.deictic_now and d.value is None:
        return None
    if locate(d.raw, text):
        return False
    value = d.value if d.value is not None else parsed.value
    m = _YEAR.match(value or "")
    if value is None or (m is None and not value.startswith("XXXX")):
        return None
    if m is None:
        return True  # no year, and the text itself is not in the article
    year = m.group(1)
    return not (_year_in(text, year) or (published or "").startswith(year))


@dataclass
class ClaimFlags:
    """What the article says about one predicted claim: where its quotes are, whether it came from noise,
    and which of its figures and dates are hallucinated (None: not judged)."""

    located: list[tuple[int, int]] = field(default_factory=list)
    from_noise: bool = False
    figures: list[bool | None] = field(default_factory=list)
    dates: list[bool | None] = field(default_factory=list)


def claim_flags(claim: PredictedClaim, text: str, noise: Sequence[Evidence] = (), published: str | None = None,
                article_figures: list | None = None) -> ClaimFlags:  # fmt: skip
    """Flags of one predicted claim against its article's text and the gold's noise spans.

    from_noise: the claim's quotes (evidence, or its text when that is a quote) are found in the article and every
    occurrence lies inside a noise span; a claim with no quote found is judged by its figure values and date texts
    the same way (each found at least once, all occurrences inside noise).
    """
    found = find_figures(text) if article_figures is None else article_figures
    values = [nf.value for _s, _e, nf in found if nf.value is not None]
    flags = ClaimFlags(
        figures=[hallucinated_figure(f, values) for f in claim.figures],
        dates=[hallucinated_date(d, text, published) for d in claim.dates],
    )
    quotes = [occ for q in [*claim.evidence, claim.text] if (occ := locate(q, text))]
    flags.located = sorted({s for occ in quotes for s in occ})
    if not noise:
        return flags
    anchors = quotes
    if not anchors:
        for f in claim.figures:
            v = figure_value(f)
            occ = [(s, e) for s, e, nf in found if v is not None and nf.value == v]
            if occ:
                anchors.append(occ)
        anchors += [occ for d in claim.dates if (occ := locate(d.raw, text))]
    flags.from_noise = bool(anchors) and all(inside(s, noise) for occ in anchors for s in occ)
    return flags


class Taxonomy(BaseModel):
    """Error counts of one scored entry (or of one prompt x model's claims when there is no gold)."""

    counts: dict[str, int]
    figures_judged: int = 0
    dates_judged: int = 0
    hallucinated_figures: int = 0
    hallucinated_dates: int = 0
    noise_checked: bool = False  # the gold's noise spans were available
    scored: bool = False  # the scorer's error types are included

    @property
    def hallucination_rate(self) -> float | None:
        n = self.figures_judged + self.dates_judged
        return (self.hallucinated_figures + self.hallucinated_dates) / n if n else None


def taxonomy(
    claims: Mapping[str, Sequence[PredictedClaim]],
    articles: Mapping[str, Article],
    gold: Mapping[str, GoldArticle] | None = None,
    report: ScoreReport | None = None,
) -> Taxonomy:
    """Count every error type over the predicted claims of some articles (article id -> claims).

    The scorer's types come from `report.errors`; from_noise needs gold noise spans; hallucination needs only the
    article text (articles whose text is unknown are skipped).
    """
    counts: Counter[str] = Counter({k: 0 for k in NAMED})
    if report is not None:
        counts.update(report.errors)
    t = Taxonomy(counts={}, noise_checked=bool(gold), scored=report is not None)
    for aid, preds in claims.items():
        art = articles.get(aid)
        if art is None:
            continue
        g = (gold or {}).get(aid)
        found = find_figures(art.text)
        for p in preds:
            fl = claim_flags(p, art.text, g.noise if g else (), g.published if g else None, found)
            counts["from_noise"] += fl.from_noise
            t.figures_judged += sum(x is not None for x in fl.figures)
            t.dates_judged += sum(x is not None for x in fl.dates)
            t.hallucinated_figures += sum(x is True for x in fl.figures)
            t.hallucinated_dates += sum(x is True for x in fl.dates)
    counts["hallucinated_figure"] = t.hallucinated_figures
    counts["hallucinated_date"] = t.hallucinated_dates
    order = [*NAMED, *sorted(k for k in counts if k not in NAMED)]
    t.counts = {k: counts[k] for k in order if k in NAMED or counts[k]}
    return t


def describe(error: str) -> str:
    """One line saying what an error type means ("" for an unknown one)."""
    return NAMED.get(error) or OTHER.get(error, "")
