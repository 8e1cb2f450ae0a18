"""`harness report RUN` end to end: runs made with `harness run` against the loopback fake server (with gold, with a
failed sample, without gold), the reports written, and the HTML rendered by headless Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import SEEDS, cli, endpoint_env
from tests.fake_openai_server import FakeOpenAIServer

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is missing (`make test` installs it)")
# One name per article that occurs in that article only: the fake server picks its canned answer by it.
MARKERS = {"000": "Odo Manuhutu", "001": "Rudy Salahuddin", "002": "Lies Zeny", "003": "Johnny G. Plate",
           "004": "Eks gubernur DKI"}  # fmt: skip


def answers_from_gold(gold) -> dict:
    """The gold claims as the model's JSON answer (text, raw figures and dates, speaker, first evidence as quote)."""
    out = {}
    for aid, g in gold.items():
        claims = [{"text": c.statement, "figures": [f.raw for f in c.figures], "dates": [d.raw for d in c.dates],
                   "speaker": c.speaker, "quote": c.evidence[0].text} for c in g.claims]  # fmt: skip
        out[MARKERS[aid[:3]]] = {"claims": claims}
    return out


def harness(tmp_path: Path, srv: FakeOpenAIServer, *args: str) -> subprocess.CompletedProcess:
    """`harness ARGS` against the fake endpoint, in this process (tests/conftest.py `cli`)."""
    extra: list[str] = []
    if args[0] == "run":
        extra = ["--cache-dir", str(tmp_path / "cache"), "--recorded", str(tmp_path / "none"),
                 "--out", str(tmp_path / "runs"), "--n-boot", "200", "--max-attempts", "1", "--max-retries", "0",
                 "-q"]  # fmt: skip
    return cli(*args, *extra, env=endpoint_env(srv.base_url, "sk-test"))


def run_folder(out: str) -> Path:
    return Path(next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("record: "))).parent


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


class Tables(HTMLParser):
    """Every <table> of a DOM by its class: a list of rows, each a list of cell texts; and the <mark> classes."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.marks: list[str] = []
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._rows = []
            self.tables.setdefault(a.get("class") or "", []).append(self._rows)
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
        elif tag == "mark":
            self.marks.append(a.get("class") or "")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def rows_by_first(table: list[list[str]]) -> dict[str, list[str]]:
    return {r[0]: r for r in table if r}


@pytest.fixture
def gold_run(tmp_path, gold):
    """`harness run` on the five articles: four answered with their gold claims, 004 failing with HTTP 500."""
    with FakeOpenAIServer(answers_from_gold(gold)) as srv:
        srv.add_faults("500", marker=MARKERS["004"])
        r = harness(tmp_path, srv, "run", "--prompt", "guided", "--model", "fake-model")
    assert r.returncode == 0, r.stderr
    return run_folder(r.stdout)


@needs_chromium
def test_report_of_a_run_with_gold_and_a_failed_sample(tmp_path, gold_run):
    r = cli("report", str(gold_run))
    assert r.returncode == 0, r.stderr
    md, html = gold_run / "report.md", gold_run / "report.html"
    assert md.is_file() and html.is_file()
    text = md.read_text(encoding="utf-8")
    # 004 failed, so its 3 of the 28 gold figures are missing and nothing is spurious:
    # P = 25/25 = 1, R = 25/28 = 0.893, F1 = 2PR/(P+R) = 50/53 = 0.943.
    assert re.search(r"\| figures \| 1\.000 \[1\.00, 1\.00\] \| 0\.893 \[[\d.]+, [\d.]+\] \| \*\*0\.943\*\* ", text)
    assert "| guided | fake-model | 5 | 1 | 1 |" in text  # failures: 5 samples, 1 failed, 1 http_status

    dom = chromium(tmp_path, "--dump-dom", html.resolve().as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    t = Tables(dom.stdout)
    scores = rows_by_first(t.tables["scores"][0])
    assert [c.split(" ")[0] for c in scores["figures"][1:4]] == ["1.000", "0.893", "0.943"]
    assert scores["figures"][1] == "1.000 [1.00, 1.00]"  # nothing spurious in any resample
    # dates: 004's 4 of 22 missing -> R = 18/22 = 0.818, F1 = 36/40 = 0.900
    assert [c.split(" ")[0] for c in scores["dates"][1:4]] == ["1.000", "0.818", "0.900"]
    assert scores["figures"][5:10] == ["25", "0", "0", "3", "0"]  # correct, partial, wrong, missing, spurious
    per_article = rows_by_first(t.tables["per-article"][0])
    assert per_article["004_5da99a7ff07c33c6"][1] == "0.00" and per_article["003_c50be10e8d192006"][1] == "1.00"
    failures = rows_by_first(t.tables["failures"][0])
    assert failures["guided"][2:5] == ["5", "1", "1"] and "http_status" in t.tables["failures"][0][0]
    assert t.tables["failed-samples"][0][1][2] == "004_5da99a7ff07c33c6"
    taxonomy = rows_by_first(t.tables["taxonomy"][0])
    # 25 figures and 18 dates predicted (the gold's raws, all in the articles): 0 of 43 hallucinated
    assert taxonomy["hallucination rate"][2] == "0.0% (0/43)"
    assert taxonomy["scale_flip"][2] == "0" and taxonomy["from_noise"][2] == "0"
    cost = rows_by_first(t.tables["cost"][0])
    assert cost["guided"][1] == "fake-model"
    # The drill-down shows gold evidence and the predicted quotes in the text, noise struck through, and the
    # outcome of every gold claim: 4 articles x their claims correct, 004's 4 claims missing.
    assert {"gold pred", "noise"} <= set(t.marks)
    outcomes = [r[-1].split(" ")[0] for tbl in t.tables["gold-claims"] for r in tbl[1:]]
    assert outcomes.count("missing") == 4 and outcomes.count("correct") == 39 - 4
    assert "Sample failed: <code>http_status</code>" in dom.stdout

    shot = tmp_path / "report.png"
    s = chromium(
        tmp_path, "--hide-scrollbars", "--window-size=1280,1800", f"--screenshot={shot}", html.resolve().as_uri()
    )
    assert s.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", shot.read_bytes()[16:24]) == (1280, 1800)
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one


@needs_chromium
def test_report_of_a_run_without_gold(tmp_path):
    arts = tmp_path / "articles"
    arts.mkdir()
    for stem in ("000_5c7c061acdd0991c", "004_5da99a7ff07c33c6"):
        shutil.copy(SEEDS / f"{stem}.txt", arts / f"{stem}.txt")
    answers = {
        # "3,8 juta" is in 000; "5,2 juta" is not (000's figures are 3,8 juta and 2 juta).
        MARKERS["000"]: {"claims": [{"text": "UMKM", "figures": ["3,8 juta", "5,2 juta"], "speaker": "Odo"}]},
        # "minimal 20 juta" and "2022 ini" are in 004; "Maret 2019": neither the text nor the year 2019 is.
        MARKERS["004"]: {
            "claims": [{"text": "target", "figures": ["minimal 20 juta"], "dates": ["2022 ini", "Maret 2019"]}]
        },
    }
    with FakeOpenAIServer(answers) as srv:
        r = harness(tmp_path, srv, "run", "--prompt", "guided", "--model", "fake-model", "--articles", str(arts))
    assert r.returncode == 0, r.stderr
    folder = run_folder(r.stdout)
    out = tmp_path / "report"
    rep = cli("report", str(folder), "--out", str(out))
    assert rep.returncode == 0, rep.stderr
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "No scores: the run has no gold" in text
    # judged: 3 figures + 2 dates = 5; hallucinated: "5,2 juta" and "Maret 2019" = 2 -> 40.0%
    assert "| **hallucination rate** | hallucinated / predicted figures and dates judged | 40.0% (2/5) |" in text
    assert "| `from_noise` | claim or value taken from scraped noise (links, captions, ads, datelines) | n/a |" in text
    dom = chromium(tmp_path, "--dump-dom", (out / "report.html").resolve().as_uri())
    t = Tables(dom.stdout)
    assert "scores" not in t.tables
    assert rows_by_first(t.tables["taxonomy"][0])["hallucination rate"][2] == "40.0% (2/5)"
    flags = [r for tbl in t.tables["pred-claims"] for r in tbl[1:]]
    assert sum(r[2].count("hallucinated") for r in flags) == 1 and sum(r[3].count("hallucinated") for r in flags) == 1


def test_report_of_a_missing_run_exits_2(tmp_path):
    r = cli("report", str(tmp_path / "nope"))
    assert r.returncode == 2 and "no such run" in r.stderr
