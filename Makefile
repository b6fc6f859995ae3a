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
EXPORT_DIR ?= exports/bi

export DBT_PROFILES_DIR := $(CURDIR)
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

DBT := $(BIN)/dbt
PY := $(BIN)/python

# DBT_ARGS reaches `python -m scripts build` through the environment, quotes and all.
DBT_ARGS ?=
export DBT_ARGS

# AS_OF=YYYY-MM-DD: the marketing as-of date (empty: the last day with orders). AUDIT_AS_OF: the day the
# audit treats as today (empty: AS_OF). AUDIT_VOLUME_MAX_CHANGE: for one build, how far (a fraction) any
# table's row count may move from the previous build's, after a deliberate backfill (empty: the audit
# config's 0.5). They reach the build through the environment like DBT_ARGS, so no value can become
# shell syntax; the build checks them and says in one line what is wrong.
AS_OF ?=
AUDIT_AS_OF ?=
AUDIT_VOLUME_MAX_CHANGE ?=
export AS_OF AUDIT_AS_OF AUDIT_VOLUME_MAX_CHANGE

.PHONY: help setup setup-spark sample preflight dbt-build audit publish rollback export report build test test-spark lint docs clean

help:
	@echo "make build   set up .venv, generate the sample (unless RAW_ROOT=path), build, test and publish $(WAREHOUSE)"
	@echo "             AS_OF=YYYY-MM-DD  marketing as-of date (default: the last day with orders; an earlier one than"
	@echo "                               the warehouse's needs DBT_ARGS=--full-refresh, the build says so)"
	@echo "             AUDIT_AS_OF=YYYY-MM-DD  the day the audit treats as today (default: AS_OF)"
	@echo "             AUDIT_VOLUME_MAX_CHANGE=20  after a deliberate backfill: row counts may move 20x (default 0.5)"
	@echo "             DBT_ARGS='...'    extra dbt arguments, e.g. --full-refresh or --selector daily"
	@echo "make test    run the whole test suite (pytest: generator, dbt build on a small sample, lint, docs)"
	@echo "make test-spark  build a 2,000-customer sample on DuckDB and on a local Spark (.venv-spark, Java 17) and compare"
	@echo "make lint    sqlfluff lint of every model"
	@echo "make rollback  put the previously published build back (run again to undo)"
	@echo "make export  write every table and view of $(WAREHOUSE) as Parquet under $(EXPORT_DIR)/<schema>/<table>.parquet"
	@echo "make export AUDIENCE=name  write that audience's members with their contact to exports/name.csv and .parquet"
	@echo "make report  one self-contained HTML page of charts of $(WAREHOUSE): build/report/customer360_report.html"
	@echo "make docs    dbt docs generate (target/index.html) and how to serve it"
	@echo "make clean   remove generated data, builds and the venv"

# --compile-bytecode: unlike pip, uv writes no .pyc, and where PYTHONDONTWRITEBYTECODE is set Python
# never caches them, so every dbt run would compile pandas, scikit-learn and pymc from source again
# (importing pymc: 8 s without, 3 s with). --no-cache: the packages are not kept a second time in
# ~/.cache (about 2.5 GB with the Spark environment's PySpark), which a fresh machine cannot reuse anyway.
$(BIN)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-cache-dir uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --no-cache --compile-bytecode --python $(BIN)/python -r requirements.lock
	touch $@

setup: $(BIN)/.installed

# The optional Spark environment (dbt-spark's session method on a local PySpark, ~715 MB): only
# `make test-spark` and users who build on Spark need it, so `make build` stays light.
VENV_SPARK := .venv-spark
$(VENV_SPARK)/bin/.installed: requirements-spark.lock
	@command -v java >/dev/null || { echo "Spark needs Java 17: apt-get install openjdk-17-jre-headless"; exit 1; }
	$(PYTHON) -m venv $(VENV_SPARK)
	$(VENV_SPARK)/bin/pip install --quiet --disable-pip-version-check --no-cache-dir uv==$(UV_VERSION)
	$(VENV_SPARK)/bin/uv pip install --quiet --no-cache --compile-bytecode --python $(VENV_SPARK)/bin/python -r requirements-spark.lock
	touch $@

setup-spark: $(VENV_SPARK)/bin/.installed

$(SAMPLE_DIR)/_generator.json: | $(BIN)/.installed
	$(PY) -m scripts generate --customers $(SAMPLE_CUSTOMERS) --start $(SAMPLE_START) --end $(SAMPLE_END) \
		--seed $(SAMPLE_SEED) --out $(SAMPLE_DIR)

sample: $(SAMPLE_DIR)/_generator.json

BUILD := $(PY) -m scripts build --raw-root $(RAW) --build-db $(BUILD_DB) --warehouse $(WAREHOUSE) \
	$(if $(AS_OF),--as-of "$$AS_OF") $(if $(AUDIT_AS_OF),--audit-as-of "$$AUDIT_AS_OF") \
	$(if $(AUDIT_VOLUME_MAX_CHANGE),--audit-volume-max-change "$$AUDIT_VOLUME_MAX_CHANGE")

# One locked process (scripts/build.py): preflight, the build file restored from the last published
# state, dbt build (models and their tests), audit (Great Expectations, audit/expectations.yml), and
# publish of the BI file, the restricted file and the state. A failure at any step publishes nothing.
build: setup $(if $(RAW_ROOT),,sample)
	$(BUILD)

preflight: setup $(if $(RAW_ROOT),,sample)
	$(PY) -m scripts preflight --raw-root $(RAW)

# Write only: dbt builds into the build file (DBT_ARGS=--full-refresh rebuilds the incremental models).
dbt-build: setup $(if $(RAW_ROOT),,sample)
	$(BUILD) --steps preflight,dbt

# Audit: the Great Expectations suites on the build file; volume is compared with the published
# warehouse. Only an audited build file can be published, and only once.
audit: setup
	$(BUILD) --steps audit

publish: setup
	$(PY) -m scripts publish --build-db $(BUILD_DB) --warehouse $(WAREHOUSE)

rollback: setup
	$(PY) -m scripts publish --rollback --warehouse $(WAREHOUSE)

# Parquet for BI tools that prefer files: reads the published BI file read-only, replaces the export whole.
# AUDIENCE=name: that audience's members with their contact (from the restricted file) to exports/, 0600.
# It reaches the command through the environment, so a value cannot become shell syntax.
AUDIENCE ?=
export AUDIENCE

export: setup
	$(if $(AUDIENCE),$(PY) -m scripts export-audience "$$AUDIENCE" --warehouse $(WAREHOUSE) --out exports,$(PY) -m scripts export --warehouse $(WAREHOUSE) --out $(EXPORT_DIR))

# Charts as inline SVG from aggregates of the published marts: the file opens offline, no CDN.
report: setup
	$(PY) -m scripts report --format html --warehouse $(WAREHOUSE) --out build/report/customer360_report.html

# Two pytest workers (TEST_WORKERS=0: one process): most of a test's time is dbt's single-threaded Python,
# so two builds at once use both cores. --dist loadgroup keeps the tests that share a module's fixture on
# one worker and spreads the others (tests/python/conftest.py, pytest_collection_modifyitems).
# tmp_path_retention_policy=failed: a passed test's folder goes when it ends and a passed run's at its end,
# so the suite peaks well under the 5 GB it left in /tmp when every folder was kept (CI's disk ran out).
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -q -p no:cacheprovider -o tmp_path_retention_policy=failed
test: setup
	$(PYTEST) tests/python $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadgroup --durations 15)

# The same SQL DAG on Spark and on DuckDB, from one 2,000-customer sample and one more day: the ported
# models must be equal row for row (tests/spark prints the table, the models not ported and the times).
test-spark: setup setup-spark
	$(PYTEST) tests/spark -s

# sqlfluff renders the models through dbt, and the PII hash macro needs a salt to render.
lint: setup
	@mkdir -p build/ci  # the templater's dbt opens the ci target's file
	C360_PII_SALT=$${C360_PII_SALT:-lint-only} $(BIN)/sqlfluff lint models analyses

docs: setup
	$(BUILD) --steps docs
	@echo "docs: target/index.html; to browse it: .venv/bin/dbt docs serve --port 8080 (then http://localhost:8080)"

clean:
	rm -rf $(VENV) $(VENV_SPARK) data build warehouse exports target logs
