"""`harness agree`: two annotations scored by the scorer the models face (issue 14, first done-when point)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from tests.conftest import cli

ROOT = Path(__file__).resolve().parents[1]
A004 = "004_5da99a7ff07c33c6"


def _fields(out: str) -> dict[str, dict]:
    return {f["field"]: f for f in json.loads(out)["fields"]}


def test_the_gold_agrees_with_itself_on_every_field():
    r = cli("agree", "gold", "gold", "--json", "--n-boot", "50")
    assert r.returncode == 0, r.stderr
    for name, f in _fields(r.stdout).items():
        assert (f["precision"], f["recall"], f["f1"], f["f1_reverse"], f["f1_symmetric"]) == (1, 1, 1, 1, 1), name


def test_a_figure_one_annotator_left_out(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(ROOT / "gold" / f"{A004}.yaml", a)
    doc = yaml.safe_load((ROOT / "gold" / f"{A004}.yaml").read_text(encoding="utf-8"))
    (claim,) = [c for c in doc["claims"] if c["id"] == "004-02"]
    assert [f["raw"] for f in claim["figures"]] == ["minimal 20 juta"]
    claim["figures"] = []  # annotator B did not annotate the target figure
    (b / f"{A004}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    r = cli("agree", str(a), str(b), "--json", "--n-boot", "50")
    assert r.returncode == 0, r.stderr
    f = _fields(r.stdout)
    # 004 has 3 gold figures in A; B has 2, both matching A's: COR 2, MIS 1. P = 2/2, R = 2/3,
    # F1 = 2 x 1 x 2/3 / (1 + 2/3) = 0.8; the reverse swaps P and R: 0.8 again.
    assert (f["figures"]["precision"], round(f["figures"]["recall"], 4)) == (1.0, 0.6667)
    assert round(f["figures"]["f1"], 4) == round(f["figures"]["f1_reverse"], 4) == 0.8
    # Dates and speakers are the same: 1.0.
    assert f["dates"]["f1"] == f["attribution"]["f1"] == 1.0
    # Claims: 004-02 holds a figure, a date and a speaker in A, a date and a speaker in B: credit
    # 2 x 2 / (3 + 2) = 0.8; the other three claims 1 each: (3 + 0.8) / 4 = 0.95 for P and R alike.
    assert round(f["claims"]["f1"], 4) == round(f["claims"]["f1_reverse"], 4) == 0.95
    # All or nothing: 3 of 4 claims exact, F1 0.75.
    assert f["claims_exact"]["f1"] == 0.75


def test_annotations_of_different_articles_are_refused(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(ROOT / "gold" / f"{A004}.yaml", a)
    shutil.copy(ROOT / "gold" / "000_5c7c061acdd0991c.yaml", b)
    r = cli("agree", str(a), str(b))
    assert r.returncode == 2 and r.stderr.startswith("error: no article is annotated in both"), r.stderr


def test_the_committed_second_annotation_agrees_as_disagreements_md_says():
    """gold/second/DISAGREEMENTS.md: the blind annotation of 002 and 003 agrees with the gold on every field.
    By hand: A holds 7 + 8 = 15 figures, 3 + 5 = 8 dates, 9 + 9 = 18 attributed claims, 10 + 11 = 21 claims on
    the two articles; B has each of them with the same value, role or speaker and nothing more -> P = R = F1 = 1."""
    r = cli("agree", "gold", "gold/second", "--json", "--n-boot", "50")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["articles"] == ["002_61bc8efce56588cd", "003_c50be10e8d192006"]
    counts = {f: out["a_reference"][f]["counts"] for f in ("figures", "dates", "attribution", "claims")}
    assert {f: c["correct"] for f, c in counts.items()} == {"figures": 15, "dates": 8, "attribution": 18, "claims": 21}
    assert all(c[k] == 0 for c in counts.values() for k in ("partial", "incorrect", "missing", "spurious"))
    for name, f in _fields(r.stdout).items():
        assert (f["f1"], f["f1_reverse"]) == (1, 1), name
