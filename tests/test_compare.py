"""`harness compare RUN_A RUN_B`: paired comparison on the same gold, the verb as a user calls it (run in this
process by tests/conftest.py `cli`; `harness gate` tests the exit codes of a separate process)."""

from __future__ import annotations

import math
import re
import shutil

from harness.extract.provider import Failure
from harness.score.vocabulary import REPORTED
from tests.conftest import GOLD, cli
from tests.test_report_explore import only_the_explorer_script
from tests.test_report_support import degrade_figures, gold_answers, make_record, write

N_FIGURES = 28  # gold figures: 2 + 8 + 7 + 8 + 3 (the gold files; `harness gold stats`)


def rows(markdown: str) -> dict[str, list[str]]:
    """The comparison table: field -> its cells."""
    out = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] in REPORTED:
            out[cells[0]] = cells
    return out


def test_one_item_apart_is_not_distinguishable(tmp_path, gold, articles):
    a = write(make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="A"), tmp_path)
    b = write(
        make_record({("guided", "m"): degrade_figures(gold_answers(gold), 1)}, gold, articles, run_id="B"), tmp_path
    )
    r = cli("compare", str(a), str(b))
    assert r.returncode == 0, r.stderr
    t = rows(r.stdout)
    # One wrong figure of 28: F1 27/28 = 0.964, B - A = -1/28 = -0.036.
    assert t["figures"][1:4] == ["1.000", "0.964", "**-0.036**"]
    assert all(t[f][-1] == "not distinguishable on this data" for f in t), t
    assert float(t["figures"][6]) > 0.05  # Holm-adjusted p


def test_many_degraded_figures_are_detected(tmp_path, gold, articles):
    a = write(make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="A"), tmp_path)
    b = write(
        make_record({("guided", "m"): degrade_figures(gold_answers(gold), 20)}, gold, articles, run_id="B"), tmp_path
    )
    html = tmp_path / "cmp.html"
    r = cli("compare", str(a), str(b), "--html", str(html))
    assert r.returncode == 0, r.stderr
    t = rows(r.stdout)
    # 20 of 28 figures wrong: F1 8/28 = 0.286, B - A = -20/28 = -0.714.
    assert t["figures"][1:4] == ["1.000", "0.286", "**-0.714**"]
    lo, hi = map(float, re.findall(r"[-+]\d\.\d+", t["figures"][4]))
    assert lo <= -0.714 <= hi < 0
    assert t["figures"][-1] == "A better"
    # MDD = (1.96 + 0.84) x sqrt(p (1 - p) / n), p = (1 + 8/28) / 2 = 0.643, n = 28 -> 2.80 x 0.0906 = 0.254
    p = (1 + 8 / 28) / 2
    assert float(t["figures"][8]) == round(2.801585 * math.sqrt(p * (1 - p) / N_FIGURES), 3)
    assert t["figures"][7] == str(N_FIGURES)
    # Dates and speakers were not touched: no difference, not distinguishable.
    assert t["dates"][3] == "**+0.000**" and t["dates"][-1] == "not distinguishable on this data"
    page = html.read_text(encoding="utf-8")
    assert "A better" in page and "<svg" in page
    # Self-contained: no script but the explorer's (allowed by its hash), no stylesheet link, import or URL fetch;
    # links only to anchors of the page.
    page = only_the_explorer_script(page)
    assert not re.search(r"<script|<link|@import|url\(|(?:src|href)\s*=\s*\"(?!#)", page)


def test_entries_are_picked_by_prompt(tmp_path, gold, articles):
    runs = {("guided", "m"): gold_answers(gold), ("plain", "m"): degrade_figures(gold_answers(gold), 20)}
    run = write(make_record(runs, gold, articles, run_id="PM"), tmp_path)
    r = cli("compare", str(run), str(run), "--a-prompt", "guided", "--b-prompt", "plain")
    assert r.returncode == 0, r.stderr
    assert rows(r.stdout)["figures"][-1] == "A better"
    same = cli("compare", str(run), str(run))  # both default to the first entry: identical
    assert all(c[3] == "**+0.000**" for c in rows(same.stdout).values())
    bad = cli("compare", str(run), str(run), "--b-prompt", "nope")
    assert bad.returncode == 2 and "has no entry prompt=nope" in bad.stderr


def test_refuses_runs_scored_on_different_gold(tmp_path, gold, articles):
    a = write(make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="A"), tmp_path)
    # Fewer articles: one sample failed is still the same articles, but a run on four articles is not.
    four = {k: v for k, v in gold_answers(gold).items() if not k.startswith("004")}
    b = write(make_record({("guided", "m"): four}, gold, articles, run_id="B"), tmp_path)
    r = cli("compare", str(a), str(b))
    assert r.returncode == 2 and "different articles" in r.stderr and "004_5da99a7ff07c33c6" in r.stderr
    # The same articles but an edited gold file (a comment added): the gold hashes differ.
    other = tmp_path / "gold2"
    shutil.copytree(GOLD, other)
    f = next(other.glob("000_*.yaml"))
    f.write_text(f.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    c = write(make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="C", gold_dir=other), tmp_path)
    r = cli("compare", str(a), str(c))
    assert r.returncode == 2 and "different gold" in r.stderr and f.name in r.stderr
    # A failed sample does not change the gold: that comparison runs.
    failed = gold_answers(gold)
    failed["001_ace72b6c210ee1f9"] = Failure(kind="timeout", message="no answer")
    d = write(make_record({("guided", "m"): failed}, gold, articles, run_id="D"), tmp_path)
    assert cli("compare", str(a), str(d)).returncode == 0


def test_a_run_compared_with_itself_differs_by_nothing(gold):
    """The embedded model's recorded answers against themselves: every row pairs with itself — spurious predictions
    included, since both runs made the same ones — so B - A is 0 with interval [0, 0] and p = 1 on every field."""
    import json

    from harness.extract.response import ClaimsAnswer, to_predictions
    from harness.score import evaluate
    from harness.score.compare import compare_reports
    from tests.conftest import ROOT

    preds = []
    for f in sorted((ROOT / "reports" / "recorded").glob("*.json")):
        entry = json.loads(f.read_text(encoding="utf-8"))
        if entry["labels"]["prompt"] == "guided":
            preds += to_predictions(entry["labels"]["article_id"], ClaimsAnswer.model_validate(entry["answer"]))
    report = evaluate(gold, preds, n_boot=200)
    assert report.figures.counts["spurious"] > 0  # the case this pairing is about
    for row in compare_reports(report, report, n_boot=200, n_perm=200):
        assert (row.diff, row.ci, row.p_value) == (0.0, [0.0, 0.0], 1.0), row
        assert row.verdict == "not distinguishable on this data"
