# streetlib: `make reproduce` and `make test` work from a fresh clone; `make help` lists every target.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-12)
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
# Pinned threads: BLAS thread count changes NMF/LDA results in the last digits.
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYTHONHASHSEED := 0

.PHONY: help setup browser build notebooks reports reproduce test bench lint format clean

help: ## list the targets
	@grep -E '^[a-z][a-zA-Z_-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@echo "==> setting up $(VENV) from requirements.lock"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "$$(grep '^pip==' requirements.lock)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP) ## create .venv with the pinned versions and install streetlib into it

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
# NOTEBOOK_JOBS at a time; 01 (topic models) is the long one and starts first.
NOTEBOOK_JOBS ?= 2
notebooks: build ## execute every notebook in place (outputs committed), NOTEBOOK_JOBS at a time
	@printf '%s\n' $(NOTEBOOKS) | xargs -P $(NOTEBOOK_JOBS) -I{} sh -c '\
	  echo "==> executing {}"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level=ERROR \
	    --ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False "{}"'

reports: setup ## write the executed notebooks as HTML to reports/
	@echo "==> writing HTML reports"
	$(BIN)/jupyter nbconvert --to html --log-level=WARN --output-dir reports $(NOTEBOOKS)
	$(BIN)/streetlib index-reports reports

reproduce: notebooks reports ## from a fresh clone: set up, build, run every notebook, write figures/ and reports/
	@echo "==> done: data/processed, figures/, reports/ are up to date"

# Two workers; loadscope keeps each notebook's nbval cells on one worker and hands out one notebook test
# class at a time. TEST_ARGS='-m "not slow"' skips everything that executes notebooks.
TEST_JOBS ?= 2
test: setup browser ## pytest (library, data contracts, bad input) and nbval on every notebook, TEST_JOBS workers
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadscope --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg $(TEST_ARGS)

# Prints the figures and leaves the work tree clean; BENCH_ARGS=--write writes benchmarks/results/ (on a quiet machine).
bench: build ## time every stage at 1x, 10x, 100x the corpus and the notebooks, interleaved with references (<20 min)
	$(BIN)/python benchmarks/run.py --scales 1 10 100 --repeats 3 $(BENCH_ARGS)
	$(BIN)/python benchmarks/agreement.py $(BENCH_ARGS)

lint: setup ## ruff lint and format check (library, tests, notebooks)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup ## apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean: ## remove the virtual environment and caches (keeps data and figures)
	rm -rf $(VENV) .pytest_cache .ruff_cache
