"""Staging repairs the defects the generator injected, measured against its ground truth."""
from __future__ import annotations

import pytest

# One row per staged contact-bearing record version, with the raw and the standardised values.
STAGED_CONTACTS = """
select 'web' as source_name, account_id as record_id, email_raw, email, phone_raw, phone,
    country_code, postal_code from staging.stg_web__accounts
union all
select 'store', loyalty_card_id, email_raw, email, phone_raw, phone, country_code, postal_code
from staging.stg_store__loyalty_members
union all
select 'crm', contact_id, email_raw, email, phone_raw, phone, country_code, postal_code from staging.stg_crm__contacts
union all
select 'support', ticket_id, requester_email_raw, requester_email, requester_phone_raw, requester_phone, null, null
from staging.stg_support__tickets
union all
select 'app', app_user_id, email_raw, email, null, null, null, null from staging.stg_app__app_users
"""

# Staged value that should equal the defect's clean_value, and how to find the delivered dirty value.
CHECKS = {
    "email_domain_typo": ("email", "lower(trim(s.email_raw)) = lower(trim(d.dirty_value))"),
    "phone_format": ("phone", "s.phone_raw = d.dirty_value"),
}


def repaired_share(con, sample_raw, defect_type: str, sources: tuple[str, ...]) -> tuple[float, int]:
    column, match = CHECKS[defect_type]
    placeholders = ", ".join("?" for _ in sources)
    total, repaired = con.execute(
        f"""
        with s as ({STAGED_CONTACTS}),
        d as (select * from read_parquet('{sample_raw}/_truth/defects.parquet') where defect_type = ?)
        select count(*), count(case when s.{column} = d.clean_value then 1 end)
        from d join s on s.source_name = d.source_name and s.record_id = d.source_record_id and {match}
        where d.source_name in ({placeholders})
        """,
        [defect_type, *sources],
    ).fetchone()
    return repaired / total, total


def test_email_domain_typos_are_corrected(con, sample_raw):
    share, n = repaired_share(con, sample_raw, "email_domain_typo", ("web", "store", "app", "crm", "support"))
    assert n > 20
    assert share >= 0.98, f"{share:.3f} of {n} injected e-mail domain typos corrected"


def test_phones_with_a_country_are_normalised_to_e164(con, sample_raw):
    share, n = repaired_share(con, sample_raw, "phone_format", ("web", "store", "crm"))
    assert n > 500
    assert share >= 0.99, f"{share:.3f} of {n} phone variants normalised"


def test_phones_without_a_country_are_read_in_the_default_country(con, sample_raw):
    """Support tickets carry no country: national formats are read as var('default_country_code'),
    so only the default country's numbers (and international formats) can come out right."""
    share, n = repaired_share(con, sample_raw, "phone_format", ("support",))
    assert n > 20
    assert 0.4 <= share <= 1.0, f"{share:.3f} of {n} ticket phone variants normalised"


@pytest.mark.parametrize("defect_type, column", [("country_noise", "country_code"), ("postal_code_noise", "postal_code")])
def test_country_and_postal_code_noise_is_standardised(con, sample_raw, defect_type, column):
    total, repaired = con.execute(
        f"""
        with s as ({STAGED_CONTACTS}),
        d as (select * from read_parquet('{sample_raw}/_truth/defects.parquet') where defect_type = ?)
        select count(distinct d.source_record_id), count(distinct case when s.{column} = d.clean_value then d.source_record_id end)
        from d join s on s.source_name = d.source_name and s.record_id = d.source_record_id
        """,
        [defect_type],
    ).fetchone()
    assert total > 50
    assert repaired / total >= 0.99, f"{repaired / total:.3f} of {total} records with {defect_type} standardised"


def test_placeholders_never_reach_staged_emails(con):
    leaked = con.execute(
        "select count(*) from staging.stg_crm__contacts where email in ('test@test.com', 'noemail@noemail.com')"
    ).fetchone()[0]
    assert leaked == 0


# Names as people write them: (raw value, name_case, family_name, given_name), Dutch, German, Irish and
# Scottish names in the case noise the exports carry (ALL CAPS, all lower, sWAPPED).
NAMES = [
    ("jan de jong", "Jan de Jong", "de Jong", "Jan"),
    ("DE JONG", "de Jong", "de Jong", None),
    ("pieter VAN DER BERG", "Pieter van der Berg", "van der Berg", "Pieter"),
    ("aNNA vAN dEN bROEK", "Anna van den Broek", "van den Broek", "Anna"),
    ("kees van 't hek", "Kees van 't Hek", "van 't Hek", "Kees"),
    ("Jansen", "Jansen", None, "Jansen"),
    ("anna jansen", "Anna Jansen", "Jansen", "Anna"),
    ("wernher von braun", "Wernher von Braun", "von Braun", "Wernher"),
    ("KARL-HEINZ MÜLLER-LÜDENSCHEIDT", "Karl-Heinz Müller-Lüdenscheidt", "Müller-Lüdenscheidt", "Karl-Heinz"),
    ("ursula von der leyen", "Ursula von der Leyen", "von der Leyen", "Ursula"),
    ("siobhan o'brien", "Siobhan O'Brien", "O'Brien", "Siobhan"),
    ("SEÁN O’NEILL", "Seán O'Neill", "O'Neill", "Seán"),
    ("giulia d'angelo", "Giulia D'Angelo", "D'Angelo", "Giulia"),
    ("RONALD MCDONALD", "Ronald McDonald", "McDonald", "Ronald"),
    ("ewan mcgregor", "Ewan McGregor", "McGregor", "Ewan"),
    ("Ian MacLeod", "Ian MacLeod", "MacLeod", "Ian"),
    ("IAN MACLEOD", "Ian Macleod", "Macleod", "Ian"),  # all caps cannot say whether Mac is a prefix
    ("tom mack", "Tom Mack", "Mack", "Tom"),
    ("Pieter", "Pieter", None, "Pieter"),  # ends in a particle's letters ("ter"), is not one
    ("Van", "Van", None, "Van"),  # a particle with no word after it is the name itself
]


@pytest.fixture(scope="module")
def cased_names(tmp_path_factory) -> dict[str, tuple]:
    """The name macros compiled by dbt (target ci, so DuckDB's dispatch) and run on every case in DuckDB."""
    import duckdb

    from conftest import BIN, run

    values = ", ".join("('" + raw.replace("'", "''") + "')" for raw, *_ in NAMES)
    inline = (
        "with cased as (select raw, {{ name_case('raw') }} as cased from (values " + values + ") as t (raw)) "
        "select raw, cased, {{ family_name('cased') }} as family, {{ given_name('cased') }} as given from cased"
    )
    db = tmp_path_factory.mktemp("names") / "names.duckdb"
    result = run([BIN / "dbt", "--quiet", "compile", "--target", "ci", "--inline", inline],
                 env={"C360_BUILD_DB": str(db)}, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = duckdb.connect().execute(result.stdout).fetchall()
    return {raw: (cased, family, given) for raw, cased, family, given in rows}


@pytest.mark.parametrize("raw, cased, family, given", NAMES, ids=[n[0] for n in NAMES])
def test_names_keep_their_documented_case(cased_names, raw, cased, family, given):
    assert cased_names[raw] == (cased, family, given)

