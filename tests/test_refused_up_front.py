"""What `harness run` (and the verbs beside it) refuse before the first request, and what a late failure keeps.

Each test starts the loopback fake endpoint where a run could ask a model, and checks that a refused run sent it
nothing: exit 2, one line on stderr starting `error:`, nothing written. Issue 13, items 1, 2, 3, 4 and 11.
"""

from __future__ import annotations

import contextlib
import math
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.conftest import clean_env, own_setting
from tests.fake_openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")
MARK = "PENANDA-SAMA"
TEXT = f"{MARK} Menteri Teten Masduki mengatakan 20 juta UMKM sudah go digital pada 2022.\n"
ANSWERS = {MARK: {"claims": [{"text": "20 juta UMKM go digital", "figures": ["20 juta"], "dates": ["pada 2022"],
                              "speaker": "Teten Masduki"}]}}  # fmt: skip


def invoke(*args: str, server: FakeOpenAIServer | None = None):
    """`harness ARGS` in this process (typer's CliRunner), with only the fake endpoint in the environment; an
    unexpected exception is kept (exit 1) so that a traceback shows up as a failed assertion, not a crash."""
    from typer.testing import CliRunner

    from harness.cli import app

    env: dict[str, str | None] = {k: None for k in os.environ if own_setting(k)}
    if server is not None:
        env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test-refused")
    with contextlib.chdir(ROOT):
        return CliRunner().invoke(app, list(args), env=env)


def assert_refused(r, *words: str) -> str:
    """Exit 2 and exactly one stderr line, `error: ...`, holding `words`; no traceback."""
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == 2, (r.exit_code, r.stderr, r.stdout)
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture
def server():
    with FakeOpenAIServer(ANSWERS) as srv:
        yield srv


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    return folder


def run_args(tmp_path: Path, articles: Path, *more: str) -> list[str]:
    return ["run", "--prompt", "guided",
            "--model", "fake-model", "--articles", str(articles), "--cache-dir", str(tmp_path / "cache"),
            "--recorded", str(tmp_path / "none"), "--out", str(tmp_path / "runs"), "--n-boot", "20", "-q",
            "--max-attempts", "1", "--timeout", "20", *more]  # fmt: skip


def nothing_written(tmp_path: Path) -> bool:
    return not (tmp_path / "cache").exists() and not (tmp_path / "runs").exists()


# ---------------------------------------------------------------- 1. the label of a sample comes from the sample


def test_identical_articles_keep_their_own_ids(tmp_path, articles, server):
    (articles / "b.txt").write_text(TEXT, encoding="utf-8")  # same text: same cache key as a.txt
    for attempt in ("requested", "from the cache"):
        r = invoke(*run_args(tmp_path, articles, "--out", str(tmp_path / attempt)), server=server)
        assert r.exit_code == 0, (attempt, r.stderr, r.exception)
        from harness.records import read_run

        path = next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("record: "))
        rec = read_run(Path(path))
        assert sorted(s.article_id for s in rec.samples) == ["a", "b"], attempt
        for s in rec.samples:
            assert s.claims and {c.article_id for c in s.claims} == {s.article_id}, (attempt, s.article_id)
    assert server.requests == 1  # one key, asked once, answered for both


# ---------------------------------------------------------------- 2. output places checked before the first request


def _bad_places(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "afile").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    return {"under a file": tmp_path / "afile" / "sub", "a fifo": tmp_path / "fifo", "a file": tmp_path / "afile",
            "in /proc": Path("/proc/harness-nowhere/sub")}  # fmt: skip


@pytest.mark.parametrize("option", ["--out", "--record-to", "--cache-dir"])
@pytest.mark.parametrize("place", ["under a file", "a fifo", "a file", "in /proc"])
def test_unwritable_output_places_are_refused_before_any_request(tmp_path, articles, server, option, place):
    bad = _bad_places(tmp_path)[place]
    r = invoke(*run_args(tmp_path, articles, option, str(bad)), server=server)
    assert_refused(r, str(bad), option)
    assert server.requests == 0
    assert not (tmp_path / "cache").exists() and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("option", ["--html", "--junit"])
def test_unwritable_report_files_are_refused(tmp_path, option):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "adir").mkdir()
    for bad in (tmp_path / "fifo", tmp_path / "adir", Path("/dev/null")):
        verb = ["compare", "x", "y"] if option == "--html" else ["gate", "x"]
        r = invoke(*verb, option, str(bad), "--runs-dir", str(tmp_path))
        assert_refused(r, str(bad))


def test_a_late_write_failure_is_one_line_and_keeps_the_answers(tmp_path, articles, server, monkeypatch):
    import errno

    import harness.records

    def full_disk(record, out_dir):
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(out_dir) / record.run_id / "run.json"))

    monkeypatch.setattr(harness.records, "write_run", full_disk)
    r = invoke(*run_args(tmp_path, articles), server=server)
    assert_refused(r, "No space left on device")
    assert server.requests == 1
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1  # the answer paid for is kept
    monkeypatch.undo()
    again = invoke(*run_args(tmp_path, articles, "--offline"), server=server)
    assert again.exit_code == 0, again.stderr
    assert server.requests == 1


def test_stdout_that_cannot_be_written_is_one_line(tmp_path, articles, server):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    env = clean_env()
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test-refused")
    with open("/dev/full", "w") as full:
        p = subprocess.run([HARNESS, *run_args(tmp_path, articles)], cwd=ROOT, env=env, stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=120)  # fmt: skip
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2, p.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in p.stderr, p.stderr
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1


# ---------------------------------------------------------------- 3. nonsense options refused by CLI and library

NONSENSE = [
    ("--concurrency", "0"), ("--concurrency", "-5"), ("--timeout", "0"), ("--timeout", "-1"), ("--timeout", "nan"),
    ("--timeout", "inf"), ("--temperature", "nan"), ("--temperature", "inf"), ("--temperature", "-0.1"),
    ("--temperature", "2.5"), ("--repeats", "0"), ("--max-tokens", "0"), ("--n-boot", "0"), ("--max-attempts", "0"),
    ("--max-failure-rate", "-0.1"), ("--max-failure-rate", "1.5"), ("--max-failure-rate", "nan"),
    ("--max-retries", "-1"), ("--n-threads", "0"),
]  # fmt: skip


@pytest.mark.parametrize(("option", "value"), NONSENSE)
def test_nonsense_run_options_are_refused(tmp_path, articles, server, option, value):
    r = invoke(*run_args(tmp_path, articles, option, value), server=server)
    assert_refused(r, option)
    assert server.requests == 0
    assert nothing_written(tmp_path)


@pytest.mark.parametrize(
    "kwargs",
    [{"concurrency": 0}, {"repeats": 0}, {"n_boot": 0}, {"max_failure_rate": 2.0}, {"max_failure_rate": math.nan}],
)
def test_the_library_refuses_nonsense_run_config(kwargs):
    from harness.pipeline import RunConfig

    with pytest.raises(ValidationError):
        RunConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"temperature": math.nan}, {"temperature": -1}, {"temperature": math.inf}, {"max_tokens": 0},
     {"max_attempts": 0}, {"max_retries": -1}, {"timeout": 0}, {"timeout": math.nan}],
)  # fmt: skip
def test_the_library_refuses_nonsense_generation(kwargs):
    from harness.extract.params import GenParams

    with pytest.raises(ValidationError):
        GenParams(**kwargs)


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory) -> Path:
    """One scored run of the rules-only baseline (no model) and a baseline file for compare and gate."""
    tmp = tmp_path_factory.mktemp("baseline")
    r = invoke("run", "--model", "baseline", "--out", str(tmp / "runs"), "--n-boot", "20", "-q", "--no-report",
               "--cache-dir", str(tmp / "cache"))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    run = next((tmp / "runs").iterdir())
    w = invoke("gate", str(run), "--write-baseline", "--baseline", str(tmp / "baseline.json"))
    assert w.exit_code == 0, w.stderr
    return run


@pytest.mark.parametrize(
    ("verb", "option", "value"),
    [("compare", "--n-boot", "0"), ("compare", "--n-perm", "0"), ("compare", "--seed", "-1"),
     ("gate", "--n-boot", "0"), ("gate", "--n-perm", "0"), ("gate", "--seed", "-1"), ("gate", "--threshold", "nan"),
     ("gate", "--threshold", "-0.1"), ("score", "--n-boot", "0"), ("score", "--seed", "-1")],
)  # fmt: skip
def test_nonsense_options_of_other_verbs_are_refused(baseline_run, verb, option, value):
    if verb == "compare":
        args = ["compare", str(baseline_run), str(baseline_run)]
    elif verb == "gate":
        args = ["gate", str(baseline_run), "--baseline", str(baseline_run.parents[1] / "baseline.json")]
    else:
        args = ["score", "--predictions", str(ROOT / "reports" / "none.jsonl")]
    assert_refused(invoke(*args, option, value), option)


# ---------------------------------------------------------------- 4. articles that are not regular files


def _not_regular(folder: Path, kind: str) -> Path:
    bad = folder / "zz.txt"
    if kind == "directory":
        bad.mkdir()
    elif kind == "symlink loop":
        os.symlink(folder / "loop", bad)
        os.symlink(bad, folder / "loop")
    elif kind == "fifo":
        os.mkfifo(bad)
    else:  # larger than the cap
        from harness.corpus import MAX_ARTICLE_BYTES

        bad.write_bytes(b"kata " * (MAX_ARTICLE_BYTES // 5 + 1))
    return bad


@pytest.mark.parametrize("kind", ["directory", "symlink loop", "fifo", "too large"])
def test_articles_that_are_not_regular_files_are_refused(tmp_path, articles, server, kind):
    bad = _not_regular(articles, kind)
    box: list = []
    t = threading.Thread(target=lambda: box.append(invoke(*run_args(tmp_path, articles), server=server)), daemon=True)
    t.start()
    t.join(30)
    if t.is_alive():  # it opened the FIFO and waits for a writer: give it one so the thread ends, then fail
        fd = os.open(bad, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        t.join(10)
        pytest.fail(f"the run hung on {kind} {bad}")
    assert_refused(box[0], str(bad))
    assert server.requests == 0
    assert nothing_written(tmp_path)
    if kind == "fifo":
        assert stat.S_ISFIFO(os.lstat(bad).st_mode)


# ---------------------------------------------------------------- 11. file modes and a gold folder with no gold


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_outputs_honour_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        r = invoke("run", "--model", "baseline", "--out", str(tmp_path / "runs"), "--n-boot", "20", "-q",
                   "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.stderr
    (run,) = (tmp_path / "runs").iterdir()
    for name in ("run.json", "report.md", "report.html"):
        assert stat.S_IMODE(os.stat(run / name).st_mode) == 0o666 & ~umask, name


def test_a_gold_folder_without_gold_files_is_refused(tmp_path, articles, server):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no gold here")
    export = tmp_path / "export"  # what `harness gold export --out` writes
    (export / "claims").mkdir(parents=True)
    (export / "dataset_dict.json").write_text('{"splits": ["claims", "articles"]}')
    for folder, words in ((empty, ("no gold files",)), (export, ("datasets",)), (Path("/etc"), ())):
        r = invoke(*run_args(tmp_path, articles, "--gold", str(folder)), server=server)
        assert_refused(r, str(folder), *words)
    assert server.requests == 0
    assert nothing_written(tmp_path)


# ---------------------------------------------------------------- 8. answers paid for but not kept fail the run


def _record_of(r) -> Path:
    return Path(next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("record: ")))


def test_an_answer_the_cache_cannot_keep_fails_the_run_and_is_noted(tmp_path, articles, server):
    from harness.records import read_run

    first = invoke(*run_args(tmp_path, articles), server=server)
    assert first.exit_code == 0, first.stderr
    (entry,) = (tmp_path / "cache").glob("*.json")
    entry.unlink()
    entry.mkdir()  # a folder where the entry goes: every write of it fails, whoever runs the test
    again = invoke(*run_args(tmp_path, articles), server=server)
    # The answer was paid for (a second request) but a re-run would pay again: exit 1, said in one line, in the record.
    assert server.requests == 2
    assert again.exit_code == 1, again.stderr
    assert "1 answer(s) paid for could not be cached" in again.stderr
    rec = read_run(_record_of(again))
    assert rec.summary.exit_code == 1 and rec.summary.verdict == "failed" and rec.cache.written == 0
    assert sum(n.startswith("cache entry not written") for n in rec.notes) == 1


def test_a_cache_entry_refused_on_reading_is_asked_again_and_noted(tmp_path, articles, server):
    from harness.records import read_run

    assert invoke(*run_args(tmp_path, articles), server=server).exit_code == 0
    (entry,) = (tmp_path / "cache").glob("*.json")
    entry.unlink()
    entry.symlink_to("/dev/zero")  # never followed: a miss, asked again, and the run says why
    again = invoke(*run_args(tmp_path, articles), server=server)
    assert again.exit_code == 0, again.stderr
    assert server.requests == 2
    rec = read_run(_record_of(again))
    assert any("cache entry refused" in n for n in rec.notes), rec.notes
