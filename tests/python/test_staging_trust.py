"""Staging lets nothing implausible, conflicting or hostile through silently (issue 16).

One damaged copy of the session's sample gets an extra load (load_date=2025-07-01) whose rows carry
implausible event times in several sources (1900-01-01, 2999-12-31, and the extremes 0001-01-01 and
9999-12-31 that overflow pandas), implausible secondary timestamps, a key delivered twice in the load with
different values, an identical copy, and names and e-mails with control characters. It is built ONCE
(the whole DAG, Python models included) and every check reads that build. Preflight cases use plain copies.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import BIN, REPO, run
from scripts.contract import load_contract

LOAD = "load_date=2025-07-01"
HOSTILE_NAME = "An\x00na\x1b[31m\u202e"  # NUL, an ANSI colour sequence, a right-to-left override


def template(raw: Path, source: str, table: str) -> pa.Table:
    """Rows of an existing file of the table (same schema as the export)."""
    return pq.read_table(sorted((raw / source / table).glob("*/*.parquet"))[-1])


def append_rows(raw: Path, source: str, table: str, changes: list[dict]) -> None:
    """Write one extra Parquet file in the new load: a real row of the table per change, with the change applied."""
    base = template(raw, source, table)
    rows = base.slice(0, 1).to_pylist() * len(changes)
    rows = [{**row, **change} for row, change in zip(rows, changes)]
    folder = raw / source / table / LOAD
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=base.schema), folder / "part-damaged.parquet")


@pytest.fixture(scope="module")
def damaged_raw(sample_raw, tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("trust") / "raw"
    shutil.copytree(sample_raw, raw)
    sale = {"order_type": "sale", "total_amount": 25.0, "refunded_order_id": None}
    append_rows(raw, "web", "orders", [
        {"order_id": "WO_PAST", "ordered_at": "1900-01-01 00:00:00", **sale},
        {"order_id": "WO_FUTURE", "ordered_at": "2999-12-31 10:00:00", **sale},
        {"order_id": "WO_MIN", "ordered_at": "0001-01-01", **sale},
        {"order_id": "WO_MAX", "ordered_at": "9999-12-31T23:59:59Z", **sale},
        # the same key twice in one load with different amounts: a conflict, neither is kept
        {"order_id": "WO_CONFLICT", "ordered_at": "2025-06-30 12:00:00", **sale},
        {"order_id": "WO_CONFLICT", "ordered_at": "2025-06-30 12:00:00", **sale, "total_amount": 52.0},
        # an identical copy in the same load stays a duplicate, and one row is staged
        {"order_id": "WO_COPY", "ordered_at": "2025-06-30 13:00:00", **sale},
        {"order_id": "WO_COPY", "ordered_at": "2025-06-30 13:00:00", **sale},
        # within the tolerance (the export's own day, late evening in UTC+2): staged
        {"order_id": "WO_LATE_EVENING", "ordered_at": "2025-07-02T01:30:00+02:00", **sale},
    ])
    till = {"transaction_type": "sale", "total_amount": 10.0}
    append_rows(raw, "store", "pos_transactions", [
        {"transaction_id": "ST_PAST", "transacted_at": "01/01/1900 09:00", **till},
        {"transaction_id": "ST_FUTURE", "transacted_at": "31/12/2999 10:00:00", **till},
    ])
    append_rows(raw, "app", "app_events", [
        {"event_id": "AE_MIN", "event_at": "0001-01-01T00:00:00Z", "event_type": "app_open"},
        {"event_id": "AE_MAX", "event_at": "9999-12-31 23:59:59", "event_type": "app_open"},
    ])
    append_rows(raw, "crm", "contacts", [
        {"contact_id": "C_PAST", "created_at": "1900-01-01 00:00:00", "updated_at": "2025-06-30 08:00:00"},
        {"contact_id": "C_FUTURE", "created_at": "2025-06-01 08:00:00", "updated_at": "2999-12-31 00:00:00"},
        # usable contact with implausible secondary timestamps (nulled) and hostile text (stripped)
        {"contact_id": "C_HOSTILE", "created_at": "2025-06-01 08:00:00", "updated_at": "2025-06-30 08:00:00",
         "first_name": HOSTILE_NAME, "last_name": "\u2066Jansen\u2069\x07", "email": "\x1b[1manna.jansen\x7f@example.com",
         "email_verified_at": "9999-12-31 00:00:00", "email_bounced_at": "0001-01-01 00:00:00"},
    ])
    append_rows(raw, "web", "accounts", [
        {"account_id": "W_HOSTILE", "created_at": "2025-06-01 08:00:00", "updated_at": "2025-06-30 08:00:00",
         "first_name": HOSTILE_NAME, "last_name": "\u202aDe\u200f Vries\x1b[0m"},
    ])
    append_rows(raw, "support", "tickets", [
        {"ticket_id": "T_FUTURE", "opened_at": "2999-12-31 10:00:00", "resolved_at": None},
        {"ticket_id": "T_RESOLVED_LATE", "opened_at": "2025-06-30 10:00:00", "resolved_at": "9999-12-31 10:00:00"},
    ])
    append_rows(raw, "privacy", "consent_changes", [
        {"consent_change_id": "CC_PAST", "changed_at": "1900-01-01 00:00:00"},
    ])
    return raw


def dbt_env(raw: Path, db: Path) -> dict:
    # C360_RAW_ROOT wins over --vars raw_root in the sources: point both at the damaged copy
    return {"C360_BUILD_DB": str(db), "C360_RAW_ROOT": str(raw)}


@pytest.fixture(scope="module")
def damaged_build(damaged_raw, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("trust_wh") / "customer360.duckdb"
    result = run([BIN / "dbt", "build", "--target", "ci", "--vars", f"{{raw_root: '{damaged_raw}'}}"],
                 env=dbt_env(damaged_raw, db))
    assert result.returncode == 0, result.stdout[-5000:]  # no OverflowError on 0001-01-01 / 9999-12-31
    return db


@pytest.fixture()
def wh(damaged_build):
    connection = duckdb.connect(str(damaged_build), read_only=True)
    yield connection
    connection.close()


def reasons(wh, table: str, prefix: str) -> dict[str, list[str]]:
    rows = wh.execute(
        "select source_record_id, quarantine_reason from quality.fct_quarantined_rows"
        " where table_name = ? and starts_with(source_record_id, ?) order by all", [table, prefix]).fetchall()
    found: dict[str, list[str]] = {}
    for record, reason in rows:
        found.setdefault(record, []).append(reason)
    return found


def test_implausible_event_times_are_quarantined_with_their_reason(wh):
    before, after = ["timestamp_before_earliest_date"], ["timestamp_after_load_date"]
    assert reasons(wh, "orders", "WO_") == {
        "WO_PAST": before, "WO_FUTURE": after, "WO_MIN": before, "WO_MAX": after,
        "WO_CONFLICT": ["conflicting_values_in_load"] * 2}
    assert reasons(wh, "pos_transactions", "ST_") == {"ST_PAST": before, "ST_FUTURE": after}
    assert reasons(wh, "app_events", "AE_") == {"AE_MIN": before, "AE_MAX": after}
    assert reasons(wh, "contacts", "C_") == {"C_PAST": before, "C_FUTURE": after}
    assert reasons(wh, "tickets", "T_") == {"T_FUTURE": after}
    assert reasons(wh, "consent_changes", "CC_") == {"CC_PAST": before}
    # the order from late evening in UTC+2 on the load day is within the tolerance
    assert wh.execute("select count(*) from staging.stg_web__orders where order_id = 'WO_LATE_EVENING'").fetchone()[0] == 1


def test_marts_keep_a_sane_as_of_date(wh):
    newest_load = dt.date(2025, 7, 1)
    as_of = wh.execute("select max(as_of_date) from marketing.customer_rfm").fetchone()[0]
    assert newest_load - dt.timedelta(days=2) <= as_of <= newest_load
    first, last = wh.execute("select min(ordered_at), max(ordered_at) from core.fct_orders").fetchone()
    assert first >= dt.datetime(1990, 1, 1) and last < dt.datetime(2025, 7, 3)
    assert wh.execute("select max(event_at) from staging.stg_app__app_events").fetchone()[0] < dt.datetime(2025, 7, 3)


def test_implausible_secondary_timestamps_are_nulled_and_the_row_kept(wh):
    verified, bounced = wh.execute(
        "select email_verified_at, email_bounced_at from staging.stg_crm__contacts where contact_id = 'C_HOSTILE'"
    ).fetchone()
    assert verified is None and bounced is None
    resolved = wh.execute("select resolved_at from staging.stg_support__tickets where ticket_id = 'T_RESOLVED_LATE'")
    assert resolved.fetchall() == [(None,)]


def test_same_load_conflict_quarantines_both_and_reconciliation_balances(wh, damaged_raw):
    statuses = wh.execute(
        "select order_id, row_status, count(*) from staging.base_web__orders"
        " where order_id in ('WO_CONFLICT', 'WO_COPY') group by all order by all").fetchall()
    assert statuses == [("WO_CONFLICT", "quarantined", 2), ("WO_COPY", "duplicate", 1), ("WO_COPY", "staged", 1)]
    assert wh.execute("select count(*) from staging.stg_web__orders where order_id = 'WO_CONFLICT'").fetchone()[0] == 0
    for table in load_contract():
        files = (damaged_raw / table.source / table.table).glob("*/*.parquet")
        raw = sum(pq.ParquetFile(path).metadata.num_rows for path in files)
        counts = wh.execute(
            "select raw_row_count, staged_row_count + superseded_row_count + duplicate_row_count"
            " + quarantined_row_count, quarantined_row_count from quality.fct_raw_table_reconciliation"
            " where source_name = ? and table_name = ?", [table.source, table.table]).fetchone()
        quarantined = wh.execute("select count(*) from quality.fct_quarantined_rows where source_name = ?"
                                 " and table_name = ?", [table.source, table.table]).fetchone()[0]
        assert counts[0] == raw == counts[1], table.name
        assert counts[2] == quarantined, table.name


def test_control_characters_are_stripped(wh):
    contact = wh.execute("select first_name, last_name, email, email_raw from staging.stg_crm__contacts"
                         " where contact_id = 'C_HOSTILE'").fetchone()
    assert contact == ("Anna", "Jansen", "anna.jansen@example.com", "anna.jansen@example.com")
    account = wh.execute("select first_name, last_name from staging.stg_web__accounts"
                         " where account_id = 'W_HOSTILE'").fetchone()
    assert account == ("Anna", "de Vries")  # the name rules: a particle lower case, the surname its capital
    control = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
    names = wh.execute("select first_name || coalesce(last_name, '') from staging.stg_crm__contacts"
                       " union all select first_name || coalesce(last_name, '') from staging.stg_web__accounts"
                       ).fetchall()
    assert not [name for (name,) in names if name and control.search(name)]


def test_quarantined_row_filenames_are_relative_to_the_raw_root(wh, damaged_raw):
    filenames = [f for (f,) in wh.execute("select distinct filename from quality.fct_quarantined_rows").fetchall()]
    assert f"web/orders/{LOAD}/part-damaged.parquet" in filenames
    pattern = re.compile(r"[a-z]+/[a-z_]+/load_date=\d{4}-\d{2}-\d{2}/[^/]+\.parquet")
    assert all(pattern.fullmatch(f) for f in filenames), [f for f in filenames if not pattern.fullmatch(f)][:5]
    assert not any(str(damaged_raw) in f for f in filenames)


def test_audit_passes_the_damaged_build(damaged_build, tmp_path, capsys):
    """A few conflicts stay under the audit's share threshold, and the as-of date is within 2 days of the newest load."""
    from scripts import audit
    parser = argparse.ArgumentParser()
    audit.add_arguments(parser)
    args = parser.parse_args(["--db", str(damaged_build), "--docs-dir", str(tmp_path / "docs"),
                              "--config", str(REPO / "audit" / "expectations.yml"),
                              "--suite", "metric.conflicting_row_share", "--suite", "metric.marketing_as_of_date"])
    code = audit.run(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2 suites" in out, out


# ---------------------------------------------------------------------------------------------------------
# preflight: nothing under the raw root is ignored silently
# ---------------------------------------------------------------------------------------------------------

def preflight(raw: Path):
    return run([sys.executable, "-m", "scripts", "preflight", "--raw-root", raw])


@pytest.fixture()
def raw_copy(sample_raw, tmp_path) -> Path:
    copy = tmp_path / "raw"
    shutil.copytree(sample_raw, copy)
    return copy


def test_csv_in_a_load_folder_stops_the_build_naming_the_file(raw_copy):
    folder = raw_copy / "web" / "orders" / "load_date=2026-01-01"
    folder.mkdir()
    template(raw_copy, "web", "orders").to_pandas().to_csv(folder / "orders.csv", index=False)
    result = preflight(raw_copy)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if str(folder / "orders.csv") in line]
    assert len(lines) == 1 and "will not be read" in lines[0] and "convert it to Parquet" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_stray_files_and_unknown_folders_stop_the_build(raw_copy):
    stray = [
        raw_copy / "orders_2026.parquet",                                   # outside any source folder
        raw_copy / "web" / "orders" / "part-9.parquet",                     # beside the load folders
        raw_copy / "web" / "orders" / "load_date=2026-13-01" / "p.parquet",  # not a calendar date
        raw_copy / "web" / "orders" / "2026-01-01" / "p.parquet",            # not load_date=...
        raw_copy / "web" / "ordres" / "load_date=2026-01-01" / "p.parquet",  # table typo
        raw_copy / "wbe" / "orders" / "load_date=2026-01-01" / "p.parquet",  # source typo
        raw_copy / "crm" / "contacts" / "load_date=2025-06-30" / "notes.txt",  # not Parquet
    ]
    good = sorted((raw_copy / "web" / "orders").glob("*/*.parquet"))[0].read_bytes()
    for path in stray:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(good)
    # the generator's files and hidden files at the top are ignored by convention
    (raw_copy / ".DS_Store").write_text("x")
    # a load folder dated in the future would make every event up to it look plausible
    future = raw_copy / "app" / "app_events" / "load_date=9999-12-31"
    future.mkdir()
    (future / "part-0.parquet").write_bytes(good)
    result = preflight(raw_copy)
    assert result.returncode != 0
    assert any(str(future) in line and "after today" in line for line in result.stderr.splitlines()), result.stderr
    for path in stray:
        assert any(str(path) in line and "will not be read" in line for line in result.stderr.splitlines()), \
            (path, result.stderr)
    assert "_truth" not in result.stderr and "_generator.json" not in result.stderr and ".DS_Store" not in result.stderr
    assert "Traceback" not in result.stderr


def test_clean_sample_passes_preflight(sample_raw):
    result = preflight(sample_raw)
    assert result.returncode == 0, result.stderr
