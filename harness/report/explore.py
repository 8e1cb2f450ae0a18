"""The HTML pages' item explorer: every scored item with its gold slot beside the predicted one, in one table that a
small inline script filters and sorts (the page's Content-Security-Policy allows that script by its sha256 alone).

Rows carry their filter keys as data-* attributes, escaped by jinja2 like every other value; without script the
full table shows. The run report lists each entry's items; the comparison lists the gold items whose verdict or
predicted value differs between A and B, and the spurious answers only one side gave.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from dataclasses import dataclass, field

from jinja2 import Environment
from markupsafe import Markup

from harness.report.context import EntryView, ReportContext
from harness.score.model import Item, ScoreReport
from harness.score.vocabulary import CREDIT, OUTCOME_LABELS, OUTCOMES, REPORTED

SCRIPT_TEMPLATE = "_explore.js.j2"


@dataclass
class Filter:
    """One drop-down: the row attribute it reads (data-<key>), its label, its choices as (value, label, count);
    `tokens`: the attribute holds several space-separated values and a row matches when one of them is chosen."""

    key: str
    label: str
    choices: list[tuple[str, str, int]]
    tokens: bool = False


@dataclass
class Explorer:
    """One explorable table: its rows (dicts the template reads), its filters and a caption."""

    id: str
    rows: list[dict]
    filters: list[Filter] = field(default_factory=list)
    note: str = ""


def script(env: Environment) -> tuple[Markup, str]:
    """The explorer's script text (trusted: shipped with the package, no data in it) and its CSP source
    'sha256-…', computed from the exact text the page carries so that only this script may run."""
    text = env.get_template(SCRIPT_TEMPLATE).render()
    if "</" in text:  # the text must not be able to close its own <script> element
        raise ValueError(f"{SCRIPT_TEMPLATE} must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"


def csp(script_source: str | None) -> Markup:
    """The page's policy: nothing from anywhere, inline styles, data: images, and the one script when there is one
    (our own text, no quote or bracket in it: safe inside the meta tag's attribute as it is)."""
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return Markup(policy + (f"; script-src {script_source}" if script_source else ""))


def outcome_rank(outcome: str) -> str:
    """Sort key of a verdict column: the outcomes in the vocabulary's order, no item last."""
    return str(OUTCOMES.index(outcome)) if outcome in OUTCOMES else str(len(OUTCOMES))


def _filter(key: str, label: str, values: list[str], labels: dict[str, str] | None = None,
            order: tuple[str, ...] = (), tokens: bool = False) -> Filter:  # fmt: skip
    n = Counter(v for vs in values for v in (vs.split(" ") if tokens else [vs]) if v)
    rank = {v: i for i, v in enumerate(order)}
    keys = sorted(n, key=lambda v: (rank.get(v, len(rank)), v))
    return Filter(key, label, [(v, (labels or {}).get(v, v), n[v]) for v in keys], tokens)


def _slot(raw: str | None, value: str | None) -> dict:
    """A slot as shown: the text as written and, when it differs, the normalised value."""
    return {"raw": raw, "value": value if value and value != raw else None}


def _claim_texts(view: EntryView, ctx: ReportContext, aid: str) -> tuple[dict[str, str], list[str]]:
    g = ctx.gold.get(aid)
    sample = view.samples.get(aid)
    return ({c.id: c.statement for c in g.claims} if g else {}), ([p.text for p in sample.claims] if sample else [])


def _order(it: Item) -> tuple:
    """Items of one claim pair together: article, gold claim (unmatched predictions after), field."""
    claim = it.gold_claim or f"~{it.pred_claim if it.pred_claim is not None else -1:06d}"
    return it.article_id, claim, REPORTED.index(it.field) if it.field in REPORTED else len(REPORTED)


def item_rows(view: EntryView, ctx: ReportContext, report: ScoreReport) -> list[dict]:
    """One row per item of an entry: gold claim and slot, predicted slot and claim, verdict, error type, credit."""
    texts: dict[str, tuple[dict[str, str], list[str]]] = {}
    rows = []
    for it in sorted(report.items, key=_order):
        gold_text, pred_text = texts.setdefault(it.article_id, _claim_texts(view, ctx, it.article_id))
        j = it.pred_claim
        pred_statement = pred_text[j] if j is not None and j < len(pred_text) else None
        gold_statement = gold_text.get(it.gold_claim or "")
        is_claim = it.field.startswith("claims")
        rows.append({
            "entry": view.label, "article": it.article_id, "field": it.field, "outcome": it.outcome,
            "error": it.error or "", "gold_claim": it.gold_claim, "gold_statement": gold_statement,
            "pred_claim": j + 1 if j is not None else None, "pred_statement": pred_statement,
            "gold": _slot(gold_statement if is_claim and it.gold_claim else it.gold_raw, it.gold_value),
            "pred": _slot(pred_statement if is_claim and j is not None else it.pred_raw, it.pred_value),
            "credit": it.credit if it.credit is not None else (CREDIT[OUTCOMES.index(it.outcome)]
                                                                if it.outcome in OUTCOMES[:4] else None),
        })  # fmt: skip
    return rows


def _common_filters(rows: list[dict]) -> list[Filter]:
    return [
        _filter("article", "article", [r["article"] for r in rows]),
        _filter("field", "field", [r["field"] for r in rows], order=REPORTED),
    ]


def run_explorer(ctx: ReportContext) -> Explorer | None:
    """Every scored entry's items in one table, filterable by entry, article, field, verdict and error type."""
    rows = [r for v in ctx.entries if v.report is not None for r in item_rows(v, ctx, v.report)]
    if not rows:
        return None
    filters = [
        *_common_filters(rows),
        _filter("outcome", "verdict", [r["outcome"] for r in rows], OUTCOME_LABELS, OUTCOMES),
        _filter("error", "error type", [r["error"] for r in rows]),
    ]
    if len({r["entry"] for r in rows}) > 1:
        filters.insert(0, _filter("entry", "entry", [r["entry"] for r in rows]))
    note = ("Every scored item: the gold slot beside the predicted one, inside the claim pair the scorer matched "
            "(claims rows: the statements themselves). Credit: what the item earns in relaxed F1 (claims: the "
            "slot F1 inside the pair).")  # fmt: skip
    return Explorer("items", rows, filters, note)


def _credit(it: Item | None) -> float:
    if it is None:
        return 0.0
    if it.credit is not None:
        return it.credit
    return CREDIT[OUTCOMES.index(it.outcome)] if it.outcome in OUTCOMES else 0.0


def _side(it: Item | None) -> dict:
    if it is None:
        return {"outcome": "", "error": "", "pred_claim": None, "pred": _slot(None, None)}
    j = it.pred_claim
    return {"outcome": it.outcome, "error": it.error or "", "pred_claim": j + 1 if j is not None else None,
            "pred": _slot(it.pred_raw, it.pred_value)}  # fmt: skip


def _pair_row(a: Item | None, b: Item | None) -> dict:
    it = a or b
    assert it is not None
    sa, sb = _side(a), _side(b)
    gold = a is not None and a.gold_key is not None
    return {"article": it.article_id, "field": it.field, "gold_claim": it.gold_claim,
            "gold": _slot(it.gold_raw, it.gold_value), "a": sa, "b": sb,
            "outcome_a": sa["outcome"] or "none", "outcome_b": sb["outcome"] or "none",
            "error": " ".join(dict.fromkeys(e for e in (sa["error"], sb["error"]) if e)),
            "diff": _credit(b) - _credit(a) if gold else None}  # fmt: skip


def _spurious_key(it: Item) -> tuple:
    return it.article_id, it.field, it.pred_raw, it.error


def diff_rows(a: ScoreReport, b: ScoreReport) -> list[dict]:
    """Per gold item, A's and B's verdicts where they differ (outcome, error type or predicted value); then the
    answers without gold item (spurious) that one side gave more often than the other."""
    bk: dict[tuple[str, str | None], Item] = {(it.field, it.gold_key): it for it in b.items if it.gold_key}
    rows = []
    for it in sorted((x for x in a.items if x.gold_key), key=_order):
        other = bk.get((it.field, it.gold_key))
        if other is None or (it.outcome, it.error, it.pred_raw) != (other.outcome, other.error, other.pred_raw):
            rows.append(_pair_row(it, other))
    extra: dict[str, Counter] = {"a": Counter(), "b": Counter()}
    first: dict[tuple, Item] = {}
    for name, rep in (("a", a), ("b", b)):
        for it in rep.items:
            if not it.gold_key:
                extra[name][_spurious_key(it)] += 1
                first.setdefault(_spurious_key(it), it)
    for k, it in sorted(first.items(), key=lambda kv: _order(kv[1])):
        n = extra["a"][k] - extra["b"][k]
        rows += [_pair_row(it, None) if n > 0 else _pair_row(None, it)] * abs(n)
    return rows


def compare_explorer(a: ScoreReport, b: ScoreReport, note: str = "") -> Explorer:
    """The items where A and B differ, filterable by article, field, A's verdict, B's verdict and error type."""
    rows = diff_rows(a, b)
    choices = (*OUTCOMES, "none")
    labels = {**OUTCOME_LABELS, "none": "— (no item)"}
    filters = [
        *_common_filters(rows),
        _filter("outcome_a", "A's verdict", [r["outcome_a"] for r in rows], labels, choices),
        _filter("outcome_b", "B's verdict", [r["outcome_b"] for r in rows], labels, choices),
        _filter("error", "error type", [r["error"] for r in rows], tokens=True),
    ]
    text = ("Gold items whose verdict, error type or predicted value differs between A and B, then spurious answers "
            "one side gave and the other did not. B − A: the credit B's item earns minus A's (relaxed; claims: "
            "the slot F1 inside the pair).")  # fmt: skip
    return Explorer("differences", rows, filters, (text + " " + note).strip())
