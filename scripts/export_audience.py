"""Write the members of one audience, with the contact for its channel, for a campaign tool.

    python -m scripts export-audience NAME [--warehouse warehouse/customer360.duckdb] [--out exports/]

Reads the published restricted file beside the warehouse (read-only) and writes `<out>/NAME.csv` and
`<out>/NAME.parquet`: the audience's members who are not held out (holdouts are never sent, so the
campaign's lift can be measured against them), with their first name and the contact the channel
needs. The files hold clear personal data: they are owner-only (0600), written to a private temporary
folder and renamed into place, so a reader never sees half a file and nobody else ever sees one.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from scripts.publish import DEFAULT_WAREHOUSE, Publication

# The contact columns of restricted.customer_contacts each channel needs; push goes to the app by
# customer id, so it needs none.
CHANNEL_COLUMNS: dict[str, list[str]] = {
    "email": ["email"],
    "sms": ["phone"],
    "phone": ["phone"],
    "push": [],
    "direct_mail": ["last_name", "street_address", "postal_code", "city", "country_code"],
}


class ExportError(Exception):
    """A reason not to export, said in one line."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("audience", metavar="NAME", help="audience_name of seeds/audiences.csv")
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE,
                        help="the published BI file; the restricted file beside it is read (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("exports"), help="folder to write to (default: %(default)s)")


def open_restricted(warehouse: Path) -> duckdb.DuckDBPyConnection:
    restricted = Publication.at(warehouse).restricted
    if not restricted.is_file():
        raise ExportError(f"no restricted file at {restricted}: run `make build` first (or pass --warehouse)")
    try:
        return duckdb.connect(str(restricted), read_only=True)
    except duckdb.Error as exc:
        raise ExportError(f"{restricted} cannot be opened: {str(exc).splitlines()[0]}") from None


def audience_channel(con: duckdb.DuckDBPyConnection, audience: str) -> str:
    try:
        audiences = dict(con.execute(
            "select audience_name, channel from restricted.audience_definitions order by audience_name").fetchall())
    except duckdb.CatalogException:
        raise ExportError("the restricted file holds no audiences (restricted.audience_definitions): "
                          "run `make build` to publish them") from None
    if audience not in audiences:
        known = ", ".join(audiences) or "none"
        raise ExportError(f"unknown audience {audience!r}; known audiences: {known}")
    channel = audiences[audience]
    if channel not in CHANNEL_COLUMNS:
        raise ExportError(f"audience {audience!r} has channel {channel!r}, which this export does not know")
    return channel


def export(warehouse: Path, audience: str, out: Path) -> dict:
    """Write the audience's files; returns the paths and counts."""
    con = open_restricted(warehouse)
    try:
        channel = audience_channel(con, audience)
        contact_columns = ", ".join(f"contacts.{column}" for column in ["first_name", *CHANNEL_COLUMNS[channel]])
        con.execute(
            f"""
            create temp table audience_export as
            select members.audience_name, members.customer_id, members.channel, {contact_columns}
            from restricted.audience_members as members
            inner join restricted.customer_contacts as contacts on members.customer_id = contacts.customer_id
            where members.audience_name = ? and not members.is_holdout
            order by members.customer_id
            """, [audience])
        members = con.execute("select count(*) from audience_export").fetchone()[0]
        holdouts = con.execute(
            "select count(*) from restricted.audience_members where audience_name = ? and is_holdout",
            [audience]).fetchone()[0]
        try:
            out.mkdir(parents=True, exist_ok=True)
            scratch = Path(tempfile.mkdtemp(prefix=f".{audience}.", dir=out))  # mode 0700
        except OSError as exc:
            raise ExportError(f"cannot write to {out}: {exc.strerror}") from None
        try:
            written = []
            for suffix, options in ((".csv", "format csv, header true"), (".parquet", "format parquet")):
                scratch_file = scratch / f"{audience}{suffix}"
                quoted = str(scratch_file).replace("'", "''")
                con.execute(f"copy audience_export to '{quoted}' ({options})")
                os.chmod(scratch_file, 0o600)
                os.replace(scratch_file, out / scratch_file.name)
                written.append(out / scratch_file.name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        con.close()
    return {"channel": channel, "members": members, "holdouts": holdouts, "files": written}


def run(args: argparse.Namespace) -> int:
    try:
        result = export(args.warehouse, args.audience, args.out)
    except ExportError as exc:
        print(f"export-audience: ERROR {exc}", file=sys.stderr)
        return 2
    files = " and ".join(str(path) for path in result["files"])
    print(f"export-audience: {result['members']} members of {args.audience} ({result['channel']}; "
          f"{result['holdouts']} holdouts not exported) written to {files} (owner-only)", file=sys.stderr)
    return 0
