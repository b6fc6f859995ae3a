"""argparse types and checks shared by the CLI commands: a bad value is one usage line that names the option
and what it accepts (exit 2), never a traceback."""
from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path


def int_at_least(minimum: int):
    """argparse type: an integer >= minimum."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r} (must be an integer >= {minimum})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text}")
        return value
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def non_negative_number(text: str) -> float:
    """argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r} (must be a number >= 0)") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def iso_date(text: str) -> str:
    """argparse type: a calendar date YYYY-MM-DD, returned in that form."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a valid date YYYY-MM-DD: {text!r}") from None


def iso_date_value(text: str) -> date:
    """argparse type: a calendar date YYYY-MM-DD, returned as a date."""
    return date.fromisoformat(iso_date(text))


def folder_name(text: str) -> str:
    """argparse type: a name used as (part of) one folder name: no path separator, not '.' or '..'."""
    if "/" in text or "\\" in text or text in (".", ".."):
        raise argparse.ArgumentTypeError(f"must be a plain name without '/', got {text!r}")
    return text


def missing_file(path: Path, option: str, what: str = "file") -> str | None:
    """For check_args: a one-line problem when path is not an existing file, else None."""
    if path.is_file():
        return None
    if path.exists():
        return f"{option} {path} is not a {what} (a folder?)"
    return f"{option} {path}: no such {what}"


def add_progress_argument(parser: argparse.ArgumentParser) -> None:
    """--progress / --no-progress: progress bars with counts and ETA on stderr. By default only on a terminal,
    so that CI logs and captured output stay clean."""
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bars (step, count, ETA) on stderr (default: only when stderr is a terminal)")


def apply_duckdb_settings(con, default_memory_limit: str) -> None:
    """The build's DuckDB threads and memory limit (C360_DUCKDB_THREADS, C360_DUCKDB_MEMORY_LIMIT) on `con`,
    for the steps outside dbt (audit, publish); a bad value is a ValueError of one line."""
    import duckdb

    threads = os.environ.get("C360_DUCKDB_THREADS", "2")
    memory = os.environ.get("C360_DUCKDB_MEMORY_LIMIT", default_memory_limit)
    if not threads.isdigit() or int(threads) < 1:
        raise ValueError(f"C360_DUCKDB_THREADS must be a positive whole number, not {threads!r}")
    try:
        con.execute(f"set threads = {int(threads)}")
        con.execute("set memory_limit = '" + memory.replace("'", "''") + "'")
    except duckdb.Error as exc:
        raise ValueError(f"C360_DUCKDB_MEMORY_LIMIT {memory!r} is not a DuckDB memory limit (e.g. 4GB): "
                         f"{str(exc).splitlines()[0]}") from None
