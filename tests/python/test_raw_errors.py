"""Broken raw exports stop the build with a message naming the file, table and column; the contract's
friendlier parts (optional columns, native timestamp/date/decimal types, currencies, the ignore file) build."""
from __future__ import annotations

import datetime as dt
import decimal
import shutil
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import dbt, run


@pytest.fixture()
def raw_copy(sample_raw, tmp_path):
    copy = tmp_path / "raw"
    shutil.copytree(sample_raw, copy)
    return copy


def last_file(raw, source, table):
    return sorted((raw / source / table).glob("*/*.parquet"))[-1]


def preflight(raw):
    return run([sys.executable, "-m", "scripts", "preflight", "--raw-root", raw])


def test_clean_sample_passes(sample_raw):
    result = preflight(sample_raw)
    assert result.returncode == 0, result.stderr


def test_truncated_file_is_named(raw_copy):
    path = last_file(raw_copy, "web", "orders")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result = preflight(raw_copy)
    assert result.returncode != 0
    assert str(path) in result.stderr and "cannot be read" in result.stderr


def test_missing_required_column_names_table_and_column(raw_copy):
    path = last_file(raw_copy, "crm", "contacts")
    table = pq.read_table(path).drop_columns(["created_at"])
    pq.write_table(table, path)
    result = preflight(raw_copy)
    assert result.returncode != 0
    assert "crm/contacts" in result.stderr and "'created_at'" in result.stderr and "missing" in result.stderr


def test_missing_optional_column_is_info_and_builds_with_nulls(raw_copy, tmp_path):
    """A column the contract marks optional may be absent from every file of a table: preflight lists it
    as info, staging reads it as null, and every raw row is still accounted for."""
    for path in sorted((raw_copy / "web" / "accounts").glob("*/*.parquet")):
        pq.write_table(pq.read_table(path).drop_columns(["phone", "country"]), path)
    files = len(list((raw_copy / "web" / "accounts").glob("*/*.parquet")))
    result = preflight(raw_copy)
    assert result.returncode == 0, result.stderr
    assert (f"INFO raw table web/accounts: optional column 'phone' is missing in {files} of {files} files"
            in result.stderr)
    db = tmp_path / "optional.duckdb"
    built = dbt("build", raw_copy, db, "--select", "+base_web__accounts", "--exclude-resource-type", "unit_test")
    assert built.returncode == 0, built.stdout[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        rows, phones, countries, emails = con.execute(
            "select count(*), count(phone_raw), count(country_code), count(email_raw) from staging.base_web__accounts"
        ).fetchone()
    raw_rows = pq.ParquetDataset(raw_copy / "web" / "accounts").read().num_rows
    assert rows == raw_rows and phones == 0 and countries == 0 and emails > 0


def test_native_timestamp_date_decimal_stage_like_strings(tmp_path):
    """Native Parquet TIMESTAMP (with and without zone), DATE and DECIMAL columns stage to the same values
    as their string and double forms: a timestamp read through its text round-trips to the microsecond.
    Amounts in USD are converted with the seed's rate of their month; a currency without a rate is
    quarantined as unknown_currency_rate, never staged unconverted."""
    ids = ["O1", "O2", "O3", "O4", "O5"]
    as_text = ["2024-03-01 10:00:00.123456", "2024-03-01T10:00:00+01:00", "2024-03-05",
               "2024-03-31 23:59:59.999999", "2024-03-10 12:00:00"]
    native_naive = pa.array([dt.datetime(2024, 3, 1, 10, 0, 0, 123456), None, None,
                             dt.datetime(2024, 3, 31, 23, 59, 59, 999999), dt.datetime(2024, 3, 10, 12)],
                            pa.timestamp("us"))
    amounts = [10.5, 20.25, 30.0, 40.1, 50.0]
    currencies = ["EUR", "USD", "EUR", "EUR", "XYZ"]

    def write(root, name, ordered_at, total_amount, extra=None):
        folder = root / "web" / "orders" / "load_date=2024-04-01"
        folder.mkdir(parents=True, exist_ok=True)
        columns = {"order_id": ids, "account_id": ["W1"] * 5, "ordered_at": ordered_at,
                   "order_type": ["sale"] * 5, "total_amount": total_amount, "currency": currencies}
        rows = [i for i in range(5) if (extra is None or extra[i])]
        arrays = {k: (v if isinstance(v, pa.Array) else pa.array(v)).take(rows) for k, v in columns.items()}
        pq.write_table(pa.table(arrays), folder / name)

    text_root, native_root = tmp_path / "text", tmp_path / "native"
    # refunded_order_id is optional and left out of every file of both roots
    write(text_root, "a.parquet", as_text, pa.array(amounts, pa.float64()))
    decimals = pa.array([decimal.Decimal(str(a)) for a in amounts], pa.decimal128(18, 2))
    # the native root spreads the rows over three files with three timestamp types
    write(native_root, "naive.parquet", native_naive, decimals, extra=[1, 0, 0, 1, 1])
    zoned = pa.array([None, dt.datetime(2024, 3, 1, 9, tzinfo=dt.timezone.utc), None, None, None],
                     pa.timestamp("us", tz="Europe/Amsterdam"))
    write(native_root, "zoned.parquet", zoned, decimals, extra=[0, 1, 0, 0, 0])
    write(native_root, "date.parquet", pa.array([None, None, dt.date(2024, 3, 5), None, None], pa.date32()),
          decimals, extra=[0, 0, 1, 0, 0])

    staged = {}
    for root in (text_root, native_root):
        result = preflight(root)
        assert result.returncode == 0, result.stderr
        assert "optional column 'refunded_order_id' is missing" in result.stderr
        db = tmp_path / f"{root.name}.duckdb"
        built = dbt("build", root, db, "--select", "currency_rates_monthly", "base_web__orders",
                    "--exclude-resource-type", "unit_test")
        assert built.returncode == 0, built.stdout[-3000:]
        with duckdb.connect(str(db), read_only=True) as con:
            staged[root.name] = con.execute(
                "select order_id, ordered_at, total_amount, currency, row_status, quarantine_reason"
                " from staging.base_web__orders order by order_id").fetchall()
    assert staged["native"] == staged["text"]
    with duckdb.connect(str(tmp_path / "text.duckdb"), read_only=True) as con:
        usd_rate = con.execute("select rate from reference.currency_rates_monthly"
                               " where currency = 'USD' and month = date '2024-03-01' and reporting_currency = 'EUR'"
                               ).fetchone()[0]
    by_id = {row[0]: row for row in staged["text"]}
    assert by_id["O1"][1] == dt.datetime(2024, 3, 1, 10, 0, 0, 123456)
    assert by_id["O4"][1] == dt.datetime(2024, 3, 31, 23, 59, 59, 999999)
    assert by_id["O2"][1] == dt.datetime(2024, 3, 1, 9) and by_id["O3"][1] == dt.datetime(2024, 3, 5)
    assert by_id["O1"][2] == decimal.Decimal("10.50") and by_id["O2"][3] == "USD"
    assert by_id["O2"][2] == round(decimal.Decimal("20.25") * usd_rate, 2) != decimal.Decimal("20.25")
    assert by_id["O5"][2:] == (None, "XYZ", "quarantined", "unknown_currency_rate")


def test_ignore_file_lists_ignored_files_as_info(raw_copy):
    stray = raw_copy / "exports" / "orders_2024.csv"
    stray.parent.mkdir()
    stray.write_text("order_id,amount\n1,2\n")
    note = raw_copy / "web" / "orders" / "README.txt"
    note.write_text("exported by the shop\n")
    result = preflight(raw_copy)
    assert result.returncode == 2 and str(stray) in result.stderr and str(note) in result.stderr

    (raw_copy / ".c360ignore").write_text("# not raw data\nexports/\nweb/*/README.txt\n")
    result = preflight(raw_copy)
    assert result.returncode == 0, result.stderr
    assert f"INFO raw file {stray} is not read: ignored by pattern 'exports'" in result.stderr
    assert f"INFO raw file {note} is not read: ignored by pattern 'web/*/README.txt'" in result.stderr

    # dbt reads every Parquet file of a load folder: a pattern cannot take one out, so it is an error
    (raw_copy / ".c360ignore").write_text("exports\nweb/*/README.txt\nweb/orders/*/*.parquet\n")
    result = preflight(raw_copy)
    assert result.returncode == 2 and "but dbt reads every *.parquet of a load folder" in result.stderr


def test_changed_column_type_names_table_and_column(raw_copy):
    path = last_file(raw_copy, "web", "orders")
    table = pq.read_table(path)
    index = table.schema.get_field_index("total_amount")
    table = table.set_column(index, "total_amount", table.column("total_amount").cast("string"))
    pq.write_table(table, path)
    result = preflight(raw_copy)
    assert result.returncode != 0
    assert "web/orders" in result.stderr and "'total_amount'" in result.stderr and "contract says double" in result.stderr


def test_make_build_stops_before_dbt_on_a_broken_export(raw_copy, tmp_path):
    path = last_file(raw_copy, "store", "pos_transactions")
    path.write_bytes(b"not parquet at all")
    result = run(["make", "preflight", f"RAW_ROOT={raw_copy}"])
    assert result.returncode != 0
    assert str(path) in result.stderr
