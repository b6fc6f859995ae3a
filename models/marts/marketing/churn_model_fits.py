"""One row per trained churn model: a scikit-learn gradient-boosted classifier of "no purchase in the
next var('churn_horizon_days') days", trained on the labelled months of churn_features and evaluated
on a later time split (the latest TEST_MONTHS labelled as-of dates, never seen in training) against a
recency-only baseline. customer_churn_scores scores with the newest row.

A model is trained when a new as-of date becomes labelled (once a month); any other run appends
nothing and imports nothing, so the daily cost does not carry the training (12 s at 100k customers).
The model is kept twice: as a base64 pickle, the scikit-learn object itself (pinned in
requirements.lock, so it stays loadable) for audits and tests, and as JSON arrays of its trees, which
customer_churn_scores walks with numpy alone: scoring then imports neither pandas nor scikit-learn, and
unpickling, which can run code, is never needed in the daily run.

Python only receives the per-customer-month feature table (never orders or events), sampled to at
most MAX_TRAINING_ROWS rows, so the cost stays flat as the warehouse grows.
"""
import base64
import datetime as dt
import json
import pickle

MAX_TRAINING_ROWS = 300_000
TEST_MONTHS = 3
TRAIN_MONTHS = 12
NUMERIC_FEATURES = [
    "recency_days", "frequency_window", "frequency_lifetime", "monetary_window", "monetary_lifetime",
    "monetary_window_change_3m", "web_order_share", "store_order_share", "app_order_share",
    "app_events_30d", "campaign_responses_90d", "complaints_90d", "average_csat_before",
]
STAGES = ["new", "active", "at_risk", "lapsed", "churned", "reactivated"]
# Imports are made where they are needed: a run with nothing to train returns an empty DuckDB
# relation and loads neither pandas nor scikit-learn.
COLUMNS = {
    "labelled_through_date": "date",
    "training_rows": "bigint",
    "test_rows": "bigint",
    "model_test_auc": "double",
    "baseline_recency_test_auc": "double",
    "features_used": "varchar",
    "model_pickle_base64": "varchar",
    "model_trees_json": "varchar",
    "trained_at": "timestamp",
}


def design_matrix(frame):
    """The classifier's inputs: numeric features, and one 0/1 column per lifecycle stage (stage_<name>), the
    naming customer_churn_scores relies on to rebuild the matrix from features_used."""
    matrix = frame[NUMERIC_FEATURES].astype("float64").copy()
    matrix["has_bounced_email_before"] = frame["has_bounced_email_before"].astype("float64")
    for stage in STAGES:
        matrix[f"stage_{stage}"] = (frame["lifecycle_stage"] == stage).astype("float64")
    return matrix


def trees_json(classifier, used: list[str]) -> str:
    """The fitted trees as plain arrays: raw score = baseline + the sum over trees of the value of the leaf a
    row reaches; at a split, a row goes left when its value <= threshold, and a missing value goes left
    when missing_left. This is what scikit-learn's predictor does; tests/python/test_clv.py checks the
    numpy walk of customer_churn_scores against predict_proba."""
    trees = []
    for (predictor,) in classifier._predictors:  # binary classification: one tree per iteration
        nodes = predictor.nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not exported: the churn features are numeric")
        trees.append({
            "feature": nodes["feature_idx"].tolist(),
            "threshold": nodes["num_threshold"].tolist(),
            "missing_left": nodes["missing_go_to_left"].astype(bool).tolist(),
            "left": nodes["left"].tolist(),
            "right": nodes["right"].tolist(),
            "leaf": nodes["is_leaf"].astype(bool).tolist(),
            "value": nodes["value"].tolist(),
        })
    baseline = float(classifier._baseline_prediction.ravel()[0])
    return json.dumps({"baseline": baseline, "features": used, "trees": trees})


def no_fit(session):
    return session.sql("select " + ", ".join(f"cast(null as {t}) as {c}" for c, t in COLUMNS.items()) + " limit 0")


def split_dates(dates, horizon: int):
    """(test dates, training dates) of the sorted labelled as-of dates, or None when there are too few."""
    import pandas as pd

    if len(dates) <= TEST_MONTHS:
        return None
    test_dates = list(dates[-TEST_MONTHS:])
    # training labels look horizon days ahead: keep them clear of the test period
    train_end = pd.Timestamp(test_dates[0]) - pd.Timedelta(days=horizon)
    return test_dates, [d for d in dates if pd.Timestamp(d) <= train_end][-TRAIN_MONTHS:]


def train(labelled, horizon: int) -> dict | None:
    import numpy as np
    import pandas as pd

    # dbt runs two Python models at once, in threads of one process, and pymc-marketing imports scikit-learn:
    # two threads importing scikit-learn at the same time can meet it half-initialized (ImportError). One
    # lock, kept on the threading module so every model finds the same one, makes the imports take turns.
    # customer_clv_fits holds it for its whole fit, which changes sys.path and sys.meta_path as it goes.
    import threading

    with threading.__dict__.setdefault("customer360_import_lock", threading.Lock()):
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.metrics import roc_auc_score

    split = split_dates(np.sort(labelled["as_of_date"].unique()), horizon)
    if split is None:
        return None
    test_dates, train_dates = split
    # a fixed row order makes the sample, and so the model, the same on every rebuild
    train_rows = labelled[labelled["as_of_date"].isin(train_dates)].sort_values(["as_of_date", "customer_id"])
    if len(train_rows) > MAX_TRAINING_ROWS:
        train_rows = train_rows.sample(n=MAX_TRAINING_ROWS, random_state=7)
    test_rows = labelled[labelled["as_of_date"].isin(test_dates)]
    if train_rows["is_churned_next_horizon"].nunique() < 2 or test_rows["is_churned_next_horizon"].nunique() < 2:
        # too little labelled history (a new warehouse, a short export): no model rather than a bad one
        return None

    # a feature with no values at all (a channel the company lacks) carries no signal
    train_matrix = design_matrix(train_rows)
    used = [column for column in train_matrix.columns if train_matrix[column].notna().any()]
    classifier = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, random_state=7)
    classifier.fit(train_matrix[used], train_rows["is_churned_next_horizon"])
    test_scores = classifier.predict_proba(design_matrix(test_rows)[used])[:, 1]
    return {
        "training_rows": len(train_rows),
        "test_rows": len(test_rows),
        "model_test_auc": round(float(roc_auc_score(test_rows["is_churned_next_horizon"], test_scores)), 4),
        "baseline_recency_test_auc": round(
            float(roc_auc_score(test_rows["is_churned_next_horizon"], test_rows["recency_days"])), 4
        ),
        "features_used": ",".join(used),
        "model_pickle_base64": base64.b64encode(pickle.dumps(classifier)).decode("ascii"),
        "model_trees_json": trees_json(classifier, used),
    }


def model(dbt, session):
    # on_schema_change ignore: a run with nothing to fit appends a hand-typed empty relation, whose
    # timestamps need not match the precision pandas gave the fitted rows
    dbt.config(
        materialized="incremental", incremental_strategy="append", on_schema_change="ignore", packages=["scikit-learn", "pandas"]
    )
    horizon = int(dbt.config.get("churn_horizon_days") or 90)
    features = dbt.ref("churn_features")
    labelled_through = features.filter("is_churned_next_horizon is not null").aggregate("max(as_of_date)").fetchall()[0][0]
    if labelled_through is None:
        return no_fit(session)
    if dbt.is_incremental:
        trained = session.sql(f"select count(*) from {dbt.this} where labelled_through_date = date '{labelled_through}'")
        if trained.fetchall()[0][0] > 0:
            return no_fit(session)

    import pandas as pd

    # only the as-of dates and columns train() uses reach pandas: every labelled row of every column
    # was gigabytes at 1M customers, on top of DuckDB's own memory
    labelled = features.filter("is_churned_next_horizon is not null")
    dates = [row[0] for row in labelled.project("as_of_date").distinct().order("as_of_date").fetchall()]
    split = split_dates(dates, horizon)
    if split is None:
        return no_fit(session)
    kept = ", ".join(f"date '{d}'" for d in split[0] + split[1])
    columns = ["customer_id", "as_of_date", "is_churned_next_horizon", "lifecycle_stage", "has_bounced_email_before"]
    labelled = labelled.filter(f"as_of_date in ({kept})").project(", ".join(columns + NUMERIC_FEATURES)).df()
    labelled["is_churned_next_horizon"] = labelled["is_churned_next_horizon"].astype(bool)
    fitted = train(labelled, horizon)
    if fitted is None:
        return no_fit(session)
    row = {
        "labelled_through_date": labelled_through,
        **fitted,
        "trained_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
    }
    frame = pd.DataFrame([row])[list(COLUMNS)]
    # the BI types of docs/design.md: a date object column becomes DATE (a pd.Timestamp of a date would
    # be TIMESTAMP_S), and the fit time microseconds, i.e. TIMESTAMP
    frame["trained_at"] = frame["trained_at"].astype("datetime64[us]")
    return frame
