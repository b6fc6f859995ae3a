"""Export the published BI file as Parquet, for BI tools that prefer files to a DuckDB connection.

Every table and view of `warehouse/customer360.duckdb` becomes `exports/bi/<schema>/<table>.parquet`,
with the file's own column types (BIGINT, DOUBLE, DECIMAL(18,2), DATE, naive UTC TIMESTAMP; see
docs/design.md, "Types BI tools read"). The published file is opened read-only, so an export never
blocks a build; a publish that lands meanwhile replaces the file under the open connection, and the
export still reads one whole build.

The export is written into `exports/.bi.exporting` and renamed into place: a killed export leaves the
previous export whole (the next run throws the half-written folder away, and puts the previous
export back if the kill fell between the two renames of the swap).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from pathlib import Path

import duckdb

from scripts.publish import PublishError, exclusive, literal, quote

DEFAULT_WAREHOUSE = Path("warehouse/customer360.duckdb")
DEFAULT_OUT = Path("exports/bi")
# names become folder and file names: anything else could climb out of the export folder
SAFE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


class ExportError(Exception):
    """A reason not to export, said in one line."""


def relations_of(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, name) of every table and view a reader of the file sees."""
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
        "union all "
        "select schema_name, view_name from duckdb_views() where database_name = current_database() "
        "and not internal order by all").fetchall()
    for schema, name in rows:
        if not (SAFE_NAME.match(schema) and SAFE_NAME.match(name)):
            raise ExportError(f"relation {schema!r}.{name!r} has a name that cannot be a file name "
                              "(letters, digits and _ only)")
    return rows


def open_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.is_file():
        raise ExportError(f"{warehouse} does not exist: run `make build` first")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "lock" in first.lower():
            raise ExportError(f"{warehouse} is open read-write by another process ({first}): "
                              "close it and export again") from None
        raise ExportError(f"{warehouse} cannot be opened as a DuckDB file: {first}") from None


def recover(out: Path, writing: Path, replaced: Path) -> None:
    """Undo what a killed export left: its half-written folder, and a swap stopped halfway."""
    if writing.exists():
        shutil.rmtree(writing)
    if replaced.exists():
        if out.exists():
            shutil.rmtree(replaced)
        else:
            os.replace(replaced, out)


def export(warehouse: Path, out: Path) -> dict:
    """Write every relation of the BI file as Parquet under `out`, replacing the previous export whole."""
    started = time.monotonic()
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} exists and is not a folder: move it away or choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive(out.with_name(f".{out.name}.lock"), f"export to {out}"):
            counts = write_and_swap(warehouse, out)
    except PublishError as exc:  # the lock's one-line refusal
        raise ExportError(str(exc)) from None
    size = sum(path.stat().st_size for path in out.rglob("*.parquet"))
    return {**counts, "bytes": size, "seconds": time.monotonic() - started}


def write_and_swap(warehouse: Path, out: Path) -> dict:
    writing = out.with_name(f".{out.name}.exporting")
    replaced = out.with_name(f".{out.name}.replaced")
    recover(out, writing, replaced)
    con = open_read_only(warehouse)
    try:
        relations = relations_of(con)
        if not relations:
            raise ExportError(f"{warehouse} holds no tables or views: is it the published BI file?")
        rows = 0
        for schema, name in relations:
            (writing / schema).mkdir(parents=True, exist_ok=True)
            target = writing / schema / f"{name}.parquet"
            relation = f"{quote(schema)}.{quote(name)}"
            copied = con.execute(f"copy (select * from {relation}) to {literal(str(target))} "
                                 "(format parquet, compression zstd)").fetchone()
            rows += copied[0]  # COPY returns the rows it wrote: a view is not run twice
    finally:
        con.close()
    if out.exists():
        os.replace(out, replaced)
    os.replace(writing, out)
    shutil.rmtree(replaced, ignore_errors=True)
    return {"relations": len(relations), "rows": rows}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE,
                        help="the published BI file to read, read-only (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder of the export, <schema>/<table>.parquet, replaced whole (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    try:
        result = export(args.warehouse, args.out)
    except ExportError as exc:
        print(f"export: ERROR {exc}", file=sys.stderr)
        return 2
    except (duckdb.Error, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"export: ERROR writing {args.out} from {args.warehouse}: {first}", file=sys.stderr)
        return 2
    print(f"export: {result['relations']} relations, {result['rows']} rows, {result['bytes'] / 2**20:.1f} MiB "
          f"of Parquet in {args.out} in {result['seconds']:.1f} s", file=sys.stderr)
    return 0
