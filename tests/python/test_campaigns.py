"""Campaign measurement (fct_campaign_performance) and channel preferences (customer_channel_preferences).

The statistics macros are checked against scipy; the marts against the truth the generator injected
(_truth/campaign_effects.parquet) on a dedicated sample: the 2,000-customer sample of conftest has
control groups of a handful of members, too few to measure a lift or an interval's coverage."""
from __future__ import annotations

import json
import shutil
import sys

import duckdb
import numpy as np
import pytest
from scipy import stats

from conftest import BIN, run

# a longer history than conftest's sample: about 120 campaigns, 65 of them with control groups of 30+
SAMPLE = ["--customers", "20000", "--start", "2023-01-01", "--end", "2025-06-30", "--seed", "23"]
# channel preferences are learned from the campaigns before this date and judged on the later ones
CUT_OFF = "2024-12-31"
Z95 = 1.959963984540054


@pytest.fixture(scope="module")
def campaign_build(tmp_path_factory):
    """The sample and a build of the two marts and what they read, as of the cut-off (the marketing
    as-of date; it changes neither the orders nor the campaign totals that the coverage uses)."""
    root = tmp_path_factory.mktemp("campaigns")
    raw, db = root / "raw", root / "customer360.duckdb"
    result = run([sys.executable, "-m", "scripts", "generate", *SAMPLE, "--out", raw])
    assert result.returncode == 0, result.stderr[-3000:]
    # models only: their dbt tests run with the suite's build (conftest), this sample is for the statistics
    result = run([BIN / "dbt", "build", "--target", "ci", "--resource-type", "model", "--resource-type", "seed",
                  "--resource-type", "snapshot", "--select", "+fct_campaign_performance", "+customer_channel_preferences",
                  "--vars", json.dumps({"raw_root": str(raw), "analytics_as_of_date": CUT_OFF})],
                 env={"C360_BUILD_DB": str(db)})
    assert result.returncode == 0, result.stdout[-5000:]
    return raw, db


@pytest.fixture(scope="module")
def con(campaign_build):
    raw, db = campaign_build
    connection = duckdb.connect(str(db), read_only=True)
    connection.execute(f"create temp view truth as select * from read_parquet('{raw}/_truth/campaign_effects.parquet')")
    yield connection
    connection.close()


def compiled_inline(inline: str, tmp_path_factory) -> str:
    """SQL of an inline dbt query as dbt compiles it (macros and vars expanded)."""
    result = run([BIN / "dbt", "compile", "--target", "ci", "-q", "--inline", inline],
                 env={"C360_BUILD_DB": str(tmp_path_factory.mktemp("compile") / "c.duckdb")})
    assert result.returncode == 0, result.stdout[-3000:]
    return result.stdout.strip()


@pytest.fixture(scope="module")
def macro_sql(tmp_path_factory):
    """The macros as dbt compiles them, over a table macro_inputs(z, x, n)."""
    inline = ("select z, x, n, {{ normal_cdf('z') }} as phi, "
              "{{ wilson_bound('x', 'n', var('campaign_interval_z'), 'lower') }} as lower_bound, "
              "{{ wilson_bound('x', 'n', var('campaign_interval_z'), 'upper') }} as upper_bound from macro_inputs")
    return compiled_inline(inline, tmp_path_factory)


@pytest.fixture(scope="module")
def spread_sql(tmp_path_factory):
    """sample_variance and normal_interval_columns as dbt compiles them, over a table spread_inputs."""
    inline = ("select group_id, {{ sample_variance('total', 'squares', 'n') }} as variance, "
              "{{ normal_interval_columns('estimate', 'standard_error', var('campaign_interval_z'), 'n >= 2', 'diff') }} "
              "from spread_inputs")
    return compiled_inline(inline, tmp_path_factory)


def test_normal_cdf_matches_scipy(macro_sql):
    z = np.r_[np.linspace(-8, 8, 3201), [0.0, 1.959963984540054, -1.959963984540054, 1e-9, -1e-9]]
    connection = duckdb.connect()
    connection.execute("create table macro_inputs (z double, x bigint, n bigint)")
    connection.executemany("insert into macro_inputs values (?, 1, 10)", [[float(v)] for v in z])
    got = connection.execute(f"select z, phi from ({macro_sql}) order by z").fetchnumpy()
    error = np.abs(got["phi"] - stats.norm.cdf(got["z"]))
    # Abramowitz-Stegun 7.1.26 bounds the error of erf by 1.5e-7; Phi halves it
    assert error.max() < 7.5e-8, float(error.max())
    assert got["phi"][got["z"] == 0.0][0] == 0.5


def test_wilson_bound_matches_scipy(macro_sql):
    cases = [(0, 30), (1, 30), (3, 120), (15, 1000), (40, 40), (7, 7000), (500, 1000)]
    connection = duckdb.connect()
    connection.execute("create table macro_inputs (z double, x bigint, n bigint)")
    connection.executemany("insert into macro_inputs values (0, ?, ?)", [list(c) for c in cases])
    rows = connection.execute(f"select x, n, lower_bound, upper_bound from ({macro_sql}) order by n, x").fetchall()
    for x, n, lower, upper in rows:
        ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert lower == pytest.approx(ci.low, abs=1e-9) and upper == pytest.approx(ci.high, abs=1e-9), (x, n)


def test_sample_variance_and_normal_interval_columns_match_numpy(spread_sql):
    """Revenue-like amounts (2 decimals, skewed) in groups of 0 to 5,000: the variance from exact sums
    equals numpy's, null below two values, and the interval is estimate -/+ z standard errors."""
    from decimal import Decimal

    rng = np.random.default_rng(5)
    connection = duckdb.connect()
    connection.execute("create table spread_inputs (group_id int, total decimal(38, 2), squares decimal(38, 4), "
                       "n bigint, estimate double, standard_error double)")
    expected = {}
    for group_id, size in enumerate([0, 1, 2, 3, 45, 5000]):
        values = [Decimal(f"{v:.2f}") for v in rng.gamma(0.3, 150.0, size)]
        array = np.array(values, dtype=float)
        variance = float(np.var(array, ddof=1)) if size >= 2 else None
        se = (variance / size) ** 0.5 if variance is not None else None
        connection.execute("insert into spread_inputs values (?, ?, ?, ?, ?, ?)",
                           [group_id, sum(values) if size else None, sum(v * v for v in values) if size else None,
                            size, float(array.mean()) if size else None, se])
        expected[group_id] = (variance, float(array.mean()) if size else None, se)
    rows = connection.execute(f"select * from ({spread_sql}) order by group_id").fetchall()
    assert len(rows) == len(expected)
    for group_id, variance, diff, lower, upper in rows:
        true_variance, mean, se = expected[group_id]
        if true_variance is None:
            assert (variance, diff, lower, upper) == (None, None, None, None), group_id
            continue
        assert variance == pytest.approx(true_variance, rel=1e-12), group_id
        assert diff == mean and lower == pytest.approx(mean - Z95 * se, rel=1e-12) \
            and upper == pytest.approx(mean + Z95 * se, rel=1e-12), group_id


def _campaign_totals(con):
    return con.execute("""
        select truth.*, perf.*
        from truth
        inner join marketing.fct_campaign_performance as perf using (campaign_id)
        where perf.is_all_segments and perf.is_window_complete and perf.is_measurable
    """).df()


def test_members_match_the_truth(con):
    counts = con.execute("""
        select sum(truth.target_members), sum(perf.targeted_count), sum(truth.control_members), sum(perf.control_count),
               count(*) filter (where perf.campaign_id is null)
        from truth
        left join marketing.fct_campaign_performance as perf on truth.campaign_id = perf.campaign_id and perf.is_all_segments
    """).fetchone()
    true_target, target, true_control, control, missing = counts
    # raw defects quarantine a few member rows; no campaign is lost
    assert missing == 0
    assert 0.98 * true_target <= target <= true_target and 0.98 * true_control <= control <= true_control


def test_lift_intervals_cover_the_injected_truth(con):
    df = _campaign_totals(con)
    assert len(df) >= 50, f"only {len(df)} measurable campaigns"

    def share(lower, upper, truth):
        return float(((df[lower] <= df[truth]) & (df[truth] <= df[upper])).mean())

    lift = share("absolute_lift_lower", "absolute_lift_upper", "true_response_lift")
    orders = share("incremental_orders_per_member_lower", "incremental_orders_per_member_upper",
                   "true_target_purchase_rate")
    revenue = share("incremental_revenue_per_member_lower", "incremental_revenue_per_member_upper",
                    "true_incremental_revenue_per_member")
    print(f"coverage over {len(df)} campaigns: lift {lift:.3f}, orders {orders:.3f}, revenue {revenue:.3f}")
    assert 0.85 <= lift <= 1.0, lift
    # the Welch intervals of skewed per-member order counts with controls of ~45 members under-cover in some
    # samples: 95.4 % here, 84 % / 83 % (orders / revenue, 88 campaigns) on make build's seed-7 sample
    assert 0.80 <= orders <= 1.0 and 0.80 <= revenue <= 1.0, (orders, revenue)
    # covering by being wide is no merit. Against the normal interval with the true rates (unattainable:
    # a control group expects about 0.2 conversions, and the Wilson bound of a zero count is ~3.8 / n)
    # the lift interval is about 2.2 times as wide here; a wrong z or n would make it far wider
    pt, pc = df["true_target_response_rate"], df["true_control_response_rate"]
    ideal = 2 * Z95 * np.sqrt(pt * (1 - pt) / df["targeted_count"] + pc * (1 - pc) / df["control_count"])
    ratio = float(((df["absolute_lift_upper"] - df["absolute_lift_lower"]) / ideal).median())
    print(f"median lift interval width / normal width at the true rates: {ratio:.2f}")
    assert ratio < 3, ratio


def test_p_values_match_a_two_proportion_z_test(con):
    df = _campaign_totals(con)
    x = df[["target_responder_count", "control_responder_count"]].to_numpy(float)
    n = df[["targeted_count", "control_count"]].to_numpy(float)
    pooled = x.sum(1) / n.sum(1)
    with np.errstate(invalid="ignore"):  # no responder in either group: no test (a null p-value)
        z = (x[:, 0] / n[:, 0] - x[:, 1] / n[:, 1]) / np.sqrt(pooled * (1 - pooled) * (1 / n[:, 0] + 1 / n[:, 1]))
    assert df["response_p_value"][~np.isfinite(z)].isna().all()
    expected = 2 * stats.norm.sf(np.abs(z))
    got = df["response_p_value"].to_numpy(float)
    ok = np.isfinite(expected)
    assert ok.sum() >= 50 and np.allclose(got[ok], expected[ok], atol=2e-7)


def test_minimum_group_size_guard(con):
    rows = con.execute("""
        select
            count(*) filter (where (targeted_count < 30 or control_count < 30) and (absolute_lift is not null
                or response_p_value is not null or incremental_revenue_amount is not null or roi is not null)),
            count(*) filter (where targeted_count >= 30 and control_count >= 30 and absolute_lift is null),
            count(*) filter (where not is_measurable)
        from marketing.fct_campaign_performance
    """).fetchone()
    assert rows[0] == 0 and rows[1] == 0 and rows[2] > 0, rows


def test_segment_rows_add_up_to_the_campaign(con):
    mismatched = con.execute("""
        with segments as (
            select campaign_id, sum(targeted_count) as targeted, sum(control_count) as control,
                   sum(target_responder_count) as responders, sum(cost_amount) as cost
            from marketing.fct_campaign_performance where not is_all_segments group by 1
        )
        select count(*) from segments
        inner join marketing.fct_campaign_performance as total using (campaign_id)
        where total.is_all_segments and (segments.targeted != total.targeted_count
            or segments.control != total.control_count or segments.responders != total.target_responder_count
            or abs(segments.cost - total.cost_amount) > 0.05)
    """).fetchone()[0]
    assert mismatched == 0


def test_best_channel_predicts_later_responses(con):
    """Learned from the campaigns before the cut-off, judged on the later ones: conversions per contact
    of members contacted on their predicted best channel against those contacted on another."""
    rows = con.execute(f"""
        with preferences as (
            select distinct customer_id, best_channel
            from marketing.customer_channel_preferences where best_channel is not null
        ),
        contacts as (
            select campaigns.channel = preferences.best_channel as on_best_channel,
                   members.campaign_member_id in (select campaign_member_id from staging.stg_marketing__campaign_responses
                                                  where response_type = 'convert') as converted
            from staging.stg_marketing__campaign_members as members
            inner join staging.stg_marketing__campaigns as campaigns using (campaign_id)
            inner join core.bridge_customer_identity as identity
                on identity.source_name = 'crm' and identity.source_record_id = members.contact_id
            inner join preferences using (customer_id)
            where members.group_name = 'target' and campaigns.start_date >= date '{CUT_OFF}'
        )
        select on_best_channel, count(*), sum(cast(converted as int)) from contacts group by 1
    """).fetchall()
    by = {on_best: (n, x) for on_best, n, x in rows}
    (n1, x1), (n0, x0) = by[True], by[False]
    print(f"after {CUT_OFF}: on best channel {x1}/{n1} = {x1 / n1:.4f}, on another {x0}/{n0} = {x0 / n0:.4f}")
    assert n1 >= 1000 and n0 >= 1000
    assert x1 / n1 > x0 / n0


def test_channel_preferences_are_consistent(con):
    bad = con.execute("""
        select
            count(*) filter (where is_best_channel and not has_consent),
            count(*) filter (where best_channel is not null and not exists (
                select 1 from marketing.customer_channel_preferences as other
                where other.customer_id = p.customer_id and other.is_best_channel)),
            -- the shrunk rate lies between the customer's own rate and the segment's
            count(*) filter (where contact_count > 0 and shrunk_response_rate not between
                least(observed_response_rate, segment_response_rate) - 1e-12
                and greatest(observed_response_rate, segment_response_rate) + 1e-12),
            count(*) filter (where most_active_hour not between 0 and 23 or most_active_isodow not between 1 and 7),
            count(*) filter (where contact_count > 0)
        from marketing.customer_channel_preferences as p
    """).fetchone()
    assert bad[:4] == (0, 0, 0, 0) and bad[4] > 1000, bad


def test_most_active_hour_and_weekday_are_the_modes_with_the_earliest_on_ties(con):
    """Recomputed in pandas from the timeline: the hour and the ISO weekday with most events before the
    as-of date (CUT_OFF, the build's analytics_as_of_date; orders, app and campaign activity), the earliest on a tie, and the count of those events."""
    events = con.execute("""
        select customer_id, hour(event_at) as hour, isodow(event_at) as weekday
        from core.fct_customer_events
        where event_type in ('order', 'app_open', 'product_view', 'add_to_cart', 'campaign_open',
                             'campaign_click', 'campaign_convert')
          and cast(event_at as date) < cast(? as date)
    """, [CUT_OFF]).df()
    expected = {}
    for column in ("hour", "weekday"):
        counts = events.groupby(["customer_id", column]).size().rename("n").reset_index()
        counts = counts.sort_values(["customer_id", "n", column], ascending=[True, False, True])
        expected[column] = counts.drop_duplicates("customer_id").set_index("customer_id")[column]
    expected["activity_count"] = events.groupby("customer_id").size()
    found = con.execute("""
        select customer_id, any_value(most_active_hour) as hour, any_value(most_active_isodow) as weekday,
               any_value(activity_count) as activity_count
        from marketing.customer_channel_preferences
        where activity_count > 0
        group by customer_id
    """).df().set_index("customer_id")
    assert len(found) == len(expected["activity_count"]) > 1000
    for column, values in expected.items():
        assert (found[column].sort_index() == values.sort_index().astype(found[column].dtype)).all(), column


# The tie rule of best_channel (customer_channel_preferences): the cheapest channel to send first. The
# next two tests read conftest's 2,000-customer build: its segments are small, so many never converted on
# some channel and ties are common (about 80 customers); the 20,000-customer sample above has two.
CHANNEL_RANK = {"email": 1, "push": 2, "sms": 3, "direct_mail": 4}


def test_best_channel_ties_go_to_the_cheapest_channel(warehouse):
    """A segment that never converted on two channels gives its uncontacted customers equal shrunk rates
    on both: the sample must hold such ties, and each goes to the first channel of CHANNEL_RANK."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute("""
            with consented as (
                select customer_id, channel, shrunk_response_rate, best_channel,
                       max(shrunk_response_rate) over (partition by customer_id) as top_rate
                from marketing.customer_channel_preferences
                where has_consent
            )
            select customer_id, best_channel, list(channel order by channel) as top_channels
            from consented
            where shrunk_response_rate = top_rate
            group by customer_id, best_channel
            having count(*) > 1
        """).fetchall()
    print(f"{len(rows)} customers with a tie for the best channel")
    assert len(rows) >= 20, "too few ties in the sample to test the tie rule"
    wrong = [(customer, best, tied) for customer, best, tied in rows
             if best != min(tied, key=CHANNEL_RANK.__getitem__)]
    assert not wrong, wrong[:5]


def rebuilt_rows(model: str, db, dbt_vars: dict, threads: int, tmp_path) -> set[tuple]:
    """Every row of the model rebuilt on a copy of db with this many DuckDB threads."""
    copy = tmp_path / f"{model}_{threads}.duckdb"
    shutil.copyfile(db, copy)
    result = run([BIN / "dbt", "run", "--target", "ci", "--select", model, "--vars", json.dumps(dbt_vars)],
                 env={"C360_BUILD_DB": str(copy), "C360_DUCKDB_THREADS": str(threads)})
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as rebuilt:
        return set(rebuilt.execute(f"select * from marketing.{model}").fetchall())


def test_channel_preferences_do_not_depend_on_the_thread_count(sample_raw, warehouse, tmp_path):
    """Rebuilt with 1 and with 8 DuckDB threads, every row of customer_channel_preferences is the one the
    2-thread build wrote: no tie (best channel, most active hour or weekday) is left to the order in which
    threads meet the rows. Before the tie rule, 216 of the 3,872 rows of such a sample differed."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        reference = set(connection.execute("select * from marketing.customer_channel_preferences").fetchall())
    for threads in (1, 8):
        rows = rebuilt_rows("customer_channel_preferences", warehouse, {"raw_root": str(sample_raw)}, threads, tmp_path)
        assert rows == reference, f"{threads} threads: {len(rows ^ reference)} rows differ"


def test_campaign_performance_does_not_depend_on_the_thread_count(campaign_build, con, tmp_path):
    """The same for fct_campaign_performance on the sample with measurable campaigns: its order and revenue
    intervals were computed with var_samp, whose parallel sums of doubles made 82 of 1,534 rows of
    make build's sample differ in the last bits between a 2-thread and a 1-thread build."""
    raw, db = campaign_build
    reference = set(con.execute("select * from marketing.fct_campaign_performance").fetchall())
    with_interval = con.execute("select count(*) from marketing.fct_campaign_performance "
                                "where incremental_revenue_per_member_lower is not null").fetchone()[0]
    assert with_interval >= 50, with_interval
    for threads in (1, 8):
        rows = rebuilt_rows("fct_campaign_performance", db, {"raw_root": str(raw), "analytics_as_of_date": CUT_OFF},
                            threads, tmp_path)
        assert rows == reference, f"{threads} threads: {len(rows ^ reference)} rows differ"
