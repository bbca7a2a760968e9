# streetlib: `make reproduce` and `make test` work from a fresh clone; `make help` lists every target.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml | sha256sum | cut -c1-12)
# Pinned threads: BLAS thread count changes NMF/LDA results in the last digits (streetlib reproduce and
# streetlib lab pin them too, for their notebook kernels; these cover pytest and nbval).
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYTHONHASHSEED := 0

.PHONY: help setup setup-fast lock browser build notebooks reports reproduce site lab test bench lint format clean teaching

help: ## list the targets
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): $(LOCK) pyproject.toml
	@echo "==> setting up $(VENV) from $(LOCK)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(LOCK)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP) ## create .venv with the pinned versions of every layer make test needs (requirements/dev.lock)

setup-fast: setup ## add the optional fast backends (segmentation, tomotopy; jieba_fast needs a C compiler) for make bench
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/fast.lock

lock: setup ## regenerate requirements/*.lock from pyproject.toml (pins kept) and check they install from wheels
	$(BIN)/python tools/lock.py

# The browser test needs Debian's chromium, chromium-driver and a CJK font. Installed with apt as root
# (or sudo without a password); anywhere else the browser tests are skipped and say why.
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk
browser: ## install headless Chromium and CJK fonts for the browser test (apt; skipped where impossible)
	@if dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "==> cannot install $(BROWSER_PACKAGES) (not root, no sudo): browser tests will be skipped"; exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "==> no apt-get: browser tests will be skipped"; exit 0; fi; \
	echo "==> installing $(BROWSER_PACKAGES) with apt"; \
	($$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends \
	  $(BROWSER_PACKAGES)) >/dev/null || echo "==> apt could not install them: browser tests will be skipped"

build: setup ## rebuild data/processed from data/raw (deterministic, atomic)
	$(BIN)/streetlib build

# Notebooks are independent (each reads data/processed and writes its own figures): run
# NOTEBOOK_JOBS at a time. `streetlib reproduce` skips those whose cells and inputs did not change.
NOTEBOOK_JOBS ?= 2
notebooks: setup ## execute every notebook in place (outputs committed), NOTEBOOK_JOBS at a time
	$(BIN)/streetlib reproduce --force --jobs $(NOTEBOOK_JOBS)

teaching: setup ## write teaching/05_teaching_case_student.ipynb: notebook 05 without its solutions
	$(BIN)/streetlib teaching

reports: setup ## execute the notebooks that changed, write their HTML reports and reports/index.html
	$(BIN)/streetlib reproduce --jobs $(NOTEBOOK_JOBS)

reproduce: setup ## from a fresh clone: set up, build, run the notebooks that changed, write figures/ and reports/
	$(BIN)/streetlib reproduce --jobs $(NOTEBOOK_JOBS)

site: setup ## reproduce, then build the static site of every notebook into site/
	$(BIN)/streetlib reproduce --jobs $(NOTEBOOK_JOBS) --site

lab: setup ## start JupyterLab in notebooks/
	$(BIN)/streetlib lab

# Two workers; loadscope keeps each notebook's nbval cells on one worker and hands out one notebook test
# class at a time. TEST_ARGS='-m "not slow and not notebooks"' skips everything that executes notebooks.
# Tests marked slow (minutes: package installs, every notebook on 34 streets) are left out by pyproject's
# addopts; .ci/run runs them after make test (README, "Tests").
TEST_JOBS ?= 2
test: setup browser ## pytest (library, data contracts, bad input) and nbval on every notebook, TEST_JOBS workers
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadscope --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg $(TEST_ARGS)

# Prints the figures and leaves the work tree clean; BENCH_ARGS=--write writes benchmarks/results/ (on a quiet machine).
bench: setup-fast build ## time every stage at 1x, 10x, 100x the corpus and the notebooks, interleaved with references (<20 min)
	$(BIN)/python benchmarks/run.py --scales 1 10 100 --repeats 3 $(BENCH_ARGS)
	$(BIN)/python benchmarks/agreement.py $(BENCH_ARGS)

lint: setup ## ruff lint and format check (library, tests, notebooks)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup ## apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean: ## remove the virtual environment and caches (keeps data and figures)
	rm -rf $(VENV) .pytest_cache .ruff_cache
