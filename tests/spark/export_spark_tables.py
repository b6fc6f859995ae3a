"""Write relations of a Spark build (dbt target `spark`) as Parquet, for the DuckDB side of the comparison.

Run with the Spark environment's Python (.venv-spark/bin/python): it opens the build's Hive metastore under
C360_SPARK_DIR the way profiles.yml's `spark` output does, and writes `<schema>.<name>` (views included) to
`<out>/<name>/` as one Parquet folder each.

    python tests/spark/export_spark_tables.py --spark-dir build/spark --out build/spark/export core.fct_orders ...
"""
from __future__ import annotations

import argparse
from pathlib import Path

from pyspark.sql import SparkSession


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spark-dir", type=Path, required=True, help="C360_SPARK_DIR of the build")
    parser.add_argument("--out", type=Path, required=True, help="folder for <name>/ Parquet folders")
    parser.add_argument("relations", nargs="+", help="schema.name of each relation to export")
    args = parser.parse_args()
    spark_dir = args.spark_dir.resolve()
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(spark_dir / "warehouse"))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=false")
        .config("spark.driver.extraJavaOptions", f"-Dderby.stream.error.file={spark_dir / 'derby.log'}")
        .config("spark.ui.enabled", "false")
        .enableHiveSupport()
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for relation in args.relations:
        name = relation.split(".")[-1]
        spark.table(relation).coalesce(1).write.mode("overwrite").parquet(str(args.out / name))
        print(f"exported {relation}")
    spark.stop()


if __name__ == "__main__":
    main()
