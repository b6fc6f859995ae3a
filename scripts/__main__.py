"""CLI dispatcher: `python -m scripts <command> [options]`.

To add a command, write a module with `add_arguments(parser)` and `run(args) -> int` and register it in
COMMANDS below (name -> (module path, help))."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("scripts.generate", "generate synthetic raw data (parquet) for the customer360 project"),
    "preflight": ("scripts.preflight", "check raw exports against the contract before dbt reads them"),
    "build": ("scripts.build", "make build in one locked process: preflight, restore state, dbt build, audit, publish"),
    "publish": ("scripts.publish", "publish an audited build file as the warehouse BI reads"),
    "audit": ("scripts.audit", "run the Great Expectations audit of a build before it is published"),
    "bench": ("scripts.bench", "benchmark a dbt build at a given scale (time, memory, slowest models)"),
    "report": ("scripts.report", "Markdown report of the warehouse: segments, lifecycle stages per month, churn, CLV"),
    "identity-eval": ("scripts.identity_eval", "pairwise precision/recall of resolved identities vs the ground truth"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (module, help_) in COMMANDS.items():
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_, description=help_)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
