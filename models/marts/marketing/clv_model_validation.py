"""The calibration/holdout table of the BG/NBD fit, as lifetimes users check a model: customers who bought
by var('clv_calibration_end') are grouped by their purchase days after the first in the calibration period
(frequency 0..6, 7+), and per group the mean purchase days the fit predicts for the holdout (the days after
the calibration end up to the as-of date) is set beside the mean they made, plus an 'all' row.

The calibration summary and the holdout purchases follow lifetimes' calibration_and_holdout_data: purchase
days of non-refund orders (zero-value ones included), customers whose first purchase is in the holdout
left out. The predictions are pymc-marketing's own expected_purchases with the stored parameters of the
fit customer_clv_fits made for that date: an independent check of the closed forms customer_clv uses, and
pymc is imported only when a validation is asked for. Without the var the table is empty.
"""
# dbt writes this model's config into its code as a Python literal: a date var given unquoted in
# --vars (clv_calibration_end: 2024-12-31) becomes datetime.date(2024, 12, 31), which needs the module.
import datetime  # noqa: F401
import datetime as dt

FREQUENCY_BUCKETS = 7  # 0..6 and 7+, lifetimes' plot_calibration_purchases_vs_holdout_purchases default
COLUMNS = {
    "frequency_bucket": "varchar",
    "bucket_order": "bigint",
    "calibration_end_date": "date",
    "holdout_end_date": "date",
    "holdout_days": "bigint",
    "customers": "bigint",
    "mean_predicted_purchase_days": "double",
    "mean_actual_purchase_days": "double",
    "mean_absolute_error": "double",
}

# Per customer who bought by the calibration end: the calibration summary (customer_btyd_summary's
# conventions at that date) and the purchase days in the holdout.
CALIBRATION_HOLDOUT_SQL = """
with buying_days as (
    select customer_id, purchase_date
    from purchase_days
    where order_count > 0 and purchase_date <= date '{holdout_end}'
),
calibration as (
    select
        customer_id,
        count(*) - 1 as frequency,
        date_diff('day', min(purchase_date), max(purchase_date)) as recency,
        date_diff('day', min(purchase_date), date '{calibration_end}') as T
    from buying_days
    where purchase_date <= date '{calibration_end}'
    group by customer_id
),
holdout as (
    select customer_id, count(*) as holdout_purchase_days
    from buying_days
    where purchase_date > date '{calibration_end}'
    group by customer_id
)
select calibration.*, coalesce(holdout.holdout_purchase_days, 0) as holdout_purchase_days
from calibration
left join holdout on calibration.customer_id = holdout.customer_id
order by calibration.customer_id
"""


def empty(session):
    return session.sql("select " + ", ".join(f"cast(null as {t}) as {c}" for c, t in COLUMNS.items()) + " limit 0")


def predicted_purchase_days(summary, fit, holdout_days: int):
    """pymc-marketing's BG/NBD expected purchases in (T, T + holdout_days] with the stored parameters."""
    import warnings

    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # one import at a time across dbt's model threads: see churn_model_fits.py
        import threading

        with threading.__dict__.setdefault("customer360_import_lock", threading.Lock()):
            import arviz as az
            from pymc_marketing.clv import BetaGeoModel

        model = BetaGeoModel(data=summary[["customer_id", "frequency", "recency", "T"]])
        model.build_model()
        model.idata = az.from_dict(posterior={
            name: np.array([[fit[f"bgnbd_{name}"]]]) for name in ("r", "alpha", "a", "b")
        })
        return model.expected_purchases(future_t=holdout_days).values.squeeze()


def bucket_table(summary):
    """Rows per calibration frequency bucket and 'all': customers, mean predicted and actual, MAE."""
    import pandas as pd

    summary = summary.assign(
        bucket_order=summary["frequency"].clip(upper=FREQUENCY_BUCKETS),
        error=(summary["predicted"] - summary["holdout_purchase_days"]).abs(),
    )
    rows = []
    for order, group in [*summary.groupby("bucket_order"), (FREQUENCY_BUCKETS + 1, summary)]:
        rows.append({
            "frequency_bucket": "all" if order > FREQUENCY_BUCKETS
            else f"{order}+" if order == FREQUENCY_BUCKETS else str(order),
            "bucket_order": int(order),
            "customers": len(group),
            "mean_predicted_purchase_days": float(group["predicted"].mean()),
            "mean_actual_purchase_days": float(group["holdout_purchase_days"].mean()),
            "mean_absolute_error": float(group["error"].mean()),
        })
    return pd.DataFrame(rows)


def model(dbt, session):
    dbt.config(materialized="table", packages=["pymc-marketing", "pandas"])
    fits = dbt.ref("customer_clv_fits")
    chosen = dbt.config.get("clv_calibration_end")
    if chosen is None or str(chosen).strip().lower() in ("", "none", "null"):
        return empty(session)
    # customer_clv_fits has checked the date (and that it is before the as-of date)
    calibration_end = dt.date.fromisoformat(str(chosen).strip())
    fit = fits.filter(f"calibration_end_date = date '{calibration_end}'")
    if fit.aggregate("count(*)").fetchall()[0][0] == 0:
        # customer_clv_fits made no fit (too few repeat buyers by that date): nothing to validate
        print(f"clv_model_validation: no fit for clv_calibration_end {calibration_end}, so no validation")
        return empty(session)
    fit = dict(zip(fit.columns, fit.fetchall()[0]))
    holdout_end = dbt.ref("customer_btyd_summary").aggregate("max(as_of_date)").fetchall()[0][0]
    holdout_days = (holdout_end - calibration_end).days

    summary = dbt.ref("int_customers__purchase_days").query(
        "purchase_days", CALIBRATION_HOLDOUT_SQL.format(calibration_end=calibration_end, holdout_end=holdout_end)
    ).df()
    summary["predicted"] = predicted_purchase_days(summary, fit, holdout_days)
    session.register("clv_model_validation__rows", bucket_table(summary).assign(
        calibration_end_date=calibration_end, holdout_end_date=holdout_end, holdout_days=holdout_days
    ))
    # the documented types, not the ones pandas infers (its dates would become timestamps)
    return session.sql(
        "select " + ", ".join(f"cast({c} as {t}) as {c}" for c, t in COLUMNS.items())
        + " from clv_model_validation__rows order by bucket_order"
    )
