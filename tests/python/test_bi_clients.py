"""The BI file as BI tools see it: only types their drivers read, the DuckDB release they bundle opens it,
SQLAlchemy (duckdb-engine) reads every mart, and `python -m scripts export` writes them as Parquet.

The file is published (without the audit) from the session's dbt build, so no other build is made. The
older client runs in a throwaway venv under build/clients-venv, made once with uv from PyPI and reused."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import BIN, REPO, run
from scripts import publish as publishing

# DuckDB 1.4.4: the 1.4 LTS line, the oldest that reads the BI file (storage v1.4.0), as BI tools
# that bundle their own DuckDB ship. duckdb-engine and SQLAlchemy at the versions the toolchain notes pin:
# with SQLAlchemy >= 2.0.45, duckdb-engine 0.17.0 cannot reflect columns on DuckDB 1.4 (it reads
# pg_catalog.pg_collation, which later DuckDB releases added; duckdb_engine issue #1379), so the 1.4 client
# reads through SQLAlchemy without reflection, and reflection is tested on this project's DuckDB.
OLD_DUCKDB = ("duckdb==1.4.4", "duckdb-engine==0.17.0", "sqlalchemy==2.0.54")
SQLALCHEMY = (f"duckdb=={duckdb.__version__}", "duckdb-engine==0.17.0", "sqlalchemy==2.0.54")
CLIENTS_VENVS = REPO / "build" / "clients-venv"
BI_TYPES = {"VARCHAR", "BOOLEAN", "BIGINT", "INTEGER", "DOUBLE", "DECIMAL(18,2)", "DATE", "TIMESTAMP"}

# runs inside a clients venv: every relation read whole by its DuckDB, then through SQLAlchemy
# (selects always; column reflection with --reflect)
CLIENT_SCRIPT = r"""
import json, sys
import duckdb, sqlalchemy
from sqlalchemy.types import NullType

path, reflect = sys.argv[1], "--reflect" in sys.argv
con = duckdb.connect(path, read_only=True)
relations = con.execute(
    "select schema_name, table_name from duckdb_tables() where database_name = current_database() union all "
    "select schema_name, view_name from duckdb_views() where database_name = current_database() and not internal "
    "order by all").fetchall()
native = {}
for schema, name in relations:
    rows = con.execute(f'select * from "{schema}"."{name}"').fetchall()  # every value decoded by this client
    native[f"{schema}.{name}"] = len(rows)
con.close()

engine = sqlalchemy.create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
inspector = sqlalchemy.inspect(engine)
through_sqlalchemy, unmapped, reflected = {}, [], 0
with engine.connect() as connection:
    for schema, name in relations:
        if reflect:
            for column in inspector.get_columns(name, schema=schema):
                reflected += 1
                if isinstance(column["type"], NullType):
                    unmapped.append(f"{schema}.{name}.{column['name']}")
        rows = connection.execute(sqlalchemy.text(f'select * from "{schema}"."{name}"')).fetchall()
        through_sqlalchemy[f"{schema}.{name}"] = len(rows)
engine.dispose()
print(json.dumps({"version": duckdb.__version__, "native": native, "sqlalchemy": through_sqlalchemy,
                  "unmapped": unmapped, "reflected_columns": reflected}))
"""


@pytest.fixture(scope="module")
def bi_file(warehouse, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("bi") / "warehouse" / "customer360.duckdb"
    publishing.publish(warehouse, target, require_audit=False)
    return target


def client_python(packages: tuple[str, ...]) -> Path:
    """The python of a throwaway venv holding `packages`, made with uv from PyPI the first time (about
    3 s) under build/clients-venv/ and reused by later runs."""
    venv = CLIENTS_VENVS / hashlib.sha256(" ".join(packages).encode()).hexdigest()[:12]
    python = venv / "bin" / "python"
    if (venv / ".installed").is_file() and python.exists():
        return python
    staging = venv.with_name(f"{venv.name}.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    made = subprocess.run([BIN / "uv", "venv", "--quiet", "--python", sys.executable, staging],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    installed = subprocess.run([BIN / "uv", "pip", "install", "--quiet", "--python", staging / "bin" / "python",
                                *packages], capture_output=True, text=True)
    assert installed.returncode == 0, f"cannot install {packages} from PyPI: {installed.stderr[-2000:]}"
    (staging / ".installed").write_text(" ".join(packages) + "\n")
    shutil.rmtree(venv, ignore_errors=True)
    staging.rename(venv)  # a venv's bin/python finds its packages relative to itself, so it can move
    return python


def read_with_client(packages: tuple[str, ...], bi_file: Path, *flags: str) -> dict:
    result = subprocess.run([client_python(packages), "-c", CLIENT_SCRIPT, bi_file, *flags],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def relations(path: Path) -> dict[str, list[tuple[str, str]]]:
    """relation -> [(column, type)] of every table and view of a DuckDB file, read with this project's DuckDB."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select c.schema_name || '.' || c.table_name, c.column_name, c.data_type from duckdb_columns() as c "
            "where c.database_name = current_database() order by c.schema_name, c.table_name, c.column_index"
        ).fetchall()
    finally:
        con.close()
    found: dict[str, list[tuple[str, str]]] = {}
    for relation, column, data_type in rows:
        found.setdefault(relation, []).append((column, data_type))
    return found


def row_counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {relation: con.execute(f"select count(*) from {relation}").fetchone()[0]
                for relation in relations(path)}
    finally:
        con.close()


def declared_types() -> dict[str, dict[str, str]]:
    """model -> {column: data_type} as the models' YAML declares them (the BI view customer_btyd_summary
    reads intermediate building blocks that live in schema marketing, so they reach the BI file too)."""
    declared: dict[str, dict[str, str]] = {}
    for path in (REPO / "models").rglob("_*__models.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            declared[model["name"]] = {column["name"]: column.get("data_type")
                                       for column in model.get("columns", [])}
    return declared


def test_the_bi_file_holds_only_types_bi_drivers_read(bi_file):
    found = relations(bi_file)
    assert {relation.split(".")[0] for relation in found} == set(publishing.BI_SCHEMAS)
    bad = [f"{relation}.{column} {data_type}" for relation, columns in found.items()
           for column, data_type in columns
           if data_type not in BI_TYPES
           or (column.endswith("_date") and data_type != "DATE")
           or (column.endswith("_at") and data_type != "TIMESTAMP")]
    assert not bad, bad


def test_every_bi_column_has_the_type_its_yaml_declares(bi_file):
    """The YAML's data_type is the documentation BI users read; for Python models, which dbt-duckdb does
    not hold to a contract, this test is what holds them to it."""
    declared = declared_types()
    wrong = []
    for relation, columns in relations(bi_file).items():
        model = relation.split(".")[1]
        for column, data_type in columns:
            expected = (declared.get(model, {}).get(column) or "(none)").upper().replace(", ", ",")
            if expected != data_type:
                wrong.append(f"{relation}.{column}: built {data_type}, declared {expected}")
    assert not wrong, wrong


def test_duckdb_1_4_reads_every_bi_relation_natively_and_through_sqlalchemy(bi_file):
    seen = read_with_client(OLD_DUCKDB, bi_file)
    assert seen["version"] == "1.4.4"
    expected = row_counts(bi_file)
    assert len(expected) >= 20  # the marts, not an empty file
    assert seen["native"] == expected
    assert seen["sqlalchemy"] == expected


def test_duckdb_1_4_reads_a_bi_file_a_day_updated(warehouse, tmp_path):
    """A day's publish writes new rows into a copy of the previous BI file with this project's DuckDB: the
    file must stay one DuckDB 1.4 reads. The day restamps a tenth of each updated table's rows."""
    build, target = tmp_path / "build.duckdb", tmp_path / "warehouse" / "customer360.duckdb"
    shutil.copyfile(warehouse, build)
    assert publishing.publish(build, target, require_audit=False)["updated"] == []
    con = duckdb.connect(str(build))
    for table, (key, written_at) in publishing.UPDATED_BI_TABLES.items():
        con.execute(f"update {table} set {written_at} = {written_at} + interval 1 day where hash({key}) % 10 = 0")
    con.close()
    assert publishing.publish(build, target, require_audit=False)["updated"] == sorted(publishing.UPDATED_BI_TABLES)
    seen = read_with_client(OLD_DUCKDB, target)
    assert seen["version"] == "1.4.4"
    assert seen["native"] == seen["sqlalchemy"] == row_counts(target)


def test_sqlalchemy_reflects_every_bi_column_to_a_known_type(bi_file):
    seen = read_with_client(SQLALCHEMY, bi_file, "--reflect")
    assert seen["sqlalchemy"] == row_counts(bi_file)
    assert seen["reflected_columns"] == sum(len(columns) for columns in relations(bi_file).values())
    assert not seen["unmapped"], f"columns SQLAlchemy has no type for: {seen['unmapped']}"


def export(warehouse: Path, out: Path) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "scripts", "export", "--warehouse", warehouse, "--out", out])


def folder_digest(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def test_export_writes_every_bi_relation_as_parquet_with_its_types(bi_file, tmp_path):
    out = tmp_path / "exports" / "bi"
    result = export(bi_file, out)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("export: ") and result.stderr.count("\n") == 1
    con = duckdb.connect()
    for relation, columns in relations(bi_file).items():
        schema, name = relation.split(".")
        parquet = out / schema / f"{name}.parquet"
        assert parquet.is_file(), parquet
        assert con.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0] == row_counts(bi_file)[relation]
        assert con.execute(f"select column_name, column_type from (describe select * from read_parquet('{parquet}'))"
                           ).fetchall() == columns
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet")) == sorted(
        f"{relation.replace('.', '/')}.parquet" for relation in relations(bi_file))
    assert not list(out.parent.glob(".bi.*ing")) and not list(out.parent.glob(".bi.replaced"))


def test_export_replaces_the_previous_export_whole_and_survives_a_kill(bi_file, tmp_path):
    out = tmp_path / "exports" / "bi"
    assert export(bi_file, out).returncode == 0
    (out / "core" / "dropped_table.parquet").write_bytes(b"left from an older export")
    assert export(bi_file, out).returncode == 0
    assert not (out / "core" / "dropped_table.parquet").exists()
    before = folder_digest(out)

    # killed while writing: a half-written folder beside the export, which stays as it was
    writing = out.with_name(".bi.exporting")
    (writing / "core").mkdir(parents=True)
    (writing / "core" / "dim_customers.parquet").write_bytes(b"half")
    assert folder_digest(out) == before
    # killed between the two renames of the swap: the previous export is set aside, the next run puts it back
    out.rename(out.with_name(".bi.replaced"))
    result = export(bi_file.with_name("missing.duckdb"), out)
    assert result.returncode == 2
    assert folder_digest(out) == before and not writing.exists()
    assert export(bi_file, out).returncode == 0
    assert set(folder_digest(out)) == set(before)


@pytest.mark.parametrize("case", ["missing", "not_duckdb", "held_read_write", "out_is_a_file"])
def test_export_refuses_bad_input_in_one_line(bi_file, tmp_path, case):
    out = tmp_path / "exports" / "bi"
    warehouse = bi_file
    holder = None
    if case == "missing":
        warehouse = tmp_path / "warehouse" / "customer360.duckdb"
        expected = [str(warehouse), "make build"]
    elif case == "not_duckdb":
        warehouse = tmp_path / "customer360.duckdb"
        warehouse.write_text("not a database\n")
        expected = [str(warehouse), "cannot be opened"]
    elif case == "held_read_write":
        warehouse = tmp_path / "held.duckdb"
        warehouse.write_bytes(bi_file.read_bytes())
        holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                                   f"con = duckdb.connect({str(warehouse)!r}); print('open', flush=True); "
                                   "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "open"
        expected = [str(warehouse), "read-write"]
    else:
        out.parent.mkdir(parents=True)
        out.write_text("a file where the export folder goes")
        expected = [str(out), "not a folder"]
    try:
        result = export(warehouse, out)
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("export: ERROR") and all(text in result.stderr for text in expected), result.stderr
    if case != "out_is_a_file":
        assert not out.exists()


def test_publish_refuses_a_build_whose_bi_marts_hold_other_types(tmp_path):
    """The guard behind the contracts: a Python mart (no enforced contract) returning a HUGEINT sum, a
    pandas date or now() stops the publish, naming the columns, and nothing is written."""
    build = tmp_path / "build.duckdb"
    con = duckdb.connect(str(build))
    con.execute("create schema marketing")
    con.execute("create schema staging")
    con.execute("create table marketing.fits as select sum(1::bigint) as customers, "
                "timestamp_s '2025-01-31 00:00:00' as calibration_end_date, now() as fitted_at")
    con.execute("create table staging.stg_x as select sum(1::bigint) as not_published")  # never published
    con.close()
    warehouse = tmp_path / "warehouse" / "customer360.duckdb"
    with pytest.raises(publishing.PublishError) as refused:
        publishing.publish(build, warehouse, require_audit=False)
    message = str(refused.value)
    assert message.startswith("3 BI columns") and "\n" not in message
    for column in ("marketing.fits.customers HUGEINT", "marketing.fits.calibration_end_date TIMESTAMP_S",
                   "marketing.fits.fitted_at TIMESTAMP WITH TIME ZONE"):
        assert column in message
    assert not warehouse.exists() and not list(warehouse.parent.glob("*.publishing"))
