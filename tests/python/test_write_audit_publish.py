"""Write-audit-publish with damaged inputs: every fault stops the publish (or is caught by staging),
with a message naming the check, and the published warehouse stays byte-for-byte unchanged."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, SAMPLE_ARGS, assert_bi_file_is_a_fresh_write, run
from test_marketing import RUN_METADATA

CORE_TABLES = ["core.dim_customers", "core.fct_orders", "core.fct_customer_events", "core.bridge_customer_identity"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_build(raw: Path, build_db: Path, warehouse: Path, *settings: str):
    return run(["make", "--no-print-directory", "build", f"RAW_ROOT={raw}", f"BUILD_DB={build_db}",
                f"WAREHOUSE={warehouse}", *settings])


def appended_copy(sample_raw: Path, folder: Path, *faults: str) -> Path:
    """The sample plus three more days of loads, written with the given fault switches."""
    raw = folder / "raw"
    shutil.copytree(sample_raw, raw)
    fault_args = [arg for fault in faults for arg in ("--fault", fault)]
    result = run([sys.executable, "-m", "scripts", "generate", "--out", raw, "--append-days", "3", *fault_args])
    assert result.returncode == 0, result.stderr[-3000:]
    return raw


@pytest.fixture(scope="module")
def published(sample_raw, tmp_path_factory):
    """A warehouse published from clean data (the sample plus three clean days)."""
    folder = tmp_path_factory.mktemp("published")
    raw = appended_copy(sample_raw, folder)
    warehouse = folder / "warehouse" / "customer360.duckdb"
    result = make_build(raw, folder / "build.duckdb", warehouse)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    output = result.stdout + result.stderr
    assert "audit:" in output and ": OK" in output
    return warehouse


def assert_refused(result, warehouse: Path, before: str, *expected: str):
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    for text in expected:
        assert text in output, f"{text!r} not in output: {output[-3000:]}"
    assert digest(warehouse) == before, "the published warehouse changed"


@pytest.mark.parametrize(
    "fault, expected",
    [
        ("corrupt-file=web/orders", ["cannot be read as Parquet", "web/orders"]),
        ("drop-column=crm/contacts/email", ["crm/contacts", "'email'", "missing"]),
        ("empty-load", ["has 0 rows", "empty export"]),
    ],
    ids=["truncated-file", "dropped-column", "empty-load"],
)
def test_broken_exports_stop_the_build(sample_raw, published, tmp_path, fault, expected):
    before = digest(published)
    raw = appended_copy(sample_raw, tmp_path, fault)
    result = make_build(raw, tmp_path / "build.duckdb", published)
    assert_refused(result, published, before, *expected)


def test_placeholder_flood_fails_the_audit(published, tmp_path):
    before = digest(published)
    raw = tmp_path / "raw"
    generated = run([sys.executable, "-m", "scripts", "generate", *SAMPLE_ARGS, "--out", raw,
                     "--placeholder-rate", "0.5"])
    assert generated.returncode == 0, generated.stderr[-3000:]
    result = make_build(raw, tmp_path / "build.duckdb", published)
    assert_refused(result, published, before, "AUDIT FAIL", "email")


def test_a_raw_root_that_lost_most_of_a_tables_history_fails_the_volume_check(published, tmp_path):
    """Two thirds of the ticket loads gone (an export cut short, a folder half copied): every file left is
    sound, so only the row count tells. The audit compares staging with the published state, not with the
    BI file (which holds no staging table), and refuses to publish."""
    before = digest(published)
    raw = tmp_path / "raw"
    shutil.copytree(published.parent.parent / "raw", raw)
    loads = sorted((raw / "support" / "tickets").glob("load_date=*"))
    for load in loads[: len(loads) * 2 // 3]:
        shutil.rmtree(load)
    result = make_build(raw, tmp_path / "build.duckdb", published)
    assert_refused(result, published, before, "AUDIT FAIL [error] staging.stg_support__tickets "
                   "expect_table_row_count_to_be_between", "previous warehouse had", "AUDIT_VOLUME_MAX_CHANGE")
    # Deliberate (the older tickets were withdrawn): the user says so for this build, on a copy here, and it
    # publishes; a change beyond what they allowed still stops it.
    mine = tmp_path / "mine" / published.name
    shutil.copytree(published.parent, mine.parent)
    result = make_build(raw, tmp_path / "build.duckdb", mine, "AUDIT_VOLUME_MAX_CHANGE=0.4")
    assert_refused(result, mine, before, "expect_table_row_count_to_be_between")
    result = make_build(raw, tmp_path / "build.duckdb", mine, "AUDIT_VOLUME_MAX_CHANGE=0.9")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert digest(mine) != before


def test_a_load_delivered_twice_publishes_exactly_the_clean_result(sample_raw, published, tmp_path):
    raw = appended_copy(sample_raw, tmp_path, "duplicate-load")
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(published, warehouse)
    result = make_build(raw, tmp_path / "build.duckdb", warehouse)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute(f"attach '{published}' as clean (read_only)")
    for table in CORE_TABLES:
        schema, name = table.split(".")
        # processed_at says when a run wrote a fact's row, not what it holds
        rows = "* exclude (processed_at)" if name.startswith("fct_") else "*"
        extra = con.execute(f"select count(*) from (select {rows} from {table} except all"
                            f" select {rows} from clean.{schema}.{name})").fetchone()[0]
        missing = con.execute(f"select count(*) from (select {rows} from clean.{schema}.{name} except all"
                              f" select {rows} from {table})").fetchone()[0]
        assert (extra, missing) == (0, 0), f"{table}: {extra} extra and {missing} missing rows"
    duplicates = con.execute(
        "select sum(duplicate_row_count) from quality.fct_raw_table_reconciliation"
    ).fetchone()[0]
    clean_duplicates = con.execute(
        "select sum(duplicate_row_count) from clean.quality.fct_raw_table_reconciliation"
    ).fetchone()[0]
    assert duplicates > clean_duplicates, "the second copy of the load must be counted as duplicates"


def test_high_typo_and_decay_rates_are_caught(sample_raw, published, tmp_path):
    """Typos are corrected in staging and decay is reported: the build publishes, with warnings."""
    raw = tmp_path / "raw"
    generated = run([sys.executable, "-m", "scripts", "generate", *SAMPLE_ARGS, "--out", raw,
                     "--email-typo-rate", "0.3", "--decay-rate", "0.2"])
    assert generated.returncode == 0, generated.stderr[-3000:]
    warehouse = tmp_path / "warehouse.duckdb"
    result = make_build(raw, tmp_path / "build.duckdb", warehouse)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "AUDIT WARN" in output and "metric.contact_decay" in output, output[-3000:]
    con = duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True)  # staging is never published
    corrected = con.execute(
        "select avg(case when email_status = 'corrected' then 1.0 else 0 end) from staging.stg_crm__contacts"
    ).fetchone()[0]
    assert corrected > 0.2, f"only {corrected:.3f} of CRM e-mails corrected"


def published_rows(warehouse: Path) -> dict[str, set[tuple]]:
    """Every row of every published table and view, without run bookkeeping columns."""
    con = duckdb.connect(str(warehouse), read_only=True)
    relations = con.execute("select schema_name, table_name from duckdb_tables() union all "
                            "select schema_name, view_name from duckdb_views() where not internal").fetchall()
    rows = {}
    for schema, name in relations:
        columns = [c[0] for c in con.execute(f"describe {schema}.{name}").fetchall()
                   if c[0] not in RUN_METADATA | {"applied_at"}]
        rows[f"{schema}.{name}"] = set(con.execute(f"select {', '.join(columns)} from {schema}.{name}").fetchall())
    con.close()
    return rows


def test_a_killed_build_leaves_nothing_for_the_next_one(sample_raw, published, tmp_path):
    """Ten more days are loaded and the build is killed once the incremental marts have taken them in;
    the loads are withdrawn and the next build publishes exactly what the clean build had published."""
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    shutil.copytree(published.parent, warehouse.parent)
    before = digest(warehouse)
    clean_raw = appended_copy(sample_raw, tmp_path / "clean")
    poisoned_raw = tmp_path / "poisoned" / "raw"
    shutil.copytree(clean_raw, poisoned_raw)
    appended = run([sys.executable, "-m", "scripts", "generate", "--out", poisoned_raw, "--append-days", "10"])
    assert appended.returncode == 0, appended.stderr[-3000:]

    build_db = tmp_path / "build.duckdb"
    env = {**os.environ, "C360_PII_SALT": "customer360-test-salt"}
    killed = subprocess.Popen([sys.executable, "-m", "scripts", "build", "--raw-root", poisoned_raw,
                               "--build-db", build_db, "--warehouse", warehouse],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in killed.stdout:
        seen.append(line)
        if "OK created sql incremental model marketing.customer_rfm_history" in line:
            killed.terminate()
            terminated_at = time.monotonic()
            break
    killed.communicate(timeout=120)
    assert any("customer_rfm_history" in line for line in seen), "".join(seen)[-3000:]
    # it stops with dbt, not after the 30 s it gives dbt before killing it
    assert killed.returncode == 128 + signal.SIGTERM, killed.returncode
    assert time.monotonic() - terminated_at < 20
    assert digest(warehouse) == before, "a killed build changed the published warehouse"

    result = make_build(clean_raw, build_db, warehouse)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert "starts from the published state" in result.stderr
    after, clean = published_rows(warehouse), published_rows(published)
    assert after.keys() == clean.keys()
    for relation in clean:
        assert after[relation] == clean[relation], f"{relation}: {len(after[relation] ^ clean[relation])} rows differ"


def varchar_columns(con, database: str) -> list[tuple[str, str, str]]:
    return con.execute(
        "select c.schema_name, c.table_name, c.column_name from duckdb_columns() as c where c.database_name = ? "
        "and c.data_type = 'VARCHAR'", [database]).fetchall()


def test_published_files_hold_no_clear_pii_and_nothing_of_erased_persons(sample_raw, published):
    """Every published file (BI, restricted, state and their previous versions) is searched, every
    table and column, for each erased person's e-mails, phones, street addresses and names from every
    version of every record of theirs (the ground truth says which records are theirs); the BI file
    for anyone's. The state is the whole build file: its staging and intermediate schemas hold what the
    raw files still deliver (test_state_forgets_erased_persons_the_sources_removed shows they go with
    the raw rows), every other schema nothing of erased persons."""
    con = duckdb.connect(str(published.parent.parent / "build.duckdb"), read_only=True)
    con.execute(f"create temp table truth as from read_parquet('{sample_raw / '_truth' / 'identity.parquet'}')")
    con.execute("""
        create temp table person_values as
        select truth.person_id, versions.email, versions.phone, versions.street_address,
               versions.first_name, versions.last_name
        from intermediate.int_identity__record_versions as versions
        inner join truth using (source_name, source_record_id)""")
    con.execute("""
        create temp table erased_persons as
        select truth.person_id from staging.stg_privacy__erasure_requests as requests
        inner join truth on truth.source_name = 'crm' and truth.source_record_id = requests.contact_id
        union
        select person_values.person_id from staging.stg_privacy__erasure_requests as requests
        inner join person_values on requests.email = person_values.email""")
    erased_persons, email_only = con.execute(
        "select (select count(*) from erased_persons),"
        " (select count(*) from staging.stg_privacy__erasure_requests where contact_id is null)").fetchone()
    assert erased_persons >= 3 and email_only >= 1, (erased_persons, email_only)  # 4 and 1 in the sample
    erased = {kind: [row[0] for row in con.execute(
        f"select distinct {kind} from person_values where {kind} is not null "
        f"and person_id in (select person_id from erased_persons)").fetchall()]
        for kind in ("email", "phone", "street_address")}
    names = con.execute("select distinct first_name, last_name from person_values where first_name is not null "
                        "and last_name is not null and person_id in (select person_id from erased_persons)").fetchall()
    # a value is a leak in a row of one of the erased persons' customers; the same address, household
    # phone or namesake on another person's row is that person's own data
    erased_customers = [row[0] for row in con.execute(
        "select distinct bridge.customer_id from core.bridge_customer_identity as bridge"
        " inner join truth using (source_name, source_record_id)"
        " where truth.person_id in (select person_id from erased_persons)").fetchall()]
    anyone = {kind: [row[0] for row in con.execute(
        f"select distinct {kind} from person_values where {kind} is not null").fetchall()]
        for kind in ("email", "phone", "street_address")}
    con.close()

    files = sorted(published.parent.rglob("*.duckdb"))
    assert {f.name for f in files} >= {"customer360.duckdb", "customer360_restricted.duckdb", "customer360.state.duckdb"}
    search = duckdb.connect()
    search.execute("create table erased_values as select unnest(?) as value",
                   [erased["email"] + erased["phone"] + erased["street_address"]])
    search.execute("create table erased_names as select unnest(?) as first_name, unnest(?) as last_name",
                   [[n[0] for n in names], [n[1] for n in names]])
    search.execute("create table erased_customers as select unnest(?) as customer_id", [erased_customers])
    search.execute("create table anyones_values as select unnest(?) as value",
                   [anyone["email"] + anyone["phone"] + anyone["street_address"]])
    hits, searched = [], 0
    for path in files:
        search.execute(f"attach '{path}' as published_file (read_only)")
        columns = varchar_columns(search, "published_file")
        if ".state" in path.name:
            columns = [(s, t, c) for s, t, c in columns if s not in ("staging", "intermediate")]
        keyed = {(s, t) for s, t, c in columns if c == "customer_id"}
        for schema, table, column in columns:
            relation = f'published_file."{schema}"."{table}"'
            searched += 1
            of_erased = " and customer_id in (from erased_customers)" if (schema, table) in keyed else ""
            found = search.execute(
                f'select count(*) from {relation} where "{column}" in (from erased_values){of_erased}').fetchone()[0]
            if found:
                hits.append((path.name, f"{schema}.{table}.{column}", found))
        for schema, table in {(s, t) for s, t, c in columns if c == "first_name"} & {(s, t) for s, t, c in columns if c == "last_name"}:
            found = search.execute(f'select count(*) from published_file."{schema}"."{table}" '
                                   "where (first_name, last_name) in (select (first_name, last_name) from erased_names)"
                                   + (" and customer_id in (from erased_customers)" if (schema, table) in keyed else "")
                                   ).fetchone()[0]
            if found:
                hits.append((path.name, f"{schema}.{table} names", found))
        if path == published:
            for schema, table, column in columns:
                relation = f'published_file."{schema}"."{table}"'
                found = search.execute(
                    f'select count(*) from {relation} where "{column}" in (from anyones_values)'
                    f" or regexp_matches(\"{column}\", '[^@\\s]+@[^@\\s]+\\.[a-z]+')").fetchone()[0]
                if found:
                    hits.append((path.name, f"{schema}.{table}.{column} (anyone's)", found))
            personal = search.execute(
                "select table_name || '.' || column_name from duckdb_columns() where database_name = 'published_file' "
                "and regexp_matches(column_name, '^(first_name|last_name|email|phone|street_address|city|postal_code"
                "|birth_date)$')").fetchall()
            assert personal == [], f"personal columns in the BI file: {personal}"
        search.execute("detach published_file")
    assert searched > 100 and erased_customers
    assert hits == [], hits


# the customer-bearing raw tables and their id (truth's source_record_id), and the consent changes
ERASABLE_TABLES = {"web/accounts": "account_id", "store/loyalty_members": "loyalty_card_id",
                   "app/app_users": "app_user_id", "crm/contacts": "contact_id", "support/tickets": "ticket_id"}


def erased_only_values(con) -> list[str]:
    """E-mails, phones and street addresses found only on records of persons with an erasure request."""
    con.execute("""
        create or replace temp table person_values as
        select truth.person_id, versions.email, versions.phone, versions.street_address
        from intermediate.int_identity__record_versions as versions
        inner join truth using (source_name, source_record_id)""")
    con.execute("""
        create or replace temp table erased_persons as
        select truth.person_id from staging.stg_privacy__erasure_requests as requests
        inner join truth on truth.source_name = 'crm' and truth.source_record_id = requests.contact_id
        union
        select person_values.person_id from staging.stg_privacy__erasure_requests as requests
        inner join person_values on requests.email = person_values.email""")
    return [row[0] for row in con.execute("""
        with all_values as (
            select person_id, unnest([email, phone, street_address]) as value from person_values
        )
        select value from all_values where person_id in (from erased_persons) and value is not null
        except
        select value from all_values where person_id not in (from erased_persons)
        order by 1""").fetchall()]


def state_hits(state: Path, values: list[str]) -> list[tuple[str, int]]:
    """Relations of the state holding any of `values`, but the erasure requests themselves."""
    con = duckdb.connect()
    con.execute("create table wanted as select unnest(?) as value", [values])
    con.execute(f"attach '{state}' as state_file (read_only)")
    hits = []
    for schema, table, column in varchar_columns(con, "state_file"):
        if "erasure" in table:
            continue
        found = con.execute(f'select count(*) from state_file."{schema}"."{table}" '
                            f'where "{column}" in (from wanted)').fetchone()[0]
        if found:
            hits.append((f"{schema}.{table}.{column}", found))
    con.close()
    return hits


def test_state_forgets_erased_persons_the_sources_removed(sample_raw, tmp_path):
    """The state keeps staging and intermediate, so it holds an erased person's data while the raw files
    deliver it. Once the sources redeliver every file that held their records without those rows, the
    next build's load manifest redoes those files and the state holds nothing of them (but their
    erasure requests, which the raw files still deliver)."""
    raw, build_db = tmp_path / "raw", tmp_path / "build.duckdb"
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    shutil.copytree(sample_raw, raw)
    first = make_build(raw, build_db, warehouse)
    assert first.returncode == 0, (first.stdout + first.stderr)[-5000:]
    state = Path(str(warehouse.parent / ".state" / "customer360.state.duckdb"))
    con = duckdb.connect(str(state), read_only=True)
    con.execute(f"create temp table truth as from read_parquet('{raw / '_truth' / 'identity.parquet'}')")
    values = erased_only_values(con)
    records = con.execute("select source_name, source_record_id from truth"
                          " where person_id in (from erased_persons)").fetchall()
    erased_emails = [v for v in values if "@" in v]
    con.close()
    assert values and erased_emails and records
    assert any(name.startswith("staging.") for name, _ in state_hits(state, values))  # the test can fail

    rewritten = 0
    for folder, id_column in {**ERASABLE_TABLES, "privacy/consent_changes": None}.items():
        source = folder.split("/")[0]
        ids = [record_id for name, record_id in records if name == source]
        if id_column:
            drop = f"{id_column} in (select unnest(?))"
            params = [ids]
        else:  # a consent change names its contact or only the e-mail, however it was typed
            drop = ("contact_id in (select unnest(?)) or list_contains(?, "
                    "regexp_replace(lower(email), '[^a-z0-9@._+-]', '', 'g'))")
            params = [[i for n, i in records if n == "crm"], erased_emails]
        for path in sorted((raw / folder).glob("load_date=*/*.parquet")):
            relation = f"read_parquet('{path}', hive_partitioning = false)"
            if not duckdb.execute(f"select count(*) from {relation} where {drop}", params).fetchone()[0]:
                continue
            redelivery = tmp_path / "redelivery.parquet"
            duckdb.execute(f"copy (select * from {relation} where not coalesce({drop}, false)) to '{redelivery}'"
                           " (format parquet)", params)
            shutil.move(redelivery, path)
            rewritten += 1
    assert rewritten

    second = make_build(raw, build_db, warehouse)
    assert second.returncode == 0, (second.stdout + second.stderr)[-5000:]
    assert "starts from the published state" in second.stderr
    assert state_hits(state, values) == []
    # the BI file was brought up to date from the first one, the removed rows gone with the rest
    updated = re.search(r"updated from the previous one: (.*) took only the rows written since", second.stderr)
    assert updated and "core.fct_customer_events" in updated[1], second.stderr[-3000:]
    assert_bi_file_is_a_fresh_write(warehouse, build_db, tmp_path / "fresh.duckdb")


def test_dbt_reads_the_raw_root_preflight_checked_whatever_dbt_args_say(sample_raw, tmp_path):
    """dbt keeps only the last --vars, so a raw_root in DBT_ARGS used to replace make's: preflight
    checked one folder and dbt built another. A decoy raw root with web orders alone shows which one
    dbt read."""
    decoy = tmp_path / "decoy"
    shutil.copytree(sample_raw / "web", decoy / "web")
    build_db = tmp_path / "build.duckdb"
    result = run(["make", "--no-print-directory", "dbt-build", f"RAW_ROOT={sample_raw}", f"BUILD_DB={build_db}",
                  f"WAREHOUSE={tmp_path / 'warehouse' / 'customer360.duckdb'}",
                  f"DBT_ARGS=--vars '{{raw_root: {decoy}, app_enabled: false}}' --select +fct_orders --indirect-selection cautious"])
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    con = duckdb.connect(str(build_db), read_only=True)
    orders = dict(con.execute("select channel, count(*) from core.fct_orders group by channel").fetchall())
    app_events = con.execute("select count(*) from staging.base_app__app_events").fetchone()[0]
    con.close()
    assert orders.get("store", 0) > 0, f"dbt read the decoy raw root: {orders}"
    assert orders.get("app", 0) == 0 and app_events == 0, "the --vars in DBT_ARGS still switch a channel off"
