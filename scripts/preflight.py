"""Check raw exports against the contract before dbt reads them.

DuckDB's own errors for a truncated file or a schema drift come from deep inside a query over
hundreds of files; this check names the file, the table and the column instead, and stops the
build before anything is written. It also names every file dbt would silently not read (a CSV, a
file outside <source>/<table>/load_date=YYYY-MM-DD/, an unknown source or table folder); top-level
names starting with _ or . (the generator's _truth/ and _generator.json) are ignored by convention, and
so are the files matched by <raw_root>/.c360ignore (listed as info, so nothing is skipped unsaid).
Optional columns missing from a file are listed as info: staging reads them as nulls.
"""
from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import re
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


# Timestamp and date columns may also arrive as native Parquet TIMESTAMP or DATE: staging reads them
# through their text form, which round-trips (an instant with a zone keeps its offset).
TEMPORAL = (pa.types.is_timestamp, pa.types.is_date)


class RawDataError(Exception):
    """A raw file or table breaks the contract; the message names the file, table and column."""


def check_file(path: Path, table: RawTable) -> tuple[list[str], list[str]]:
    """Problems of one Parquet file, as messages a user can act on, and the optional columns it lacks."""
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        return [f"raw file {path} of table {table.name} cannot be read as Parquet ({exc})"], []
    problems: list[str] = []
    missing_optional: list[str] = []
    fields = {field.name: field.type for field in schema}
    for column, contract_type in table.columns.items():
        accepted = COMPATIBLE[contract_type] + (TEMPORAL if table.is_temporal(column) else ())
        if column not in fields:
            if column in table.optional:
                missing_optional.append(column)
            else:
                problems.append(f"raw table {table.name}: required column '{column}' is missing in file {path}")
        elif not any(check(fields[column]) for check in accepted):
            also = " (or a native timestamp/date)" if table.is_temporal(column) else ""
            problems.append(
                f"raw table {table.name}: column '{column}' has type {fields[column]} in file {path},"
                f" the contract says {contract_type}{also}"
            )
    return problems, missing_optional


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


# A load folder may be dated at most this many days after today (UTC): time zones and clock skew.
FUTURE_LOAD_DAYS = 1
LOAD_FOLDER = re.compile(r"load_date=(\d{4}-\d{2}-\d{2})")


def ignored(name: str) -> bool:
    """Top-level names starting with _ or . are not raw data by convention (the generator's _truth/ and
    _generator.json, .DS_Store, .git): docs/raw_contract.md."""
    return name.startswith(("_", "."))


IGNORE_FILE = ".c360ignore"


def read_ignore_patterns(raw_root: Path) -> list[str]:
    """Glob patterns of <raw_root>/.c360ignore, one a line; blank lines and # comments are skipped."""
    path = raw_root / IGNORE_FILE
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RawDataError(f"ignore file {path} cannot be read ({exc})") from None
    return [line.strip().strip("/") for line in lines if line.strip() and not line.strip().startswith("#")]


def matches_ignore(relative: str, patterns: list[str]) -> str | None:
    """The pattern that ignores a file (path relative to the raw root), matched against the path and each of
    its parent folders, so that `exports` ignores a whole folder and `*.csv` every CSV; None if none does."""
    parts = relative.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            return pattern
    return None


def unread_file_problem(path: Path, why: str) -> str:
    """One line naming a file the build would skip or misread, and why."""
    hint = " (CSV is not read: convert it to Parquet)" if path.suffix.lower() == ".csv" else ""
    return f"raw file {path} will not be read: {why}{hint}"


# A layout problem and the file it is about (None for a problem of a folder, which no ignore pattern lifts).
Problem = tuple[str, Path | None]


def check_layout(raw_root: Path, tables: list[RawTable]) -> tuple[list[str], list[Path | None]]:
    """Every file under raw_root that dbt would silently skip, one message each: dbt reads exactly
    <source>/<table>/load_date=YYYY-MM-DD/*.parquet of the contract's tables, and a file anywhere else
    (a CSV export, a typo in a source or table folder, a file beside the load folders, a misnamed load
    folder) would drop its rows from the build and the reconciliation without a word. Returns the
    messages and, beside each, the file it is about."""
    known = {(t.source, t.table) for t in tables}
    sources = {t.source for t in tables}
    problems: list[Problem] = []

    def unread(path: Path, why: str) -> None:
        problems.append((unread_file_problem(path, why), path))

    def every_file(folder: Path, why: str) -> None:
        for f in sorted(f for f in folder.rglob("*") if f.is_file()):
            unread(f, why)

    for top in sorted(raw_root.iterdir()):
        if ignored(top.name):
            continue
        if not top.is_dir():
            unread(top, "it is not in a <source>/<table>/load_date=YYYY-MM-DD/ folder")
        elif top.name not in sources:
            every_file(top, f"'{top.name}' is not a source of the contract ({', '.join(sorted(sources))})")
        else:
            for table_dir in sorted(top.iterdir()):
                name = f"{top.name}/{table_dir.name}"
                if not table_dir.is_dir():
                    unread(table_dir, "it is not in a <table>/load_date=YYYY-MM-DD/ folder")
                elif (top.name, table_dir.name) not in known:
                    tables_of_source = sorted(t for s, t in known if s == top.name)
                    every_file(table_dir, f"'{name}' is not a table of the contract"
                                          f" (source {top.name} has {', '.join(tables_of_source)})")
                else:
                    problems.extend(check_table_folder(table_dir))
    return [message for message, _ in problems], [path for _, path in problems]


def check_table_folder(table_dir: Path) -> list[Problem]:
    """Files of a contract table that are not <load_date=YYYY-MM-DD>/<name>.parquet."""
    problems: list[Problem] = []
    for entry in sorted(table_dir.iterdir()):
        match = LOAD_FOLDER.fullmatch(entry.name)
        if not entry.is_dir():
            problems.append((unread_file_problem(entry, "it is not in a load_date=YYYY-MM-DD folder"), entry))
            continue
        why = None
        if match is None:
            why = f"folder '{entry.name}' is not named load_date=YYYY-MM-DD"
        else:
            try:
                load_date = dt.date.fromisoformat(match.group(1))
            except ValueError:
                why = f"folder '{entry.name}' is not a calendar date"
            else:
                # An export cannot have landed after today: a future load date would also make every event
                # up to it look plausible to staging (events are checked against their row's load_date).
                today = dt.datetime.now(dt.timezone.utc).date()
                if load_date > today + dt.timedelta(days=FUTURE_LOAD_DAYS):
                    problems.append((f"raw folder {entry} has a load date after today ({today}): an export cannot"
                                     " have landed yet; fix the folder name", None))
        for path in sorted(f for f in entry.rglob("*") if f.is_file()):
            if why:
                problems.append((unread_file_problem(path, why + ", so its rows would have no valid load_date"), path))
            elif path.parent != entry:
                problems.append((unread_file_problem(path, "it is in a subfolder of its load folder"), path))
            elif path.suffix != ".parquet":
                problems.append((unread_file_problem(path, "only *.parquet files are read"), path))
    return problems


def apply_ignore_file(raw_root: Path, problems: list[str], unread: list[Path | None]) -> tuple[list[str], list[str]]:
    """Split the layout problems into errors and info lines: an unread file matched by .c360ignore is
    listed as info (the user said it is not raw data), every other one stays an error."""
    patterns = read_ignore_patterns(raw_root)
    errors: list[str] = []
    infos: list[str] = []
    for problem, path in zip(problems, unread):
        pattern = None
        if path is not None:
            pattern = matches_ignore(path.relative_to(raw_root).as_posix(), patterns)
        if pattern is None:
            errors.append(problem)
        else:
            infos.append(f"raw file {path} is not read: ignored by pattern '{pattern}' of {raw_root / IGNORE_FILE}")
    return errors, infos


def check_raw_root(raw_root: Path) -> tuple[list[str], dict[str, int], list[str]]:
    """All problems under raw_root, the number of files found per table (absent tables: 0) and info lines
    (ignored files, optional columns missing and read as nulls)."""
    if not raw_root.is_dir():
        raise RawDataError(f"raw folder {raw_root} does not exist")
    tables = load_contract()
    layout_problems, unread = check_layout(raw_root, tables)
    problems, infos = apply_ignore_file(raw_root, layout_problems, unread)
    patterns = read_ignore_patterns(raw_root)
    files_per_table: dict[str, int] = {}
    for table in tables:
        files = sorted((raw_root / table.source / table.table).glob("*/*.parquet"))
        files_per_table[table.name] = len(files)
        # dbt reads every Parquet file of a load folder: an ignore pattern cannot take one out of the build
        problems.extend(
            f"raw file {path} matches pattern '{pattern}' of {raw_root / IGNORE_FILE}, but dbt reads every"
            " *.parquet of a load folder: move the file out of the raw root instead"
            for path in files
            if (pattern := matches_ignore(path.relative_to(raw_root).as_posix(), patterns))
        )
        files_missing: dict[str, int] = {}
        last_seen: dict[str, str] = {}  # optional column -> newest load folder that delivered it
        vanished: dict[str, Path] = {}
        for path in files:  # sorted: load_date order
            file_problems, missing_optional = check_file(path, table)
            problems.extend(file_problems)
            for column in missing_optional:
                files_missing[column] = files_missing.get(column, 0) + 1
                if column in last_seen and path.parent.name > last_seen[column]:
                    vanished.setdefault(column, path)
            for column in set(table.optional) - set(missing_optional):
                last_seen[column] = path.parent.name
        # optional means "may be absent from the whole table", not "may vanish from a feed that had it":
        # a newer load without a column earlier loads carried is a broken export, and would blank it silently
        problems.extend(f"raw table {table.name}: column '{column}' is missing from {path} although"
                        f" {last_seen[column]} delivered it: deliver it again, or leave it out of every load"
                        for column, path in vanished.items())
        for column in vanished:
            files_missing.pop(column, None)
        # one line per column, not per file: a table of 500 daily files would otherwise drown the errors
        infos.extend(f"raw table {table.name}: optional column '{column}' is missing in {n} of {len(files)} files;"
                     " read as null there" for column, n in files_missing.items())
        problems.extend(check_newest_load(files, table))
    return problems, files_per_table, infos


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw-root", type=Path, default=Path("data/raw"),
                        help="folder of the raw exports, <source>/<table>/load_date=YYYY-MM-DD/*.parquet "
                             "(default: %(default)s)")


def check_args(args: argparse.Namespace) -> str | None:
    """Checks reported as usage errors by the CLI."""
    if not args.raw_root.exists():
        return f"--raw-root {args.raw_root}: no such folder"
    if not args.raw_root.is_dir():
        return f"--raw-root {args.raw_root} is a file, not a folder"
    return None


def run(args: argparse.Namespace) -> int:
    try:
        problems, files_per_table, infos = check_raw_root(args.raw_root)
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
    for info in infos:
        print(f"preflight: INFO {info}", file=sys.stderr)
    for problem in problems:
        print(f"preflight: ERROR {problem}", file=sys.stderr)
    return 2 if problems else 0

