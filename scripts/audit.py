"""Audit a built warehouse with Great Expectations before it is published (write-audit-publish).

`python -m scripts audit --db build/customer360.build.duckdb [--previous-db warehouse/customer360.duckdb]
[--raw-root data/raw] [--as-of YYYY-MM-DD]`

Every table suite of audit/expectations.yml is validated by GE on metrics that DuckDB computes over the whole
table (counts, maxima, duplicates, a few example values: GE's own metric names, fed to
`Expectation.metrics_validate`), so no table is read into Python and the audit's memory does not grow with the
data. Aggregate checks (decay, bounce rate, typo share, quarantine rate) are computed with DuckDB SQL into a small
dataframe and validated with expect_column_values_to_be_between by GE's pandas engine, so they show in Data Docs
like the others. Derived checks:

- reference date (`--as-of`, AUDIT_AS_OF): the date freshness and date-relative thresholds are measured against.
  Unset, it is the end date a generated sample records in <raw root>/_generator.json, else today.
- applicability: a check on a channel or column the user did not deliver is not run but listed as not applicable
  with its reason. What was delivered is read from the build (quality.fct_raw_table_reconciliation: raw rows per
  raw table; a column with no value in its staging table), never from a hand list.
- freshness: each raw table's newest load must be within `max_days_behind` days of the reference date. With a
  raw root, the newest load is `dbt source freshness`'s max_loaded_at of the raw files (dbt's own verdict against
  "now" is ignored); without one (auditing a copied warehouse) it is max(load_date) of the staging table.
- volume: with --previous-db, each table's row count must be within +/- settings.volume.max_change of the same
  table in the previous warehouse, or within settings.volume.min_rows rows of it (a small table's first rows are
  growth); skipped with a notice when there is no previous warehouse/table. The build passes the published
  state (the previous audited build file, which holds staging too), else the BI file.

Prints one line per failed expectation (AUDIT FAIL [error] ... / AUDIT WARN [warn] ...) and per not-applicable
suite or check (AUDIT N/A ...), writes Data Docs and audit_summary.json / audit_summary.html under --docs-dir, and
exits 1 when an error-severity expectation failed (or a required table is missing), else 0.
"""
from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["GX_ANALYTICS_ENABLED"] = "false"  # no network for telemetry, whatever the caller exported
os.environ["DO_NOT_TRACK"] = "1"

import warnings  # noqa: E402

import duckdb  # noqa: E402
import yaml  # noqa: E402

from scripts.arguments import apply_duckdb_settings, iso_date_value, missing_file, non_negative_number  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DB = Path("build/customer360.build.duckdb")
DEFAULT_CONFIG = Path("audit/expectations.yml")
DEFAULT_DOCS = Path("build/data_docs")
SEVERITIES = ("error", "warn")
GENERATOR_META = "_generator.json"
RECONCILIATION = "quality.fct_raw_table_reconciliation"
# The audit's own DuckDB memory limit when C360_DUCKDB_MEMORY_LIMIT is unset: aggregates need little, and the
# GROUP BY of a uniqueness check over tens of millions of keys spills to disk beyond it.
AUDIT_MEMORY_LIMIT = "4GB"
STAGING_NAME = re.compile(r"^staging\.stg_([a-z0-9]+)__([a-z0-9_]+)$")


class AuditError(Exception):
    """The audit cannot run as configured (a bad config or reference date): one line, exit 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"DuckDB build file to audit (default {DEFAULT_DB})")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help=f"expectations config (default {DEFAULT_CONFIG})")
    parser.add_argument("--docs-dir", type=Path, default=DEFAULT_DOCS, help=f"Data Docs output directory (default {DEFAULT_DOCS})")
    parser.add_argument("--previous-db", type=Path, default=None,
                        help="currently published warehouse, for the volume check (default: none, check skipped; skipped too if the file is absent)")
    parser.add_argument("--volume-max-change", type=non_negative_number, default=None, metavar="FRACTION",
                        help="for this run, every table's row count may move by this fraction of the previous one, "
                             "e.g. 20 after a deliberate backfill (default: settings.volume of --config)")
    parser.add_argument("--as-of", "--run-date", dest="audit_as_of", type=iso_date_value, default=None, metavar="YYYY-MM-DD",
                        help="reference date of freshness and date-relative thresholds (AUDIT_AS_OF); default: the end "
                             "date of a generated sample (<raw root>/_generator.json), else today")
    parser.add_argument("--raw-root", type=Path, default=None,
                        help="raw exports the build read, for dbt source freshness (default $C360_RAW_ROOT; without "
                             "one, freshness is measured on the staging tables)")
    parser.add_argument("--suite", action="append", default=None, metavar="GLOB",
                        help="only run suites whose name matches GLOB (repeatable), e.g. 'staging.stg_crm__*' "
                             "(default: every suite)")


def check_args(args: argparse.Namespace) -> str | None:
    """Checks reported as usage errors by the CLI (a missing --db is an audit failure, reported by run)."""
    return missing_file(args.config, "--config")


def reference_date(audit_as_of: dt.date | None, raw_root: Path | None) -> tuple[dt.date, str]:
    """The date the audit measures freshness against, and why that one.

    A generated sample is history ending on a fixed date (SAMPLE_END): measured against today it would fail
    freshness for ever, so its own end date (recorded by the generator, moved on by --append-days) is the
    reference. Real exports carry no such file: a daily run is measured against today."""
    if audit_as_of is not None:
        return audit_as_of, "set by --as-of / AUDIT_AS_OF"
    meta = Path(raw_root) / GENERATOR_META if raw_root else None
    if meta is not None and meta.is_file():
        try:
            end = dt.date.fromisoformat(json.loads(meta.read_text())["end"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AuditError(f"{meta} has no readable end date ({exc}): set --as-of / AUDIT_AS_OF") from None
        return end, f"end of the generated sample ({meta})"
    return dt.date.today(), "today (set AUDIT_AS_OF to audit an older delivery)"


# --------------------------------------------------------------------------------------------------------------
# Plan: what to validate, read from the config and the database (no GE involved yet)
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Check:
    type: str
    kwargs: dict
    severity: str
    subject: str  # table the check describes (for messages)
    index_column: str | None = None  # metric rows: column naming the row (e.g. table_name)


@dataclass
class Suite:
    """A table suite (`table` set) is validated on GE metrics that DuckDB computes over the whole table; a metric
    or freshness suite is a small dataframe (`sql` run by DuckDB, or `frame` given) validated by GE's pandas engine."""
    name: str
    subject: str
    sql: str
    params: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    frame: Any = None
    table: str | None = None
    columns: list[str] = field(default_factory=list)


@dataclass
class Plan:
    suites: list[Suite] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # error-severity problems found before GE (missing tables...)
    notices: list[str] = field(default_factory=list)
    not_applicable: list[dict] = field(default_factory=list)  # checks not run: suite, target, check, reason
    na_suites: list[tuple[str, str]] = field(default_factory=list)  # whole suites not run, and why


def quote_table(name: str) -> str:
    return ".".join(f'"{part}"' for part in name.split("."))


def table_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str] | None:
    """Columns of schema.table in order, or None when the table does not exist."""
    schema, _, table = name.rpartition(".")
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema or "main", table]).fetchall()
    return [r[0] for r in rows] or None


def newest_load(con: duckdb.DuckDBPyConnection, column: str) -> dt.date | None:
    tables = con.execute(
        "select table_schema, table_name from information_schema.columns where column_name = ?", [column]).fetchall()
    if not tables:
        return None
    union = " union all ".join(f'select max("{column}") as m from "{s}"."{t}"' for s, t in tables)
    value = con.execute(f"select max(m) from ({union})").fetchone()[0]
    return value.date() if isinstance(value, dt.datetime) else value


def as_datetime(value: Any) -> Any:
    """Dates must be datetimes: DuckDB DATE arrives in pandas as datetime64, which GE cannot compare to a date."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return value


def resolve(value: Any, con: duckdb.DuckDBPyConnection, params: dict) -> Any:
    """Evaluate `{sql: "..."}` kwargs with DuckDB (e.g. the reference date minus 14 years)."""
    if isinstance(value, dict) and set(value) == {"sql"}:
        sql = value["sql"]
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
        return as_datetime(con.execute(f"select {sql}", used).fetchone()[0])
    if isinstance(value, list):
        return [resolve(v, con, params) for v in value]
    return as_datetime(value)


def referenced_columns(kwargs: dict, columns: list[str]) -> set[str]:
    used: set[str] = set()
    for key, value in kwargs.items():
        if key in ("column", "column_A", "column_B") and isinstance(value, str):
            used.add(value)
        elif key == "column_list" and isinstance(value, list):
            used.update(value)
        elif key == "row_condition" and isinstance(value, str):
            used.update(tok for tok in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", value) if tok in columns)
    return used


def parse_check(raw: dict, where: str) -> tuple[str, dict, str]:
    if not isinstance(raw, dict) or "type" not in raw:
        raise ValueError(f"{where}: each expectation needs a `type`, `kwargs` and `severity`: {raw!r}")
    severity = raw.get("severity", "error")
    if severity not in SEVERITIES:
        raise ValueError(f"{where}: severity must be one of {SEVERITIES}, not {severity!r}")
    kwargs = dict(raw.get("kwargs") or {})
    if "row_condition" in kwargs:
        kwargs.setdefault("condition_parser", "pandas")
    return raw["type"], kwargs, severity


def selected(name: str, patterns: list[str] | None) -> bool:
    return not patterns or any(fnmatch.fnmatch(name, p) for p in patterns)


class Delivery:
    """What the user delivered, as the build saw it: raw rows per raw table from the reconciliation mart
    (absent and switched-off tables are there with zero rows) and, asked lazily, whether a column of a built
    table holds any value. A build without the mart (an old or partial one) counts everything as delivered."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.raw_rows: dict[str, int] | None = None
        if table_columns(con, RECONCILIATION) is not None:
            self.raw_rows = dict(con.execute(f"select raw_table_id, raw_row_count from {RECONCILIATION}").fetchall())
        self._has_values: dict[tuple[str, str], bool] = {}

    def delivered(self) -> list[str]:
        return sorted(t for t, n in (self.raw_rows or {}).items() if n > 0)

    def table_reason(self, raw_table: str) -> str | None:
        """Why a raw table counts as not delivered, or None when it was (or the build cannot tell)."""
        if not self.raw_rows or self.raw_rows.get(raw_table, 1) > 0:
            return None
        source = raw_table.split(".")[0]
        siblings = [n for t, n in self.raw_rows.items() if t.split(".")[0] == source]
        return f"channel {source} not delivered" if not any(siblings) else f"table {raw_table} not delivered"

    def column_reason(self, table: str, column: str) -> str | None:
        """Why a column counts as not delivered: it holds no value at all in the built table. A column that had
        values in any load is delivered (staging keeps every version), so a column that went blank is checked."""
        raw = raw_table_of(table)
        if (raw and self.table_reason(raw)) or table_columns(self.con, table) is None:
            return None  # the table's own rule (or its missing-table failure) says it
        key = (table, column)
        if key not in self._has_values:
            if column not in table_columns(self.con, table):
                raise AuditError(f"applies_if names column {column} that {table} does not have")
            self._has_values[key] = self.con.execute(
                f'select count("{column}") > 0 from {quote_table(table)}').fetchone()[0]
        return None if self._has_values[key] else f"no {column} delivered in {raw or table}"


def raw_table_of(table: str) -> str | None:
    """The raw table a staging model reads (staging.stg_<source>__<table> -> <source>.<table>)."""
    match = STAGING_NAME.match(table)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def not_applicable(rule: Any, table: str, delivery: Delivery, where: str) -> str | None:
    """The reason a check does not apply, from its `applies_if` rule, or None when it applies.

    delivered: [raw tables]      all must have been delivered
    delivered_any: [raw tables]  at least one
    has_values: [column | schema.table.column]  each column must hold a value (in the check's table by default)"""
    if not rule:
        return None
    if not isinstance(rule, dict) or set(rule) - {"delivered", "delivered_any", "has_values"}:
        raise AuditError(f"{where}: applies_if takes delivered, delivered_any and has_values, not {rule!r}")
    as_list = lambda value: [value] if isinstance(value, str) else list(value or [])  # noqa: E731
    for raw in as_list(rule.get("delivered")):
        reason = delivery.table_reason(raw)
        if reason:
            return reason
    any_of = as_list(rule.get("delivered_any"))
    if any_of and all(delivery.table_reason(raw) for raw in any_of):
        return f"none of {', '.join(any_of)} delivered"
    for ref in as_list(rule.get("has_values")):
        owner, _, column = ref.rpartition(".")
        reason = delivery.column_reason(owner or table, column)
        if reason:
            return reason
    return None


def configure(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB settings of the build (profiles.yml): the same threads, and a memory limit below the 8 GiB of a
    step. The audit's largest query is the GROUP BY of a uniqueness check, which spills past the limit."""
    try:
        apply_duckdb_settings(con, AUDIT_MEMORY_LIMIT)
    except ValueError as exc:
        raise AuditError(str(exc)) from None
    con.execute("set preserve_insertion_order = false")


def import_great_expectations_meanwhile() -> None:
    """Import Great Expectations (about 4 s of one core) in a thread while `dbt source freshness` runs in its
    own process on the other core; validate() then finds it imported. A failed import is left to validate(),
    whose own import raises it where it is reported."""
    def quietly() -> None:
        try:
            import great_expectations  # noqa: F401
        except Exception:  # noqa: BLE001, S110: reported by validate()'s import
            pass
    threading.Thread(target=quietly, name="import-great-expectations", daemon=True).start()


def run_source_freshness(raw_root: Path, raw_tables: list[str], work_dir: Path) -> dict[str, dt.date]:
    """Newest load of each delivered raw table by `dbt source freshness` (the sources' loaded_at_field).

    dbt judges against the clock; the audit keeps only max_loaded_at and judges it against the reference date
    with the thresholds of audit/expectations.yml. Absent tables are not asked (dbt would fail on an empty glob).
    dbt connects to a scratch file in work_dir, so the build file stays untouched and unlocked; its target
    folder stays there too, so the next audit parses the project partially (about 5 s less)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "C360_RAW_ROOT": str(Path(raw_root).resolve()),
           "C360_BUILD_DB": str(work_dir / "source_freshness.duckdb"),
           "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(REPO)),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.setdefault("C360_PII_SALT", "unused-by-source-freshness")  # the project does not parse without one
    output = work_dir / "target" / "sources.json"
    output.unlink(missing_ok=True)
    cmd = [str(Path(sys.executable).parent / "dbt"), "source", "freshness", "--project-dir", str(REPO),
           "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
           "--select", *[f"source:{t}" for t in raw_tables]]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if not output.is_file():
        last = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()][-1:] or ["no output"]
        raise AuditError(f"dbt source freshness did not run (exit {done.returncode}): {last[0][-300:]}")
    results = json.loads(output.read_text())["results"]
    newest: dict[str, dt.date] = {}
    for result in results:
        raw = ".".join(result["unique_id"].split(".")[-2:])
        if not result.get("max_loaded_at"):
            raise AuditError(f"dbt source freshness could not read source {raw}: "
                             f"{(result.get('error') or result.get('status'))!s:.300}")
        newest[raw] = dt.datetime.fromisoformat(result["max_loaded_at"]).date()
    unanswered = sorted(set(raw_tables) - set(newest))
    if unanswered:
        raise AuditError(f"dbt source freshness gave no result for {', '.join(unanswered)}")
    return newest


def setting(value: Any, kind: type, where: str) -> Any:
    """A non-negative number of the config, or one line naming where it is wrong."""
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number < 0 or (kind is int and number != value):
        raise AuditError(f"{where} must be a non-negative {'whole ' if kind is int else ''}number, got {value!r}")
    return number


def build_plan(config: dict, con: duckdb.DuckDBPyConnection, args: argparse.Namespace,
               as_of: dt.date, delivery: Delivery, source_newest: dict[str, dt.date] | None) -> Plan:
    plan = Plan()
    settings = config.get("settings") or {}
    fresh = settings.get("freshness") or {}
    load_column = fresh.get("load_column", "load_date")
    newest = newest_load(con, load_column)
    params = {"as_of_date": as_of, "newest_load_date": newest or as_of, **(settings.get("params") or {})}

    volume = settings.get("volume") or {}
    max_change = setting(volume.get("max_change", 0.5), float, "settings.volume.max_change")
    min_rows = setting(volume.get("min_rows", 0), int, "settings.volume.min_rows")
    volume_severity = volume.get("severity", "error")
    prev = None
    if args.previous_db is None:
        plan.notices.append("no --previous-db: volume checks skipped")
    elif not Path(args.previous_db).is_file():
        plan.notices.append(f"previous warehouse {args.previous_db} does not exist (first publish?): volume checks skipped")
    else:
        prev = duckdb.connect(str(args.previous_db), read_only=True)

    def skip(target: str, type_: str, severity: str, reason: str, suite: str) -> None:
        plan.not_applicable.append({"suite": suite, "target": target, "check": type_, "severity": severity,
                                    "reason": reason})

    freshness_rows: list[dict] = []
    try:
        for name, spec in (config.get("tables") or {}).items():
            spec = spec or {}
            if not selected(name, args.suite):
                continue
            raw = raw_table_of(name)
            suite_reason = (delivery.table_reason(raw) if raw else None) or \
                not_applicable(spec.get("applies_if"), name, delivery, f"tables.{name}")
            columns = table_columns(con, name)
            if columns is None and not suite_reason:
                if spec.get("required", True):
                    plan.failures.append(f"AUDIT FAIL [error] {name} required table is missing from {args.db}")
                else:
                    plan.notices.append(f"AUDIT SKIP {name}: table does not exist (optional)")
                continue
            suite = Suite(name=name, subject=name, sql="")
            needed: set[str] = set()
            for i, raw_check in enumerate(spec.get("expectations") or []):
                where = f"tables.{name}.expectations[{i}]"
                type_, kwargs, severity = parse_check(raw_check, where)
                reason = suite_reason or not_applicable(raw_check.get("applies_if"), name, delivery, where)
                if reason:
                    skip(target_of(name, kwargs), type_, severity, reason, name)
                    continue
                kwargs = {k: resolve(v, con, params) for k, v in kwargs.items()}
                needed |= referenced_columns(kwargs, columns)
                suite.checks.append(Check(type_, kwargs, severity, name))
            freshness = spec.get("freshness") or []
            for f in freshness if isinstance(freshness, list) else [freshness]:
                column = f.get("column", load_column)
                days = int(f.get("max_days_behind", fresh.get("max_days_behind", 7)))
                severity = f.get("severity", "error")
                if suite_reason:
                    skip(f"{name}.{column}", "freshness", severity, suite_reason, name)
                elif source_newest is not None and raw in source_newest and column == load_column:
                    # measured on the raw files by dbt source freshness; judged below, in one suite
                    newest_raw, label = source_newest[raw], raw
                    if f.get("judged_by") == "channel":
                        channel = raw.split(".")[0]
                        newest_raw = max(d for t, d in source_newest.items() if t.split(".")[0] == channel)
                        label = f"{raw} (newest load of channel {channel})"
                    freshness_rows.append({"table_name": label, "newest_load_date": newest_raw,
                                           "max_days_behind": days, "severity": severity})
                else:
                    minimum = as_datetime(as_of - dt.timedelta(days=days))
                    suite.checks.append(Check("expect_column_max_to_be_between",
                                              {"column": column, "min_value": minimum, "meta_max_days_behind": days},
                                              severity, name))
                    needed.add(column)
            if suite_reason:
                plan.na_suites.append((name, suite_reason))
                continue
            vol = spec.get("volume", True)  # true (settings.volume), false (off) or {max_change, severity}
            vol = {} if vol is True else vol
            if prev is not None and vol is not False:
                if table_columns(prev, name) is None:
                    plan.notices.append(f"AUDIT SKIP volume {name}: not in previous warehouse")
                else:
                    before = prev.execute(f"select count(*) from {quote_table(name)}").fetchone()[0]
                    change = setting(vol.get("max_change", max_change), float, f"tables.{name}.volume.max_change")
                    if getattr(args, "volume_max_change", None) is not None:
                        change = args.volume_max_change
                    slack = setting(vol.get("min_rows", min_rows), int, f"tables.{name}.volume.min_rows")
                    suite.checks.append(Check(
                        "expect_table_row_count_to_be_between",
                        {"min_value": max(0, min(math.ceil(before * (1 - change)), before - slack)),
                         "max_value": max(math.floor(before * (1 + change)), before + slack),
                         "meta_previous_row_count": before},
                        vol.get("severity", volume_severity), name))
            missing = sorted(needed - set(columns))
            if missing:
                plan.failures.append(f"AUDIT FAIL [error] {name} configured column(s) missing: {', '.join(missing)}")
                needed -= set(missing)
                suite.checks = [c for c in suite.checks if not (referenced_columns(c.kwargs, columns + missing) & set(missing))]
            for check in suite.checks:  # a row condition outside the SQL subset stops here, before any scan
                if check.kwargs.get("row_condition"):
                    condition_sql(check.kwargs["row_condition"], columns, f"tables.{name}")
            suite.table, suite.columns = name, columns
            if suite.checks:
                plan.suites.append(suite)

        if freshness_rows:
            plan.suites.append(source_freshness_suite(freshness_rows, as_of))

        for spec in config.get("metrics") or []:
            name = f"metric.{spec['name']}"
            if not selected(name, args.suite):
                continue
            subject = spec.get("table", name)
            absent = [t for t in spec.get("requires") or [] if table_columns(con, t) is None]
            reason = not_applicable(spec.get("applies_if"), subject, delivery, f"metrics.{spec['name']}")
            if reason:
                for raw_check in spec.get("expectations") or []:
                    type_, kwargs, severity = parse_check(raw_check, name)
                    skip(target_of(subject, kwargs), type_, severity, reason, name)
                plan.na_suites.append((name, reason))
                continue
            if absent:
                plan.notices.append(f"AUDIT SKIP {name}: table(s) do not exist: {', '.join(absent)}")
                continue
            suite = Suite(name=name, subject=subject, sql=spec["sql"], params=params)
            for i, raw_check in enumerate(spec.get("expectations") or []):
                type_, kwargs, severity = parse_check(raw_check, f"metrics.{spec['name']}.expectations[{i}]")
                kwargs = {k: resolve(v, con, params) for k, v in kwargs.items()}
                suite.checks.append(Check(type_, kwargs, severity, subject, spec.get("index_column")))
            plan.suites.append(suite)
    finally:
        if prev is not None:
            prev.close()
    return plan


def target_of(table: str, kwargs: dict) -> str:
    column = kwargs.get("column") or ",".join(kwargs.get("column_list") or []) or None
    return f"{table}.{column}" if column else table


FRESHNESS_SUITE = "freshness.raw_tables"


def source_freshness_suite(rows: list[dict], as_of: dt.date) -> Suite:
    """One suite over every delivered raw table's newest load, so Data Docs shows freshness in one table."""
    import pandas as pd
    frame = pd.DataFrame(rows)
    frame["days_behind"] = [(as_of - d).days for d in frame["newest_load_date"]]
    frame["days_over_limit"] = frame["days_behind"] - frame["max_days_behind"]
    frame["newest_load_date"] = pd.to_datetime(frame["newest_load_date"])
    suite = Suite(name=FRESHNESS_SUITE, subject="raw tables", sql="", frame=frame)
    for severity in SEVERITIES:
        if (frame["severity"] == severity).any():
            suite.checks.append(Check("expect_column_values_to_be_between",
                                      {"column": "days_over_limit", "max_value": 0, "mostly": 1.0,
                                       "row_condition": f'severity == "{severity}"', "condition_parser": "pandas"},
                                      severity, "raw tables", "table_name"))
    return suite


def load_frames(plan: Plan, con: duckdb.DuckDBPyConnection) -> None:
    """Run the metric suites' SQL: each returns a few rows (one per table at most). Table suites load nothing."""
    for suite in plan.suites:
        if suite.frame is not None or suite.table is not None:
            continue
        params = {k: v for k, v in suite.params.items() if re.search(rf"\${k}\b", suite.sql)}
        suite.frame = con.execute(suite.sql, params).df()


# --------------------------------------------------------------------------------------------------------------
# GE metrics of the table suites, computed by DuckDB
# --------------------------------------------------------------------------------------------------------------
# GE decides every table check: each expectation declares the metrics it needs (GE's names, domain and value
# kwargs) and `Expectation.metrics_validate` turns their values into the result, with GE's own `mostly`, bounds
# and result format. Only the metric values come from here: SQL aggregates over the whole table, one scan per
# table for the counts and maxima, one GROUP BY per uniqueness check (behind a sort of the values' hashes, which
# lets it run only where a value may repeat), and a LIMIT query for the examples of a
# check that found unexpected rows. Nothing the size of a table reaches Python. (GE's own SQL datasource would
# need SQLAlchemy and duckdb-engine, which are not among the pins, plus a shim: docs/design.md, "The audit at
# scale".)

RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
CONDITION_TERM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|>|<|not\s+in|in)\s*(.+?)\s*$", re.DOTALL)
CONNECTIVE = re.compile(r"\s+(and|or)\s+(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)")


def sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"unsupported value {value!r}")


def condition_sql(condition: str, columns: list[str], where: str) -> str:
    """A row_condition of the config (the pandas query subset `column <op> value`, `column [not] in [values]`,
    joined by and/or) as a DuckDB predicate with pandas' treatment of nulls: a null column value matches only
    `!=` and `not in`, as in DataFrame.query."""
    import ast
    parts = CONNECTIVE.split(condition.strip())
    terms = []
    for i, part in enumerate(parts):
        if i % 2:
            terms.append(part)
            continue
        match = CONDITION_TERM.match(part)
        if not match:
            raise AuditError(f"{where}: row_condition {condition!r} is not `column <op> value` or "
                             f"`column in [values]` joined by and/or")
        column, op, text = match.group(1), " ".join(match.group(2).split()), match.group(3)
        if column not in columns:
            raise AuditError(f"{where}: row_condition {condition!r} names column {column} that the table does not have")
        try:
            value = ast.literal_eval(text)
            if op in ("in", "not in"):
                if not isinstance(value, (list, tuple)) or not value:
                    raise ValueError("needs a non-empty list")
                values = ", ".join(sql_literal(v) for v in value)
            else:
                literal = sql_literal(value)
        except (ValueError, SyntaxError) as exc:
            raise AuditError(f"{where}: row_condition {condition!r}: cannot read {text!r} ({exc})") from None
        quoted = f'"{column}"'
        if op == "in":
            terms.append(f"coalesce({quoted} in ({values}), false)")
        elif op == "not in":
            terms.append(f"coalesce({quoted} not in ({values}), true)")
        elif op == "!=":
            terms.append(f"{quoted} is distinct from {literal}")
        else:
            terms.append(f"coalesce({quoted} {'=' if op == '==' else op} {literal}, false)")
    return "(" + " ".join(terms) + ")"


class TableMetrics:
    """The GE metrics one table suite needs, as DuckDB SQL over the table. Each metric is (name, domain kwargs,
    value kwargs) exactly as GE asks for it; a metric this class does not know is a one-line error, never a
    guess."""

    def __init__(self, con: duckdb.DuckDBPyConnection, suite: Suite):
        self.con, self.suite = con, suite
        self.source = quote_table(suite.table)
        self.params: dict[str, Any] = {}
        self.aggregates: dict[str, str] = {}  # SQL expression -> alias (one scan computes them all)
        # (column, domain) -> (hash gate, GROUP BY query): the GROUP BY runs only when the gate opens
        self.unique_counts: dict[tuple[str, str], tuple[str, str]] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def domain(self, domain_kwargs: dict) -> str:
        condition = domain_kwargs.get("row_condition")
        if condition is None:
            return "true"
        if isinstance(condition, dict):
            condition = condition.get("pass_through_filter")
        condition = getattr(condition, "pass_through_filter", condition)
        if not isinstance(condition, str):
            raise AuditError(f"{self.suite.name}: row_condition {condition!r} is not a condition string")
        return condition_sql(condition, self.suite.columns, self.suite.name)

    def map_sql(self, map_metric: str, domain_kwargs: dict, value_kwargs: dict) -> tuple[str, str, list[str]]:
        """(rows the map metric judges, rows among them that are unexpected, columns of an unexpected value)."""
        if map_metric.startswith("column_pair_values."):
            a, b = f'"{domain_kwargs["column_A"]}"', f'"{domain_kwargs["column_B"]}"'
            ignore = domain_kwargs.get("ignore_row_if") or "both_values_are_missing"
            judged = {"both_values_are_missing": f"({a} is not null or {b} is not null)",
                      "either_value_is_missing": f"({a} is not null and {b} is not null)",
                      "neither": "true"}.get(ignore)
            if judged is None or map_metric != "column_pair_values.a_greater_than_b":
                raise AuditError(f"{self.suite.name}: GE metric {map_metric} (ignore_row_if {ignore}) is not computed "
                                 "by the audit's SQL")
            op = ">=" if value_kwargs.get("or_equal") else ">"
            return judged, f"coalesce(not ({a} {op} {b}), true)", [a, b]
        column = f'"{domain_kwargs["column"]}"'
        if map_metric == "column_values.nonnull":
            return "true", f"{column} is null", [column]
        if map_metric == "column_values.null":
            return "true", f"{column} is not null", [column]
        judged = f"{column} is not null"
        if map_metric == "column_values.in_set":
            return judged, f"not list_contains({self.param(list(value_kwargs['value_set']))}, {column})", [column]
        if map_metric == "column_values.match_regex":
            return judged, f"not regexp_matches({column}, {self.param(value_kwargs['regex'])})", [column]
        if map_metric == "column_values.between":
            lo, hi = value_kwargs.get("min_value"), value_kwargs.get("max_value")
            if lo is None and hi is None:
                raise AuditError(f"{self.suite.name}: {domain_kwargs['column']} between needs min_value or max_value")
            inside = []
            if lo is not None:
                inside.append(f"{column} {'>' if value_kwargs.get('strict_min') else '>='} {self.param(lo)}")
            if hi is not None:
                inside.append(f"{column} {'<' if value_kwargs.get('strict_max') else '<='} {self.param(hi)}")
            return judged, f"not ({' and '.join(inside)})", [column]
        if map_metric == "column_values.unique":
            return judged, "", [column]  # a property of the whole column: see unique_sql
        raise AuditError(f"{self.suite.name}: GE metric {map_metric} is not computed by the audit's SQL")

    def duplicates_sql(self, column: str, domain: str) -> str:
        return (f"select {column} from {self.source} where {domain} and {column} is not null "
                f"group by {column} having count(*) > 1")

    def repeat_gate_sql(self, column: str, domain: str) -> str:
        """True when two values of the column may be equal: their 64-bit hashes, sorted, have two equal
        neighbours. Equal values always share a hash, so a repeat is never missed; values that merely share
        one cost the exact GROUP BY. The dbt key tests' gate (macros/utils/key_repeat_gate.sql): sorting the
        hashes of 45M keys takes 4-5 s at 1M customers, grouping the keys 16-23 s."""
        return (f"select exists (select 1 from (select key_hash, lead(key_hash) over (order by key_hash) as next_hash"
                f" from (select hash({column}) as key_hash from {self.source} where {domain} and {column} is not null))"
                f" where key_hash = next_hash)")

    def aggregate(self, expression: str) -> str:
        return self.aggregates.setdefault(expression, f"m{len(self.aggregates)}")

    def plan(self, name: str, domain_kwargs: dict, value_kwargs: dict) -> tuple[str, Any]:
        """How a metric is computed: ("aggregate", alias), ("unique", key), ("examples", query) or ("none", None)."""
        domain = self.domain(domain_kwargs)
        if name == "table.row_count":
            return "aggregate", self.aggregate(f"count(*) filter (where {domain})")
        if name == "column.max":
            return "aggregate", self.aggregate(f'max("{domain_kwargs["column"]}") filter (where {domain})')
        map_metric, _, suffix = name.rpartition(".")
        if suffix in ("unexpected_index_list", "unexpected_index_query", "unexpected_rows"):
            return "none", None  # row indexes mean nothing in a table without an index column
        if suffix not in ("unexpected_count", "filtered_row_count", "unexpected_values"):
            raise AuditError(f"{self.suite.name}: GE metric {name} is not computed by the audit's SQL")
        judged, unexpected, shown = self.map_sql(map_metric, domain_kwargs, value_kwargs)
        if suffix == "filtered_row_count":
            return "aggregate", self.aggregate(f"count(*) filter (where {domain} and {judged})")
        if map_metric == "column_values.unique":
            column = shown[0]
            if suffix == "unexpected_count":
                key = (column, domain)
                self.unique_counts[key] = (
                    self.repeat_gate_sql(column, domain),
                    f"select coalesce(sum(n), 0) from (select count(*) as n from {self.source}"
                    f" where {domain} and {column} is not null group by {column} having count(*) > 1)")
                return "unique", key
            unexpected = f"{column} in ({self.duplicates_sql(column, domain)})"
        if suffix == "unexpected_count":
            return "aggregate", self.aggregate(f"count(*) filter (where {domain} and {judged} and {unexpected})")
        limit = int((value_kwargs.get("result_format") or {}).get("partial_unexpected_count", 20))
        return "examples", (f"select {', '.join(shown)} from {self.source} where {domain} and {judged} and "
                            f"{unexpected} limit {limit}")

    def run(self, query: str) -> list[tuple]:
        params = {k: v for k, v in self.params.items() if re.search(rf"\${k}\b", query)}
        return self.con.execute(query, params).fetchall()


def sql_validation_results(con: duckdb.DuckDBPyConnection, suite: Suite) -> list:
    """GE's validation result of every check of a table suite, from metrics computed by DuckDB."""
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult
    metrics = TableMetrics(con, suite)
    planned = []  # per check: expectation, {metric id: (name, how, what)}
    for i, check in enumerate(suite.checks):
        exp = expectation(check, i)
        dependencies = exp.get_validation_dependencies(runtime_configuration={"result_format": RESULT_FORMAT})
        needs = {}
        for name, config in dependencies.metric_configurations.items():
            needs[config.id] = (name, *metrics.plan(name, dict(config.metric_domain_kwargs),
                                                    dict(config.metric_value_kwargs or {})))
        planned.append((exp, needs))
    values: dict[tuple[str, Any], Any] = {}
    if metrics.aggregates:
        try:
            row = metrics.run(f"select {', '.join(f'{e} as {a}' for e, a in metrics.aggregates.items())} "
                              f"from {metrics.source}")[0]
            values.update({("aggregate", a): v for a, v in zip(metrics.aggregates.values(), row)})
        except duckdb.Error:
            # one check's SQL failed (a regex DuckDB rejects...): compute each apart, so only that check reports it
            for expression, alias in metrics.aggregates.items():
                try:
                    values[("aggregate", alias)] = metrics.run(f"select {expression} from {metrics.source}")[0][0]
                except duckdb.Error as exc:
                    values[("aggregate", alias)] = exc
    for key, (gate, query) in metrics.unique_counts.items():
        try:
            values[("unique", key)] = int(metrics.run(query)[0][0]) if metrics.run(gate)[0][0] else 0
        except duckdb.Error as exc:
            values[("unique", key)] = exc
    results = []
    for exp, needs in planned:
        try:
            resolved, by_name = {}, {}
            for name, how, what in needs.values():
                if how in ("aggregate", "unique"):
                    value = values[(how, what)]
                    if isinstance(value, Exception):
                        raise value
                    by_name[name] = as_datetime(value) if name == "column.max" else value
            for metric_id, (name, how, what) in needs.items():
                if how == "examples":
                    # examples only where GE will report unexpected rows: a passing check costs no second scan
                    found = by_name.get(name.rsplit(".", 1)[0] + ".unexpected_count")
                    rows = metrics.run(what) if found else []
                    resolved[metric_id] = [r[0] if len(r) == 1 else tuple(r) for r in rows]
                else:
                    resolved[metric_id] = by_name.get(name) if how != "none" else None
            results.append(exp.metrics_validate(resolved, runtime_configuration={"result_format": dict(RESULT_FORMAT)}))
        except Exception as exc:  # noqa: BLE001 - GE's own catch_exceptions: the check reports it, the audit goes on
            results.append(ExpectationValidationResult(
                success=False, expectation_config=exp.configuration,
                exception_info={"raised_exception": True, "exception_message": f"{type(exc).__name__}: {exc}",
                                "exception_traceback": None}))
    return results


# --------------------------------------------------------------------------------------------------------------
# Great Expectations
# --------------------------------------------------------------------------------------------------------------

def make_context(docs_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (DataContextConfig, InMemoryStoreBackendDefaults,
                                                             ProgressBarsConfig)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
        data_docs_sites={"audit": {
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir.resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}},
    )
    return gx.get_context(project_config=config)  # ephemeral: nothing persisted but the Data Docs HTML


def expectation(check: Check, number: int):
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    kwargs = {k: v for k, v in check.kwargs.items() if not k.startswith("meta_")}
    meta = {"severity": check.severity, "audit_check": number, **{k[5:]: v for k, v in check.kwargs.items() if k.startswith("meta_")}}
    return ExpectationConfiguration(type=check.type, kwargs=kwargs, meta=meta).to_domain_obj()


def validate(plan: Plan, docs_dir: Path, con: duckdb.DuckDBPyConnection) -> list[tuple[Suite, Check, Any]]:
    # GE 1.9+ deprecates string row conditions (pandas syntax, kept for a readable config) and warns per use.
    warnings.filterwarnings("ignore", message=r".*(condition_parser|row_condition) parameter.*", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression, and has match groups")
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (ExpectationSuiteIdentifier,
                                                                            ValidationResultIdentifier)
    from great_expectations.validator.validation_statistics import calc_validation_statistics
    context = make_context(docs_dir)
    source = context.data_sources.add_pandas("customer360")
    run_id = RunIdentifier(run_time=dt.datetime.now(dt.timezone.utc))
    outcomes: list[tuple[Suite, Check, Any]] = []
    sql_seconds: dict[str, float] = {}

    def not_applicable_notes(name: str) -> list[str]:
        return [f"Not applicable ({n['severity']}): {n['target']} {n['check']}: {n['reason']}."
                for n in plan.not_applicable if n["suite"] == name]

    # GE has no "skipped" result: a suite that does not apply is listed among the expectation suites of Data
    # Docs with its reason as notes and no validation; a check that does not apply is a note on its suite.
    for name, reason in plan.na_suites:
        context.suites.add(gx.ExpectationSuite(name=name, meta={"table": name},
                                               notes=[f"Not applicable: {reason}.", *not_applicable_notes(name)]))
    for suite in plan.suites:
        gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, meta={"table": suite.subject},
                                                          notes=not_applicable_notes(suite.name) or None))
        for i, check in enumerate(suite.checks):
            gx_suite.add_expectation(expectation(check, i))
        if suite.table is not None:
            measured = time.perf_counter()
            evrs = sql_validation_results(con, suite)
            sql_seconds[suite.name] = time.perf_counter() - measured
            stats = calc_validation_statistics(evrs)
            result = ExpectationSuiteValidationResult(
                success=stats.success, results=evrs, suite_name=suite.name,
                statistics={"evaluated_expectations": stats.evaluated_expectations,
                            "successful_expectations": stats.successful_expectations,
                            "unsuccessful_expectations": stats.unsuccessful_expectations,
                            "success_percent": stats.success_percent},
                meta={"great_expectations_version": gx.__version__, "run_id": run_id,
                      "validation_time": run_id.run_time,
                      "batch_spec": {"data_asset_name": suite.table, "metrics": "computed by DuckDB SQL"},
                      "active_batch_definition": {"datasource_name": "customer360 (DuckDB)",
                                                  "data_connector_name": "sql metrics",
                                                  "data_asset_name": suite.table, "batch_identifiers": {}}},
                batch_id=f"duckdb-{suite.table}")
            suite_id = ExpectationSuiteIdentifier(name=suite.name)
            context.validation_results_store.store_validation_results(
                suite_validation_result=result, expectation_suite_identifier=suite_id,
                suite_validation_result_identifier=ValidationResultIdentifier(
                    expectation_suite_identifier=suite_id, run_id=run_id, batch_identifier=f"duckdb-{suite.table}"))
            validated = evrs
        else:
            batch = source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe("whole table")
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite))
            index = [c.index_column for c in suite.checks if c.index_column]
            result_format: dict = dict(RESULT_FORMAT)
            if index:
                result_format["unexpected_index_column_names"] = index[:1]
            validated = definition.run(batch_parameters={"dataframe": suite.frame}, result_format=result_format,
                                       run_id=run_id).results
        # GE does not keep the order of the suite: map each result back by the number in its meta.
        for r in validated:
            outcomes.append((suite, suite.checks[r.expectation_config.meta["audit_check"]], r))
    context.build_data_docs(site_names=["audit"])
    if sql_seconds:
        slowest = sorted(sql_seconds.items(), key=lambda item: -item[1])[:3]
        plan.notices.append(f"metrics of {len(sql_seconds)} table suites computed by DuckDB in "
                            f"{sum(sql_seconds.values()):.1f}s (slowest: "
                            f"{', '.join(f'{name} {seconds:.1f}s' for name, seconds in slowest)})")
    return outcomes


# --------------------------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------------------------

def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dt.datetime,)) or hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return repr(value) if isinstance(value, str) else str(value)


def bounds(kwargs: dict) -> str:
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if lo is not None and hi is not None:
        return f"{fmt(lo)}..{fmt(hi)}"
    return f">= {fmt(lo)}" if lo is not None else f"<= {fmt(hi)}"


def exception_text(r: Any) -> str | None:
    info = r.exception_info or {}
    if info.get("raised_exception"):
        return info.get("exception_message")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message")
    return None


def describe(check: Check, r: Any) -> str:
    error = exception_text(r)
    if error:
        return f"could not be evaluated: {error.splitlines()[0][:300]}"
    res = r.result or {}
    if res.get("element_count") == 1 and not check.index_column and res.get("partial_unexpected_list"):
        # one-row metric dataframe: the value is the observation
        return f"observed {fmt(res['partial_unexpected_list'][0])} (expected {bounds(check.kwargs)})"
    if "unexpected_percent" in res and res.get("unexpected_percent") is not None:
        mostly = check.kwargs.get("mostly", 1.0)
        count, total = res.get("unexpected_count") or 0, res.get("element_count") or 0
        if check.index_column and res.get("partial_unexpected_index_list"):
            column = check.kwargs.get("column")
            rows = [f"{row.get(check.index_column)}={fmt(row.get(column))}" for row in res["partial_unexpected_index_list"]]
            text = f"{count} of {total} {check.index_column} value(s) out of range: {', '.join(rows)}"
            if "min_value" in check.kwargs or "max_value" in check.kwargs:
                text += f" (expected {bounds(check.kwargs)})"
            return text
        pct = res["unexpected_percent"]
        text = (f"{pct:.{1 if pct >= 0.1 or pct == 0 else 3}f}% unexpected ({count:,} of {total:,} rows; "
                f"threshold {(1 - mostly) * 100:.1f}%)")
        if res.get("partial_unexpected_list"):
            text += f", e.g. {', '.join(fmt(v) for v in res['partial_unexpected_list'][:3])}"
        return text
    if "observed_value" in res:
        text = f"observed {fmt(res['observed_value'])}"
        if "min_value" in check.kwargs or "max_value" in check.kwargs:
            text += f" (expected {bounds(check.kwargs)})"
        if "meta_max_days_behind" in check.kwargs:
            text += f", i.e. more than {check.kwargs['meta_max_days_behind']} days behind the reference date"
        if "meta_previous_row_count" in check.kwargs:
            text += (f", previous warehouse had {check.kwargs['meta_previous_row_count']} (if the change is "
                     "deliberate, e.g. a backfill: AUDIT_VOLUME_MAX_CHANGE=<fraction> for this build)")
        return text
    return "failed"


def failure_line(suite: Suite, check: Check, r: Any, as_of: dt.date | None = None) -> str:
    label = "FAIL" if check.severity == "error" else "WARN"
    if suite.name == FRESHNESS_SUITE and as_of is not None:
        return f"AUDIT {label} [{check.severity}] freshness {freshness_text(suite.frame, check.severity, as_of)}"
    line = f"AUDIT {label} [{check.severity}] {target_of(check.subject, check.kwargs)} {check.type}: {describe(check, r)}"
    if suite.name != suite.subject:
        line += f" [suite {suite.name}]"
    return line


def freshness_text(frame: Any, severity: str, as_of: dt.date) -> str:
    """One line for every stale raw table of a severity, grouped by newest load (a stopped pipeline or an old
    export makes them all stale at once, and one line says so better than fifteen)."""
    stale = frame[(frame["severity"] == severity) & (frame["days_over_limit"] > 0)]
    groups = []
    for newest, rows in stale.groupby("newest_load_date", sort=True):
        tables = ", ".join(rows["table_name"])
        groups.append(f"newest load {newest.date()} ({int(rows['days_behind'].iloc[0])} days, allowed "
                      f"{'/'.join(str(d) for d in sorted(set(rows['max_days_behind'])))}) in {tables}")
    newest_overall = stale["newest_load_date"].max().date()
    return (f"{len(stale)} of {len(frame)} raw table(s) behind the reference date {as_of}: {'; '.join(groups)}"
            f" (to audit a delivery as of an earlier date, set AUDIT_AS_OF, e.g. AUDIT_AS_OF={newest_overall})")


def write_summary(docs_dir: Path, summary: dict) -> Path:
    """audit_summary.json for machines and audit_summary.html beside Data Docs for people: the reference date,
    failures, and the not-applicable checks with their reasons (GE 1.x Data Docs has no 'skipped' status)."""
    import html
    docs_dir.mkdir(parents=True, exist_ok=True)
    (docs_dir / "audit_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    esc = lambda value: html.escape(str(value))  # noqa: E731
    lines = [f"<li>{esc(line)}</li>" for line in summary["errors"] + summary["warnings"]] or ["<li>none</li>"]
    na_rows = [f"<tr><td>{esc(n['target'])}</td><td>{esc(n['check'])}</td><td>{esc(n['severity'])}</td>"
               f"<td>{esc(n['reason'])}</td></tr>" for n in summary["not_applicable"]]
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>customer360 audit summary</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{border:1px solid #ccc;padding:2px 6px}}
table{{border-collapse:collapse}}</style></head><body>
<h1>Audit {esc(summary['status'])}</h1>
<p>Reference date {esc(summary['reference_date'])} ({esc(summary['reference_date_from'])}).
{esc(summary['expectations'])} expectations in {esc(summary['suites'])} suites, {esc(summary['passed'])} passed;
{len(summary['not_applicable'])} not applicable. Validation details: <a href="index.html">Data Docs</a>.</p>
<h2>Failures and warnings</h2><ul>{''.join(lines)}</ul>
<h2>Not delivered</h2><p>{esc(', '.join(summary['not_delivered']) or 'everything was delivered')}</p>
<h2>Not applicable checks</h2>
<table><tr><th>table.column</th><th>check</th><th>severity</th><th>reason</th></tr>{''.join(na_rows)}</table>
</body></html>
"""
    (docs_dir / "audit_summary.html").write_text(page)
    return (docs_dir / "audit_summary.html").resolve()


def run(args: argparse.Namespace) -> int:
    try:
        return audit_run(args)
    except AuditError as exc:
        print(f"AUDIT ERROR {exc}", file=sys.stderr)
        return 2


def audit(db: Path = DEFAULT_DB, *, audit_as_of: dt.date | None = None, raw_root: Path | None = None,
          previous_db: Path | None = None, docs_dir: Path = DEFAULT_DOCS, config: Path = DEFAULT_CONFIG,
          suite: list[str] | None = None) -> int:
    """The audit as a function (for scripts/build.py): same as the CLI, exit code returned."""
    return run(argparse.Namespace(db=Path(db), config=Path(config), docs_dir=Path(docs_dir), previous_db=previous_db,
                                  audit_as_of=audit_as_of, raw_root=raw_root, suite=suite))


def audit_run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if not Path(args.db).is_file():
        print(f"AUDIT FAIL [error] database {args.db} does not exist: build first", file=sys.stderr)
        return 1
    try:
        config = yaml.safe_load(Path(args.config).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AuditError(f"cannot read {args.config}: {str(exc).splitlines()[0]}") from None
    raw_root = args.raw_root or (Path(os.environ["C360_RAW_ROOT"]) if os.environ.get("C360_RAW_ROOT") else None)
    if raw_root is not None and not Path(raw_root).is_dir():
        raise AuditError(f"raw root {raw_root} is not a folder")
    as_of, as_of_from = reference_date(args.audit_as_of, raw_root)
    try:
        con = duckdb.connect(str(args.db), read_only=True)
        try:
            configure(con)
            delivery = Delivery(con)
            source_newest = None
            plan_notices: list[str] = []
            staging_selected = any(raw_table_of(name) and selected(name, args.suite)
                                   for name in config.get("tables") or {})
            if raw_root is not None and delivery.raw_rows is not None and staging_selected and delivery.delivered():
                import_great_expectations_meanwhile()
                measured = time.perf_counter()
                source_newest = run_source_freshness(Path(raw_root), delivery.delivered(),
                                                     Path(args.docs_dir).resolve().parent / "source_freshness")
                plan_notices.append(f"dbt source freshness of {len(source_newest)} raw tables in "
                                    f"{time.perf_counter() - measured:.1f}s")
            plan = build_plan(config, con, args, as_of, delivery, source_newest)
            plan.notices[:0] = plan_notices
            load_frames(plan, con)
            outcomes = validate(plan, Path(args.docs_dir), con) if plan.suites else []
        finally:
            con.close()
    except duckdb.IOException as exc:  # a file another process holds read-write, or not a database
        held = re.search(r'file "([^"]+)".*\(PID (\d+)\)', str(exc), re.IGNORECASE | re.DOTALL)
        reason = (f"{held.group(1)} is open read-write by process {held.group(2)}: close it "
                  "(BI clients should connect read_only)") if held else str(exc).splitlines()[0]
        print(f"AUDIT FAIL [error] {reason}", file=sys.stderr)
        return 1
    not_delivered = sorted(t for t, n in (delivery.raw_rows or {}).items() if n == 0)
    print(f"audit: reference date {as_of}: {as_of_from}")
    print(f"audit: freshness of raw tables measured by "
          f"{'dbt source freshness on ' + str(raw_root) if source_newest is not None else 'max(load_date) of staging'}")
    if not_delivered:
        print(f"audit: not delivered: {', '.join(not_delivered)}")
    for notice in plan.notices:
        print(f"audit: {notice}" if not notice.startswith("AUDIT") else notice)
    na_suite_names = {name for name, _ in plan.na_suites}
    for name, reason in plan.na_suites:
        count = sum(1 for n in plan.not_applicable if n["suite"] == name)
        print(f"AUDIT N/A {name}: {reason} ({count} check(s) not applicable)")
    for n in plan.not_applicable:
        if n["suite"] not in na_suite_names:
            print(f"AUDIT N/A [{n['severity']}] {n['target']} {n['check']}: {n['reason']}")

    errors = list(plan.failures)
    warned: list[str] = []
    checks = []
    for suite, check, r in outcomes:
        status = "passed" if r.success else ("failed" if check.severity == "error" else "warned")
        checks.append({"suite": suite.name, "target": target_of(check.subject, check.kwargs), "check": check.type,
                       "severity": check.severity, "status": status})
        if not r.success:
            line = failure_line(suite, check, r, as_of)
            (errors if check.severity == "error" else warned).append(line)
    for line in warned + errors:
        print(line)
    index = Path(args.docs_dir).resolve() / "index.html"
    if plan.suites:
        print(f"audit: data docs {index}")
    passed = sum(1 for *_, r in outcomes if r.success)
    summary = {"status": "FAILED" if errors else "OK", "reference_date": as_of.isoformat(),
               "reference_date_from": as_of_from, "raw_root": str(raw_root) if raw_root else None,
               "suites": len(plan.suites), "expectations": len(outcomes), "passed": passed,
               "errors": errors, "warnings": warned, "not_delivered": not_delivered,
               "not_applicable": plan.not_applicable,
               "checks": checks + [{**n, "status": "not_applicable"} for n in plan.not_applicable]}
    page = write_summary(Path(args.docs_dir), summary)
    print(f"audit: summary {page}")
    print(f"audit: {len(plan.suites)} suites, {len(outcomes)} expectations, {passed} passed, "
          f"{len(plan.not_applicable)} not applicable, {len(errors)} error(s), {len(warned)} warning(s) in "
          f"{time.perf_counter() - started:.1f}s: {'FAILED' if errors else 'OK'}")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.audit", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
