"""The human ceiling beside the model scores (issue 14): a second annotation's agreement with the gold and each
entry's F1 on the same articles, in the run record and in both reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from harness.score.agreement import as_predictions
from harness.score.ceiling import claims_by_entry, human_ceiling
from tests.conftest import _article_texts, cli
from tests.test_report_cli import CHROMIUM, chromium

ROOT = Path(__file__).resolve().parents[1]
A000, A004 = "000_5c7c061acdd0991c", "004_5da99a7ff07c33c6"


def _without_target_figure(doc: dict) -> dict:
    """004 as an annotator who left out 004-02's "minimal 20 juta" would have it."""
    (claim,) = [c for c in doc["claims"] if c["id"] == "004-02"]
    assert [f["raw"] for f in claim["figures"]] == ["minimal 20 juta"]
    claim["figures"] = []
    return doc


def _second(gold: dict) -> dict:
    from harness.schema import GoldArticle

    doc = json.loads(gold[A004].model_dump_json())
    return {A004: GoldArticle.model_validate(_without_target_figure(doc))}


def test_ceiling_on_the_shared_articles_with_each_entry_beside_it(gold):
    texts = _article_texts()
    perfect = as_predictions({A004: gold[A004]})
    only_000 = as_predictions({A000: gold[A000]})
    c = human_ceiling(gold, _second(gold), texts, {"perfect": perfect, "elsewhere": only_000}, "second", n_boot=50)
    assert c is not None and c.articles == [A004]
    f = {x.field: x for x in c.fields}
    # Annotators on 004: A has 3 figures, B 2 of them: P 1, R 2/3, F1 = 2 x 2/3 / (1 + 2/3) = 0.8 (as harness agree).
    assert round(f["figures"].annotators_f1, 4) == 0.8 and f["dates"].annotators_f1 == 1.0
    # The gold of 004 as predictions is perfect on 004 whatever B says: F1 1 on every field.
    assert all(x.entries_f1["perfect"] == 1.0 for x in c.fields)
    # An entry that only answered 000 has nothing on 004: 0 correct of 3 figures, F1 0.
    assert f["figures"].entries_f1["elsewhere"] == 0.0


def test_no_shared_article_no_ceiling(gold):
    assert human_ceiling({A000: gold[A000]}, _second(gold), _article_texts(), {}, "second") is None


def test_entries_are_labelled_as_the_report_labels_them():
    class R:
        def __init__(self, prompt, repeat):
            self.prompt, self.model, self.repeat, self.claims = prompt, "m", repeat, []

    assert list(claims_by_entry([R("p", 0)])) == ["p · m"]
    assert list(claims_by_entry([R("p", 0), R("p", 1)])) == ["p · m · repeat 0", "p · m · repeat 1"]


def _gold_with_second(tmp_path: Path, second_doc: dict | None = None) -> Path:
    g = tmp_path / "gold"
    g.mkdir()
    for p in (ROOT / "gold").glob("*.yaml"):
        shutil.copy(p, g)
    (g / "second").mkdir()
    doc = second_doc or _without_target_figure(yaml.safe_load((ROOT / "gold" / f"{A004}.yaml").read_text("utf-8")))
    (g / "second" / f"{A004}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return g


def test_run_records_and_reports_the_ceiling(tmp_path):
    g = _gold_with_second(tmp_path)
    r = cli("run", "--offline", "--gold", str(g), "--out", str(tmp_path / "runs"), "-q", "--n-boot", "50")
    assert r.returncode == 0, r.stderr
    (run,) = (tmp_path / "runs").glob("*/run.json")
    rec = json.loads(run.read_text())
    c = rec["ceiling"]
    assert c["articles"] == [A004] and c["second"].endswith("gold/second")
    f = {x["field"]: x for x in c["fields"]}
    assert round(f["figures"]["annotators_f1"], 4) == 0.8  # as above: B left out one of 004's 3 figures
    # The model's F1 on 004 alone equals the F1 pooled from the main report's own item counts for 004
    # (2 x correct / (gold + predicted) items of the field in that article, strict).
    (entry,) = rec["scores"]
    items = [it for it in entry["report"]["items"] if it["article_id"] == A004 and it["field"] == "figures"]
    cor = sum(it["outcome"] == "correct" for it in items)
    gold_n = sum(it["outcome"] != "spurious" for it in items)
    pred_n = sum(it["outcome"] != "missing" for it in items)
    label = next(iter(f["figures"]["entries_f1"]))
    expected = 2 * cor / (gold_n + pred_n) if gold_n + pred_n else 0.0
    assert abs(f["figures"]["entries_f1"][label] - expected) < 1e-9
    md = (run.parent / "report.md").read_text()
    assert "### Human ceiling" in md and "| figures | **0.80** [" in md
    if CHROMIUM:  # the page as a browser builds it: the ceiling table, its figures row first
        dom = chromium(tmp_path, "--dump-dom", (run.parent / "report.html").resolve().as_uri()).stdout
        table = dom.split('<table class="ceiling">', 1)[1].split("</table>", 1)[0]
        assert 'data-field="figures"' in table and "0.80" in table.split("</tr>", 2)[1]


def test_no_second_annotation_no_ceiling_section(tmp_path):
    g = tmp_path / "gold"
    g.mkdir()
    for p in (ROOT / "gold").glob("*.yaml"):
        shutil.copy(p, g)
    r = cli("run", "--offline", "--gold", str(g), "--out", str(tmp_path / "runs"), "-q", "--n-boot", "50")
    assert r.returncode == 0, r.stderr
    (run,) = (tmp_path / "runs").glob("*/run.json")
    assert json.loads(run.read_text())["ceiling"] is None
    assert "Human ceiling" not in (run.parent / "report.md").read_text()


def test_a_broken_second_annotation_is_refused_before_anything_runs(tmp_path):
    doc = yaml.safe_load((ROOT / "gold" / f"{A004}.yaml").read_text("utf-8"))
    doc["claims"][0]["evidence"][0]["start"] += 1  # the span no longer sits at its offset
    g = _gold_with_second(tmp_path, doc)
    r = cli("run", "--offline", "--gold", str(g), "--out", str(tmp_path / "runs"), "-q")
    assert r.returncode == 2 and "second" in r.stderr and A004 in r.stderr, r.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
