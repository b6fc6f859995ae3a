"""One row per customer of customer_btyd_summary: probability of being alive, expected purchase days
and spend over the next var('clv_horizon_days') days, and the customer lifetime value over that
horizon, from the latest monthly fit of customer_clv_fits (or, with var('clv_calibration_end') set, from
the fit on the purchases up to that date).

The parameters come from pymc-marketing; the predictions are its closed forms (Fader, Hardie & Lee
2005, eq. 10 and P(alive); Fader & Hardie 2013, eq. 5) written with numpy alone, so that the daily
run costs a fraction of a second instead of importing pymc. tests/python/test_clv.py checks them
against pymc-marketing's own predictive methods.
"""
# dbt writes this model's config into its code as a Python literal: a date var given unquoted in
# --vars (clv_calibration_end: 2024-12-31) becomes datetime.date(2024, 12, 31), which needs the module.
import datetime  # noqa: F401
import numpy as np

# numpy in and out, through DuckDB's fetchnumpy and a registered dict of arrays: this model runs every
# day for every customer (T moves), and importing pandas or scipy would cost more than the scoring
# (pyarrow's numpy conversions import pandas too).
MAX_SERIES_TERMS = 100_000
SCORE_COLUMNS = ["probability_alive", "expected_purchase_days", "expected_spend_per_purchase_day", "expected_clv"]


def probability_alive(x, t_x, big_t, r, alpha, a, b):
    """BG/NBD P(alive | x, t_x, T)."""
    odds_dead = np.where(x > 0, a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0.0)
    return 1.0 / (1.0 + odds_dead)


def hypergeometric_series(p, q, c, z):
    """sum over k of (p)_k (q)_k / ((c)_k k!) z^k, the Gauss series 2F1(p, q; c; z), for arrays c and z in
    [0, 1): each customer's sum stops once its term is below 1e-17 of it and shrinking. Only the
    customers still summing are carried on: young customers (z near 1) need hundreds of terms, most
    need tens."""
    c = np.broadcast_to(c, z.shape)
    term, total = np.ones_like(z), np.ones_like(z)
    summing = np.arange(z.size)
    for k in range(MAX_SERIES_TERMS):
        ratio = (p + k) * (q + k) / ((c[summing] + k) * (k + 1)) * z[summing]
        term[summing] *= ratio
        total[summing] += term[summing]
        converged = (np.abs(term[summing]) <= 1e-17 * np.abs(total[summing])) & (np.abs(ratio) < 1)
        summing = summing[~converged]
        if summing.size == 0:
            return total
    raise ValueError("the hypergeometric series did not converge: is clv_horizon_days far longer than the history?")


def expected_purchases(t, x, t_x, big_t, r, alpha, a, b):
    """BG/NBD E[purchases in (T, T + t] | x, t_x, T], eq. 10 of Fader, Hardie & Lee (2005).

    Its 2F1(r + x, b + x; a + b + x - 1; z), z = t / (alpha + T + t), goes through Euler's transformation
    2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z): the factor ((alpha + T) / (alpha + T + t))^(r + x),
    which is (1 - z)^(r + x), then leaves (1 - z)^(a - 1) times a series whose terms shrink like
    k^(a - 2 - r - x) z^k and never change sign after the first, so it is summed without cancellation."""
    one_minus_z = (alpha + big_t) / (alpha + big_t + t)
    series = hypergeometric_series(a + b - 1 - r, a - 1, a + b + x - 1, t / (alpha + big_t + t))
    numerator = (a + b + x - 1) / (a - 1) * (1 - one_minus_z ** (a - 1) * series)
    denominator = 1 + np.where(x > 0, a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0.0)
    return numerator / denominator


def expected_spend(x, mean_spend, p, q, v):
    """Gamma-Gamma E[spend per purchase day | x, mean spend]: a weighted mean of the population mean and the
    customer's own; customers without a positive repeat spend get the population mean."""
    own = np.where((x > 0) & (mean_spend > 0), x, 0)
    weight = p * own / (p * own + q - 1)
    return (1 - weight) * (v * p / (q - 1)) + weight * np.where(own > 0, mean_spend, 0.0)


def model(dbt, session):
    dbt.config(materialized="table", packages=["numpy"])
    horizon = int(dbt.config.get("clv_horizon_days") or 365)
    summary = dbt.ref("customer_btyd_summary").select(
        "customer_id, as_of_date, frequency, recency, \"T\", monetary_value"
    )
    chosen = dbt.config.get("clv_calibration_end")
    if chosen is None or str(chosen).strip().lower() in ("", "none", "null"):
        # the monthly fits only: a fit on another day was made for a validation (var clv_calibration_end)
        fits = dbt.ref("customer_clv_fits").filter("calibration_end_date = last_day(calibration_end_date)")
    else:
        # scored with the calibration fit, as lifetimes users do when validating (customer_clv_fits
        # has checked the date)
        import datetime as dt

        chosen_end = dt.date.fromisoformat(str(chosen).strip())
        fits = dbt.ref("customer_clv_fits").filter(f"calibration_end_date = date '{chosen_end}'")
    fits = fits.order("calibration_end_date desc").limit(1)
    fit = dict(zip(fits.columns, fits.fetchall()[0])) if fits.aggregate("count(*)").fetchall()[0][0] else None
    if fit is None:
        return summary.select(
            "*, " + ", ".join(f"cast(null as double) as {column}" for column in SCORE_COLUMNS)
            + f", cast({horizon} as bigint) as clv_horizon_days, cast(null as date) as clv_calibration_end_date"
        )
    arrays = summary.fetchnumpy()
    x, t_x, big_t, mean_spend = (
        arrays[name].astype("float64") for name in ("frequency", "recency", "T", "monetary_value")
    )
    r, alpha, a, b = (fit[f"bgnbd_{name}"] for name in ("r", "alpha", "a", "b"))
    p, q, v = (fit[f"gamma_gamma_{name}"] for name in ("p", "q", "v"))
    purchases = expected_purchases(horizon, x, t_x, big_t, r, alpha, a, b)
    spend = expected_spend(x, mean_spend, p, q, v)
    # numpy arrays go back to DuckDB as a registered view: no pandas or pyarrow round trip
    session.register("customer_clv__scores", {
        "customer_id": arrays["customer_id"],
        "probability_alive": probability_alive(x, t_x, big_t, r, alpha, a, b),
        "expected_purchase_days": purchases,
        "expected_spend_per_purchase_day": spend,
        "expected_clv": purchases * spend,
    })
    return summary.join(session.view("customer_clv__scores"), "customer_id").select(
        "customer_id, as_of_date, frequency, recency, \"T\", monetary_value, " + ", ".join(SCORE_COLUMNS)
        + f", cast({horizon} as bigint) as clv_horizon_days"
        + f", cast(timestamp '{fit['calibration_end_date']}' as date) as clv_calibration_end_date"
    )
