"""`make build` in one process: lock, preflight, restore the last published state, dbt build, audit, publish.

Why one process: the lock is held from the first step to the last, and every step sees the same
raw root, build file, warehouse and salt.

- Lock: `<build file>.lock` (flock, released by the OS if the process dies). A second build on the
  same build file is refused with one line naming the first one's pid.
- Isolation: the build file is a scratch copy of the last published state (or empty on
  `--full-refresh` or the first build). Whatever a failed or killed build wrote to it is thrown away
  by the next build; only a build file that a finished dbt step left can be audited, and only an
  audited one published.
- Raw root: passed to dbt as C360_RAW_ROOT, which the sources read before var('raw_root'), so dbt
  reads the folder preflight checked whatever --vars DBT_ARGS adds. It is passed as given (dbt runs
  in this working directory), not made absolute: the sources' locations in the manifest are then the
  ones a plain `dbt` in the same shell renders, so `--select state:modified+ --state` against a
  manifest of `make build` does not take every source, and all that reads them, as modified. When the
  root differs from the one the stored files were read under (moved, or spelled otherwise), their
  stored paths are rewritten before dbt runs (`relocate_raw_files`), so the run does not redo them.
- Salt: C360_PII_SALT from the environment, else a random salt kept owner-only beside the state
  (`warehouse/.state/pii_salt`), so hashes stay comparable from build to build.
- As-of date: `--as-of` (make's AS_OF) reaches dbt as C360_ANALYTICS_AS_OF, the default of
  var('analytics_as_of_date'), never as --vars, so a user's --vars in DBT_ARGS add to it instead of
  replacing it (dbt keeps only the last --vars). A --vars analytics_as_of_date in DBT_ARGS counts as
  the as-of date for the checks below. The marketing marts keep their as-of state incrementally: an
  as-of date later than the published one is caught up, an earlier one is refused before dbt runs
  with the command that rebuilds (a full refresh), and one after the newest load or before the first
  purchase day is refused because the marts would describe days without data.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import yaml

from scripts import publish as publishing
from scripts.arguments import apply_duckdb_settings, non_negative_number

STEPS = ("preflight", "dbt", "audit", "publish")
# on request only: docs generates the docs site; parse writes target/manifest.json in the build's own
# environment (raw root, salt, as-of), the manifest to keep for `dbt ... --select state:modified+ --state`
EXTRA_STEPS = ("parse", "docs")
# a user's own choice of what to run, which the build then leaves as it is (`--selector full` runs the unit tests)
SELECTION_FLAGS = ("--resource-type", "--resource-types", "--exclude-resource-type", "--exclude-resource-types",
                   "--selector")
AS_OF_ENV = "C360_ANALYTICS_AS_OF"
# scripts/audit.py's option for the date its checks treat as today (make's AUDIT_AS_OF, default AS_OF)
AUDIT_AS_OF_OPTION = "--as-of"
# where a raw file lies below the raw root: <source>/<table>/load_date=YYYY-MM-DD/<file>, the only layout
# preflight lets through
BELOW_RAW_ROOT = r"[^/]+/[^/]+/load_date=[^/]+/[^/]+$"
# rewriting the stored paths updates every row of the base tables (about 70M at 1M customers), a batch of
# files at a time
RELOCATE_MEMORY_LIMIT = "4GB"
RELOCATE_BATCH_ROWS = 2_000_000
LOAD_FOLDER = re.compile(r"load_date=(\d{4}-\d{2}-\d{2})")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BuildError(Exception):
    """A step failed; its own output has said why."""


def pii_salt(warehouse: Path) -> str:
    if os.environ.get("C360_PII_SALT"):
        return os.environ["C360_PII_SALT"]
    state_dir = publishing.Publication.at(warehouse).state.parent
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    salt_file = state_dir / "pii_salt"
    if not salt_file.exists():
        descriptor = os.open(salt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        print(f"build: created a PII hashing salt in {salt_file} (set C360_PII_SALT to use your own)",
              file=sys.stderr)
    return salt_file.read_text().strip()


class AsOfError(Exception):
    """An as-of date the build cannot use; the message is the one line the user sees."""


def parse_date(text: str | None, name: str) -> date | None:
    if text is None or not str(text).strip():
        return None
    # Python 3.11 also reads 20250531 and 2025-W22-6 as ISO dates; dbt and this README say YYYY-MM-DD
    if ISO_DATE.fullmatch(str(text).strip()):
        try:
            return date.fromisoformat(str(text).strip())
        except ValueError:
            pass
    raise AsOfError(f"{name} must be a date YYYY-MM-DD, got {str(text)!r}")


def dbt_vars(dbt_args: list[str]) -> dict:
    """The --vars of DBT_ARGS as dbt reads them (YAML; the last --vars wins)."""
    found: dict = {}
    for position, arg in enumerate(dbt_args):
        if arg == "--vars" and position + 1 < len(dbt_args):
            text = dbt_args[position + 1]
        elif arg.startswith("--vars="):
            text = arg.split("=", 1)[1]
        else:
            continue
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = None
        if not isinstance(value, dict):
            raise AsOfError(f"DBT_ARGS --vars must be a YAML mapping such as '{{name: value}}', got {text!r}")
        found = value
    return found


def requested_as_of(as_of_text: str | None, dbt_args: list[str]) -> date | None:
    """AS_OF, or a --vars analytics_as_of_date in DBT_ARGS (which dbt would use over AS_OF)."""
    as_of = parse_date(as_of_text, "AS_OF")
    user_vars = dbt_vars(dbt_args)
    if "analytics_as_of_date" not in user_vars:
        return as_of
    from_vars = parse_date(None if user_vars["analytics_as_of_date"] is None else str(user_vars["analytics_as_of_date"]),
                           "DBT_ARGS --vars analytics_as_of_date")
    if as_of is not None and from_vars != as_of:
        raise AsOfError(f"AS_OF {as_of} and DBT_ARGS --vars analytics_as_of_date {from_vars} disagree: give only AS_OF")
    return from_vars


def newest_load_date(raw_root: Path) -> date | None:
    """The newest load_date=YYYY-MM-DD folder of any raw table (preflight has checked the layout)."""
    dates = [date.fromisoformat(match.group(1)) for folder in raw_root.glob("*/*/load_date=*")
             if (match := LOAD_FOLDER.fullmatch(folder.name))]
    return max(dates, default=None)


def published_as_of(warehouse: Path) -> tuple[date | None, bool, date | None]:
    """(as-of date, whether it was set rather than derived, last purchase day) of the published state.

    Computed as macros/utils/analytics_as_of_date.sql does: the recorded setting, else the last
    purchase day. (None, False, None) when nothing is published or the state predates these models.
    """
    state = publishing.Publication.at(warehouse).state
    if not state.is_file():
        return None, False, None
    try:
        con = duckdb.connect(str(state), read_only=True)
    except duckdb.Error as exc:
        print(f"build: cannot read the as-of date of {state} ({str(exc).splitlines()[0]}); not checked",
              file=sys.stderr)
        return None, False, None
    try:
        # states published before 2026-12-04 hold the purchase days in schema marketing
        for schema in ("intermediate", "marketing"):
            try:
                setting, last_purchase = con.execute(
                    "select (select try_cast(nullif(setting_value, '') as date) from quality.build_settings"
                    "        where setting_name = 'analytics_as_of_date'),"
                    f" (select max(purchase_date) from {schema}.int_customers__purchase_days)"
                ).fetchone()
            except duckdb.CatalogException:
                continue
            return (setting or last_purchase), setting is not None, last_purchase
        return None, False, None
    finally:
        con.close()


def raw_file_changes(build_db: Path, state: Path | None) -> str | None:
    """One line on the raw files this build took in, from the load manifest it wrote: against the state it
    started from, how many were new, redelivered (rewritten since), gone or unchanged. A long daily run
    then shows its cause, a redelivered history say. None when the build file has no manifest."""
    con = duckdb.connect()
    try:
        con.execute(f"attach {publishing.literal(str(build_db))} as build (read_only)")
        if state is not None:
            con.execute(f"attach {publishing.literal(str(state))} as state (read_only)")
        try:
            if state is None:
                count = con.execute("select count(*) from build.staging.load_manifest").fetchone()[0]
                return f"build: raw files: {count:,} read, all of them (the build started empty)"
            new, redelivered, gone, unchanged = con.execute("""
                select
                    count(*) filter (where previous.filename is null),
                    count(*) filter (where current.fingerprint != previous.fingerprint),
                    count(*) filter (where current.filename is null),
                    count(*) filter (where current.fingerprint = previous.fingerprint)
                from build.staging.load_manifest as current
                full outer join state.staging.load_manifest as previous
                    -- by the place below the raw root, which a moved root keeps
                    on coalesce(nullif(regexp_extract(current.filename, $below_root), ''), current.filename)
                    = coalesce(nullif(regexp_extract(previous.filename, $below_root), ''), previous.filename)
            """, {"below_root": BELOW_RAW_ROOT}).fetchone()
        except duckdb.CatalogException:  # a state published before the manifest
            return None
        return (f"build: raw files against the published state: {new:,} new, {redelivered:,} redelivered, "
                f"{gone:,} gone, {unchanged:,} unchanged")
    except duckdb.Error as exc:
        return f"build: raw files not counted ({str(exc).splitlines()[0]})"
    finally:
        con.close()


def relocate_raw_files(build_db: Path, raw_root: Path) -> str | None:
    """Rewrite the stored paths of the raw files that moved: the load manifest, the progress table and the
    base models know a file by its path as dbt read it, so under a moved raw root (or the same one spelled
    otherwise, relative one day and absolute the next) every file would count as new and the daily run
    would redo the whole history (at 1M customers 1.2x a full build's CPU). A stored file found at the same
    place below the new root (`<source>/<table>/load_date=.../<file>`) takes its new path in every table of
    the build file with a `filename` column; its fingerprint (size, footer, modification time) still
    decides whether it changed. A stored file not there keeps its path and counts as gone. Each table is
    rewritten in its own transaction: what a killed build leaves is the scratch build file, which the next
    build replaces with the published state. Returns one line on what moved, or None."""
    if not build_db.is_file():
        return None  # a first build or a full refresh: nothing stored
    started = time.monotonic()
    con = duckdb.connect(str(build_db))
    try:
        apply_duckdb_settings(con, RELOCATE_MEMORY_LIMIT)
        con.execute("set enable_progress_bar = false")  # the build's log gets its one line
        try:
            con.execute("""
                create temp table relocated as
                with stored as (
                    select stored_name, below_root
                    from (
                        select distinct filename as stored_name, regexp_extract(filename, $below_root) as below_root
                        from staging.load_manifest_progress
                    )
                    -- one stored file per place (a state read under two roots keeps both as they are)
                    qualify count(*) over (partition by below_root) = 1
                ),

                delivered as (
                    select file as delivered_name, regexp_extract(file, $below_root) as below_root
                    from glob($pattern)
                )

                select stored.stored_name, delivered.delivered_name
                from stored
                inner join delivered on stored.below_root = delivered.below_root
                where stored.below_root <> '' and stored.stored_name <> delivered.delivered_name
            """, {"below_root": BELOW_RAW_ROOT, "pattern": f"{raw_root}/*/*/*/*.parquet"})
        except duckdb.CatalogException:
            return None  # a state from before the load manifest
        files, old_name = con.execute("select count(*), min(stored_name) from relocated").fetchone()
        if not files:
            return None
        tables = con.execute("""
            select table_info.schema_name, table_info.table_name
            from duckdb_tables() as table_info
            inner join duckdb_columns() as column_info
                on
                    table_info.database_name = column_info.database_name
                    and table_info.schema_name = column_info.schema_name
                    and table_info.table_name = column_info.table_name
            where
                table_info.database_name = current_database() and not table_info.temporary
                and column_info.column_name = 'filename' and column_info.data_type = 'VARCHAR'
            order by all
        """).fetchall()
        rows = {}
        for schema, table in tables:
            relation = f"{publishing.quote(schema)}.{publishing.quote(table)}"
            rows[relation] = 0
            for batch in relocation_batches(con, relation):
                rows[relation] += con.execute(
                    f"update {relation} set filename = relocated.delivered_name from relocated "
                    f"where {relation}.filename = relocated.stored_name "
                    f"and relocated.stored_name in (select unnest($batch))", {"batch": batch}).fetchone()[0]
        con.execute("checkpoint")
    except (duckdb.Error, ValueError) as exc:
        raise BuildError(f"the stored paths of the raw files under {raw_root} could not be rewritten: "
                         f"{(str(exc).splitlines() or [type(exc).__name__])[0]}") from None
    finally:
        con.close()
    def counted(number: int, noun: str) -> str:
        return f"{number:,} {noun}{'' if number == 1 else 's'}"

    return (f"build: the raw files moved from {Path(old_name).parents[3]} to {raw_root}: stored paths rewritten for "
            f"{counted(files, 'file')} ({counted(sum(rows.values()), 'row')} in "
            f"{counted(sum(1 for count in rows.values() if count), 'table')}, {time.monotonic() - started:.1f} s); "
            f"their fingerprints decide which changed")


def relocation_batches(con: duckdb.DuckDBPyConnection, relation: str) -> list[list[str]]:
    """The moved files of a table, in lists of about RELOCATE_BATCH_ROWS rows: DuckDB keeps an update's old
    values in memory until it commits, so the 36M rows of the app events at 1M customers in one statement ran
    out of a 4 GB limit. Each list is rewritten in its own transaction."""
    batches: list[list[str]] = [[]]
    size = 0
    for name, count in con.execute(f"select filename, count(*) from {relation} "
                                   f"where filename in (select stored_name from relocated) group by all order by all"
                                   ).fetchall():
        if batches[-1] and size + count > RELOCATE_BATCH_ROWS:
            batches.append([])
            size = 0
        batches[-1].append(name)
        size += count
    return [batch for batch in batches if batch]


def relocate_or_restore(runner: "Runner", build_db: Path, raw_root: Path, warehouse: Path) -> None:
    """relocate_raw_files, and if the rewrite fails (memory, disk), the state copied again without it: the
    run is then right but redoes every file, rather than every later build failing the same way."""
    try:
        moved = relocate_raw_files(build_db, raw_root)
    except BuildError as exc:
        print(f"build: WARNING {exc}; this run reads every raw file again, which takes longer than a full "
              f"build", file=sys.stderr, flush=True)
        restore_state(build_db, warehouse, full_refresh=False)
        return
    except RuntimeError:  # a stop signal interrupted DuckDB: exit as a stopped step does
        if runner.stopped_by is None:
            raise
        raise SystemExit(128 + runner.stopped_by) from None
    if moved:
        print(moved, file=sys.stderr, flush=True)


def check_as_of(as_of: date | None, raw_root: Path, warehouse: Path, full_refresh: bool) -> None:
    """Refuse, before dbt runs, an as-of date the incremental marts cannot follow or the data cannot describe."""
    newest = newest_load_date(raw_root)
    if as_of is not None and newest is not None and as_of > newest:
        raise AsOfError(f"AS_OF {as_of} is after the newest load in {raw_root} ({newest}): the marts would count "
                        f"days without data as days without purchases; use AS_OF={newest} or earlier")
    if full_refresh:
        return
    stored, was_set, last_purchase = published_as_of(warehouse)
    if stored is None:
        return
    rebuild = f"make build AS_OF={as_of} DBT_ARGS=--full-refresh" if as_of else "make build DBT_ARGS=--full-refresh"
    if as_of is not None and as_of < stored:
        raise AsOfError(f"AS_OF {as_of} is before the warehouse's as-of {stored}: run {rebuild}")
    if as_of is None and was_set and last_purchase is not None and stored > last_purchase:
        # without AS_OF the as-of becomes the last purchase day, which may be before the one set
        raise AsOfError(f"the warehouse's as-of {stored} was set (AS_OF) after its last purchase day "
                        f"{last_purchase}; run make build AS_OF={stored} (or later) or {rebuild}")


def check_built_as_of(as_of: date | None, build_db: Path) -> None:
    """After dbt: an as-of date before the first purchase day leaves the marketing marts without buyers."""
    if as_of is None:
        return
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        first = con.execute("select min(purchase_date) from intermediate.int_customers__purchase_days").fetchone()[0]
    except duckdb.CatalogException:  # a --select that built no marketing mart
        return
    finally:
        con.close()
    if first is not None and as_of < first:
        raise BuildError(f"AS_OF {as_of} is before the first purchase day in the data ({first}): "
                         f"RFM, lifecycle and BTYD would have no buyers")


class Runner:
    """Runs each step as a child process and stops it with us when we are told to stop (SIGTERM, SIGINT):
    the step is terminated, killed if it is still running STOP_GRACE_SECONDS later (a second signal
    kills it at once), and the build then exits with 128 + the signal's number.

    The handler only sends signals and returns. It runs in the main thread, which is inside the step's
    wait() and holds Popen's wait lock, so a wait() in the handler could never reap the step: it used to
    sit out its whole timeout and then kill a step that had long ended."""

    STOP_GRACE_SECONDS = 30

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.child: subprocess.Popen | None = None
        self.stopped_by: int | None = None

    def __call__(self, step: str, cmd: list[str]) -> None:
        if self.stopped_by is not None:
            raise SystemExit(128 + self.stopped_by)
        print(f"build: {step}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
        self.child = subprocess.Popen(cmd, env=self.env)
        code = self.child.wait()
        self.child = None
        if self.stopped_by is not None:
            raise SystemExit(128 + self.stopped_by)
        if code:
            raise BuildError(f"{step} failed (exit {code})")

    def stop(self, signum, _frame):
        child = self.child
        if child is None or child.returncode is not None:
            self.stopped_by = signum  # raised inside a DuckDB statement, this comes back as its interruption
            raise SystemExit(128 + signum)
        if self.stopped_by is not None:
            child.kill()
            return
        self.stopped_by = signum
        child.terminate()
        killer = threading.Timer(self.STOP_GRACE_SECONDS, child.kill)
        killer.daemon = True
        killer.start()


def restore_state(build_db: Path, warehouse: Path, full_refresh: bool) -> str:
    """Start the build file from the last published state, never from what a previous run left."""
    build_db.parent.mkdir(parents=True, exist_ok=True)
    state = publishing.Publication.at(warehouse).state
    publishing.audit_mark(build_db).unlink(missing_ok=True)
    publishing.built_mark(build_db).unlink(missing_ok=True)
    if not full_refresh and state.is_file() and publishing.holds_published_state(build_db, state):
        return f"the published state {state} (the build file still holds it, unchanged since it was published)"
    for leftover in (build_db, build_db.with_name(build_db.name + ".wal"), publishing.published_mark(build_db)):
        leftover.unlink(missing_ok=True)
    if full_refresh or not state.is_file():
        return "empty (full refresh)" if full_refresh else "empty (nothing published yet)"
    shutil.copyfile(state, build_db)
    return f"the published state {state}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw-root", type=Path, default=Path("data/raw"), help="raw exports (default: %(default)s)")
    parser.add_argument("--build-db", type=Path, default=publishing.DEFAULT_BUILD,
                        help="scratch build file (default: %(default)s)")
    parser.add_argument("--warehouse", type=Path, default=publishing.DEFAULT_WAREHOUSE,
                        help="published BI file; restricted and state files go beside it (default: %(default)s)")
    parser.add_argument("--dbt-args", default=os.environ.get("DBT_ARGS", ""),
                        help="extra dbt arguments, e.g. '--full-refresh' (default: $DBT_ARGS)")
    parser.add_argument("--as-of", default=os.environ.get(AS_OF_ENV) or None, metavar="YYYY-MM-DD",
                        help="as-of date of the marketing marts (make's AS_OF; default: $C360_ANALYTICS_AS_OF, "
                             "else the last day with orders)")
    parser.add_argument("--audit-as-of", default=None, metavar="YYYY-MM-DD",
                        help="date the audit treats as today (make's AUDIT_AS_OF; default: --as-of)")
    parser.add_argument("--audit-volume-max-change", type=non_negative_number, default=None, metavar="FRACTION",
                        help="for this build, the audit lets every table's row count move by this fraction of the "
                             "previous build's, e.g. 20 after a deliberate backfill (make's AUDIT_VOLUME_MAX_CHANGE; "
                             "default: audit/expectations.yml)")
    parser.add_argument("--steps", default=",".join(STEPS),
                        help=f"comma-separated steps to run, of {', '.join(STEPS + EXTRA_STEPS)} "
                             f"(default: {','.join(STEPS)})")


def without_unit_tests(dbt_args: list[str]) -> list[str]:
    """The build is a production run: unit tests check SQL logic on fixed inputs, not the day's data, so they
    run in `make test` and CI (dbt's advice), not in every build (11 nodes, about 12 s of node time a day at
    100k customers). A user's own resource-type or selector choice in DBT_ARGS is left as it is."""
    if any(arg.split("=")[0] in SELECTION_FLAGS for arg in dbt_args):
        return dbt_args
    return [*dbt_args, "--exclude-resource-type", "unit_test"]


def previous_build(warehouse: Path) -> Path:
    """What the audit's volume checks compare with: the previous audited build (the published state), which
    holds every table the audit checks; the BI file holds only the marts, so against it alone the staging
    tables, where a lost partition or a cut-short export first shows, were never compared."""
    state = publishing.Publication.at(warehouse).state
    return state if state.is_file() else warehouse


def run_audit(runner: Runner, build_db: Path, warehouse: Path, audit_as_of: date | None,
              volume_max_change: float | None = None) -> None:
    cmd = [sys.executable, "-m", "scripts", "audit", "--db", str(build_db),
           "--previous-db", str(previous_build(warehouse)),
           "--docs-dir", str(build_db.parent / "data_docs")]
    if audit_as_of is not None:
        cmd += [AUDIT_AS_OF_OPTION, audit_as_of.isoformat()]
    if volume_max_change is not None:
        cmd += ["--volume-max-change", repr(volume_max_change)]
    runner("audit", cmd)


def run(args: argparse.Namespace) -> int:
    steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    unknown = sorted(set(steps) - set(STEPS) - set(EXTRA_STEPS))
    if unknown:
        print(f"build: ERROR unknown step(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        dbt_args = shlex.split(args.dbt_args)
    except ValueError as exc:
        print(f"build: ERROR DBT_ARGS cannot be read ({exc}): {args.dbt_args}", file=sys.stderr)
        return 2
    try:
        as_of = requested_as_of(args.as_of, dbt_args)
        audit_as_of = parse_date(args.audit_as_of, "AUDIT_AS_OF") or as_of
    except AsOfError as exc:
        print(f"build: ERROR {exc}", file=sys.stderr)
        return 2
    full_refresh = "--full-refresh" in dbt_args
    raw_root = args.raw_root.resolve()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "C360_RAW_ROOT": str(args.raw_root), "C360_BUILD_DB": str(args.build_db),
           "C360_PII_SALT": pii_salt(args.warehouse), AS_OF_ENV: as_of.isoformat() if as_of else ""}
    runner = Runner(env)
    signal.signal(signal.SIGTERM, runner.stop)
    signal.signal(signal.SIGINT, runner.stop)
    python = [sys.executable, "-m", "scripts"]
    started = time.monotonic()
    try:
        with publishing.exclusive(args.build_db.with_name(args.build_db.name + ".lock"), f"build of {args.build_db}"):
            if "publish" in steps:  # fail before the long build, not after it
                for path, _ in publishing.Publication.at(args.warehouse).files():
                    publishing.assert_not_open_read_write(path)
            if "preflight" in steps:
                runner("preflight", [*python, "preflight", "--raw-root", str(raw_root)])
            if "dbt" in steps:
                check_as_of(as_of, raw_root, args.warehouse, full_refresh)
                origin = restore_state(args.build_db, args.warehouse, full_refresh)
                print(f"build: the build file {args.build_db} starts from {origin}"
                      f"{f', as-of {as_of}' if as_of else ''}", file=sys.stderr)
                if not full_refresh:
                    relocate_or_restore(runner, args.build_db, args.raw_root, args.warehouse)
                runner("dbt", [str(bin_dir / "dbt"), "build", "--target", "dev", *without_unit_tests(dbt_args)])
                check_built_as_of(as_of, args.build_db)
                state = publishing.Publication.at(args.warehouse).state
                changes = raw_file_changes(args.build_db, state if state.is_file() and not full_refresh else None)
                if changes:
                    print(changes, file=sys.stderr, flush=True)
                publishing.mark_built(args.build_db)
            if "audit" in steps:
                publishing.assert_built(args.build_db)
                run_audit(runner, args.build_db, args.warehouse, audit_as_of, args.audit_volume_max_change)
                publishing.mark_audited(args.build_db)
            if "publish" in steps:
                for line in publishing.report(publishing.publish(args.build_db, args.warehouse)):
                    print(line, file=sys.stderr)
            if "parse" in steps:
                runner("parse", [str(bin_dir / "dbt"), "parse", "--target", "dev", *dbt_args])
            if "docs" in steps:
                runner("docs", [str(bin_dir / "dbt"), "docs", "generate", "--target", "dev", *dbt_args])
    except AsOfError as exc:
        print(f"build: ERROR {exc}", file=sys.stderr)
        return 2
    except publishing.ScrubError as exc:
        print(f"build: FAILED after publishing: {exc}", file=sys.stderr)
        return 2
    except (BuildError, publishing.PublishError) as exc:
        print(f"build: FAILED: {exc}; nothing was published, {args.warehouse} is unchanged", file=sys.stderr)
        return 2
    print(f"build: done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0
