"""Pairwise precision, recall and F1 of the resolved identities against the generator's ground truth.

Two records form a true pair when the truth gives them the same person, a predicted pair when
the warehouse gives them the same customer. Counts come from cluster sizes (n choose 2), so the
cost is a few group-bys even at millions of records. `deterministic` re-clusters the warehouse's
identity edges without the fuzzy ones; `final` scores bridge_customer_identity as published.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# duckdb, numpy and pandas are imported where used: `identity-eval --help` must not load them (about 1 s)
FUZZY_PREFIX = "fuzzy"


def pair_metrics(assignment: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """assignment: source_name, source_record_id, cluster; truth: source_name, source_record_id, person_id."""
    import duckdb

    con = duckdb.connect()
    con.register("assignment", assignment)
    con.register("truth", truth)
    tp, predicted, actual, records, missing = con.execute(
        """
        with joined as (
            select assignment.cluster, truth.person_id
            from truth left join assignment using (source_name, source_record_id)
        ),
        scored as (select * from joined where cluster is not null)
        select
            (select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n from scored group by cluster, person_id)),
            (select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n from scored group by cluster)),
            (select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n from scored group by person_id)),
            (select count(*) from scored),
            (select count(*) from joined where cluster is null)
        """
    ).fetchone()
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5),
            "records": int(records), "records_not_in_warehouse": int(missing),
            "true_pairs": int(actual), "predicted_pairs": int(predicted)}


def components(records: pd.DataFrame, edges: pd.DataFrame) -> pd.Series:
    """Connected component per record_key (scipy, vectorised)."""
    from scipy.sparse import coo_matrix  # imported here: scipy adds ~0.5 s to `identity-eval --help`
    from scipy.sparse.csgraph import connected_components
    import numpy as np
    import pandas as pd

    index = pd.Index(records["record_key"])
    rows = index.get_indexer(edges["record_key"])
    cols = index.get_indexer(edges["anchor_record_key"])
    n = len(index)
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=index)


def evaluate(db: Path, truth_path: Path) -> dict[str, dict[str, float]]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    truth = con.execute(
        f"select source_name, source_record_id, person_id from read_parquet('{truth_path}')"
    ).df()
    bridge = con.execute(
        "select record_key, source_name, source_record_id, customer_id as cluster from core.bridge_customer_identity"
    ).df()
    edges = con.execute(
        "select record_key, anchor_record_key, match_rule from intermediate.int_identity__edges"
    ).df()
    con.close()
    deterministic_edges = edges[~edges["match_rule"].str.startswith(FUZZY_PREFIX)]
    deterministic = bridge[["record_key", "source_name", "source_record_id"]].copy()
    deterministic["cluster"] = components(bridge, deterministic_edges).to_numpy()
    return {
        "deterministic": pair_metrics(deterministic.drop(columns="record_key"), truth),
        "final": pair_metrics(bridge.drop(columns="record_key"), truth),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=Path("warehouse/customer360.duckdb"),
                        help="warehouse (or build) DuckDB file to score (default: %(default)s)")
    parser.add_argument("--truth", type=Path, default=Path("data/raw/_truth/identity.parquet"),
                        help="ground truth written by `generate` (default: %(default)s)")


def check_args(args: argparse.Namespace) -> str | None:
    """Checks reported as usage errors by the CLI."""
    if not args.db.is_file():
        return f"no DuckDB file at {args.db} (--db)"
    if not args.truth.is_file():
        return f"no ground truth file at {args.truth} (--truth)"
    return None


def run(args: argparse.Namespace) -> int:
    import duckdb

    try:
        result = evaluate(args.db, args.truth)
    except duckdb.Error as e:  # not a warehouse, locked, or a truth file that is not parquet
        print(f"identity-eval: error: cannot evaluate --db {args.db} with --truth {args.truth}: {str(e).splitlines()[0]}",
              file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m scripts.identity_eval", description=__doc__)
    add_arguments(parser)
    parsed = parser.parse_args()
    problem = check_args(parsed)
    if problem:
        parser.error(problem)
    sys.exit(run(parsed))
