"""Broken raw exports stop the build with a message naming the file, table and column."""
from __future__ import annotations

import shutil
import sys

import pyarrow.parquet as pq
import pytest

from conftest import run


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
    table = pq.read_table(path).drop_columns(["email"])
    pq.write_table(table, path)
    result = preflight(raw_copy)
    assert result.returncode != 0
    assert "crm/contacts" in result.stderr and "'email'" in result.stderr and "missing" in result.stderr


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
