"""Error taxonomy of a run: the scorer's error types, plus those that look at the article itself — a value that no
figure or date of the article equals once both are normalised (`hallucinated_*`) — and, without a scorer, a claim
taken from scraped noise (`from_noise`).

Pure functions over claims, article text and (optional) gold. The hallucination check needs no gold, so it is
computed for any article set; `from_noise` needs the gold's noise spans.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel

from harness.normalize.date_finder import find_dates
from harness.normalize.dates import parse_date, timex_relation
from harness.normalize.numbers import find_figures, parse_figure
from harness.schema import Article, DateRef, Evidence, Figure, GoldArticle, PredictedClaim
from harness.score.grounding import ground, locate
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
    "from_noise": "claim or value taken from scraped noise (links, captions, ads, datelines)",
    "duplicate": "a repeat of a claim already matched to the gold",
    "not_in_gold": "a statement the gold does not count as a claim",
    "not_a_date": "something that is no date put in a date slot",
    "ungrounded_evidence": "an evidence quote found nowhere in the article, even fuzzily",
    "hallucinated_figure": "predicted figure whose value no figure of the article has",
    "hallucinated_date": "predicted date that no date of the article equals or contains",
}
OTHER: dict[str, str] = {
    "wrong_value": "other value",
    "wrong_date": "other date",
    "unparseable_value": "figure the normaliser cannot read",
    "unparseable_date": "date phrase the normaliser cannot read",
    "organisation_for_person": "the speaker's organisation named instead of the person",
    "speaker_for_unattributed": "a speaker on the outlet's own text",
    "slot_errors": "matched claim with some slot wrong",
}


def figure_value(f: Figure) -> Decimal | None:
    """The value a predicted figure asserts: its own `value`, else what its `raw` reads as."""
    return f.value if f.value is not None else parse_figure(f.raw).value


def hallucinated_figure(f: Figure, article_values: Sequence[Decimal]) -> bool | None:
    """True when no figure of the article has this normalised value ("38 juta" where the article says "3,8 juta",
    "2 miliar" where it says "2 juta"); None when the value is unreadable (not judged)."""
    v = figure_value(f)
    if v is None:
        return None
    return not any(v == a for a in article_values)


def hallucinated_date(
    d: DateRef, text: str, published: str | None = None, article_dates: Sequence[str] | None = None
) -> bool | None:
    """True when no date of the article (find_dates, normalised) equals the predicted date or lies inside it
    ("2023" is stated by "Senin (4/12/2023)"; "Juni 2021" by nothing in an article of 2020); None for a deictic
    "now" or an unreadable date (not judged). A date written verbatim in the article is never hallucinated."""
    parsed = parse_date(d.raw, published)
    if parsed.deictic_now and d.value is None:
        return None
    value = d.value if d.value is not None else parsed.value
    if value is None:
        return None
    if locate(d.raw, text, fuzzy=False)[0]:
        return False
    if article_dates is None:
        article_dates = [nd.value for _s, _e, nd in find_dates(text, published) if nd.value]
    if published:
        article_dates = [*article_dates, published]
    return not any(timex_relation(a, value) in ("exact", "coarser") for a in article_dates)


@dataclass
class ClaimFlags:
    """What the article says about one predicted claim: where its quotes are, whether it came from noise,
    and which of its figures and dates are hallucinated (None: not judged)."""

    located: list[tuple[int, int]] = field(default_factory=list)
    from_noise: bool = False
    figures: list[bool | None] = field(default_factory=list)
    dates: list[bool | None] = field(default_factory=list)


def claim_flags(claim: PredictedClaim, text: str, noise: Sequence[Evidence] = (), published: str | None = None,
                article_figures: list | None = None, article_dates: list[str] | None = None) -> ClaimFlags:  # fmt: skip
    """Flags of one predicted claim against its article's text and the gold's noise spans: where its quotes stand
    (harness.score.grounding, the scorer's own rule), whether it came from noise, which values are hallucinated."""
    found = find_figures(text) if article_figures is None else article_figures
    values = [nf.value for _s, _e, nf in found if nf.value is not None]
    if article_dates is None:
        article_dates = [nd.value for _s, _e, nd in find_dates(text, published) if nd.value]
    g = ground(claim.text, claim.evidence, text, [(e.start, e.end) for e in noise])
    located = sorted({s for q in [*claim.evidence, claim.text] for s in locate(q, text)[0]})
    return ClaimFlags(
        located=located, from_noise=g.from_noise,
        figures=[hallucinated_figure(f, values) for f in claim.figures],
        dates=[hallucinated_date(d, text, published, article_dates) for d in claim.dates],
    )  # fmt: skip


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

    The scorer's types come from `report.errors` (from_noise among them); without a report, from_noise is judged
    here when the gold's noise spans are given; hallucination needs only the article text (articles whose text is
    unknown are skipped).
    """
    counts: Counter[str] = Counter(dict.fromkeys(NAMED, 0))
    if report is not None:
        counts.update(report.errors)
    t = Taxonomy(counts={}, noise_checked=bool(gold), scored=report is not None)
    for aid, preds in claims.items():
        art = articles.get(aid)
        if art is None:
            continue
        g = (gold or {}).get(aid)
        published = g.published if g else None
        found = find_figures(art.text)
        dates = [nd.value for _s, _e, nd in find_dates(art.text, published) if nd.value]
        for p in preds:
            fl = claim_flags(p, art.text, g.noise if g else (), published, found, dates)
            if report is None:
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
