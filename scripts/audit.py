"""Audit a built warehouse with Great Expectations before it is published (write-audit-publish).

`python -m scripts audit --db build/customer360.build.duckdb [--previous-db warehouse/customer360.duckdb]`

Every table suite and every metric of audit/expectations.yml is validated through a GE Checkpoint on a pandas
dataframe read from DuckDB (only the columns the suite needs). Aggregate checks (decay, bounce rate, typo share,
quarantine rate) are computed with DuckDB SQL into a small dataframe and validated with
expect_column_values_to_be_between, so they show in Data Docs like the others. Derived checks:

- freshness: each table's max(column) must be within `max_days_behind` days of the anchor date. By default the
  anchor is the newest load_date across all tables of the build (settings.freshness.anchor: newest_load), so a
  table whose delivery stopped while the others moved on fails, and a historic sample (ending 2025-12-31) still
  passes. Set the anchor to `run_date` to compare with --run-date instead.
- volume: with --previous-db, each table's row count must be within +/- settings.volume.max_change of the same
  table in the previous (published) warehouse; skipped with a notice when there is no previous warehouse/table.

Prints one line per failed expectation (AUDIT FAIL [error] ... / AUDIT WARN [warn] ...), writes Data Docs under
--docs-dir, and exits 1 when an error-severity expectation failed (or a required table is missing), else 0.
"""
from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import math
import os
import re
import sys
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

from scripts.arguments import iso_date_value, missing_file  # noqa: E402

DEFAULT_DB = Path("build/customer360.build.duckdb")
DEFAULT_CONFIG = Path("audit/expectations.yml")
DEFAULT_DOCS = Path("build/data_docs")
SEVERITIES = ("error", "warn")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"DuckDB build file to audit (default {DEFAULT_DB})")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help=f"expectations config (default {DEFAULT_CONFIG})")
    parser.add_argument("--docs-dir", type=Path, default=DEFAULT_DOCS, help=f"Data Docs output directory (default {DEFAULT_DOCS})")
    parser.add_argument("--previous-db", type=Path, default=None,
                        help="currently published warehouse, for the volume check (default: none, check skipped)")
    parser.add_argument("--run-date", type=iso_date_value, default=dt.date.today(), metavar="YYYY-MM-DD",
                        help="date of the run, YYYY-MM-DD (default today); used by date-relative thresholds")
    parser.add_argument("--suite", action="append", default=None, metavar="GLOB",
                        help="only run suites whose name matches GLOB (repeatable), e.g. 'staging.stg_crm__*' "
                             "(default: every suite)")


def check_args(args: argparse.Namespace) -> str | None:
    """Checks reported as usage errors by the CLI (a missing --db is an audit failure, reported by run)."""
    return missing_file(args.config, "--config")


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
    name: str
    subject: str
    sql: str
    params: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    frame: Any = None


@dataclass
class Plan:
    suites: list[Suite] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # error-severity problems found before GE (missing tables...)
    notices: list[str] = field(default_factory=list)


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
    """Evaluate `{sql: "..."}` kwargs with DuckDB (e.g. run_date minus 14 years)."""
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


def build_plan(config: dict, con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> Plan:
    plan = Plan()
    settings = config.get("settings") or {}
    fresh = settings.get("freshness") or {}
    anchor_mode = fresh.get("anchor", "newest_load")
    newest = newest_load(con, fresh.get("anchor_column", "load_date"))
    if anchor_mode == "newest_load":
        anchor = newest or args.run_date
    elif anchor_mode == "run_date":
        anchor = args.run_date
    else:
        raise ValueError(f"settings.freshness.anchor must be newest_load or run_date, not {anchor_mode!r}")
    params = {"run_date": args.run_date, "anchor_date": anchor, "newest_load_date": newest or args.run_date,
              **(settings.get("params") or {})}
    plan.notices.append(f"run date {args.run_date}, newest load {newest}, freshness anchor ({anchor_mode}) {anchor}")

    volume = settings.get("volume") or {}
    max_change = float(volume.get("max_change", 0.5))
    volume_severity = volume.get("severity", "error")
    prev = None
    if args.previous_db is None:
        plan.notices.append("no --previous-db: volume checks skipped")
    elif not Path(args.previous_db).is_file():
        plan.notices.append(f"previous warehouse {args.previous_db} does not exist (first publish?): volume checks skipped")
    else:
        prev = duckdb.connect(str(args.previous_db), read_only=True)

    try:
        for name, spec in (config.get("tables") or {}).items():
            spec = spec or {}
            if not selected(name, args.suite):
                continue
            columns = table_columns(con, name)
            if columns is None:
                if spec.get("required", True):
                    plan.failures.append(f"AUDIT FAIL [error] {name} required table is missing from {args.db}")
                else:
                    plan.notices.append(f"AUDIT SKIP {name}: table does not exist (optional)")
                continue
            suite = Suite(name=name, subject=name, sql="")
            needed: set[str] = set()
            for i, raw in enumerate(spec.get("expectations") or []):
                type_, kwargs, severity = parse_check(raw, f"tables.{name}.expectations[{i}]")
                kwargs = {k: resolve(v, con, params) for k, v in kwargs.items()}
                needed |= referenced_columns(kwargs, columns)
                suite.checks.append(Check(type_, kwargs, severity, name))
            freshness = spec.get("freshness") or []
            for f in freshness if isinstance(freshness, list) else [freshness]:
                column = f.get("column", "load_date")
                days = int(f.get("max_days_behind", fresh.get("max_days_behind", 7)))
                minimum = as_datetime(anchor - dt.timedelta(days=days))
                suite.checks.append(Check("expect_column_max_to_be_between",
                                          {"column": column, "min_value": minimum, "meta_max_days_behind": days},
                                          f.get("severity", "error"), name))
                needed.add(column)
            vol = spec.get("volume", True)  # true (settings.volume), false (off) or {max_change, severity}
            vol = {} if vol is True else vol
            if prev is not None and vol is not False:
                if table_columns(prev, name) is None:
                    plan.notices.append(f"AUDIT SKIP volume {name}: not in previous warehouse")
                else:
                    before = prev.execute(f"select count(*) from {quote_table(name)}").fetchone()[0]
                    change = float(vol.get("max_change", max_change))
                    suite.checks.append(Check(
                        "expect_table_row_count_to_be_between",
                        {"min_value": math.ceil(before * (1 - change)), "max_value": math.floor(before * (1 + change)),
                         "meta_previous_row_count": before},
                        vol.get("severity", volume_severity), name))
            missing = sorted(needed - set(columns))
            if missing:
                plan.failures.append(f"AUDIT FAIL [error] {name} configured column(s) missing: {', '.join(missing)}")
                needed -= set(missing)
                suite.checks = [c for c in suite.checks if not (referenced_columns(c.kwargs, columns + missing) & set(missing))]
            cols = [c for c in columns if c in needed] or [columns[0]]
            suite.sql = f"select {', '.join(chr(34) + c + chr(34) for c in cols)} from {quote_table(name)}"
            if suite.checks:
                plan.suites.append(suite)

        for spec in config.get("metrics") or []:
            name = f"metric.{spec['name']}"
            if not selected(name, args.suite):
                continue
            absent = [t for t in spec.get("requires") or [] if table_columns(con, t) is None]
            if absent:
                plan.notices.append(f"AUDIT SKIP {name}: table(s) do not exist: {', '.join(absent)}")
                continue
            subject = spec.get("table", name)
            suite = Suite(name=name, subject=subject, sql=spec["sql"], params=params)
            for i, raw in enumerate(spec.get("expectations") or []):
                type_, kwargs, severity = parse_check(raw, f"metrics.{spec['name']}.expectations[{i}]")
                kwargs = {k: resolve(v, con, params) for k, v in kwargs.items()}
                suite.checks.append(Check(type_, kwargs, severity, subject, spec.get("index_column")))
            plan.suites.append(suite)
    finally:
        if prev is not None:
            prev.close()
    return plan


def load_frames(plan: Plan, con: duckdb.DuckDBPyConnection) -> None:
    for suite in plan.suites:
        params = {k: v for k, v in suite.params.items() if re.search(rf"\${k}\b", suite.sql)}
        suite.frame = con.execute(suite.sql, params).df()


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


def validate(plan: Plan, docs_dir: Path) -> list[tuple[Suite, Check, Any]]:
    # GE 1.9+ deprecates string row conditions (pandas syntax, kept for a readable config) and warns per use.
    warnings.filterwarnings("ignore", message=r".*(condition_parser|row_condition) parameter.*", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression, and has match groups")
    import great_expectations as gx
    context = make_context(docs_dir)
    source = context.data_sources.add_pandas("customer360")
    outcomes: list[tuple[Suite, Check, Any]] = []
    for n, suite in enumerate(plan.suites):
        asset = source.add_dataframe_asset(suite.name)
        batch = asset.add_batch_definition_whole_dataframe("whole table")
        gx_suite = context.suites.add(gx.ExpectationSuite(name=suite.name, meta={"table": suite.subject}))
        for i, check in enumerate(suite.checks):
            gx_suite.add_expectation(expectation(check, i))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite))
        index = [c.index_column for c in suite.checks if c.index_column]
        result_format: dict = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
        if index:
            result_format["unexpected_index_column_names"] = index[:1]
        last = n == len(plan.suites) - 1
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name=f"audit {suite.name}", validation_definitions=[definition], result_format=result_format,
            # Rendering the index once (on the last checkpoint) instead of per suite saves seconds.
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data docs", site_names=["audit"])] if last else []))
        result = checkpoint.run(batch_parameters={"dataframe": suite.frame})
        for run_result in result.run_results.values():
            # GE does not keep the order of the suite: map each result back by the number in its meta.
            for r in run_result.results:
                outcomes.append((suite, suite.checks[r.expectation_config.meta["audit_check"]], r))
    if len(plan.suites) > 1:
        context.build_data_docs(site_names=["audit"])  # pages of the earlier checkpoints (no action on them)
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
            text += f", i.e. more than {check.kwargs['meta_max_days_behind']} days behind the freshness anchor"
        if "meta_previous_row_count" in check.kwargs:
            text += f", previous warehouse had {check.kwargs['meta_previous_row_count']}"
        return text
    return "failed"


def failure_line(suite: Suite, check: Check, r: Any) -> str:
    label = "FAIL" if check.severity == "error" else "WARN"
    column = check.kwargs.get("column") or ",".join(check.kwargs.get("column_list") or []) or None
    target = f"{check.subject}.{column}" if column else check.subject
    line = f"AUDIT {label} [{check.severity}] {target} {check.type}: {describe(check, r)}"
    if suite.name != suite.subject:
        line += f" [suite {suite.name}]"
    return line


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if not Path(args.db).is_file():
        print(f"AUDIT FAIL [error] database {args.db} does not exist: build first", file=sys.stderr)
        return 1
    config = yaml.safe_load(Path(args.config).read_text()) or {}
    try:
        con = duckdb.connect(str(args.db), read_only=True)
        try:
            plan = build_plan(config, con, args)
            load_frames(plan, con)
        finally:
            con.close()
    except duckdb.IOException as exc:  # a file another process holds read-write, or not a database
        held = re.search(r'file "([^"]+)".*\(PID (\d+)\)', str(exc), re.IGNORECASE | re.DOTALL)
        reason = (f"{held.group(1)} is open read-write by process {held.group(2)}: close it "
                  "(BI clients should connect read_only)") if held else str(exc).splitlines()[0]
        print(f"AUDIT FAIL [error] {reason}", file=sys.stderr)
        return 1
    for notice in plan.notices:
        print(f"audit: {notice}" if not notice.startswith("AUDIT") else notice)

    outcomes = validate(plan, Path(args.docs_dir)) if plan.suites else []
    errors = list(plan.failures)
    warnings: list[str] = []
    for suite, check, r in outcomes:
        if not r.success:
            (errors if check.severity == "error" else warnings).append(failure_line(suite, check, r))
    for line in warnings + errors:
        print(line)
    index = Path(args.docs_dir).resolve() / "index.html"
    if plan.suites:
        print(f"audit: data docs {index}")
    passed = sum(1 for *_, r in outcomes if r.success)
    print(f"audit: {len(plan.suites)} suites, {len(outcomes)} expectations, {passed} passed, "
          f"{len(errors)} error(s), {len(warnings)} warning(s) in {time.perf_counter() - started:.1f}s: "
          f"{'FAILED' if errors else 'OK'}")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.audit", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
