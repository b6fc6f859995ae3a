"""Benchmark a dbt build at a given scale: wall time, per-model time and peak memory.

    python -m scripts bench --customers 100000 [--select +bridge_customer_identity] [--identity-eval]

Generates the sample once per scale under build/bench/<customers>/raw (reused on later runs),
builds it into build/bench/<customers>/customer360.duckdb with its own dbt target path, and prints
a JSON report: total seconds, peak resident memory of the dbt process tree, the slowest models
from run_results.json, and (with --identity-eval) pairwise precision/recall of the identities.

    python -m scripts bench --customers 100000 --incremental-days 1 [--measure-days 2 10 20] [--repeats 3]

instead times daily incremental runs of the marketing marts against their full build.

On a terminal (or with --progress) the generator's tables and each dbt build's finished nodes are shown as
progress bars with an ETA on stderr; the JSON report on stdout is the same either way.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from scripts import progress
from scripts.arguments import add_progress_argument, folder_name, iso_date, non_negative_int, positive_int

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# dbt's log line for a finished node: "12 of 291 OK created sql table model ..." (START lines do not count)
DBT_NODE_DONE = re.compile(r"\b(\d+) of (\d+) (?!START)[A-Z]")
SHOW_PROGRESS = False  # set by run() from --progress / the terminal


def generate(raw: Path, customers: int, start: str, end: str, extra: list[str]) -> float:
    if (raw / "_generator.json").exists():
        return 0.0
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "scripts", "generate", "--customers", str(customers), "--start", start,
         "--end", end, "--seed", "7", "--out", str(raw), "--progress" if SHOW_PROGRESS else "--no-progress", *extra],
        cwd=REPO,
    )
    if result.returncode != 0:  # generate has said why on stderr
        raise SystemExit(f"bench: generating {raw} failed (exit {result.returncode})")
    return time.perf_counter() - began


def run_dbt(cmd: list[str], env: dict, description: str) -> tuple[int, str]:
    """Run dbt, advancing a progress bar by the nodes it finishes. Returns (exit code, its output)."""
    bar = progress.bar(SHOW_PROGRESS, description, unit="nodes")
    lines = []
    with subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            lines.append(line)
            done = DBT_NODE_DONE.search(line)
            if done:  # with several threads the numbers arrive out of order: count the lines
                bar.total = int(done.group(2))
                bar.update(1)
    bar.close()
    return proc.returncode, "".join(lines)


def dbt_build(raw: Path, db: Path, target_path: Path, select: str | None, extra: list[str],
              threads: int | None = None, exclude: str | None = None) -> tuple[float, float]:
    """Seconds and peak RSS (GiB) of one dbt build."""
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO), "C360_BUILD_DB": str(db),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "C360_PII_SALT": os.environ.get("C360_PII_SALT", "customer360-bench-salt")}
    env.pop("C360_RAW_ROOT", None)  # the benchmark's own sample, whatever the shell exported
    if threads:
        env["C360_DBT_THREADS"] = str(threads)
    cmd = [str(BIN / "dbt"), "build", "--target", "ci", "--target-path", str(target_path),
           "--vars", json.dumps({"raw_root": str(raw)}), "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious", *extra]
    if select:
        cmd += ["--select", select]
    if exclude:
        cmd += ["--exclude", exclude]
    began = time.perf_counter()
    returncode, output = run_dbt(cmd, env, f"[bench] dbt build {select or 'all'}{' --exclude ' + exclude if exclude else ''}")
    seconds = time.perf_counter() - began
    if returncode != 0:
        print(output[-4000:], file=sys.stderr)
        raise SystemExit(f"bench: dbt build failed at {raw}")
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    return seconds, peak_gib


def slowest_models(target_path: Path, top: int) -> list[tuple[str, float]]:
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    timed = [(r["unique_id"].split(".")[-1], round(r["execution_time"], 2)) for r in results
             if r["unique_id"].startswith(("model.", "snapshot."))]
    return sorted(timed, key=lambda item: -item[1])[:top]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customers", type=positive_int, default=100_000,
                        help="people in the generated sample, >= 1 (default: %(default)s)")
    parser.add_argument("--start", type=iso_date, default="2023-01-01", metavar="YYYY-MM-DD",
                        help="first day of the sample's history (default: %(default)s)")
    parser.add_argument("--end", type=iso_date, default="2025-12-31", metavar="YYYY-MM-DD",
                        help="last day of the sample's history, not before --start (default: %(default)s)")
    parser.add_argument("--select", default=None, help="dbt selector (default: the whole project)")
    parser.add_argument("--identity-eval", action="store_true", help="score identities against the truth")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench",
                        help="folder of the bench samples and builds (default: %(default)s)")
    parser.add_argument("--generator-arg", action="append", default=[], metavar="--FLAG=VALUE",
                        type=generator_arg,
                        help="extra generator option, e.g. --generator-arg=--decay-rate=0.05 (repeatable; "
                             "default: none)")
    parser.add_argument("--incremental-days", type=non_negative_int, default=0,
                        help="after a full build, time incremental builds of loads of this many days, >= 0 "
                             "(default: %(default)s, no incremental runs)")
    # days 2 and 3 are not ordinary: their lookback (var incremental_lookback_days) still reaches the
    # history's last monthly load, so they re-process about five times the customers of a later day
    parser.add_argument("--measure-days", type=positive_int, nargs="+", default=[5, 10, 20],
                        help="days after the history's end whose daily incremental run is timed, each >= 1 "
                             "(default: 5 10 20)")
    parser.add_argument("--label", type=folder_name, default="",
                        help="suffix of the bench folder, to keep variants apart (default: none)")
    parser.add_argument("--separate-marts-run", action="store_true",
                        help="with --incremental-days: build the marketing marts in their own dbt invocation, "
                             "after the layers they read (see project_build)")
    parser.add_argument("--repeats", type=positive_int, default=1,
                        help="run each measured day this many times from the same copy of the warehouse and "
                             "report the median, >= 1 (one run varies by about 0.2 s here; default: %(default)s)")
    add_progress_argument(parser)


def generator_arg(text: str) -> str:
    """argparse type: one generate option as --flag or --flag=value (the generator checks the value)."""
    if not text.startswith("--") or len(text) < 3:
        raise argparse.ArgumentTypeError(f"must be a generate option such as --decay-rate=0.05, got {text!r}")
    return text


def check_args(args: argparse.Namespace) -> str | None:
    """Checks across options, reported as usage errors by the CLI."""
    if args.end < args.start:  # ISO dates compare as strings
        return f"--end {args.end} is before --start {args.start}"
    if args.out.exists() and not args.out.is_dir():
        return f"--out {args.out} is a file, not a folder"
    return generator_args_problem(args.generator_arg)


class _GeneratorArgError(Exception):
    pass


class _GeneratorArgParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _GeneratorArgError(message)


def generator_args_problem(extra: list[str]) -> str | None:
    """The generator's own check of --generator-arg values, before minutes of work rather than after."""
    if not extra:
        return None
    from scripts.generate import add_arguments as generate_arguments

    parser = _GeneratorArgParser(prog="generate", add_help=False)
    generate_arguments(parser)
    try:
        parser.parse_args(extra)
    except _GeneratorArgError as e:
        return f"--generator-arg {' '.join(extra)}: {e}"
    return None


MARTS = "path:models/marts/marketing"


def project_build(args: argparse.Namespace, raw: Path, db: Path, target_path: Path,
                  threads: int | None = None) -> float:
    """Seconds of one build of the project. With --separate-marts-run it is two dbt invocations, as a
    scheduler running the layers one after the other would make them: everything but the marketing
    marts, then the marts alone, whose run_results.json is then the one left in target_path. The
    checkpoints of the upstream tables a single build rewrites then stay out of the marts' run, but
    the first use of the connection, the macros and the table blocks moves into it: at 100k it was
    not cheaper (README, "Cost at 100k customers")."""
    if not args.separate_marts_run:
        return dbt_build(raw, db, target_path, args.select, [], threads=threads)[0]
    upstream_seconds, _ = dbt_build(raw, db, target_path, args.select, [], threads=threads, exclude=MARTS)
    # buildable: the marts' tests that also read upstream models run with the marts
    marts_seconds, _ = dbt_build(raw, db, target_path, MARTS, ["--indirect-selection", "buildable"], threads=threads)
    return upstream_seconds + marts_seconds


def model_seconds(target_path: Path, path_part: str) -> dict[str, float]:
    """Execution seconds of the models whose file path contains path_part."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results
            if r["unique_id"] in manifest["nodes"] and path_part in manifest["nodes"][r["unique_id"]]["original_file_path"]
            and r["unique_id"].startswith("model.")}


def append_days(raw: Path, days: int) -> None:
    result = subprocess.run([sys.executable, "-m", "scripts", "generate", "--out", str(raw), "--append-days", str(days),
                             "--no-progress"], cwd=REPO, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise SystemExit(f"bench: appending {days} day(s) to {raw} failed: {last}")


def measured_build(args: argparse.Namespace, raw: Path, db: Path, target_path: Path) -> dict:
    """Seconds of an incremental build and of its marketing models: the median of `repeats` runs, each
    from a copy of the warehouse as it was before the first (the last run's state is kept)."""
    import shutil
    import statistics

    repeats = args.repeats
    before = db.with_name(db.name + ".before")
    if repeats > 1:
        shutil.copyfile(db, before)
    runs = []
    for repeat in range(repeats):
        if repeat:
            shutil.copyfile(before, db)
        build_seconds = project_build(args, raw, db, target_path, threads=1)
        runs.append((build_seconds, model_seconds(target_path, "marts/marketing")))
    before.unlink(missing_ok=True)
    totals = [sum(models.values()) for _, models in runs]
    median_models = {name: statistics.median(models[name] for _, models in runs) for name in runs[0][1]}
    return {
        "dbt_build_seconds": round(statistics.median(seconds for seconds, _ in runs), 1),
        "marketing_seconds": round(statistics.median(totals), 2),
        "marketing_seconds_runs": [round(total, 2) for total in totals],
        "models": median_models,
    }


def incremental_cost(args: argparse.Namespace, folder: Path, raw: Path) -> dict:
    """Full build (the median of --repeats), then daily loads: for each day of --measure-days, catch up
    to the day before in one unmeasured incremental build, then append that day and time the
    incremental build (the median of --repeats runs). The marketing models' seconds of each measured
    run are compared with their full build. The measured builds run one dbt thread, so that a model's
    time is its own (Python models share the interpreter lock)."""
    import shutil
    import statistics

    work = folder / "incremental"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(raw, work / "raw")
    db, target_path = work / "customer360.duckdb", work / "target"
    full_runs = []
    for _ in range(args.repeats):
        db.unlink(missing_ok=True)
        full_seconds = project_build(args, work / "raw", db, target_path, threads=1)
        full_runs.append((full_seconds, model_seconds(target_path, "marts/marketing")))
    full_totals = [sum(models.values()) for _, models in full_runs]
    full = {name: statistics.median(models[name] for _, models in full_runs) for name in full_runs[0][1]}
    full_seconds, full_total = statistics.median(seconds for seconds, _ in full_runs), statistics.median(full_totals)
    measured, loaded_days = {}, 0
    for day in sorted(args.measure_days):
        if day - 1 > loaded_days:
            append_days(work / "raw", day - 1 - loaded_days)
            project_build(args, work / "raw", db, target_path)
        append_days(work / "raw", args.incremental_days)
        loaded_days = day - 1 + args.incremental_days
        run = measured_build(args, work / "raw", db, target_path)
        models = run.pop("models")
        measured[f"day_{day}"] = {
            **run,
            "marketing_share_of_full": round(run["marketing_seconds"] / max(full_total, 1e-9), 3),
            "slowest_marketing_models": sorted(((name, round(seconds, 2)) for name, seconds in models.items()),
                                               key=lambda item: -item[1])[:6],
        }
    return {
        "append_days": args.incremental_days,
        "separate_marts_run": args.separate_marts_run,
        "full_build_seconds": round(full_seconds, 1),
        "marketing_full_seconds": round(full_total, 2),
        "marketing_full_seconds_runs": [round(total, 2) for total in full_totals],
        "slowest_marketing_models_full": sorted(((name, round(seconds, 2)) for name, seconds in full.items()),
                                                key=lambda item: -item[1])[:6],
        "incremental_runs": measured,
    }


def run(args: argparse.Namespace) -> int:
    global SHOW_PROGRESS
    SHOW_PROGRESS = progress.enabled(args.progress)
    folder = args.out / (str(args.customers) + (f"-{args.label}" if args.label else ""))
    raw, db, target_path = folder / "raw", folder / "customer360.duckdb", folder / "target"
    folder.mkdir(parents=True, exist_ok=True)
    generate_seconds = generate(raw, args.customers, args.start, args.end, args.generator_arg)
    if args.incremental_days:
        # the incremental measurement makes its own full build
        report = {"customers": args.customers, "start": args.start, "end": args.end,
                  "incremental": incremental_cost(args, folder, raw)}
        print(json.dumps(report, indent=2))
        return 0
    db.unlink(missing_ok=True)
    seconds, peak_gib = dbt_build(raw, db, target_path, args.select, [])
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    by_layer: dict[str, float] = {}
    for r in results:
        name = r["unique_id"].split(".")[-1]
        layer = name.split("_")[0] if r["unique_id"].startswith("model.") else r["unique_id"].split(".")[0]
        by_layer[layer] = round(by_layer.get(layer, 0.0) + r["execution_time"], 2)
    report = {
        "customers": args.customers,
        "generator_args": args.generator_arg,
        "generate_seconds": round(generate_seconds, 1),
        "dbt_build_seconds": round(seconds, 1),
        "peak_rss_gib": round(peak_gib, 2),
        "seconds_by_layer": by_layer,
        "identity_seconds": round(sum(r["execution_time"] for r in results
                                      if "identity" in r["unique_id"] and r["unique_id"].startswith("model.")), 1),
        "slowest_models": slowest_models(target_path, 8),
    }
    if args.identity_eval:
        from scripts.identity_eval import evaluate

        report["identity_scores"] = evaluate(db, raw / "_truth" / "identity.parquet")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
