"""A company with only a web shop and a CRM still gets a working warehouse."""
from __future__ import annotations

import duckdb

from conftest import dbt
from scripts.contract import load_contract

KEPT = {"web", "crm"}


def test_build_with_only_web_and_crm(sample_raw, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for source in KEPT:
        (raw / source).symlink_to(sample_raw / source, target_is_directory=True)
    db = tmp_path / "partial.duckdb"
    result = dbt("build", raw, db, "--exclude-resource-type", "unit_test")
    assert result.returncode == 0, result.stdout[-5000:]

    con = duckdb.connect(str(db), read_only=True)
    for table in load_contract():
        n = con.execute(f"select count(*) from staging.stg_{table.source}__{table.table}").fetchone()[0]
        if table.source in KEPT:
            assert n > 0, f"{table.name} should be built from the raw files"
        else:
            assert n == 0, f"{table.name} is absent and must build as an empty relation"
    # The empty relations keep the contract's columns.
    columns = {row[0] for row in con.execute("describe staging.stg_store__pos_transactions").fetchall()}
    assert {"transaction_id", "loyalty_card_id", "transacted_at", "total_amount"} <= columns


def test_a_channel_switched_off_by_var_builds_empty(sample_raw, tmp_path):
    db = tmp_path / "no_app.duckdb"
    result = dbt(
        "build", sample_raw, db, "--select", "+stg_app__app_events", "--exclude-resource-type", "unit_test",
        "--vars", f'{{"raw_root": "{sample_raw}", "app_enabled": false}}',
    )
    assert result.returncode == 0, result.stdout[-5000:]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from staging.stg_app__app_events").fetchone()[0] == 0
