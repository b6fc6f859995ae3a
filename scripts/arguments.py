"""argparse types shared by the CLI commands: a bad value is one usage line, never a traceback."""
from __future__ import annotations

import argparse
from datetime import date


def int_at_least(minimum: int):
    """argparse type: an integer >= minimum."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
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
