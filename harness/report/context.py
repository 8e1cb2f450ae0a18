"""What every view of a run report is built from, gathered once: the run record, the article texts and the gold it
was scored on (re-read from their recorded sources, checked against the recorded hashes), and per (prompt, model,
repeat) its samples, scores and error taxonomy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from harness.corpus import gold_content_sha256, gold_source_hashes, load_article_source, load_gold
from harness.errors import InputError
from harness.records import RunRecord, ScoreEntry, entry_report
from harness.records.run import SampleResult
from harness.report.groups import GroupStats, group_stats
from harness.schema import Article, GoldArticle, PredictedClaim
from harness.score.model import ScoreReport
from harness.score.taxonomy import Taxonomy, taxonomy


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
    """A run with its sources and entries; `notes` say what could not be re-read or checked."""

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
            was = record.gold.content_sha256
            now = gold_content_sha256(gold) if was is not None else gold_source_hashes(gsrc)
            if now != (was if was is not None else record.gold.sha256):
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
