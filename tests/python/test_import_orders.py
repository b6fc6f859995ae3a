"""`python -m scripts import-orders`: a plain transaction log becomes a raw folder that passes preflight and
builds; bad input is one line and exit 2."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import dbt, run

CUSTOMERS = 300


def write_log(path: Path, rows: int = 3000) -> Path:
    """A shop's export: customer, timestamp, amount (every 50th a refund), e-mail; one customer changes e-mail."""
    with duckdb.connect() as con:
        con.execute(f"""
            copy (
                select
                    'C' || lpad(cast(i % {CUSTOMERS} as varchar), 4, '0') as customer_no,
                    strftime(timestamp '2024-01-01' + to_minutes(cast(i * 263 % (540 * 1440) as bigint)),
                             '%Y-%m-%d %H:%M:%S') as paid_at,
                    case when i % 50 = 0 then -round(10 + i % 97, 2) else round(10 + (i % 197) * 1.37, 2) end as amount,
                    case when i % {CUSTOMERS} = 7 and i > 1500 then 'new7@example.com'
                         else 'c' || (i % {CUSTOMERS}) || '@example.com' end as mail
                from range({rows}) as t(i)
            ) to '{path}' ({'header' if path.suffix == '.csv' else 'format parquet'})
        """)
    return path


def import_orders(log: Path, out: Path, *extra: str):
    return run([sys.executable, "-m", "scripts", "import-orders", log, "--customer", "customer_no",
                "--date", "paid_at", "--amount", "amount", "--out", out, *extra])


def read(folder: Path, table: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(f"select * from read_parquet('{folder}/web/{table}/*/*.parquet', hive_partitioning = true)"
                           " order by all").fetchall()


def test_import_passes_preflight_and_builds(tmp_path):
    log = write_log(tmp_path / "orders.csv")
    out = tmp_path / "raw"
    result = import_orders(log, out, "--email", "mail")
    assert result.returncode == 0, result.stderr
    assert f"3,000 orders of {CUSTOMERS} customers" in result.stderr

    checked = run([sys.executable, "-m", "scripts", "preflight", "--raw-root", out])
    assert checked.returncode == 0, checked.stderr
    assert "optional column 'first_name' is missing" in checked.stderr

    accounts = read(out, "accounts")
    assert len({row[0] for row in accounts}) == CUSTOMERS
    assert len(accounts) == CUSTOMERS + 1  # the customer who changed e-mail has two versions

    db = tmp_path / "imported.duckdb"
    built = dbt("build", out, db)
    assert built.returncode == 0, built.stdout[-5000:]
    with duckdb.connect(str(db), read_only=True) as con:
        orders, customers, revenue = con.execute(
            "select count(*), count(distinct customer_id), sum(net_amount) from core.fct_orders").fetchone()
        unreconciled = con.execute(
            "select count(*) from quality.fct_raw_table_reconciliation"
            " where raw_row_count != staged_row_count + superseded_row_count + duplicate_row_count"
            " + quarantined_row_count").fetchone()[0]
    with duckdb.connect() as con:
        expected = con.execute(f"select sum(amount) from read_csv('{log}')").fetchone()[0]
    assert orders == 3000 and customers == CUSTOMERS and unreconciled == 0
    assert abs(float(revenue) - expected) < 0.01


def test_rerun_gives_the_same_ids_and_refuses_a_non_empty_out(tmp_path):
    log = write_log(tmp_path / "orders.parquet", rows=500)
    out = tmp_path / "raw"
    assert import_orders(log, out).returncode == 0
    first = read(out, "orders")

    refused = import_orders(log, out)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "is not empty" in refused.stderr and "--force" in refused.stderr

    assert import_orders(log, out, "--force").returncode == 0
    assert read(out, "orders") == first
    assert len({row[0] for row in first}) == 500
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left behind


def test_native_parquet_types_and_currency(tmp_path):
    log = tmp_path / "native.parquet"
    with duckdb.connect() as con:
        con.execute(f"""copy (select 'A' || (i % 3) as customer_no, timestamp '2024-05-01 10:00:00.5' + to_days(i) as paid_at,
                              cast(10 + i as decimal(12, 2)) as amount from range(40) as t(i)) to '{log}' (format parquet)""")
    out = tmp_path / "raw"
    result = import_orders(log, out, "--currency", "usd")
    assert result.returncode == 0, result.stderr
    schema = pq.read_schema(next((out / "web" / "orders").glob("*/*.parquet")))
    assert str(schema.field("ordered_at").type).startswith("timestamp")
    assert str(schema.field("total_amount").type).startswith("decimal")
    assert {row[6] for row in read(out, "orders")} == {"USD"}
    checked = run([sys.executable, "-m", "scripts", "preflight", "--raw-root", out])
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("case", ["missing_column", "unreadable", "not_a_number", "no_dates", "extension"])
def test_bad_input_is_one_line(tmp_path, case):
    log = write_log(tmp_path / "orders.csv", rows=20)
    args = ["--customer", "customer_no", "--date", "paid_at", "--amount", "amount"]
    expected = {"missing_column": "column 'total' (--amount) is not in",
                "unreadable": "cannot be read as PARQUET",
                "not_a_number": "values that are not numbers (e.g. '1.234,50')",
                "no_dates": "has no date staging can read",
                "extension": "is neither CSV nor Parquet"}[case]
    if case == "missing_column":
        args[-1] = "total"
    elif case == "unreadable":
        log = tmp_path / "orders.parquet"
        log.write_bytes(b"PAR1 this is not parquet")
    elif case == "not_a_number":
        log.write_text(log.read_text().replace("\nC0003,", "\nC0003,").replace(",11.37,", ",\"1.234,50\",", 1))
    elif case == "no_dates":
        args[3] = "mail"
    elif case == "extension":
        log = log.rename(tmp_path / "orders.xlsx")
    out = tmp_path / "raw"
    result = run([sys.executable, "-m", "scripts", "import-orders", log, *args, "--out", out])
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert expected in result.stderr, result.stderr
    if case == "missing_column":
        assert "its columns are: customer_no, paid_at, amount, mail" in result.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_day_first_dates_are_written_in_iso_and_unreadable_ones_kept(tmp_path):
    log = tmp_path / "orders.csv"
    log.write_text("customer_no,paid_at,amount\nC1,31/01/2024,10.00\nC1,2024-02-03T10:00:00+01:00,5.50\n"
                   "C2,soon,7.00\n")
    out = tmp_path / "raw"
    result = import_orders(log, out)
    assert result.returncode == 0, result.stderr
    assert "NOTE 1 orders have a date staging cannot read" in result.stderr
    dates = sorted(row[2] for row in read(out, "orders"))
    assert dates == ["2024-01-31 00:00:00.000000", "2024-02-03 09:00:00.000000", "soon"]
    # the unreadable row goes to the newest load, which is the newest readable order's day
    assert {row[7] for row in read(out, "orders") if row[2] == "soon"} == {dt.date(2024, 2, 3)}
    assert run([sys.executable, "-m", "scripts", "preflight", "--raw-root", out]).returncode == 0
