"""`python -m scripts bench`: its usage errors, the document it renders from results.json, how entries of
separate runs merge, and one real run at a tiny size that writes every field."""
from __future__ import annotations

import json
import sys

import pytest

from conftest import run
from scripts import bench

BAD_ARGS = [
    # (arguments, words the one error line must name); {tmp} is an empty folder of the test
    (["--measure-days", "14"], ["--measure-days", "14", "monthly day"]),
    (["--measure-days", "5", "--end", "2025-06-15"], ["--measure-days", "5"]),  # not monthly there: passes to --out
    (["--measure-days", "729", "--incremental-days", "3"], ["day 731", "730"]),
    (["--measure-days", "5", "6", "--incremental-days", "2"], ["--incremental-days 2", "overlap"]),
    (["--measure-days", "soon"], ["--measure-days", "soon"]),
    (["--results", "{tmp}"], ["--results", "folder"]),
    (["--doc", "{tmp}"], ["--doc", "folder"]),
    (["--doc-only", "--results", "{tmp}/none.json", "--doc", "{tmp}/benchmarks.md"], ["--doc-only", "none.json"]),
]


@pytest.mark.parametrize("args, names", BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_arguments_are_one_line_and_exit_2(args, names, tmp_path):
    args = [a.format(tmp=tmp_path) for a in args]
    if args[:4] == ["--measure-days", "5", "--end", "2025-06-15"]:
        # day 5 after 2025-06-15 is ordinary (the month close is day 15): the next check, a file as --out, answers
        (tmp_path / "file").write_text("")
        args += ["--out", str(tmp_path / "file")]
        names = ["--out", "not a folder"]
    result = run([sys.executable, "-m", "scripts", "bench", *args], timeout=60)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    assert result.stdout == ""


def test_monthly_days_follow_the_history_end():
    # churn settles churn_settle_days (14) after the last month end; the month close is the next month end
    assert bench.monthly_days("2025-12-31") == {"churn_settle": 14, "month_close": 31}
    assert bench.monthly_days("2025-06-10") == {"churn_settle": 4, "month_close": 20}
    assert bench.monthly_days("2025-06-15") == {"churn_settle": 29, "month_close": 15}
    assert bench.doubled_start("2023-01-01", "2025-12-31") == "2020-01-01"


def build(seconds: float, peak: float = 1.0, steps: tuple = (0.25, 0.5, 0.2, 0.05)) -> dict:
    """A build record whose steps share `seconds` in the given proportions."""
    parts = dict(zip(bench.STEPS, steps))
    return {"seconds": seconds, "cpu_seconds": seconds * 0.9, "peak_rss_gib": peak,
            "steps": {step: {"seconds": round(seconds * share, 2), "cpu_seconds": round(seconds * share * 0.9, 2),
                             "peak_rss_gib": peak if step == "dbt" else 0.1} for step, share in parts.items()},
            "slowest_models": [["base_app__app_events", round(seconds / 10, 2)]]}


def day_summary(days: dict[str, dict], full: dict) -> dict:
    return bench.ordinary(days, full)


MACHINE = {"cores": 2, "ram_gib": 23.5, "cpu": "Test CPU", "python": "3.11.7", "dbt_core": "1.11.16",
           "dbt_duckdb": "1.11.1", "duckdb": "2.0.0", "load_average_at_start": [1.5, 1.0, 0.5]}


def entry_10k() -> dict:
    full = build(700.0, peak=9.1)
    history = {"start": "2023-01-01", "end": "2025-12-31", "measured_at": "2026-12-02T15:00:00Z", "machine": MACHINE,
               "generate_seconds": 12.0, "rows": {"dim_customers": 9000, "fct_orders": 90000, "fct_customer_events": 400000},
               "full_build": full,
               "btyd": {"orders": 90000, "customers": 3400, "models": {"customer_purchase_days": 2.0,
                                                                        "customer_order_summary": 1.0},
                        "dbt_path_seconds": 3.0, "query_seconds": 1.0, "query_runs_seconds": [1.0, 1.0, 1.1],
                        "query_mismatches": 0, "lifetimes": {"seconds": 20.0, "customers": 3400, "mismatches": 0},
                        "path_vs_query": 3.0, "lifetimes_vs_path": 6.67},
               "ordinary_day": day_summary({"12": build(29.0), "13": build(30.0), "11": build(31.0)}, full),
               "monthly_days": {"churn_settle": {"day": 14, **build(95.0)}, "month_close": {"day": 31, **build(60.0)}},
               "unchanged_day": {"after_day": 11, **build(24.0)}}
    doubled_full = build(800.0)
    doubled = {"start": "2020-01-01", "end": "2025-12-31", "measured_at": "2026-12-02T15:30:00Z", "machine": MACHINE,
               "generate_seconds": 20.0, "rows": {}, "full_build": doubled_full,
               "ordinary_day": day_summary({"12": build(33.0), "13": build(34.0)}, doubled_full)}
    return {"customers": 10000, "label": "", "measured_at": "2026-12-02T15:00:00Z", "machine": MACHINE,
            "history": history, "doubled_history": doubled}


def test_document_renders_each_size_with_its_targets(tmp_path):
    """The figures, ratios and verdicts of the document come from results.json: a full build of 700 s
    misses 10 min, a day of 30 s is 4.3 % of it (met), 33.5 s on the doubled history is +11.7 % (met),
    the churn settle day is 3.2× a day (missed), the month close 2.0× (met), the BTYD path 3.0× the
    query (missed), lifetimes 6.7× the path (met), a peak of 9.1 GiB misses 8 GiB."""
    results, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    only_full = {"customers": 100000, "label": "", "machine": MACHINE, "doubled_history": None,
                 "history": {"start": "2023-01-01", "end": "2025-12-31", "machine": MACHINE,
                             "measured_at": "2026-12-02T16:00:00Z", "generate_seconds": 60.0, "rows": {},
                             "full_build": build(300.0, peak=3.0), "complete": False}}
    bench.write_results(results, {"10000": entry_10k(), "100000": only_full})
    # a size measured on another checkout lives in the record beside the document, and stays
    elsewhere = {**only_full, "customers": 1000000}
    bench.write_results(doc.with_suffix(".json"), {"1000000": elsewhere})
    doc.write_text("# Benchmarks\n\nold text, replaced\n\n## Notes\n\n- a note kept as written\n")
    result = run([sys.executable, "-m", "scripts", "bench", "--doc-only", "--results", results, "--doc", doc],
                 timeout=60)
    assert result.returncode == 0, result.stderr
    text = doc.read_text()
    assert "old text" not in text and text.endswith("## Notes\n\n- a note kept as written\n")
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## 10,000 customers", "## 100,000 customers", "## 1,000,000 customers", "## Notes"]
    ten_k = text[text.index("## 10,000"):text.index("## 100,000")]
    assert "| full build | 700 s | 630 s | 175 s | 350 s | 140 s | 35.0 s | 100 % |" in ten_k
    assert "| ordinary day (median of days 11, 12, 13) | 30.0 s |" in ten_k and "| 4.3 % of full" in ten_k
    assert "| day 14: churn settle | 95.0 s |" in ten_k and "| 3.2× an ordinary day |" in ten_k
    assert "| day 31: month close | 60.0 s |" in ten_k and "| 2.0× an ordinary day |" in ten_k
    assert "| ordinary day, 6 years (median of days 12, 13) | 33.5 s |" in ten_k and "+11.7 % vs 3 years" in ten_k
    # the build with no new load after day 11: 24 s of a 30-s day
    assert "| no new load (day 11 built again) | 24.0 s |" in ten_k and "| 80.0 % of an ordinary day (CPU 80.0 %) |" in ten_k
    assert "no new load, 6 years" not in ten_k
    assert "| full build | 0.10 GiB | 9.10 GiB | 0.10 GiB | 0.10 GiB |" in ten_k
    assert "the dbt path takes 3.0× the query" in ten_k and "| 6.7× the dbt path |" in ten_k
    verdicts = {line.split(" | ")[0][2:]: line.split(" | ")[2].rstrip(" |") for line in ten_k.splitlines()
                if line.startswith("| ") and line.endswith(("met |", "missed** |", "measured |", "reported |"))}
    assert verdicts == {
        "full `make build` ≤ 10 min": "**missed**", "peak RSS of every step ≤ 8 GiB": "**missed**",
        "BTYD path within 2× one DuckDB query": "**missed**", "BTYD path ≥ 5× faster than lifetimes": "met",
        "ordinary day ≤ 5 % of the full build": "met",
        "doubling the history changes an ordinary day by ≤ 20 %": "met",
        "day 14 (churn settle) ≤ 3× an ordinary day": "**missed**", "day 31 (month close) ≤ 3× an ordinary day": "met",
        "audit and publish scale with the day's work (no figure set)": "reported"}
    hundred_k = text[text.index("## 100,000"):text.index("## 1,000,000")]
    assert "| full build | 300 s |" in hundred_k and "**Incomplete**" in hundred_k and "**Incomplete**" not in ten_k
    assert "| ordinary day ≤ 5 % of the full build | – | not measured |" in hundred_k
    record = json.loads(doc.with_suffix(".json").read_text())["sizes"]
    assert list(record) == ["10000", "100000", "1000000"]


@pytest.mark.parametrize("content, words", [
    ("not json", ["not a results file"]),
    ('{"sizes": {"500": {"customers": 500}}}', ["size '500'", "not a bench entry"]),
    ('{"sizes": {"500": {"customers": 500, "history": {"start": "2025-01-01"}}}}', ["not a bench entry of this version"]),
])
def test_a_broken_results_file_is_one_line(content, words, tmp_path):
    """A results file the bench cannot read stops it with one line naming the file, and writes no document."""
    results, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    results.write_text(content)
    result = run([sys.executable, "-m", "scripts", "bench", "--doc-only", "--results", results, "--doc", doc], timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench: FAILED:") and str(results) in lines[0], result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert not doc.exists() and not doc.with_suffix(".json").exists()


def lineage(tmp_path, parents: dict[str, list[str]]):
    """A manifest.json of models (name: the models it depends on) and one seed, as dbt writes it."""
    nodes = {f"model.p.{name}": {"name": name, "resource_type": "model",
                                 "depends_on": {"nodes": [f"model.p.{p}" if p != "seed" else "seed.p.seed"
                                                          for p in refs]}}
             for name, refs in parents.items()}
    nodes["seed.p.seed"] = {"name": "seed", "resource_type": "seed", "depends_on": {"nodes": []}}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"nodes": nodes}))
    return path


def test_the_btyd_path_is_the_lineage_from_the_orders_to_the_summary(tmp_path):
    # a side input that does not read the orders (a calendar, the manifest's bookkeeping) is not on the path;
    # a model that reads the orders but that the summary does not read (the monthly chain) is not either
    manifest = lineage(tmp_path, {
        "stg_orders": ["seed"], "fct_orders": ["stg_orders"], "load_manifest_progress": [],
        "int_customers__purchase_days": ["fct_orders", "load_manifest_progress"],
        "int_customers__order_summary": ["fct_orders", "load_manifest_progress"],
        "calendar": ["seed"], "customer_btyd_summary": ["int_customers__order_summary", "calendar"],
        "int_customers__monthly_totals": ["int_customers__purchase_days"],
    })
    assert bench.btyd_path_models(manifest) == ["customer_btyd_summary", "int_customers__order_summary"]
    # the summary under its former name, read through a chain of two models
    manifest = lineage(tmp_path, {"fct_orders": [], "customer_purchase_days": ["fct_orders"],
                                  "customer_order_summary": ["customer_purchase_days"],
                                  "int_customers__btyd_summary": ["customer_order_summary", "customer_purchase_days"]})
    assert bench.btyd_path_models(manifest) == ["customer_order_summary", "customer_purchase_days",
                                                "int_customers__btyd_summary"]
    # a build without the summary, or a file that is not a manifest, is one line
    manifest = lineage(tmp_path, {"fct_orders": []})
    with pytest.raises(bench.BenchError, match="no fct_orders or BTYD summary"):
        bench.btyd_path_models(manifest)
    manifest.write_text("{not json")
    with pytest.raises(bench.BenchError, match="cannot read the full build's lineage"):
        bench.btyd_path_models(manifest)


def test_separate_runs_of_one_size_merge(tmp_path):
    """The longer history measured by its own bench joins the size's entry, whichever run ends first; a
    later run without it keeps the recorded one while the history ends on the same day."""
    results = tmp_path / "results.json"
    full = entry_10k()
    doubled_only = {**full, "history": None}
    base_only = {**full, "doubled_history": None}
    bench.merge_entry(results, "10000", doubled_only)
    bench.merge_entry(results, "10000", base_only)
    merged = json.loads(results.read_text())["sizes"]["10000"]
    assert merged["history"] == full["history"] and merged["doubled_history"] == full["doubled_history"]
    bench.merge_entry(results, "10000", doubled_only)
    assert json.loads(results.read_text())["sizes"]["10000"] == merged
    moved = {**base_only, "history": {**full["history"], "end": "2026-06-30"}}
    bench.merge_entry(results, "10000", moved)
    assert json.loads(results.read_text())["sizes"]["10000"]["doubled_history"] is None


def test_a_measured_history_leaves_only_its_logs_for_the_doubled_one(tmp_path):
    """Before the doubled history is measured, the first one's raw copy, build and warehouse (28 GB at 1M
    customers) are deleted; its logs stay, and a folder already gone is no error."""
    run_folder = tmp_path / "run_2023-01-01"
    for part in ("raw/web", "build", "warehouse/.state", "logs", "target"):
        (run_folder / part).mkdir(parents=True)
        (run_folder / part / "file").write_text("x")
    bench.release_run(run_folder)
    assert sorted(p.name for p in run_folder.iterdir()) == ["logs", "target"]
    assert (run_folder / "logs" / "file").read_text() == "x"
    bench.release_run(run_folder)
    bench.release_run(tmp_path / "never_made")


def test_a_tiny_run_writes_every_field(tmp_path):
    """One real bench: a full build, one day of a 500-customer sample (a smaller one fails the CLV
    model's own tests) and that day built again with no new load, each step of `make build` timed and
    its peak RSS read; the BTYD summary by one query equals the published one."""
    out, results = tmp_path / "bench", tmp_path / "results.json"
    result = run([sys.executable, "-m", "scripts", "bench", "--customers", "500", "--start", "2025-07-01",
                  "--end", "2025-12-31", "--measure-days", "1", "--no-monthly", "--out", out,
                  "--results", results], timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "day 1 (ordinary, 1/1): dbt (elapsed" in result.stderr and "ETA" in result.stderr
    entry = json.loads(results.read_text())["sizes"]["500"]
    assert entry == json.loads(result.stdout)
    assert set(entry["machine"]) >= {"cores", "ram_gib", "cpu", "python", "dbt_core", "dbt_duckdb", "duckdb",
                                     "load_average_at_start", "load_average_at_end"}
    history = entry["history"]
    assert history["rows"]["fct_orders"] > 0 and history["generate_seconds"] > 0
    day = history["ordinary_day"]["days"]["1"]
    # day 1 built again with no new load, each step timed like the others
    unchanged = history["unchanged_day"]
    assert unchanged["after_day"] == 1
    for record in (history["full_build"], day, unchanged):
        assert set(record["steps"]) == set(bench.STEPS)
        for step in record["steps"].values():
            assert step["seconds"] > 0 and step["cpu_seconds"] > 0 and step["peak_rss_gib"] > 0.02
        assert record["seconds"] == pytest.approx(sum(s["seconds"] for s in record["steps"].values()), abs=0.05)
        # dbt loads the project, DuckDB and the models' Python: far more than preflight's process
        assert record["steps"]["dbt"]["peak_rss_gib"] > record["steps"]["preflight"]["peak_rss_gib"]
        assert record["slowest_models"]
    assert 0 < history["ordinary_day"]["share_of_full"] < 2
    btyd = history["btyd"]
    # the models between fct_orders and the summary, as the build's lineage has them
    assert set(btyd["models"]) == {"int_customers__order_summary", "customer_btyd_summary"}
    assert btyd["query_mismatches"] == 0 and btyd["customers"] > 0 and btyd["query_seconds"] > 0
    # the same models rebuilt alone, on a copy that is gone afterwards
    assert set(btyd["models_alone"]) == set(btyd["models"]) and all(v > 0 for v in btyd["models_alone"].values())
    lifetimes = btyd["lifetimes"]
    assert lifetimes.get("mismatches") == 0 or "not installed" in lifetimes.get("error", ""), lifetimes
    assert history["monthly_days"] == {} and entry["doubled_history"] is None
