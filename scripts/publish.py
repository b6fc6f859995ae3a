"""Publish an audited build file as the warehouse BI tools read (write-audit-publish).

The published file is replaced with one atomic rename on the same file system, so a reader sees
either the previous build or the new one, never a half-written file; the previous build is kept
beside it as customer360.previous.duckdb.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import duckdb

DEFAULT_BUILD = Path("build/customer360.build.duckdb")
DEFAULT_WAREHOUSE = Path("warehouse/customer360.duckdb")


def checkpoint(build_db: Path) -> None:
    """Fold the write-ahead log into the file so that one file is the whole build."""
    con = duckdb.connect(str(build_db))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def publish(build_db: Path, warehouse: Path) -> Path:
    if not build_db.is_file():
        raise FileNotFoundError(f"build file {build_db} does not exist: run the build first")
    checkpoint(build_db)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    staging_copy = warehouse.with_suffix(".duckdb.publishing")
    shutil.copyfile(build_db, staging_copy)
    with open(staging_copy, "rb+") as handle:
        os.fsync(handle.fileno())
    if warehouse.exists():
        previous = warehouse.with_name(warehouse.stem + ".previous.duckdb")
        previous_tmp = previous.with_suffix(".duckdb.tmp")
        previous_tmp.unlink(missing_ok=True)
        os.link(warehouse, previous_tmp)  # keep the old inode as the previous build
        os.replace(previous_tmp, previous)
    os.replace(staging_copy, warehouse)
    return warehouse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--build-db", type=Path, default=DEFAULT_BUILD)
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)


def run(args: argparse.Namespace) -> int:
    try:
        path = publish(args.build_db, args.warehouse)
    except FileNotFoundError as exc:
        print(f"publish: ERROR {exc}", file=sys.stderr)
        return 2
    print(f"publish: {path} ({path.stat().st_size / 2**20:.1f} MiB)", file=sys.stderr)
    return 0

