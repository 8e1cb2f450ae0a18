"""The pytest plugin: loaded through its entry point and light to load; the example test of docs/examples run in an
isolated pytest session (pytester) on a copy of the project's seeds, gold, prompts and recorded answers, offline:
it passes against the committed baseline and fails, naming every field, against a perfect one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
import scipy.optimize  # see below
import scipy.sparse
import scipy.special  # noqa: F401

from harness import records as rec
from harness.score.vocabulary import REPORTED
from tests.conftest import ROOT, own_setting
from tests.test_report_support import gold_answers, make_record

pytest_plugins = ["pytester"]
# pytester's in-process runs forget the modules they imported when they end, and numpy and scipy's compiled parts
# refuse a second import in one process: what the scoring code loads is loaded above, before them (the harness
# itself loads it only when it scores).

EXAMPLE = ROOT / "docs" / "examples" / "test_extraction_quality.py"
DATA = ROOT  # where the user's project below copies its seeds, gold, prompts, recorded answers and baseline from

# The recorded compact run's known scores: reports/baseline.json, which test_run_cli checks the offline replay
# reproduces exactly (strict F1 = 2·correct / (predicted + gold) from the counts it keeps).
KNOWN = json.loads((DATA / "reports" / "baseline.json").read_text(encoding="utf-8"))


def known(field: str, what: str = "f1"):
    return KNOWN["report"][field][what]


@pytest.fixture
def project(pytester, monkeypatch):
    """A user's project in pytester's folder: this project's data, its baseline and the example test, no endpoint."""
    for name in ("seeds", "gold", "prompts", "reports/recorded"):
        shutil.copytree(DATA / name, pytester.path / name)
    shutil.copy(DATA / "reports" / "baseline.json", pytester.path / "reports" / "baseline.json")
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    pytester.makeini("[pytest]\n")
    for var in [v for v in list(os.environ) if own_setting(v)]:
        monkeypatch.delenv(var)
    return pytester


def _perfect_baseline(project, path):
    """A baseline scored on the project's gold itself as the answers: F1 1.0 on every field."""
    from harness.corpus import load_articles, load_gold

    articles = load_articles(project / "seeds")
    gold = load_gold(project / "gold", articles)
    answers = {(KNOWN["prompt"], KNOWN["model"]): gold_answers(gold)}
    record = make_record(answers, gold, articles, run_id="20250101T000000Z-gold00", gold_dir=project / "gold",
                         seeds_dir=project / "seeds")  # fmt: skip
    return rec.write_baseline(rec.make_baseline(rec.side_of(record, record.scores[0])), path)


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if "__pycache__" not in p.parts)


def _gate_rows(lines):
    """The failure message's table: field -> [baseline, current, diff, interval, verdict...] as printed."""
    rows = {}
    for line in lines:
        cells = line.removeprefix("E").split()
        if cells and cells[0] in REPORTED and len(cells) > 5:
            rows[cells[0]] = cells[1:]
    return rows


def test_loaded_through_the_entry_point_and_not_autoused(pytestconfig, request):
    import harness.pytest_plugin

    (ep,) = [e for e in entry_points(group="pytest11") if e.name == "harness"]
    assert ep.value == "harness.pytest_plugin"
    assert pytestconfig.pluginmanager.get_plugin("harness") is harness.pytest_plugin
    assert "harness_eval" not in request.fixturenames  # this test did not ask for it: nothing autoused


def test_loading_the_plugin_imports_no_harness_layer():
    """Every pytest session of this environment loads the plugin: it must not import the pipeline, pydantic, scipy."""
    code = (
        "import sys, harness.pytest_plugin\n"
        "heavy = ('harness.', 'pydantic', 'scipy', 'numpy', 'openai', 'instructor', 'datasets')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy) and m != 'harness.pytest_plugin'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_example_passes_against_the_committed_baseline(project):
    """A fresh pytest process (the plugin from its entry point only) replays the recorded answers: the scores are the
    baseline's, so every field passes; nothing is written in the project."""
    before = _files(project.path)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    (p, r, f1), (lo, hi) = (known("figures", k) for k in ("precision", "recall", "f1")), known("figures", "ci")["f1"]
    assert f"figures: P {p:.3f} R {r:.3f} F1 {f1:.3f} [{lo:.3f}, {hi:.3f}]" in result.stdout.str()
    # the run record went under the inner session's tmp_path (its --basetemp, runpytest-0), nothing else was
    # written (pytester's own: runpytest-*, and the process's stdout and stderr files)
    (record,) = (project.path / "runpytest-0").rglob("run.json")
    assert record.parent.parent.name == "harness-runs"
    pytesters = ("runpytest-", "stdout", "stderr")
    assert [p for p in _files(project.path) if not p.parts[0].startswith(pytesters)] == before


def test_the_example_fails_against_a_perfect_baseline(project):
    """Baseline: the gold as answers (1.0 everywhere). The recorded run falls by 1 - F1 on every field, far beyond
    the 0.05 threshold with the interval below 0: the message lists each field's numbers and names the seven."""
    _perfect_baseline(project.path, project.path / "reports" / "baseline.json")
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    rows = _gate_rows(result.outlines)
    assert set(rows) == set(REPORTED)
    for field in REPORTED:
        f1 = known(field)
        baseline, current, diff, lo, hi, verdict = rows[field][:6]
        assert (baseline, current, diff) == ("1.000", f"{f1:.3f}", f"{f1 - 1:+.3f}"), field
        assert lo.startswith("[-") and hi.startswith("-") and verdict == "FAIL:", field
    result.stdout.fnmatch_lines([
        "*extraction quality fell beyond noise: run * (compact · qwen2.5-coder-1.5b-instruct) against baseline *",
        "*7 of 7 fields regressed: figures, dates, attribution, claims, claims_exact, figures_anywhere, dates_anywhere",
    ])  # fmt: skip


INNER = """
from pathlib import Path

def test_options(harness_eval):
    evaluation = harness_eval()
    assert evaluation.record_path == Path("runs-here").resolve() / evaluation.run_id / "run.json"
    assert evaluation.record_path.is_file() and evaluation.exit_code == 0
    assert evaluation.scores["figures"].f1 == FIGURES_F1
    # --harness-threshold 0.99: every fall is within it (the largest, claims_exact: 1 - 2·1 / (43 + 39) = 0.976)
    result = evaluation.assert_no_regression()
    assert result.passed and result.threshold == 0.99
    assert [f.baseline for f in result.fields] == [1.0] * 7
    assert not evaluation.gate(threshold=0.05).passed

def test_default_out_is_the_tests_tmp_path(harness_eval, tmp_path):
    evaluation = harness_eval()
    assert evaluation.record_path.parent.parent == tmp_path / "harness-runs"
    result = evaluation.assert_no_regression()  # harness_baseline and harness_threshold from the ini file
    assert result.baseline_run == "20250101T000000Z-gold00" and result.threshold == 0.99

def test_a_miss_offline_fails_naming_the_sample(harness_eval):
    harness_eval(model="not-recorded")
"""


def test_options_and_a_readable_miss(project):
    """--harness-baseline, --harness-threshold, --harness-out; the same from the ini file, and the default output
    under tmp_path; a sample with no recorded answer fails the test with the run's one-line error."""
    _perfect_baseline(project.path, project.path / "perfect.json")
    project.makepyfile(test_inner=INNER.replace("FIGURES_F1", repr(known("figures"))))
    args = ("-p", "no:cacheprovider", "--harness-baseline", "perfect.json", "--harness-threshold", "0.99")
    result = project.runpytest(*args, "--harness-out", "runs-here", "test_inner.py::test_options",
                               "test_inner.py::test_a_miss_offline_fails_naming_the_sample")  # fmt: skip
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*harness_eval: --offline: no cached answer for prompt=compact model=not-recorded*"])
    project.makeini("[pytest]\nharness_baseline = perfect.json\nharness_threshold = 0.99\n")
    result = project.runpytest("-p", "no:cacheprovider", "test_inner.py::test_default_out_is_the_tests_tmp_path")
    result.assert_outcomes(passed=1)
    assert not (project.path / "harness-runs").exists() and (project.path / "runs-here").is_dir()
