"""A planted API key goes to the endpoint and nowhere else: not into any file that run, report, cache explain or
cache list write, and not into their output — also not in a trivial encoding (base64, URL-encoding), and not even
its first 12 characters.

One article fails (a 500) so that failures are in the record and the report too. A separate check has the
endpoint echo the key back in a 401's error message, as some servers do: the failure is recorded and reported, and
the key must still not be in it.
"""

from __future__ import annotations

import base64
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import clean_env
from tests.fake_openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")
A001 = "001_ace72b6c210ee1f9"
CLAIM = {"text": "Sekitar 27 juta UMKM telah go digital", "figures": ["sekitar 27 juta"], "speaker": "Rudy Salahuddin"}


def forms(key: str) -> list[str]:
    """The key, its 12-character prefix, and trivial encodings of it and of its Authorization header."""
    out = [key, key[:12], quote(key, safe=""), quote(f"Bearer {key}", safe="")]
    for raw in (key, f"Bearer {key}", f":{key}"):
        data = raw.encode()
        out += [base64.b64encode(data).decode().rstrip("="), base64.urlsafe_b64encode(data).decode().rstrip("=")]
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """run (with --record-to), report, cache explain and cache list, all with the planted key in the environment."""
    tmp = tmp_path_factory.mktemp("secrets")
    key = f"sk-test-PLANTED-{secrets.token_hex(12)}"
    env = clean_env()
    outputs: list[subprocess.CompletedProcess] = []
    store = ["--cache-dir", str(tmp / "cache"), "--recorded", str(tmp / "none")]

    def harness(*args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([HARNESS, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        outputs.append(r)
        return r

    with FakeOpenAIServer({"Rudy Salahuddin": {"claims": [CLAIM]}, "Odo Manuhutu": {"claims": []}}) as srv:
        env.update(OPENAI_BASE_URL=srv.base_url, OPENAI_API_KEY=key)
        srv.add_faults("500", marker="Odo Manuhutu")
        run = harness("run", "--prompt", "guided",
                      "--model", "fake-model", *store, "--record-to", str(tmp / "recorded"),
                      "--out", str(tmp / "runs"), "--n-boot", "50", "--max-attempts", "1")  # fmt: skip
        run_dir = next((tmp / "runs").iterdir())
        report = harness("report", str(run_dir))
        explain = harness("cache", "explain", "--prompt", "guided", "--article", A001, "--model", "fake-model", *store)
        listing = harness("cache", "list", *store)
        sent = [e["headers"].get("authorization") for e in srv.log]
    return {
        "key": key,
        "tmp": tmp,
        "run": run,
        "report": report,
        "explain": explain,
        "listing": listing,
        "outputs": outputs,
        "sent": sent,
        "run_dir": run_dir,
    }


def test_every_command_worked_and_the_key_reached_the_endpoint(session):
    assert [r.returncode for r in session["outputs"]] == [0, 0, 0, 0], [r.stderr for r in session["outputs"]]
    assert len(session["sent"]) == 5 and all(h == f"Bearer {session['key']}" for h in session["sent"])
    assert "hit: local cache" in session["explain"].stdout
    assert (session["run_dir"] / "report.md").is_file() and (session["run_dir"] / "report.html").is_file()
    assert len(list((session["tmp"] / "recorded").glob("*.json"))) == 4  # 4 answered, the 500 one failed


def test_the_key_is_in_no_output(session):
    for r in session["outputs"]:
        for form in forms(session["key"]):
            assert form not in r.stdout and form not in r.stderr, (r.args[:3], form)


def test_the_key_is_in_no_file_written(session):
    files = [p for p in session["tmp"].rglob("*") if p.is_file()]
    # run.json, report.md, report.html, 4 cache entries, 4 recorded entries
    assert len(files) >= 11, files
    for p in files:
        data = p.read_bytes()
        for form in forms(session["key"]):
            assert form.encode() not in data, (p.name, form)


def test_the_failure_is_recorded_and_reported(session):
    # The 500 is in the record and the report, as the failure of article 000 (the one that names Odo Manuhutu).
    rec = (session["run_dir"] / "run.json").read_text(encoding="utf-8")
    assert '"status": 500' in rec
    assert "http_status" in (session["run_dir"] / "report.md").read_text(encoding="utf-8")


def test_a_key_echoed_back_by_the_endpoint_is_not_written(tmp_path):
    key = f"sk-test-PLANTED-{secrets.token_hex(12)}"
    env = clean_env()
    with FakeOpenAIServer({"Rudy Salahuddin": {"claims": [CLAIM]}}) as srv:
        env.update(OPENAI_BASE_URL=srv.base_url, OPENAI_API_KEY=key)
        srv.always_fault = "401"  # {"error": {"message": "Incorrect API key provided: <the key>"}}
        run = subprocess.run([HARNESS, "run", "--prompt", "guided",
                              "--model", "fake-model", "--article", A001, "--cache-dir",
                              str(tmp_path / "cache"), "--recorded", str(tmp_path / "none"), "--out",
                              str(tmp_path / "runs"), "--n-boot", "50"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    run_dir = next((tmp_path / "runs").iterdir())
    report = subprocess.run([HARNESS, "report", str(run_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert run.returncode == 1 and report.returncode == 0  # 1 of 1 failed
    rec = (run_dir / "run.json").read_text(encoding="utf-8")
    assert '"status": 401' in rec and "Incorrect API key provided" in rec  # the failure itself is kept
    for form in forms(key):
        for text in (run.stdout, run.stderr, report.stdout, report.stderr):
            assert form not in text, form
        for p in (p for p in tmp_path.rglob("*") if p.is_file()):
            assert form.encode() not in p.read_bytes(), (p.name, form)
