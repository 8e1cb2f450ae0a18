"""What reading and writing records and cache entries costs: `import harness.records` brings no scoring code (numpy),
a record's human ceiling still reads back as the model it was, and a cache entry is written whole, with the mode a
plain open() gives, into a folder made when missing, by writer threads that count every entry."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from pydantic import ValidationError

from harness.extract.cache import CacheEntry, KeyParts, ResponseCache, ResponseStore
from harness.extract.runner import RequestStats, _Writer
from harness.files import atomic_write_bytes
from harness.records import RunRecord, read_run, write_run


def test_importing_the_records_brings_no_scoring_code():
    code = (
        "import sys, harness.records\n"
        "print(sorted(m for m in sys.modules if m.startswith(('harness.score', 'numpy', 'harness.records.sides'))))\n"
        "from harness.records import Side, read_baseline\n"
        "print(Side.__module__, read_baseline.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["[]", "harness.records.sides harness.records.sides"]


def test_an_unknown_name_of_the_records_is_an_attribute_error():
    import harness.records

    with pytest.raises(AttributeError):
        harness.records.NoSuchThing  # noqa: B018


def _record(ceiling: dict | None) -> dict:
    gen = {"temperature": 0.0}
    return {
        "run_id": "20240102T030405Z-1a2b3c", "started": "2024-01-02T03:04:05Z",
        "provenance": {}, "endpoint": {"kind": "remote", "identity": "http://x"}, "models": ["m"], "prompts": [],
        "articles": {"source": "a"},
        "parameters": {"generation": gen, "repeats": 1, "concurrency": 1, "offline": False, "max_failure_rate": 0.1,
                       "n_boot": 10, "score_seed": 0},
        "cache": {}, "summary": {}, "samples": [], "ceiling": ceiling,
    }  # fmt: skip


def test_a_ceiling_reads_back_as_the_model_and_writes_as_before(tmp_path):
    from harness.score.ceiling import CeilingField, HumanCeiling

    ceiling = {"second": "g/second", "articles": ["a1"], "fields": [
        {"field": "claims", "annotators_f1": 0.5, "annotators_ci": [0.25, 0.75], "annotators_symmetric_f1": 0.5,
         "entries_f1": {"p · m": 0.4}}]}  # fmt: skip
    record = RunRecord.model_validate(_record(ceiling))
    assert isinstance(record.ceiling, HumanCeiling) and isinstance(record.ceiling.fields[0], CeilingField)
    back = read_run(write_run(record, tmp_path))
    assert back == record and back.model_dump()["ceiling"] == ceiling
    made = HumanCeiling.model_validate(ceiling)  # as the pipeline passes it: the instance is kept
    assert RunRecord.model_validate({**_record(None), "ceiling": made}).ceiling is made
    assert RunRecord.model_validate(_record(None)).ceiling is None
    bad = {**ceiling, "fields": [{"field": "claims"}]}
    with pytest.raises(ValidationError) as err:
        RunRecord.model_validate(_record(bad))
    assert err.value.errors()[0]["loc"][:3] == ("ceiling", "fields", 0)  # the same place as a HumanCeiling field's
    assert "HumanCeiling" in str(RunRecord.model_json_schema()["properties"]["ceiling"])


def _entry(i: int) -> CacheEntry:
    parts = KeyParts(endpoint="e", model="m", messages_sha256="0" * 64, mode="JSON", grammar=False,
                     schema_sha256="1" * 64, temperature=0.0, seed=None, max_tokens=None, repeat=i)  # fmt: skip
    return CacheEntry(key=parts.key(), parts=parts, answer={"claims": [{"text": "é" * i}]})


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_a_cache_entry_gets_the_mode_a_plain_open_gives_in_a_folder_made_when_missing(tmp_path, umask):
    old = os.umask(umask)
    try:
        store = ResponseStore(tmp_path / "a" / "b", "local")
        path = store.put(_entry(3))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert path.read_text(encoding="utf-8") == _entry(3).model_dump_json(indent=1) + "\n"
    assert store.get(_entry(3).key) == _entry(3)


def test_a_failed_write_leaves_no_temp_file(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(tmp_path / "x.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_a_temp_name_left_by_a_killed_process_is_stepped_over(tmp_path, monkeypatch):
    import harness.files as files

    n = next(files._TEMP_NUMBER) + 1
    (tmp_path / f".x.json.{os.getpid()}-{n}.tmp").write_text("left")
    atomic_write_bytes(tmp_path / "x.json", b"{}")
    assert (tmp_path / "x.json").read_bytes() == b"{}"
    assert (tmp_path / f".x.json.{os.getpid()}-{n}.tmp").read_text() == "left"


def test_the_writer_threads_write_and_count_every_entry(tmp_path):
    stats = RequestStats()
    local, copy = ResponseStore(tmp_path / "local", "local"), ResponseStore(tmp_path / "copy", "record-to")
    writer = _Writer([local, copy], stats)
    writer.start()  # as the runner does once the first requests are sent
    for i in range(60):
        writer.submit(_entry(i))
    writer.close()
    assert stats.written == 60 and stats.write_errors == []
    for store in (local, copy):
        assert sorted(p.name for p in store.root.iterdir()) == sorted(f"{_entry(i).key}.json" for i in range(60))
    cache = ResponseCache(local)
    assert all(cache.lookup(_entry(i).key) is not None for i in range(60))


def test_a_backlog_left_at_close_is_written_by_more_threads_and_all_of_it_counted(tmp_path):
    """At close no request is in flight, so what the two threads have not written yet is shared out wider; every
    entry is still written once and counted, and close returns only when all are on disk."""
    import threading

    gate = threading.Event()
    writers: set[str] = set()

    class Held(ResponseStore):  # the two run-time threads wait until close: the whole batch is a backlog
        def put(self, entry):
            writers.add(threading.current_thread().name)
            gate.wait(10)
            return super().put(entry)

    stats = RequestStats()
    writer = _Writer([Held(tmp_path / "local", "local")], stats)
    writer.start()
    for i in range(40):
        writer.submit(_entry(i))
    threading.Timer(0.3, gate.set).start()  # opened while close() waits: every thread holds one entry by then
    writer.close()
    # 40 queued, one taken by each of the two threads: 38 left, 38 // 2 = 19 more threads, capped at DRAIN_THREADS (6)
    assert sorted(n for n in writers if n.startswith("harness-cache-drain-")) == [
        f"harness-cache-drain-{i}" for i in range(6)
    ]
    assert stats.written == 40 and stats.write_errors == []
    assert len(list((tmp_path / "local").iterdir())) == 40
    assert not [t for t in threading.enumerate() if t.name.startswith("harness-cache-")]


def test_a_writer_closed_before_it_was_started_still_writes_what_it_was_given(tmp_path):
    """A run that fails before its first requests are sent never starts the writer's threads; close() starts them,
    so nothing already handed over is lost."""
    stats = RequestStats()
    writer = _Writer([ResponseStore(tmp_path / "local", "local")], stats)
    writer.submit(_entry(0))
    writer.close()
    assert stats.written == 1 and (tmp_path / "local" / f"{_entry(0).key}.json").is_file()
