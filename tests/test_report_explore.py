"""The item explorer of report.html and compare.html: its rows are the score report's items, its one inline script
is allowed by its sha256 and nothing else runs or loads, hostile model answers stay text, and in headless Chromium
a filter or a click on a header changes which rows are shown and in what order."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from harness.records import read_run
from harness.report.context import load_sources, report_context
from harness.report.explore import diff_rows, run_explorer
from harness.report.html import render_html
from harness.schema import PredictedClaim
from harness.score.model import ScoreReport
from tests.chromium_cdp import Browser
from tests.conftest import cli
from tests.test_report_cli import CHROMIUM, chromium, needs_chromium
from tests.test_report_support import degrade_figures, gold_answers, make_record, write

A0 = "000_5c7c061acdd0991c"
HOSTILE = '</script><script>alert(1)</script><b>bold</b><img src=x onerror="alert(2)">'
ROWS = "table.explore tbody tr"
VISIBLE = f"document.querySelectorAll('{ROWS}:not([hidden])').length"


def only_the_explorer_script(page: str) -> str:
    """Check the page has exactly one <script>, allowed by the CSP's sha256 of its exact text; the page without it."""
    (body,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert page.count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert policy.endswith(f"; script-src 'sha256-{digest}'") and "unsafe-inline'; img" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1] and "unsafe-eval" not in policy
    return page.replace(f"<script>{body}</script>", "")


def _ctx(record):
    return report_context(record, *load_sources(record))


def _select(b: Browser, key: str, value: str) -> None:
    b.js(f"(() => {{ const s = document.querySelector('select[data-key={key}]'); s.value = {value!r}; "
         "s.dispatchEvent(new Event('change')); })()")  # fmt: skip


def test_rows_are_the_items_with_gold_beside_predicted(gold, articles):
    record = make_record({("guided", "m"): degrade_figures(gold_answers(gold), 3)}, gold, articles)
    ctx = _ctx(record)
    x = run_explorer(ctx)
    report = ctx.entries[0].report
    assert x is not None and len(x.rows) == len(report.items)
    assert Counter((r["field"], r["outcome"]) for r in x.rows) == Counter((i.field, i.outcome) for i in report.items)
    wrong = [r for r in x.rows if r["field"] == "figures" and r["outcome"] == "incorrect"]
    # the three degraded figures: 000's two and 001's first, answered "777"
    assert [(r["article"], r["pred"]["raw"], r["error"]) for r in wrong] == [
        (A0, "777", "wrong_value"), (A0, "777", "wrong_value"), ("001_ace72b6c210ee1f9", "777", "wrong_value")
    ]  # fmt: skip
    first = next(r for r in x.rows if r["gold_claim"] == "000-01" and r["field"] == "figures")
    assert first["gold"]["raw"] == "2 juta" and first["pred_claim"] == 1 and first["credit"] == 0.0
    claim = next(r for r in x.rows if r["gold_claim"] == "000-01" and r["field"] == "claims")
    assert claim["gold"]["raw"] == gold[A0].claims[0].statement  # claims rows show the statements side by side
    filters = {f.key: f for f in x.filters}
    assert list(filters) == ["article", "field", "outcome", "error"]  # one entry: no entry filter
    assert ("incorrect", "wrong", 9) in filters["outcome"].choices  # 3 figures, 3 claims_exact, 3 figures_anywhere


@pytest.fixture
def degraded_page(tmp_path, gold, articles):
    answers = degrade_figures(gold_answers(gold), 3)
    answers[A0].append(PredictedClaim(article_id=A0, text=HOSTILE, evidence=[HOSTILE], figures=[{"raw": HOSTILE}],
                                      speaker=HOSTILE))  # fmt: skip
    page = render_html(_ctx(make_record({("guided", "m"): answers}, gold, articles)))
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_hostile_answer_cannot_leave_its_cell(degraded_page):
    page = degraded_page.read_text(encoding="utf-8")
    rest = only_the_explorer_script(page)
    assert "<script" not in rest and "<img" not in rest and "<b>bold" not in rest
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in rest
    # Without script: the filters stay hidden and every row shows.
    assert '<div class="explore-filters" hidden>' in rest and not re.search(r"<tr data-entry[^>]*hidden", rest)


@needs_chromium
def test_filter_and_sort_in_chromium(tmp_path, degraded_page):
    with Browser(CHROMIUM, tmp_path / "profile") as b:
        b.open(degraded_page.as_uri())
        total = b.js(f"document.querySelectorAll('{ROWS}').length")
        assert total > 200 and b.js(VISIBLE) == total
        assert b.js("document.querySelector('.explore-filters').hidden") is False  # the page's script ran
        _select(b, "outcome", "incorrect")
        assert b.js(VISIBLE) == 9
        _select(b, "field", "figures")
        assert b.js(VISIBLE) == 3
        assert b.js("document.querySelector('.explore-count').textContent") == f"3 of {total} rows shown"
        assert b.js("location.hash") == "#filter=field:figures,outcome:incorrect"
        _select(b, "outcome", "")
        _select(b, "error", "wrong_value")
        assert b.js(VISIBLE) == 3
        b.click("button.explore-reset")  # a real mouse click
        assert b.js(VISIBLE) == total
        # Sort by credit: a click on its header, ascending; another, descending.
        credit = f"[...document.querySelectorAll('{ROWS}')].map(r => r.cells[r.cells.length - 1].textContent)"
        b.click("table.explore thead th:last-child button")
        col = b.js(credit)
        assert col[0] == "0.00" and col[-1] == "" and max(c for c in col if c) == "1.00"
        b.click("table.explore thead th:last-child button")
        col = b.js(credit)
        assert col[0] == "1.00" and col[-1] == ""  # rows without credit (spurious) stay last
        # The hostile answer is shown as text, in a cell of its own, and opened no dialog.
        cells = b.js(f"[...document.querySelectorAll('{ROWS} td.pred-v')].map(c => c.textContent)")
        assert any(HOSTILE in c for c in cells)
        assert b.js("document.scripts.length") == 1
        assert b.js("document.querySelectorAll('img, table.explore b').length") == 0
        assert b.js("window.__csp") == [] and not [e for e in b.events if "Dialog" in e.get("method", "")]


@needs_chromium
def test_the_fragment_preselects_a_filter(tmp_path, degraded_page):
    """report.html#filter=KEY:VALUE,... opens with those filters chosen (a link to a view of the items)."""
    for fragment, n in (("outcome:incorrect", 9), ("field:figures,outcome:incorrect", 3), ("outcome:nonsense", 0)):
        dom = chromium(tmp_path, "--dump-dom", f"{degraded_page.as_uri()}#filter={fragment}")
        assert dom.returncode == 0, dom.stderr[-2000:]
        table = dom.stdout.split('<table class="explore items">')[1].split("</table>")[0]
        rows = re.findall(r"<tr data-entry[^>]*>", table)
        shown = [r for r in rows if " hidden" not in r]
        if n == 0:  # an unknown value chooses nothing: every row shows
            assert len(shown) == len(rows) > 200
        else:
            assert len(shown) == n and all('data-outcome="incorrect"' in r for r in shown)


class _Counting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        _Counting.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@needs_chromium
def test_the_policy_blocks_everything_else(tmp_path, degraded_page):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        with Browser(CHROMIUM, tmp_path / "profile") as b:
            b.open(degraded_page.as_uri())
            got = b.js(f"""(async () => {{
                const add = (tag, attrs, where) => {{ const e = document.createElement(tag);
                    Object.assign(e, attrs); (where || document.body).appendChild(e); }};
                add("img", {{src: "{url}/img"}});
                add("script", {{textContent: "window.__ran = 1"}});
                add("script", {{src: "{url}/js"}});
                add("link", {{rel: "stylesheet", href: "{url}/css"}}, document.head);
                add("iframe", {{src: "{url}/frame"}});
                let fetched = "sent";
                try {{ await fetch("{url}/fetch"); }} catch (e) {{ fetched = "blocked"; }}
                await new Promise(r => setTimeout(r, 500));
                return {{ran: window.__ran === 1, fetched: fetched, csp: window.__csp}};
            }})()""")
            ev = b.events
            asked = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in ev
                     if e.get("method") == "Network.requestWillBeSent"}  # fmt: skip
            failed = {e["params"]["requestId"]: e["params"].get("blockedReason") for e in ev
                      if e.get("method") == "Network.loadingFailed"}  # fmt: skip
    finally:
        srv.shutdown()
    assert got["ran"] is False and got["fetched"] == "blocked"
    blocked = {v.split(" ")[0] for v in got["csp"]}
    assert {"img-src", "script-src-elem", "style-src-elem", "frame-src", "connect-src"} <= blocked, got["csp"]
    # Chromium announces each request, then fails it for the policy before it leaves: the server saw nothing.
    outward = {rid: url for rid, url in asked.items() if not url.startswith(("file:", "data:"))}
    assert outward and all(failed.get(rid) == "csp" for rid in outward), (outward, failed)
    assert _Counting.hits == []


def test_compare_lists_the_items_that_differ(tmp_path, gold, articles):
    a = write(make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="A"), tmp_path)
    answers = degrade_figures(gold_answers(gold), 20)
    answers[A0][0].text = HOSTILE
    answers[A0][0].figures[0] = answers[A0][0].figures[0].model_copy(update={"raw": HOSTILE})
    b = write(make_record({("guided", "m"): answers}, gold, articles, run_id="B"), tmp_path)
    html = tmp_path / "cmp.html"
    r = cli("compare", str(a), str(b), "--html", str(html))
    assert r.returncode == 0, r.stderr
    rest = only_the_explorer_script(html.read_text(encoding="utf-8"))
    assert "<script" not in rest and "<img" not in rest and "&lt;/script&gt;&lt;script&gt;alert(1)" in rest
    ra, rb = (ScoreReport.model_validate(read_run(p).scores[0].report) for p in (a, b))
    rows = diff_rows(ra, rb)
    figs = [r for r in rows if r["field"] == "figures"]
    # 20 figures wrong in B: each was correct in A (credit 1 -> 0)
    assert len(figs) == 20 and all((r["outcome_a"], r["outcome_b"], r["diff"]) == ("correct", "incorrect", -1.0)
                                   for r in figs)  # fmt: skip
    assert not [r for r in rows if r["field"] in ("dates", "attribution")]  # untouched: no row
    if CHROMIUM is None:
        return
    with Browser(CHROMIUM, tmp_path / "profile") as br:
        br.open(html.as_uri())
        total = br.js(f"document.querySelectorAll('{ROWS}').length")
        assert total == len(rows) and br.js(VISIBLE) == total
        _select(br, "field", "figures")
        assert br.js(VISIBLE) == 20
        _select(br, "article", A0)  # 000's two figures
        assert br.js(VISIBLE) == 2
        _select(br, "article", "")
        _select(br, "field", "")
        _select(br, "outcome_b", "incorrect")
        assert br.js(VISIBLE) == sum(r["outcome_b"] == "incorrect" for r in rows)
        _select(br, "error", "wrong_value")  # B's error type, matched among both sides' types
        assert br.js(VISIBLE) == sum("wrong_value" in r["error"].split() and r["outcome_b"] == "incorrect"
                                     for r in rows)  # fmt: skip
        assert br.js("window.__csp") == [] and br.js("document.scripts.length") == 1
