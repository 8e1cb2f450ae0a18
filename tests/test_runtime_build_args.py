"""The embedded model's runtime build skips llama.cpp's common library: checked with CMake itself on a two-level
project shaped like llama-cpp-python's (the outer CMakeLists forces LLAMA_BUILD_COMMON on in the cache, the inner
llama.cpp project declares it as an option and adds `common` when it is on)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.extract.local_model_setup import LIBS_ONLY_CMAKE_ARGS

OUTER = """cmake_minimum_required(VERSION 3.21)
project(llama_cpp NONE)
set(LLAMA_BUILD_COMMON ON CACHE BOOL "Build llama.cpp common library" FORCE)
add_subdirectory(vendor/llama.cpp)
"""
INNER = """cmake_minimum_required(VERSION 3.14...3.28)
project("llama.cpp" NONE)
option(LLAMA_BUILD_COMMON "llama: build common utils library" ON)
if (LLAMA_BUILD_COMMON)
    message(STATUS "common: built")
else()
    message(STATUS "common: skipped")
endif()
"""


def _configure(tmp_path: Path, args: list[str]) -> str:
    (tmp_path / "vendor" / "llama.cpp").mkdir(parents=True)
    (tmp_path / "CMakeLists.txt").write_text(OUTER)
    (tmp_path / "vendor" / "llama.cpp" / "CMakeLists.txt").write_text(INNER)
    done = subprocess.run(["cmake", "-S", str(tmp_path), "-B", str(tmp_path / "build"), *args],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout


@pytest.mark.skipif(shutil.which("cmake") is None, reason="no cmake on PATH (the runtime's build brings its own)")
def test_the_libs_only_arguments_skip_the_common_library(tmp_path: Path) -> None:
    args = shlex.split(LIBS_ONLY_CMAKE_ARGS)
    include = next(a.split("=", 1)[1] for a in args if a.startswith("-DCMAKE_PROJECT_llama.cpp_INCLUDE="))
    assert Path(include).is_file()
    assert "-DLLAVA_BUILD=OFF" in args  # the multimodal library stays skipped too
    assert "common: skipped" in _configure(tmp_path / "with", args)
    # Without them the forced cache entry wins, as in llama-cpp-python's own build.
    assert "common: built" in _configure(tmp_path / "without", [])
