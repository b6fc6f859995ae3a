"""The same project builds on Apache Spark and gives the DuckDB build's results (`make test-spark`).

One small generated sample (2,000 customers) is built twice, on DuckDB (target ci) and on a local PySpark
(target spark, .venv-spark), then one more day of data is generated and both run again: DuckDB
incrementally, Spark as tables rebuilt from every file (its parquet tables have no row-level delete). The
ported models must then be equal row for row, whatever the order: counts, days, ids and text exactly,
doubles within 1e-9. Columns that record when a build ran are left out, and so are hashes that each engine
computes with its own function (macros/utils/row_hash.sql). The models that do not build on Spark yet are
listed with the reason, never skipped in silence.

Not part of `make test` (tests/python): it needs the Spark environment and takes minutes on 2 cores.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
DUCKDB_BIN = Path(sys.executable).parent
SPARK_BIN = REPO / ".venv-spark" / "bin"
SAMPLE_ARGS = ["--customers", "2000", "--start", "2024-01-01", "--end", "2025-06-30", "--seed", "11"]
MONEY_TOLERANCE = 1e-9

# relation -> primary key (its unique test in the models YAML)
COMPARED = {
    "core.bridge_customer_identity": ["record_key"],
    "core.fct_orders": ["order_id"],
    "core.dim_customers": ["customer_id"],
    "core.fct_customer_events": ["event_id"],
    "marketing.customer_btyd_summary": ["customer_id"],
    "marketing.customer_rfm": ["customer_id"],
    "marketing.customer_rfm_history": ["customer_month_id"],
    "marketing.customer_lifecycle": ["customer_id"],
    "marketing.customer_lifecycle_monthly": ["stage_month_id"],
    "marketing.customer_lifecycle_transitions": ["transition_id"],
    "marketing.churn_features": ["churn_feature_id"],
    "intermediate.int_customers__purchase_days": ["customer_id", "purchase_date"],
    "intermediate.int_customers__order_summary": ["customer_id"],
    "intermediate.int_customers__activity_times": ["customer_id"],
    "intermediate.int_customers__monthly_totals": ["customer_id", "calendar_month_end_date"],
    "marketing.fct_campaign_performance": ["campaign_segment_id"],
    "marketing.customer_channel_preferences": ["customer_channel_id"],
    "quality.fct_quarantined_rows": ["quarantined_row_id"],
    "quality.fct_raw_table_reconciliation": ["raw_table_id"],
    "quality.fct_quality_rates": ["quality_rate_id"],
    "quality.fct_contact_status_monthly": ["contact_status_month_id"],
    "quality.fct_contact_decay_monthly": ["decay_month_id"],
    "quality.build_settings": ["setting_name"],
    "restricted.campaign_member_responses": ["campaign_member_id"],
    "restricted.customer_campaign_fatigue": ["customer_id"],
    "restricted.customer_contacts": ["customer_id"],
    "semantic.metricflow_time_spine": ["date_day"],
}

# columns that differ by design: when each build ran, and hashes each engine computes its own way
NOT_COMPARED_COLUMNS = {
    "processed_at", "history_processed_at", "features_processed_at",  # the build's own clock
    # the marks of the run that last wrote the row (the facts' newest write, the as-of date), which
    # DuckDB's incremental day keeps on the rows it did not redo and Spark's rebuild sets on every row
    "orders_processed_through", "events_processed_through", "counted_before_date", "changed_from_date",
    # the newest load when a run last recomputed the row: DuckDB's incremental day keeps it on the rows it
    # did not touch, Spark's rebuild stamps every row with the new day; the values the rows hold are compared
    "source_loaded_date",
    "features_hash",  # row_hash: DuckDB hash(), Spark xxhash64()
}
# Columns compared within one cent, and why: money that is a decimal divided by a count (a mean, a cost
# shared out by group size). DuckDB divides decimals in double precision and rounds that to cents, Spark
# divides exactly: where the exact value is a half cent (304.65 / 2), DuckDB's double lies just under it
# (152.32) and Spark rounds half up (152.33). No other column gets this: bridge_customer_identity, fct_orders,
# customer_btyd_summary, customer_rfm, customer_lifecycle and churn_features are exact (doubles at 1e-9).
ONE_CENT = 0.01 + MONEY_TOLERANCE
COLUMN_TOLERANCE = {"average_net_amount_per_order": ONE_CENT, "cost_amount": ONE_CENT}

# models of the DuckDB DAG that do not build on Spark, and why (README "Spark")
NOT_PORTED = {
    "customer_identity_snapshot": "dbt snapshots on Spark need Delta or Hudi (merge), which cannot be installed here",
    "customer_id_merges": "reads customer_identity_snapshot",
    "privacy_erasure_log": "keeps applied_at of earlier builds with delete+insert on its own rows; no row-level delete on Spark parquet tables",
    "customer_clv_fits": "Python model (disabled on Spark by config: DuckDB relational API, pandas fits)",
    "customer_clv": "Python model (disabled on Spark by config)",
    "clv_model_validation": "Python model (disabled on Spark by config)",
    "churn_model_fits": "Python model (disabled on Spark by config)",
    "customer_churn_scores": "Python model (disabled on Spark by config)",
    "audience_attributes": "reads the Python models' CLV and churn scores (disabled on Spark by config)",
    "audience_matches": "reads audience_attributes (disabled on Spark)",
    "audience_members": "reads audience_attributes (disabled on Spark)",
    "audience_definitions": "reads audience_attributes (disabled on Spark)",
    "audience_exclusions": "reads audience_attributes (disabled on Spark)",
    "audience_membership_history": "reads audience_attributes (disabled on Spark)",
    "unit tests of the base models": "raw_source gives their fixtures the row number with DuckDB's union all by name",
}
# DuckDB builds what Spark builds plus what the incremental runs read (the identity snapshot and merges)
DUCKDB_EXCLUDED = ["customer_clv_fits+", "churn_model_fits+", "customer_clv+", "clv_model_validation",
                   "customer_churn_scores+", "audience_attributes+"]

pytestmark = pytest.mark.skipif(
    not (SPARK_BIN / "dbt").exists(), reason="no .venv-spark: run `make test-spark`, which creates it"
)


def run(cmd: list, env: dict, label: str) -> tuple[float, str]:
    """Run a command in the repository; fail with its output's tail. Returns its seconds and output."""
    full_env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "DO_NOT_TRACK": "1",
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "C360_PII_SALT": "customer360-test-salt", **env}
    started = time.monotonic()
    result = subprocess.run([str(c) for c in cmd], cwd=REPO, env=full_env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    output = "\n".join(line for line in (result.stdout + result.stderr).splitlines()
                       if not line.startswith('{"ts"'))
    assert result.returncode == 0, f"{label} failed:\n{output[-6000:]}"
    print(f"{label}: {seconds:.0f} s", flush=True)
    return seconds, output


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("spark_equivalence")
    raw = work / "raw"
    run([sys.executable, "-m", "scripts", "generate", *SAMPLE_ARGS, "--out", raw], {}, "generate")
    duckdb_env = {"C360_RAW_ROOT": str(raw), "C360_BUILD_DB": str(work / "duckdb" / "customer360.duckdb"),
                  "DBT_TARGET_PATH": str(work / "duckdb" / "target"), "DBT_LOG_PATH": str(work / "duckdb" / "logs")}
    spark_env = {"C360_RAW_ROOT": str(raw), "C360_SPARK_DIR": str(work / "spark"),
                 "DBT_TARGET_PATH": str(work / "spark" / "target"), "DBT_LOG_PATH": str(work / "spark" / "logs")}
    duckdb_build = [DUCKDB_BIN / "dbt", "build", "--target", "ci", "--resource-type", "seed",
                    "--resource-type", "model", "--resource-type", "snapshot", "--exclude", *DUCKDB_EXCLUDED]
    spark_seed = [SPARK_BIN / "dbt", "seed", "--target", "spark"]
    spark_run = [SPARK_BIN / "dbt", "run", "--target", "spark", "--selector", "spark"]  # selectors.yml
    times = {
        "duckdb first build": run(duckdb_build, duckdb_env, "DuckDB first build")[0],
        "spark first build": run(spark_seed, spark_env, "Spark seeds")[0] + run(spark_run, spark_env, "Spark first build")[0],
    }
    # one more daily load, then the daily run on both engines
    run([sys.executable, "-m", "scripts", "generate", "--append-days", "1", "--out", raw], {}, "generate one more day")
    times["duckdb incremental day"] = run(duckdb_build, duckdb_env, "DuckDB incremental day")[0]
    times["spark day (tables rebuilt)"] = run(spark_run, spark_env, "Spark day")[0]
    export = work / "spark_export"
    run([SPARK_BIN / "python", REPO / "tests" / "spark" / "export_spark_tables.py", "--spark-dir", work / "spark",
         "--out", export, *COMPARED], spark_env, "export the Spark tables")
    return {"duckdb": Path(duckdb_env["C360_BUILD_DB"]), "spark_export": export, "times": times,
            "spark_env": spark_env}


def frame_difference(duckdb_rows: pd.DataFrame, spark_rows: pd.DataFrame, key: list[str]) -> int:
    """Rows (by key) that one engine lacks or where a column differs: exact, doubles within the tolerance."""
    merged = duckdb_rows.merge(spark_rows, on=key, how="outer", suffixes=("_duckdb", "_spark"), indicator=True)
    different = merged["_merge"] != "both"
    for column in (c for c in duckdb_rows.columns if c not in key):
        left, right = merged[f"{column}_duckdb"], merged[f"{column}_spark"]
        both_null = left.isna() & right.isna()
        tolerance = COLUMN_TOLERANCE.get(column, MONEY_TOLERANCE)
        if tolerance > MONEY_TOLERANCE or pd.api.types.is_float_dtype(left) or pd.api.types.is_float_dtype(right):
            close = np.isclose(left.astype(float), right.astype(float), rtol=0, atol=tolerance)
            different |= ~(both_null | close)
        else:
            different |= ~(both_null | (left == right).fillna(False).astype(bool))
    return int(different.sum())


def test_spark_build_equals_duckdb_build(builds):
    con = duckdb.connect(str(builds["duckdb"]), read_only=True)
    con.execute("set TimeZone = 'UTC'")  # Spark writes its naive UTC timestamps as UTC instants
    table = []
    for relation, key in COMPARED.items():
        schema, name = relation.split(".")
        columns = [(column, data_type) for column, data_type in con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?"
            " order by ordinal_position", [schema, name]).fetchall() if column not in NOT_COMPARED_COLUMNS]
        duckdb_rows = con.execute(f"select {', '.join(f'{chr(34)}{c}{chr(34)}' for c, _ in columns)} from {schema}.{name}").df()
        # each Spark column read as DuckDB's type of it (Spark's int as bigint, its timestamps as naive UTC)
        spark_columns = ", ".join(f'cast("{column}" as {data_type}) as "{column}"' for column, data_type in columns)
        spark_rows = con.execute(f"select {spark_columns} from read_parquet(?)",
                                 [str(builds["spark_export"] / name / "*.parquet")]).df()
        table.append((relation, len(duckdb_rows), len(spark_rows), frame_difference(duckdb_rows, spark_rows, key)))
    con.close()

    lines = ["", f"{'model':45} {'rows DuckDB':>12} {'rows Spark':>11} {'differences':>12}"]
    lines += [f"{relation:45} {d:>12,} {s:>11,} {diff:>12,}" for relation, d, s, diff in table]
    lines += ["", "not ported to Spark:"] + [f"  {name}: {reason}" for name, reason in NOT_PORTED.items()]
    lines += ["", "build time on 2 cores (2,000 customers):"]
    lines += [f"  {label}: {seconds:.0f} s" for label, seconds in builds["times"].items()]
    print("\n".join(lines))
    rows = {relation: duckdb_count for relation, duckdb_count, _, _ in table}
    assert rows["core.fct_orders"] > 0 and rows["marketing.churn_features"] > 0, \
        "the sample built no orders or churn features: nothing was compared"
    assert [row for row in table if row[1] != row[2] or row[3]] == [], "Spark and DuckDB builds differ (table above)"


def test_data_and_unit_tests_pass_on_spark(builds):
    """The project's own data tests (keys, relationships, reconciliation, accepted values) and unit tests
    pass on the Spark build too: the dispatched macros give the answers the tests expect on DuckDB."""
    _, output = run([SPARK_BIN / "dbt", "test", "--target", "spark", "--selector", "spark"],
                    builds["spark_env"], "Spark data and unit tests")
    summary = next(line for line in output.splitlines() if "Done. PASS=" in line)
    print(summary)
    assert int(summary.split("PASS=")[1].split()[0]) >= 200 and "ERROR=0" in summary, summary
