"""One row per customer who has bought, scored at the latest as-of date of churn_features with the
newest model of churn_model_fits: the probability of no purchase in the churn horizon, a risk band,
and the model's test ROC-AUC against a recency-only baseline so BI shows how good the score is.

Incremental: the scores change only when a new as-of date appears, when that date's features are
recomputed (late data, identity merges) or when a new model is trained; the pre-hook
(macros/marketing/delete_stale_churn_scores.sql) then deletes them and this model rescores the
empty table. Any other run appends nothing, and never imports scikit-learn.
"""
import base64
import pickle

# pandas and scikit-learn are imported only when scoring: a run that keeps the scores returns an
# empty DuckDB relation. PANDAS_TYPES are the dtypes of a scored frame, SQL_TYPES of the empty one.
PANDAS_TYPES = {
    "customer_id": "object",
    "as_of_date": "datetime64[ns]",
    "churn_probability": "float64",
    "churn_risk_band": "object",
    "lifecycle_stage": "object",
    "model_test_auc": "float64",
    "baseline_recency_test_auc": "float64",
    "training_rows": "Int64",
    "model_labelled_through_date": "datetime64[ns]",
    "features_processed_at": "datetime64[ns, UTC]",
}
SQL_TYPES = {
    "customer_id": "varchar",
    "as_of_date": "timestamp",
    "churn_probability": "double",
    "churn_risk_band": "varchar",
    "lifecycle_stage": "varchar",
    "model_test_auc": "double",
    "baseline_recency_test_auc": "double",
    "training_rows": "bigint",
    "model_labelled_through_date": "timestamp",
    "features_processed_at": "timestamptz",
}


def design_matrix(frame, features_used: list[str]):
    """The matrix churn_model_fits trained on: stage_<name> columns are 0/1 lifecycle stages."""
    import pandas as pd

    return pd.DataFrame({
        name: (frame["lifecycle_stage"] == name.removeprefix("stage_")).astype("float64")
        if name.startswith("stage_") else frame[name].astype("float64")
        for name in features_used
    })


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append", packages=["scikit-learn", "pandas", "numpy"])
    empty = session.sql("select " + ", ".join(f"cast(null as {t}) as {c}" for c, t in SQL_TYPES.items()) + " limit 0")
    if dbt.is_incremental and session.sql(f"select count(*) from {dbt.this}").fetchall()[0][0] > 0:
        # the pre-hook kept the scores: nothing they were made from has moved
        return empty
    features = dbt.ref("churn_features")
    as_of = features.aggregate("max(as_of_date)").fetchall()[0][0]
    if as_of is None:
        return empty
    current = features.filter(f"as_of_date = date '{as_of}'")
    processed_at = current.aggregate("max(features_processed_at)").fetchall()[0][0]

    import numpy as np
    import pandas as pd

    latest = current.df()
    scores = latest[["customer_id", "as_of_date", "lifecycle_stage"]].copy()
    scores["features_processed_at"] = processed_at
    latest_fit = dbt.ref("churn_model_fits").order("labelled_through_date desc").limit(1).df()
    if latest_fit.empty:
        scores["churn_probability"] = np.nan
        scores["churn_risk_band"] = None
        for column in ("model_test_auc", "baseline_recency_test_auc", "training_rows"):
            scores[column] = np.nan
        scores["model_labelled_through_date"] = pd.NaT
        return scores[list(PANDAS_TYPES)].astype(PANDAS_TYPES)

    fit = latest_fit.iloc[0]
    classifier = pickle.loads(base64.b64decode(fit["model_pickle_base64"]))
    scores["churn_probability"] = classifier.predict_proba(design_matrix(latest, fit["features_used"].split(",")))[:, 1]
    scores["churn_risk_band"] = pd.cut(
        scores["churn_probability"], bins=[-0.01, 0.25, 0.5, 0.75, 1.0], labels=["low", "medium", "high", "very_high"]
    ).astype(str)
    for column in ("model_test_auc", "baseline_recency_test_auc", "training_rows"):
        scores[column] = fit[column]
    scores["model_labelled_through_date"] = fit["labelled_through_date"]
    return scores[list(PANDAS_TYPES)].astype(PANDAS_TYPES)
