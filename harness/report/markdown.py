"""A run's summary in Markdown (fits a CI job summary page), and the context every report view is built from.

`report_context` gathers a run record, the article texts and the gold it was scored on (re-read from their
recorded sources, checked against the recorded hashes) and the error taxonomy per scored entry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from harness.corpus import load_gold
from harness.errors import InputError
from harness.extract.runner import SampleResult
from harness.records import RunRecord, ScoreEntry, entry_report
from harness.report.leaderboard import GroupStats, group_stats, md_cell
from harness.schema import Article, GoldArticle, PredictedClaim
from harness.score.model import ScoreReport
from harness.score.taxonomy import Taxonomy, describe, taxonomy
from harness.score.vocabulary import OUTCOMES, REPORTED

SCORES_NOTE = (  # plain text: it is shown in Markdown and in HTML alike
    "Strict micro P/R/F1 per field, each with its 95% bootstrap interval (items resampled within articles); relaxed F1 "
    "gives partial matches half credit. Figures, dates and attribution are scored only inside claims matched to the "
    "gold by their text and quoted evidence; claims is graded (each matched claim earns the F1 of its slots), "
    "claims_exact is all or nothing; figures_anywhere and dates_anywhere are diagnostics that credit a value "
    "wherever it stands in the article. See docs/SCORING.md."
)


@dataclass
class EntryView:
    """One (prompt, model, repeat): its samples per article, its scores when the gold allowed them, its taxonomy."""

    prompt: str
    model: str
    repeat: int
    samples: dict[str, SampleResult]
    entry: ScoreEntry | None = None
    report: ScoreReport | None = None
    taxonomy: Taxonomy | None = None
    label: str = ""

    @property
    def claims(self) -> dict[str, list[PredictedClaim]]:
        return {aid: s.claims for aid, s in self.samples.items()}

    @property
    def anchor(self) -> str:
        return "e-" + hashlib.sha256(f"{self.prompt}|{self.model}|{self.repeat}".encode()).hexdigest()[:10]


@dataclass
class ReportContext:
    record: RunRecord
    articles: dict[str, Article]
    gold: dict[str, GoldArticle]
    entries: list[EntryView]
    groups: list[GroupStats]
    notes: list[str] = field(default_factory=list)


def load_sources(record: RunRecord, articles_dir: Path | None = None, gold_dir: Path | None = None,
                 ) -> tuple[dict[str, Article], dict[str, GoldArticle], list[str]]:  # fmt: skip
    """Article texts and gold the run used, re-read from their recorded sources (or the folders given).

    Missing or changed sources are not errors — the report is written with what is there — but each is noted.
    """
    from harness.corpus import load_article_source

    notes: list[str] = []
    src = Path(articles_dir or record.articles.source)
    try:
        found = load_article_source(src)
    except InputError as exc:
        return {}, {}, [f"article texts not available ({exc.one_line()}): no drill-down text, no hallucination check"]
    articles = {}
    for aid, want in record.articles.sha256.items():
        art = found.get(aid)
        if art is None:
            notes.append(f"article {aid} not found in {src.as_posix()}")
        elif art.sha256 != want:
            notes.append(f"article {aid} in {src.as_posix()} differs from the text the run used: left out")
        else:
            articles[aid] = art
    gold: dict[str, GoldArticle] = {}
    gsrc = Path(gold_dir) if gold_dir else (Path(record.gold.source) if record.gold else None)
    if gsrc is not None:
        try:
            gold = load_gold(gsrc, articles)
        except InputError as exc:
            notes.append(f"gold not available ({exc.one_line()}): no noise check, no gold evidence")
        if gold and record.gold:
            now = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(gsrc.glob("*.y*ml"))}
            if now != record.gold.sha256:
                notes.append(f"gold in {gsrc.as_posix()} changed since the run: scores are the run's, the gold "
                             "evidence and noise shown are today's")  # fmt: skip
    return articles, gold, notes


def build_entries(record: RunRecord) -> list[EntryView]:
    """Every (prompt, model, repeat) of the run in order, with its score entry when there is one."""
    views: dict[tuple[str, str, int], EntryView] = {}
    for s in record.samples:
        k = (s.prompt, s.model, s.repeat)
        views.setdefault(k, EntryView(*k, samples={})).samples[s.article_id] = s
    for e in record.scores:
        v = views.setdefault((e.prompt, e.model, e.repeat), EntryView(e.prompt, e.model, e.repeat, samples={}))
        v.entry, v.report = e, entry_report(e)
    several = record.parameters.repeats > 1
    for v in views.values():
        v.label = f"{v.prompt} · {v.model}" + (f" · repeat {v.repeat}" if several else "")
    return list(views.values())


def report_context(
    record: RunRecord,
    articles: dict[str, Article] | None = None,
    gold: dict[str, GoldArticle] | None = None,
    notes: list[str] | None = None,
) -> ReportContext:
    """Everything the Markdown and HTML views show, computed once."""
    articles, gold = articles or {}, gold or {}
    entries = build_entries(record)
    for v in entries:
        ids = v.entry.articles if v.entry is not None and v.report is not None else list(v.samples)
        v.taxonomy = taxonomy({a: v.samples[a].claims for a in ids if a in v.samples}, articles, gold or None, v.report)
    return ReportContext(record, articles, gold, entries, group_stats(record), list(notes or []) + list(record.notes))


def code(value: object) -> str:
    """An inline code span outside tables: shown literally (no HTML), so only backticks and line breaks go."""
    return "`" + str(value).replace("`", "'").replace("\r", " ").replace("\n", " ") + "`"


def ci(pair: list[float]) -> str:
    return f"[{pair[0]:.2f}, {pair[1]:.2f}]"


def _facts(ctx: ReportContext) -> list[str]:
    r = ctx.record
    prov, s = r.provenance, r.summary
    commit = (prov.git_commit or "unknown")[:12] + (" (dirty)" if prov.git_dirty else "")
    prompts = ", ".join(f"{code(p.id)} v{code(p.version)} ({p.sha256[:12]})" for p in r.prompts)
    return [
        f"- **started** {code(r.started)}, {r.duration_s:.1f} s; git {code(commit)}; "
        f"harness {code(prov.packages.get('harness') or '?')}",
        f"- **endpoint** {r.endpoint.kind} {code(r.endpoint.identity)}; models: "
        + ", ".join(code(m) for m in r.models),
        f"- **prompts** {prompts}",
        f"- **articles** {len(r.articles.sha256)} from {code(r.articles.source)}; gold: "
        + (f"{code(r.gold.source)} ({len(r.gold.sha256)} files)" if r.gold else "none (no scores)"),
        f"- **samples** {s.samples}, failed {s.failed} ({s.failure_rate:.1%}); verdict **{s.verdict}**; "
        f"cache: {r.cache.hits_local} local + {r.cache.hits_recorded} recorded hits, {r.cache.requests} requests",
    ]


def _scores(ctx: ReportContext) -> list[str]:
    out = ["## Scores", "", SCORES_NOTE, ""]
    scored = [v for v in ctx.entries if v.report is not None]
    for v in ctx.entries:
        if v.report is None and v.entry is not None and v.entry.error:
            out += [f"- {md_cell(v.label)}: not scored ({md_cell(v.entry.error)})"]
    if not scored:
        return [*out, "No scores: the run has no gold for its articles.", ""]
    for v in scored:
        rep = v.report
        out += [f"### {md_cell(v.label)}", "", "| field | P [95% CI] | R [95% CI] | F1 [95% CI] | relaxed F1 | "
                + " | ".join(OUTCOMES) + " |", "|---|" + "---:|" * (4 + len(OUTCOMES))]  # fmt: skip
        for f in REPORTED:
            s = getattr(rep, f)
            out.append(f"| {f} | {s.precision:.3f} {ci(s.ci['precision'])} | {s.recall:.3f} {ci(s.ci['recall'])} | "
                       f"**{s.f1:.3f}** {ci(s.ci['f1'])} | {s.relaxed.f1:.3f} | "
                       + " | ".join(str(s.counts[c]) for c in OUTCOMES) + " |")  # fmt: skip
        out.append("")
    out += ["### Per article (strict F1; correct / gold items — for claims, the credit earned / gold claims)", ""]
    for v in scored:
        out += [
            f"**{md_cell(v.label)}**",
            "",
            "| article | " + " | ".join(REPORTED) + " |",
            "|---|" + "---:|" * len(REPORTED),
        ]
        for aid, fields in v.report.per_article.items():
            cells = []
            for f in REPORTED:
                a = fields[f]
                pos = sum(a.counts[c] for c in OUTCOMES[:4])
                got = f"{a.recall * pos:.1f}" if f == "claims" else str(a.counts["correct"])
                cells.append(f"{a.f1:.2f} ({got}/{pos})")
            out.append(f"| {md_cell(aid)} | " + " | ".join(cells) + " |")
        out.append("")
    return out


def _taxonomy(ctx: ReportContext) -> list[str]:
    views = [v for v in ctx.entries if v.taxonomy is not None]
    if not views:
        return []
    kinds: list[str] = []
    for v in views:
        kinds += [k for k in v.taxonomy.counts if k not in kinds]
    out = [
        "## Error taxonomy",
        "",
        "Counts per entry. The scorer's types need gold; `from_noise` needs the gold's noise "
        "spans; hallucinated values are checked against the article text alone.",
        "",
        "| error type | meaning | " + " | ".join(md_cell(v.label) for v in views) + " |",
        "|---|---|" + "---:|" * len(views),
    ]
    for k in kinds:
        cells = []
        for v in views:
            t = v.taxonomy
            na = (k == "from_noise" and not t.noise_checked) or (k not in ("hallucinated_figure", "hallucinated_date",
                                                                          "from_noise") and not t.scored)  # fmt: skip
            cells.append("n/a" if na else str(t.counts.get(k, 0)))
        out.append(f"| `{k}` | {md_cell(describe(k))} | " + " | ".join(cells) + " |")
    rates = []
    for v in views:
        t = v.taxonomy
        n = t.figures_judged + t.dates_judged
        rates.append("n/a" if t.hallucination_rate is None else
                     f"{t.hallucination_rate:.1%} ({t.hallucinated_figures + t.hallucinated_dates}/{n})")  # fmt: skip
    out.append(
        "| **hallucination rate** | hallucinated / predicted figures and dates judged | " + " | ".join(rates) + " |"
    )
    return [*out, ""]


def _failures_and_cost(ctx: ReportContext) -> list[str]:
    out = ["## Failures", ""]
    kinds = sorted({k for g in ctx.groups for k in g.failures_by_kind})
    out += ["| " + " | ".join(["prompt", "model", "samples", "failed", *kinds]) + " |",
            "|---|---|---:|---:|" + "---:|" * len(kinds)]  # fmt: skip
    for g in ctx.groups:
        cells = [md_cell(g.prompt), md_cell(g.model), str(g.samples), str(g.failed)]
        out.append("| " + " | ".join(cells + [str(g.failures_by_kind.get(k, 0)) for k in kinds]) + " |")
    failed = [s for s in ctx.record.samples if not s.ok]
    if failed:
        out += ["", "Failed samples (first 20):", ""]
        for s in failed[:20]:
            kind, msg = (s.failure.kind, s.failure.message) if s.failure else ("error", "")
            out.append(f"- {md_cell(s.prompt)} · {md_cell(s.model)} · {md_cell(s.article_id)} · repeat {s.repeat}: "
                       f"{code(kind)} {md_cell(msg[:160])}")  # fmt: skip
    out += ["", "## Tokens and latency", "",
            "Per sample (cached answers carry the tokens and latency recorded when they were first answered).", "",
            "| prompt | model | prompt tokens mean / p50 / p95 | completion tokens mean / p50 / p95 | "
            "latency s mean / p50 / p95 | total tokens |", "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for g in ctx.groups:
        pt, ct, lt = g.prompt_tokens_per_sample, g.completion_tokens_per_sample, g.latency_s
        out.append(f"| {md_cell(g.prompt)} | {md_cell(g.model)} | {pt.mean:.0f} / {pt.p50:.0f} / {pt.p95:.0f} | "
                   f"{ct.mean:.0f} / {ct.p50:.0f} / {ct.p95:.0f} | {lt.mean:.2f} / {lt.p50:.2f} / {lt.p95:.2f} | "
                   f"{g.prompt_tokens + g.completion_tokens} |")  # fmt: skip
    return [*out, ""]


def render_markdown(ctx: ReportContext) -> str:
    """The run summary: facts, scores with intervals, per-article table, taxonomy, failures, tokens, latency."""
    lines = [f"# Evaluation run {md_cell(ctx.record.run_id)}", "", *_facts(ctx), ""]
    lines += _scores(ctx) + _taxonomy(ctx) + _failures_and_cost(ctx)
    if ctx.notes:
        lines += ["## Notes", "", *(f"- {md_cell(n)}" for n in ctx.notes), ""]
    return "\n".join(lines)


__all__ = ["EntryView", "ReportContext", "build_entries", "load_sources", "render_markdown", "report_context"]
