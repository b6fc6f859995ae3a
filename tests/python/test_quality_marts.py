"""The quality marts recomputed in pandas from what they read: the contact decay by month (running counts,
not a join of every month to every record) and the status shares fct_quality_rates sums from the months."""
from __future__ import annotations

import pandas as pd
import pytest

STALE_CONTACT_DAYS = 365  # dbt_project.yml


@pytest.fixture()
def versions(con) -> pd.DataFrame:
    frame = con.execute(
        "select source_name, source_record_id as record_id, record_created_at as created_at,"
        " version_at as updated_at, email, phone, postal_code, email_verified_at"
        " from intermediate.int_identity__record_versions where source_name in ('web', 'store', 'crm')"
    ).df()
    frame["month"] = frame["updated_at"].dt.to_period("M").dt.to_timestamp()
    return frame.sort_values(["source_name", "record_id", "updated_at"]).reset_index(drop=True)


def expected_decay(versions: pd.DataFrame) -> pd.DataFrame:
    months = sorted(versions["month"].unique())
    created = (versions.groupby(["source_name", "record_id"])["created_at"].min()
               .dt.to_period("M").dt.to_timestamp().rename("created_month").reset_index())
    rows = []
    for field in ["email", "phone", "postal_code"]:
        previous = versions.groupby(["source_name", "record_id"])[field].shift()
        first = versions.groupby(["source_name", "record_id"]).cumcount() == 0
        changed = versions[~first & versions[field].notna() & (previous.isna() | (versions[field] != previous))]
        counts = changed.groupby(["source_name", "month"])["record_id"].nunique()
        for source in versions["source_name"].unique():
            source_created = created.loc[created["source_name"] == source, "created_month"]
            for month in months:
                rows.append({"source_name": source, "field_name": field, "month_start_date": month,
                             "active_record_count": int((source_created <= month).sum()),
                             "changed_record_count": int(counts.get((source, month), 0))})
    expected = pd.DataFrame(rows)
    crm = versions[versions["source_name"] == "crm"]
    shares = {}
    for month in months:
        seen = crm[crm["month"] <= month]
        if seen.empty:
            continue
        verified = seen.groupby("record_id")["email_verified_at"].max()
        limit = month + pd.DateOffset(months=1) - pd.Timedelta(days=STALE_CONTACT_DAYS)
        shares[month] = float((verified.isna() | (verified < limit)).mean())
    is_crm_email = (expected["source_name"] == "crm") & (expected["field_name"] == "email")
    expected["stale_share"] = expected["month_start_date"].map(shares).where(is_crm_email)
    return expected


def test_contact_decay_counts_and_stale_share_match_a_recount(con, versions):
    mart = con.execute(
        "select source_name, field_name, month_start_date, active_record_count, changed_record_count, stale_share"
        " from quality.fct_contact_decay_monthly"
    ).df()
    mart["month_start_date"] = pd.to_datetime(mart["month_start_date"])
    expected = expected_decay(versions)
    keys = ["source_name", "field_name", "month_start_date"]
    both = mart.merge(expected, on=keys, how="outer", suffixes=("", "_expected"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"].head()
    for column in ["active_record_count", "changed_record_count"]:
        assert (both[column] == both[f"{column}_expected"]).all(), column
    assert both["stale_share"].notna().sum() > 12  # the CRM e-mails of every month
    pd.testing.assert_series_equal(both["stale_share"], both["stale_share_expected"], check_names=False)


def test_status_shares_sum_the_monthly_statuses_as_a_direct_count_would(con):
    direct = con.execute(
        "select source_name, table_name, measure, outcome, count(*) as row_count"
        " from (select 'crm' as source_name, 'contacts' as table_name, 'email_status' as measure,"
        "       email_status as outcome from staging.stg_crm__contacts"
        "       union all select 'web', 'accounts', 'phone_status', phone_status from staging.stg_web__accounts)"
        " where outcome is not null group by all"
    ).df()
    rates = con.execute("select source_name, table_name, measure, outcome, row_count, row_share"
                        " from quality.fct_quality_rates where measure <> 'quarantine_reason'").df()
    both = direct.merge(rates, on=["source_name", "table_name", "measure", "outcome"], suffixes=("", "_mart"))
    assert len(both) == len(direct) > 2
    assert (both["row_count"] == both["row_count_mart"]).all()
    totals = both.groupby(["source_name", "table_name", "measure"])["row_count"].transform("sum")
    assert (abs(both["row_share"] - both["row_count"] / totals) < 1e-12).all()
