"""Marketing analytics: RFM and BTYD equal an independent pandas computation, and the incremental
models equal a full refresh after new (and late) data arrives."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import built_copy, dbt, run

MARKETING_MODELS = ["int_customers__purchase_days", "int_customers__order_summary", "int_customers__monthly_running_totals",
                    "int_customers__monthly_totals", "customer_btyd_summary", "customer_rfm",
                    "customer_lifecycle", "customer_rfm_history", "customer_lifecycle_transitions", "churn_features",
                    "int_customers__activity_times", "customer_channel_preferences",
                    "int_campaign_members__outcomes", "fct_campaign_performance"]
# Fitted once per month (calibration month, newly labelled month) and kept: a full refresh refits on data
# that late orders and identity merges have touched since, so these agree within a tolerance, not exactly.
FITTED_MODELS = ["customer_clv_fits", "churn_model_fits", "customer_clv", "customer_churn_scores"]
# run bookkeeping (when and up to which load a row was computed), not data
RUN_METADATA = {"processed_at", "features_processed_at", "history_processed_at", "source_loaded_date", "fitted_at",
                "trained_at", "counted_before_date", "events_processed_through", "orders_processed_through",
                "changed_from_date"}
# The generator delivers late records at most 14 days after their event.
LATE_ARRIVAL_DAYS = 14


@pytest.fixture(scope="module")
def orders(warehouse) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    frame = con.execute(
        "select customer_id, ordered_date, cast(net_amount as double) as net_amount, is_refund"
        " from core.fct_orders where customer_id is not null"
    ).df()
    con.close()
    frame["ordered_date"] = pd.to_datetime(frame["ordered_date"])
    return frame


def table(warehouse, name: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    frame = con.execute(f"select * from marketing.{name}").df()
    con.close()
    return frame


def pandas_btyd(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The Fader-Hardie summary per customer as of a day, computed independently of dbt."""
    sales = orders[~orders["is_refund"] & (orders["ordered_date"] <= as_of)]
    days = sales.groupby(["customer_id", "ordered_date"], as_index=False)["net_amount"].sum()
    days = days.sort_values(["customer_id", "ordered_date"])
    first = days.groupby("customer_id")["ordered_date"].transform("min")
    expected = days.groupby("customer_id").agg(
        frequency=("ordered_date", lambda d: len(d) - 1),
        first_day=("ordered_date", "min"),
        last_day=("ordered_date", "max"),
    )
    repeat = days[days["ordered_date"] > first].groupby("customer_id")["net_amount"].mean()
    expected["recency"] = (expected["last_day"] - expected["first_day"]).dt.days
    expected["T"] = (as_of - expected["first_day"]).dt.days
    expected["monetary_value"] = repeat.reindex(expected.index).fillna(0.0)
    return expected.sort_index()


def test_btyd_summary_equals_pandas(warehouse, orders):
    expected = pandas_btyd(orders, orders["ordered_date"].max())
    actual = table(warehouse, "customer_btyd_summary").set_index("customer_id").sort_index()
    assert list(actual.index) == list(expected.index)
    for column in ["frequency", "recency", "T"]:
        assert (actual[column].astype(int) == expected[column].astype(int)).all(), column
    assert (actual["monetary_value"] - expected["monetary_value"]).abs().max() < 1e-9


def test_btyd_summary_as_of_a_past_date_equals_pandas(warehouse, orders, sample_raw, tmp_path):
    """With var('analytics_as_of_date') before the data end, the order summary the BTYD view derives from
    holds only the purchase days up to that date."""
    import json

    from conftest import BIN

    as_of = orders["ordered_date"].max() - pd.Timedelta(days=60)
    db = tmp_path / "as_of.duckdb"
    shutil.copy(warehouse, db)
    result = run(
        [BIN / "dbt", "run", "--target", "ci", "--select", "int_customers__order_summary", "customer_btyd_summary",
         "--full-refresh",
         "--vars", json.dumps({"raw_root": str(sample_raw), "analytics_as_of_date": as_of.strftime("%Y-%m-%d")})],
        env={"C360_BUILD_DB": str(db)},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    expected = pandas_btyd(orders, as_of)
    actual = table(db, "customer_btyd_summary").set_index("customer_id").sort_index()
    assert len(expected) < orders["customer_id"].nunique(), "the past date should leave some buyers out"
    assert list(actual.index) == list(expected.index)
    assert (pd.to_datetime(actual["as_of_date"]) == as_of).all()
    for column in ["frequency", "recency", "T"]:
        assert (actual[column].astype(int) == expected[column].astype(int)).all(), column
    assert (actual["monetary_value"] - expected["monetary_value"]).abs().max() < 1e-9


def test_rfm_values_equal_pandas(warehouse, orders):
    as_of = orders["ordered_date"].max()
    window_start = as_of - pd.Timedelta(days=365)
    upto = orders[orders["ordered_date"] <= as_of]
    sales = upto[~upto["is_refund"]]
    in_window = upto["ordered_date"] > window_start
    expected = pd.DataFrame({
        "last_purchase_date": sales.groupby("customer_id")["ordered_date"].max(),
        "frequency_lifetime": sales.groupby("customer_id").size(),
        "frequency_window": sales[sales["ordered_date"] > window_start].groupby("customer_id").size(),
        "monetary_lifetime": upto.groupby("customer_id")["net_amount"].sum(),
        "monetary_window": upto[in_window].groupby("customer_id")["net_amount"].sum(),
    })
    expected = expected[expected["last_purchase_date"].notna()].fillna(
        {"frequency_window": 0, "monetary_window": 0.0})
    expected["recency_days"] = (as_of - expected["last_purchase_date"]).dt.days

    actual = table(warehouse, "customer_rfm").set_index("customer_id").sort_index()
    expected = expected.sort_index()
    assert list(actual.index) == list(expected.index)
    for column in ["recency_days", "frequency_window", "frequency_lifetime"]:
        assert (actual[column].astype(int) == expected[column].astype(int)).all(), column
    for column in ["monetary_window", "monetary_lifetime"]:
        assert (actual[column].astype(float) - expected[column]).abs().max() < 1e-9, column
    # scores are quintiles: five groups of (almost) equal size, monotone in the value
    sizes = actual["recency_score"].value_counts()
    assert sizes.max() - sizes.min() <= 1
    assert actual.groupby("recency_score")["recency_days"].max().is_monotonic_decreasing
    assert actual["rfm_segment"].notna().all()


def test_history_ends_where_the_current_models_are(con):
    """The latest month of the incremental history agrees with the as-of models for every customer."""
    total, same_stage, same_segment = con.execute(
        """
        select count(*), count(case when history.lifecycle_stage = lifecycle.lifecycle_stage then 1 end),
            count(case when history.rfm_segment = rfm.rfm_segment then 1 end)
        from marketing.customer_rfm_history as history
        inner join marketing.customer_lifecycle as lifecycle on history.customer_id = lifecycle.customer_id
        inner join marketing.customer_rfm as rfm on history.customer_id = rfm.customer_id
        where history.month_end_date = (select max(month_end_date) from marketing.customer_rfm_history)
        """
    ).fetchone()
    rfm_customers = con.execute("select count(*) from marketing.customer_rfm").fetchone()[0]
    assert total == rfm_customers > 0
    assert same_stage == total and same_segment == total


def marketing_rows(db, model: str) -> set[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    schema = con.execute("select table_schema from information_schema.tables where table_name = ?", [model]).fetchone()[0]
    columns = [c[0] for c in con.execute(f"describe {schema}.{model}").fetchall() if c[0] not in RUN_METADATA]
    rows = set(con.execute(f"select {', '.join(columns)} from {schema}.{model}").fetchall())
    con.close()
    return rows


def assert_same_marketing_rows(db: Path, full_db: Path, build: str) -> None:
    """Every SQL marketing model of db holds the rows of the full refresh full_db, row for row."""
    for model in MARKETING_MODELS:
        rows, full_rows = marketing_rows(db, model), marketing_rows(full_db, model)
        assert rows - full_rows == set(), f"{model}: rows only in the {build} build"
        assert full_rows - rows == set(), f"{model}: rows only in the full refresh"


def customer_events(db) -> set[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    rows = set(con.execute("select * exclude (processed_at) from core.fct_customer_events").fetchall())
    con.close()
    return rows


def churn_feature_rows(db) -> set[tuple]:
    """Feature values per (customer, as-of date), without the label (it legitimately becomes known later)."""
    con = duckdb.connect(str(db), read_only=True)
    columns = [c[0] for c in con.execute("describe marketing.churn_features").fetchall()
               if c[0] not in RUN_METADATA | {"is_churned_next_horizon", "churn_feature_id"}]
    rows = con.execute(f"select {', '.join(columns)} from marketing.churn_features").fetchall()
    con.close()
    return {(row[0], pd.Timestamp(row[1]), *row[2:]) for row in rows}


def merged_customers(db) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("select old_customer_id, new_customer_id from core.customer_id_merges").fetchall()
    con.close()
    return {customer for row in rows for customer in row}


def deliver_late_app_opens(raw: Path, db: Path, customers: int = 20) -> None:
    """A new load holding only app opens dated two days before the latest churn as-of date, of customers
    with features on that date: no order comes with them, so nothing but the events themselves can tell
    churn_features that the date's features changed."""
    con = duckdb.connect(str(db), read_only=True)
    as_of, users = con.execute(
        "select features.as_of_date, list(distinct ids.source_record_id order by ids.source_record_id)"
        " from marketing.churn_features as features"
        " inner join core.bridge_customer_identity as ids"
        "  on features.customer_id = ids.customer_id and ids.source_name = 'app'"
        " where features.as_of_date = (select max(as_of_date) from marketing.churn_features)"
        " group by features.as_of_date"
    ).fetchone()
    con.close()
    loads = sorted((raw / "app" / "app_events").glob("load_date=*"))
    load_date = pd.Timestamp(loads[-1].name.split("=")[1]) + pd.Timedelta(days=1)
    event_at = (pd.Timestamp(as_of) - pd.Timedelta(days=2)).strftime("%Y-%m-%d 12:00:00")
    out = raw / "app" / "app_events" / f"load_date={load_date.date()}"
    out.mkdir()
    events = pd.DataFrame({
        "event_id": [f"E1999{n:08d}" for n in range(min(customers, len(users)))],
        "app_user_id": users[:customers],
    })
    duckdb.sql(
        f"copy (select event_id, app_user_id, 'app_open' as event_type, '{event_at}' as event_at,"
        " cast(null as varchar) as order_id, cast(null as double) as amount, cast(null as varchar) as product_id,"
        f" date '{load_date.date()}' as load_date from events) to '{out / 'part-0.parquet'}' (format parquet)"
    )


def test_incremental_equals_full_refresh(sample_raw, warehouse, tmp_path):
    raw = tmp_path / "raw"
    incremental_db, full_db = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    built_copy(sample_raw, warehouse, raw, incremental_db)
    features_before = churn_feature_rows(incremental_db)

    # ten more days of loads, late-arriving records for earlier days included
    appended = run([sys.executable, "-m", "scripts", "generate", "--out", raw, "--append-days", "10"])
    assert appended.returncode == 0, appended.stderr[-3000:]
    second = dbt("build", raw, incremental_db, "--exclude-resource-type", "unit_test")
    assert second.returncode == 0, second.stdout[-3000:]
    full = dbt("build", raw, full_db, "--exclude-resource-type", "unit_test", "--full-refresh")
    assert full.returncode == 0, full.stdout[-3000:]

    assert_same_marketing_rows(incremental_db, full_db, "incremental")
    # the customer timeline is incremental too: ten days of loads, late records and identity merges
    events, full_events = (customer_events(db) for db in (incremental_db, full_db))
    assert events == full_events, (len(events - full_events), len(full_events - events))
    # and so is survivorship, which dim_customers reads
    customers, full_customers = (marketing_rows(db, "dim_customers") for db in (incremental_db, full_db))
    assert customers == full_customers, (len(customers - full_customers), len(full_customers - customers))

    fitted = {model: (table(incremental_db, model), table(full_db, model)) for model in FITTED_MODELS}
    for model in ("customer_clv_fits", "churn_model_fits"):
        incremental_fits, full_fits = fitted[model]
        assert list(incremental_fits.iloc[:, 0]) == list(full_fits.iloc[:, 0]), f"{model}: fitted keys differ"
    parameters = [f"bgnbd_{name}" for name in ("r", "alpha", "a", "b")] + [f"gamma_gamma_{n}" for n in "pqv"]
    incremental_fits, full_fits = fitted["customer_clv_fits"]
    relative = (incremental_fits[parameters] - full_fits[parameters]).abs() / full_fits[parameters].abs()
    assert (relative < 0.05).all(axis=None), relative
    incremental_fits, full_fits = fitted["churn_model_fits"]
    assert (incremental_fits["model_test_auc"] - full_fits["model_test_auc"]).abs().max() < 0.02
    for model, column in (("customer_clv", "probability_alive"), ("customer_churn_scores", "churn_probability")):
        incremental_scores, full_scores = (frame.set_index("customer_id")[column] for frame in fitted[model])
        assert set(incremental_scores.index) == set(full_scores.index), f"{model}: customers differ"
        assert (incremental_scores - full_scores.reindex(incremental_scores.index)).abs().mean() < 0.02, model

    # No leakage: ten more days of data change no feature of an as-of date they come after.
    features_after = churn_feature_rows(incremental_db)
    old_end = max(date for _, date, *_ in features_before)
    settled = {row for row in features_before if row[1] <= old_end - pd.Timedelta(days=LATE_ARRIVAL_DAYS)}
    merged = merged_customers(incremental_db)
    settled = {row for row in settled if row[0] not in merged}
    assert settled, "no settled feature rows to compare"
    assert settled <= features_after, sorted(settled - features_after)[:5]

    before = {model: marketing_rows(incremental_db, model) for model in MARKETING_MODELS + FITTED_MODELS}
    third = dbt("build", raw, incremental_db, "--exclude-resource-type", "unit_test")
    assert third.returncode == 0, third.stdout[-3000:]
    for model in MARKETING_MODELS + FITTED_MODELS:
        assert marketing_rows(incremental_db, model) == before[model], f"{model} changed on a re-run"

    # Late non-order inputs alone redo the churn features of the as-of dates they precede.
    deliver_late_app_opens(raw, incremental_db)
    fourth = dbt("build", raw, incremental_db, "--exclude-resource-type", "unit_test")
    assert fourth.returncode == 0, fourth.stdout[-3000:]
    assert marketing_rows(incremental_db, "churn_features") != before["churn_features"], "late events changed nothing"
    refreshed_db = tmp_path / "refreshed.duckdb"
    shutil.copy(incremental_db, refreshed_db)
    refresh = dbt("run", raw, refreshed_db, "--select", "churn_features", "--full-refresh")
    assert refresh.returncode == 0, refresh.stdout[-3000:]
    assert marketing_rows(incremental_db, "churn_features") == marketing_rows(refreshed_db, "churn_features")


# the models keyed by customer that a day's events and a withdrawn order file reach through the load manifest
MANIFEST_KEYED = ["int_customers__purchase_days", "int_customers__order_summary", "customer_btyd_summary",
                  "int_customers__activity_times", "int_customers__lifetime_orders"]
# what a customer left without orders must leave too: the monthly chain and the marts derived from it
MONTHLY_CHAIN = ["int_customers__monthly_running_totals", "int_customers__monthly_totals", "customer_rfm_history",
                 "customer_lifecycle_transitions", "customer_lifecycle_monthly", "churn_features"]


def activity_rows_redone(db: Path) -> tuple[int, int]:
    """Rows of int_customers__activity_times the last run wrote (the newest mark), and all its rows."""
    con = duckdb.connect(str(db), read_only=True)
    redone, total = con.execute(
        "select count(*) filter (where events_processed_through = (select max(events_processed_through)"
        " from intermediate.int_customers__activity_times)), count(*) from intermediate.int_customers__activity_times"
    ).fetchall()[0]
    con.close()
    return redone, total


def test_a_day_and_a_withdrawn_order_file_redo_the_customers_the_manifest_gives(sample_raw, warehouse, tmp_path):
    """A day's load redoes the activity times of the customers of the day's events only; a processed file
    withdrawn afterwards (an app load holding the only orders of some customers) redoes every customer,
    drops the purchase days of its orders and the customers left without any, and their rows of the
    monthly history, lifecycle and churn features; a file redelivered without a customer's first purchase
    drops that customer's months before the purchases left, and a member file redelivered without a
    membership drops its outcome. Each run equals a full refresh (the campaign memberships' outcomes too)
    and passes every test."""
    raw, db, full_db = tmp_path / "raw", tmp_path / "daily.duckdb", tmp_path / "full.duckdb"
    built_copy(sample_raw, warehouse, raw, db)

    def build(into: Path, *extra: str):
        return dbt("build", raw, into, "--select", "+int_customers__activity_times", "+customer_btyd_summary",
                   "+customer_rfm", "+customer_lifecycle_monthly", "+churn_features", "+int_customers__lifetime_orders",
                   "+int_campaign_members__outcomes", "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious", *extra)

    def assert_equals_a_full_refresh(when: str) -> None:
        full_db.unlink(missing_ok=True)
        full = build(full_db, "--full-refresh")
        assert full.returncode == 0, full.stdout[-3000:]
        for model in MANIFEST_KEYED + MONTHLY_CHAIN + ["int_campaign_members__outcomes"]:
            assert marketing_rows(db, model) == marketing_rows(full_db, model), f"{model} after {when}"

    appended = run([sys.executable, "-m", "scripts", "generate", "--out", raw, "--append-days", "1"])
    assert appended.returncode == 0, appended.stderr[-3000:]
    day = build(db)
    assert day.returncode == 0, day.stdout[-3000:]
    redone, total = activity_rows_redone(db)
    assert 0 < redone < total / 5, (redone, total)
    assert_equals_a_full_refresh("a day")

    con = duckdb.connect(str(db), read_only=True)
    load_date, emptied = con.execute(
        "select load_date, count(distinct customer_id) from core.fct_orders as orders"
        " where channel = 'app' and not exists (select 1 from core.fct_orders as other"
        "  where other.customer_id = orders.customer_id"
        "   and (other.load_date <> orders.load_date or other.channel <> 'app'))"
        # not the newest load: withdrawing it would move the as-of date back, which takes --full-refresh
        " and load_date < (select max(load_date) from core.fct_orders)"
        " group by load_date order by 2 desc, 1 limit 1"
    ).fetchall()[0]
    con.close()
    assert emptied > 0
    shutil.rmtree(raw / "app" / "app_events" / f"load_date={load_date}")
    withdrawn = build(db)
    # customer_rfm_customers_have_orders among them: no monthly row of a customer without orders stays
    assert withdrawn.returncode == 0 and "WARN=0 " in withdrawn.stdout, withdrawn.stdout[-3000:]
    redone, total = activity_rows_redone(db)
    assert redone == total
    assert_equals_a_full_refresh("a withdrawn file")

    # a web file redelivered without the only order of a customer's first purchase day, months before
    # the next one: the customer keeps later days, and its months before them go
    con = duckdb.connect(str(db), read_only=True)
    order_id, load_date = con.execute(
        "with days as (select customer_id, ordered_date, count(*) as orders, any_value(order_id) as order_id,"
        "  any_value(channel) as channel, any_value(load_date) as load_date from core.fct_orders"
        "  where customer_id is not null and not is_refund group by customer_id, ordered_date),"
        " ranked as (select *, row_number() over (partition by customer_id order by ordered_date) as day_number,"
        "  lead(ordered_date) over (partition by customer_id order by ordered_date) as next_date from days)"
        " select order_id, load_date from ranked where day_number = 1 and orders = 1 and channel = 'web'"
        "  and next_date > ordered_date + 62 and load_date < (select max(load_date) from core.fct_orders)"
        " order by load_date, order_id limit 1"
    ).fetchall()[0]
    con.close()
    part = raw / "web" / "orders" / f"load_date={load_date}" / "part-0.parquet"
    duckdb.sql(f"copy (select * from '{part}' where order_id <> '{order_id}') to '{part}.new' (format parquet)")
    Path(f"{part}.new").replace(part)
    # and a campaign's member file redelivered without one membership, which must leave the outcomes
    members = sorted((raw / "marketing" / "campaign_members").glob("load_date=*/*.parquet"))[0]
    member_id = duckdb.sql(f"select min(campaign_member_id) from '{members}'").fetchall()[0][0]
    assert member_id in {row[0] for row in marketing_rows(db, "int_campaign_members__outcomes")}
    duckdb.sql(f"copy (select * from '{members}' where campaign_member_id <> '{member_id}')"
               f" to '{members}.new' (format parquet)")
    Path(f"{members}.new").replace(members)
    redelivered = build(db)
    assert redelivered.returncode == 0 and "WARN=0 " in redelivered.stdout, redelivered.stdout[-3000:]
    assert_equals_a_full_refresh("a file redelivered without a first purchase")
    assert member_id not in {row[0] for row in marketing_rows(db, "int_campaign_members__outcomes")}


def deliver_late_web_order(raw: Path, db: Path) -> str:
    """A new load holding one web order dated six months before the latest churn as-of date, by an
    account whose customer has features on every as-of date since; returns that customer."""
    con = duckdb.connect(str(db), read_only=True)
    customer_id, account_id, ordered_at = con.execute(
        "select features.customer_id, any_value(ids.source_record_id),"
        " strftime(max(features.as_of_date) - interval 6 month + interval 14 day, '%Y-%m-%d 10:00:00')"
        " from marketing.churn_features as features"
        " inner join core.bridge_customer_identity as ids"
        "  on features.customer_id = ids.customer_id and ids.source_name = 'web'"
        " group by features.customer_id"
        " order by count(distinct features.as_of_date) desc, features.customer_id limit 1"
    ).fetchone()
    con.close()
    loads = sorted((raw / "web" / "orders").glob("load_date=*"))
    load_date = (pd.Timestamp(loads[-1].name.split("=")[1]) + pd.Timedelta(days=1)).date()
    out = raw / "web" / "orders" / f"load_date={load_date}"
    out.mkdir()
    duckdb.sql(
        f"copy (select 'WO999000001' as order_id, '{account_id}' as account_id, '{ordered_at}' as ordered_at,"
        " 'sale' as order_type, cast(null as varchar) as refunded_order_id, 80.0 as total_amount, 'EUR' as currency,"
        f" date '{load_date}' as load_date) to '{out / 'part-0.parquet'}' (format parquet)"
    )
    return customer_id


@pytest.mark.parametrize("customer_limit", [None, 0])
def test_a_late_order_recomputes_its_customers_churn_features_not_whole_dates(customer_limit, sample_raw, warehouse,
                                                                               tmp_path):
    """An order six months late rewrites its customer's history from its month on (and the rows whose
    scores it moves): churn_features recomputes those customers at every as-of date, not every customer
    at the as-of dates after the order, and equals a full refresh. Above churn_recompute_customer_limit
    customers it recomputes every customer at those dates instead, and equals a full refresh too."""
    import json

    raw, db = tmp_path / "raw", tmp_path / "late_order.duckdb"
    built_copy(sample_raw, warehouse, raw, db)
    buyer = deliver_late_web_order(raw, db)
    limit = [] if customer_limit is None else [
        "--vars", json.dumps({"raw_root": str(raw), "churn_recompute_customer_limit": customer_limit})]
    second = dbt("build", raw, db, "--exclude-resource-type", "unit_test", *limit)
    assert second.returncode == 0, second.stdout[-3000:]

    con = duckdb.connect(str(db), read_only=True)
    customers, dates, rewritten = con.execute(
        "select count(distinct customer_id), count(distinct as_of_date),"
        " list(distinct customer_id) filter (where features_processed_at"
        "  = (select max(features_processed_at) from marketing.churn_features))"
        " from marketing.churn_features"
    ).fetchone()
    history_rewritten = con.execute(
        "select count(distinct customer_id) from marketing.customer_rfm_history"
        " where history_processed_at = (select max(history_processed_at) from marketing.customer_rfm_history)"
    ).fetchone()[0]
    con.close()
    print(f"\nchurn_features: {len(rewritten)} of {customers} customers rewritten at {dates} as-of dates;"
          f" customer_rfm_history rewrote {history_rewritten}")
    assert buyer in rewritten
    if customer_limit is None:
        assert len(rewritten) <= history_rewritten < customers / 4, (len(rewritten), history_rewritten, customers)
    else:
        assert len(rewritten) > customers / 4 > history_rewritten, (len(rewritten), history_rewritten, customers)

    refreshed = tmp_path / "refreshed.duckdb"
    shutil.copy(db, refreshed)
    refresh = dbt("run", raw, refreshed, "--select", "churn_features", "--full-refresh")
    assert refresh.returncode == 0, refresh.stdout[-3000:]
    assert marketing_rows(db, "churn_features") == marketing_rows(refreshed, "churn_features")


def test_a_run_with_no_customer_to_recompute_still_labels_the_dates_the_data_now_covers(warehouse, sample_raw,
                                                                                       tmp_path):
    """A stored as-of date whose labels are unknown though the data now covers its horizon is labelled by
    the next run even when no customer is to be recomputed (an empty work list once made the run's
    `customer_id not in (null)` keep every row from being labelled)."""
    db = tmp_path / "unlabelled.duckdb"
    shutil.copy(warehouse, db)
    con = duckdb.connect(str(db))
    as_of_date = con.execute(
        "select min(as_of_date) from marketing.churn_features where is_churned_next_horizon is not null").fetchone()[0]
    con.execute("update marketing.churn_features set is_churned_next_horizon = null where as_of_date = ?", [as_of_date])
    con.close()
    rerun = dbt("run", sample_raw, db, "--select", "churn_features", "--target-path", tmp_path / "target")
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    compiled = tmp_path / "target" / "compiled" / "customer360" / "models" / "marts" / "marketing" / "churn_features.sql"
    assert "customer_id in (" not in compiled.read_text(), "the run had customers to recompute"
    assert marketing_rows(db, "churn_features") == marketing_rows(warehouse, "churn_features")


def test_daily_runs_late_in_a_month_equal_a_full_refresh(sample_raw, warehouse, tmp_path):
    """The usual daily run: late in a month, when late orders no longer reach the month before, the
    history recomputes only the customers whose days changed and the current month (both from the same
    stored month), and the month's churn features appear once settled. All equal a full refresh."""
    raw = tmp_path / "raw"
    daily_db, full_db = tmp_path / "daily.duckdb", tmp_path / "full.duckdb"
    built_copy(sample_raw, warehouse, raw, daily_db)
    # the sample ends on a month's last day: run to day 20 of the next month, then day 21 alone
    for days in (LATE_ARRIVAL_DAYS + 6, 1):
        appended = run([sys.executable, "-m", "scripts", "generate", "--out", raw, "--append-days", str(days)])
        assert appended.returncode == 0, appended.stderr[-3000:]
        daily = dbt("build", raw, daily_db, "--exclude-resource-type", "unit_test")
        assert daily.returncode == 0, daily.stdout[-3000:]

    con = duckdb.connect(str(daily_db), read_only=True)
    months_written = con.execute(
        "select count(distinct calendar_month_end_date) from marketing.customer_rfm_history"
        " where history_processed_at = (select max(history_processed_at) from marketing.customer_rfm_history)"
    ).fetchone()[0]
    newest_as_of = con.execute("select max(as_of_date) from marketing.churn_features").fetchone()[0]
    data_end = con.execute("select max(purchase_date) from intermediate.int_customers__purchase_days").fetchone()[0]
    con.close()
    assert months_written == 1, "the last day rewrote more than the current month"
    assert newest_as_of == data_end.replace(day=1), "the month's settled churn features are missing"

    full = dbt("build", raw, full_db, "--exclude-resource-type", "unit_test", "--full-refresh")
    assert full.returncode == 0, full.stdout[-3000:]
    assert_same_marketing_rows(daily_db, full_db, "daily")


def test_threshold_scoring_follows_the_seed(warehouse, sample_raw, tmp_path):
    """With rfm_scoring = thresholds, history and current scores are the seed's bands, and customer_rfm
    is still the current month of the history."""
    import json

    from conftest import BIN

    db = tmp_path / "thresholds.duckdb"
    shutil.copy(warehouse, db)
    result = run(
        [BIN / "dbt", "build", "--target", "ci", "--select", "customer_rfm_history", "customer_rfm", "--full-refresh",
         "--exclude-resource-type", "unit_test",
         "--vars", json.dumps({"raw_root": str(sample_raw), "rfm_scoring": "thresholds"})],
        env={"C360_BUILD_DB": str(db)},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    seed = pd.read_csv(Path(__file__).resolve().parents[2] / "seeds" / "rfm_score_thresholds.csv")

    def band(metric: str, value: float, lowest_wins: bool) -> int:
        reached = seed[(seed["metric"] == metric) & (seed["min_value"] <= value)]["score"]
        return int(reached.min() if lowest_wins else reached.max())

    history = table(db, "customer_rfm_history").sample(n=500, random_state=1)
    for row in history.itertuples():
        assert row.recency_score == band("recency_days", row.recency_days, True)
        assert row.frequency_score == band("frequency", row.frequency_window, False)
        assert row.monetary_score == band("monetary", float(row.monetary_window), False)
    rfm, full_history = table(db, "customer_rfm"), table(db, "customer_rfm_history")
    current = full_history[full_history["calendar_month_end_date"] == full_history["calendar_month_end_date"].max()]
    merged = rfm.merge(current, on="customer_id", suffixes=("", "_history"))
    assert len(merged) == len(rfm) == len(current)
    assert (merged["rfm_segment"] == merged["rfm_segment_history"]).all()


def lifetimes_summary(transactions: pd.DataFrame, observation_period_end: pd.Timestamp) -> pd.DataFrame:
    """lifetimes' summary_data_from_transaction_data(freq='D', monetary_value_col=...) conventions, written
    out in pandas (lifetimes itself is not installed): transactions summed per customer and day, frequency =
    days - 1, recency = last - first day, T = end - first day, monetary_value = mean of the days after the
    first (0 without). A day of zero-value transactions is a purchase day with zero spend."""
    log = transactions[transactions["date"] <= observation_period_end].copy()
    log["period"] = log["date"].dt.to_period("D")
    periods = log.groupby(["customer_id", "period"], as_index=False)["monetary"].sum()
    periods["first"] = periods["period"] == periods.groupby("customer_id")["period"].transform("min")
    customers = periods.groupby("customer_id")["period"].agg(["min", "max", "count"])
    end = observation_period_end.to_period("D")
    summary = pd.DataFrame({
        "frequency": customers["count"] - 1,
        "recency": (customers["max"] - customers["min"]).apply(lambda offset: offset.n),
        "T": (end - customers["min"]).apply(lambda offset: offset.n),
    })
    summary["monetary_value"] = periods[~periods["first"]].groupby("customer_id")["monetary"].mean().reindex(
        summary.index).fillna(0.0)
    return summary.sort_index()


def write_web_orders_load(raw: Path, rows: list[dict]) -> None:
    """A new web/orders load after the last one, with the raw contract's columns (all text but the amount)."""
    loads = sorted((raw / "web" / "orders").glob("load_date=*"))
    load_date = pd.Timestamp(loads[-1].name.split("=")[1]) + pd.Timedelta(days=1)
    out = raw / "web" / "orders" / f"load_date={load_date.date()}"
    out.mkdir()
    frame = pd.DataFrame(rows, columns=["order_id", "account_id", "ordered_at", "order_type", "refunded_order_id",
                                        "total_amount", "currency"])
    duckdb.sql(
        "copy (select order_id, account_id, ordered_at, order_type, refunded_order_id,"
        f" cast(total_amount as double) as total_amount, currency from frame) to '{out / 'part-0.parquet'}'"
        " (format parquet)"
    )


def test_zero_value_purchases_follow_lifetimes_conventions(warehouse, sample_raw, tmp_path):
    """Sales of 0.00 are purchases with zero spend: staged and flagged, a purchase day in the BTYD summary (a
    customer whose only purchases are zero-value included), exactly as lifetimes summarises such a log; a
    negative sale, a positive refund and a zero refund stay quarantined. Run incrementally on a new load."""
    raw, db = tmp_path / "raw", tmp_path / "zero.duckdb"
    built_copy(sample_raw, warehouse, raw, db)
    con = duckdb.connect(str(db), read_only=True)
    as_of = pd.Timestamp(con.execute("select max(as_of_date) from marketing.customer_btyd_summary").fetchone()[0])
    # a web account of a customer with no order at all, and one of a repeat buyer
    prospect_account, prospect = con.execute(
        "select source_record_id, customer_id from core.bridge_customer_identity where source_name = 'web'"
        " and customer_id not in (select customer_id from core.fct_orders where customer_id is not null)"
        " order by source_record_id limit 1"
    ).fetchone()
    buyer_account, buyer, frequency, monetary_value, age = con.execute(
        "select ids.source_record_id, ids.customer_id, summary.frequency, summary.monetary_value, summary.\"T\""
        " from core.bridge_customer_identity as ids"
        " inner join marketing.customer_btyd_summary as summary on ids.customer_id = summary.customer_id"
        " where ids.source_name = 'web' and summary.frequency >= 2 and summary.recency < summary.\"T\" - 5"
        " order by ids.source_record_id limit 1"
    ).fetchone()
    generated_zero_sales = con.execute(
        "select count(*) from core.fct_orders where is_zero_value and net_amount = 0 and not is_refund"
    ).fetchone()[0]
    con.close()

    def day(days_before: int, hour: int = 12) -> str:
        return (as_of - pd.Timedelta(days=days_before)).strftime(f"%Y-%m-%d {hour:02d}:00:00")

    write_web_orders_load(raw, [
        # the prospect's only purchases: two zero-value days
        ("ZV0001", prospect_account, day(30), "sale", None, 0.0, "EUR"),
        ("ZV0002", prospect_account, day(10), "sale", None, 0.0, "EUR"),
        ("ZV0003", prospect_account, day(10, 15), "sale", None, 0.0, "EUR"),
        # a repeat buyer's zero-value purchase on a new day after their last purchase
        ("ZV0004", buyer_account, day(2), "sale", None, 0.0, "EUR"),
        # still defects
        ("ZV0005", buyer_account, day(2), "sale", None, -5.0, "EUR"),
        ("ZV0006", buyer_account, day(2), "refund", "ZV0004", 5.0, "EUR"),
        ("ZV0007", buyer_account, day(2), "refund", "ZV0004", 0.0, "EUR"),
    ])
    result = dbt("run", raw, db, "--select", "base_web__orders+")
    assert result.returncode == 0, result.stdout[-3000:]

    con = duckdb.connect(str(db), read_only=True)
    flags = dict(con.execute(
        "select order_id, is_zero_value from core.fct_orders where order_id like 'ZV%'").fetchall())
    reasons = dict(con.execute(
        "select source_record_id, quarantine_reason from quality.fct_quarantined_rows where source_record_id like 'ZV%'"
    ).fetchall())
    log = con.execute(
        "select customer_id, ordered_date as date, cast(net_amount as double) as monetary from core.fct_orders"
        " where customer_id is not null and not is_refund"
    ).df()
    con.close()
    assert generated_zero_sales > 0, "the sample's generator injects zero-value sales"
    assert flags == {"ZV0001": True, "ZV0002": True, "ZV0003": True, "ZV0004": True}
    assert reasons == {"ZV0005": "negative_sale_amount", "ZV0006": "positive_refund_amount", "ZV0007": "zero_amount"}

    log["date"] = pd.to_datetime(log["date"])
    expected = lifetimes_summary(log, as_of)
    actual = table(db, "customer_btyd_summary").set_index("customer_id").sort_index()
    assert list(actual.index) == list(expected.index)
    for column in ["frequency", "recency", "T"]:
        assert (actual[column].astype(int) == expected[column].astype(int)).all(), column
    assert (actual["monetary_value"] - expected["monetary_value"]).abs().max() < 1e-9

    # by hand: the zero-value-only customer has two purchase days 20 days apart, 30 days ago, no spend
    assert actual.loc[prospect, ["frequency", "recency", "T", "monetary_value"]].tolist() == [1, 20, 30, 0.0]
    # the buyer's zero-value day is one more repeat purchase day that lowers the mean spend
    assert actual.loc[buyer, "frequency"] == frequency + 1
    assert actual.loc[buyer, "recency"] == age - 2
    assert actual.loc[buyer, "monetary_value"] == pytest.approx(monetary_value * frequency / (frequency + 1), abs=1e-9)


def ntile_scores(values: pd.Series, n: int = 5) -> pd.Series:
    """SQL's NTILE(n) over (order by value, customer_id): the documented tie-break, then the first
    len % n groups one row larger."""
    ordered = values.rename("value").reset_index().sort_values(["value", "customer_id"])
    base, extra = divmod(len(ordered), n)
    sizes = [base + (1 if group < extra else 0) for group in range(n)]
    return pd.Series(np.repeat(np.arange(1, n + 1), sizes), index=ordered["customer_id"]).sort_index()


def dbt_with_vars(command: str, raw: Path, db: Path, variables: dict, *extra: str):
    import json

    from conftest import BIN

    return run([BIN / "dbt", *command.split(), "--target", "ci", *extra,
                "--vars", json.dumps({"raw_root": str(raw), **variables})], env={"C360_BUILD_DB": str(db)})


def test_lifetime_purchase_day_rfm_equals_pandas_ntile(warehouse, orders, sample_raw, tmp_path):
    """rfm_window_days = lifetime and rfm_frequency_unit = purchase_days: F is the lifetime purchase days, M
    the lifetime net spend, and the scores are NTILE(5) with ties ordered by customer_id; an incremental run
    with the same vars then changes nothing."""
    db = tmp_path / "lifetime.duckdb"
    shutil.copy(warehouse, db)
    variables = {"rfm_window_days": "lifetime", "rfm_frequency_unit": "purchase_days"}
    # the conventions shape the monthly totals, which the history scores
    models = ["--select", "int_customers__monthly_running_totals", "int_customers__monthly_totals", "customer_rfm_history",
              "customer_rfm"]
    result = dbt_with_vars("run", sample_raw, db, variables, *models, "--full-refresh")
    assert result.returncode == 0, result.stdout[-3000:]

    as_of = orders["ordered_date"].max()
    sales = orders[~orders["is_refund"]]
    expected = pd.DataFrame({
        "last_purchase_date": sales.groupby("customer_id")["ordered_date"].max(),
        "frequency": sales.groupby("customer_id")["ordered_date"].nunique(),
        "monetary": orders.groupby("customer_id")["net_amount"].sum(),
    }).dropna(subset=["last_purchase_date"]).sort_index()
    expected.index.name = "customer_id"
    actual = table(db, "customer_rfm").set_index("customer_id").sort_index()
    assert list(actual.index) == list(expected.index)
    assert (pd.to_datetime(actual["as_of_date"]) == as_of).all()
    for column in ["frequency_window", "frequency_lifetime"]:
        assert (actual[column].astype(int) == expected["frequency"]).all(), column
    for column in ["monetary_window", "monetary_lifetime"]:
        assert (actual[column].astype(float) - expected["monetary"]).abs().max() < 1e-9, column
    assert (actual["recency_score"] == ntile_scores(expected["last_purchase_date"])).all()
    assert (actual["frequency_score"] == ntile_scores(expected["frequency"])).all()
    assert (actual["monetary_score"] == ntile_scores(expected["monetary"].round(2))).all()
    # the default (orders in 365 days) differs: the setting reached the model
    default = table(warehouse, "customer_rfm").set_index("customer_id").sort_index()
    assert (default["frequency_score"] != actual["frequency_score"]).any()

    before = marketing_rows(db, "customer_rfm_history")
    again = dbt_with_vars("run", sample_raw, db, variables, *models)
    assert again.returncode == 0, again.stdout[-3000:]
    assert marketing_rows(db, "customer_rfm_history") == before


@pytest.mark.parametrize("variables, message", [
    ({"rfm_window_days": "weekly"}, "var rfm_window_days must be a whole number of days (1-99999) or 'lifetime', got 'weekly'"),
    ({"rfm_window_days": -30}, "var rfm_window_days must be a whole number of days (1-99999) or 'lifetime', got '-30'"),
    ({"rfm_frequency_unit": "visits"}, "var rfm_frequency_unit must be 'orders' or 'purchase_days', got 'visits'"),
    ({"rfm_scoring": "deciles"}, "var rfm_scoring must be 'quintiles' or 'thresholds', got 'deciles'"),
    ({"churn_recompute_customer_limit": "many"},
     "var churn_recompute_customer_limit must be a whole number of customers (0-999999999), got 'many'"),
])
def test_invalid_rfm_var_stops_with_one_line(sample_raw, tmp_path, variables, message):
    result = dbt_with_vars("compile", sample_raw, tmp_path / "empty.duckdb", variables, "--select", "customer_rfm_history")
    assert result.returncode != 0
    assert any(line.rstrip().endswith(message) for line in result.stdout.splitlines()), result.stdout[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
