"""`harness gate`: exit 0 on an unchanged run, 1 on a real regression, 2 on a missing or bad baseline."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

from harness.score.gate import regression
from harness.score.vocabulary import REPORTED
from tests.conftest import GOLD, cli, run_cli
from tests.test_report_support import degrade_figures, gold_answers, make_record, write


def _baseline(tmp_path, gold, articles):
    run = write(
        make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="20250101T000000Z-base00"), tmp_path
    )
    path = tmp_path / "baseline.json"
    r = cli("gate", "--write-baseline", str(run), "--baseline", str(path))
    assert r.returncode == 0, r.stderr
    return path


def _table(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] in REPORTED:
            rows[cells[0]] = cells
    return rows


def test_baseline_carries_items_and_provenance(tmp_path, gold, articles):
    b = json.loads(_baseline(tmp_path, gold, articles).read_text(encoding="utf-8"))
    assert b["run_id"] == "20250101T000000Z-base00" and b["prompt"] == "guided" and b["model"] == "m"
    assert b["prompt_sha256"] == "a" * 64 and b["endpoint"] == "http://127.0.0.1:9/v1"
    assert sorted(b["gold_sha256"]) == sorted(p.name for p in GOLD.glob("*.yaml"))
    # item-level outcomes for pairing: every gold figure is one item (28 in the gold), all correct here
    figs = [it for it in b["report"]["items"] if it["field"] == "figures"]
    assert len(figs) == 28 and {it["outcome"] for it in figs} == {"correct"}


def test_unchanged_run_passes(tmp_path, gold, articles):
    base = _baseline(tmp_path, gold, articles)
    run = write(
        make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="20250102T000000Z-same00"), tmp_path
    )
    junit = tmp_path / "junit.xml"
    r = cli("gate", str(run), "--baseline", str(base), "--junit", str(junit))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("# Gate PASS")
    assert all(row[7] == "pass" and row[8] == "F1 unchanged" for row in _table(r.stdout).values())
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("tests") == "7" and suite.get("failures") == "0"
    assert [c.get("name") for c in suite.iter("testcase")] == list(REPORTED)


def test_planted_regression_fails(tmp_path, gold, articles):
    base = _baseline(tmp_path, gold, articles)
    bad = degrade_figures(gold_answers(gold), 20)  # figures F1 1.000 -> 8/28 = 0.286
    run = write(make_record({("guided", "m"): bad}, gold, articles, run_id="20250102T000000Z-regr00"), tmp_path)
    junit = tmp_path / "junit.xml"
    r = run_cli("gate", str(run), "--baseline", str(base), "--junit", str(junit))
    assert r.returncode == 1, r.stdout + r.stderr
    t = _table(r.stdout)
    assert t["figures"][1:4] == ["1.000", "0.286", "-0.714"] and t["figures"][7] == "**FAIL**"
    assert (
        "F1 fell by 0.714, more than 0.05, and the 95% interval" in t["figures"][8]
        and "lies below 0" in t["figures"][8]
    )
    assert t["dates"][7] == "pass" and t["attribution"][7] == "pass"
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["figures"].find("failure") is not None and cases["dates"].find("failure") is None
    assert "lies below 0" in cases["figures"].find("failure").get("message")


def test_a_fall_past_the_threshold_within_noise_passes(tmp_path, gold, articles):
    base = _baseline(tmp_path, gold, articles)
    # Two wrong figures in two articles (one of 000's two, one of 001's eight): F1 26/28, a fall of 2/28 = 0.071,
    # more than 0.05. Resampling within articles draws no wrong figure in both with probability
    # (1/2)^2 x (7/8)^8 = 0.25 x 0.344 = 0.086 > 2.5%, so the interval's upper end is 0: noise can explain it.
    run = write(make_record({("guided", "m"): degrade_figures(gold_answers(gold), 2, per_article=1)}, gold, articles,
                            run_id="20250102T000000Z-noise0"), tmp_path)  # fmt: skip
    r = cli("gate", str(run), "--baseline", str(base))
    assert r.returncode == 0, r.stdout + r.stderr
    t = _table(r.stdout)
    assert t["figures"][3] == "-0.071" and t["figures"][7] == "pass" and "reaches 0: within noise" in t["figures"][8]


def test_newest_run_is_the_default(tmp_path, gold, articles):
    base = _baseline(tmp_path, gold, articles)
    write(make_record({("guided", "m"): degrade_figures(gold_answers(gold), 20)}, gold, articles,
                      run_id="20250103T000000Z-newest"), tmp_path)  # fmt: skip
    r = cli("gate", "--baseline", str(base), "--runs-dir", str(tmp_path / "runs"))
    assert r.returncode == 1 and "20250103T000000Z-newest" in r.stdout


def test_missing_or_bad_baseline_exits_2(tmp_path, gold, articles):
    run = write(make_record({("guided", "m"): gold_answers(gold)}, gold, articles), tmp_path)
    r = cli("gate", str(run), "--baseline", str(tmp_path / "none.json"))
    assert r.returncode == 2 and "cannot read baseline" in r.stderr and "none.json" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"run_id": "x"}', encoding="utf-8")
    r = cli("gate", str(run), "--baseline", str(bad))
    assert r.returncode == 2 and "not a baseline file" in r.stderr
    bad.write_text("not json", encoding="utf-8")
    assert cli("gate", str(run), "--baseline", str(bad)).returncode == 2
    base = _baseline(tmp_path, gold, articles)
    assert cli("gate", str(run), "--baseline", str(base), "--threshold", "1.5").returncode == 2
    assert cli("gate", str(tmp_path / "no-such-run"), "--baseline", str(base)).returncode == 2
    r = cli("gate", str(run), "--baseline", str(base), "--model", "other")
    assert r.returncode == 2 and "has no entry" in r.stderr


def test_baseline_on_other_gold_exits_2(tmp_path, gold, articles):
    base = _baseline(tmp_path, gold, articles)
    other = tmp_path / "gold2"
    shutil.copytree(GOLD, other)
    f = next(other.glob("002_*.yaml"))
    f.write_text(f.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    run = write(make_record({("guided", "m"): gold_answers(gold)}, gold, articles, gold_dir=other), tmp_path)
    r = cli("gate", str(run), "--baseline", str(base))
    assert r.returncode == 2 and "different gold" in r.stderr and f.name in r.stderr


def test_the_rule_at_its_edges():
    # Falls by exactly the threshold: not more than it -> pass, whatever the interval.
    assert regression(-0.05, [-0.08, -0.02], 0.05)[0] is False
    assert regression(-0.0501, [-0.08, -0.02], 0.05)[0] is True
    # An interval that touches 0 is not "entirely below 0".
    assert regression(-0.2, [-0.3, 0.0], 0.05)[0] is False
    assert regression(0.1, [0.05, 0.15], 0.05) == (False, "F1 rose by 0.100")


def test_a_changed_prompt_is_noted(tmp_path, gold, articles):
    base = _baseline(tmp_path, gold, articles)
    record = make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="20250102T000000Z-prompt")
    record.prompts[0].sha256 = "b" * 64
    r = cli("gate", str(write(record, tmp_path)), "--baseline", str(base))
    assert (
        r.returncode == 0
        and "- note: prompt text (sha256) differs from the baseline's (aaaaaaaaaaaa -> bbbbbbbbbbbb)" in r.stdout
    )


def test_closing_line_counts_fields(tmp_path, gold, articles):
    base = _baseline(tmp_path, gold, articles)
    run = write(make_record({("guided", "m"): degrade_figures(gold_answers(gold), 20)}, gold, articles), tmp_path)
    r = cli("gate", str(run), "--baseline", str(base))
    # Dates, attribution and dates_anywhere unchanged; figures and figures_anywhere fell to 8/28; the 20 wrong
    # figures sit in 19 claims: claims_exact 39/39 -> 20/39 = 0.513, and each of those 19 claims loses credit in the
    # graded claims score (a claim with one figure, one date and a speaker earns 2 x 2 / 6 = 0.667 instead of 1), a
    # fall well over 0.05. Four fields fail.
    assert r.returncode == 1 and r.stdout.rstrip().splitlines()[-1] == "gate: 3 passed, 4 failed"
    failed = {f for f, row in _table(r.stdout).items() if row[7] != "pass"}
    assert failed == {"figures", "claims", "claims_exact", "figures_anywhere"}


def test_a_baseline_of_the_bag_of_values_scorer_is_refused(tmp_path, gold, articles):
    # Version 1 baselines hold the old bag-of-values scores (no claims_exact, no *_anywhere): comparing against them
    # would mix two scorers, so the gate says so in one line and exits 2.
    path = _baseline(tmp_path, gold, articles)
    old = json.loads(path.read_text(encoding="utf-8"))
    old["baseline_version"] = 1
    path.write_text(json.dumps(old), encoding="utf-8")
    run = write(
        make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="20250102T000000Z-old000"), tmp_path
    )
    r = run_cli("gate", str(run), "--baseline", str(path))
    assert r.returncode == 2 and "baseline version 1 is not 2" in r.stderr and len(r.stderr.strip().splitlines()) == 1
