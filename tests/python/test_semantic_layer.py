"""Semantic layer (models/semantic): `dbt parse` accepts the semantic models and metrics, and `mf query`
answers each metric on the DuckDB build with the value plain SQL gives."""
from __future__ import annotations

import csv
import math

import duckdb
import pytest

from conftest import BIN, project_copy, run

# metric -> the same figure in plain SQL over the marts
EXPECTED_SQL = {
    "revenue": "select sum(net_amount) from core.fct_orders",
    "orders": "select count(*) from core.fct_orders where not is_refund",
    "average_order_value": "select sum(net_amount) / count(*) from core.fct_orders where not is_refund",
    "active_customers": "select count(distinct customer_id) from core.fct_orders where not is_refund",
    "repeat_purchase_rate": "select count(case when lifetime_order_count >= 2 then 1 end) "
                            "/ count(case when lifetime_order_count >= 1 then 1 end) from core.dim_customers",
    "churn_rate": "select count(case when lifecycle_stage = 'churned' then 1 end) "
                  "/ count(case when lifecycle_stage <> 'prospect' then 1 end) from marketing.customer_lifecycle",
    "response_rate": "select avg(case when has_responded then 1.0 else 0.0 end) "
                     "from restricted.campaign_member_responses where group_name = 'target'",
}


CAMPAIGN_LIFT_SQL = """
    select sum(target_responder_count) / sum(targeted_count) - sum(control_responder_count) / sum(control_count)
    from marketing.fct_campaign_performance where is_all_segments and is_measurable
"""


@pytest.fixture(scope="module")
def project(warehouse, tmp_path_factory):
    """mf reads <project>/target/semantic_manifest.json whatever DBT_TARGET_PATH says, and its relations
    carry the database name of the file the parse used. So mf runs in a copy of the project, parsed against
    the warehouse queried: no other test's dbt (another pytest worker's) can replace that file meanwhile."""
    folder = project_copy(tmp_path_factory.mktemp("semantic_project"))
    result = run([BIN / "dbt", "parse", "--target", "ci"], cwd=folder,
                 env={"C360_BUILD_DB": str(warehouse), "DBT_TARGET_PATH": str(folder / "target")})
    assert result.returncode == 0, result.stdout[-3000:]
    return folder


def mf_query(project, warehouse, tmp_path, *args: str) -> list[dict]:
    out = tmp_path / "result.csv"
    result = run([BIN / "mf", "query", *args, "--csv", out], cwd=project,
                 env={"DBT_TARGET": "ci", "C360_BUILD_DB": str(warehouse)})
    assert result.returncode == 0 and out.is_file(), (result.stdout + result.stderr)[-3000:]
    with out.open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("metric", sorted(EXPECTED_SQL))
def test_mf_query_matches_plain_sql(metric, project, warehouse, tmp_path):
    rows = mf_query(project, warehouse, tmp_path, "--metrics", metric)
    con = duckdb.connect(str(warehouse), read_only=True)
    expected = float(con.execute(EXPECTED_SQL[metric]).fetchone()[0])
    con.close()
    assert len(rows) == 1
    assert math.isclose(float(rows[0][metric]), expected, rel_tol=1e-9), (rows, expected)
    assert expected > 0


def test_mf_query_by_month_uses_the_time_spine(project, warehouse, tmp_path):
    rows = mf_query(project, warehouse, tmp_path, "--metrics", "revenue", "--group-by", "metric_time__month")
    con = duckdb.connect(str(warehouse), read_only=True)
    expected = dict(con.execute(
        "select date_trunc('month', ordered_date), sum(net_amount) from core.fct_orders group by 1").fetchall())
    con.close()
    got = {row["metric_time__month"][:10]: float(row["revenue"]) for row in rows}
    assert got == {str(month)[:10]: pytest.approx(float(value)) for month, value in expected.items()}


def test_mf_campaign_lift_pools_the_measurable_campaigns_once(project, warehouse, tmp_path):
    """campaign_lift = pooled target minus control conversion over the 'All segments' rows of measurable
    campaigns. At 2,000 customers no control group reaches campaign_min_group_size, so a copy marks the
    campaigns with 5+ control members measurable: the segment rows and the other campaigns must stay out."""
    import shutil

    copy = tmp_path / "customer360.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("update marketing.fct_campaign_performance set is_measurable = control_count >= 5")
    expected = con.execute(CAMPAIGN_LIFT_SQL).fetchone()[0]
    everything = con.execute(CAMPAIGN_LIFT_SQL.replace("is_all_segments and is_measurable", "true")).fetchone()[0]
    con.close()
    rows = mf_query(project, copy, tmp_path, "--metrics", "campaign_lift")
    assert len(rows) == 1 and expected is not None and not math.isclose(expected, everything)
    assert math.isclose(float(rows[0]["campaign_lift"]), expected, rel_tol=1e-9), (rows, expected)
