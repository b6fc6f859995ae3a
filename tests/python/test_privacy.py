"""Privacy: the BI schemas hold no clear personal data, restricted.customer_contacts holds no erased
person, every erasure request (e-mail-only ones included) is matched and logged once, measured against
the generator's ground truth (which person each source record belongs to) and the raw files."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import built_copy, dbt, run

BI_SCHEMAS = ("core", "marketing", "quality", "privacy")
# Column names that would hold clear personal data (names, contacts, address, birth date).
PII_COLUMN = re.compile(
    r"^(requester_)?(first_name|last_name|full_name|name|email|e_mail|phone|street_address|address|city|"
    r"postal_code|zip_code|birth_date|date_of_birth)$"
)
EMAIL_VALUE = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
E164_VALUE = r"^\+[1-9][0-9]{7,14}$"
# Raw customer-bearing tables: (source, table, id column, e-mail, phone, first name, last name, full name).
RAW_PEOPLE = [
    ("web", "accounts", "account_id", "email", "phone", "first_name", "last_name", None),
    ("store", "loyalty_members", "loyalty_card_id", "email", "phone", "first_name", "last_name", None),
    ("app", "app_users", "app_user_id", "email", None, "first_name", None, None),
    ("crm", "contacts", "contact_id", "email", "phone", "first_name", "last_name", None),
    ("support", "tickets", "ticket_id", "requester_email", "requester_phone", None, None, "requester_name"),
]


def salt() -> str:
    """The C360_PII_SALT dbt runs with: the environment conftest's run() gives every subprocess."""
    result = run([sys.executable, "-c", "import os; print(os.environ.get('C360_PII_SALT', ''), end='')"])
    assert result.stdout, "C360_PII_SALT must be set for dbt (tests/python/conftest.py)"
    return result.stdout


def load_people(con: duckdb.DuckDBPyConnection, raw: Path) -> None:
    """Temp tables: truth (record -> person), raw_people (every raw version's contacts, lightly normalised),
    requests (raw erasure requests with the persons they name: the CRM contact's person, or the persons
    whose records carried the staged e-mail)."""
    con.execute(f"create temp table truth as select * from read_parquet('{raw}/_truth/identity.parquet')")
    selects = []
    for source, table, id_col, email, phone, first, last, full in RAW_PEOPLE:
        first_expr = (f"split_part(trim({full}), ' ', 1)" if full else first) or "null"
        last_expr = (f"nullif(trim(substr(trim({full}), length(split_part(trim({full}), ' ', 1)) + 1)), '')"
                     if full else last) or "null"
        selects.append(f"""
            select '{source}' as source_name, {id_col} as source_record_id,
                lower(trim({email})) as email,
                {f"right(regexp_replace({phone}, '[^0-9]', '', 'g'), 9)" if phone else 'null'} as phone_tail,
                lower(trim({first_expr})) as first_name, lower(trim({last_expr})) as last_name
            from read_parquet('{raw}/{source}/{table}/*/*.parquet')""")
    con.execute("create temp table raw_people as " + " union all ".join(selects))
    # the pipeline's own standardised values of the same records (typo-corrected e-mails, E.164 phones)
    con.execute("""
        insert into raw_people
        select source_name, source_record_id, email, right(phone, 9), lower(first_name), lower(last_name)
        from intermediate.int_identity__record_versions
    """)
    con.execute(f"""
        create temp table requests as
        with raw_requests as (
            select erasure_request_id, contact_id from read_parquet('{raw}/privacy/erasure_requests/*/*.parquet')
        ),
        staged as (select erasure_request_id, email from staging.stg_privacy__erasure_requests),
        by_contact as (
            select raw_requests.erasure_request_id, truth.person_id from raw_requests
            inner join truth on truth.source_name = 'crm' and truth.source_record_id = raw_requests.contact_id
        ),
        by_email as (
            select distinct staged.erasure_request_id, truth.person_id from staged
            inner join intermediate.int_identity__record_versions as versions on versions.email = staged.email
            inner join truth using (source_name, source_record_id)
        )
        select raw_requests.erasure_request_id, raw_requests.contact_id is null as is_email_only,
            list(distinct persons.person_id) filter (where persons.person_id is not null) as person_ids
        from raw_requests
        left join (select * from by_contact union select * from by_email) as persons using (erasure_request_id)
        group by all
    """)


@pytest.fixture(scope="module")
def people(warehouse, sample_raw):
    connection = duckdb.connect(str(warehouse), read_only=True)
    load_people(connection, sample_raw)
    yield connection
    connection.close()


def test_every_request_is_matched_and_logged_once(people):
    requests = people.execute(
        "select erasure_request_id, is_email_only, len(person_ids) from requests order by 1").fetchall()
    staged = {r for (r,) in people.execute("select erasure_request_id from staging.stg_privacy__erasure_requests").fetchall()}
    assert requests and {r for r, _, _ in requests} == staged, "every raw request is staged (none quarantined)"
    assert all(n >= 1 for _, _, n in requests), "the ground truth names a person for every request"
    log = people.execute("""
        select erasure_request_id, count(*), count(customer_id), count(distinct customer_id),
            bool_and(applied_at is not null), min(matched_by)
        from privacy.privacy_erasure_log group by 1
    """).fetchall()
    assert {r for r, *_ in log} == staged, "one log entry (or more, one per customer) per request"
    assert all(rows == matched == distinct and applied for _, rows, matched, distinct, applied, _ in log), log
    email_only = [r for r, only, _ in requests if only]
    matched_by = {r: how for r, *_, how in log}
    assert email_only, "the sample has e-mail-only requests"
    assert all(matched_by[r] == "email" for r in email_only)
    columns = {c for (c,) in people.execute(
        "select column_name from duckdb_columns() where schema_name = 'privacy' and table_name = 'privacy_erasure_log'"
    ).fetchall()}
    assert columns == {"erasure_log_id", "erasure_request_id", "customer_id", "matched_by", "records_affected",
                       "requested_at", "applied_at"}
    erased = people.execute("""
        select count(*) from core.dim_customers
        where is_erased and customer_id in (select customer_id from privacy.privacy_erasure_log)
    """).fetchone()[0]
    total_erased = people.execute("select count(*) from core.dim_customers where is_erased").fetchone()[0]
    assert erased == total_erased > 0
    print(f"\nrequests {len(requests)}, e-mail-only {len(email_only)}, matched {len(log)}, customers erased {erased}")


def test_no_erased_person_in_customer_contacts(people):
    """No contacts row carries an erased person's e-mail, phone or name pair, and no contacts row is a
    customer holding any record of an erased person (ground truth)."""
    people.execute("""
        create or replace temp table erased_values as
        select raw_people.* from raw_people
        inner join truth using (source_name, source_record_id)
        where truth.person_id in (select unnest(person_ids) from requests)
    """)
    records = people.execute("select count(distinct source_name || source_record_id) from erased_values").fetchone()[0]
    assert records > 0
    customers_of_erased = people.execute("""
        select count(*) from restricted.customer_contacts as contacts
        inner join core.bridge_customer_identity as bridge using (customer_id)
        inner join truth using (source_name, source_record_id)
        where truth.person_id in (select unnest(person_ids) from requests)
    """).fetchone()[0]
    assert customers_of_erased == 0
    hits = people.execute("""
        select 'email', contacts.customer_id from restricted.customer_contacts as contacts
        where contacts.email in (select email from erased_values)
        union all
        select 'phone', contacts.customer_id from restricted.customer_contacts as contacts
        where right(contacts.phone, 9) in (select phone_tail from erased_values)
        union all
        select 'name', contacts.customer_id from restricted.customer_contacts as contacts
        inner join (select distinct first_name, last_name from erased_values where last_name is not null) as names
            on lower(contacts.first_name) = names.first_name and lower(contacts.last_name) = names.last_name
        -- a namesake: the same name pair on the records of a person who did not ask to be erased
        where not exists (
            select 1 from raw_people
            inner join truth using (source_name, source_record_id)
            where truth.person_id not in (select unnest(person_ids) from requests)
                and raw_people.first_name = names.first_name and raw_people.last_name = names.last_name
        )
    """).fetchall()
    print(f"\nerased persons' records {records}; hits in customer_contacts {len(hits)}")
    assert hits == []


def test_bi_schemas_hold_no_clear_personal_data(people):
    columns = people.execute(f"""
        select table_schema, table_name, column_name, data_type from information_schema.columns
        where table_schema in {BI_SCHEMAS}
    """).fetchall()
    assert {s for s, *_ in columns} >= {"core", "marketing", "quality", "privacy"}
    named = [(s, t, c) for s, t, c, _ in columns if PII_COLUMN.match(c.lower()) or "birth" in c.lower()]
    assert named == [], named
    text = [(s, t, c) for s, t, c, dtype in columns if dtype.upper() in ("VARCHAR", "TEXT", "STRING")]
    by_table: dict = {}
    for s, t, c in text:
        by_table.setdefault((s, t), []).append(c)
    hits = []
    for (s, t), cols in by_table.items():
        counts = people.execute("select " + ", ".join(
            f"count(*) filter (where regexp_matches(\"{c}\", '{EMAIL_VALUE}') or regexp_matches(\"{c}\", '{E164_VALUE}'))"
            for c in cols) + f" from \"{s}\".\"{t}\"").fetchone()
        hits += [(s, t, c, n) for c, n in zip(cols, counts) if n]
    print(f"\nscanned {len(text)} text columns of {len(by_table)} relations; hits {len(hits)}")
    assert hits == [], hits


def test_hashes_are_salted_sha256_of_the_standardised_values(people):
    bad = people.execute("""
        select count(*) from core.dim_customers
        where not regexp_matches(email_hash, '^[0-9a-f]{64}$') or not regexp_matches(phone_hash, '^[0-9a-f]{64}$')
    """).fetchone()[0]
    assert bad == 0
    pairs = people.execute("""
        select contacts.email, contacts.phone, dim.email_hash, dim.phone_hash
        from restricted.customer_contacts as contacts inner join core.dim_customers as dim using (customer_id)
    """).fetchall()
    assert sum(e is not None for e, *_ in pairs) > 100
    assert all((e is None) == (eh is None) and (p is None) == (ph is None) for e, p, eh, ph in pairs)
    same_email = people.execute("""
        select count(*) from (
            select contacts.email from restricted.customer_contacts as contacts
            inner join core.dim_customers as dim using (customer_id)
            group by contacts.email having count(distinct dim.email_hash) > 1
        )
    """).fetchone()[0]
    assert same_email == 0, "equal e-mails hash equally"
    used = salt()
    for other, expected in ((used, True), (used + "-other", False)):
        agree = people.execute("""
            select bool_and(dim.email_hash = sha256(?::varchar || contacts.email)) filter (where contacts.email is not null),
                bool_or(dim.phone_hash = sha256(?::varchar || contacts.phone)) filter (where contacts.phone is not null)
            from restricted.customer_contacts as contacts inner join core.dim_customers as dim using (customer_id)
        """, [other, other]).fetchone()
        assert agree == (expected, expected), (other == used, agree)
    erased = people.execute("""
        select count(*) from core.dim_customers
        where is_erased and coalesce(email_hash, phone_hash, age_band, postal_area) is not null
    """).fetchone()[0]
    assert erased == 0


def test_late_email_only_request_is_applied_and_logged_on_the_next_run(people, warehouse, sample_raw, tmp_path):
    """A daily load with an e-mail-only request for a contactable customer: the next run erases the customer,
    the log gains its row with the run's applied_at, and earlier rows keep theirs."""
    customer_id, email = people.execute("""
        select customer_id, email from restricted.customer_contacts
        where email is not null and is_email_contactable order by customer_id limit 1
    """).fetchone()
    before = dict(people.execute(
        "select erasure_log_id, applied_at from privacy.privacy_erasure_log").fetchall())
    raw, db = tmp_path / "raw", tmp_path / "customer360.duckdb"
    built_copy(sample_raw, warehouse, raw, db)
    folder = raw / "privacy" / "erasure_requests" / "load_date=2025-07-01"
    folder.mkdir(parents=True)
    schema = pq.read_schema(next((raw / "privacy" / "erasure_requests").glob("*/*.parquet")))
    pq.write_table(pa.table({"erasure_request_id": ["ER9999999"], "contact_id": [None], "email": [f" {email.upper()} "],
                             "requested_at": ["2025-07-01 08:00:00"]}, schema=schema), folder / "part-0.parquet")
    result = dbt("run", raw, db, "--select", "base_privacy__erasure_requests+", "--exclude", "path:models/marts/marketing")
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        log = con.execute("""
            select customer_id, matched_by, applied_at from privacy.privacy_erasure_log
            where erasure_request_id = 'ER9999999'
        """).fetchall()
        after = dict(con.execute("select erasure_log_id, applied_at from privacy.privacy_erasure_log").fetchall())
        is_erased = con.execute("select is_erased from core.dim_customers where customer_id = ?", [customer_id]).fetchone()[0]
        in_contacts = con.execute(
            "select count(*) from restricted.customer_contacts where customer_id = ?", [customer_id]).fetchone()[0]
    assert [(c, m) for c, m, _ in log] == [(customer_id, "email")]
    assert log[0][2] > max(before.values())
    assert {k: after[k] for k in before} == before, "applied_at of earlier rows is kept"
    assert is_erased and in_contacts == 0
