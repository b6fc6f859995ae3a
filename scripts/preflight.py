"""Check raw exports against the contract before dbt reads them.

DuckDB's own errors for a truncated file or a schema drift come from deep inside a query over
hundreds of files; this check names the file, the table and the column instead, and stops the
build before anything is written.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scripts.contract import RawTable, load_contract

# Parquet types that read losslessly as each contract type.
COMPATIBLE: dict[str, tuple] = {
    "varchar": (pa.types.is_string, pa.types.is_large_string, pa.types.is_null),
    "double": (pa.types.is_floating, pa.types.is_integer, pa.types.is_decimal, pa.types.is_null),
    "bigint": (pa.types.is_integer, pa.types.is_null),
    "boolean": (pa.types.is_boolean, pa.types.is_null),
}


class RawDataError(Exception):
    """A raw file or table breaks the contract; the message names the file, table and column."""


def check_file(path: Path, table: RawTable) -> list[str]:
    """Problems of one Parquet file, as messages a user can act on."""
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        return [f"raw file {path} of table {table.name} cannot be read as Parquet ({exc})"]
    problems = []
    fields = {field.name: field.type for field in schema}
    for column, contract_type in table.columns.items():
        if column not in fields:
            problems.append(f"raw table {table.name}: required column '{column}' is missing in file {path}")
        elif not any(check(fields[column]) for check in COMPATIBLE[contract_type]):
            problems.append(
                f"raw table {table.name}: column '{column}' has type {fields[column]} in file {path},"
                f" the contract says {contract_type}"
            )
    return problems


# A table that usually delivers at least this many rows per load and suddenly delivers none has a
# broken export, not a quiet day (small tables such as erasure requests may well be empty).
EMPTY_LOAD_MIN_TYPICAL_ROWS = 50


def check_newest_load(files: list[Path], table: RawTable) -> list[str]:
    """An empty newest load of a table that normally has rows: the export broke."""
    rows_per_load: dict[str, int] = {}
    for path in files:
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except Exception:  # unreadable files are reported by check_file
            return []
        rows_per_load[path.parent.name] = rows_per_load.get(path.parent.name, 0) + rows
    loads = sorted(rows_per_load)
    if len(loads) < 2 or rows_per_load[loads[-1]] > 0:
        return []
    earlier = [rows_per_load[load] for load in loads[:-1]]
    if sum(earlier) / len(earlier) < EMPTY_LOAD_MIN_TYPICAL_ROWS:
        return []
    return [f"raw table {table.name}: the newest load {loads[-1]} has 0 rows where earlier loads had"
            f" {sum(earlier) // len(earlier)} on average (empty export?)"]


def check_raw_root(raw_root: Path) -> tuple[list[str], dict[str, int]]:
    """All problems under raw_root, and the number of files found per table (absent tables: 0)."""
    if not raw_root.is_dir():
        raise RawDataError(f"raw folder {raw_root} does not exist")
    problems: list[str] = []
    files_per_table: dict[str, int] = {}
    for table in load_contract():
        files = sorted((raw_root / table.source / table.table).glob("*/*.parquet"))
        files_per_table[table.name] = len(files)
        for path in files:
            problems.extend(check_file(path, table))
        problems.extend(check_newest_load(files, table))
    return problems, files_per_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw-root", type=Path, default=Path("data/raw"))


def run(args: argparse.Namespace) -> int:
    try:
        problems, files_per_table = check_raw_root(args.raw_root)
    except RawDataError as exc:
        print(f"preflight: ERROR {exc}", file=sys.stderr)
        return 2
    absent = [name for name, n in files_per_table.items() if n == 0]
    present = sum(1 for n in files_per_table.values() if n)
    print(
        f"preflight: {present} raw tables, {sum(files_per_table.values())} files under {args.raw_root};"
        f" absent (built empty): {', '.join(absent) or 'none'}",
        file=sys.stderr,
    )
    for problem in problems:
        print(f"preflight: ERROR {problem}", file=sys.stderr)
    return 2 if problems else 0

