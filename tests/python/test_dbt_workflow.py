"""dbt as dbt users run it: named selectors, groups and access, exposures, `state:modified+` on a
manifest the make path wrote, and the as-of date of `make build AS_OF=...`."""
from __future__ import annotations

import json
import re
import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import BIN, REPO, dbt, project_copy, run
from scripts import build as building
from scripts import publish as publishing
from test_daily_run import files_read
from test_marketing import assert_same_marketing_rows

# the marts BI or the report read (models/marts/_marts__exposures.yml)
EXPOSURES = {"exposure:customer360.customer360_report", "exposure:customer360.customer360_bi_warehouse"}


def dbt_ls(*args: str, env: dict | None = None, cwd: Path = REPO) -> set[str]:
    result = run([BIN / "dbt", "ls", "--target", "ci", "--output", "name", "--quiet", *args], env=env or {}, cwd=cwd)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return {line.strip() for line in result.stdout.splitlines() if line.strip()}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("parse")
    result = run([BIN / "dbt", "parse", "--target", "ci"], env={"DBT_TARGET_PATH": str(target)})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "[WARNING]" not in output and "Warning" not in output, output[-3000:]
    return json.loads((target / "manifest.json").read_text())


def models(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}


def show(sql: str, tmp_path: Path) -> list[dict]:
    result = run([BIN / "dbt", "show", "--target", "ci", "--inline", sql, "--output", "json", "--quiet", "--limit", "-1"],
                 env={"DBT_TARGET_PATH": str(tmp_path), "C360_BUILD_DB": str(tmp_path / "keys.duckdb")})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return json.loads(result.stdout)["show"]


def test_primary_key_fails_for_a_repeated_or_partly_null_key_only(tmp_path):
    """The generic test primary_key (tests/generic) returns one failing row per repeated key and per key
    with a null column, and none for a unique complete key."""
    rows = "(values (1, 'x'), (1, 'x'), (2, null), (null, 'y'), (3, 'x'), (1, 'y')) as keys (a, b)"
    sql = '{{ test_primary_key(model="(select * from ' + rows + ')", columns=["a", "b"]) }} order by a, b'
    failing = [(row["a"], row["b"], row["occurrences"]) for row in show(sql, tmp_path)]
    assert failing == [(1, "x", 2), (2, None, 1), (None, "y", 1)]


def test_primary_key_at_the_latest_date_tests_only_that_dates_rows(tmp_path):
    """With latest_column and latest_from, primary_key tests the rows of the newest date of latest_from
    only: a repeat at an older date passes, one at the newest date fails."""
    rows = ("(values (1, date '2024-01-01'), (1, date '2024-01-01'), (2, date '2024-02-01'),"
            " (2, date '2024-02-01'), (3, date '2024-02-01')) as keys (a, d)")
    dates = "(select date '2024-01-01' as d union all select date '2024-02-01')"
    sql = ('{{ test_primary_key(model="(select * from ' + rows + ')", columns=["a", "d"], latest_column="d",'
           ' latest_from="' + dates + '") }} order by a')
    failing = [(row["a"], row["d"], row["occurrences"]) for row in show(sql, tmp_path)]
    assert failing == [(2, "2024-02-01", 2)]
    alone = sql.replace(' latest_from="' + dates + '"', "").replace('latest_column="d",', 'latest_column="d"')
    result = run([BIN / "dbt", "show", "--target", "ci", "--inline", alone, "--quiet"],
                 env={"DBT_TARGET_PATH": str(tmp_path), "C360_BUILD_DB": str(tmp_path / "keys.duckdb")})
    assert result.returncode != 0
    assert "latest_column and latest_from go together" in result.stdout + result.stderr


def test_primary_key_over_the_rows_the_last_run_wrote_groups_every_row_of_their_keys(tmp_path):
    """With written_at, primary_key tests the keys of the rows of the newest written_at, against every row:
    a key a run wrote again beside its stored row fails, as does a null key it wrote; a repeat among
    older rows, which an earlier tested run would have failed, is not looked at."""
    rows = ("(values (1, 1), (1, 1), (2, 1), (2, 2), (3, 2), (null, 2), (null, 1)) as keys (a, t)")
    sql = ('{{ test_primary_key(model="(select * from ' + rows + ')", columns=["a"], written_at="t") }}'
           ' order by a nulls last')
    failing = [(row["a"], row["occurrences"]) for row in show(sql, tmp_path)]
    assert failing == [(2, 2), (None, 1)]
    # a last run that wrote half the rows or more (a full refresh: all) has every row tested
    most = sql.replace(rows, "(values (1, 1), (1, 1), (2, 2), (3, 2), (4, 2)) as keys (a, t)")
    assert [(row["a"], row["occurrences"]) for row in show(most, tmp_path)] == [(1, 2)]
    both = sql.replace('written_at="t"', 'written_at="t", latest_column="t", latest_from="(select 1 as t)"')
    result = run([BIN / "dbt", "show", "--target", "ci", "--inline", both, "--quiet"],
                 env={"DBT_TARGET_PATH": str(tmp_path), "C360_BUILD_DB": str(tmp_path / "keys.duckdb")})
    assert result.returncode != 0
    assert "written_at and latest_column are two ways" in result.stdout + result.stderr


def test_the_key_repeat_gate_opens_for_a_repeat_or_a_null_that_fails_only(tmp_path):
    """key_repeat_gate (macros/utils), which the key tests put in front of their grouped query: closed for
    keys that are all different, even when one column repeats; open for a repeated key, a repeated null
    key, and a key with a null column when nulls fail."""
    def gate(rows: str, columns: list[str], nulls_fail: bool = False) -> str:
        model = f"(select * from (values {rows}) as keys (a, b))"
        return f"{{{{ key_repeat_gate(model=\"{model}\", columns={columns}, nulls_fail={nulls_fail}) }}}}"
    cases = {
        "different": gate("(1, 'x'), (2, 'x'), (3, null)", ["a"]),
        "different_pairs": gate("(1, 'x'), (1, 'y'), (2, 'x')", ["a", "b"]),
        "repeat": gate("(1, 'x'), (2, 'x'), (1, 'y')", ["a"]),
        "repeated_pair": gate("(1, 'x'), (1, 'y'), (1, 'x')", ["a", "b"]),
        "repeated_null_pair": gate("(null, null), (1, 'y'), (null, null)", ["a", "b"]),
        "null_not_failing": gate("(1, 'x'), (2, null)", ["a", "b"]),
        "null_failing": gate("(1, 'x'), (2, null)", ["a", "b"], nulls_fail=True),
    }
    opened = show("select " + ", ".join(f"{sql} as {name}" for name, sql in cases.items()), tmp_path)[0]
    assert opened == {"different": False, "different_pairs": False, "repeat": True, "repeated_pair": True,
                      "repeated_null_pair": True, "null_not_failing": False, "null_failing": True}


def test_the_gated_key_tests_fail_with_the_rows_of_the_grouped_queries(tmp_path):
    """dbt's `unique` (on DuckDB duckdb__test_unique, behind the gate) returns exactly the failing rows of
    dbt's own default__test_unique, and unique_combination those of the plain grouped query, for keys with
    repeats and nulls and for keys without."""
    inputs = {
        "repeats": "(1, 'x'), (1, 'x'), (2, null), (null, 'y'), (3, 'x'), (1, 'y'), (null, null), (null, null)",
        "none": "(1, 'x'), (2, 'x'), (3, null), (null, 'y')",
    }
    parts = []
    for name, rows in inputs.items():
        model = f"(select * from (values {rows}) as keys (a, b))"
        for side, test in (("gated", "test_unique"), ("dbt", "dbt.default__test_unique")):
            parts.append(f"select '{name}' as input, '{side}' as side, 'unique' as test, cast(unique_field as varchar)"
                         f" as key, n_records as occurrences from ({{{{ {test}(model=\"{model}\", column_name='a') }}}})")
        parts.append(f"select '{name}', 'gated', 'combination', cast(a as varchar) || '|' || coalesce(b, '-'), occurrences"
                     f" from ({{{{ test_unique_combination(model=\"{model}\", columns=['a', 'b']) }}}})")
        parts.append(f"select '{name}', 'dbt', 'combination', cast(a as varchar) || '|' || coalesce(b, '-'), count(*)"
                     f" from {model} group by a, b having count(*) > 1")
    rows = show(" union all ".join(parts), tmp_path)
    found = {}
    for row in rows:
        found.setdefault((row["input"], row["test"], row["side"]), set()).add((row["key"], row["occurrences"]))
    for test in ("unique", "combination"):
        assert found.get(("repeats", test, "gated")) == found.get(("repeats", test, "dbt")), found
        assert ("none", test, "gated") not in found and ("none", test, "dbt") not in found, found
    assert found[("repeats", "unique", "dbt")] == {("1", 3)}
    assert found[("repeats", "combination", "dbt")] == {("1|x", 2), (None, 2)}


def test_relationships_fails_for_the_keys_dbts_own_test_fails_for(tmp_path):
    """dbt's `relationships` (on DuckDB duckdb__test_relationships, the child grouped by key first) fails for
    exactly the child keys dbt's own default__test_relationships fails for, once each with its number of
    child rows; null child keys and parents without children pass; a child whose keys all have a parent
    passes."""
    parent = "(select * from (values (1), (2), (5)) as parent (id))"
    inputs = {"orphans": "(1), (3), (3), (null), (4), (2), (2)", "none": "(1), (2), (null), (1)"}
    parts = []
    for name, rows in inputs.items():
        model = f"(select * from (values {rows}) as child (customer))"
        arguments = f"model=\"{model}\", column_name='customer', to=\"{parent}\", field='id'"
        parts.append(f"select '{name}' as input, 'grouped' as side, from_field as key, n_records as occurrences"
                     f" from ({{{{ test_relationships({arguments}) }}}})")
        parts.append(f"select '{name}', 'dbt', from_field, count(*)"
                     f" from ({{{{ dbt.default__test_relationships({arguments}) }}}}) group by from_field")
    found = {}
    for row in show(" union all ".join(parts), tmp_path):
        found.setdefault((row["input"], row["side"]), set()).add((row["key"], row["occurrences"]))
    assert found[("orphans", "grouped")] == found[("orphans", "dbt")] == {(3, 2), (4, 1)}, found
    assert ("none", "grouped") not in found and ("none", "dbt") not in found, found


def test_selectors_resolve(tmp_path):
    env = {"DBT_TARGET_PATH": str(tmp_path)}
    full, daily, quality = (dbt_ls("--selector", name, env=env) for name in ("full", "daily", "quality"))
    unit_tests = dbt_ls("--resource-type", "unit_test", env=env)
    assert unit_tests and unit_tests <= full, "full is every resource, unit tests included"
    assert daily == full - unit_tests, "daily is everything but the unit tests"
    assert {"fct_quarantined_rows", "fct_raw_table_reconciliation", "build_settings", "base_web__orders",
            "web.orders", "unique_fct_quarantined_rows_quarantined_row_id"} <= quality, sorted(quality)
    assert not {"dim_customers", "customer_rfm", "customer_contacts"} & quality, "quality reaches beyond its marts"


def test_the_build_runs_the_daily_selection(tmp_path):
    """`make build` is a production run: it asks dbt for every resource but the unit tests, like the `daily`
    selector (this suite's builds run them); a resource-type or selector choice of DBT_ARGS is kept."""
    env = {"DBT_TARGET_PATH": str(tmp_path)}
    unit_tests = dbt_ls("--resource-type", "unit_test", env=env)
    assert unit_tests
    assert dbt_ls(*building.without_unit_tests([]), env=env) == dbt_ls(env=env) - unit_tests
    for mine in (["--select", "customer_rfm", "--resource-type", "unit_test"], ["--selector", "full"]):
        assert building.without_unit_tests(mine) == mine


def test_groups_access_and_exposures(manifest):
    nodes = models(manifest)
    groups = {group["name"] for group in manifest["groups"].values()}
    assert {"staging", "identity", "customers", "marketing", "quality", "privacy", "activation"} <= groups
    assert all(group["owner"].get("email") for group in manifest["groups"].values()), "every group has an owner"
    missing = sorted(node["name"] for node in nodes.values() if not node["group"])
    assert not missing, f"models without a group: {missing}"
    for uid, node in nodes.items():
        readers = [manifest["nodes"].get(child) or manifest["exposures"].get(child) or {}
                   for child in manifest["child_map"].get(uid, [])]
        other_groups = {reader.get("group") for reader in readers if reader.get("resource_type") != "unit_test"}
        other_groups.discard(node["group"])
        # a building block only its group reads is private; whatever BI reads is public
        if node["access"] == "protected" and not other_groups:
            assert node["name"] in {"build_settings", "customer_contacts"}, \
                f"{node['name']}: only group {node['group']} reads it, so it should be private"
    for exposure in manifest["exposures"].values():
        for parent in exposure["depends_on"]["nodes"]:
            assert manifest["nodes"][parent]["access"] == "public", f"{exposure['name']} reads {parent}, not public"
    bi = manifest["exposures"]["exposure.customer360.customer360_bi_warehouse"]
    bi_marts = {uid for uid, node in nodes.items()
                if node["schema"].split("_")[-1] in publishing.BI_SCHEMAS and node["access"] == "public"}
    assert bi["type"] == "dashboard" and set(bi["depends_on"]["nodes"]) == bi_marts


def test_state_modified_selects_only_the_changed_model_and_its_children(tmp_path):
    """A manifest written by the make path (scripts.build: its raw root, salt, target and as-of, a user's
    --vars in DBT_ARGS) compared with the project as a plain `dbt` in the user's shell parses it (target
    ci, another salt, no as-of): nothing is modified until one model changes, and then `state:modified+`
    is that model and its children."""
    (tmp_path / "project").mkdir()
    project = project_copy(tmp_path / "project")
    parsed = run([sys.executable, "-m", "scripts", "build", "--steps", "parse", "--raw-root", "data/raw",
                  "--build-db", tmp_path / "build" / "c360.duckdb", "--warehouse", tmp_path / "wh" / "c360.duckdb",
                  "--as-of", "2025-05-31", "--dbt-args", "--vars '{rfm_window_days: 180}'"],
                 env={"DBT_PROFILES_DIR": str(project)}, cwd=project)
    assert parsed.returncode == 0, (parsed.stdout + parsed.stderr)[-3000:]
    state = tmp_path / "state"
    state.mkdir()
    shutil.move(project / "target" / "manifest.json", state / "manifest.json")

    user_env = {"DBT_PROFILES_DIR": str(project), "C360_PII_SALT": "another-salt",
                "C360_BUILD_DB": str(tmp_path / "user.duckdb"), "DBT_TARGET_PATH": str(tmp_path / "t")}
    selection = ("--select", "state:modified+", "--state", str(state))
    assert dbt_ls(*selection, env=user_env, cwd=project) == set(), "an unchanged project is modified"

    model = project / "models" / "intermediate" / "customers" / "int_customers__survivorship.sql"
    model.write_text(model.read_text() + "\n-- a reviewer's change\n")
    modified = dbt_ls(*selection, env=user_env, cwd=project)
    children = dbt_ls("--select", "int_customers__survivorship+", env=user_env, cwd=project)
    assert "int_customers__survivorship" in modified and "dim_customers" in modified
    assert modified == children
    assert not {"stg_web__orders", "int_identity__customer_ids", "fct_orders"} & modified


# --- the as-of date --------------------------------------------------------------------------------------

def build(tmp_path: Path, *args: str, raw: Path | None = None, env: dict | None = None):
    return run([sys.executable, "-m", "scripts", "build", "--raw-root", raw or tmp_path / "no-raw",
                "--build-db", tmp_path / "build" / "c360.duckdb", "--warehouse", tmp_path / "wh" / "c360.duckdb",
                *args], env=env or {})


def one_error_line(result) -> str:
    # make's own "make: *** [Makefile:N: build] Error 2" follows the build's line ("make[1]: ..." when the
    # suite itself runs under `make test`)
    lines = [line for line in result.stderr.splitlines() if line.strip() and not re.match(r"make(\[\d+\])?:", line)]
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return lines[-1]


def publish_state(tmp_path: Path, setting: str | None, last_purchase: str, schema: str = "intermediate") -> None:
    """A published state file holding what the build reads of it: the as-of setting and the purchase days
    (in schema marketing in states published before 2026-12-04)."""
    state = publishing.Publication.at(tmp_path / "wh" / "c360.duckdb").state
    state.parent.mkdir(parents=True)
    con = duckdb.connect(str(state))
    con.execute(f"create schema quality; create schema {schema}")
    con.execute("create table quality.build_settings as select 'analytics_as_of_date' as setting_name,"
                " cast(? as varchar) as setting_value", [setting])
    con.execute(f"create table {schema}.int_customers__purchase_days as select date '2024-01-05' as purchase_date"
                " union all select cast(? as date)", [last_purchase])
    con.close()


@pytest.mark.parametrize("value", ["2025-02-30", "31/01/2025", "20250131", "2025-01-01; rm -rf /", "yesterday"])
def test_make_build_refuses_a_malformed_as_of_in_one_line(tmp_path, value):
    result = run(["make", "--no-print-directory", "build", f"AS_OF={value}", f"RAW_ROOT={tmp_path}",
                  f"BUILD_DB={tmp_path / 'b.duckdb'}", f"WAREHOUSE={tmp_path / 'wh' / 'c360.duckdb'}"])
    assert one_error_line(result) == f"build: ERROR AS_OF must be a date YYYY-MM-DD, got {value!r}"
    assert not (tmp_path / "b.duckdb").exists()


def test_as_of_after_the_newest_load_is_refused(sample_raw, tmp_path):
    result = build(tmp_path, "--steps", "dbt", "--as-of", "2025-07-01", raw=sample_raw)
    line = one_error_line(result)
    assert "AS_OF 2025-07-01 is after the newest load" in line and "use AS_OF=2025-06-30 or earlier" in line


def test_as_of_before_the_published_one_needs_a_full_refresh(tmp_path):
    publish_state(tmp_path, None, "2025-06-30")
    result = build(tmp_path, "--steps", "dbt", "--as-of", "2025-03-31")
    assert one_error_line(result) == ("build: ERROR AS_OF 2025-03-31 is before the warehouse's as-of 2025-06-30: "
                                      "run make build AS_OF=2025-03-31 DBT_ARGS=--full-refresh")
    assert not (tmp_path / "build" / "c360.duckdb").exists(), "dbt ran"
    # the same date in DBT_ARGS --vars is the same request; with AS_OF too it must agree
    result = build(tmp_path, "--steps", "dbt", "--dbt-args", "--vars '{analytics_as_of_date: 2025-03-31}'")
    assert "is before the warehouse's as-of 2025-06-30" in one_error_line(result)
    result = build(tmp_path, "--steps", "dbt", "--as-of", "2025-06-30",
                   "--dbt-args", "--vars '{analytics_as_of_date: 2025-03-31}'")
    assert "disagree" in one_error_line(result)


@pytest.mark.parametrize("schema", ["intermediate", "marketing"])
def test_dropping_an_as_of_set_after_the_data_end_is_refused(tmp_path, schema):
    publish_state(tmp_path, "2025-06-30", "2025-06-20", schema)
    line = one_error_line(build(tmp_path, "--steps", "dbt"))
    assert "as-of 2025-06-30 was set (AS_OF) after its last purchase day 2025-06-20" in line
    assert not (tmp_path / "build" / "c360.duckdb").exists(), "dbt ran"


def test_a_moved_raw_root_keeps_the_stored_rows_of_the_files_found_at_the_same_place(tmp_path, monkeypatch):
    """The load manifest and the base models know a raw file by its path as dbt read it. From a moved raw
    root, or the same one spelled otherwise, the build rewrites the stored paths of the files it finds at
    the same place below the new root, so they count as unchanged rather than new (tests/python/
    test_daily_run.py runs dbt on it); a file not there keeps its path and counts as gone."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(building, "RELOCATE_BATCH_ROWS", 4)  # a file's 3 rows per transaction
    places = ["app/app_events/load_date=2025-06-30/part-0.parquet",
              "app/app_events/load_date=2025-07-01/part-0.parquet",
              "web/orders/load_date=2025-06-30/part-0.parquet"]
    for place in places[:2]:  # the web file is not under the new root
        (tmp_path / "new" / place).parent.mkdir(parents=True, exist_ok=True)
        duckdb.sql(f"copy (select 1 as a) to '{tmp_path / 'new' / place}' (format parquet)")
    build_db = tmp_path / "build.duckdb"
    assert building.relocate_raw_files(build_db, Path("new")) is None  # nothing built yet
    con = duckdb.connect(str(build_db))
    con.execute("create schema staging")
    con.execute("create schema quality")
    con.execute("create table staging.load_manifest_progress (model_name varchar, filename varchar)")
    con.executemany("insert into staging.load_manifest_progress values (?, ?)",
                    [["base_" + place.split("/")[1], "old/raw/" + place] for place in places])
    con.execute("create table staging.base_app__app_events as select filename, range as file_row_number "
                "from (values ('old/raw/' || ?), ('old/raw/' || ?)) as files (filename), range(3)", places[:2])
    con.execute("create view staging.stg_app__app_events as select * from staging.base_app__app_events")
    con.execute("create table quality.fct_quarantined_rows as select ? as filename", places[:1])  # below the root
    con.close()

    moved = building.relocate_raw_files(build_db, Path("new"))
    assert re.fullmatch(r"build: the raw files moved from old/raw to new: stored paths rewritten for 2 files "
                        r"\(8 rows in 2 tables, \d+\.\d s\); their fingerprints decide which changed", moved), moved
    con = duckdb.connect(str(build_db), read_only=True)
    assert con.execute("select filename from staging.load_manifest_progress order by all").fetchall() == [
        ("new/" + places[0],), ("new/" + places[1],), ("old/raw/" + places[2],)]
    assert con.execute("select filename, count(*) from staging.stg_app__app_events group by all order by all"
                       ).fetchall() == [("new/" + places[0], 3), ("new/" + places[1], 3)]
    assert con.execute("select filename from quality.fct_quarantined_rows").fetchall() == [(places[0],)]
    con.close()
    assert building.relocate_raw_files(build_db, Path("new")) is None  # nothing left to move
    # the same root spelled otherwise is a move too; a file stored under two roots is left as it is
    assert building.relocate_raw_files(build_db, tmp_path / "new").startswith(
        f"build: the raw files moved from new to {tmp_path / 'new'}: stored paths rewritten for 2 files (8 rows ")
    con = duckdb.connect(str(build_db))
    con.execute("insert into staging.load_manifest_progress values ('base_app_events', ?)", ["old/raw/" + places[0]])
    con.close()
    assert building.relocate_raw_files(build_db, Path("new")).startswith(
        f"build: the raw files moved from {tmp_path / 'new'} to new: stored paths rewritten for 1 file (4 rows in 2 ")
    # a rewrite that fails (here a table refuses the new path) is one line
    con = duckdb.connect(str(build_db))
    con.execute("create table staging.base_web__orders (filename varchar check (filename like 'new/%'))")
    con.execute("insert into staging.base_web__orders values (?)", ["new/" + places[1]])
    con.close()
    with pytest.raises(building.BuildError, match=r"^the stored paths of the raw files under \S+ could not be "
                                                  r"rewritten: Constraint Error: [^\n]*$"):
        building.relocate_raw_files(build_db, tmp_path / "new")


def test_make_build_from_a_moved_raw_root_reads_no_file_again_or_warns_and_reads_all(sample_raw, tmp_path):
    """Through `python -m scripts build`: the raw root as given reaches both dbt and the rewrite, and the run
    processes no stored file again. A rewrite that fails is a warning and a run that reads every file, so a
    later build is not stuck on it."""
    first, moved = tmp_path / "first" / "raw", tmp_path / "moved" / "raw"
    shutil.copytree(sample_raw, first)
    shutil.copytree(sample_raw, moved)  # copy2 keeps the modification times the fingerprints hold
    catalog = {"DBT_ARGS": "--select +base_catalog__products", "DBT_TARGET_PATH": str(tmp_path / "target")}
    result = build(tmp_path, "--steps", "dbt", raw=first, env=catalog)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    state = publishing.Publication.at(tmp_path / "wh" / "c360.duckdb").state
    state.parent.mkdir(parents=True)
    shutil.copy(tmp_path / "build" / "c360.duckdb", state)  # what a publish leaves
    con = duckdb.connect(str(state))
    files = con.execute("select count(distinct filename) from staging.load_manifest_progress").fetchone()[0]
    con.execute(f"create table staging.guard (filename varchar check (starts_with(filename, '{first}')))")
    con.execute("insert into staging.guard select min(filename) from staging.load_manifest_progress")
    con.close()

    failed = build(tmp_path, "--steps", "dbt", raw=moved, env=catalog)
    assert failed.returncode == 0, (failed.stdout + failed.stderr)[-3000:]
    assert f"build: WARNING the stored paths of the raw files under {moved} could not be rewritten: Constraint " \
           f"Error" in failed.stderr and "Traceback" not in failed.stderr
    assert files_read(tmp_path / "target", "base_catalog__products") != []  # every file read again

    con = duckdb.connect(str(state))
    con.execute("drop table staging.guard")
    con.close()
    result = build(tmp_path, "--steps", "dbt", raw=moved, env=catalog)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert f"build: the raw files moved from {first} to {moved}: stored paths rewritten for {files} files (" \
           in result.stderr
    assert "WARNING" not in result.stderr
    assert files_read(tmp_path / "target", "base_catalog__products") == []  # no file read again
    assert "raw files against the published state: 0 new, 0 redelivered, 0 gone, " in result.stderr


def test_a_stop_signal_during_the_rewrite_exits_as_a_stopped_step(tmp_path, monkeypatch):
    """SIGTERM or Ctrl-C while DuckDB rewrites the paths comes back from DuckDB as "Query interrupted": the
    build exits with 128 + the signal's number, as when it stops dbt, not with a traceback."""
    def interrupted(build_db, raw_root):
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(building, "relocate_raw_files", interrupted)
    runner = building.Runner({})
    runner.stopped_by = 15
    with pytest.raises(SystemExit) as stopped:
        building.relocate_or_restore(runner, tmp_path / "b.duckdb", tmp_path / "raw", tmp_path / "w.duckdb")
    assert stopped.value.code == 128 + 15
    runner.stopped_by = None  # not a stop: a bug, which says so
    with pytest.raises(RuntimeError):
        building.relocate_or_restore(runner, tmp_path / "b.duckdb", tmp_path / "raw", tmp_path / "w.duckdb")
    with pytest.raises(SystemExit) as stopped:  # the handler outside any child records the signal
        runner.stop(2, None)
    assert stopped.value.code == 128 + 2 and runner.stopped_by == 2


def test_a_build_counts_the_raw_files_it_took_in_against_the_state_it_started_from(tmp_path):
    """One line says why a daily run took long: a history redelivered, say, reads every file."""
    def manifest(path: Path, files: dict[str, str]) -> Path:
        con = duckdb.connect(str(path))
        con.execute("create schema staging")
        con.execute("create table staging.load_manifest (filename varchar, fingerprint varchar)")
        con.executemany("insert into staging.load_manifest values (?, ?)", list(files.items()))
        con.close()
        return path

    state = manifest(tmp_path / "state.duckdb", {"a": "1", "b": "1", "c": "1", "d": "1"})
    build_db = manifest(tmp_path / "build.duckdb", {"a": "1", "b": "2", "c": "2", "e": "1", "f": "1", "g": "1"})
    assert building.raw_file_changes(build_db, state) == (
        "build: raw files against the published state: 3 new, 2 redelivered, 1 gone, 1 unchanged")
    assert building.raw_file_changes(build_db, None) == "build: raw files: 6 read, all of them (the build started empty)"
    # a moved raw root: the files are matched by their place below it
    place = "app/app_events/load_date=2025-06-30/part-{}.parquet"
    moved_state = manifest(tmp_path / "moved_state.duckdb", {"old/raw/" + place.format(0): "1",
                                                             "old/raw/" + place.format(1): "1"})
    moved_build = manifest(tmp_path / "moved_build.duckdb", {"/srv/raw/" + place.format(0): "1",
                                                             "/srv/raw/" + place.format(1): "2"})
    assert building.raw_file_changes(moved_build, moved_state) == (
        "build: raw files against the published state: 0 new, 1 redelivered, 0 gone, 1 unchanged")
    old_state = tmp_path / "old.duckdb"
    duckdb.connect(str(old_state)).close()
    assert building.raw_file_changes(build_db, old_state) is None  # published before the manifest
    assert building.raw_file_changes(build_db, tmp_path / "missing.duckdb").startswith("build: raw files not counted (")


def test_as_of_and_user_vars_both_reach_dbt(sample_raw, tmp_path):
    """AS_OF travels as an environment variable, so a user's --vars adds to it instead of replacing it."""
    result = build(tmp_path, "--steps", "dbt", "--as-of", "2025-05-31", raw=sample_raw, env={
        "DBT_ARGS": "--select build_settings --vars '{earliest_event_date: \"2001-02-03\"}'"})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    con = duckdb.connect(str(tmp_path / "build" / "c360.duckdb"), read_only=True)
    settings = dict(con.execute("select setting_name, setting_value from quality.build_settings").fetchall())
    con.close()
    assert settings["analytics_as_of_date"] == "2025-05-31"
    assert settings["earliest_event_date"] == "2001-02-03"


def test_audit_as_of_defaults_to_as_of(tmp_path):
    calls = []
    building.run_audit(lambda step, cmd: calls.append(cmd), tmp_path / "b.duckdb", tmp_path / "w.duckdb",
                       date(2025, 5, 31))
    building.run_audit(lambda step, cmd: calls.append(cmd), tmp_path / "b.duckdb", tmp_path / "w.duckdb", None)
    assert calls[0][-2:] == [building.AUDIT_AS_OF_OPTION, "2025-05-31"]
    assert building.AUDIT_AS_OF_OPTION not in calls[1]
    build_db = tmp_path / "build" / "c360.duckdb"
    build_db.parent.mkdir()
    duckdb.connect(str(build_db)).close()
    publishing.mark_built(build_db)
    for args, expected in ((["--as-of", "2025-05-31"], "2025-05-31"),
                           (["--as-of", "2025-05-31", "--audit-as-of", "2025-06-02"], "2025-06-02")):
        result = build(tmp_path, "--steps", "audit", *args)
        audit_line = next(line for line in result.stderr.splitlines() if line.startswith("build: audit:"))
        assert audit_line.endswith(f"{building.AUDIT_AS_OF_OPTION} {expected}"), audit_line


def test_only_a_build_file_a_finished_dbt_step_left_is_audited(sample_raw, tmp_path):
    """`make audit` after a `make dbt-build` that failed (a dbt test included) or was stopped would audit a
    half-built file, whose suites could pass and let `make publish` put it in place: refused in one line."""
    build_db = tmp_path / "build" / "c360.duckdb"
    result = build(tmp_path, "--steps", "dbt", raw=sample_raw, env={"DBT_ARGS": "--select build_settings"})
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert publishing.built_mark(build_db).is_file()

    stopped = build_db.with_name(build_db.name + ".wal")  # what a dbt killed halfway leaves beside the file
    stopped.write_bytes(b"")
    assert "was not left by a dbt build that finished" in one_error_line(build(tmp_path, "--steps", "audit"))
    stopped.unlink()
    con = duckdb.connect(str(build_db))  # written after dbt: by hand, or by a dbt run outside make
    con.execute("create table quality.written_later as select 1 as n")
    con.close()
    assert "changed after its dbt build" in one_error_line(build(tmp_path, "--steps", "audit"))

    # a model that fails once dbt has opened the file (a quote in a var breaks build_settings' SQL)
    failing = build(tmp_path, "--steps", "dbt", raw=sample_raw,
                    env={"DBT_ARGS": "--select build_settings --vars \"{earliest_event_date: it's}\""})
    assert "dbt failed" in one_error_line(failing)
    assert build_db.is_file() and not publishing.built_mark(build_db).exists()
    line = one_error_line(build(tmp_path, "--steps", "audit"))
    assert "was not left by a dbt build that finished" in line and "nothing was published" in line
    assert not publishing.audit_mark(build_db).exists()


def test_moving_the_as_of_forward_equals_a_full_refresh(sample_raw, tmp_path):
    """Built as of d1, then as of a later d2 (months later, mid-month): the incremental marketing marts catch
    up and equal a full refresh as of d2."""
    incremental_db, full_db = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"

    def dbt_build(db: Path, as_of: str, *extra: str):
        result = run([BIN / "dbt", "build", "--target", "ci", "--exclude-resource-type", "unit_test", *extra],
                     env={"C360_BUILD_DB": str(db), "C360_RAW_ROOT": str(sample_raw), "C360_ANALYTICS_AS_OF": as_of,
                          "DBT_TARGET_PATH": str(tmp_path / "target")})
        assert result.returncode == 0, result.stdout[-3000:]

    dbt_build(incremental_db, "2025-03-15")
    dbt_build(incremental_db, "2025-05-20")
    dbt_build(full_db, "2025-05-20", "--full-refresh")
    con = duckdb.connect(str(incremental_db), read_only=True)
    as_of = con.execute("select max(as_of_date) from marketing.customer_btyd_summary").fetchone()[0]
    con.close()
    assert as_of == date(2025, 5, 20)
    assert_same_marketing_rows(incremental_db, full_db, "as-of moved forward")


def test_a_run_drops_the_mart_relations_no_model_defines_and_nothing_else(warehouse, sample_raw, tmp_path):
    """A model removed or renamed must not go on being published: the mart schemas (copied whole into the
    BI file) lose the relations no model defines at the end of a build or run; staging and intermediate
    keep theirs, `dbt test` drops nothing, and the int_ building blocks are not in a mart schema."""
    db = tmp_path / "customer360.duckdb"
    shutil.copy(warehouse, db)
    with duckdb.connect(str(db)) as con:
        marts = [row[0] for row in con.execute("select distinct schema_name from duckdb_tables()"
                                               " where schema_name in ('core', 'marketing', 'quality', 'privacy')"
                                               ).fetchall()]
        assert sorted(marts) == ["core", "marketing", "privacy", "quality"]
        assert con.execute("select list(schema_name || '.' || table_name) from duckdb_tables()"
                           " where table_name like 'int\\_%' escape '\\' and schema_name <> 'intermediate'"
                           ).fetchone()[0] in (None, [])
        con.execute("create table marketing.customer_rfm_old as select 1 as customer_id")
        # a quote in a name must not break the drop statement (and with it every later run)
        con.execute('create table marketing."x""; drop table core.dim_customers; --" as select 1 as x')
        con.execute("create view core.dim_customers_v1 as select * from core.dim_customers")
        con.execute("create table intermediate.kept_by_hand as select 1 as x")
    relations = "select list(schema_name || '.' || table_name order by all) from duckdb_tables()"
    views = "select list(schema_name || '.' || view_name order by all) from duckdb_views() where not internal"

    def listed():
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute(relations).fetchone()[0], con.execute(views).fetchone()[0]

    before_tables, before_views = listed()
    target = ["--target-path", tmp_path / "target", "--log-path", tmp_path / "logs"]
    tested = dbt("test --select customer_btyd_summary", sample_raw, db, *target)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert listed() == (before_tables, before_views)
    ran = dbt("run --select customer_btyd_summary", sample_raw, db, *target)
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "dropping" in ran.stdout and "customer_rfm_old" in ran.stdout
    after_tables, after_views = listed()
    assert set(before_tables) - set(after_tables) == {"marketing.customer_rfm_old",
                                                      'marketing.x"; drop table core.dim_customers; --'}
    assert set(before_views) - set(after_views) == {"core.dim_customers_v1"}
    assert "intermediate.kept_by_hand" in after_tables
