"""Run-to-run variance (Miller 2024): the spread of F1 over repeats beside the item-level interval in the run report,
and `harness compare` / `harness gate` using every repeat. Expected values are the arithmetic in the comments."""

from __future__ import annotations

import copy
import math
import re

import numpy as np
import pytest

from harness import records as rec
from harness.report.context import report_context
from harness.report.markdown import render_markdown
from harness.score.repeats import compare_repeated, repeat_fields
from harness.score.stats import paired_compare_repeats
from tests.conftest import ROOT, cli, score_with_texts
from tests.test_compare import rows as compare_rows
from tests.test_report_support import degrade_figures, gold_answers, make_record, write

A004 = "004_5da99a7ff07c33c6"


def drop_one_figure(answers, aid: str = A004):
    """A copy where the first claim of `aid` with a figure loses that figure (a missing gold figure)."""
    out = copy.deepcopy(answers)
    claim = next(c for c in out[aid] if c.figures)
    claim.figures = claim.figures[1:]
    return out


def repeats_record(answers_per_repeat, gold, articles, run_id: str, prompt: str = "guided", model: str = "m"):
    """A run record with one (prompt, model) answered once per repeat, scored per repeat as `harness run` does."""
    parts = [make_record({(prompt, model): ans}, gold, articles, run_id=run_id) for ans in answers_per_repeat]
    record = parts[0].model_copy(deep=True)
    record.samples = [s.model_copy(update={"repeat": r}) for r, p in enumerate(parts) for s in p.samples]
    record.scores = [e.model_copy(update={"repeat": r}) for r, p in enumerate(parts) for e in p.scores]
    record.parameters.repeats = len(parts)
    record.summary.samples = len(record.samples)
    return record


def _flat(answers):
    return [c for cs in answers.values() for c in cs]


@pytest.fixture(scope="module")
def three(gold):
    """Repeat 0 the gold, repeat 1 one figure of 004 left out, repeat 2 two figures wrong (all five articles)."""
    ans = gold_answers(gold)
    return [ans, drop_one_figure(ans), degrade_figures(ans, 2)]


def test_spread_over_repeats_by_hand(gold, three):
    reports = [score_with_texts(gold, _flat(a), n_boot=200) for a in three]
    f = {r.field: r for r in repeat_fields(reports, n_boot=200)}
    # 28 gold figures. Repeat 0: F1 1. Repeat 1: COR 27, MIS 1 -> P 27/27 = 1, R 27/28, F1 2 x 27 / (28 + 27) = 54/55
    # = 0.98182. Repeat 2: COR 26, INC 2 -> P = R = 26/28, F1 13/14 = 0.92857.
    x = [1.0, 54 / 55, 13 / 14]
    assert f["figures"].f1s == pytest.approx(x)
    # mean (1 + 0.98182 + 0.92857) / 3 = 0.97013; sample SD (n - 1 = 2):
    # deviations 0.02987, 0.01169, -0.04156 -> squares 0.000892 + 0.000137 + 0.001727 = 0.002756; / 2 -> sqrt 0.03712
    assert f["figures"].mean == pytest.approx(0.97013, abs=1e-5)
    assert f["figures"].sd == pytest.approx(0.03712, abs=1e-5)
    assert (f["figures"].min, f["figures"].max) == (pytest.approx(13 / 14), 1.0)
    # Items averaged over the repeats: COR (28 + 27 + 26) / 3 = 27, INC 2/3, MIS 1/3; POS 28, ACT 27 2/3:
    # F1 = 2 x 27 / (28 + 27 2/3) = 162/167 = 0.97006 (a ratio of sums, not the mean of ratios 0.97013).
    assert f["figures"].averaged == pytest.approx(162 / 167)
    assert f["figures"].gold_items == 28
    lo, hi = f["figures"].ci
    assert lo <= 162 / 167 <= hi <= 1.0
    # Dates and speakers are the gold's in every repeat: F1 1 each time, SD 0, and every resample is 1.
    for name in ("dates", "attribution"):
        assert (f[name].mean, f[name].sd, f[name].ci) == (1.0, 0.0, [1.0, 1.0])


def test_identical_repeats_have_no_spread(gold, three):
    reports = [score_with_texts(gold, _flat(three[1]), n_boot=200)] * 3
    f = {r.field: r for r in repeat_fields(reports, n_boot=200)}
    # The same answers three times: SD 0, min = max = mean = 54/55, and the averaged items are repeat 1's own.
    assert f["figures"].sd == 0.0 and f["figures"].min == f["figures"].max == pytest.approx(54 / 55)
    assert f["figures"].averaged == pytest.approx(54 / 55)


def _repeats_table(markdown: str) -> dict[str, list[str]]:
    section = markdown.split("### Repeats: model sampling vs item sampling", 1)[1].split("### Per article", 1)[0]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in ("field", "---"):
            out[cells[0]] = cells
    return out


def test_the_run_report_shows_the_spread_beside_the_item_interval(tmp_path, gold, articles, three):
    run = write(repeats_record(three, gold, articles, run_id="R3"), tmp_path)
    r = cli("report", str(run))
    assert r.returncode == 0, r.stderr
    md = (run / "report.md").read_text(encoding="utf-8")
    assert "**guided · m · 3 repeats**" in md
    t = _repeats_table(md)
    # Figures as in test_spread_over_repeats_by_hand: 1, 54/55, 13/14; mean 0.970, SD 0.037, range 0.929-1.000;
    # averaged items 162/167 = 0.970 with its interval; 28 gold figures.
    assert t["figures"][1:5] == ["1.000 / 0.982 / 0.929", "**0.970**", "0.037", "0.929–1.000"]
    assert re.fullmatch(r"\*\*0\.970\*\* \[0\.\d\d, (0\.\d\d|1\.00)\]", t["figures"][5]), t["figures"][5]
    assert t["figures"][6] == "28" and t["dates"][1:4] == ["1.000 / 1.000 / 1.000", "**1.000**", "0.000"]
    html = (run / "report.html").read_text(encoding="utf-8")
    assert 'class="repeats" data-entry="guided · m · 3 repeats"' in html and "0.982" in html


def test_a_one_repeat_report_has_no_repeats_section(tmp_path, gold, articles, three):
    run = write(make_record({("guided", "m"): three[0]}, gold, articles, run_id="R1"), tmp_path)
    assert cli("report", str(run)).returncode == 0
    assert "Repeats" not in (run / "report.md").read_text(encoding="utf-8")
    assert 'class="repeats"' not in (run / "report.html").read_text(encoding="utf-8")


def test_compare_averages_each_side_over_its_repeats(tmp_path, gold, articles, three):
    ans = three[0]
    a = write(repeats_record([ans, drop_one_figure(ans)], gold, articles, run_id="A2"), tmp_path)
    b = write(repeats_record([ans, degrade_figures(ans, 2)], gold, articles, run_id="B2"), tmp_path)
    r = cli("compare", str(a), str(b), "--n-perm", "500")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("mean over 2 repeats") == 2
    t = compare_rows(r.stdout)
    # A: figures COR (28 + 27) / 2 = 27.5, MIS 0.5, ACT 27.5 -> F1 2 x 27.5 / (28 + 27.5) = 110/111 = 0.991.
    # B: COR (28 + 26) / 2 = 27, INC 1, ACT 28 -> F1 27/28 = 0.964. B - A = 27/28 - 110/111 = -83/3108 = -0.027.
    assert t["figures"][1:4] == ["0.991", "0.964", "**-0.027**"]
    assert t["dates"][3] == "**+0.000**"
    # --a-repeat 1 picks A's repeat 1 alone (F1 54/55 = 0.982); B stays the mean over its 2 repeats:
    # B - A = 27/28 - 54/55 = -27/1540 = -0.018.
    one = cli("compare", str(a), str(b), "--a-repeat", "1", "--n-perm", "500")
    assert one.returncode == 0, one.stderr
    assert one.stdout.count("mean over 2 repeats") == 1
    assert compare_rows(one.stdout)["figures"][1:4] == ["0.982", "0.964", "**-0.018**"]


def test_compare_of_a_repeated_run_with_itself_is_no_difference(tmp_path, gold, articles, three):
    run = write(repeats_record(three, gold, articles, run_id="S3"), tmp_path)
    r = cli("compare", str(run), str(run), "--n-perm", "500")
    assert r.returncode == 0, r.stderr
    t = compare_rows(r.stdout)
    # The same three repeats on both sides: every item's averaged row is the same on A and B, B - A = 0 in every
    # field and every resample; the verdict is no difference.
    for f, cells in t.items():
        assert cells[3] == "**+0.000**" and cells[4] == "[+0.000, +0.000]", f
        assert cells[-1] == "not distinguishable on this data", f


def test_the_permutation_deals_answers_not_averages():
    # One article, 10 gold items, five outcomes (+ the "absent" column). A answered each item twice: once correct,
    # once missing; B the same two answers in the other order. Averaged rows are equal (COR 1/2, MIS 1/2), so
    # B - A = 0 and p = 1: dealing the four answers of an item two to each side cannot give a larger |difference|
    # than 0 ... except by chance; p counts |d_perm| >= 0, which is every permutation: p = (1 + 200) / (1 + 200) = 1.
    counts = np.array([[10]])
    row = np.array([[1, 0, 0, 1, 0, 0]])
    r = paired_compare_repeats(counts, row, row, 2, 2, n_boot=50, n_perm=200)
    assert (r["diff"], r["p_value"], r["n_gold"]) == (0.0, 1.0, 10)
    # A: all 10 items correct in both of 2 repeats (F1 1); B: all missing in its 1 repeat (F1 0). Dealing each item's
    # 3 answers (2 correct, 1 missing) at random, 2 to A and 1 to B: B gets the missing one with probability 1/3
    # per item, so |d_perm| = 1 only when all 10 items deal it to B: (1/3)^10 = 1.7e-5; p stays near 1/(1 + n_perm).
    a_row, b_row = np.array([[2, 0, 0, 0, 0, 0]]), np.array([[0, 0, 0, 1, 0, 0]])
    r = paired_compare_repeats(counts, a_row, b_row, 2, 1, n_boot=50, n_perm=200)
    assert r["diff"] == -1.0 and r["p_value"] < 0.02


def test_a_hand_built_pair_of_sides_matches_the_arithmetic(gold, three):
    reports = [score_with_texts(gold, _flat(a), n_boot=100) for a in three]
    rows = {r.field: r for r in compare_repeated(reports[:2], reports[::2], n_boot=100, n_perm=200)}
    # As in the CLI test: A = {gold, one figure left out}, B = {gold, two figures wrong}: 110/111 and 27/28.
    assert rows["figures"].a == pytest.approx(110 / 111) and rows["figures"].b == pytest.approx(27 / 28)
    assert rows["figures"].diff == pytest.approx(-83 / 3108) and rows["figures"].n_gold == 28
    # MDD: p = (110/111 + 27/28) / 2 = 0.978 clamped to 0.9, n = 28 -> 2.80 x sqrt(0.09 / 28) = 0.159.
    assert rows["figures"].mdd == pytest.approx(2.801585 * math.sqrt(0.09 / 28))


def test_gate_uses_every_repeat_and_says_so(tmp_path, gold, articles, three):
    base_run = write(make_record({("guided", "m"): three[0]}, gold, articles, run_id="BASE"), tmp_path)
    baseline = tmp_path / "baseline.json"
    assert cli("gate", str(base_run), "--write-baseline", "--baseline", str(baseline)).returncode == 0
    run = write(repeats_record(three, gold, articles, run_id="G3"), tmp_path)
    r = cli("gate", str(run), "--baseline", str(baseline), "--n-perm", "500")
    assert r.returncode == 0, r.stderr
    assert "run F1: mean over 3 repeats (each item averaged over repeats 0, 1, 2)" in r.stdout
    # figures: the run's averaged items 162/167 = 0.970 against the baseline's 1.000: a fall of 0.030, within 0.05.
    assert "| figures | 1.000 | 0.970 | -0.030 |" in r.stdout
    one = cli("gate", str(run), "--baseline", str(baseline), "--repeat", "2", "--n-perm", "500")
    assert "mean over" not in one.stdout and "| figures | 1.000 | 0.929 | -0.071 |" in one.stdout  # 26/28
    wrote = cli("gate", str(run), "--write-baseline", "--baseline", str(tmp_path / "b3.json"))
    assert wrote.returncode == 0 and "(repeat 0 of 3: a baseline keeps one; --repeat picks)" in wrote.stdout


def test_leaderboard_says_over_how_many_repeats(tmp_path, gold, articles, three):
    run = write(repeats_record(three, gold, articles, run_id="L3"), tmp_path)
    r = cli("leaderboard", str(run))
    assert r.returncode == 0, r.stderr
    header = next(line for line in r.stdout.splitlines() if line.startswith("| \\#"))
    assert "| repeats |" in header
    # figures: mean over the three repeats of 1, 54/55 and 13/14 = 0.970.
    assert "| 1 | guided | m | 3 | " in r.stdout and "| 0.970 |" in r.stdout
    one = write(make_record({("guided", "m"): three[0]}, gold, articles, run_id="L1"), tmp_path)
    assert "| repeats |" not in cli("leaderboard", str(one)).stdout


# ---- the recorded repeats run (real answers of the embedded model, reports/recorded/README.md) -------------------


def test_the_recorded_repeats_replay_offline_with_their_spread(tmp_path):
    args = ["--prompt", "guided", "--article", "000_5c7c061acdd0991c", "--article", A004, "--repeats", "3",
            "--temperature", "0.7"]  # fmt: skip
    r = cli("run", "--offline", *args, "--out", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache"))
    assert r.returncode == 0, r.stderr
    (run,) = (tmp_path / "runs").iterdir()
    record = rec.read_run(run)
    assert record.cache.hits_recorded == 6 and record.cache.requests == 0
    md = (run / "report.md").read_text(encoding="utf-8")
    t = _repeats_table(md)
    assert set(t) >= {"figures", "dates", "attribution", "claims"}
    for name, cells in t.items():
        f1s = [float(x) for x in cells[1].split(" / ")]
        mean = float(cells[2].strip("*"))
        assert len(f1s) == 3 and abs(mean - sum(f1s) / 3) <= 0.0015, name  # each shown to 3 decimals
    # Figures, by the counts reports/recorded/README.md lists: repeats (COR, PAR, INC, MIS, SPU) = (1, 1, 1, 2, 0),
    # (1, 1, 1, 2, 1), (0, 1, 1, 3, 0): F1 = 2 COR / (POS + ACT) = 2/8, 2/9, 0; mean (0.25 + 0.2222 + 0) / 3 = 0.157.
    # Averaged items: COR 2/3, PAR 1, INC 1, MIS 7/3, SPU 1/3 -> POS 5, ACT 3, F1 (4/3) / 8 = 1/6 = 0.167.
    assert t["figures"][1:3] == ["0.250 / 0.222 / 0.000", "**0.157**"]
    assert t["figures"][5].startswith("**0.167** [") and t["figures"][6] == "5"
    # The three answers of each article differ (temperature 0.7, seed + repeat): the repeats do not all score alike.
    assert any(len(set(c[1].split(" / "))) > 1 for c in t.values())
    assert report_context(record) is not None and "Repeats" in render_markdown(report_context(record))
    assert (ROOT / "reports" / "recorded" / "README.md").is_file()
