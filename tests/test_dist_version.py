"""files.dist_version reads an installed package's version from its dist-info folder name, as importlib.metadata would
report it, without importing importlib.metadata on a command's start."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

from harness.files import dist_version


@pytest.mark.parametrize(
    "name", ["instructor", "pydantic", "pydantic-core", "pydantic_core", "PyYAML", "typing-extensions", "harness"]
)
def test_it_agrees_with_importlib_metadata(name: str) -> None:
    assert dist_version(name) == metadata.version(name)


def test_the_first_folder_on_the_path_wins_and_names_are_normalised(tmp_path: Path, monkeypatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "Zebra_Stripes-1.2.3.dist-info").mkdir(parents=True)
    (second / "zebra_stripes-9.9.dist-info").mkdir(parents=True)
    (first / "zebra-9.0.dist-info").mkdir()  # another package whose name is a prefix: not taken for it
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])
    assert dist_version("zebra-stripes") == dist_version("Zebra.Stripes") == "1.2.3"
    assert dist_version("zebra") == "9.0"
    assert dist_version("no-such-package-here") is None
