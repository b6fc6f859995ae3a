"""`make build` in one process: lock, preflight, restore the last published state, dbt build, audit, publish.

Why one process: the lock is held from the first step to the last, and every step sees the same
raw root, build file, warehouse and salt.

- Lock: `<build file>.lock` (flock, released by the OS if the process dies). A second build on the
  same build file is refused with one line naming the first one's pid.
- Isolation: the build file is a scratch copy of the last published state (or empty on
  `--full-refresh` or the first build). Whatever a failed or killed build wrote to it is thrown away
  by the next build, and only an audited build file can be published.
- Raw root: passed to dbt as C360_RAW_ROOT, which the sources read before var('raw_root'), so dbt
  reads the folder preflight checked whatever --vars DBT_ARGS adds.
- Salt: C360_PII_SALT from the environment, else a random salt kept owner-only beside the state
  (`warehouse/.state/pii_salt`), so hashes stay comparable from build to build.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from scripts import publish as publishing

STEPS = ("preflight", "dbt", "audit", "publish")


class BuildError(Exception):
    """A step failed; its own output has said why."""


def pii_salt(warehouse: Path) -> str:
    if os.environ.get("C360_PII_SALT"):
        return os.environ["C360_PII_SALT"]
    state_dir = publishing.Publication.at(warehouse).state.parent
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    salt_file = state_dir / "pii_salt"
    if not salt_file.exists():
        descriptor = os.open(salt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        print(f"build: created a PII hashing salt in {salt_file} (set C360_PII_SALT to use your own)",
              file=sys.stderr)
    return salt_file.read_text().strip()


class Runner:
    """Runs each step as a child process and stops it with us when we are told to stop."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.child: subprocess.Popen | None = None

    def __call__(self, step: str, cmd: list[str]) -> None:
        print(f"build: {step}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
        self.child = subprocess.Popen(cmd, env=self.env)
        code = self.child.wait()
        self.child = None
        if code:
            raise BuildError(f"{step} failed (exit {code})")

    def stop(self, signum, _frame):
        if self.child and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.child.kill()
        raise SystemExit(128 + signum)


def restore_state(build_db: Path, warehouse: Path, full_refresh: bool) -> str:
    """Start the build file from the last published state, never from what a previous run left."""
    build_db.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (build_db, build_db.with_name(build_db.name + ".wal"), publishing.audit_mark(build_db)):
        leftover.unlink(missing_ok=True)
    state = publishing.Publication.at(warehouse).state
    if full_refresh or not state.is_file():
        return "empty (full refresh)" if full_refresh else "empty (nothing published yet)"
    shutil.copyfile(state, build_db)
    return f"the published state {state}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw-root", type=Path, default=Path("data/raw"), help="raw exports (default: %(default)s)")
    parser.add_argument("--build-db", type=Path, default=publishing.DEFAULT_BUILD,
                        help="scratch build file (default: %(default)s)")
    parser.add_argument("--warehouse", type=Path, default=publishing.DEFAULT_WAREHOUSE,
                        help="published BI file; restricted and state files go beside it (default: %(default)s)")
    parser.add_argument("--dbt-args", default=os.environ.get("DBT_ARGS", ""),
                        help="extra dbt arguments, e.g. '--full-refresh' (default: $DBT_ARGS)")
    parser.add_argument("--steps", default=",".join(STEPS),
                        help=f"comma-separated steps to run, of {', '.join(STEPS)} and docs (default: all but docs)")


def run(args: argparse.Namespace) -> int:
    steps = [step.strip() for step in args.steps.split(",") if step.strip()]
    unknown = sorted(set(steps) - set(STEPS) - {"docs"})
    if unknown:
        print(f"build: ERROR unknown step(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        dbt_args = shlex.split(args.dbt_args)
    except ValueError as exc:
        print(f"build: ERROR DBT_ARGS cannot be read ({exc}): {args.dbt_args}", file=sys.stderr)
        return 2
    raw_root = args.raw_root.resolve()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "C360_RAW_ROOT": str(raw_root), "C360_BUILD_DB": str(args.build_db),
           "C360_PII_SALT": pii_salt(args.warehouse)}
    runner = Runner(env)
    signal.signal(signal.SIGTERM, runner.stop)
    signal.signal(signal.SIGINT, runner.stop)
    python = [sys.executable, "-m", "scripts"]
    started = time.monotonic()
    try:
        with publishing.exclusive(args.build_db.with_name(args.build_db.name + ".lock"), f"build of {args.build_db}"):
            if "publish" in steps:  # fail before the long build, not after it
                for path, _ in publishing.Publication.at(args.warehouse).files():
                    publishing.assert_not_open_read_write(path)
            if "preflight" in steps:
                runner("preflight", [*python, "preflight", "--raw-root", str(raw_root)])
            if "dbt" in steps:
                origin = restore_state(args.build_db, args.warehouse, "--full-refresh" in dbt_args)
                print(f"build: the build file {args.build_db} starts from {origin}", file=sys.stderr)
                runner("dbt", [str(bin_dir / "dbt"), "build", "--target", "dev", *dbt_args])
            if "audit" in steps:
                runner("audit", [*python, "audit", "--db", str(args.build_db), "--previous-db", str(args.warehouse),
                                 "--docs-dir", str(args.build_db.parent / "data_docs")])
                publishing.mark_audited(args.build_db)
            if "publish" in steps:
                result = publishing.publish(args.build_db, args.warehouse)
                for path, _ in result["publication"].files():
                    print(f"publish: {path} ({result['counts'][path]} relations, "
                          f"{path.stat().st_size / 2**20:.1f} MiB)", file=sys.stderr)
                print(f"publish: {result['seconds']:.1f} s", file=sys.stderr)
                for path in result["scrubbed"]:
                    print(f"publish: removed erased customers from {path}", file=sys.stderr)
            if "docs" in steps:
                runner("docs", [str(bin_dir / "dbt"), "docs", "generate", "--target", "dev", *dbt_args])
    except (BuildError, publishing.PublishError) as exc:
        print(f"build: FAILED: {exc}; nothing was published, {args.warehouse} is unchanged", file=sys.stderr)
        return 2
    print(f"build: done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0
