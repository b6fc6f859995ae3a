"""The report command reads the marts: its lifecycle table is customer_lifecycle_monthly, pivoted; the HTML
report draws every chart in headless Chromium without a console error."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from scripts.report import STAGES, build_report, stage_counts

REPO = Path(__file__).resolve().parents[2]


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


# ---- the HTML report (scripts/report_html.py) in a real browser ----------------------------------------

CHARTS = ["rfm_grid_count", "rfm_grid_value", "segment_sizes", "lifecycle_stages", "lifecycle_flow", "churn_risk",
          "churn_calibration", "clv_distribution", "contact_decay", "contact_quality", "typo_trend", "campaign_lift"]
SHOTS = REPO / "build" / "report"
# Appended to a copy of the page only: after layout, report per chart what the browser really drew
# (elements with a non-empty bounding box), and whether the page asked for any resource.
CHECK_SCRIPT = """<script>
const result = {};
for (const svg of document.querySelectorAll('svg[data-chart]')) {
  const marks = [...svg.querySelectorAll('rect, path, circle, polyline, line')]
    .filter(e => { const b = e.getBBox(); return b.width > 0 || b.height > 0; });
  const box = svg.getBoundingClientRect();
  result[svg.dataset.chart] = {marks: marks.length, width: box.width, height: box.height,
    nodata: svg.querySelector('text.no-data') !== null, title: (svg.querySelector('title') || {}).textContent || ''};
}
result.__resources = performance.getEntriesByType('resource').map(r => r.name);
const pre = document.createElement('pre'); pre.id = 'chart-check'; pre.textContent = JSON.stringify(result);
document.body.appendChild(pre);
</script>"""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed when missing (the test machines run as root and reach Debian's mirrors)."""
    found = shutil.which("chromium")
    if found:
        return found
    install = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
                             capture_output=True, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    found = shutil.which("chromium")
    if not found:
        pytest.fail("headless Chromium is needed for the HTML report test and `apt-get install -y chromium` failed: "
                    + (install.stderr.strip().splitlines() or ["no output"])[-1])
    return found


def browse(chromium: str, page: Path, *args: str) -> subprocess.CompletedProcess:
    # a private, throw-away profile: a concurrent Chromium (another test run) must not share its lock
    with tempfile.TemporaryDirectory(prefix="c360-chromium-") as profile:
        return subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
             f"--user-data-dir={profile}", "--no-first-run", *args, page.as_uri()],
            capture_output=True, text=True, timeout=180,
        )


def console_errors(stderr: str) -> list[str]:
    # Chromium logs the page's console as 'INFO:CONSOLE:<line>]' (older builds ':CONSOLE(<line>)]'); the
    # report has no script, so any console line (the check script writes none) is a fault
    return [line for line in stderr.splitlines() if re.search(r":CONSOLE[:(]", line) or "Uncaught" in line]


def test_console_errors_are_caught(chromium, tmp_path):
    """The detector itself: a page that logs an error and throws must not pass."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>console.error('broken'); undefinedFunction();</script></body></html>")
    errors = console_errors(browse(chromium, page, "--dump-dom").stderr)
    assert any("broken" in line for line in errors) and any("Uncaught" in line for line in errors), errors


def render_html(warehouse: Path, out: Path) -> str:
    result = subprocess.run([sys.executable, "-m", "scripts", "report", "--format", "html", "--warehouse", warehouse,
                             "--out", out], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return out.read_text()


def drawn_charts(chromium: str, html_text: str, page: Path) -> dict:
    page.write_text(html_text.replace("</body>", CHECK_SCRIPT + "</body>"))
    result = browse(chromium, page, "--dump-dom")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not console_errors(result.stderr), console_errors(result.stderr)
    found = re.search(r'<pre id="chart-check">(.*?)</pre>', result.stdout, re.S)
    assert found, "the check script did not run: " + result.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def test_html_report_renders_every_chart_in_chromium(warehouse, chromium, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    report = SHOTS / "test_report.html"
    text = render_html(warehouse, report)
    # self-contained: nothing to fetch (the SVG namespace is a name, never requested)
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", text)
    charts = drawn_charts(chromium, text, tmp_path / "checked.html")
    assert charts.pop("__resources") == []
    assert sorted(charts) == sorted(CHARTS)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        # at 2,000 customers no control group reaches campaign_min_group_size (the test below fills them in)
        measurable = con.execute("select count(*) from marketing.fct_campaign_performance where is_measurable").fetchone()[0]
    finally:
        con.close()
    for name, chart in charts.items():
        assert chart["title"] and chart["width"] > 100 and chart["height"] > 100, (name, chart)
        if name == "campaign_lift" and not measurable:
            assert chart["nodata"] and chart["marks"] > 0, chart
        else:
            assert not chart["nodata"] and chart["marks"] > 5, (name, chart)

    shot = SHOTS / "report.png"
    shot.unlink(missing_ok=True)
    result = browse(chromium, report, f"--screenshot={shot}", "--window-size=1400,5600", "--hide-scrollbars")
    assert result.returncode == 0 and shot.is_file() and shot.stat().st_size > 50_000, result.stderr[-2000:]
    assert not console_errors(result.stderr), console_errors(result.stderr)


def test_html_report_survives_empty_marts_and_escapes_labels(warehouse, chromium, tmp_path):
    """A user without campaigns, CRM or churn history: those charts say 'no data'; a segment name from the
    edited seed is text, never markup."""
    copy = tmp_path / "customer360.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        for table in ("marketing.fct_campaign_performance", "marketing.churn_model_fits",
                      "marketing.customer_churn_scores", "quality.fct_contact_decay_monthly"):
            con.execute(f"delete from {table}")
        # customer_rfm is a view in the build file: a table in its place takes the edit
        con.execute("create table marketing.customer_rfm_edited as select * from marketing.customer_rfm")
        kind = "view" if con.execute("select count(*) from duckdb_views() where schema_name = 'marketing'"
                                     " and view_name = 'customer_rfm'").fetchone()[0] else "table"
        con.execute(f"drop {kind} marketing.customer_rfm")
        con.execute("alter table marketing.customer_rfm_edited rename to customer_rfm")
        con.execute("""update marketing.customer_rfm set rfm_segment = '<img src=x onerror=alert(1)> & "Co"'
                       where rfm_segment = (select min(rfm_segment) from marketing.customer_rfm)""")
    finally:
        con.close()
    text = render_html(copy, tmp_path / "report.html")
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Co&quot;" in text
    charts = drawn_charts(chromium, text, tmp_path / "checked.html")
    charts.pop("__resources")
    empty = {"campaign_lift", "churn_risk", "churn_calibration", "contact_decay"}
    assert {name for name, chart in charts.items() if chart["nodata"]} == empty
    assert all(chart["marks"] > 0 for chart in charts.values())


def test_html_report_of_a_file_that_is_no_warehouse_is_one_line(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    result = subprocess.run([sys.executable, "-m", "scripts", "report", "--format", "html", "--warehouse", empty,
                             "--out", tmp_path / "r.html"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "cannot read" in result.stderr and not (tmp_path / "r.html").exists()


def test_html_campaign_lift_draws_one_interval_per_measurable_campaign(warehouse, tmp_path):
    """Only the 'All segments' row of measurable campaigns is drawn: one dot and one interval each."""
    copy = tmp_path / "customer360.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("""
            update marketing.fct_campaign_performance set is_measurable = true,
                absolute_lift = target_response_rate - control_response_rate,
                absolute_lift_lower = target_response_rate - control_response_rate - 0.05,
                absolute_lift_upper = target_response_rate - control_response_rate + 0.05
            where control_count >= 5
        """)
        expected = con.execute("select count(*) from marketing.fct_campaign_performance"
                               " where is_all_segments and control_count >= 5").fetchone()[0]
        segment_rows = con.execute("select count(*) from marketing.fct_campaign_performance"
                                   " where not is_all_segments and control_count >= 5").fetchone()[0]
    finally:
        con.close()
    assert expected > 3 and segment_rows > 0
    text = render_html(copy, tmp_path / "report.html")
    chart = re.search(r'<svg data-chart="campaign_lift".*?</svg>', text, re.S).group(0)
    assert chart.count("<circle") == expected and f"the {expected} measurable campaigns" in text
