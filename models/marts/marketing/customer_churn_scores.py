"""One row per customer who has bought, scored at the latest as-of date of churn_features with the
newest model of churn_model_fits: the probability of no purchase in the churn horizon, a risk band,
and the model's test ROC-AUC against a recency-only baseline so BI shows how good the score is.

Incremental, customer by customer: the pre-hook (macros/marketing/delete_stale_churn_scores.sql)
deletes the scores of an older as-of date or model, and those whose features changed since they were
made (churn_features.features_hash); this model then scores the customers of the latest as-of date
left without a score. A new month or model rescores everyone, late orders or an identity merge only
the customers they touch, and a quiet day nobody, without even importing numpy.

The trees are walked with numpy from their JSON export (churn_model_fits.model_trees_json), which is
scikit-learn's own prediction rule: importing pandas and scikit-learn would cost more than the scoring.
tests/python/test_clv.py checks the scores against predict_proba of the pickled model.
"""
import json

# walkers (row, tree) stepped together per chunk: 5,000 rows x 200 trees is about 16 MB of indexes
ROWS_PER_CHUNK = 5_000


def feature_sql(name: str) -> str:
    """The SQL of one model input: churn_model_fits names the 0/1 lifecycle stage columns stage_<name>."""
    if name.startswith("stage_"):
        return f"cast(coalesce(lifecycle_stage = '{name.removeprefix('stage_')}', false) as double)"
    return f'cast("{name}" as double)'


def raw_scores(model: dict, matrix):
    """Log-odds of churn for each row of matrix (columns in model["features"] order, NaN when missing):
    the baseline plus, for every tree, the value of the leaf the row reaches."""
    import numpy as np

    trees = model["trees"]
    sizes = np.array([len(tree["value"]) for tree in trees])
    roots = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    def flat(key, dtype):
        return np.concatenate([np.asarray(tree[key], dtype=dtype) for tree in trees])

    # all trees in one node array: child indexes shifted by their tree's first node
    shift = np.repeat(roots, sizes)
    feature, threshold, missing_left = flat("feature", np.intp), flat("threshold", "float64"), flat("missing_left", bool)
    left, right = flat("left", np.intp) + shift, flat("right", np.intp) + shift
    leaf, value = flat("leaf", bool), flat("value", "float64")
    scores = np.empty(len(matrix))
    for start in range(0, len(matrix), ROWS_PER_CHUNK):
        part = matrix[start:start + ROWS_PER_CHUNK]
        rows = np.repeat(np.arange(len(part)), len(trees))
        node = np.tile(roots, len(part))
        walking = np.flatnonzero(~leaf[node])
        while walking.size:
            at = node[walking]
            x = part[rows[walking], feature[at]]
            goes_left = np.where(np.isnan(x), missing_left[at], x <= threshold[at])
            node[walking] = np.where(goes_left, left[at], right[at])
            walking = walking[~leaf[node[walking]]]
        scores[start:start + len(part)] = model["baseline"] + np.bincount(rows, weights=value[node], minlength=len(part))
    return scores


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append", packages=["numpy"])
    features = dbt.ref("churn_features")
    as_of = features.aggregate("max(as_of_date)").fetchall()[0][0]
    unscored = features.filter(f"as_of_date = date '{as_of}'" if as_of else "false")
    if dbt.is_incremental:
        unscored = unscored.join(session.sql(f"select customer_id from {dbt.this}"), "customer_id", how="anti")
    fits = dbt.ref("churn_model_fits").order("labelled_through_date desc").limit(1)
    fit = dict(zip(fits.columns, fits.fetchall()[0])) if fits.aggregate("count(*)").fetchall()[0][0] else {}
    has_rows = unscored.aggregate("count(*)").fetchall()[0][0] > 0

    probability = "cast(null as double)"
    if has_rows and fit:
        import numpy as np

        trees = json.loads(fit["model_trees_json"])
        inputs = unscored.select("customer_id, " + ", ".join(feature_sql(name) for name in trees["features"])).fetchnumpy()
        matrix = np.column_stack([
            np.ma.filled(np.ma.asarray(inputs[column], dtype="float64"), np.nan) for column in list(inputs)[1:]
        ])
        # numpy arrays go back to DuckDB as a registered view: no pandas or pyarrow round trip
        session.register("customer_churn_scores__log_odds", {
            "customer_id": inputs["customer_id"], "log_odds": raw_scores(trees, matrix),
        })
        unscored = unscored.join(session.view("customer_churn_scores__log_odds"), "customer_id")
        probability = "1 / (1 + exp(-log_odds))"

    def fitted(column, sql_type):
        return f"cast({'null' if not fit else repr(str(fit[column]))} as {sql_type})"

    scored = unscored.select(f"""
        customer_id,
        as_of_date,
        {probability} as churn_probability,
        lifecycle_stage,
        {fitted("model_test_auc", "double")} as model_test_auc,
        {fitted("baseline_recency_test_auc", "double")} as baseline_recency_test_auc,
        {fitted("training_rows", "bigint")} as training_rows,
        {fitted("labelled_through_date", "date")} as model_labelled_through_date,
        features_hash,
        features_processed_at
    """)
    return scored.select("""
        customer_id,
        as_of_date,
        churn_probability,
        case
            when churn_probability <= 0.25 then 'low'
            when churn_probability <= 0.5 then 'medium'
            when churn_probability <= 0.75 then 'high'
            when churn_probability <= 1 then 'very_high'
        end as churn_risk_band,
        lifecycle_stage,
        model_test_auc,
        baseline_recency_test_auc,
        training_rows,
        model_labelled_through_date,
        features_hash,
        features_processed_at
    """)
