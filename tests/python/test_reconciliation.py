"""Nothing is silently lost: every raw row is staged, superseded, a dropped duplicate or quarantined."""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from scripts.contract import load_contract

TABLES = load_contract()


def raw_row_count(raw_root, table) -> int:
    """Rows in the raw files, counted from the Parquet footers, independently of dbt."""
    files = (raw_root / table.source / table.table).glob("*/*.parquet")
    return sum(pq.ParquetFile(path).metadata.num_rows for path in files)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_raw_rows_reconcile(sample_raw, con, table):
    raw = raw_row_count(sample_raw, table)
    assert raw > 0, f"the sample has no rows for {table.name}"
    staged_model = f"staging.stg_{table.source}__{table.table}"
    staged = con.execute(f"select count(*) from {staged_model}").fetchone()[0]
    recon = con.execute(
        "select raw_row_count, staged_row_count, superseded_row_count, duplicate_row_count, quarantined_row_count"
        " from quality.fct_raw_table_reconciliation where source_name = ? and table_name = ?",
        [table.source, table.table],
    ).fetchone()
    raw_in_dbt, staged_in_recon, superseded, duplicates, quarantined = recon
    assert raw_in_dbt == raw
    assert staged_in_recon == staged
    assert raw == staged + superseded + duplicates + quarantined
    quarantine_rows = con.execute(
        "select count(*) from quality.fct_quarantined_rows where source_name = ? and table_name = ?",
        [table.source, table.table],
    ).fetchone()[0]
    assert quarantine_rows == quarantined


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_duplicate_deliveries_are_dropped(sample_raw, con, table):
    """Every duplicate the generator injected is dropped, and nothing else is taken for one."""
    injected = con.execute(
        f"select count(*) from read_parquet('{sample_raw}/_truth/defects.parquet')"
        " where defect_type = 'duplicate_delivery' and source_name = ? and table_name = ?",
        [table.source, table.table],
    ).fetchone()[0]
    dropped = con.execute(
        "select duplicate_row_count from quality.fct_raw_table_reconciliation where source_name = ? and table_name = ?",
        [table.source, table.table],
    ).fetchone()[0]
    assert dropped == injected
