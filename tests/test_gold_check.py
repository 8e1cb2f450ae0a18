"""`harness gold check|stats|export` on the real gold and on each kind of bad input (exit 2, one line, file:line)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import GOLD, SEEDS, cli, run_cli

ARTICLE = "001_ace72b6c210ee1f9"


def test_real_gold_passes_check():
    r = run_cli("gold", "check")
    assert r.returncode == 0, r.stderr
    assert "gold ok: 5 articles" in r.stdout


def test_every_article_has_gold_and_every_gold_claim_has_a_source(gold, articles):
    assert set(gold) == set(articles)
    for g in gold.values():
        assert g.claims, g.article_id


def test_stats_lists_each_article():
    r = cli("gold", "stats")
    assert r.returncode == 0, r.stderr
    for stem in (p.stem for p in SEEDS.glob("*.txt")):
        assert stem in r.stdout


def _copy_gold(tmp_path: Path) -> Path:
    out = tmp_path / "gold"
    shutil.copytree(GOLD, out)
    return out


def _break(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    folder = _copy_gold(tmp_path)
    path = folder / f"{ARTICLE}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in the gold file"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return folder


def _line_of(folder: Path, needle: str) -> int:
    lines = (folder / f"{ARTICLE}.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def _assert_input_error(folder: Path, expect_line: int | None, *words: str) -> str:
    r = cli("gold", "check", "--gold", str(folder))
    assert r.returncode == 2, (r.stdout, r.stderr)
    msg = r.stderr.strip()
    assert len(msg.splitlines()) == 1, msg
    assert f"{ARTICLE}.yaml" in msg
    if expect_line is not None:
        assert f".yaml:{expect_line}:" in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


def test_invalid_yaml(tmp_path):
    folder = _break(tmp_path, "claims:\n", "claims:\n  - id: [unclosed\n")
    _assert_input_error(folder, None, "invalid YAML")


def test_missing_required_field(tmp_path):
    folder = _break(tmp_path, "    statement:", "    statment:")
    _assert_input_error(folder, _line_of(folder, "statment:") - 1, "missing required field")


def test_unknown_article_id(tmp_path):
    folder = _break(tmp_path, f"article_id: {ARTICLE}", "article_id: 999_nosuch")
    _assert_input_error(folder, _line_of(folder, "article_id: 999_nosuch"), "unknown article id")


def test_evidence_not_in_article(tmp_path):
    folder = _break(
        tmp_path,
        "menyampaikan optimistis untuk mencapai target 30 juta",
        "menyampaikan optimistis untuk mencapai target 31 juta",
    )
    _assert_input_error(folder, None, "evidence", "not in the article")


def test_raw_figure_not_inside_evidence(tmp_path):
    folder = _break(tmp_path, 'raw: "30 juta"', 'raw: "31 juta"')
    _assert_input_error(folder, _line_of(folder, 'raw: "31 juta"'), "not inside its evidence")


def test_duplicate_claim_id(tmp_path):
    folder = _break(tmp_path, 'id: "001-02"', 'id: "001-01"')
    _assert_input_error(folder, None, "duplicate claim id", "001-01")


def test_not_utf8(tmp_path):
    folder = _copy_gold(tmp_path)
    path = folder / f"{ARTICLE}.yaml"
    data = path.read_bytes()
    lines = data.split(b"\n")
    lines[4] = lines[4] + b" \xff\xfe"
    path.write_bytes(b"\n".join(lines))
    _assert_input_error(folder, 5, "not UTF-8")


def test_export_with_bad_gold_writes_nothing(tmp_path):
    folder = _break(tmp_path, 'id: "001-02"', 'id: "001-01"')
    out = tmp_path / "export"
    r = cli("gold", "export", "--out", str(out), "--gold", str(folder))
    assert r.returncode == 2
    assert not out.exists()


def test_export_round_trips_through_datasets(tmp_path, gold):
    from datasets import load_from_disk

    out = tmp_path / "ds"
    r = cli("gold", "export", "--out", str(out))
    assert r.returncode == 0, r.stderr
    ds = load_from_disk(str(out))
    claims, arts = ds["claims"], ds["articles"]
    for col in ("article_id", "claim_id", "text", "evidence", "figures", "dates", "speaker"):
        assert col in claims.column_names
    assert {"article_id", "text", "sha256"} <= set(arts.column_names)
    assert len(claims) == sum(len(g.claims) for g in gold.values())
    assert len(arts) == 5
    row = next(r for r in claims if r["claim_id"] == gold[ARTICLE].claims[0].id)
    first = gold[ARTICLE].claims[0]
    assert row["speaker"] == first.speaker
    assert [f["raw"] for f in row["figures"]] == [f.raw for f in first.figures]
    assert {"raw", "value", "unit", "approx"} <= set(row["figures"][0]) if row["figures"] else True
    assert [d["value"] for d in row["dates"]] == [d.value for d in first.dates]
