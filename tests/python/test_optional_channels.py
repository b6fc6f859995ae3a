"""A company with only a web shop and a CRM still gets a working warehouse, and an audit that passes: the checks
on the channels and columns it did not deliver are listed as not applicable, not failed."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from conftest import dbt
from scripts import audit
from scripts.contract import load_contract

KEPT = {"web", "crm"}


def blank_column(folder: Path, column: str) -> None:
    """Rewrite every Parquet file under folder with `column` all null (an export without that data)."""
    for path in folder.rglob("*.parquet"):
        blanked = path.with_suffix(".blanked")
        duckdb.execute(f"copy (select * replace (cast(null as varchar) as {column}) "
                       f"from read_parquet('{path}', hive_partitioning = false)) to '{blanked}' (format parquet)")
        blanked.replace(path)


def test_build_with_only_web_and_crm_and_no_postal_codes_passes_the_audit(sample_raw, tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "crm").symlink_to(sample_raw / "crm", target_is_directory=True)
    for table in (sample_raw / "web").iterdir():
        if table.name == "accounts":
            shutil.copytree(table, raw / "web" / table.name)
        else:
            (raw / "web").mkdir(exist_ok=True)
            (raw / "web" / table.name).symlink_to(table, target_is_directory=True)
    blank_column(raw / "web" / "accounts", "postal_code")
    # still a generated sample: the audit measures freshness against the end date the generator recorded
    (raw / "_generator.json").symlink_to(sample_raw / "_generator.json")
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
    con.close()

    docs = tmp_path / "docs"
    code = audit.audit(db, raw_root=raw, docs_dir=docs)
    out = capsys.readouterr().out
    assert code == 0, out
    for source in {table.source for table in load_contract()} - KEPT:
        assert f": channel {source} not delivered (" in out, out
    assert ("AUDIT N/A [error] staging.stg_web__accounts.is_postal_code_valid expect_column_values_to_be_in_set: "
            "no postal_code delivered in web.accounts") in out, out
    assert ("AUDIT N/A [error] core.dim_customers.is_postal_code_valid expect_column_values_to_be_in_set: "
            "no postal_code delivered in web.accounts") in out, out
    summary = json.loads((docs / "audit_summary.json").read_text())
    checks = {(c["target"], c["check"]): c["status"] for c in summary["checks"]}
    # the CRM's postal codes were delivered: their check still runs
    assert checks[("staging.stg_crm__contacts.is_postal_code_valid", "expect_column_values_to_be_in_set")] == "passed"
    assert checks[("staging.stg_store__pos_transactions.load_date", "freshness")] == "not_applicable"
    assert set(summary["not_delivered"]) == {f"{t.source}.{t.table}" for t in load_contract() if t.source not in KEPT}
    # Data Docs lists the suites that did not apply, with their reason as notes
    pages = "".join(p.read_text() for p in docs.rglob("*.html"))
    assert "Not applicable: channel store not delivered." in pages


def test_a_channel_switched_off_by_var_builds_empty(sample_raw, tmp_path):
    db = tmp_path / "no_app.duckdb"
    result = dbt(
        "build", sample_raw, db, "--select", "+stg_app__app_events", "--exclude-resource-type", "unit_test",
        "--vars", f'{{"raw_root": "{sample_raw}", "app_enabled": false}}',
    )
    assert result.returncode == 0, result.stdout[-5000:]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from staging.stg_app__app_events").fetchone()[0] == 0
