"""Shared fixtures: one small generated sample and one dbt build of it, reused by the data tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scripts.build import AS_OF_ENV, relocate_raw_files

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Under pytest-xdist (`make test`) each worker's dbt writes its own target/ and logs/: two dbt processes
# sharing the project's would overwrite each other's manifest and partial-parse file.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
DBT_TARGET = REPO / "build" / "pytest" / WORKER / "target" if WORKER else REPO / "target"
SAMPLE_ARGS = ["--customers", "2000", "--start", "2024-01-01", "--end", "2025-06-30", "--seed", "11"]


def pytest_configure(config):
    # audit/expectations.yml keeps pandas-syntax row conditions (readable in the config), which GE 1.9+
    # deprecates once per use; scripts/audit.py silences that, and pytest's own warning capture undoes it.
    config.addinivalue_line("filterwarnings",
                            r"ignore:.*(condition_parser|row_condition) parameter:DeprecationWarning")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """For `make test` (pytest-xdist, --dist loadgroup): a test that uses a fixture its own module builds
    once (module scope, or session scope defined in the module) joins that module's group, which one worker
    runs in order; every other test goes alone to whichever worker is free. The groups, the longest units,
    are queued first, so the independent tests fill in beside them instead of trailing after them."""
    grouped = set()
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is not None and any(definition.scope != "function" and definition.baseid.endswith(".py")
                                    for name in info.names_closure
                                    for definition in info.name2fixturedefs.get(name, ())):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
            grouped.add(item.nodeid)
    items.sort(key=lambda item: item.nodeid not in grouped)


def run(cmd: list, cwd: Path = REPO, **kwargs) -> subprocess.CompletedProcess:
    """A command in the repo (or in a project copy, `cwd`) with a fixed salt for the hashed PII of test
    builds, and no raw root, as-of or DBT_ARGS from the caller's shell: a test passes the ones it means.
    In the repo, dbt writes the worker's target/ (DBT_TARGET); in a copy, the copy's own."""
    clean = {name: value for name, value in os.environ.items()
             if name not in {"C360_RAW_ROOT", AS_OF_ENV, "DBT_ARGS", "AS_OF", "AUDIT_AS_OF"}}
    own_target = {"DBT_TARGET_PATH": str(DBT_TARGET), "DBT_LOG_PATH": str(DBT_TARGET.parent / "logs")} \
        if cwd == REPO else {}
    env = {**clean, **own_target, "DBT_PROFILES_DIR": str(REPO), "GX_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "C360_PII_SALT": "customer360-test-salt",
           **(kwargs.pop("env", None) or {})}
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


PROJECT_PARTS = ["dbt_project.yml", "profiles.yml", "selectors.yml", "models", "macros", "seeds", "snapshots",
                 "tests", "analyses", "scripts"]


def project_copy(folder: Path) -> Path:
    """A copy of the dbt project (and the scripts package) in `folder`, for a test that changes it or that
    runs a tool that reads the project's own target/ (MetricFlow's `mf`)."""
    for part in PROJECT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / part)
    return folder


def generate(out: Path, *extra: str) -> Path:
    result = run([sys.executable, "-m", "scripts", "generate", *SAMPLE_ARGS, "--out", out, *extra])
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def dbt(command: str, raw_root: Path, db: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run a dbt command (e.g. "build", "docs generate") on target ci against raw_root, writing the warehouse db.
    The raw root goes in C360_RAW_ROOT, as `make build` passes it: when a test's raw root differs from the
    last run's, dbt parses again only the files that read the variable (7.6 s here), where a changed
    `--vars` would make it parse the whole project again (10.6 s; 4.2 s with nothing changed)."""
    return run([BIN / "dbt", *command.split(), "--target", "ci", *extra],
               env={"C360_BUILD_DB": str(db), "C360_RAW_ROOT": str(raw_root)})


@pytest.fixture(scope="session")
def sample_raw(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("sample") / "raw")


@pytest.fixture(scope="session")
def warehouse(sample_raw, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("warehouse") / "customer360.duckdb"
    result = dbt("build", sample_raw, db)
    assert result.returncode == 0, result.stdout[-5000:]
    return db


def built_copy(built_raw: Path, built_db: Path, raw: Path, db: Path) -> None:
    """A raw root and a build of it (the session's `sample_raw` and `warehouse`, say) copied to `raw` and
    `db`, as a build of `raw`: the stored file paths are rewritten for the new root as `make build` does for
    a moved raw root (scripts/build.py relocate_raw_files; test_daily_run proves that the next run then
    reads no file again and equals a full refresh). A test that starts from the built sample saves its own
    full build (15-35 s of dbt here, beside another test on the other core)."""
    shutil.copytree(built_raw, raw)  # copy2 keeps the modification times the file fingerprints hold
    shutil.copy(built_db, db)
    wal = built_db.with_name(built_db.name + ".wal")  # a write not yet checkpointed belongs with the file
    if wal.exists():
        shutil.copy(wal, db.with_name(db.name + ".wal"))
    moved = relocate_raw_files(db, raw)
    assert moved and "stored paths rewritten" in moved, moved


@pytest.fixture()
def con(warehouse):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def assert_bi_file_is_a_fresh_write(path: Path, build_db: Path, fresh: Path) -> None:
    """A BI file holds what a fresh write of the build file's BI schemas to `fresh` holds: the same
    relations, DDL, comments and rows (in any order), in the clients' storage format."""
    from scripts import publish as publishing
    con = duckdb.connect()
    con.execute(f"attach {publishing.literal(str(build_db))} as build (read_only)")
    publishing.copy_schemas(con, "build", fresh, list(publishing.BI_SCHEMAS),
                            storage_version=publishing.CLIENT_STORAGE_VERSION)
    con.execute(f"attach {publishing.literal(str(path))} as got (read_only)")
    con.execute(f"attach {publishing.literal(str(fresh))} as fresh (read_only)")
    for catalog in ("select schema_name, table_name, sql, comment from duckdb_tables() where database_name = ?",
                    "select schema_name, view_name, sql, comment from duckdb_views() where database_name = ? "
                    "and not internal",
                    "select schema_name, table_name, column_name, data_type, comment from duckdb_columns() "
                    "where database_name = ?",
                    "select schema_name from duckdb_schemas() where database_name = ?"):
        got, expected = (con.execute(catalog + " order by all", [db]).fetchall() for db in ("got", "fresh"))
        assert got == expected, catalog
    for schema, name in con.execute("select schema_name, table_name from duckdb_tables() "
                                    "where database_name = 'fresh'").fetchall():
        for one, other in (("got", "fresh"), ("fresh", "got")):
            extra = con.execute(f"select count(*) from (from {one}.{schema}.{name} except all "
                                f"from {other}.{schema}.{name})").fetchone()[0]
            assert extra == 0, f"{schema}.{name}: {extra} rows in {one} only"
    con.close()
    assert storage_version(path) == 67, "not DuckDB 1.4's file version"


def storage_version(path: Path) -> int:
    """The version number in a DuckDB file's main header (after an 8-byte checksum and b'DUCK')."""
    with open(path, "rb") as handle:
        header = handle.read(20)
    assert header[8:12] == b"DUCK", path
    return int.from_bytes(header[12:20], "little")
