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
