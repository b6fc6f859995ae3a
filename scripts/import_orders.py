"""Turn a plain transaction log (CSV or Parquet, one row per order) into a raw folder of the contract.

The most common start is an export of orders with a customer, a date and an amount. This writes the web
accounts and web orders tables of docs/raw_contract.md from it, so that `make build RAW_ROOT=<out>` works
with no hand mapping:

- orders go to one load per order month (load_date = the month's last day, or the newest order date for
  the last month): a later import of a longer log then leaves the loads of closed months as they were,
  so an incremental build recomputes only what changed, and staging judges each order's time against a
  plausible export date;
- one account per customer, with one version per e-mail it used (when --email is given), created at its
  first order;
- an order without --order gets an id derived from its values (customer, date, amount, e-mail and the
  rank among identical rows), so a rerun on the same log gives the same ids;
- amounts are written as given, in --currency; a refund is a negative amount.

Everything is one DuckDB query per table (no per-row Python), written to a temporary folder beside --out
and renamed into place, so --out holds the old import or the new one, never half of one.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

import duckdb

READERS = {".csv": "read_csv", ".tsv": "read_csv", ".parquet": "read_parquet"}
TEMPORAL_TYPES = ("VARCHAR", "DATE", "TIMESTAMP")
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL",
                 "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
# The day-first formats staging also reads (macros/standardise/parse_timestamp.sql), and a bare day-first date.
DAY_FIRST = "['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y']"


class ImportFailed(Exception):
    """A problem with the input or the output folder, reported as one line (exit 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="transaction log: .csv (header row), .tsv or .parquet")
    parser.add_argument("--customer", required=True, help="column with the customer id")
    parser.add_argument("--date", required=True, help="column with the order date or timestamp")
    parser.add_argument("--amount", required=True, help="column with the order amount (negative for a refund)")
    parser.add_argument("--order", help="column with the order id (default: an id derived from the row's values)")
    parser.add_argument("--email", help="column with the customer's e-mail (default: none, orders without e-mail)")
    parser.add_argument("--currency", default="EUR", help="ISO 4217 code of the amounts (default EUR)")
    parser.add_argument("--out", type=Path, required=True, help="raw folder to write (must be empty or absent)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty --out")


def check_args(args: argparse.Namespace) -> str | None:
    if not re.fullmatch(r"[A-Za-z]{3}", args.currency):
        return f"--currency must be a three-letter ISO 4217 code, got {args.currency!r}"
    args.currency = args.currency.upper()
    return None


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_log(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """Register the log as view `log`; returns its columns and DuckDB types."""
    if not path.is_file():
        raise ImportFailed(f"input file {path} does not exist")
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-2] if suffixes[-1:] == [".gz"] and len(suffixes) > 1 else (suffixes[-1] if suffixes else "")
    reader = READERS.get(suffix)
    if reader is None:
        raise ImportFailed(f"input file {path} is neither CSV nor Parquet (extension {suffix or 'none'};"
                           " expected .csv, .csv.gz, .tsv or .parquet)")
    # CSV values are kept as text: the amounts are checked below and dates are parsed like staging does
    options = ", header = true, all_varchar = true" if reader == "read_csv" else ""
    try:
        con.execute(f"create view log as select * from {reader}({literal(str(path))}{options})")
        described = con.execute("describe log").fetchall()
        con.execute("select count(*) from log").fetchone()
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ImportFailed(f"input file {path} cannot be read as {suffix.lstrip('.').upper()} ({first_line})") from None
    return {name: type_ for name, type_, *_ in described}


def check_columns(columns: dict[str, str], args: argparse.Namespace) -> None:
    """Every named column exists with a usable type."""
    named = {"--customer": args.customer, "--date": args.date, "--amount": args.amount,
             "--order": args.order, "--email": args.email}
    for option, column in named.items():
        if column is not None and column not in columns:
            raise ImportFailed(f"column {column!r} ({option}) is not in {args.file}; its columns are:"
                               f" {', '.join(columns)}")
    if not columns[args.date].startswith(TEMPORAL_TYPES):
        raise ImportFailed(f"column {args.date!r} (--date) of {args.file} has type {columns[args.date]};"
                           " expected text, a date or a timestamp")
    if columns[args.amount] != "VARCHAR" and not columns[args.amount].startswith(NUMERIC_TYPES):
        raise ImportFailed(f"column {args.amount!r} (--amount) of {args.file} has type {columns[args.amount]};"
                           " expected a number")


def amount_expression(column: str, type_: str) -> str:
    if type_ == "VARCHAR":
        return f"try_cast(nullif(trim({quote(column)}), '') as double)"
    if type_.startswith("DECIMAL") or type_ in ("FLOAT", "DOUBLE"):
        return quote(column)
    return f"cast({quote(column)} as double)"


def prepare(con: duckdb.DuckDBPyConnection, columns: dict[str, str], args: argparse.Namespace) -> None:
    """Table `orders`: the contract's web/orders columns plus the parsed time and the load date."""
    text_date = f"cast({quote(args.date)} as varchar)"
    email = f"nullif(trim(cast({quote(args.email)} as varchar)), '')" if args.email else "cast(null as varchar)"
    order = f"nullif(trim(cast({quote(args.order)} as varchar)), '')" if args.order else None
    amount_text = f"nullif(trim(cast({quote(args.amount)} as varchar)), '')"
    parsed = (f"coalesce(cast(timezone('UTC', try_cast({text_date} as timestamptz)) as timestamp),"
              f" try_strptime({text_date}, {DAY_FIRST}))")
    # a native timestamp or date is written as it is; text that parses is written in ISO form in UTC (staging
    # does not read a bare day-first date), and text that does not is kept verbatim for the quarantine
    ordered_at = quote(args.date) if columns[args.date] != "VARCHAR" else \
        f"coalesce(strftime({parsed}, '%Y-%m-%d %H:%M:%S.%f'), {quote(args.date)})"
    con.execute(f"""
        create temp table typed as
        select
            nullif(trim(cast({quote(args.customer)} as varchar)), '') as account_id,
            {ordered_at} as ordered_at,
            {parsed} as ordered_ts,
            {amount_expression(args.amount, columns[args.amount])} as total_amount,
            {amount_text} as amount_text,
            {email} as email,
            {order or 'cast(null as varchar)'} as given_order_id
        from log
    """)
    bad = con.execute("select count(*), any_value(amount_text) from typed"
                      " where total_amount is null and amount_text is not null").fetchone()
    if bad[0]:
        raise ImportFailed(f"column {args.amount!r} (--amount) of {args.file} has {bad[0]:,} values that are not"
                           f" numbers (e.g. {bad[1]!r}); write amounts with a decimal point and no thousands separator")
    newest = con.execute("select max(ordered_ts)::date from typed").fetchone()[0]
    if newest is None:
        example = con.execute("select any_value(cast(ordered_at as varchar)) from typed").fetchone()[0]
        raise ImportFailed(f"column {args.date!r} (--date) of {args.file} has no date staging can read"
                           f" (e.g. {example!r}); use YYYY-MM-DD[ HH:MM:SS], ISO-8601 or DD/MM/YYYY[ HH:MM[:SS]]")
    # an id from the row's values and its rank among identical rows: identical rows are interchangeable,
    # so any order of them gives the same set of ids on every run
    derived_id = ("'IO' || upper(substr(md5(concat_ws('|', coalesce(account_id, ''), coalesce(cast(ordered_at as varchar), ''),"
                  " coalesce(cast(total_amount as varchar), ''), coalesce(email, ''),"
                  " cast(row_number() over (partition by account_id, ordered_at, total_amount, email) as varchar))), 1, 16))")
    con.execute(f"""
        create temp table orders as
        select
            {'given_order_id' if order else derived_id} as order_id,
            account_id,
            ordered_at,
            case when total_amount < 0 then 'refund' else 'sale' end as order_type,
            cast(null as varchar) as refunded_order_id,
            total_amount,
            {literal(args.currency)} as currency,
            ordered_ts,
            email,
            -- an unreadable date goes to the newest load (staging quarantines it as unparseable_timestamp);
            -- no load is dated after today, which preflight would reject: later orders are quarantined instead
            least(coalesce(last_day(ordered_ts), date '{newest}'), date '{newest}', current_date) as load_date
        from typed
    """)


def write_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """web/orders and web/accounts under folder, one load_date=YYYY-MM-DD/ partition per load."""
    (folder / "web").mkdir(parents=True)
    con.execute(f"""
        copy (
            select order_id, account_id, ordered_at, order_type, refunded_order_id, total_amount, currency, load_date
            from orders
        ) to {literal(str(folder / 'web' / 'orders'))} (format parquet, partition_by (load_date))
    """)
    # one version per e-mail a customer used, from the first order with it; created at the first order
    con.execute(f"""
        copy (
            with versions as (
                select
                    account_id,
                    email,
                    min(ordered_ts) as updated_at,
                    min(load_date) as load_date
                from orders
                where account_id is not null
                group by account_id, email
                -- an order without an e-mail is no version of its own when the customer has one
                qualify email is not null or count(email) over (partition by account_id) = 0
            )
            select
                account_id,
                email,
                min(updated_at) over (partition by account_id) as created_at,
                updated_at,
                load_date
            from versions
        ) to {literal(str(folder / 'web' / 'accounts'))} (format parquet, partition_by (load_date))
    """)


def check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ImportFailed(f"--out {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ImportFailed(f"--out {out} is not empty; choose another folder or add --force to replace it")


def replace_folder(tmp: Path, out: Path) -> None:
    """Put tmp in place of out with renames only, so a reader never sees half an import."""
    old = out.parent / f".{out.name}.replaced-{os.getpid()}"
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    tmp = out.parent / f".{out.name}.import-{os.getpid()}"
    try:
        check_out(out, args.force)
        out.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        con.execute("set TimeZone = 'UTC'")
        columns = open_log(con, args.file)
        check_columns(columns, args)
        prepare(con, columns, args)
        tmp.mkdir()
        write_tables(con, tmp)
        replace_folder(tmp, out)
    except ImportFailed as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"import-orders: ERROR {exc}", file=sys.stderr)
        return 2
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    n_orders, n_customers, n_loads, first, last, no_customer, no_date = con.execute("""
        select count(*), count(distinct account_id), count(distinct load_date), min(load_date), max(load_date),
               count(*) filter (where account_id is null), count(*) filter (where ordered_ts is null)
        from orders
    """).fetchone()
    print(f"import-orders: {n_orders:,} orders of {n_customers:,} customers in {n_loads} loads ({first} .. {last})"
          f" written to {out}; next: make build RAW_ROOT={out}", file=sys.stderr)
    if no_customer:
        print(f"import-orders: NOTE {no_customer:,} orders have no customer: they are kept as orders without one",
              file=sys.stderr)
    if no_date:
        print(f"import-orders: NOTE {no_date:,} orders have a date staging cannot read: they will be quarantined"
              " as unparseable_timestamp", file=sys.stderr)
    return 0
