"""CLI dispatcher: `python -m scripts <command> [options]`.

To add a command, write a module with `add_arguments(parser)` and `run(args) -> int` and register it in
COMMANDS below (name -> (module path, help)). A module may also define `check_args(args) -> str | None`
for checks that involve several options; a message it returns is reported as a usage error (exit 2).

Only the chosen command's module is imported, so `python -m scripts --help` and `<command> --help` stay fast.
Usage errors are one line on stderr and exit code 2, never a traceback."""

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
    "export": ("scripts.export", "write every table and view of the published BI file as Parquet (exports/bi)"),
    "report": ("scripts.report", "Markdown report of the warehouse: segments, lifecycle stages per month, churn, CLV"),
    "import-orders": ("scripts.import_orders", "turn a plain transaction log (CSV or Parquet) into a raw folder of web accounts and orders"),
    "identity-eval": ("scripts.identity_eval", "pairwise precision/recall of resolved identities vs the ground truth"),
    "export-audience": ("scripts.export_audience", "write one audience's members and their contacts to exports/ (CSV, Parquet)"),
}


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are a single stderr line (plus exit code 2), not the usage block."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _chosen_command(argv: list[str]) -> str | None:
    """The command name: the first argument not starting with '-' (the top level has no options with values)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The CLI parser. With argv, only the chosen command's module is imported and its options added;
    without, every command is fully set up (for tests and introspection)."""
    parser = OneLineErrorParser(prog="python -m scripts")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    chosen = _chosen_command(argv) if argv is not None else None
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        if argv is None or name == chosen:
            mod = importlib.import_module(module)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run, _check=getattr(mod, "check_args", None), _parser=p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    if args._check is not None:
        problem = args._check(args)
        if problem:
            args._parser.error(problem)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
