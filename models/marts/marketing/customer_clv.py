"""One row per customer of customer_btyd_summary: probability of being alive, expected purchase days
and spend over the next var('clv_horizon_days') days, and the customer lifetime value over that
horizon, from the latest monthly fit of customer_clv_fits.

The parameters come from pymc-marketing; the predictions are its closed forms (Fader, Hardie & Lee
2005, eq. 10 and P(alive); Fader & Hardie 2013, eq. 5) written with numpy and scipy, so that the
daily run costs a fraction of a second instead of importing pymc. tests/python/test_clv.py checks
them against pymc-marketing's own predictive methods.
"""
import numpy as np
import pyarrow as pa
from scipy.special import hyp2f1

# Arrow in and out, no pandas: this model runs every day, and importing pandas would cost more than
# the scoring (dbt-duckdb imports pyarrow to write the result anyway).
SCORE_COLUMNS = ["probability_alive", "expected_purchase_days", "expected_spend_per_purchase_day", "expected_clv"]


def probability_alive(x, t_x, big_t, r, alpha, a, b):
    """BG/NBD P(alive | x, t_x, T)."""
    odds_dead = np.where(x > 0, a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0.0)
    return 1.0 / (1.0 + odds_dead)


def expected_purchases(t, x, t_x, big_t, r, alpha, a, b):
    """BG/NBD E[purchases in (T, T + t] | x, t_x, T], eq. 10 of Fader, Hardie & Lee (2005)."""
    numerator = (a + b + x - 1) / (a - 1) * (
        1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
    )
    denominator = 1 + np.where(x > 0, a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0.0)
    return numerator / denominator


def expected_spend(x, mean_spend, p, q, v):
    """Gamma-Gamma E[spend per purchase day | x, mean spend]: a weighted mean of the population mean and the
    customer's own; customers without a positive repeat spend get the population mean."""
    own = np.where((x > 0) & (mean_spend > 0), x, 0)
    weight = p * own / (p * own + q - 1)
    return (1 - weight) * (v * p / (q - 1)) + weight * np.where(own > 0, mean_spend, 0.0)


def model(dbt, session):
    dbt.config(materialized="table", packages=["scipy", "numpy", "pyarrow"])
    horizon = int(dbt.config.get("clv_horizon_days") or 365)
    summary = dbt.ref("customer_btyd_summary").select(
        "customer_id, as_of_date, frequency, recency, \"T\", monetary_value"
    ).to_arrow_table()
    fits = dbt.ref("customer_clv_fits").order("calibration_end_date desc").limit(1).to_arrow_table().to_pylist()
    rows = summary.num_rows
    if not fits or rows == 0:
        scores = {column: pa.nulls(rows, pa.float64()) for column in SCORE_COLUMNS}
        calibration_end = pa.nulls(rows, pa.timestamp("us"))
    else:
        fit = fits[0]
        r, alpha, a, b = (fit[f"bgnbd_{name}"] for name in ("r", "alpha", "a", "b"))
        p, q, v = (fit[f"gamma_gamma_{name}"] for name in ("p", "q", "v"))
        x, t_x, big_t, mean_spend = (
            summary.column(name).to_numpy().astype("float64") for name in ("frequency", "recency", "T", "monetary_value")
        )
        purchases = expected_purchases(horizon, x, t_x, big_t, r, alpha, a, b)
        spend = expected_spend(x, mean_spend, p, q, v)
        scores = {
            "probability_alive": probability_alive(x, t_x, big_t, r, alpha, a, b),
            "expected_purchase_days": purchases,
            "expected_spend_per_purchase_day": spend,
            "expected_clv": purchases * spend,
        }
        calibration_end = pa.array([fit["calibration_end_date"]] * rows, pa.timestamp("us"))
    for column in SCORE_COLUMNS:
        values = scores[column]
        summary = summary.append_column(column, values if isinstance(values, pa.Array) else pa.array(values, pa.float64()))
    summary = summary.append_column("clv_horizon_days", pa.array([horizon] * rows, pa.int64()))
    return summary.append_column("clv_calibration_end_date", calibration_end)
