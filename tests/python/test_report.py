"""The report command reads the marts: its lifecycle table is customer_lifecycle_monthly, pivoted."""
from __future__ import annotations

import duckdb

from scripts.report import STAGES, build_report, stage_counts


def test_stage_counts_are_the_monthly_mart(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        wide = stage_counts(con, 6)
        expected = con.execute(
            """
            select count(*), sum(customers) from marketing.customer_lifecycle_monthly
            where calendar_month_end_date >= (
                select max(calendar_month_end_date) - interval 5 months from marketing.customer_lifecycle_monthly
            )
            """
        ).fetchone()
        history_customers = con.execute(
            "select count(*) from marketing.customer_rfm_history"
            " where calendar_month_end_date = (select max(calendar_month_end_date) from marketing.customer_rfm_history)"
        ).fetchone()[0]
    finally:
        con.close()
    assert len(wide) == 6 and list(wide.columns) == ["month_end_date", *STAGES]
    assert expected[0] == 6 * len(STAGES)
    assert int(wide[STAGES].to_numpy().sum()) == expected[1]
    # every customer with a purchase is in exactly one stage at the latest month end
    assert int(wide[STAGES].iloc[-1].sum()) == history_customers > 0


def test_report_has_every_section(warehouse):
    text = build_report(warehouse, 12)
    for heading in ("## Customers", "## RFM segments", "## Lifecycle stages", "## Churn model", "## Customer lifetime value"):
        assert heading in text
    assert "| month_end_date | new | active |" in text
