"""Scores kept by the sha256 of their inputs (harness.run_scores): a re-run on the same gold and answers gets the
same numbers without loading the scoring code; any change of inputs or code scores afresh; a damaged entry is
scored again."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness import run_scores
from harness.run_scores import ScoreMemo
from tests.conftest import ROOT, clean_env


def counting(result: dict) -> tuple[list[int], object]:
    calls = [0]

    def compute() -> dict:
        calls[0] += 1
        return result

    return calls, compute


def test_the_same_inputs_are_scored_once_and_any_change_scores_afresh(tmp_path: Path, monkeypatch) -> None:
    memo = ScoreMemo(tmp_path)
    calls, compute = counting({"f1": 0.5})
    inputs = {"gold": {"000": {"claims": []}}, "preds": [], "seed": 0, "n_boot": 1000}
    assert memo.recall("evaluate", inputs, compute) == {"f1": 0.5}
    assert memo.recall("evaluate", json.loads(json.dumps(inputs)), compute) == {"f1": 0.5}
    assert calls == [1]  # the second time from the kept entry
    memo.recall("evaluate", {**inputs, "seed": 1}, compute)  # another seed
    memo.recall("ceiling", inputs, compute)  # another kind
    assert calls == [3]
    # Another scoring code (any file under score/ or normalize/, or a library's version): scored afresh.
    monkeypatch.setattr(run_scores, "code_fingerprint", lambda: "other code")
    memo.recall("evaluate", inputs, compute)
    assert calls == [4]
    # A damaged entry is scored again and replaced.
    for f in tmp_path.iterdir():
        f.write_text("{not json", encoding="utf-8")
    memo.recall("evaluate", inputs, compute)
    assert calls == [5] and memo.recall("evaluate", inputs, compute) == {"f1": 0.5} and calls == [5]
    # A run that writes no cache (--offline) reads what is kept and writes nothing.
    calls3, compute3 = counting({"f1": 0.25})
    reader = ScoreMemo(tmp_path / "elsewhere", keep=False)
    reader.recall("evaluate", inputs, compute3)
    reader.recall("evaluate", inputs, compute3)
    assert calls3 == [2] and not (tmp_path / "elsewhere").exists()
    assert ScoreMemo(tmp_path, keep=False).recall("evaluate", inputs, compute3) == {"f1": 0.5}
    # No folder (--no-cache): nothing kept, every call computes.
    calls2, compute2 = counting({})
    ScoreMemo(None).recall("evaluate", inputs, compute2)
    ScoreMemo(None).recall("evaluate", inputs, compute2)
    assert calls2 == [2]


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], list[str], list]:
    """The recorded guided answers replayed three times into one cache folder, in fresh processes: the first scores,
    the second reuses; the third, with a gold claim taken out, must score afresh. Not --offline (an offline run
    keeps no scores): the answers are copied into the local cache first."""
    tmp = tmp_path_factory.mktemp("replays")
    gold = tmp / "gold"
    shutil.copytree(ROOT / "gold", gold)
    probe = (  # printed by an atexit handler: the command ends its process itself (os._exit), after running them
        "import atexit, sys, runpy; sys.argv = ['harness'] + sys.argv[1:]\n"
        "atexit.register(lambda: print('loaded:', sorted(m for m in ("
        "'numpy', 'scipy.optimize') if m in sys.modules)))\n"
        "runpy.run_module('harness', run_name='__main__')\n"
    )
    shutil.copytree(ROOT / "reports" / "recorded", tmp / "cache")
    records, loaded, dropped = [], [], []
    for i in range(3):
        if i == 2:  # 004's last gold claim is taken out: the gold changed, the answers did not
            path = gold / "004_5da99a7ff07c33c6.yaml"
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            dropped.extend(data["claims"].pop()["figures"])
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        cmd = [sys.executable, "-c", probe, "run", "--no-recorded", "--gold", str(gold),
               "--cache-dir", str(tmp / "cache"), "--out", str(tmp / f"runs{i}"), "--no-report", "-q"]  # fmt: skip
        r = subprocess.run(cmd, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        path = next(ln.split(": ", 1)[1] for ln in r.stdout.splitlines() if ln.startswith("record: "))
        records.append(json.loads(Path(path).read_text(encoding="utf-8")))
        loaded.append(next(ln for ln in r.stdout.splitlines() if ln.startswith("loaded:")))
    return records, loaded, dropped


def test_a_rerun_gets_the_same_scores_without_loading_the_scoring_code(replays) -> None:
    records, loaded, _ = replays
    assert loaded[0] == "loaded: ['numpy', 'scipy.optimize']" and loaded[1] == "loaded: []"
    assert records[1]["scores"] == records[0]["scores"] and records[0]["scores"][0]["report"]
    assert records[1]["ceiling"] == records[0]["ceiling"] and records[0]["ceiling"] is not None


def test_changed_gold_is_scored_afresh(replays) -> None:
    records, loaded, dropped = replays
    assert loaded[2] == "loaded: ['numpy', 'scipy.optimize']"
    before, after = (rec["scores"][0]["report"]["figures"]["counts"] for rec in records[::2])
    # Every gold figure is correct, partial, incorrect or missing: a claim with k figures fewer in the gold (k > 0)
    # and the same answers, the four add up to k fewer. A kept score of the old gold would not have moved.
    assert dropped and sum(after[k] for k in ("correct", "partial", "incorrect", "missing")) == sum(
        before[k] for k in ("correct", "partial", "incorrect", "missing")
    ) - len(dropped)
