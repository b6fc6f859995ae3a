"""argparse types and checks shared by the CLI commands: a bad value is one usage line that names the option
and what it accepts (exit 2), never a traceback."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path


def int_at_least(minimum: int):
    """argparse type: an integer >= minimum."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r} (must be an integer >= {minimum})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text}")
        return value
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def iso_date(text: str) -> str:
    """argparse type: a calendar date YYYY-MM-DD, returned in that form."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a valid date YYYY-MM-DD: {text!r}") from None


def iso_date_value(text: str) -> date:
    """argparse type: a calendar date YYYY-MM-DD, returned as a date."""
    return date.fromisoformat(iso_date(text))


def folder_name(text: str) -> str:
    """argparse type: a name used as (part of) one folder name: no path separator, not '.' or '..'."""
    if "/" in text or "\\" in text or text in (".", ".."):
        raise argparse.ArgumentTypeError(f"must be a plain name without '/', got {text!r}")
    return text


def missing_file(path: Path, option: str, what: str = "file") -> str | None:
    """For check_args: a one-line problem when path is not an existing file, else None."""
    if path.is_file():
        return None
    if path.exists():
        return f"{option} {path} is not a {what} (a folder?)"
    return f"{option} {path}: no such {what}"


def add_progress_argument(parser: argparse.ArgumentParser) -> None:
    """--progress / --no-progress: progress bars with counts and ETA on stderr. By default only on a terminal,
    so that CI logs and captured output stay clean."""
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bars (step, count, ETA) on stderr (default: only when stderr is a terminal)")
