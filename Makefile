# customer360: `make build` then `make test` on a fresh machine with Python 3.11, make and git.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

# RAW_ROOT empty: build from the generated sample in data/raw. RAW_ROOT=path: build from your own exports.
RAW_ROOT ?=
SAMPLE_DIR := data/raw
SAMPLE_CUSTOMERS ?= 20000
SAMPLE_START ?= 2023-01-01
SAMPLE_END ?= 2025-12-31
SAMPLE_SEED ?= 7
RAW := $(if $(RAW_ROOT),$(RAW_ROOT),$(SAMPLE_DIR))

BUILD_DB ?= build/customer360.build.duckdb
WAREHOUSE ?= warehouse/customer360.duckdb

export DBT_PROFILES_DIR := $(CURDIR)
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

DBT := $(BIN)/dbt
PY := $(BIN)/python

.PHONY: help setup sample preflight dbt-build audit publish build test lint docs clean

help:
	@echo "make build   set up .venv, generate the sample (unless RAW_ROOT=path), build, test and publish $(WAREHOUSE)"
	@echo "make test    run the whole test suite (pytest: generator, dbt build on a small sample, lint, docs)"
	@echo "make lint    sqlfluff lint of every model"
	@echo "make docs    dbt docs generate (target/index.html)"
	@echo "make clean   remove generated data, builds and the venv"

# --compile-bytecode: unlike pip, uv writes no .pyc, and where PYTHONDONTWRITEBYTECODE is set Python
# never caches them, so every dbt run would compile pandas, scikit-learn and pymc from source again
# (importing pymc: 8 s without, 3 s with).
$(BIN)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
	touch $@

setup: $(BIN)/.installed

$(SAMPLE_DIR)/_generator.json: | $(BIN)/.installed
	$(PY) -m scripts generate --customers $(SAMPLE_CUSTOMERS) --start $(SAMPLE_START) --end $(SAMPLE_END) \
		--seed $(SAMPLE_SEED) --out $(SAMPLE_DIR)

sample: $(SAMPLE_DIR)/_generator.json

preflight: setup $(if $(RAW_ROOT),,sample)
	$(PY) -m scripts preflight --raw-root $(RAW)

# Write: dbt builds models and runs their tests into the build file; a failing test stops here,
# before anything is published. DBT_ARGS=--full-refresh rebuilds the incremental models too.
dbt-build: preflight
	mkdir -p build
	C360_BUILD_DB=$(BUILD_DB) $(DBT) build --target dev --vars "{raw_root: $(abspath $(RAW))}" $(DBT_ARGS)

# Audit: Great Expectations suites (audit/expectations.yml) on the build file; volume is compared
# with the published warehouse. A failed error-severity expectation stops here, before publishing.
audit:
	$(PY) -m scripts audit --db $(BUILD_DB) --previous-db $(WAREHOUSE) --docs-dir build/data_docs

# Publish: only an audited build replaces the warehouse BI reads.
publish:
	$(PY) -m scripts publish --build-db $(BUILD_DB) --warehouse $(WAREHOUSE)

build: dbt-build
	$(MAKE) --no-print-directory audit
	$(MAKE) --no-print-directory publish

test: setup
	$(PY) -m pytest tests/python -q -p no:cacheprovider

lint: setup
	$(BIN)/sqlfluff lint models analyses

docs: setup
	C360_BUILD_DB=$(BUILD_DB) $(DBT) docs generate --target dev --vars "{raw_root: $(abspath $(RAW))}"

clean:
	rm -rf $(VENV) data build warehouse target logs
