"""One row per customer of customer_btyd_summary: probability of being alive, expected purchase days
and spend over the next var('clv_horizon_days') days, and the customer lifetime value over that
horizon, from the latest monthly fit of customer_clv_fits.

The parameters come from pymc-marketing; the predictions are its closed forms (Fader, Hardie & Lee
2005, eq. 10 and P(alive); Fader & Hardie 2013, eq. 5) written with numpy and scipy, so that the
daily run costs a fraction of a second instead of importing pymc. tests/python/test_marketing.py
checks them against pymc-marketing's own predictive methods.
"""
import numpy as np
import pandas as pd
from scipy.special import hyp2f1

COLUMNS = [
    "customer_id", "as_of_date", "frequency", "recency", "T", "monetary_value", "probability_alive",
    "expected_purchase_days", "expected_spend_per_purchase_day", "expected_clv", "clv_horizon_days",
    "clv_calibration_end_date",
]


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
    dbt.config(materialized="table", packages=["scipy", "numpy", "pandas"])
    horizon = int(dbt.config.get("clv_horizon_days") or 365)
    summary = dbt.ref("customer_btyd_summary").df()
    fits = dbt.ref("customer_clv_fits").df()
    scores = summary.copy()
    scores["clv_horizon_days"] = horizon
    if fits.empty or summary.empty:
        for column in COLUMNS[6:11]:
            scores[column] = np.nan
        scores["clv_calibration_end_date"] = pd.NaT
        return scores[COLUMNS]

    latest = fits.sort_values("calibration_end_date").iloc[-1]
    r, alpha, a, b = (float(latest[f"bgnbd_{name}"]) for name in ("r", "alpha", "a", "b"))
    p, q, v = (float(latest[f"gamma_gamma_{name}"]) for name in ("p", "q", "v"))
    x = scores["frequency"].to_numpy(dtype="float64")
    t_x = scores["recency"].to_numpy(dtype="float64")
    big_t = scores["T"].to_numpy(dtype="float64")
    mean_spend = scores["monetary_value"].to_numpy(dtype="float64")

    scores["probability_alive"] = probability_alive(x, t_x, big_t, r, alpha, a, b)
    scores["expected_purchase_days"] = expected_purchases(horizon, x, t_x, big_t, r, alpha, a, b)
    scores["expected_spend_per_purchase_day"] = expected_spend(x, mean_spend, p, q, v)
    scores["expected_clv"] = scores["expected_purchase_days"] * scores["expected_spend_per_purchase_day"]
    scores["clv_calibration_end_date"] = latest["calibration_end_date"]
    return scores[COLUMNS]
