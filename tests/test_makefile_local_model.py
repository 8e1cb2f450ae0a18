"""`make local-model` skips the set-up only while what it set up is all there: the Makefile reads the weights' file
name and the runtime's version from the pins, and a lost weights file, side file or runtime makes the set-up run
again (checked with `make -n`: nothing is run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness.extract.local_model_setup import QWEN_PIN, RUNTIME_REQUIREMENT

ROOT = Path(__file__).resolve().parent.parent
VERSION = RUNTIME_REQUIREMENT.rpartition("==")[2]
SETUP = "/venv/bin/harness local-model setup\n"  # the command as make would run it (the database has $(HARNESS))
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def would_run(tmp_path: Path, lost: str | None = None) -> str:
    """`make -n -p local-model` on an environment and a cache folder made in tmp_path, set up but for `lost`."""
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    models = tmp_path / "cache" / "models"
    site.mkdir(parents=True)
    models.mkdir(parents=True)
    parts = {"runtime": site / f"llama_cpp_python-{VERSION}.dist-info", "weights": models / QWEN_PIN.filename,
             "side file": models / f"{QWEN_PIN.filename}.sha256.json"}  # fmt: skip
    for name, path in parts.items():
        if name != lost:
            path.mkdir() if name == "runtime" else path.write_bytes(b"GGUF")
    for path in (site, *site.iterdir(), *models.iterdir()):
        os.utime(path, ns=(10**18, 10**18))  # set up in 2001
    later = time.time_ns() + 3600 * 10**9  # the stamps: newer than everything, the Makefile's inputs included
    for i, stamp in enumerate((".installed", ".local-model")):
        (tmp_path / "venv" / stamp).touch()
        os.utime(tmp_path / "venv" / stamp, ns=(later + i, later + i))
    env = {**os.environ, "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(["make", "-n", "-p", f"VENV={tmp_path / 'venv'}", "local-model"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout


def variable(database: str, name: str) -> str:
    return next(line.split(" := ", 1)[1] for line in database.splitlines() if line.startswith(f"{name} := "))


def test_the_makefile_reads_the_pins(tmp_path):
    db = would_run(tmp_path)
    assert variable(db, "MODEL_NAME") == QWEN_PIN.filename
    assert variable(db, "RUNTIME_VERSION") == VERSION


def test_a_second_make_skips_the_setup(tmp_path):
    assert SETUP not in would_run(tmp_path)


@pytest.mark.parametrize("lost", ["weights", "side file", "runtime"])
def test_the_setup_runs_again_when_a_part_of_it_is_lost(tmp_path, lost):
    assert SETUP in would_run(tmp_path, lost)
