"""The gold as `datasets` data (`harness gold export` folder, JSON Lines, JSON array, Parquet) read back as the gold
of the YAML files: the same GoldArticle objects, the same scores from `harness run --offline`, runs that pair in
`harness compare`, and every bad row refused with one line naming the file and the row (exit 2, before any request)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import GOLD, SEEDS, cli, run_cli

FORMS = {"disk": "export", "json": "gold.jsonl", "parquet": "gold.parquet"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    """The project's gold exported once in each form by `harness gold export --format`."""
    base = tmp_path_factory.mktemp("exported")
    out = {}
    for fmt, name in FORMS.items():
        r = cli("gold", "export", "--format", fmt, "--out", str(base / name))
        assert r.returncode == 0, r.stderr
        out[fmt] = base / name
    return out


def _run(tmp_path: Path, name: str, *args: str) -> dict:
    """`harness run --offline` (the recorded answers of the five seeds, guided prompt) with its own output folders;
    the run record it wrote."""
    r = cli("run", "--offline", "-q", "--no-report", "--cache-dir", str(tmp_path / "cache"), "--out",
            str(tmp_path / name), "--n-boot", "200", *args)  # fmt: skip
    assert r.returncode == 0, r.stderr
    (run,) = (tmp_path / name).iterdir()
    return json.loads((run / "run.json").read_text(encoding="utf-8"))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _refused(args: list[str], *words: str) -> str:
    r = cli(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    line = r.stderr.strip()
    assert len(line.splitlines()) == 1, line
    for w in words:
        assert w in line, line
    return line


# ---------------------------------------------------------------- the same gold


@pytest.mark.parametrize("fmt", list(FORMS))
def test_every_form_reads_back_as_the_yaml_gold(exported, fmt, gold, articles):
    from harness.corpus import gold_content_sha256, load_article_source, load_gold

    again = load_gold(exported[fmt], articles)
    assert again == gold  # every GoldArticle equal, field by field (speakers, noise, published included)
    assert [c.id for c in again[next(iter(gold))].claims] == [c.id for c in gold[next(iter(gold))].claims]
    assert gold_content_sha256(again) == gold_content_sha256(gold)
    assert load_article_source(exported[fmt]) == articles  # the export carries the texts: usable as --articles


def test_a_json_array_file_reads_as_its_json_lines(exported, tmp_path, gold, articles):
    from harness.corpus import load_gold

    array = tmp_path / "gold.json"
    array.write_text(json.dumps(_rows(exported["json"]), ensure_ascii=False), encoding="utf-8")
    assert load_gold(array, articles) == gold


def test_json_strings_stay_strings(exported, tmp_path, gold, articles):
    """A JSON file's values are read as JSON, not by Arrow's inference: "2024" and "2023-12-04" stay strings."""
    from harness.corpus import load_gold

    rows = _rows(exported["json"])
    for row, published in zip(rows, ["2024", "2023-12-04", None, "2020-10", "true"], strict=True):
        row["published"] = published
    again = load_gold(_write_rows(tmp_path / "gold.jsonl", rows), articles)
    assert [g.published for g in again.values()] == ["2024", "2023-12-04", None, "2020-10", "true"]
    assert [g.model_copy(update={"published": None}) for g in again.values()] == [
        g.model_copy(update={"published": None}) for g in gold.values()
    ]


def test_content_hash_ignores_the_file_and_sees_the_gold(tmp_path, gold):
    from harness.corpus import gold_content_sha256

    aid = next(iter(gold))
    edited = {**gold, aid: gold[aid].model_copy(update={"published": "1999"})}
    before, after = gold_content_sha256(gold), gold_content_sha256(edited)
    assert [a for a in before if before[a] != after[a]] == [aid]


def test_offline_run_scores_are_the_yaml_golds(exported, tmp_path):
    yaml_run = _run(tmp_path, "yaml", "--gold", str(GOLD))
    assert yaml_run["scores"] and yaml_run["scores"][0]["report"]
    for fmt, path in exported.items():
        run = _run(tmp_path, fmt, "--gold", str(path))
        assert run["scores"] == yaml_run["scores"], fmt
        assert run["gold"]["content_sha256"] == yaml_run["gold"]["content_sha256"], fmt
        assert run["gold"]["sha256"] != yaml_run["gold"]["sha256"], fmt  # the files read are other files
        assert run["gold"]["source"] == path.as_posix()
    # the export as both the articles and the gold: the same texts, so the same recorded answers and scores
    both = _run(tmp_path, "both", "--articles", str(exported["parquet"]), "--gold", str(exported["parquet"]))
    assert both["scores"] == yaml_run["scores"]
    assert both["articles"]["sha256"] == yaml_run["articles"]["sha256"]


def test_runs_on_a_yaml_gold_and_its_export_pair_in_compare(exported, tmp_path):
    _run(tmp_path, "a", "--gold", str(GOLD))
    _run(tmp_path, "b", "--gold", str(exported["json"]))
    (a,), (b,) = (tmp_path / "a").iterdir(), (tmp_path / "b").iterdir()
    r = cli("compare", str(a), str(b), "--n-boot", "100")
    assert r.returncode == 0, r.stderr
    # the same files, other content: a gold edited in one claim's statement no longer pairs
    rows = _rows(exported["json"])
    rows[0]["claims"][0]["text"] += " (edited)"
    _run(tmp_path, "c", "--gold", str(_write_rows(tmp_path / "edited.jsonl", rows)))
    (c,) = (tmp_path / "c").iterdir()
    _refused(["compare", str(a), str(c), "--n-boot", "100"], "different gold")


def test_a_baseline_without_content_hashes_still_pairs_by_files(tmp_path):
    """A baseline written before the content hashes pairs by its gold files as it did; with them, by content."""
    from harness.records import make_baseline, read_run, select_entry, side_of
    from harness.records.sides import gold_mismatch

    _run(tmp_path, "yaml", "--gold", str(GOLD))
    (run,) = (tmp_path / "yaml").iterdir()
    side = side_of(read_run(run), select_entry(read_run(run)))
    assert side.gold_content is not None
    old = make_baseline(side).model_copy(update={"gold_content": None})
    assert gold_mismatch(old, side) is None  # the same files
    other_files = old.model_copy(update={"gold_sha256": {"gold.jsonl": "0" * 64}})
    assert "different gold" in (gold_mismatch(other_files, side) or "")
    with_content = other_files.model_copy(update={"gold_content": side.gold_content})
    assert gold_mismatch(with_content, side) is None  # other files, the same gold


# ---------------------------------------------------------------- every verb that takes gold


def test_gold_verbs_take_every_form(exported):
    for path in exported.values():
        r = cli("gold", "check", "--gold", str(path))
        assert r.returncode == 0 and "gold ok: 5 articles" in r.stdout, r.stderr
        r = cli("gold", "stats", "--gold", str(path))
        assert r.returncode == 0 and "total" in r.stdout, r.stderr
    r = cli("agree", str(GOLD), str(exported["parquet"]), "--n-boot", "50", "--json")
    assert r.returncode == 0, r.stderr
    assert {f["f1_symmetric"] for f in json.loads(r.stdout)["fields"]} == {1.0}


def test_export_round_trips_from_the_export(exported, tmp_path):
    out = tmp_path / "again.jsonl"
    r = cli("gold", "export", "--format", "json", "--out", str(out), "--gold", str(exported["parquet"]),
            "--seeds", str(exported["disk"]))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == exported["json"].read_bytes()


def test_export_refuses_a_file_of_another_format(tmp_path):
    _refused(["gold", "export", "--format", "parquet", "--out", str(tmp_path / "g.json")], "--format parquet")
    _refused(["gold", "export", "--format", "csv", "--out", str(tmp_path / "g.csv")], "--format 'csv'")
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- bad rows, named


def test_a_corrupted_row_of_a_json_file_is_named_by_file_and_row(exported, tmp_path):
    rows = _rows(exported["json"])
    claim = rows[2]["claims"][1]
    claim["evidence_start"][0] += 1
    bad = _write_rows(tmp_path / "bad.jsonl", rows)
    line = _refused(["gold", "check", "--gold", str(bad)], f"{bad}:3:", f"claim {claim['claim_id']}", "offset")
    assert line.startswith("error: ")
    # the same refusal from `harness run`, before anything is asked or written
    _refused(["run", "--offline", "--gold", str(bad), "--out", str(tmp_path / "runs"), "--cache-dir",
              str(tmp_path / "cache")], f"{bad}:3:")  # fmt: skip
    assert not (tmp_path / "runs").exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda r: r.update(sha256="0" * 64), ("sha256 does not match",)),
        (lambda r: r["claims"][0]["figures"].append({"raw": "999 miliar"}), ("raw figure '999 miliar'",)),
        (lambda r: r["claims"][0].update(attribution_kind="rumour"), ("claims.0.attribution_kind",)),
        (lambda r: r["claims"][0].update(evidence_start=[]), ("claims.0.evidence", "evidence_start 0 offsets")),
        (lambda r: r["claims"][0].pop("claim_id"), ("claims.0.claim_id", "missing required field")),
        (lambda r: r.pop("claims"), ("claims: missing required field",)),
        (lambda r: r.update(speakers=[{"name": "X", "alias": []}]), ("speakers.0.alias",)),
    ],
)
def test_each_kind_of_bad_row_is_named(exported, tmp_path, edit, words):
    rows = _rows(exported["json"])
    edit(rows[1])
    bad = _write_rows(tmp_path / "bad.jsonl", rows)
    _refused(["gold", "check", "--gold", str(bad)], f"{bad}:2:", *words)


def test_a_json_file_with_an_unknown_column_is_named(exported, tmp_path):
    rows = _rows(exported["json"])
    rows[0]["claim"] = "a typo"
    bad = _write_rows(tmp_path / "bad.jsonl", rows)
    _refused(["gold", "check", "--gold", str(bad)], str(bad), "unknown column(s) claim")


def test_a_parquet_file_with_a_missing_column_is_named(exported, tmp_path):
    import pyarrow.parquet as pq

    table = pq.read_table(exported["parquet"])
    bad = tmp_path / "bad.parquet"
    pq.write_table(table.drop_columns(["noise"]), bad)
    _refused(["gold", "check", "--gold", str(bad)], str(bad), "missing column(s) noise")


def test_a_bad_claims_row_of_a_saved_dataset_is_named_by_split_and_row(exported, tmp_path):
    from datasets import DatasetDict, load_from_disk

    ds = load_from_disk(str(exported["disk"]))
    claims = ds["claims"].to_list()
    claims[6]["evidence"][0] = "not in the article at all"
    out = tmp_path / "bad"
    DatasetDict({"claims": ds["claims"].from_list(claims), "articles": ds["articles"]}).save_to_disk(str(out))
    _refused(["gold", "check", "--gold", str(out)], f"{out}/claims:7:", claims[6]["claim_id"], "not in the article")


def test_not_data_files_are_refused(tmp_path):
    notes = tmp_path / "gold.csv"
    notes.write_text("article_id\n", encoding="utf-8")
    _refused(["gold", "check", "--gold", str(notes)], "not a data file")
    broken = tmp_path / "gold.jsonl"
    broken.write_text('{"article_id": "x", "claims": [}\n', encoding="utf-8")
    _refused(["gold", "check", "--gold", str(broken)], str(broken), "not readable as gold")
    _refused(["gold", "check", "--gold", str(tmp_path / "none.parquet")], "no such gold folder or file")


# ---------------------------------------------------------------- nothing left behind


def test_reading_leaves_nothing_in_home_or_temp(exported, tmp_path):
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {"HOME": str(home), "TMPDIR": str(tmp)}  # datasets' default cache is under HOME
    r = run_cli("gold", "check", "--gold", str(exported["json"]), "--seeds", str(exported["parquet"]), env=env)
    assert r.returncode == 0, r.stderr
    assert list(home.rglob("*")) == [] and list(tmp.rglob("*")) == []
    assert SEEDS.is_dir()
