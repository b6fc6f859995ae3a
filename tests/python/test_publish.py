"""Publishing cannot corrupt or leak: what each published file holds, stale logs, read-write holders,
concurrent builds, publishing twice, rollback and erased customers in the rollback copies.

These run on a small hand-made build file (no dbt), so they are fast; test_write_audit_publish.py
runs the whole `make build`."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, assert_bi_file_is_a_fresh_write, run, storage_version
from scripts import publish as publishing


def make_build_file(path: Path, customers=("C1", "C2", "C3"), erased=(), tag="first") -> Path:
    """A build file shaped like dbt's: staging with clear PII, BI marts with a view, the restricted
    contacts, the erasure log, a snapshot and a temp table an incremental run left behind."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    for schema in ("staging", "core", "marketing", "privacy", "restricted", "snapshots", "quality"):
        con.execute(f"create schema {schema}")
    con.execute("create table staging.stg_crm__contacts as select 'anna@example.com' as email, 'Anna' as first_name")
    con.execute("create table core.dim_customers (customer_id varchar not null, email_hash varchar, build_tag varchar)")
    con.execute("insert into core.dim_customers select unnest(?), null, ?", [list(customers), tag])
    con.execute("comment on table core.dim_customers is 'One row per customer.'")
    con.execute("comment on column core.dim_customers.customer_id is 'The resolved person.'")
    con.execute("create table core.customer_id_merges (old_customer_id varchar, new_customer_id varchar)")
    con.execute("create table marketing.customer_order_summary as select unnest(?) as customer_id, 1 as orders",
                [list(customers)])
    con.execute("create view marketing.customer_btyd_summary as select * from marketing.customer_order_summary")
    con.execute("comment on view marketing.customer_btyd_summary is 'BTYD summary.'")
    con.execute("create table marketing.customer_order_summary__dbt_tmp as select 1 as leftover")
    con.execute("create table restricted.customer_contacts as "
                "select customer_id, lower(customer_id) || '@example.com' as email from (select unnest(?) as customer_id)"
                " where customer_id not in (select unnest(?))", [list(customers), list(erased) or ["-"]])
    con.execute("create table privacy.privacy_erasure_log as select cast(unnest(?) as varchar) as customer_id",
                [list(erased) or [None]])
    con.execute("create table snapshots.customer_identity_snapshot as select 'crm:1' as record_key, 'C1' as customer_id")
    con.execute("create table quality.fct_quarantined_rows as select 'web/orders/load_date=2024-01-01/x.parquet' as filename")
    con.close()
    publishing.mark_audited(path)
    return path


def relations(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    names = {f"{s}.{n}" for s, n in con.execute(
        "select schema_name, table_name from duckdb_tables() union all "
        "select schema_name, view_name from duckdb_views() where not internal").fetchall()}
    con.close()
    return names


def tag_of(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    tag = con.execute("select min(build_tag) from core.dim_customers").fetchone()[0]
    con.close()
    return tag


def test_each_file_holds_only_its_schemas_with_comments_and_modes(tmp_path):
    build = make_build_file(tmp_path / "build.duckdb")
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    result = publishing.publish(build, warehouse)
    files = result["publication"]
    assert relations(files.bi) == {"core.dim_customers", "core.customer_id_merges", "marketing.customer_order_summary",
                                   "marketing.customer_btyd_summary", "privacy.privacy_erasure_log",
                                   "quality.fct_quarantined_rows"}
    assert relations(files.restricted) == {"restricted.customer_contacts"}
    # the state is the whole build file (staging carries over to the next build), less dbt's temp tables
    assert relations(files.state) == relations(build) - {"marketing.customer_order_summary__dbt_tmp"}
    for path in (files.bi, files.restricted, files.state):
        assert not any("__dbt_tmp" in name for name in relations(path)), path
    for path in (files.bi, files.restricted):
        assert b"anna@example.com" not in path.read_bytes(), f"clear staging data in {path}"
    for path in (files.bi, files.restricted):  # DuckDB 1.4 and 1.5 read file versions 64-67 (68)
        assert storage_version(path) == 67, path
    assert stat.S_IMODE(files.restricted.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.state.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.state.parent.stat().st_mode) == 0o700
    con = duckdb.connect(str(files.bi), read_only=True)
    assert con.execute("select comment from duckdb_tables() where table_name = 'dim_customers'").fetchone()[0] \
        == "One row per customer."
    assert con.execute("select comment from duckdb_columns() where table_name = 'dim_customers' "
                       "and column_name = 'customer_id'").fetchone()[0] == "The resolved person."
    assert con.execute("select comment from duckdb_views() where view_name = 'customer_btyd_summary'").fetchone()[0]
    assert con.execute("select count(*) from marketing.customer_btyd_summary").fetchone()[0] == 3
    assert con.execute("select count(*) from duckdb_constraints() where constraint_type = 'NOT NULL'").fetchone()[0] == 1
    con.close()


def test_a_build_is_published_once_and_rollback_swaps_the_previous_one_back(tmp_path):
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    build = tmp_path / "build.duckdb"
    publishing.publish(make_build_file(build, tag="first"), warehouse)
    with pytest.raises(publishing.PublishError, match="has not passed the audit since"):
        publishing.publish(build, warehouse)
    publishing.publish(make_build_file(build, tag="second"), warehouse)
    previous = publishing.previous_of(warehouse)
    assert (tag_of(warehouse), tag_of(previous)) == ("second", "first")

    result = run([sys.executable, "-m", "scripts", "publish", "--build-db", build, "--warehouse", warehouse])
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert (tag_of(warehouse), tag_of(previous)) == ("second", "first"), "a second publish lost the rollback copy"

    result = run(["make", "--no-print-directory", "rollback", f"WAREHOUSE={warehouse}"])
    assert result.returncode == 0, result.stderr
    assert (tag_of(warehouse), tag_of(previous)) == ("first", "second")
    state = publishing.Publication.at(warehouse).state
    assert state.exists() and publishing.previous_of(state).exists()

    make_build_file(build, tag="third")
    time.sleep(0.01)
    con = duckdb.connect(str(build))  # the file changes after its audit
    con.execute("update core.dim_customers set build_tag = 'tampered'")
    con.close()
    with pytest.raises(publishing.PublishError, match="changed after its audit"):
        publishing.publish(build, warehouse)


def test_rollback_without_a_previous_build_says_so(tmp_path):
    result = run([sys.executable, "-m", "scripts", "publish", "--rollback", "--warehouse", tmp_path / "none.duckdb"])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"publish: ERROR {tmp_path / 'none.duckdb'} does not exist: "
                                                  "nothing to roll back"]


def test_a_stale_wal_beside_the_warehouse_never_reaches_the_new_file(tmp_path):
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    build = tmp_path / "build.duckdb"
    publishing.publish(with_orders(make_build_file(build, tag="first"), FIRST_ORDERS), warehouse)
    # a writer killed before its checkpoint leaves its log beside the file; its change to an updated
    # table keeps the stamps, so only a fresh write undoes it
    writer = ("import duckdb, os, sys; con = duckdb.connect(sys.argv[1]); "
              "con.execute(\"set checkpoint_threshold = '1TB'\"); "
              "con.execute('delete from core.dim_customers'); con.execute('create table core.stray as select 1'); "
              "con.execute('update core.fct_orders set amount = -1'); os._exit(0)")
    subprocess.run([sys.executable, "-c", writer, str(warehouse)], check=True)
    wal = warehouse.with_name(warehouse.name + ".wal")
    assert wal.exists(), "the writer left no log to test with"
    result = publishing.publish(with_orders(make_build_file(build, tag="second"), FIRST_ORDERS), warehouse)
    assert not wal.exists() and result["updated"] == []
    assert "core.stray" not in relations(warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*), min(build_tag) from core.dim_customers").fetchone() == (3, "second")
    assert con.execute("select count(*) from core.fct_orders where amount = -1").fetchone()[0] == 0
    con.close()


def test_a_reader_holding_the_warehouse_read_write_gets_one_line(tmp_path):
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    build = make_build_file(tmp_path / "build.duckdb")
    publishing.publish(build, warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('open', flush=True);"
         " time.sleep(60)", str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        before = warehouse.stat().st_ino
        make_build_file(build, tag="second")
        result = run([sys.executable, "-m", "scripts", "publish", "--build-db", build, "--warehouse", warehouse])
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "is open read-write by process" in lines[0] and "read_only" in lines[0], lines
        assert warehouse.stat().st_ino == before, "the warehouse was replaced under a writer"
        audit = run([sys.executable, "-m", "scripts", "audit", "--db", build, "--previous-db", warehouse,
                     "--docs-dir", tmp_path / "docs"])
        assert audit.returncode == 1 and "Traceback" not in audit.stderr, audit.stderr[-2000:]
        assert audit.stderr.strip().splitlines() == [
            f"AUDIT FAIL [error] {warehouse} is open read-write by process {holder.pid}: close it "
            "(BI clients should connect read_only)"], audit.stderr
    finally:
        holder.kill()
        holder.wait()


def test_a_second_build_is_refused_naming_the_first(tmp_path):
    build = tmp_path / "build.duckdb"
    lock = build.with_name(build.name + ".lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from scripts import publish;"
         " ctx = publish.exclusive(Path(sys.argv[1]), 'build'); ctx.__enter__(); print('locked', flush=True);"
         " time.sleep(60)", str(lock)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        result = run([sys.executable, "-m", "scripts", "build", "--raw-root", tmp_path, "--build-db", build,
                      "--warehouse", tmp_path / "warehouse" / "customer360.duckdb"])
        assert result.returncode == 2
        assert time.monotonic() - started < 30
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line or "FAILED" in line]
        assert len(errors) == 1 and f"pid {holder.pid}" in errors[0], result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_erased_customers_leave_the_rollback_copies(tmp_path):
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    build = tmp_path / "build.duckdb"
    publishing.publish(make_build_file(build), warehouse)
    result = publishing.publish(make_build_file(build, erased=("C2",)), warehouse)
    files = result["publication"]
    assert set(map(Path, result["scrubbed"])) == {publishing.previous_of(files.restricted),
                                                  publishing.previous_of(files.state)}
    for path in (files.restricted, publishing.previous_of(files.restricted), publishing.previous_of(files.state)):
        con = duckdb.connect(str(path), read_only=True)
        emails = {row[0] for row in con.execute("select email from restricted.customer_contacts").fetchall()}
        con.close()
        assert emails == {"c1@example.com", "c3@example.com"}, path
        if path != publishing.previous_of(files.state):  # the state's contract allows bytes in free blocks
            assert b"c2@example.com" not in path.read_bytes(), f"erased e-mail bytes left in {path}"
    assert stat.S_IMODE(publishing.previous_of(files.restricted).stat().st_mode) == 0o600
    # the previous state keeps its other schemas and the restricted table's comments and types as dbt wrote them
    assert relations(publishing.previous_of(files.state)) == relations(files.state)
    # rolling back cannot bring the erased contact back
    publishing.rollback(warehouse)
    assert b"c2@example.com" not in files.restricted.read_bytes()
    con = duckdb.connect(str(files.state), read_only=True)
    assert con.execute("select count(*) from restricted.customer_contacts where customer_id = 'C2'").fetchone()[0] == 0
    con.close()


def test_a_failed_scrub_leaves_the_previous_state_as_it_was(tmp_path, monkeypatch):
    """The previous state's restricted tables are rewritten in one transaction: a scrub that fails
    halfway (here on its second table) leaves every table as it was, nothing renamed, nothing lost."""
    state = make_build_file(tmp_path / "state.duckdb")
    con = duckdb.connect(str(state))
    con.execute("create table restricted.zz_second as select 'C2' as customer_id")
    con.close()
    real_connect = publishing.connect

    class Failing:
        def __init__(self, con):
            self.con = con

        def execute(self, sql, *args):
            if sql.startswith("drop table") and "zz_second" in sql:
                raise duckdb.IOException("disk full")
            return self.con.execute(sql, *args)

        def close(self):
            self.con.close()

    monkeypatch.setattr(publishing, "connect", lambda path=None: Failing(real_connect(path)))
    with pytest.raises(duckdb.IOException):
        publishing.scrub_previous_state(state, {"C2"})
    assert relations(state) >= {"restricted.customer_contacts", "restricted.zz_second"}
    assert not any("__scrubbing" in name for name in relations(state))
    con = duckdb.connect(str(state), read_only=True)
    assert con.execute("select count(*) from restricted.customer_contacts where customer_id = 'C2'").fetchone()[0] == 1
    con.close()


@pytest.mark.parametrize("failing", ["bi", "state", "view"])
def test_a_publish_that_fails_while_writing_publishes_nothing_and_leaves_nothing(tmp_path, monkeypatch, failing):
    """The BI file and the state copy are written side by side: when either fails (disk full, a view over
    an unpublished relation), the other is waited for, nothing is renamed into place, no `.publishing`
    file stays, and the error is one line."""
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    publishing.publish(make_build_file(tmp_path / "build.duckdb", tag="first"), warehouse)
    files = publishing.Publication.at(warehouse)
    before = {path: path.read_bytes() for path, _ in files.files()}
    real_copy_schemas, real_copy_file, copied = publishing.copy_schemas, publishing.copy_file, []

    def copy_schemas(con, source, dest_path, *args, **kwargs):
        if failing == "bi" and dest_path == publishing.publishing_path(files.bi):
            raise duckdb.IOException("No space left on device\nsecond line")
        if failing == "view" and dest_path == publishing.publishing_path(files.bi):
            raise publishing.PublishError("views core.v read relations that are not published")
        return real_copy_schemas(con, source, dest_path, *args, **kwargs)

    def copy_file(source, dest):
        if failing == "state":
            dest.write_bytes(b"half a state")
            raise OSError(28, "No space left on device")
        real_copy_file(source, dest)
        copied.append(dest)

    monkeypatch.setattr(publishing, "copy_schemas", copy_schemas)
    monkeypatch.setattr(publishing, "copy_file", copy_file)
    with pytest.raises(publishing.PublishError) as error:
        publishing.publish(make_build_file(tmp_path / "build.duckdb", tag="second"), warehouse)
    message = str(error.value)
    expected = "not published" if failing == "view" else "No space left on device"
    assert "\n" not in message and expected in message
    assert failing == "view" or "nothing was published" in message
    assert copied == ([] if failing == "state" else [publishing.publishing_path(files.state)])
    assert {path: path.read_bytes() for path, _ in files.files()} == before
    assert not list(warehouse.parent.rglob("*.publishing"))


class FailingInserts:
    """A DuckDB connection whose `insert into` statements fail as a full disk makes them fail."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql, *args):
        if sql.startswith("insert into"):
            raise duckdb.IOException("Could not write file: No space left on device")
        return self.con.execute(sql, *args)


@pytest.mark.parametrize("failing", ["view", "disk"])
def test_a_copy_that_fails_reports_its_own_error_and_lets_the_file_go(tmp_path, failing):
    """The error of the copy itself is the one raised, not that of detaching the half-written file (which
    is still the default database when the copy stops, so DuckDB refuses to detach it), and the
    connection is left as it was: the file is detached and can be deleted."""
    con = duckdb.connect()
    con.execute(f"attach {publishing.literal(str(make_build_file(tmp_path / 'build.duckdb')))} as build")
    con.execute("create view build.core.reads_staging as select * from staging.stg_crm__contacts")
    dest = tmp_path / "bi.duckdb"
    schemas = ["core"] if failing == "view" else ["core", "marketing"]
    expected = (publishing.PublishError, "read relations that are not published") if failing == "view" \
        else (duckdb.IOException, "No space left on device")
    with pytest.raises(expected[0], match=expected[1]):
        publishing.copy_schemas(con if failing == "view" else FailingInserts(con), "build", dest, schemas)
    assert con.execute("select current_database()").fetchone()[0] == "memory"
    assert "publish_dest" not in {row[0] for row in con.execute("select database_name from duckdb_databases()").fetchall()}
    con.close()


def test_publish_leaves_no_temporary_files(tmp_path):
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    publishing.publish(make_build_file(tmp_path / "build.duckdb"), warehouse)
    publishing.publish(make_build_file(tmp_path / "build.duckdb"), warehouse)
    names = sorted(p.name for p in warehouse.parent.rglob("*") if p.is_file())
    assert names == ["customer360.bi.json", "customer360.duckdb", "customer360.previous.duckdb",
                     "customer360.publish.lock",
                     "customer360.state.duckdb", "customer360.state.previous.duckdb",
                     "customer360_restricted.duckdb", "customer360_restricted.previous.duckdb"], names


def test_the_next_build_starts_from_the_build_file_only_while_it_holds_the_published_state(tmp_path):
    """After publishing, the build file and the state are the same bytes, so the next build need not
    copy the state back; any write to the build file, or a rollback of the state, makes it copy again."""
    from scripts.build import restore_state

    warehouse, build = tmp_path / "warehouse" / "customer360.duckdb", tmp_path / "build.duckdb"
    state = publishing.Publication.at(warehouse).state
    publishing.publish(make_build_file(build, tag="first"), warehouse)
    assert build.read_bytes() == state.read_bytes()
    assert "still holds it" in restore_state(build, warehouse, full_refresh=False)
    assert tag_of(build) == "first"

    con = duckdb.connect(str(build))  # a failed or manual dbt run after the publish
    con.execute("update core.dim_customers set build_tag = 'scratch'")
    con.close()
    assert "still holds it" not in restore_state(build, warehouse, full_refresh=False)
    assert build.read_bytes() == state.read_bytes() and tag_of(build) == "first"

    publishing.publish(make_build_file(build, tag="second"), warehouse)
    publishing.rollback(warehouse)  # the state is the first build's again
    assert "still holds it" not in restore_state(build, warehouse, full_refresh=False)
    assert tag_of(build) == "first"
    assert "empty" in restore_state(build, warehouse, full_refresh=True) and not build.exists()


def test_a_previous_file_that_cannot_be_scrubbed_is_deleted_and_said_in_one_line(tmp_path, monkeypatch):
    """The new files are in place when the previous ones are scrubbed: if a scrub fails (disk full), the
    previous file goes rather than keep an erased person, and the error says what was published."""
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    build = tmp_path / "build.duckdb"
    publishing.publish(make_build_file(build), warehouse)

    def disk_full(path, erased):
        raise duckdb.IOException("No space left on device\nsecond line")

    monkeypatch.setattr(publishing, "scrub_previous_state", disk_full)
    with pytest.raises(publishing.ScrubError) as failure:
        publishing.publish(make_build_file(build, erased=("C2",), tag="second"), warehouse)
    message = str(failure.value)
    files = publishing.Publication.at(warehouse)
    assert "\n" not in message and "No space left on device" in message and "are published" in message
    assert not publishing.previous_of(files.state).exists()
    assert not list(warehouse.parent.glob("*.*ing"))
    assert tag_of(files.bi) == "second"
    # the other previous file was scrubbed as usual
    assert b"c2@example.com" not in publishing.previous_of(files.restricted).read_bytes()


@pytest.mark.parametrize("kernel_copy", ["whole", "stops_partway", "missing"])
def test_the_state_copy_is_the_same_bytes_whatever_the_kernel_copies(tmp_path, monkeypatch, kernel_copy):
    """copy_contents copies in the kernel (copy_file_range) and finishes through buffers where the kernel
    cannot, from where it stopped: the copy is the same bytes either way."""
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(3 * 2**20 + 12345))
    real = os.copy_file_range
    calls = []

    def partway(src, dst, count, offset_src=None, offset_dst=None):
        calls.append(count)
        if len(calls) > 1:
            raise OSError(18, "Invalid cross-device link")
        return real(src, dst, min(count, 2**20 + 7), offset_src, offset_dst)

    if kernel_copy == "stops_partway":
        monkeypatch.setattr(publishing.os, "copy_file_range", partway)
    elif kernel_copy == "missing":
        monkeypatch.delattr(publishing.os, "copy_file_range")
    dest = tmp_path / "dest.bin"
    with open(source, "rb") as src, open(dest, "wb") as dst:
        publishing.copy_contents(src, dst)
    assert dest.read_bytes() == source.read_bytes()
    assert kernel_copy != "stops_partway" or len(calls) == 2


def with_orders(build: Path, rows: list[tuple], ddl: str = "") -> Path:
    """Add a stamped fact table, core.fct_orders (order_id, customer_id, amount, processed_at), to a
    build file: one of UPDATED_BI_TABLES."""
    con = duckdb.connect(str(build))
    con.execute(f"create table core.fct_orders (order_id varchar not null, customer_id varchar, amount integer, "
                f"processed_at timestamp{ddl})")
    con.execute("insert into core.fct_orders by name select * from (select unnest(?, recursive := true))", [
        [{"order_id": o, "customer_id": c, "amount": a, "processed_at": t} for o, c, a, t in rows]])
    con.execute("comment on table core.fct_orders is 'One row per order.'")
    con.execute("comment on column core.fct_orders.amount is 'Order value.'")
    con.close()
    publishing.mark_audited(build)
    return build


def orders_day(extra: list[tuple] = ()) -> list[tuple]:
    """The day's orders after a first publish: O1 rewritten (new amount, newer stamp), O2 gone, O4 new."""
    first, later = "2026-01-01 00:00:00", "2026-01-02 00:00:00"
    return [("O1", "C1", 15, later), ("O3", "C3", 30, first), ("O4", "C1", 40, later), *UNTOUCHED_ORDERS, *extra]


# a day touches fewer than half of a table's rows, or the publish writes it anew
UNTOUCHED_ORDERS = [(f"O{n}", "C3", n, "2026-01-01 00:00:00") for n in range(10, 14)]
FIRST_ORDERS = [("O1", "C1", 10, "2026-01-01 00:00:00"), ("O2", "C2", 20, "2026-01-01 00:00:00"),
                ("O3", "C3", 30, "2026-01-01 00:00:00"), *UNTOUCHED_ORDERS]


def test_a_day_updates_the_stamped_bi_tables_to_what_a_fresh_write_holds(tmp_path):
    """The second publish starts from the first's BI file: fct_orders takes only the rows stamped since
    (a rewritten order, a new one) and loses the order the build dropped; every other relation is written
    anew. The file holds what a fresh write holds, in the clients' format, with the comments."""
    warehouse, build = tmp_path / "warehouse" / "customer360.duckdb", tmp_path / "build.duckdb"
    first = publishing.publish(with_orders(make_build_file(build), FIRST_ORDERS), warehouse)
    assert first["updated"] == []
    second = publishing.publish(with_orders(make_build_file(build, customers=("C1", "C3", "C4"), tag="second"),
                                            orders_day()), warehouse)
    assert second["updated"] == ["core.fct_orders"]
    assert second["bi_written_fresh_at"] == first["bi_written_fresh_at"]
    assert_bi_file_is_a_fresh_write(warehouse, build, tmp_path / "fresh.duckdb")
    assert tag_of(warehouse) == "second" and tag_of(publishing.previous_of(warehouse)) == "first"


@pytest.mark.parametrize("case", ["old stamp", "new column", "rolled back", "a month old", "no stamps",
                                  "full refresh", "no such stamp column"])
def test_a_bi_table_or_file_the_update_cannot_vouch_for_is_written_fresh(tmp_path, monkeypatch, case):
    """A row written since with a stamp no newer than the published ones breaks what the update rests on:
    the check catches it and the table is written anew. A table whose model changed (its DDL), without
    stamps to start from or with half its rows or more stamped since is written anew too; a BI file the
    last publish did not write (a rollback since) or one written fresh 30 days ago is written fresh."""
    warehouse, build = tmp_path / "warehouse" / "customer360.duckdb", tmp_path / "build.duckdb"
    if case == "no such stamp column":  # a project whose model lost the column UPDATED_BI_TABLES names
        monkeypatch.setitem(publishing.UPDATED_BI_TABLES, "core.fct_orders", ("order_id", "written_at"))
    first_orders = [(o, c, a, None) for o, c, a, _ in FIRST_ORDERS] if case == "no stamps" else FIRST_ORDERS
    publishing.publish(with_orders(make_build_file(build), first_orders), warehouse)
    second = publishing.publish(with_orders(make_build_file(build), first_orders), warehouse)
    files = publishing.Publication.at(warehouse)
    if case == "rolled back":
        publishing.rollback(warehouse)
    if case == "a month old":
        record = json.loads(files.bi_record.read_text())
        record["written_fresh_at"] = (datetime.now(timezone.utc) - timedelta(days=30, minutes=1)).isoformat()
        files.bi_record.write_text(json.dumps(record))
    extra = [("O5", "C3", 50, "2026-01-01 00:00:00")] if case == "old stamp" else []
    day = orders_day(extra)
    if case == "full refresh":
        day = [(o, c, a, "2026-01-02 00:00:00") for o, c, a, _ in day]
    result = publishing.publish(with_orders(make_build_file(build, tag="third"), day,
                                            ddl=", coupon varchar" if case == "new column" else ""), warehouse)
    assert result["updated"] == []
    assert_bi_file_is_a_fresh_write(warehouse, build, tmp_path / "fresh.duckdb")
    written_fresh = result["bi_written_fresh_at"] > second["bi_written_fresh_at"]
    assert written_fresh == (case in ("rolled back", "a month old"))


def test_a_record_that_cannot_be_written_leaves_the_publish_done_and_the_next_one_fresh(tmp_path):
    """The BI file's record is written after the files are in place: when it cannot be (here a folder
    stands in its way), the publish still succeeds, and the next one writes the BI file fresh."""
    warehouse, build = tmp_path / "warehouse" / "customer360.duckdb", tmp_path / "build.duckdb"
    publishing.publish(with_orders(make_build_file(build), FIRST_ORDERS), warehouse)
    record = publishing.Publication.at(warehouse).bi_record
    record.unlink()
    record.mkdir()
    second = publishing.publish(with_orders(make_build_file(build, tag="second"), orders_day()), warehouse)
    assert tag_of(warehouse) == "second" and not record.with_name(record.name + ".writing").exists()
    third = publishing.publish(with_orders(make_build_file(build, tag="third"), orders_day()), warehouse)
    assert third["updated"] == [] and third["bi_written_fresh_at"] > second["bi_written_fresh_at"]
