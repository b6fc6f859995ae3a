"""Audiences (models/marts/activation, seeds/audiences.csv, macros/activation): hostile predicates stop
the build, members respect consent, erasure, contacts and campaign fatigue, holdouts are stable,
the membership history records entries and exits, and the export writes owner-only files."""
from __future__ import annotations

import csv
import hashlib
import shutil
import stat
import sys
from pathlib import Path

import duckdb
import jinja2
import pytest

from conftest import REPO, dbt, run
from scripts.publish import publish

MACROS = REPO / "macros" / "activation"
ALLOWED = ["lifecycle_stage", "monetary_score", "recency_score", "frequency_score", "is_loyalty_member",
           "churn_probability", "clv_quintile", "lifetime_order_count"]


class CompilerError(Exception):
    pass


class Exceptions:
    @staticmethod
    def raise_compiler_error(message):
        raise CompilerError(message)


class Modules:
    import re


def audience_predicate(name: str, predicate: str) -> str:
    """Render macros/activation/audience_predicate.sql with plain Jinja and the two dbt context
    objects it uses, so many predicates are checked in milliseconds."""
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    template = env.from_string((MACROS / "audience_predicate.sql").read_text())
    module = template.make_module({"modules": Modules, "exceptions": Exceptions})
    return str(module.audience_predicate(name, predicate, ALLOWED)).strip()


@pytest.mark.parametrize("predicate", [
    row["predicate"] for row in csv.DictReader((REPO / "seeds" / "audiences.csv").open())
] + ["coalesce(churn_probability, 0) between 0.5 and 1", "lifecycle_stage like 'at%' or not (recency_score <> 5)"])
def test_predicate_check_accepts_the_shipped_audiences(predicate):
    assert audience_predicate("ok", predicate) == predicate.strip()


@pytest.mark.parametrize("predicate, said", [
    ("recency_score = 5; drop table core.dim_customers", "contains ';'"),
    ("recency_score = 5 or email = 'x@example.com'", "names 'email'"),
    ("recency_score in (select recency_score from restricted.customer_contacts)", "names 'select'"),
    ("recency_score = 5 -- and monetary_score = 1", "contains '--'"),
    ("recency_score = 5 /* comment */", "contains '/*'"),
    ('"recency_score" = 5', "contains '\"'"),
    ("recency_score = 5) or (1 = 1", "closes a parenthesis"),
    ("(recency_score = 5", "leaves a parenthesis open"),
    ("read_csv('/etc/passwd') is not null", "names 'read_csv'"),
    ("lifecycle_stage = 'at_risk", "contains the character"),
    ("recency_score = 5 {{ log('x') }}", "contains the character '{'"),
    ("   ", "is empty"),
])
def test_predicate_check_rejects_hostile_predicates_naming_the_audience(predicate, said):
    with pytest.raises(CompilerError) as error:
        audience_predicate("evil_audience", predicate)
    message = str(error.value)
    assert "audience 'evil_audience'" in message and said in message and "\n" not in message


@pytest.fixture(scope="module")
def audience_db(warehouse, tmp_path_factory) -> Path:
    """A private copy of the session warehouse (dbt names the database after the file stem)."""
    db = tmp_path_factory.mktemp("audiences") / "customer360.duckdb"
    shutil.copy(warehouse, db)
    return db


def set_audiences(db: Path, rows: list[tuple]) -> None:
    con = duckdb.connect(str(db))
    con.execute("delete from reference.audiences")
    con.executemany("insert into reference.audiences values (?, ?, ?, ?, ?, ?)", rows)
    con.close()


def seed_rows(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("select * from reference.audiences order by audience_name").fetchall()
    con.close()
    return rows


def test_hostile_predicate_stops_the_build_before_any_sql_runs(sample_raw, audience_db, tmp_path):
    db = tmp_path / "customer360.duckdb"
    shutil.copy(audience_db, db)
    set_audiences(db, [("evil_audience", "x", "x", "email",
                        "recency_score = 5); drop table core.dim_customers; select (1", 0)])
    result = dbt("run", sample_raw, db, "--select", "audience_matches")
    assert result.returncode != 0
    lines = [line for line in result.stdout.splitlines() if "audience 'evil_audience'" in line]
    assert lines and "contains ';'" in lines[0], result.stdout[-2000:]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from core.dim_customers").fetchone()[0] > 0
    con.close()


def test_unknown_channel_and_bad_name_stop_the_build(sample_raw, audience_db, tmp_path):
    db = tmp_path / "customer360.duckdb"
    shutil.copy(audience_db, db)
    set_audiences(db, [("Bad Name", "x", "x", "email", "recency_score = 5", 0)])
    result = dbt("run", sample_raw, db, "--select", "audience_definitions")
    assert result.returncode != 0 and "audience 'Bad Name'" in result.stdout and "lower-case" in result.stdout


def test_members_respect_consent_erasure_contacts_and_fatigue(con):
    violations = con.execute("""
        select count(*)
        from restricted.audience_members as members
        inner join core.dim_customers as customers using (customer_id)
        left join restricted.customer_contacts as contacts using (customer_id)
        left join restricted.customer_campaign_fatigue as fatigue using (customer_id)
        where customers.is_erased
           or not case members.channel when 'email' then customers.has_email_consent
                when 'sms' then customers.has_sms_consent when 'push' then customers.has_push_consent
                when 'phone' then customers.has_phone_consent else customers.has_direct_mail_consent end
           or (members.channel = 'email' and (contacts.email is null or customers.is_email_bounced))
           or (members.channel in ('sms', 'phone') and contacts.phone is null)
           or coalesce(fatigue.is_campaign_fatigued, false)
    """).fetchone()[0]
    assert violations == 0
    for table in ("audience_attributes", "audience_matches", "campaign_member_responses", "customer_campaign_fatigue"):
        erased = con.execute(f"select count(*) from restricted.{table} where customer_id in "
                             "(select customer_id from core.dim_customers where is_erased)").fetchone()[0]
        assert erased == 0, table
    # every selected customer is either a member or counted once under one reason
    selected, members, excluded = con.execute("""
        select sum(selected_count), sum(member_count),
               (select sum(customer_count) from restricted.audience_exclusions)
        from restricted.audience_definitions""").fetchone()
    assert selected == members + excluded and members > 0 and excluded > 0
    reasons = {row[0] for row in con.execute(
        "select exclusion_reason from restricted.audience_exclusions where customer_count > 0").fetchall()}
    assert {"no_consent", "ignored_last_campaigns"} <= reasons


def test_every_shipped_audience_selects_someone_and_predicates_match_sql(con):
    for name, predicate, selected in con.execute(
            "select audience_name, predicate, selected_count from restricted.audience_definitions").fetchall():
        expected = con.execute(
            f"select count(*) from restricted.audience_attributes where coalesce(({predicate}), false)").fetchone()[0]
        assert selected == expected and selected > 0, name


def test_holdout_is_the_md5_bucket_and_marked_not_dropped(con):
    rows = con.execute("""
        select matches.audience_name, matches.customer_id, matches.holdout_bucket, matches.is_holdout,
               definitions.holdout_percent
        from restricted.audience_matches as matches
        inner join restricted.audience_definitions as definitions using (audience_name)
        where matches.exclusion_reason is null""").fetchall()
    for audience, customer, bucket, is_holdout, percent in rows:
        expected = int(hashlib.md5(f"{customer}|{audience}".encode()).hexdigest()[:8], 16) % 10000
        assert bucket == expected
        assert is_holdout == (expected < percent * 100)
    holdouts = sum(1 for row in rows if row[3])
    members_marked = con.execute("select count(*) from restricted.audience_members where is_holdout").fetchone()[0]
    assert holdouts == members_marked > 0


def members_from_history(con) -> set:
    return set(con.execute("""
        select audience_name, customer_id from (
            select audience_name, customer_id, change_type,
                   row_number() over (partition by audience_name, customer_id order by built_at desc) as change_rank
            from restricted.audience_membership_history)
        where change_rank = 1 and change_type = 'entered'""").fetchall())


def test_membership_history_records_entries_and_exits(sample_raw, audience_db):
    con = duckdb.connect(str(audience_db), read_only=True)
    first = members_from_history(con)
    assert first == set(con.execute("select audience_name, customer_id from restricted.audience_members").fetchall())
    assert con.execute("select count(distinct change_type) from restricted.audience_membership_history").fetchone()[0] == 1
    con.close()
    # the second build sees changed data: champions narrowed to those above their median order count
    # (exits), and a new audience of active customers (entries)
    con = duckdb.connect(str(audience_db), read_only=True)
    median_orders = con.execute("""
        select median(lifetime_order_count) from restricted.audience_attributes
        where customer_id in (select customer_id from restricted.audience_members where audience_name = 'champions')
    """).fetchone()[0]
    con.close()
    narrowed = f"recency_score = 5 and frequency_score = 5 and monetary_score = 5 and lifetime_order_count > {median_orders}"
    rows = [row if row[0] != "champions" else (*row[:4], narrowed, row[5]) for row in seed_rows(audience_db)]
    rows.append(("active_customers", "Active buyers.", "crm-team", "email", "lifecycle_stage = 'active'", 0))
    set_audiences(audience_db, rows)
    # and a member asks to be erased: their history goes, rather than closing with 'left'
    erased = sorted(first)[0][1]
    writable = duckdb.connect(str(audience_db))
    writable.execute("update core.dim_customers set is_erased = true where customer_id = ?", [erased])
    writable.close()
    result = dbt("run", sample_raw, audience_db, "--select", "audience_attributes+")
    assert result.returncode == 0, result.stdout[-3000:]
    con = duckdb.connect(str(audience_db), read_only=True)
    second = set(con.execute("select audience_name, customer_id from restricted.audience_members").fetchall())
    changes = dict(con.execute("""
        select change_type, count(*) from restricted.audience_membership_history
        where built_at = (select max(built_at) from restricted.audience_membership_history) group by 1""").fetchall())
    assert changes.get("entered") == len(second - first) > 0
    assert changes.get("left") == len({pair for pair in first - second if pair[1] != erased}) > 0
    assert members_from_history(con) == second
    assert con.execute("select count(*) from restricted.audience_membership_history where customer_id = ?",
                       [erased]).fetchone()[0] == 0
    n_rows = con.execute("select count(*) from restricted.audience_membership_history").fetchone()[0]
    con.close()
    # a build that changes nothing records nothing
    result = dbt("run", sample_raw, audience_db, "--select", "audience_membership_history")
    assert result.returncode == 0, result.stdout[-3000:]
    con = duckdb.connect(str(audience_db), read_only=True)
    assert con.execute("select count(*) from restricted.audience_membership_history").fetchone()[0] == n_rows
    con.close()


@pytest.fixture(scope="module")
def published(warehouse, tmp_path_factory) -> Path:
    bi = tmp_path_factory.mktemp("published") / "customer360.duckdb"
    publish(warehouse, bi, require_audit=False)
    return bi


def test_activation_models_are_published_to_the_restricted_file_only(published):
    restricted = published.with_name("customer360_restricted.duckdb")
    con = duckdb.connect(str(restricted), read_only=True)
    tables = {row[0] for row in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'restricted'").fetchall()}
    con.close()
    assert {"audience_members", "audience_exclusions", "audience_definitions", "audience_membership_history",
            "customer_contacts"} <= tables
    con = duckdb.connect(str(published), read_only=True)
    in_bi = con.execute("select count(*) from duckdb_tables() where table_name like 'audience%' "
                        "or table_name = 'customer_contacts'").fetchone()[0]
    con.close()
    assert in_bi == 0


def export(*args) -> object:
    return run([sys.executable, "-m", "scripts", "export-audience", *args])


def test_export_writes_owner_only_csv_and_parquet_without_holdouts(published, tmp_path):
    out = tmp_path / "exports"
    result = export("champions", "--warehouse", published, "--out", out)
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(published.with_name("customer360_restricted.duckdb")), read_only=True)
    expected = con.execute("select count(*) from restricted.audience_members "
                           "where audience_name = 'champions' and not is_holdout").fetchone()[0]
    con.close()
    for name in ("champions.csv", "champions.parquet"):
        path = out / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    frame = duckdb.connect().execute(
        f"select count(*), count(email), count(distinct customer_id) from read_parquet('{out / 'champions.parquet'}')"
    ).fetchone()
    assert frame == (expected, expected, expected) and expected > 0
    with (out / "champions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == expected and set(rows[0]) == {"audience_name", "customer_id", "channel", "first_name", "email"}
    assert [p.name for p in out.iterdir()] and all(not p.name.startswith(".") for p in out.iterdir())


def test_export_errors_are_one_line(published, tmp_path):
    result = export("no_such_audience", "--warehouse", published, "--out", tmp_path)
    assert result.returncode == 2 and "known audiences: champions, high_churn_risk_high_clv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = export("champions", "--warehouse", tmp_path / "missing" / "customer360.duckdb", "--out", tmp_path)
    assert result.returncode == 2 and "run `make build`" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not list(tmp_path.glob("*.csv"))
