"""A Markdown report of the published warehouse for marketing: customers and contactability, RFM
segments, lifecycle stage counts per month, churn model quality, CLV and erasure requests; or, with
--format html, one self-contained HTML page of charts (scripts/report_html.py).

    python -m scripts report [--warehouse warehouse/customer360.duckdb] [--months 12] [--out build/report.md]
    python -m scripts report --format html [--out build/report/customer360_report.html]

Every figure is one query on the marts; nothing is computed here that the warehouse does not hold.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

# duckdb and pandas are imported where used: `report --help` must not load them (about 1 s)
from scripts.arguments import positive_int

REPO = Path(__file__).resolve().parent.parent
HTML_OUT = REPO / "build" / "report" / "customer360_report.html"
STAGES = ["new", "active", "reactivated", "at_risk", "lapsed", "churned"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", type=Path, default=REPO / "warehouse" / "customer360.duckdb",
                        help="published warehouse file to report on (default: %(default)s)")
    parser.add_argument("--months", type=positive_int, default=12,
                        help="months of lifecycle stage counts (HTML: of stage changes), >= 1 (default: %(default)s)")
    parser.add_argument("--format", choices=["markdown", "html"], default="markdown",
                        help="markdown (default) or html: one self-contained page of charts, no network needed")
    parser.add_argument("--out", type=Path, default=None,
                        help="file to write, its folder created if needed (default: standard output for "
                             f"markdown, {HTML_OUT.relative_to(REPO)} for html)")


def check_args(args: argparse.Namespace) -> str | None:
    """Checks reported as usage errors by the CLI."""
    if not args.warehouse.is_file():
        return f"no warehouse file at {args.warehouse}; run `make build` first or pass --warehouse"
    if args.out is not None and args.out.is_dir():
        return f"--out {args.out} is a folder; give the report's file name"
    return None


def markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(column) for column in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(format_cell(value) for value in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def format_cell(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def stage_counts(con: duckdb.DuckDBPyConnection, months: int) -> pd.DataFrame:
    """Customers per lifecycle stage at each of the last `months` month ends (columns = stages)."""
    counts = con.execute(
        """
        select month_end_date, lifecycle_stage, customers
        from marketing.customer_lifecycle_monthly
        where calendar_month_end_date in (
            select distinct calendar_month_end_date from marketing.customer_lifecycle_monthly
            order by calendar_month_end_date desc limit ?
        )
        """,
        [months],
    ).df()
    if counts.empty:
        import pandas as pd

        return pd.DataFrame(columns=["month_end_date", *STAGES])
    wide = counts.pivot(index="month_end_date", columns="lifecycle_stage", values="customers").fillna(0)
    wide = wide.reindex(columns=STAGES, fill_value=0).astype(int).sort_index().reset_index()
    wide["month_end_date"] = wide["month_end_date"].astype(str).str[:10]
    return wide


def erasure_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    """Erasure requests, those that match no customer yet, customers erased; None for a warehouse
    published before the privacy schema existed."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'privacy' and table_name = 'privacy_erasure_log'"
    ).fetchone()[0]
    if not exists:
        return None
    return con.execute(
        """
        select count(distinct erasure_request_id) as erasure_requests,
            count(distinct case when customer_id is null then erasure_request_id end) as unmatched_requests,
            count(distinct customer_id) as customers_erased,
            coalesce(max(applied_at)::varchar, '') as last_applied_at
        from privacy.privacy_erasure_log
        """
    ).df()


def build_report(warehouse: Path, months: int) -> str:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        customers = con.execute(
            """
            select count(*) as customers,
                count(case when lifetime_order_count > 0 then 1 end) as buyers,
                count(case when is_email_contactable then 1 end) as email_contactable,
                count(case when is_erased then 1 end) as erased
            from core.dim_customers
            """
        ).df()
        segments = con.execute(
            """
            select rfm_segment, count(*) as customers, round(avg(monetary_window), 2) as avg_spend_window
            from marketing.customer_rfm group by rfm_segment order by customers desc
            """
        ).df()
        churn = con.execute(
            """
            select labelled_through_date::date::varchar as labelled_through, training_rows, test_rows,
                model_test_auc, baseline_recency_test_auc
            from marketing.churn_model_fits order by labelled_through_date desc limit 1
            """
        ).df()
        risk = con.execute(
            """
            select churn_risk_band, count(*) as customers from marketing.customer_churn_scores
            group by churn_risk_band order by min(churn_probability)
            """
        ).df()
        clv = con.execute(
            """
            select max(clv_calibration_end_date)::date::varchar as calibration_end, max(clv_horizon_days) as horizon_days,
                count(*) as customers, round(avg(probability_alive), 3) as avg_p_alive,
                round(sum(expected_purchase_days), 0) as expected_purchase_days, round(sum(expected_clv), 0) as expected_clv
            from marketing.customer_clv
            """
        ).df()
        stages = stage_counts(con, months)
        erasures = erasure_summary(con)
    finally:
        con.close()
    sections = [
        "# customer360 report",
        "## Customers\n" + markdown_table(customers),
        "## RFM segments\n" + markdown_table(segments),
        f"## Lifecycle stages, last {months} month ends (customers who had bought)\n" + markdown_table(stages),
        "## Churn model (latest fit)\n" + markdown_table(churn) + "\n\n" + markdown_table(risk),
        "## Customer lifetime value (BG/NBD + Gamma-Gamma)\n" + markdown_table(clv),
    ]
    if erasures is not None:
        sections.append("## Erasure requests (privacy_erasure_log)\n" + markdown_table(erasures))
    return "\n\n".join(sections) + "\n"


def run(args: argparse.Namespace) -> int:
    import duckdb

    if not args.warehouse.exists():
        print(f"report: error: no warehouse at {args.warehouse}; run `make build` first", file=sys.stderr)
        return 2
    if args.format == "html" and args.out is None:
        args.out = HTML_OUT
    try:
        if args.format == "html":
            from scripts.report_html import build_html

            text = build_html(args.warehouse, args.months)
        else:
            text = build_report(args.warehouse, args.months)
    except duckdb.Error as e:  # not a warehouse, locked, or published before a mart existed
        print(f"report: error: cannot read {args.warehouse}: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    if args.out:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text)
        except OSError as e:  # a read-only place, a file where a folder should be
            print(f"report: error: cannot write --out {args.out}: {e.strerror or e}", file=sys.stderr)
            return 2
        print(f"report: {args.out}")
    else:
        print(text, end="")
    return 0
