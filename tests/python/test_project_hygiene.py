"""Style and documentation gates: sqlfluff finds nothing, dbt docs generate, every model documented and key-tested."""
from __future__ import annotations

import json

from conftest import BIN, DBT_TARGET, dbt, run


def test_sqlfluff_reports_zero_violations(tmp_path):
    # two processes: the dbt templater renders each model, the slowest test of the suite on one core
    result = run([BIN / "sqlfluff", "lint", "models", "analyses", "--format", "json", "--processes", "2"],
                 env={"C360_BUILD_DB": str(tmp_path / "lint.duckdb")})
    files = json.loads(result.stdout or "[]")
    violations = [(f["filepath"], v["code"], v["start_line_no"]) for f in files for v in f["violations"]]
    assert result.returncode == 0 and not violations, violations[:20] or result.stderr[-2000:]


def test_docs_generate_and_every_model_is_documented_and_key_tested(sample_raw, warehouse):
    result = dbt("docs generate", sample_raw, warehouse)
    assert result.returncode == 0, result.stdout[-3000:]
    manifest = json.loads((DBT_TARGET / "manifest.json").read_text())
    catalog = json.loads((DBT_TARGET / "catalog.json").read_text())
    models = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    tested = {parent for node in manifest["nodes"].values() if node["resource_type"] == "test"
              and node.get("test_metadata", {}).get("name") in {"unique", "unique_combination", "primary_key", "reconciles_with_source"}
              for parent in node["depends_on"]["nodes"]}
    for unique_id, node in models.items():
        assert node["description"].strip(), f"{unique_id} has no description"
        assert unique_id in tested, f"{unique_id} has no primary-key (or row-reconciliation) test"
        documented = {c.lower() for c, spec in node["columns"].items() if spec.get("description")}
        built = set(catalog["nodes"].get(unique_id, {}).get("columns", {}))
        undocumented = sorted(c for c in built if c.lower() not in documented)
        assert not undocumented, f"{unique_id}: undocumented columns {undocumented}"


def test_incremental_run_restores_the_comments(sample_raw, warehouse, tmp_path):
    """An incremental run writes the table and column descriptions again (dbt's persist_docs): a comment
    changed in the warehouse is restored, so the published catalog always says what the YAML says."""
    import shutil

    import duckdb

    db = tmp_path / "customer360.duckdb"
    shutil.copy(warehouse, db)
    with duckdb.connect(str(db)) as connection:
        connection.execute("comment on table intermediate.int_customers__order_summary is 'stale'")
        connection.execute("comment on column intermediate.int_customers__order_summary.order_count is 'stale'")
    result = dbt("run --select int_customers__order_summary", sample_raw, db, "--log-path", tmp_path / "logs")
    assert result.returncode == 0, result.stdout[-3000:]
    manifest = json.loads((DBT_TARGET / "manifest.json").read_text())
    node = manifest["nodes"]["model.customer360.int_customers__order_summary"]
    with duckdb.connect(str(db), read_only=True) as connection:
        table_comment = connection.execute(
            "select comment from duckdb_tables() where schema_name = 'intermediate' and table_name = 'int_customers__order_summary'"
        ).fetchone()[0]
        column_comments = dict(connection.execute(
            "select column_name, comment from duckdb_columns()"
            " where schema_name = 'intermediate' and table_name = 'int_customers__order_summary'"
        ).fetchall())
    assert table_comment == node["description"]
    assert column_comments == {name: spec["description"] for name, spec in node["columns"].items()}
