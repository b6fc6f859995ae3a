"""Publish an audited build as the files readers use (write-audit-publish), and roll back to the previous one.

One build becomes three files, each put in place by an atomic rename. The two files readers open are
written table by table from the build's published schemas only (so no byte of an unpublished table or a
dbt temp table is in them); the state is the audited build file itself, copied whole. The restricted
file is written fresh each time. The BI file is written fresh every BI_FRESH_DAYS days; on the other days
it starts as a copy of the previous one, in which the large stamped tables (UPDATED_BI_TABLES) take only
the rows written since and every other relation is written anew (`update_rows`): its free blocks may keep
rows of earlier BI versions, pseudonymised, for at most those days.

The BI and restricted files are written in DuckDB 1.4's storage format, so that the DuckDB 1.4 and 1.5
clients BI tools bundle can open them.

- `warehouse/customer360.duckdb`, the BI file: the marts of schemas core, marketing, quality and
  privacy, with table and column comments. No clear personal data (dim_customers holds salted hashes).
- `warehouse/customer360_restricted.duckdb`, owner-only (0600): schema restricted, the clear contact
  data that activation needs, for customers who may still be contacted.
- `warehouse/.state/customer360.state.duckdb`, owner-only: the audited build file, checkpointed and
  copied as one file (staging and intermediate included, so the incremental base models and their load
  manifest carry over). The next build starts from a copy of it, so incremental models and snapshots
  continue from the last audited state, never from a scratch file that a failed run wrote to.
  Privacy contract of the state: it holds what the raw files hold, parsed. An erased person's data is in
  it only in the staging and intermediate schemas, and only while the raw files still deliver it: when a
  source removes the rows (a redelivered file without them, or a removed file), the next build's load
  manifest redoes that file and drops them. Like the build file, its free blocks may keep bytes of rows
  a build deleted; it is read by this project alone, never by BI clients.

Each file's previous version is kept as `<name>.previous.duckdb` (`make rollback` swaps them back).
Customers erased by the new build are removed from the previous restricted and state copies too, so
a rollback cannot bring their contact data back: the previous restricted file is written fresh, the
previous state's restricted tables are rewritten in place (its privacy contract allows free blocks).

A build may be published once: the audit marks the build file (`<build>.audited`), publishing
consumes the mark. A warehouse file held open read-write by another process is refused, since that
process would write its log beside the new file.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from scripts.arguments import apply_duckdb_settings

DEFAULT_BUILD = Path("build/customer360.build.duckdb")
DEFAULT_WAREHOUSE = Path("warehouse/customer360.duckdb")

BI_SCHEMAS = ("core", "marketing", "quality", "privacy")
RESTRICTED_SCHEMAS = ("restricted",)
# raw clear data, parsed: never in the BI or restricted files, only in the state (the whole build file)
UNPUBLISHED_SCHEMAS = ("staging", "intermediate")
DBT_TEMP_TABLE = re.compile(r"__dbt_(tmp|backup)")
PUBLISH_MEMORY_LIMIT = "4GB"
# The files clients open are written in the storage format of DuckDB 1.4 (file version 67), which
# DuckDB 1.4.x and 1.5.x, and the BI tools that bundle them, can read; DuckDB 2.0's own format (999)
# only 2.0 can. The state file is read by this project's DuckDB alone and keeps the newest format.
CLIENT_STORAGE_VERSION = "v1.4.0"
# The only column types of the BI file (docs/design.md, "Types BI tools read"): HUGEINT, TIMESTAMP_S and
# TIMESTAMP WITH TIME ZONE, which DuckDB gives sums and pandas dates by default, are read by few drivers.
BI_TYPES = ("VARCHAR", "BOOLEAN", "BIGINT", "INTEGER", "DOUBLE", "DECIMAL(18,2)", "DATE", "TIMESTAMP")
# The BI tables a publish brings up to date in a copy of the previous BI file instead of writing them whole
# (`update_rows`), with their key and the stamp each run puts on the rows it writes. They are the four
# largest: 126M of the BI file's 133M rows at 1M customers and 6 years, whose fresh write took 65 of 87 s.
UPDATED_BI_TABLES = {
    "core.fct_customer_events": ("event_id", "processed_at"),
    "core.fct_orders": ("order_id", "processed_at"),
    "marketing.customer_rfm_history": ("customer_month_id", "history_processed_at"),
    "marketing.churn_features": ("churn_feature_id", "features_processed_at"),
}
# An update leaves the rows it replaced or deleted in free blocks (DuckDB does not zero them), rows of
# customers erased since among them (pseudonymised: the BI file holds no clear personal data). Writing the
# BI file fresh at least this often bounds how long they stay: GDPR's one month to act on an erasure.
BI_FRESH_DAYS = 30


class PublishError(Exception):
    """A reason not to publish, said in one line."""


class ScrubError(PublishError):
    """The new files are published, but a previous file could not be cleared of erased customers: it was
    deleted rather than kept with them, which leaves no previous version of it to roll back to."""


@dataclass(frozen=True)
class Publication:
    """The files one publish writes, derived from the BI file's path."""

    bi: Path
    restricted: Path
    state: Path

    @classmethod
    def at(cls, warehouse: Path) -> "Publication":
        state_dir = warehouse.parent / ".state"
        return cls(
            bi=warehouse,
            restricted=warehouse.with_name(f"{warehouse.stem}_restricted.duckdb"),
            state=state_dir / f"{warehouse.stem}.state.duckdb",
        )

    def files(self) -> list[tuple[Path, int]]:
        """(path, mode); the state goes last so that a publish killed halfway leaves the older state."""
        return [(self.restricted, 0o600), (self.bi, 0o644), (self.state, 0o600)]

    def storage_version(self, path: Path) -> str | None:
        return None if path == self.state else CLIENT_STORAGE_VERSION

    @property
    def lock(self) -> Path:
        return self.state.parent / f"{self.bi.stem}.publish.lock"

    @property
    def bi_record(self) -> Path:
        """Which BI file the last publish wrote, and when the file it descends from was written fresh."""
        return self.state.parent / f"{self.bi.stem}.bi.json"


def publishing_path(path: Path) -> Path:
    """Where the new version of a published file is written before its rename into place."""
    return path.with_name(path.name + ".publishing")


def previous_of(path: Path) -> Path:
    return path.with_name(f"{path.stem}.previous.duckdb")


def audit_mark(build_db: Path) -> Path:
    return build_db.with_name(build_db.name + ".audited")


def file_identity(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def mark_audited(build_db: Path) -> None:
    """Record that this exact build file passed the audit (publish checks size and mtime)."""
    audit_mark(build_db).write_text(json.dumps(file_identity(build_db)))


def assert_audited(build_db: Path) -> None:
    if not build_db.is_file():
        raise PublishError(f"build file {build_db} does not exist: run `make build` first")
    mark = audit_mark(build_db)
    if not mark.is_file():
        raise PublishError(f"{build_db} has not passed the audit since it was last published or built: "
                           "run `make build` (or `make audit`) first")
    if json.loads(mark.read_text()) != file_identity(build_db):
        raise PublishError(f"{build_db} changed after its audit: run `make build` (or `make audit`) again")


def built_mark(build_db: Path) -> Path:
    return build_db.with_name(build_db.name + ".built")


def mark_built(build_db: Path) -> None:
    """Record that a dbt step finished on this exact build file (the audit step checks size and mtime)."""
    built_mark(build_db).write_text(json.dumps(file_identity(build_db)))


def assert_built(build_db: Path) -> None:
    """Refuse to audit a build file that no finished dbt step left: one whose dbt failed (a failed dbt test
    included) or was stopped halfway, or that changed since. Its audit could pass and let it be published."""
    if not build_db.is_file():
        raise PublishError(f"build file {build_db} does not exist: run `make build` first")
    mark = built_mark(build_db)
    wal = build_db.with_name(build_db.name + ".wal")
    if not mark.is_file() or wal.exists():
        raise PublishError(f"{build_db} was not left by a dbt build that finished (it failed or was stopped): "
                           "run `make build` (or `make dbt-build`) again")
    if json.loads(mark.read_text()) != file_identity(build_db):
        raise PublishError(f"{build_db} changed after its dbt build: run `make build` (or `make dbt-build`) again")


def lock_holder(exc: Exception) -> str:
    match = re.search(r"\(PID (\d+)\)", str(exc))
    return f"process {match.group(1)}" if match else "another process"


def assert_not_open_read_write(path: Path) -> None:
    """Refuse a file another process holds read-write: its writes and its .wal would land on our new file."""
    if not path.is_file():
        return
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise PublishError(f"{path} cannot be opened: {str(exc).splitlines()[0]}") from None
        raise PublishError(f"{path} is open read-write by {lock_holder(exc)}: close it "
                           "(BI clients should connect read_only) and publish again") from None
    except duckdb.Error as exc:
        raise PublishError(f"{path} cannot be opened: {str(exc).splitlines()[0]}") from None


def fold_stale_wal(path: Path) -> None:
    """A .wal left by a killed writer belongs to the file it was written for: replay it there, or set
    it aside, but never leave it for the next reader to replay onto a new file."""
    wal = path.with_name(path.name + ".wal")
    if not wal.exists():
        return
    try:
        con = duckdb.connect(str(path))
        con.execute("checkpoint")
        con.close()
    except duckdb.Error:
        pass
    if wal.exists():
        wal.rename(wal.with_name(f"{wal.name}.stale-{int(time.time())}"))


@contextmanager
def exclusive(lock_path: Path, what: str):
    """An exclusive lock that names its holder; the OS releases it when the process dies."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise PublishError(f"another {what} is running ({holder}): wait for it to finish or stop it") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n")
    handle.flush()
    try:
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def copy_schemas(con: duckdb.DuckDBPyConnection, source: str, dest_path: Path, schemas: list[str],
                 drop_customers: set[str] | None = None, filtered_schemas: tuple[str, ...] = (),
                 storage_version: str | None = None, start_from: Path | None = None,
                 updated: list[str] | None = None) -> int:
    """Write the tables and views of `schemas` of attached database `source` into a new file, with
    their comments. Rows of `drop_customers` are left out of tables in `filtered_schemas`.
    With `start_from` (a file this function wrote from an earlier state of `source`), the new file is a
    copy of it in which each table of UPDATED_BI_TABLES takes only what changed since (`update_rows`;
    its name goes to `updated`) and every other relation is written anew.
    Returns the number of relations written."""
    dest_path.unlink(missing_ok=True)
    dest_path.with_name(dest_path.name + ".wal").unlink(missing_ok=True)
    if start_from:
        copy_file(start_from, dest_path)  # keeps the storage version it was written in
    options = f" (storage_version {literal(storage_version)})" if storage_version and not start_from else ""
    previous_db = con.execute("select current_database()").fetchone()[0]
    con.execute(f"attach {literal(str(dest_path))} as publish_dest{options}")
    copied = False
    try:
        in_list = ", ".join(literal(s) for s in schemas) or "''"
        tables = [row for row in con.execute(
            f"select schema_name, table_name, sql, comment from duckdb_tables() "
            f"where database_name = ? and schema_name in ({in_list}) order by all", [source]).fetchall()
            if not DBT_TEMP_TABLE.search(row[1])]
        views = [row for row in con.execute(
            f"select schema_name, view_name, sql, comment from duckdb_views() "
            f"where database_name = ? and schema_name in ({in_list}) and not internal order by all",
            [source]).fetchall() if not DBT_TEMP_TABLE.search(row[1])]
        columns = con.execute(
            f"select schema_name, table_name, column_name, comment from duckdb_columns() "
            f"where database_name = ? and schema_name in ({in_list})", [source]).fetchall()
        kept = keep_updatable_tables(con, {(s, n): ddl for s, n, ddl, _ in tables}) if start_from else {}
        con.execute("use publish_dest")
        for schema in sorted({row[0] for row in tables + views}):
            con.execute(f"create schema if not exists {quote(schema)}")
        written = set()
        for schema, name, ddl, comment in tables:
            target = f"publish_dest.{quote(schema)}.{quote(name)}"
            origin = f"{quote(source)}.{quote(schema)}.{quote(name)}"
            own_columns = [c for c in columns if c[:2] == (schema, name)]
            if (schema, name) in kept:
                key, written_at = UPDATED_BI_TABLES[f"{schema}.{name}"]
                if {key, written_at} <= {c[2] for c in own_columns} and update_rows(con, origin, target, key,
                                                                                    written_at):
                    if updated is not None:
                        updated.append(f"{schema}.{name}")
                    set_comments(con, target, comment, own_columns)
                    written.add((schema, name))
                    continue
                # no key or stamp to update by, or not what was published: written anew
                con.execute(f"drop table {target}")
            con.execute(ddl)  # keeps types and constraints (contracts) as dbt created them
            where = ""
            if drop_customers and schema in filtered_schemas:
                has_customer = con.execute(
                    "select count(*) from duckdb_columns() where database_name = ? and schema_name = ? "
                    "and table_name = ? and column_name = 'customer_id'", [source, schema, name]).fetchone()[0]
                if has_customer:
                    where = " where customer_id is null or customer_id not in (select unnest(?))"
            params = [sorted(drop_customers)] if where else []
            con.execute(f"insert into {target} select * from {origin}{where}", params)
            set_comments(con, target, comment, [c for c in own_columns if c[3]])
            written.add((schema, name))
        # views read schema-qualified names, so created inside the new file they read its tables;
        # a view over another view is retried once the other exists
        pending = list(views)
        while pending:
            failed = []
            for view in pending:
                try:
                    con.execute(view[2])
                except duckdb.CatalogException:
                    failed.append(view)
                    continue
                written.add((view[0], view[1]))
            if len(failed) == len(pending):
                names = ", ".join(f"{s}.{n}" for s, n, *_ in failed)
                raise PublishError(f"views {names} read relations that are not published")
            pending = failed
        for schema, name, _, comment in views:
            set_comments(con, f"publish_dest.{quote(schema)}.{quote(name)}", comment,
                         [c for c in columns if c[:2] == (schema, name) and c[3]], kind="view")
        con.execute(f"use {quote(previous_db)}")
        con.execute("checkpoint publish_dest")
        copied = True
    finally:
        # after a failure the new file may still be the default database (which cannot be detached), or
        # DuckDB may refuse every statement (a full disk): the first error is the one to report
        try:
            con.execute(f"use {quote(previous_db)}")
            con.execute("detach publish_dest")
        except duckdb.Error:
            if copied:
                raise
    with open(dest_path, "rb+") as handle:
        os.fsync(handle.fileno())
    return len(written)


def set_comments(con: duckdb.DuckDBPyConnection, target: str, comment: str | None,
                 columns: list[tuple[str, str, str, str | None]], kind: str = "table") -> None:
    """Give a written relation dbt's comments (persist_docs): its own and each column's of `columns`."""
    con.execute(f"comment on {kind} {target} is {literal(comment) if comment else 'null'}")
    for _, _, column, text in columns:
        con.execute(f"comment on column {target}.{quote(column)} is {literal(text) if text else 'null'}")


def keep_updatable_tables(con: duckdb.DuckDBPyConnection, source_tables: dict[tuple[str, str], str]) -> set:
    """In a copy of the previous BI file (attached as publish_dest), drop every view, and every table
    that is not in UPDATED_BI_TABLES with the DDL of the build's table: those are written anew. Returns
    the tables kept for `update_rows`."""
    for (schema,) in con.execute("select schema_name from duckdb_schemas() where database_name = 'publish_dest' "
                                 "and schema_name not in ('main', 'information_schema', 'pg_catalog') "
                                 "and schema_name not in (select unnest(?))",
                                 [sorted({s for s, _ in source_tables})]).fetchall():
        con.execute(f"drop schema publish_dest.{quote(schema)} cascade")
    for schema, name in con.execute("select schema_name, view_name from duckdb_views() "
                                    "where database_name = 'publish_dest' and not internal").fetchall():
        con.execute(f"drop view publish_dest.{quote(schema)}.{quote(name)}")
    kept = set()
    for schema, name, ddl in con.execute("select schema_name, table_name, sql from duckdb_tables() "
                                         "where database_name = 'publish_dest'").fetchall():
        if f"{schema}.{name}" in UPDATED_BI_TABLES and source_tables.get((schema, name)) == ddl:
            kept.add((schema, name))
        else:
            con.execute(f"drop table publish_dest.{quote(schema)}.{quote(name)}")
    return kept


def update_rows(con: duckdb.DuckDBPyConnection, origin: str, target: str, key: str, written_at: str) -> bool:
    """Bring `target`, a table as a previous publish wrote it from an earlier state of `origin`, to
    `origin`'s rows by writing only what changed: the rows whose `written_at` is newer than any in
    `target` replace the rows of their keys, and keys `origin` no longer holds go. This is exact because
    every run stamps each row it writes with a time later than every stored one (`stamped_rows`), and it
    is checked: before the insert, the rows `target` keeps must be `origin`'s unchanged rows (their count
    and sum of key hashes), and after it both must have as many rows. Returns False, having changed
    `target` in part, when a check fails, or untouched, when `target` holds no stamp to start from or half
    of `origin`'s rows or more are newer (a full refresh, say): write it anew then, which is cheaper."""
    mark = con.execute(f"select max({quote(written_at)}) from {target}").fetchone()[0]
    newer, key = f"{quote(written_at)} > ?", quote(key)
    if mark is None or 2 * con.execute(f"select count(*) filter ({newer}) from {origin}", [mark]).fetchone()[0] \
            >= con.execute(f"select count(*) from {origin}").fetchone()[0]:
        return False
    con.execute(f"delete from {target} where {key} in (select {key} from {origin} where {newer})", [mark])

    def unchanged_rows_kept() -> bool:
        fingerprint = f"select count(*), sum(hash({key})) from"
        return (con.execute(f"{fingerprint} {target}").fetchone()
                == con.execute(f"{fingerprint} {origin} where not coalesce({newer}, false)", [mark]).fetchone())

    if not unchanged_rows_kept():  # rows deleted since (a removed file, a merge): find them by key
        con.execute(f"delete from {target} where {key} not in (select {key} from {origin})")
        if not unchanged_rows_kept():
            return False
    con.execute(f"insert into {target} select * from {origin} where {newer}", [mark])
    return (con.execute(f"select count(*) from {target}").fetchone()
            == con.execute(f"select count(*) from {origin}").fetchone())


def prepare_build_file(build_db: Path) -> int:
    """Drop the temp tables a killed dbt run left (nothing the next build may start from) and fold the
    WAL in, so that the build file is what the state copy will be, byte for byte, and the next build can
    start from the build file as it is (`holds_published_state`). Returns the number of relations."""
    con = connect(build_db)
    try:
        for schema, name in con.execute("select schema_name, table_name from duckdb_tables() "
                                        "where regexp_matches(table_name, ?)", [DBT_TEMP_TABLE.pattern]).fetchall():
            con.execute(f"drop table {quote(schema)}.{quote(name)}")
        con.execute("checkpoint")
        return con.execute("select (select count(*) from duckdb_tables())"
                           " + (select count(*) from duckdb_views() where not internal)").fetchone()[0]
    finally:
        con.close()


def copy_file(source_path: Path, dest_path: Path) -> None:
    """Copy a file whole to `dest_path`, owner-only, fsynced."""
    dest_path.unlink(missing_ok=True)
    descriptor = os.open(dest_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(source_path, "rb") as source, os.fdopen(descriptor, "wb") as dest:
        copy_contents(source, dest)
        os.fsync(dest.fileno())


def copy_contents(source, dest) -> None:
    """Copy an open file's bytes into an empty one: in the kernel where it can (copy_file_range; 2 GB in
    2.1 s on this machine, against 8.3 s through Python buffers), else through buffers from where it
    stopped (another file system, an old kernel, macOS)."""
    size, copied = os.fstat(source.fileno()).st_size, 0
    try:
        while copied < size:
            step = os.copy_file_range(source.fileno(), dest.fileno(), size - copied, copied, copied)
            if step == 0:
                break
            copied += step
    except (AttributeError, OSError):
        pass
    source.seek(copied)
    dest.seek(copied)
    shutil.copyfileobj(source, dest, 16 * 2**20)
    dest.flush()


def published_mark(build_db: Path) -> Path:
    return build_db.with_name(build_db.name + ".published")


def same_file(path: Path) -> dict:
    """What tells a file from any other and from itself after a write: inode, size and mtime."""
    stat = path.stat()
    return {"inode": [stat.st_dev, stat.st_ino], "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def mark_published(build_db: Path, state: Path) -> None:
    published_mark(build_db).write_text(json.dumps({"build": same_file(build_db), "state": same_file(state)}))


def holds_published_state(build_db: Path, state: Path) -> bool:
    """Whether the build file is still the very bytes of the published state: both unchanged since the
    publish that copied one into the other (no write, no WAL, no rollback since). The next build then
    starts from the build file as it is, saving a copy of the state (8.4 GB, about 36 s at 1M customers)."""
    mark = published_mark(build_db)
    try:
        recorded = json.loads(mark.read_text())
        return (not build_db.with_name(build_db.name + ".wal").exists()
                and recorded == {"build": same_file(build_db), "state": same_file(state)})
    except (OSError, ValueError):
        return False


def assert_bi_types(con: duckdb.DuckDBPyConnection, source: str, schemas: list[str]) -> None:
    """Refuse a build whose BI marts hold a type outside BI_TYPES, a `*_date` that is not a DATE or an
    `*_at` that is not a naive TIMESTAMP: the SQL marts' contracts stop most such drift in dbt, but not
    the Python models'."""
    wrong = [f"{relation} {data_type}" for relation, data_type in con.execute(
        "select schema_name || '.' || table_name || '.' || column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name in (select unnest(?)) and not regexp_matches(table_name, ?) "
        "and (data_type not in (select unnest(?)) or (suffix(column_name, '_date') and data_type <> 'DATE') "
        "or (suffix(column_name, '_at') and data_type <> 'TIMESTAMP')) order by all",
        [source, schemas, DBT_TEMP_TABLE.pattern, list(BI_TYPES)]).fetchall()]
    if wrong:
        shown = ", ".join(wrong[:3]) + (f" and {len(wrong) - 3} more" if len(wrong) > 3 else "")
        raise PublishError(f"{len(wrong)} BI columns have a type BI tools may not read: {shown} "
                           "(counts BIGINT, *_date DATE, *_at naive UTC TIMESTAMP; see docs/design.md)")


def erased_customers(con: duckdb.DuckDBPyConnection, source: str) -> set[str]:
    """Customer ids the build erased, with the ids merged into them (a previous file may hold those)."""
    has_log = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'privacy' "
        "and table_name = 'privacy_erasure_log'", [source]).fetchone()[0]
    if not has_log:
        return set()
    erased = {row[0] for row in con.execute(
        f"select distinct customer_id from {quote(source)}.privacy.privacy_erasure_log "
        f"where customer_id is not null").fetchall()}
    has_merges = con.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = 'core' "
        "and table_name = 'customer_id_merges'", [source]).fetchone()[0]
    if has_merges and erased:
        erased |= {row[0] for row in con.execute(
            f"select old_customer_id from {quote(source)}.core.customer_id_merges "
            f"where new_customer_id in (select unnest(?))", [sorted(erased)]).fetchall()}
    return erased


def erased_rows(con: duckdb.DuckDBPyConnection, database: str, erased: set[str]) -> list[tuple[str, str]]:
    """The restricted tables of attached `database` that hold rows of `erased` customers."""
    tables = con.execute(
        "select c.schema_name, c.table_name from duckdb_columns() as c "
        "where c.database_name = ? and c.schema_name in (select unnest(?)) "
        "and c.column_name = 'customer_id' order by all", [database, list(RESTRICTED_SCHEMAS)]).fetchall()
    return [(s, t) for s, t in tables if con.execute(
        f"select count(*) from {quote(database)}.{quote(s)}.{quote(t)} where customer_id in (select unnest(?))",
        [sorted(erased)]).fetchone()[0]]


def scrub_previous(path: Path, erased: set[str], storage_version: str | None) -> bool:
    """Rewrite a previous restricted file without the rows of erased customers: written fresh, so that
    no byte of theirs is left in a free block of a file readers open."""
    if not erased or not path.is_file():
        return False
    con = connect()
    try:
        con.execute(f"attach {literal(str(path))} as previous_copy (read_only)")
        if not erased_rows(con, "previous_copy", erased):
            return False
        schemas = [row[0] for row in con.execute(
            "select schema_name from duckdb_schemas() where database_name = 'previous_copy' "
            "and schema_name not in ('information_schema', 'pg_catalog')").fetchall()]
        scrubbed = path.with_name(path.name + ".scrubbing")
        copy_schemas(con, "previous_copy", scrubbed, schemas, erased, RESTRICTED_SCHEMAS, storage_version)
        con.execute("detach previous_copy")
    finally:
        con.close()
    os.chmod(scrubbed, 0o600)
    os.replace(scrubbed, path)
    return True


def scrub_previous_state(path: Path, erased: set[str]) -> bool:
    """Remove erased customers from the restricted tables of the previous state, in place, in one
    transaction (a kill before its commit changes nothing). Only those tables may hold their clear data
    (the state's privacy contract, above); each is written anew and the old one dropped, so its rows
    leave for free blocks, which the contract allows in the state. Rewriting the whole state instead
    cost about 150 s and 11 GiB a day at 1M customers, on most days, as most days bring an erasure."""
    if not erased or not path.is_file():
        return False
    con = connect(path)
    try:
        hit = erased_rows(con, current_database(con), erased)
        if not hit:
            return False
        con.execute("begin")
        for schema, table in hit:
            ddl, comment = con.execute(
                "select sql, comment from duckdb_tables() where database_name = current_database() "
                "and schema_name = ? and table_name = ?", [schema, table]).fetchone()
            column_comments = con.execute(
                "select column_name, comment from duckdb_columns() where database_name = current_database() "
                "and schema_name = ? and table_name = ? and comment is not null", [schema, table]).fetchall()
            relation, old = f"{quote(schema)}.{quote(table)}", f"{quote(schema)}.{quote(table + '__scrubbing')}"
            con.execute(f"alter table {relation} rename to {quote(table + '__scrubbing')}")
            con.execute(ddl)
            con.execute(f"insert into {relation} select * from {old} where customer_id is null "
                        "or customer_id not in (select unnest(?))", [sorted(erased)])
            con.execute(f"drop table {old}")
            if comment:
                con.execute(f"comment on table {relation} is {literal(comment)}")
            for column, text in column_comments:
                con.execute(f"comment on column {relation}.{quote(column)} is {literal(text)}")
        con.execute("commit")
        con.execute("checkpoint")
    finally:
        con.close()
    return True


def current_database(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_database()").fetchone()[0]


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the build's threads and a memory limit (C360_DUCKDB_MEMORY_LIMIT,
    default 4GB): copying a table streams, so DuckDB's default of 80 % of RAM would only fill its cache."""
    con = duckdb.connect(str(path) if path else ":memory:")
    try:
        apply_duckdb_settings(con, PUBLISH_MEMORY_LIMIT)
    except ValueError as exc:
        con.close()
        raise PublishError(str(exc)) from None
    return con


def attach_build(con: duckdb.DuckDBPyConnection, build_db: Path) -> None:
    try:
        con.execute(f"attach {literal(str(build_db))} as build (read_only)")
    except duckdb.Error as exc:
        raise PublishError(f"{build_db} cannot be opened: {str(exc).splitlines()[0]}") from None


def reader_schemas(build_db: Path) -> dict[str, list[str]]:
    """The build's schemas that go to each reader file. Refuses, before anything is written, a build whose
    BI marts hold a type BI clients cannot read."""
    con = connect()
    try:
        attach_build(con, build_db)
        present = {row[0] for row in con.execute(
            "select schema_name from duckdb_schemas() where database_name = 'build'").fetchall()}
        schemas = {"bi": [s for s in BI_SCHEMAS if s in present],
                   "restricted": [s for s in RESTRICTED_SCHEMAS if s in present]}
        assert_bi_types(con, "build", schemas["bi"])
        return schemas
    finally:
        con.close()


def bi_file_to_update(target: Publication, now: datetime) -> tuple[Path | None, datetime]:
    """The published BI file the new one starts from, and when the file it descends from was written
    fresh; (None, now) for a fresh write: no BI file, one the last publish did not record (a rollback
    since, a copy), one in another storage version, or one last written fresh BI_FRESH_DAYS ago."""
    try:
        record = json.loads(target.bi_record.read_text())
        written_fresh_at = datetime.fromisoformat(record["written_fresh_at"])
        if (record["bi"] == same_file(target.bi) and record["storage_version"] == CLIENT_STORAGE_VERSION
                and timedelta(0) <= now - written_fresh_at < timedelta(days=BI_FRESH_DAYS)):
            return target.bi, written_fresh_at
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None, now


def record_bi_file(target: Publication, written_fresh_at: datetime) -> None:
    """Record the BI file just put in place (`bi_file_to_update` reads it), replaced atomically. The
    files are published by then, so a record that cannot be written (a full disk) is left out: an older
    record names another file, which makes the next publish write the BI file fresh."""
    writing = target.bi_record.with_name(target.bi_record.name + ".writing")
    try:
        writing.write_text(json.dumps({"bi": same_file(target.bi), "storage_version": CLIENT_STORAGE_VERSION,
                                       "written_fresh_at": written_fresh_at.isoformat()}))
        os.replace(writing, target.bi_record)
    except OSError:
        writing.unlink(missing_ok=True)


def write_reader_files(build_db: Path, target: "Publication", schemas: dict[str, list[str]],
                       start_bi: Path | None = None) -> tuple[dict, set[str], list[str]]:
    """Write the restricted file of a build fresh, and the BI file fresh or, from `start_bi`, updated, as
    `.publishing` files. Returns the number of relations of each, the customers the build erased and the
    BI tables updated."""
    counts, modes, updated = {}, dict(target.files()), []
    con = connect()
    try:
        attach_build(con, build_db)
        for path, kind in ((target.restricted, "restricted"), (target.bi, "bi")):
            fresh = publishing_path(path)
            counts[path] = copy_schemas(con, "build", fresh, schemas[kind],
                                        storage_version=target.storage_version(path),
                                        start_from=start_bi if kind == "bi" else None, updated=updated)
            os.chmod(fresh, modes[path])
        return counts, erased_customers(con, "build"), updated
    finally:
        con.close()


def publish(build_db: Path, warehouse: Path, require_audit: bool = True) -> dict:
    """Write the three files of a build and put them in place; returns what was written."""
    if require_audit:
        assert_audited(build_db)
    elif not build_db.is_file():
        raise PublishError(f"build file {build_db} does not exist: run `make build` first")
    started = time.monotonic()
    target = Publication.at(warehouse)
    target.state.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.state.parent, 0o700)
    with exclusive(target.lock, "publish or rollback of " + str(warehouse)):
        for path, _ in target.files():
            assert_not_open_read_write(path)
            fold_stale_wal(path)
            for leftover in path.parent.glob(path.name + ".*ing"):  # .publishing/.scrubbing of a killed run
                leftover.unlink()
        # after the WAL fold: a write into the BI file since it was published is a reason to write it fresh
        start_bi, bi_written_fresh_at = bi_file_to_update(target, datetime.now(timezone.utc))
        schemas = reader_schemas(build_db)
        try:
            counts = {target.state: prepare_build_file(build_db)}
            # The state copy is disk-bound and writing the BI and restricted files is compression-bound,
            # so they run side by side (a day's publish at 1M customers: 42 s, against 48 s one after the
            # other). From here on the build file is only read. Leaving the block waits for the copy, also
            # when a write failed.
            with ThreadPoolExecutor(1) as background:
                state_copy = background.submit(copy_file, build_db, publishing_path(target.state))
                reader_counts, erased, updated = write_reader_files(build_db, target, schemas, start_bi)
                state_copy.result()
        except (duckdb.Error, OSError, PublishError) as exc:  # disk full, say
            for path, _ in target.files():
                publishing_path(path).unlink(missing_ok=True)
            if isinstance(exc, PublishError):
                raise
            raise PublishError(f"nothing was published, writing the new files failed: "
                               f"{(str(exc).splitlines() or [type(exc).__name__])[0]}") from None
        counts.update(reader_counts)
        for path, _ in target.files():
            if path.exists():
                keep = path.with_name(path.name + ".keeping")
                os.link(path, keep)  # the old inode becomes the previous file, atomically
                os.replace(keep, previous_of(path))
            os.replace(publishing_path(path), path)
        mark_published(build_db, target.state)
        record_bi_file(target, bi_written_fresh_at)
        scrubbed, failed = [], []
        for previous, scrub in (
                (previous_of(target.restricted),
                 lambda path: scrub_previous(path, erased, target.storage_version(target.restricted))),
                (previous_of(target.state), lambda path: scrub_previous_state(path, erased))):
            try:
                if scrub(previous):
                    scrubbed.append(previous)
            except (duckdb.Error, OSError) as exc:  # disk full, say: an erased person must not stay in it
                for leftover in [previous, *previous.parent.glob(previous.name + ".*ing")]:
                    leftover.unlink(missing_ok=True)
                failed.append(f"{previous} ({(str(exc).splitlines() or [type(exc).__name__])[0]})")
    if require_audit:
        audit_mark(build_db).unlink(missing_ok=True)
    if failed:
        raise ScrubError(f"{target.bi} and its restricted and state files are published, but the previous "
                         f"{' and '.join(failed)} could not be cleared of {len(erased)} erased customers and "
                         f"was deleted: there is no previous version of it to roll back to")
    return {"counts": counts, "erased": len(erased), "scrubbed": scrubbed, "publication": target,
            "updated": updated, "bi_written_fresh_at": bi_written_fresh_at, "seconds": time.monotonic() - started}


def rollback(warehouse: Path) -> Publication:
    """Swap each published file with its previous version (a second rollback swaps them back)."""
    target = Publication.at(warehouse)
    missing = [str(previous_of(p)) for p, _ in target.files() if p.exists() and not previous_of(p).exists()]
    if not target.bi.exists():
        raise PublishError(f"{warehouse} does not exist: nothing to roll back")
    if missing:
        raise PublishError(f"no previous version to roll back to ({', '.join(missing)} missing)")
    with exclusive(target.lock, "publish or rollback of " + str(warehouse)):
        for path, _ in target.files():
            assert_not_open_read_write(path)
            fold_stale_wal(path)
        for path, _ in target.files():
            previous = previous_of(path)
            swap = path.with_name(path.name + ".swapping")
            os.replace(path, swap)
            os.replace(previous, path)
            os.replace(swap, previous)
    return target


def report(result: dict) -> list[str]:
    """What a publish wrote, one line each, for `make build` and `make publish`."""
    target = result["publication"]
    lines = [f"publish: {path} ({result['counts'][path]} relations, {path.stat().st_size / 2**20:.1f} MiB)"
             for path, _ in target.files()]
    if result["updated"]:
        lines.append(f"publish: {target.bi} updated from the previous one: {', '.join(result['updated'])} took "
                     f"only the rows written since, the other relations were written anew (the whole file is "
                     f"written fresh every {BI_FRESH_DAYS} days, last on {result['bi_written_fresh_at']:%Y-%m-%d})")
    lines.append(f"publish: {result['seconds']:.1f} s")
    lines += [f"publish: removed erased customers from {path}" for path in result["scrubbed"]]
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--build-db", type=Path, default=DEFAULT_BUILD, help="the audited build file (default: %(default)s)")
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE,
                        help="the BI file to write; the restricted and state files go beside it (default: %(default)s)")
    parser.add_argument("--rollback", action="store_true", help="swap the published files with their previous versions")


def run(args: argparse.Namespace) -> int:
    try:
        if args.rollback:
            target = rollback(args.warehouse)
            print(f"rollback: {target.bi}, {target.restricted} and {target.state} are the previous build again "
                  f"(run `make rollback` once more to undo)", file=sys.stderr)
            return 0
        result = publish(args.build_db, args.warehouse)
    except PublishError as exc:
        print(f"publish: ERROR {exc}", file=sys.stderr)
        return 2
    for line in report(result):
        print(line, file=sys.stderr)
    return 0
