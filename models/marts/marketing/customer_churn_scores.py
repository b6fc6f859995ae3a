"""One row per customer who has bought, scored at the latest as-of date of churn_features: the
probability of no purchase in the churn horizon, from a gradient-boosted model trained on labelled
history. The model is evaluated on a later time split (the latest labelled months, never seen in
training) against a recency-only baseline; both ROC-AUCs are carried on every row so BI shows them.

Python only receives the per-customer-month feature table (never orders or events), sampled to at
most MAX_TRAINING_ROWS rows, so the cost stays flat as the warehouse grows.
"""
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

MAX_TRAINING_ROWS = 300_000
TEST_MONTHS = 3
TRAIN_MONTHS = 12
NUMERIC_FEATURES = [
    "recency_days", "frequency_window", "frequency_lifetime", "monetary_window", "monetary_lifetime",
    "monetary_window_change_3m", "web_order_share", "store_order_share", "app_order_share",
    "app_events_30d", "campaign_responses_90d", "complaints_90d", "average_csat_before",
]
STAGES = ["new", "active", "at_risk", "lapsed", "churned", "reactivated"]


def design_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    matrix = frame[NUMERIC_FEATURES].astype("float64").copy()
    matrix["has_bounced_email_before"] = frame["has_bounced_email_before"].astype("float64")
    for stage in STAGES:
        matrix[f"stage_{stage}"] = (frame["lifecycle_stage"] == stage).astype("float64")
    return matrix


def empty_scores(latest: pd.DataFrame, training_rows: int, test_rows: int) -> pd.DataFrame:
    frame = latest[["customer_id", "as_of_date", "lifecycle_stage"]].copy()
    frame["churn_probability"] = np.nan
    frame["churn_risk_band"] = None
    frame["model_test_auc"] = np.nan
    frame["baseline_recency_test_auc"] = np.nan
    frame["training_rows"] = training_rows
    frame["test_rows"] = test_rows
    return frame[[
        "customer_id", "as_of_date", "churn_probability", "churn_risk_band", "lifecycle_stage",
        "model_test_auc", "baseline_recency_test_auc", "training_rows", "test_rows",
    ]].reset_index(drop=True)


def model(dbt, session):
    dbt.config(materialized="table", packages=["scikit-learn", "pandas", "numpy"])
    horizon = int(dbt.config.get("churn_horizon_days") or 90)
    features = dbt.ref("churn_features").df()

    labelled = features[features["is_churned_next_horizon"].notna()].copy()
    labelled["is_churned_next_horizon"] = labelled["is_churned_next_horizon"].astype(bool)
    dates = np.sort(labelled["as_of_date"].unique())
    latest = features[features["as_of_date"] == features["as_of_date"].max()].copy()
    if len(dates) <= TEST_MONTHS:
        return empty_scores(latest, 0, 0)
    test_dates = dates[-TEST_MONTHS:]
    # training labels look horizon days ahead: keep them clear of the test period
    train_end = pd.Timestamp(test_dates[0]) - pd.Timedelta(days=horizon)
    train_dates = [d for d in dates if pd.Timestamp(d) <= train_end][-TRAIN_MONTHS:]
    train = labelled[labelled["as_of_date"].isin(train_dates)]
    if len(train) > MAX_TRAINING_ROWS:
        train = train.sample(n=MAX_TRAINING_ROWS, random_state=7)
    test = labelled[labelled["as_of_date"].isin(test_dates)]
    if train["is_churned_next_horizon"].nunique() < 2 or test["is_churned_next_horizon"].nunique() < 2:
        # too little labelled history (a new warehouse, a short export): no model rather than a bad one
        return empty_scores(latest, len(train), len(test))

    # a feature with no values at all (a channel the company lacks) carries no signal
    train_matrix = design_matrix(train)
    used = [column for column in train_matrix.columns if train_matrix[column].notna().any()]
    classifier = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=7)
    classifier.fit(train_matrix[used], train["is_churned_next_horizon"])
    test_scores = classifier.predict_proba(design_matrix(test)[used])[:, 1]
    model_auc = roc_auc_score(test["is_churned_next_horizon"], test_scores)
    baseline_auc = roc_auc_score(test["is_churned_next_horizon"], test["recency_days"])

    latest["churn_probability"] = classifier.predict_proba(design_matrix(latest)[used])[:, 1]
    latest["churn_risk_band"] = pd.cut(
        latest["churn_probability"], bins=[-0.01, 0.25, 0.5, 0.75, 1.0], labels=["low", "medium", "high", "very_high"]
    ).astype(str)
    latest["model_test_auc"] = round(float(model_auc), 4)
    latest["baseline_recency_test_auc"] = round(float(baseline_auc), 4)
    latest["training_rows"] = len(train)
    latest["test_rows"] = len(test)
    return latest[[
        "customer_id", "as_of_date", "churn_probability", "churn_risk_band", "lifecycle_stage",
        "model_test_auc", "baseline_recency_test_auc", "training_rows", "test_rows",
    ]].reset_index(drop=True)
