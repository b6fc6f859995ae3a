"""The Great Expectations audit (scripts/audit.py + audit/expectations.yml) passes a clean build and stops the
publish (exit 1, a line naming check, table and column) for each kind of bad data, measures freshness against
a reference date, and lists checks on what was not delivered as not applicable.

Bad data is made by copying the session's freshly built warehouse and breaking one table with SQL; each case
runs only the suites it concerns (--suite) to keep the test fast. The audit runs in-process (GE imports once).
A build without two channels and without postal codes is audited in test_optional_channels.py (one dbt build)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import SAMPLE_ARGS, run
from scripts import audit

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "audit" / "expectations.yml"
SAMPLE_END = SAMPLE_ARGS[SAMPLE_ARGS.index("--end") + 1]  # the session warehouse's history ends here


def run_audit(capsys, db: Path, docs: Path, *extra: str, config: Path = CONFIG) -> tuple[int, str]:
    """The audit in-process. Without --as-of or --raw-root it is measured as of the session sample's end (the
    warehouse copies have no raw root to say so), so a fault case fails for its fault, not for its age."""
    if "--as-of" not in extra and "--raw-root" not in extra:
        extra = ("--as-of", SAMPLE_END, *extra)
    parser = argparse.ArgumentParser()
    audit.add_arguments(parser)
    args = parser.parse_args(["--db", str(db), "--config", str(config), "--docs-dir", str(docs), *extra])
    code = audit.run(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def materialize(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Staging models are views on target ci: turn one into a table so that it can be broken with DML."""
    schema, table = name.split(".")
    kind = con.execute("select table_type from information_schema.tables where table_schema = ? and table_name = ?",
                       [schema, table]).fetchone()[0]
    if kind == "VIEW":
        con.execute(f"create table {schema}.{table}__copy as select * from {name}")
        con.execute(f"drop view {name}")
        con.execute(f"alter table {schema}.{table}__copy rename to {table}")


def broken_copy(warehouse: Path, tmp_path: Path, *statements: str) -> Path:
    """A copy of the warehouse with `statements` applied (the table each one changes is materialized first)."""
    db = tmp_path / "broken.duckdb"
    shutil.copyfile(warehouse, db)
    con = duckdb.connect(str(db))
    try:
        for sql in statements:
            materialize(con, re.search(r"(?:update|into|from|table)\s+([a-z_]+\.[a-z_]+)", sql).group(1))
            con.execute(sql)
    finally:
        con.close()
    return db


def fail_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("AUDIT FAIL [error]")]


def test_clean_build_passes(warehouse, sample_raw, tmp_path, capsys):
    # The published warehouse as --previous-db: same counts, so volume passes too. The raw root is a generated
    # sample, so the reference date is its recorded end, and freshness is read from the raw files by dbt.
    code, out = run_audit(capsys, warehouse, tmp_path / "docs", "--previous-db", str(warehouse),
                          "--raw-root", str(sample_raw))
    assert code == 0, out
    assert not fail_lines(out), out
    assert f"reference date {SAMPLE_END}: end of the generated sample" in out, out
    assert "measured by dbt source freshness" in out and "AUDIT N/A" not in out, out
    summary = json.loads((tmp_path / "docs" / "audit_summary.json").read_text())
    assert summary["status"] == "OK" and summary["not_applicable"] == [] and summary["not_delivered"] == []
    fresh = [c for c in summary["checks"] if c["suite"] == "freshness.raw_tables"]
    assert fresh and all(c["status"] == "passed" for c in fresh), fresh
    index = tmp_path / "docs" / "index.html"
    assert index.is_file() and f"data docs {index.resolve()}" in out
    assert "stg_crm__contacts" in index.read_text()


@pytest.mark.parametrize(
    "case, suite, statements, expected",
    [
        pytest.param(
            "invalid_emails", "staging.stg_crm__contacts",
            ["update staging.stg_crm__contacts set email = replace(email, '@', ' at ') "
             "where email_status = 'valid' and hash(contact_version_id) % 2 = 0"],
            ["staging.stg_crm__contacts.email expect_column_values_to_match_regex"],
            id="flood_of_invalid_emails"),
        pytest.param(
            "duplicate_keys", "staging.stg_web__accounts",
            ["insert into staging.stg_web__accounts select * from staging.stg_web__accounts limit 25"],
            ["staging.stg_web__accounts.account_version_id expect_column_values_to_be_unique"],
            id="duplicated_keys"),
        pytest.param(
            "negative_amounts", "staging.stg_store__pos_transactions",
            ["update staging.stg_store__pos_transactions set total_amount = -total_amount "
             "where transaction_type = 'sale' and hash(transaction_id) % 10 = 0"],
            ["staging.stg_store__pos_transactions.total_amount expect_column_values_to_be_between"],
            id="negative_net_amounts"),
        pytest.param(
            "negative_mart_amounts", "core.fct_orders",
            ["update core.fct_orders set net_amount = -net_amount where not is_refund and hash(order_id) % 10 = 0"],
            ["core.fct_orders.net_amount expect_column_values_to_be_between"],
            id="negative_net_amounts_in_mart"),
        pytest.param(
            "stale", "staging.stg_support__tickets",
            ["update staging.stg_support__tickets set load_date = load_date - interval 60 day"],
            ["staging.stg_support__tickets.load_date expect_column_max_to_be_between"],
            id="stale_latest_load"),
        pytest.param(
            "quarantine_spike", "metric.quarantine_rate",
            ["update quality.fct_raw_table_reconciliation set quarantined_row_count = raw_row_count // 5 "
             "where raw_table_id = 'crm.contacts'"],
            ["quality.fct_raw_table_reconciliation.quarantine_rate expect_column_values_to_be_between", "crm.contacts="],
            id="quarantine_rate_spike"),
        pytest.param(
            "conflict_spike", "metric.conflicting_row_share",
            ["insert into quality.fct_quarantined_rows select 'conflict-' || i, 'crm', 'contacts', 'C' || i, "
             "'conflicting_values_in_load', date '2025-06-30', 'crm/contacts/load_date=2025-06-30/part-0.parquet' "
             "from range(100) as t(i)"],
            ["quality.fct_raw_table_reconciliation.conflicting_row_share expect_column_values_to_be_between",
             "crm.contacts="],
            id="conflicting_rows_share_above_threshold"),
        pytest.param(
            "as_of_in_future", "metric.marketing_as_of_date",
            ["update marketing.customer_rfm set as_of_date = date '2999-12-31'"],
            ["marketing.customer_rfm.as_of_days_after_newest_load expect_column_values_to_be_between"],
            id="as_of_date_after_newest_load"),
        pytest.param(
            "as_of_behind", "metric.marketing_as_of_date",
            ["update marketing.customer_rfm set as_of_date = as_of_date - interval 40 day"],
            ["marketing.customer_rfm.as_of_days_after_newest_load expect_column_values_to_be_between"],
            id="as_of_date_behind_newest_load_without_var"),
    ],
)
def test_bad_data_fails(warehouse, tmp_path, capsys, case, suite, statements, expected):
    db = broken_copy(warehouse, tmp_path, *statements)
    code, out = run_audit(capsys, db, tmp_path / "docs", "--suite", suite)
    assert code == 1, out
    lines = fail_lines(out)
    assert any(all(part in line for part in expected) for line in lines), out


def test_as_of_date_set_in_the_past_by_the_var_passes(warehouse, tmp_path, capsys):
    # A rebuild as of an old date (var analytics_as_of_date, recorded in quality.build_settings) is deliberate.
    db = broken_copy(warehouse, tmp_path,
                     "update marketing.customer_rfm set as_of_date = as_of_date - interval 40 day",
                     "update quality.build_settings set setting_value = '2025-05-21'"
                     " where setting_name = 'analytics_as_of_date'")
    code, out = run_audit(capsys, db, tmp_path / "docs", "--suite", "metric.marketing_as_of_date")
    assert code == 0, out
    assert "1 suites" in out, out


def test_stale_events_fail_relative_to_newest_load(warehouse, tmp_path, capsys):
    # The last monthly event delivery is missing while the other feeds arrived: the freshness anchor is the
    # newest load of the build (not today), so this is caught on historic sample data too.
    db = broken_copy(warehouse, tmp_path,
                     "delete from staging.stg_app__app_events where load_date > "
                     "(select max(load_date) from staging.stg_crm__contacts) - interval 20 day")
    code, out = run_audit(capsys, db, tmp_path / "docs", "--suite", "staging.stg_app__app_events")
    assert code == 1, out
    assert any("staging.stg_app__app_events.load_date expect_column_max_to_be_between" in line
               for line in fail_lines(out)), out
    assert "AUDIT WARN [warn] staging.stg_app__app_events.event_at expect_column_max_to_be_between" in out


def test_volume_drop_vs_previous_warehouse_fails(warehouse, tmp_path, capsys):
    db = broken_copy(warehouse, tmp_path,
                     "delete from staging.stg_web__order_lines where hash(order_line_id) % 10 < 7")
    code, out = run_audit(capsys, db, tmp_path / "docs", "--previous-db", str(warehouse),
                          "--suite", "staging.stg_web__order_lines")
    assert code == 1, out
    assert any("staging.stg_web__order_lines expect_table_row_count_to_be_between" in line and "previous" in line
               for line in fail_lines(out)), out
    # Without a previous warehouse the volume check is skipped, and the rest of the suite passes.
    code, out = run_audit(capsys, db, tmp_path / "docs", "--suite", "staging.stg_web__order_lines")
    assert code == 0, out
    assert "volume checks skipped" in out


TINY_CONFIG = """
tables:
  main.people:
    required: true
    freshness: {column: load_date, max_days_behind: 7}
    expectations:
      - type: expect_column_values_to_be_unique
        kwargs: {column: person_id}
        severity: error
      - type: expect_column_values_to_not_be_null
        kwargs: {column: email, mostly: 0.9}
        severity: warn
  core.dim_customers:
    required: false
    expectations:
      - type: expect_column_values_to_be_unique
        kwargs: {column: customer_id}
        severity: error
metrics:
  - name: share_null_email
    table: main.people
    requires: [main.people]
    sql: select avg((email is null)::int) as null_email_share from main.people
    expectations:
      - type: expect_column_values_to_be_between
        kwargs: {column: null_email_share, max_value: {sql: "0.25"}}
        severity: error
"""


def tiny_db(tmp_path: Path, emails: list) -> Path:
    db = tmp_path / "tiny.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table people (person_id int, email varchar, load_date date)")
    con.executemany("insert into people values (?, ?, ?)",
                    [(i, e, dt.date(2025, 12, 31)) for i, e in enumerate(emails)])
    con.close()
    return db


def test_tiny_config_warn_only_passes_and_optional_table_is_skipped(tmp_path, capsys):
    config = tmp_path / "audit.yml"
    config.write_text(TINY_CONFIG)
    db = tiny_db(tmp_path, ["a@x.com", None, "c@x.com", "d@x.com", "e@x.com"])  # 20 % null: warn, not error
    code, out = run_audit(capsys, db, tmp_path / "docs", "--as-of", "2025-12-31", config=config)
    assert code == 0, out
    assert "AUDIT WARN [warn] main.people.email expect_column_values_to_not_be_null: 20.0% unexpected" in out
    assert "AUDIT SKIP core.dim_customers" in out


def test_tiny_config_missing_required_table_and_metric_fail(tmp_path, capsys):
    config = tmp_path / "audit.yml"
    config.write_text(TINY_CONFIG.replace("required: false", "required: true"))
    db = tiny_db(tmp_path, ["a@x.com", None, None, "d@x.com"])  # 50 % null e-mails: metric error
    code, out = run_audit(capsys, db, tmp_path / "docs", "--as-of", "2025-12-31", config=config)
    assert code == 1, out
    assert "AUDIT FAIL [error] core.dim_customers required table is missing" in out
    assert ("AUDIT FAIL [error] main.people.null_email_share expect_column_values_to_be_between: observed 0.5"
            in out), out


def people_db(db: Path, rows: int) -> Path:
    con = duckdb.connect(str(db))
    con.execute("create table people as select i as person_id, i || '@x.com' as email, date '2025-12-31' as load_date "
                f"from range({rows}) as t (i)")
    con.close()
    return db


@pytest.mark.parametrize("before, after, passes", [(0, 3, True), (4, 1, True), (4, 0, False), (200, 99, False), (200, 301, False),
                                                   (200, 250, True)])
def test_volume_change_passes_within_half_or_min_rows(tmp_path, capsys, before, after, passes):
    """Within +/-50 % or +/-3 rows (min_rows here) of the previous build passes: a small table's first rows are
    growth. Beyond both it fails."""
    config = tmp_path / "audit.yml"
    config.write_text("settings:\n  volume: {max_change: 0.5, min_rows: 3}\n" + TINY_CONFIG)
    previous, db = people_db(tmp_path / "previous.duckdb", before), people_db(tmp_path / "tiny.duckdb", after)
    code, out = run_audit(capsys, db, tmp_path / "docs", "--as-of", "2025-12-31", "--previous-db", str(previous),
                          "--suite", "main.people", config=config)
    failed = "main.people expect_table_row_count_to_be_between" in out
    assert failed != passes, out


@pytest.mark.parametrize("value", ["'many'", "-1", "2.5", "true"])
def test_a_bad_volume_setting_is_one_line(tmp_path, capsys, value):
    config = tmp_path / "audit.yml"
    config.write_text(f"settings:\n  volume: {{min_rows: {value}}}\n" + TINY_CONFIG)
    db = tiny_db(tmp_path, ["a@x.com"])
    code, out = run_audit(capsys, db, tmp_path / "docs", "--as-of", "2025-12-31", "--previous-db", str(db),
                          config=config)
    assert code != 0
    assert "settings.volume.min_rows must be a non-negative whole number" in out, out
    assert "Traceback" not in out


def exports_of(sample_raw: Path, folder: Path) -> Path:
    """The sample as a user's exports: the same raw tables, but no _generator.json saying it is a sample."""
    folder.mkdir()
    for source in sample_raw.iterdir():
        if not source.name.startswith("_"):
            (folder / source.name).symlink_to(source, target_is_directory=True)
    return folder


def test_old_history_passes_as_of_its_end_and_fails_freshness_as_of_today(warehouse, sample_raw, tmp_path, capsys):
    """Exports whose newest load is long past: audited as of their end they pass; by default (today, a daily
    run) every raw table is stale, said in one line that names the dates and how to audit an old delivery."""
    exports = exports_of(sample_raw, tmp_path / "exports")
    code, out = run_audit(capsys, warehouse, tmp_path / "docs", "--raw-root", str(exports), "--as-of", SAMPLE_END,
                          "--suite", "staging.*")
    assert code == 0, out
    assert f"reference date {SAMPLE_END}: set by --as-of" in out, out

    code, out = run_audit(capsys, warehouse, tmp_path / "docs", "--raw-root", str(exports), "--suite", "staging.*")
    assert code == 1, out
    today = dt.date.today()
    assert f"reference date {today}: today" in out, out
    lines = fail_lines(out)
    assert len(lines) == 1, out
    assert lines[0].startswith(f"AUDIT FAIL [error] freshness ") and f"behind the reference date {today}" in lines[0]
    assert f"newest load {SAMPLE_END}" in lines[0] and f"AUDIT_AS_OF={SAMPLE_END}" in lines[0], lines[0]
    assert "web.orders" in lines[0] and "crm.contacts" in lines[0], lines[0]


def test_one_stale_raw_table_fails_source_freshness(warehouse, sample_raw, tmp_path, capsys):
    """dbt source freshness reads the raw files: a feed whose last loads are missing fails against the
    reference date while the others pass."""
    exports = exports_of(sample_raw, tmp_path / "exports")
    (exports / "support").unlink()
    shutil.copytree(sample_raw / "support", exports / "support")
    loads = sorted((exports / "support" / "tickets").iterdir())
    for load in loads[-2:]:  # the last two monthly loads never came
        shutil.rmtree(load)
    code, out = run_audit(capsys, warehouse, tmp_path / "docs", "--raw-root", str(exports), "--as-of", SAMPLE_END,
                          "--suite", "staging.stg_support__tickets")
    assert code == 1, out
    lines = fail_lines(out)
    assert len(lines) == 1 and "1 of 1 raw table(s)" in lines[0] and "support.tickets" in lines[0], out


@pytest.mark.parametrize(
    "statement, applicable",
    [
        ("update staging.stg_web__accounts set postal_code = null, is_postal_code_valid = false", False),
        ("update staging.stg_web__accounts set postal_code = '9999 XX', is_postal_code_valid = false", True),
    ],
    ids=["no_postal_codes_delivered", "every_postal_code_invalid"],
)
def test_postal_checks_apply_only_to_delivered_postal_codes(warehouse, tmp_path, capsys, statement, applicable):
    """Postal codes never delivered: the check is listed as not applicable. Postal codes delivered and all
    invalid (a country's format broke): real damage, and the check fails."""
    db = broken_copy(warehouse, tmp_path, statement)
    code, out = run_audit(capsys, db, tmp_path / "docs", "--suite", "staging.stg_web__accounts")
    na_line = ("AUDIT N/A [error] staging.stg_web__accounts.is_postal_code_valid expect_column_values_to_be_in_set:"
               " no postal_code delivered in web.accounts")
    if applicable:
        assert code == 1 and na_line not in out, out
        assert any("staging.stg_web__accounts.is_postal_code_valid" in line for line in fail_lines(out)), out
    else:
        assert code == 0 and na_line in out, out
        summary = json.loads((tmp_path / "docs" / "audit_summary.json").read_text())
        assert [n["reason"] for n in summary["not_applicable"]] == ["no postal_code delivered in web.accounts"]
        assert "no postal_code delivered in web.accounts" in (tmp_path / "docs" / "audit_summary.html").read_text()


def test_an_undelivered_channel_is_not_applicable_but_a_missing_model_still_fails(warehouse, tmp_path, capsys):
    """The reconciliation mart says which raw tables delivered rows: a channel with none is not applicable
    (every check of its suites listed with the reason); a required table missing from the build still fails."""
    db = broken_copy(warehouse, tmp_path,
                     "delete from staging.stg_app__app_events",
                     "update quality.fct_raw_table_reconciliation set raw_row_count = 0, staged_row_count = 0,"
                     " superseded_row_count = 0, duplicate_row_count = 0, quarantined_row_count = 0"
                     " where source_name = 'app'",
                     "drop table staging.stg_store__pos_transactions")
    code, out = run_audit(capsys, db, tmp_path / "docs", "--suite", "staging.stg_app__*",
                          "--suite", "staging.stg_store__pos_transactions")
    assert code == 1, out
    assert "AUDIT N/A staging.stg_app__app_events: channel app not delivered (5 check(s) not applicable)" in out, out
    assert fail_lines(out) == [f"AUDIT FAIL [error] staging.stg_store__pos_transactions required table is missing "
                               f"from {db}"], out
    summary = json.loads((tmp_path / "docs" / "audit_summary.json").read_text())
    na = [n for n in summary["not_applicable"] if n["suite"] == "staging.stg_app__app_events"]
    assert len(na) == 5 and {n["reason"] for n in na} == {"channel app not delivered"}, na


def test_bad_applicability_rule_and_bad_reference_date_are_one_line_errors(tmp_path):
    config = tmp_path / "audit.yml"
    config.write_text(TINY_CONFIG.replace("severity: warn", "severity: warn\n        applies_if: {delivred: [x.y]}"))
    db = tiny_db(tmp_path, ["a@x.com"])
    result = run([sys.executable, "-m", "scripts", "audit", "--db", db, "--config", config,
                  "--docs-dir", tmp_path / "docs", "--as-of", "2025-12-31"])
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        "AUDIT ERROR tables.main.people.expectations[1]: applies_if takes delivered, delivered_any and has_values,"
        " not {'delivred': ['x.y']}"], result.stderr
    result = run([sys.executable, "-m", "scripts", "audit", "--db", db, "--as-of", "2025-13-01"])
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "not a valid date YYYY-MM-DD: '2025-13-01'" in result.stderr and "Traceback" not in result.stderr


# ----------------------------------------------------------------------------------------------------------------
# The audit at scale: GE judges table suites on metrics computed by DuckDB, never on the table read into pandas
# ----------------------------------------------------------------------------------------------------------------

def plan_of(db: Path, config: Path = CONFIG, as_of: str = SAMPLE_END) -> tuple[duckdb.DuckDBPyConnection, audit.Plan]:
    con = duckdb.connect(str(db), read_only=True)
    args = argparse.Namespace(db=db, previous_db=None, suite=None)
    config_data = yaml.safe_load(config.read_text())
    plan = audit.build_plan(config_data, con, args, dt.date.fromisoformat(as_of), audit.Delivery(con), None)
    return con, plan


def pandas_results(con: duckdb.DuckDBPyConnection, suite: audit.Suite) -> list:
    """The reference: GE's pandas engine on the whole table, as the audit validated before it scaled."""
    import great_expectations as gx
    frame = con.execute(f"select * from {audit.quote_table(suite.table)}").df()
    context = gx.get_context(mode="ephemeral")
    batch = (context.data_sources.add_pandas("reference").add_dataframe_asset(suite.name)
             .add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame}))
    return [batch.validate(audit.expectation(check, i), result_format=dict(audit.RESULT_FORMAT))
            for i, check in enumerate(suite.checks)]


def comparable(r) -> dict:
    res = r.result or {}
    observed = res.get("observed_value")
    if hasattr(observed, "to_pydatetime"):
        observed = observed.to_pydatetime()
    return {"success": r.success, "observed_value": observed,
            **{k: res.get(k) for k in ("element_count", "missing_count", "unexpected_count")},
            "examples": len(res.get("partial_unexpected_list") or [])}


SCALE_FAULTS = [
    # regex, not-null and a null in a row-condition column (pandas' query drops it, so must the SQL)
    "update staging.stg_crm__contacts set email = replace(email, '@', ' at ') where hash(contact_version_id) % 7 = 0",
    "update staging.stg_crm__contacts set is_current = null where hash(contact_version_id) % 13 = 0",
    "update staging.stg_crm__contacts set last_name = null where hash(contact_version_id) % 9 = 0",
    # uniqueness, also among the current versions only (a row condition)
    "insert into staging.stg_web__accounts select * from staging.stg_web__accounts where is_current limit 25",
    # a column pair
    "update staging.stg_support__tickets set resolved_at = opened_at - interval 1 day where hash(ticket_id) % 5 = 0",
    # sets and signed amounts under a row condition, in the marts
    "update core.dim_customers set country_code = 'XX' where hash(customer_id) % 50 = 0",
    "update core.fct_orders set net_amount = -net_amount where not is_refund and hash(order_id) % 10 = 0",
    # dates against a bound computed from the reference date, and a freshness maximum
    "update staging.stg_store__loyalty_members set birth_date = date '2020-01-01' where hash(loyalty_card_version_id) % 11 = 0",
    "update staging.stg_support__tickets set load_date = load_date - interval 60 day",
]


@pytest.mark.parametrize("faults", [[], SCALE_FAULTS], ids=["clean_build", "faults_in_every_kind_of_check"])
def test_sql_metrics_give_the_results_of_the_pandas_engine(warehouse, tmp_path, faults):
    """Every check of every table suite in audit/expectations.yml: GE's verdict and counts from DuckDB metrics are
    those of GE's pandas engine on the whole table, passing and failing alike."""
    db = broken_copy(warehouse, tmp_path, *faults) if faults else warehouse
    con, plan = plan_of(db)
    try:
        table_suites = [s for s in plan.suites if s.table is not None]
        assert len(table_suites) >= 20, [s.name for s in plan.suites]
        failed = 0
        for suite in table_suites:
            sql = audit.sql_validation_results(con, suite)
            reference = pandas_results(con, suite)
            for check, got, expected in zip(suite.checks, sql, reference):
                assert comparable(got) == comparable(expected), (suite.name, check.type, check.kwargs)
                failed += not got.success
    finally:
        con.close()
    assert failed >= (9 if faults else 0), failed


class CountingConnection:
    """A DuckDB connection that records how many rows each query hands to Python, and the queries."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con, self.fetched, self.queries = con, [], []

    def execute(self, sql: str, params=None):
        self.queries.append(sql)
        cursor = self.con.execute(sql, params or {})
        counting = self

        class Rows:
            def fetchall(self):
                rows = cursor.fetchall()
                counting.fetched.append(len(rows))
                return rows
        return Rows()


def test_a_large_table_reaches_python_only_as_aggregates_and_five_examples(tmp_path):
    """200,000 rows, a third of them bad in every check: what the audit reads into Python is one row of metrics
    per table and at most five example values per failing check (GE's partial_unexpected_count)."""
    db = tmp_path / "large.duckdb"
    con = duckdb.connect(str(db))
    con.execute("""create table events as select i % 150000 as event_id,
                   case when i % 3 = 0 then 'not-an-email' else 'p' || i || '@example.com' end as email,
                   case when i % 3 = 0 then 'unknown' else 'purchase' end as event_type,
                   i < 150000 as is_first, date '2025-12-31' - cast(i % 400 as int) as load_date
                   from range(200000) as t(i)""")
    con.close()
    config = tmp_path / "audit.yml"
    config.write_text("""
tables:
  main.events:
    freshness: {column: load_date}
    expectations:
      - {type: expect_column_values_to_be_unique, kwargs: {column: event_id}, severity: error}
      - {type: expect_column_values_to_be_unique, kwargs: {column: event_id, row_condition: "is_first == True"}, severity: error}
      - {type: expect_column_values_to_match_regex, kwargs: {column: email, regex: "^[a-z0-9]+@[a-z.]+$"}, severity: error}
      - {type: expect_column_values_to_be_in_set, kwargs: {column: event_type, value_set: [purchase]}, severity: error}
      - {type: expect_column_values_to_not_be_null, kwargs: {column: email}, severity: error}
""")
    con, plan = plan_of(db, config, "2025-12-31")
    try:
        counting = CountingConnection(con)
        results = audit.sql_validation_results(counting, plan.suites[0])
    finally:
        con.close()
    assert [r.success for r in results] == [False, True, False, False, True, True], results
    assert results[0].result["unexpected_count"] == 100000, results[0].result  # 50,000 keys twice: every copy
    assert results[2].result["unexpected_count"] == 66667 and results[2].result["element_count"] == 200000
    assert max(counting.fetched) <= 5 and len(counting.fetched) <= 8, counting.fetched


@pytest.mark.parametrize("values, duplicated", [
    ("i", 0), ("i % 9999", 2), ("case when i < 3 then null else i end", 0), ("case when i < 3 then 7 else i end", 4)])
def test_the_uniqueness_group_by_runs_only_when_the_hash_gate_opens(tmp_path, values, duplicated):
    """A uniqueness check counts duplicates with a GROUP BY only when two of the values' sorted hashes are
    equal; a column without a repeat (nulls do not repeat) costs the sort alone, and a repeat still gives
    GE the exact count of the duplicated rows."""
    db = tmp_path / "keys.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"create table orders as select {values} as order_id, date '2025-12-31' as load_date"
                " from range(10000) as t(i)")
    con.close()
    config = tmp_path / "audit.yml"
    config.write_text("""
tables:
  main.orders:
    freshness: {column: load_date}
    expectations:
      - {type: expect_column_values_to_be_unique, kwargs: {column: order_id}, severity: error}
""")
    con, plan = plan_of(db, config, "2025-12-31")
    try:
        counting = CountingConnection(con)
        result = audit.sql_validation_results(counting, plan.suites[0])[0]
    finally:
        con.close()
    assert result.success == (duplicated == 0) and result.result["unexpected_count"] == duplicated, result
    grouped = [q for q in counting.queries if "group by" in q]  # the count, and the examples of a failure
    assert len(grouped) == (2 if duplicated else 0), counting.queries


@pytest.mark.parametrize("condition", [
    "flag == True", "flag == False", "flag != True", 'status in ["a", "b"]', 'status not in ["a"]',
    'status == "a" and flag == True', 'status == "c" or flag == False', "amount > 1.5", "amount <= 2",
    'status == "it\'s"',
])
def test_row_conditions_select_the_rows_pandas_query_selects(condition):
    """Nulls included: a null matches only != and `not in`, as DataFrame.query treats them."""
    import pandas as pd
    frame = pd.DataFrame({"flag": [True, False, None, True, None, False],
                          "status": ["a", "b", None, "c", "it's", "a"],
                          "amount": [1.0, 2.0, None, 3.0, 1.5, None]})
    con = duckdb.connect()
    con.register("frame", frame)
    sql = audit.condition_sql(condition, list(frame.columns), "test")
    got = con.execute(f"select count(*) from frame where {sql}").fetchone()[0]
    assert got == len(frame.query(condition)), sql


@pytest.mark.parametrize("condition, message", [
    ("is_current", "is not `column <op> value`"),
    ("nope == True", "names column nope that the table does not have"),
    ("person_id in []", "cannot read '[]'"),
    ("email == some_column", "cannot read 'some_column'"),
])
def test_a_row_condition_outside_the_sql_subset_is_a_one_line_error(tmp_path, condition, message):
    config = tmp_path / "audit.yml"
    config.write_text(TINY_CONFIG.replace("kwargs: {column: person_id}",
                                          f"kwargs: {{column: person_id, row_condition: '{condition}'}}"))
    db = tiny_db(tmp_path, ["a@x.com"])
    result = run([sys.executable, "-m", "scripts", "audit", "--db", db, "--config", config,
                  "--docs-dir", tmp_path / "docs", "--as-of", "2025-12-31"])
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("AUDIT ERROR tables.main.people") and message in lines[0], lines


def test_a_check_duckdb_cannot_evaluate_fails_alone_and_data_docs_render(tmp_path, capsys):
    """A regex DuckDB rejects: that check reports it could not be evaluated (an error: the publish stops), the
    suite's other checks are still judged, and Data Docs and the summary are written."""
    config = tmp_path / "audit.yml"
    config.write_text(TINY_CONFIG.replace(
        "      - type: expect_column_values_to_not_be_null",
        "      - type: expect_column_values_to_match_regex\n        kwargs: {column: email, regex: '(unclosed'}\n"
        "        severity: error\n      - type: expect_column_values_to_not_be_null"))
    db = tiny_db(tmp_path, ["a@x.com", None, "c@x.com", "d@x.com", "e@x.com"])
    code, out = run_audit(capsys, db, tmp_path / "docs", "--as-of", "2025-12-31", config=config)
    assert code == 1, out
    lines = fail_lines(out)
    assert len(lines) == 1 and "main.people.email expect_column_values_to_match_regex: could not be evaluated" \
        in lines[0], out
    assert "AUDIT WARN [warn] main.people.email expect_column_values_to_not_be_null: 20.0% unexpected" in out
    index = (tmp_path / "docs" / "index.html").read_text()
    assert "main.people" in index and "share_null_email" in index
    summary = json.loads((tmp_path / "docs" / "audit_summary.json").read_text())
    assert summary["status"] == "FAILED" and summary["expectations"] == 5, summary


@pytest.mark.parametrize("variable, value", [("C360_DUCKDB_MEMORY_LIMIT", "lots"), ("C360_DUCKDB_THREADS", "two")])
def test_a_bad_duckdb_setting_is_a_one_line_error(tmp_path, variable, value):
    config = tmp_path / "audit.yml"
    config.write_text(TINY_CONFIG)
    db = tiny_db(tmp_path, ["a@x.com"])
    result = run([sys.executable, "-m", "scripts", "audit", "--db", db, "--config", config,
                  "--docs-dir", tmp_path / "docs", "--as-of", "2025-12-31"], env={variable: value})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"AUDIT ERROR {variable} ") and repr(value) in lines[0], lines
