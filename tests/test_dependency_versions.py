"""The installed versions of the libraries the extraction path leans on stay inside the ranges pyproject.toml
declares (the ranges the code was tested with): an upgrade past them fails here, loudly, before it fails a run."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
GUARDED = ("openai", "instructor", "pydantic", "httpx", "httpx2", "tenacity")


def declared() -> dict[str, Requirement]:
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    return {(r := Requirement(d)).name.lower(): r for d in deps}


def test_every_dependency_has_an_upper_bound():
    unbounded = [
        str(r) for r in declared().values() if not any(s.operator in ("<", "<=", "~=", "==") for s in r.specifier)
    ]
    assert not unbounded, f"dependencies without an upper bound in pyproject.toml: {unbounded}"


@pytest.mark.parametrize("name", GUARDED)
def test_installed_version_is_inside_the_declared_range(name):
    req = declared().get(name)
    assert req is not None, f"{name} is not declared in pyproject.toml [project] dependencies"
    try:
        installed = version(name)
    except PackageNotFoundError:
        pytest.fail(f"{name} is declared ({req.specifier}) but not installed")
    assert req.specifier.contains(Version(installed), prereleases=True), (
        f"{name} {installed} is installed, but the code is tested with {name}{req.specifier} (pyproject.toml): "
        f"check its changelog against harness/extract/ (structured.py, faults.py, transport.py), then move the range"
    )


def test_the_one_instructor_internal_still_has_its_shape():
    """structured.py wraps `reject_async_validators` (no public switch exists); when instructor moves it the speed-up
    is skipped silently — this says so out loud instead."""
    import importlib

    checks = importlib.import_module("instructor.v2.validation.async_validators")
    assert callable(getattr(checks, "reject_async_validators", None)), f"instructor {version('instructor')} moved it"
