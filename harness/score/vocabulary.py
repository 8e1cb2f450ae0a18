"""The words of scoring, defined once: the fields a score report has, the outcomes an item can end in, and the
credit each outcome earns. Every other module (scorer, statistics, reports, CLI) reads them from here.
"""

from __future__ import annotations

FIELDS = ("figures", "dates", "attribution", "claims")  # the headline: slots scored inside matched claims
DIAGNOSTICS = ("claims_exact", "figures_anywhere", "dates_anywhere")  # reported beside it, never instead of it
REPORTED = (*FIELDS, *DIAGNOSTICS)

OUTCOMES = ("correct", "partial", "incorrect", "missing", "spurious")
COR, PAR, INC, MIS, SPU = range(5)
CREDIT = (1.0, 0.5, 0.0, 0.0, 0.0)  # what one pair of each outcome earns (relaxed): slot alignment, claim credit
OUTCOME_LABELS = dict(zip(OUTCOMES, ("correct", "partial", "wrong", "missing", "spurious"), strict=True))  # as shown
