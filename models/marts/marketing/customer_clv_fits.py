"""One row per monthly fit of the buy-till-you-die models, the parameters customer_clv scores with.

The BG/NBD model (purchase rate and dropout) and the Gamma-Gamma model (spend per purchase day) are
fitted by pymc-marketing (maximum a posteriori with flat priors, i.e. maximum likelihood, the
estimates lifetimes gives) on the BTYD summary as of the calibration end date: the last complete
month end on or before the analytics as-of date. Population parameters move slowly, so a fit is made
once per month: an incremental run whose calibration month is already fitted appends nothing and
does not even import pymc (8 s on this machine). Because the calibration date, not the run date,
decides the fit, an incremental run and a full refresh hold the same fit for the same month.

Gamma-Gamma needs a strictly positive mean repeat spend (lifetimes refuses any other): customers
without repeat purchase days, or whose repeat days are all zero-value purchases, are left out of its fit
and counted in customers_left_out_of_spend_fit.

Model validation: with var('clv_calibration_end') set, the fit is made on the purchases up to that
date instead (read from int_customers__purchase_days, so no --full-refresh is needed) and clv_model_validation
compares its predictions with the purchases after it.
"""
# dbt writes this model's config into its code as a Python literal: a date var given unquoted in
# --vars (clv_calibration_end: 2024-12-31) becomes datetime.date(2024, 12, 31), which needs the module.
import datetime  # noqa: F401
import datetime as dt

MIN_REPEAT_CUSTOMERS = 50
# Imports are made where they are needed: a run with nothing to fit returns an empty DuckDB relation
# and loads neither pandas nor pymc.
COLUMNS = {
    "calibration_end_date": "date",
    "customers_fitted": "bigint",
    "repeat_customers_fitted": "bigint",
    "customers_left_out_of_spend_fit": "bigint",
    "total_frequency": "bigint",
    "total_recency": "bigint",
    "total_t": "bigint",
    "total_monetary_value": "double",
    "bgnbd_r": "double",
    "bgnbd_alpha": "double",
    "bgnbd_a": "double",
    "bgnbd_b": "double",
    "gamma_gamma_p": "double",
    "gamma_gamma_q": "double",
    "gamma_gamma_v": "double",
    "fitted_at": "timestamp",
}

# The conventions of customer_btyd_summary (purchase days of non-refund orders, days as the time
# unit), evaluated at a past date; tests/python/test_marketing.py checks both against pandas.
CALIBRATION_SQL = """
with buying_days as (
    select
        customer_id,
        purchase_date,
        sales_amount,
        row_number() over (partition by customer_id order by purchase_date) as purchase_day_number
    from purchase_days
    where order_count > 0 and purchase_date <= date '{end}'
)
select
    customer_id,
    count(*) - 1 as frequency,
    date_diff('day', min(purchase_date), max(purchase_date)) as recency,
    date_diff('day', min(purchase_date), date '{end}') as T,
    cast(coalesce(
        sum(case when purchase_day_number > 1 then sales_amount end) / nullif(count(*) - 1, 0), 0
    ) as double) as monetary_value
from buying_days
group by customer_id
order by customer_id
"""


def no_fit(session):
    return session.sql("select " + ", ".join(f"cast(null as {t}) as {c}" for c, t in COLUMNS.items()) + " limit 0")


def calibration_end(as_of: dt.date) -> dt.date:
    """The last complete month end on or before the as-of date."""
    if (as_of + dt.timedelta(days=1)).day == 1:
        return as_of
    return as_of.replace(day=1) - dt.timedelta(days=1)


def chosen_calibration_end(value, as_of: dt.date) -> dt.date | None:
    """var('clv_calibration_end') as a date before the as-of date, None when unset; a bad value stops
    the run with one line (a validation needs a holdout after the calibration end)."""
    if value is None or str(value).strip().lower() in ("", "none", "null"):
        return None
    try:
        end = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"var clv_calibration_end must be a date YYYY-MM-DD, got '{value}'") from None
    if end >= as_of:
        raise ValueError(
            f"var clv_calibration_end ({end}) must be before the as-of date ({as_of}): the holdout after it is empty"
        )
    return end


def fit(summary) -> dict:
    import warnings

    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # one import at a time across dbt's model threads: see churn_model_fits.py. The fits hold the lock
        # too: pytensor's compile puts each compiled module's folder at the head of sys.path and deletes it
        # again, and imports setuptools, whose distutils shim inserts itself into sys.meta_path and removes
        # itself. A model importing in another thread meanwhile walks a list that shrank under it and misses
        # a finder ("No module named 'sklearn._loss'", seen in CI).
        import threading

        with threading.__dict__.setdefault("customer360_import_lock", threading.Lock()):
            from pymc_extras.prior import Prior
            from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

            flat = {name: Prior("HalfFlat") for name in ("a", "b", "alpha", "r")}
            purchases = BetaGeoModel(data=summary[["customer_id", "frequency", "recency", "T"]], model_config=flat)
            purchases.fit(method="map", progressbar=False)
            repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
            spend = GammaGammaModel(data=repeat[["customer_id", "frequency", "monetary_value"]])
            spend.fit(method="map", progressbar=False)
    bgnbd = {name: float(np.squeeze(purchases.fit_result[name].values)) for name in ("r", "alpha", "a", "b")}
    gamma_gamma = {name: float(np.squeeze(spend.fit_result[name].values)) for name in ("p", "q", "v")}
    return {
        "repeat_customers_fitted": len(repeat),
        **{f"bgnbd_{name}": value for name, value in bgnbd.items()},
        **{f"gamma_gamma_{name}": value for name, value in gamma_gamma.items()},
    }


def model(dbt, session):
    # on_schema_change ignore: a run with nothing to fit appends a hand-typed empty relation, whose
    # timestamps need not match the precision pandas gave the fitted rows
    dbt.config(
        materialized="incremental", incremental_strategy="append", on_schema_change="ignore", packages=["pymc-marketing", "pandas"]
    )
    as_of = dbt.ref("customer_btyd_summary").aggregate("max(as_of_date)").fetchall()[0][0]
    if as_of is None:
        return no_fit(session)
    end = chosen_calibration_end(dbt.config.get("clv_calibration_end"), as_of) or calibration_end(as_of)
    if dbt.is_incremental:
        fitted = session.sql(f"select count(*) from {dbt.this} where calibration_end_date = date '{end}'")
        if fitted.fetchall()[0][0] > 0:
            return no_fit(session)

    import pandas as pd

    summary = dbt.ref("int_customers__purchase_days").query("purchase_days", CALIBRATION_SQL.format(end=end)).df()
    repeat_spenders = int(((summary["frequency"] > 0) & (summary["monetary_value"] > 0)).sum())
    if repeat_spenders < MIN_REPEAT_CUSTOMERS:
        # too little repeat buying to estimate dropout and spend: no fit rather than a wild one
        return no_fit(session)
    row = {
        "calibration_end_date": end,
        "customers_fitted": len(summary),
        "customers_left_out_of_spend_fit": len(summary) - repeat_spenders,
        "total_frequency": int(summary["frequency"].sum()),
        "total_recency": int(summary["recency"].sum()),
        "total_t": int(summary["T"].sum()),
        "total_monetary_value": float(summary["monetary_value"].sum()),
        **fit(summary),
        "fitted_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
    }
    frame = pd.DataFrame([row])[list(COLUMNS)]
    # the BI types of docs/design.md: a date object column becomes DATE (a pd.Timestamp of a date would
    # be TIMESTAMP_S), and the fit time microseconds, i.e. TIMESTAMP
    frame["fitted_at"] = frame["fitted_at"].astype("datetime64[us]")
    return frame
