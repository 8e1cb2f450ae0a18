"""`harness run --shard I/N` and `harness merge`: a fixed, documented split of the articles, and shards merged into
the very scores of the run unsplit (offline from the recorded answers, and against the fake server with repeats,
a failed sample and the cache); shard specs and merges that do not belong together refused with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.extract.provider import GenParams
from harness.extract.shard import Shard, shard_of
from harness.merge import merge_runs
from harness.pipeline import RunConfig, execute_run
from harness.records import read_run
from tests.conftest import cli, endpoint_env
from tests.fake_openai_server import FakeOpenAIServer
from tests.test_extract_runner import A001, ANSWERS

ROOT = Path(__file__).resolve().parents[1]
IDS = sorted(p.stem for p in (ROOT / "seeds").glob("*.txt"))
# shard_of(id, N) = int.from_bytes(sha256(id)[:8], "big") % N + 1. The first 8 bytes of each id's sha256, by hand:
#   000_5c7c061acdd0991c  ffeb394a1257af27  odd  -> 2 of 2;  mod 3 = 1 -> 2 of 3
#   001_ace72b6c210ee1f9  b5f4dc033e9a51e9  odd  -> 2 of 2;  mod 3 = 2 -> 3 of 3
#   002_61bc8efce56588cd  07cd4a3021200656  even -> 1 of 2;  mod 3 = 2 -> 3 of 3
#   003_c50be10e8d192006  1f364fb6ddd4c2f4  even -> 1 of 2;  mod 3 = 2 -> 3 of 3
#   004_5da99a7ff07c33c6  51e2cea00a3bcc01  odd  -> 2 of 2;  mod 3 = 2 -> 3 of 3
# (the parity is the last hex digit's; mod 3 is the sum of the hex digits mod 3, as 16 = 1 mod 3). Shard 1/3 is empty.
SPLIT = {
    2: {"000_5c7c061acdd0991c": 2, "001_ace72b6c210ee1f9": 2, "002_61bc8efce56588cd": 1, "003_c50be10e8d192006": 1,
        "004_5da99a7ff07c33c6": 2},
    3: {"000_5c7c061acdd0991c": 2, "001_ace72b6c210ee1f9": 3, "002_61bc8efce56588cd": 3, "003_c50be10e8d192006": 3,
        "004_5da99a7ff07c33c6": 3},
}  # fmt: skip


def test_the_split_is_the_documented_hash():
    """The same ids in the same shards on every machine and Python (the expectations above are fixed numbers)."""
    assert sorted(SPLIT[2]) == IDS
    for count, want in SPLIT.items():
        assert {a: shard_of(a, count) for a in IDS} == want
    assert {shard_of(a, 1) for a in IDS} == {1}
    assert Shard.parse(" 2/3 ") == Shard.model_validate("2/3") == Shard(index=2, count=3)
    assert [a for a in IDS if Shard.parse("2/3").holds(a)] == ["000_5c7c061acdd0991c"]


def _offline(tmp_path: Path, out: Path, *extra: str, prompts: tuple[str, ...] = ("guided", "plain")):
    """`harness run --offline` over the seeds (with both prompts), answered from reports/recorded."""
    r = cli("run", "--offline", "-q", "--no-report", *(a for p in prompts for a in ("--prompt", p)),
            "--seeds", str(ROOT / "seeds"), "--gold", str(ROOT / "gold"), "--prompts-dir", str(ROOT / "prompts"),
            "--recorded", str(ROOT / "reports" / "recorded"), "--cache-dir", str(tmp_path / "cache"),
            "--out", str(out), "--n-boot", "200", *extra, cwd=tmp_path, env=endpoint_env())  # fmt: skip
    assert r.returncode == 0, r.stderr
    return _record_path(r.stdout)


def _record_path(stdout: str) -> Path:
    return Path(next(line.split(": ", 1)[1] for line in stdout.splitlines() if line.startswith("record: ")))


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """The unsplit offline run and its runs in 2 and in 3 shards (all in a folder outside any git checkout, so
    that the provenance they record is the same whoever commits meanwhile)."""
    tmp = tmp_path_factory.mktemp("offline")
    plain = _offline(tmp, tmp / "plain")
    shards = {n: [_offline(tmp, tmp / f"in{n}", "--shard", f"{i}/{n}") for i in range(1, n + 1)] for n in (2, 3)}
    return tmp, plain, shards


def merge(tmp: Path, *args: str):
    return cli("merge", *map(str, args), cwd=tmp, env=endpoint_env())


@pytest.mark.parametrize("count", [2, 3])
def test_shards_merge_into_the_unsplit_scores(offline, count):
    tmp, plain_path, shards = offline
    plain = _json(plain_path)
    for i, path in enumerate(shards[count], start=1):
        rec = _json(path)
        assert rec["shard"]["index"] == i and rec["shard"]["count"] == count
        assert list(rec["articles"]["sha256"]) == [a for a in IDS if SPLIT[count][a] == i]
        assert {s["article_id"] for s in rec["samples"]} <= set(rec["articles"]["sha256"])
    # the folder of shard folders, as a CI job downloads them
    r = merge(tmp, tmp / f"in{count}", "--out", tmp / f"merged{count}")
    assert r.returncode == 0, r.stderr
    merged = _json(_record_path(r.stdout))
    assert merged["scores"] == plain["scores"]  # P/R/F1, counts, intervals, per article
    assert [(s["prompt"], s["article_id"], s["repeat"], s["claims"]) for s in merged["samples"]] == [
        (s["prompt"], s["article_id"], s["repeat"], s["claims"]) for s in plain["samples"]
    ]
    assert merged["articles"]["sha256"] == plain["articles"]["sha256"]
    assert merged["summary"] == plain["summary"] and merged["cache"] == plain["cache"]
    assert merged["merged"] == {"count": count, "shards": list(range(1, count + 1)), "missing": [], "partial": False,
                                "runs": [_json(p)["run_id"] for p in shards[count]]}  # fmt: skip
    assert merged["shard"] is None and not any(n.startswith("shard ") for n in merged["notes"])
    folder = _record_path(r.stdout).parent
    assert (folder / "report.md").read_text(encoding="utf-8").startswith(f"# Evaluation run {merged['run_id']}")
    assert "<table" in (folder / "report.html").read_text(encoding="utf-8")


def test_an_empty_shard_is_a_run_of_no_samples(offline):
    _, _, shards = offline
    empty = _json(shards[3][0])
    assert empty["samples"] == [] and empty["scores"] == [] and empty["summary"]["verdict"] == "ok"
    assert empty["notes"][0].startswith("shard 1/3: 0 of 5 articles")


@pytest.mark.parametrize("spec", ["0/3", "4/3", "3", "1/0", "a/b", "-1/3", "1/3/5", "", "2/-3", "1.0/2", "１/２"])
def test_bad_shard_specs_are_refused_before_any_request(tmp_path, spec):
    with FakeOpenAIServer(ANSWERS) as srv:
        r = cli("run", "--prompt", "guided",
                "--model", "fake-model", "--shard", spec, "--cache-dir", str(tmp_path / "cache"),
                "--out", str(tmp_path / "runs"), env=endpoint_env(srv.base_url, "k"))  # fmt: skip
        assert srv.requests == 0
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"error: --shard {spec!r}: ")
    assert not (tmp_path / "runs").exists()


def _edited(tmp: Path, src: Path, name: str, edit) -> Path:
    """A copy of a shard's run folder with its record changed by `edit`."""
    data = _json(src)
    edit(data)
    out = tmp / name / "run.json"
    out.parent.mkdir(parents=True)
    out.write_text(json.dumps(data), encoding="utf-8")
    return out.parent


def _refused(tmp: Path, *args: object) -> str:
    r = merge(tmp, *args, "--out", tmp / "refused")
    assert r.returncode == 2, r.stdout
    (line,) = r.stderr.strip().splitlines()
    assert not (tmp / "refused").exists()
    return line


def test_merges_that_do_not_belong_together_are_refused(offline, tmp_path):
    tmp, plain, shards = offline
    one, two = (p.parent for p in shards[2])
    cases = {
        "different prompts": _offline(tmp_path, tmp_path / "guided", "--shard", "2/2", prompts=("guided",)).parent,
        "different scoring parameters": _offline(tmp_path, tmp_path / "nb", "--shard", "2/2", "--n-boot", "100").parent,
        "different generation parameters": _edited(
            tmp_path, two / "run.json", "temp", lambda d: d["parameters"]["generation"].update(temperature=0.7)
        ),
        "different gold": _edited(tmp_path, two / "run.json", "gold", lambda d: d["gold"]["sha256"].update(x="0")),
        "different harness version": _edited(
            tmp_path, two / "run.json", "version", lambda d: d["provenance"]["packages"].update(harness="9.9")
        ),
        "different models": _edited(tmp_path, two / "run.json", "model", lambda d: d.update(models=["other"])),
        "different number of shards": shards[3][1].parent,
    }
    for why, other in cases.items():
        line = _refused(tmp, one, other)
        assert line == f"error: {other}: not a shard of the same run as {one}: {why}", line
    again = _offline(tmp_path, tmp_path / "again", "--shard", "1/2").parent
    assert _refused(tmp, one, two, again) == f"error: {again}: shard 1/2 given twice (also {one})"
    assert _refused(tmp, one) == "error: shard(s) 2/2 missing (given: 1/2); pass --allow-partial to merge the " \
                                 "others into a record marked partial"  # fmt: skip
    assert _refused(tmp, shards[3][2].parent).startswith("error: shard(s) 1/3, 2/3 missing (given: 3/3)")
    assert _refused(tmp, one, plain.parent) == f"error: {plain.parent}: cannot merge: not a shard (a run made " \
                                               "without --shard I/N)"  # fmt: skip
    stolen = _edited(tmp_path, one / "run.json", "stolen",
                     lambda d: d["articles"]["sha256"].update({IDS[0]: "0" * 64}))  # fmt: skip
    assert _refused(tmp, stolen, two) == f"error: {stolen}: article {IDS[0]} does not belong to shard 1/2 by its hash"
    other_gold = tmp_path / "edited-gold"
    other_gold.mkdir()
    for p in (ROOT / "gold").glob("*.yaml"):
        (other_gold / p.name).write_text(p.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert _refused(tmp, one, two, "--gold", other_gold) == (
        f"error: {other_gold}: the gold differs from the gold the shards were scored on"
    )

    # a merged record is no shard; --allow-partial merges what is there and says so
    r = merge(tmp, one, "--allow-partial", "--no-report", "--out", tmp_path / "partial")
    assert r.returncode == 0, r.stderr
    partial = _json(_record_path(r.stdout))
    assert partial["merged"]["partial"] is True and partial["merged"]["missing"] == [2]
    assert any(n.startswith("partial: shard(s) 2/2 missing; scores cover 2 of 5 articles") for n in partial["notes"])
    assert partial["scores"][0]["articles"] == [a for a in IDS if SPLIT[2][a] == 1]
    merged_folder = _record_path(r.stdout).parent
    assert _refused(tmp, merged_folder, one) == f"error: {merged_folder}: cannot merge: a merged run"


def test_shards_against_an_endpoint_fill_the_cache_of_the_unsplit_run(tmp_path, monkeypatch):
    """Both prompts, two repeats and one failed sample, against the fake server: the shards ask what the unsplit
    run asks, leave exactly its cache entries, and merge into its scores and summary."""
    monkeypatch.chdir(tmp_path)  # the provenance recorded is then the same whoever commits meanwhile

    def config(cache: str, out: str, shard: str | None = None) -> RunConfig:
        return RunConfig(
            prompts=["guided", "plain"], models=["fake-model"], seeds=ROOT / "seeds", gold=ROOT / "gold",
            prompts_dir=ROOT / "prompts", base_url=srv.base_url, endpoint_id="fake-endpoint", repeats=2,
            concurrency=1, cache_dir=tmp_path / cache, recorded=[], out_dir=tmp_path / out, n_boot=200, shard=shard,
            generation=GenParams(max_attempts=1, backoff_base=0.01, backoff_max=0.05, timeout=5.0),
        )  # fmt: skip

    with FakeOpenAIServer(ANSWERS) as srv:
        srv.add_faults("500", marker="Rudy Salahuddin")  # 001's first request fails, in the plain run and its shard
        plain = read_run(execute_run(config("whole", "plain")).path)
        asked = srv.requests
        assert asked == 5 * 2 * 2 and plain.summary.failed == 1
        for n in (2, 3):
            srv.reset()
            srv.add_faults("500", marker="Rudy Salahuddin")
            paths = [execute_run(config(f"cache{n}", f"in{n}", f"{i}/{n}")).path for i in range(1, n + 1)]
            assert srv.requests == asked
            whole = sorted(p.name for p in (tmp_path / "whole").glob("*.json"))
            assert sorted(p.name for p in (tmp_path / f"cache{n}").glob("*.json")) == whole
            assert len(whole) == asked - 1  # the failed answer is not kept
            merged = merge_runs(paths, tmp_path / f"merged{n}").record
            assert merged.scores == plain.scores
            assert merged.summary == plain.summary and merged.summary.failures_by_kind == {"http_status": 1}
            failed = [(s.prompt, s.article_id, s.repeat) for s in merged.samples if not s.ok]
            assert failed == [("guided", A001, 0)]
