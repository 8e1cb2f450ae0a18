"""The Markdown summary, the HTML page and the leaderboard, rendered from run records built from the gold."""

from __future__ import annotations

import re

from harness.extract.provider import Failure
from harness.report.charts import bar_chart
from harness.report.context import load_sources, report_context
from harness.report.drilldown import segments
from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.schema import PredictedClaim
from tests.conftest import run_cli
from tests.test_report_explore import only_the_explorer_script
from tests.test_report_support import degrade_figures, gold_answers, make_record, write

A0, A1, A4 = "000_5c7c061acdd0991c", "001_ace72b6c210ee1f9", "004_5da99a7ff07c33c6"


def _ctx(record):
    articles, gold, notes = load_sources(record)
    return report_context(record, articles, gold, notes)


def test_markdown_summary_numbers(gold, articles):
    # Three wrong figures: both of 000's and the first of 001's. COR 25, INC 3 of 28: P = R = F1 = 25/28 = 0.893.
    record = make_record({("guided", "m"): degrade_figures(gold_answers(gold), 3)}, gold, articles)
    md = render_markdown(_ctx(record))
    ci = r"\[\d\.\d\d, \d\.\d\d\]"
    assert re.search(
        rf"\| figures \| 0\.893 {ci} \| 0\.893 {ci} \| \*\*0\.893\*\* {ci} \| 0\.893 \| 25 \| 0 \| 3 \| 0 \| 0 \|", md
    )
    # every date right in every article: each resample is all correct, so the intervals are [1, 1]
    assert "| dates | 1.000 [1.00, 1.00] | 1.000 [1.00, 1.00] | **1.000** [1.00, 1.00] | 1.000 |" in md
    assert f"| {A0} | 0.00 (0/2) |" in md and f"| {A1} | 0.88 (7/8) |" in md  # 001: 7 of 8 -> F1 7/8 = 0.875
    # "777" occurs in no article: 3 hallucinated figures of 28 + 22 values judged = 3/50 = 6.0%
    assert "| `hallucinated_figure` | predicted figure whose value no figure of the article has | 3 |" in md
    assert "6.0% (3/50)" in md
    assert "| `wrong_value` | other value | 3 |" in md
    # tokens: 1000 prompt + 100 completion per sample, latency 1 s; 5 samples -> 5500 tokens in all
    assert "| guided | m | 1000 / 1000 / 1000 | 100 / 100 / 100 | 1.00 / 1.00 / 1.00 | 5500 |" in md


def test_failures_by_kind(gold, articles):
    answers = gold_answers(gold)
    answers[A1] = Failure(kind="schema", message="answer did not fit")
    answers[A4] = Failure(kind="timeout", message="no answer in 300 s")
    md = render_markdown(_ctx(make_record({("guided", "m"): answers}, gold, articles)))
    assert "| prompt | model | samples | failed | schema | timeout |" in md
    assert "| guided | m | 5 | 2 | 1 | 1 |" in md
    assert f"- guided · m · {A4} · repeat 0: `timeout` no answer in 300 s" in md


def test_untrusted_text_is_escaped(gold, articles):
    answers = gold_answers(gold)
    answers[A0].append(PredictedClaim(
        article_id=A0, text="<script>alert(1)</script>", evidence=['"><img src=x onerror=alert(1)>'],
        figures=[{"raw": "<b>3,8 juta</b>"}], speaker="</td><td>Odo",
    ))  # fmt: skip
    answers[A1] = Failure(kind="malformed", message="<iframe src=//evil>")
    record = make_record({("guided", "m|<i>x</i>"): answers}, gold, articles)
    page = only_the_explorer_script(render_html(_ctx(record)))
    assert "<script" not in page and "<img" not in page and "<iframe" not in page and "<b>3,8" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;/td&gt;&lt;td&gt;Odo" in page
    assert "&lt;iframe src=//evil&gt;" in page
    md = render_markdown(_ctx(record))
    # In tables "<" is escaped; inside inline code spans (shown literally by Markdown) text stays as it is.
    outside_code = re.sub(r"`[^`]*`", "", md)
    assert "m\\|&lt;i>x&lt;/i>" in md and "<i>" not in outside_code and "<iframe" not in outside_code


def test_html_is_self_contained(gold, articles):
    page = render_html(_ctx(make_record({("guided", "m"): gold_answers(gold)}, gold, articles)))
    assert "default-src 'none'" in page
    page = only_the_explorer_script(page)  # the one script, allowed by its hash; nothing else runs or loads
    assert not re.search(r"<script|<link|@import|url\(|(?:src|href)\s*=\s*\"(?!#)", page)
    assert page.count("<svg") == 1  # one F1 chart for the one entry


def test_segments_split_overlapping_highlights():
    text = "abcdefghij"
    pieces = segments(text, [(2, 6, "gold", "gold 1"), (4, 8, "pred", "predicted #1")])
    assert [(p["text"], p["cls"]) for p in pieces] == [
        ("ab", ""),
        ("cd", "gold"),
        ("ef", "gold pred"),
        ("gh", "pred"),
        ("ij", ""),
    ]
    assert "".join(p["text"] for p in pieces) == text


def test_bar_chart_geometry():
    c = bar_chart([("figures", 0.75, [0.5, 1.0])], width=300, label_w=110)
    (row,) = c["rows"]
    # bar 0.75 x 300 = 225 px; whisker from 110 + 0.5 x 300 = 260 to 110 + 300 = 410
    assert (row["w"], row["lo"], row["hi"]) == (225.0, 260.0, 410.0)


def test_leaderboard_cli(tmp_path, gold, articles):
    runs = {("guided", "m1"): gold_answers(gold), ("plain", "m2"): degrade_figures(gold_answers(gold), 20)}
    run = write(make_record(runs, gold, articles, run_id="LB"), tmp_path)
    prices = tmp_path / "prices.json"
    prices.write_text('{"m1": {"prompt": 0.15, "completion": 0.60}}', encoding="utf-8")
    r = run_cli("leaderboard", str(run), "--prices", str(prices))
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if re.match(r"\| \d ", line)]
    # 5 samples x (1000 prompt + 100 completion) tokens: 5000 x 0.15 / 1e6 + 500 x 0.60 / 1e6 = 0.00105 USD.
    assert rows[0] == "| 1 | guided | m1 |" + " 1.000 |" * 7 + " 0/5 | 5000 | 500 | 1.00 | 0.001050 |"
    assert rows[1].startswith("| 2 | plain | m2 | 0.286 |") and rows[1].endswith("| n/a |")  # no price for m2
    prices.write_text('{"m1": {"prompt": "cheap"}}', encoding="utf-8")
    bad = run_cli("leaderboard", str(run), "--prices", str(prices))
    assert bad.returncode == 2 and "prices.json" in bad.stderr and "m1" in bad.stderr
    assert run_cli("leaderboard", str(run), "--sort", "nope").returncode == 2


def test_drilldown_marks_every_slot(gold, articles):
    from harness.report.drilldown import drilldown

    answers = gold_answers(gold)
    c = answers[A0][1]  # 000-02: "3,8 juta", answered "38 juta" -> partial, scale_flip
    c.figures[0] = c.figures[0].model_copy(update={"raw": "38 juta"})
    c.evidence = [c.evidence[0], "kalimat yang tidak ada di artikel"]  # one real quote, one found nowhere
    answers[A0][2].speaker = "Sindonews"  # 000-03: the addressee as speaker -> wrong, outlet_as_speaker
    ctx = _ctx(make_record({("guided", "m"): answers}, gold, articles))
    d = drilldown(ctx.entries[0], A0, ctx)
    gold_rows = {g["id"]: g for g in d["gold_rows"]}
    assert gold_rows["000-02"]["figures"][0] | {"hallucinated": None} == {
        "raw": "3,8 juta",
        "outcome": "partial",
        "error": "scale_flip",
        "hallucinated": None,
    }
    assert gold_rows["000-01"]["figures"][0]["outcome"] == "correct"
    assert (gold_rows["000-03"]["attribution"]["outcome"], gold_rows["000-03"]["attribution"]["error"]) == (
        "incorrect",
        "outlet_as_speaker",
    )
    pred = d["pred_rows"][1]
    # 38 000 000 is a value no figure of 000 has (its figures: 3 800 000 and 2 000 000): hallucinated
    assert pred["figures"][0]["outcome"] == "partial" and pred["figures"][0]["hallucinated"] is True
    assert pred["evidence"][1] == {"text": "kalimat yang tidak ada di artikel", "found": False}
    assert pred["evidence"][0]["found"] is True
    assert d["pred_rows"][2]["attribution"]["error"] == "outlet_as_speaker"
    assert [p["claim"]["gold"] for p in d["pred_rows"]] == ["000-01", "000-02", "000-03", "000-04", "000-05"]
    # The first gold evidence span of 000-01 starts at offset 233 (gold/000_*.yaml) and is highlighted there.
    pos = 0
    for piece in d["segments"]:
        if pos <= 233 < pos + len(piece["text"]):
            assert "gold" in piece["cls"] and "gold 000-01" in piece["title"]
        pos += len(piece["text"])
    assert pos == len(articles[A0].text)
