"""`python -m scripts generate`: deterministic synthetic raw data for customer360 (docs/raw_contract.md).

History load: everything that arrived <= --end, in monthly partitions (load_date = min(month end, end)).
`--append-days N`: re-simulates the stored parameters and writes daily partitions for arrivals in
(old end, old end + N]. Ground truth in <out>/_truth/{identity,defects}.parquet."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from scripts import progress
from scripts.arguments import add_progress_argument, iso_date, non_negative_int, positive_int
from scripts.generator import data as _data

# numpy, pyarrow and the simulation are imported where used: `generate --help` must not load them (about 1 s)
EMAIL_DOMAIN_TYPOS: dict[str, str] = _data.EMAIL_DOMAIN_TYPOS
RATE_DEFAULTS: dict[str, float] = {
    "late_rate": 0.03, "decay_rate": 0.025, "email_typo_rate": 0.02, "case_noise_rate": 0.10,
    "name_typo_rate": 0.03, "placeholder_rate": 0.005, "bad_birth_date_rate": 0.01, "country_noise_rate": 0.15,
    "duplicate_rate": 0.01, "amount_defect_rate": 0.003, "bad_timestamp_rate": 0.002,
}
SIM_HORIZON_DAYS = 730
META = "_generator.json"


def rate(text: str) -> float:
    """argparse type: a probability in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a rate between 0 and 1, got {text}")
    return value


def fault(text: str) -> str:
    """argparse type: one --fault spec (see _parse_faults)."""
    try:
        _parse_faults([text])
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--customers", type=positive_int, default=20000, help="people to simulate, >= 1 (default: %(default)s)")
    p.add_argument("--start", type=iso_date, default="2023-01-01", metavar="YYYY-MM-DD",
                   help="first day of the history (default: %(default)s)")
    p.add_argument("--end", type=iso_date, default="2025-12-31", metavar="YYYY-MM-DD",
                   help="last day of the history, not before --start (default: %(default)s)")
    p.add_argument("--seed", type=non_negative_int, default=7, help="random seed, >= 0 (default: %(default)s)")
    p.add_argument("--out", default="data/raw", help="output folder (default: %(default)s)")
    p.add_argument("--append-days", type=positive_int, default=None, metavar="N",
                   help="append N >= 1 daily loads after the stored end of --out, with the parameters stored in its "
                        "_generator.json (default: none, generate a new history)")
    p.add_argument("--force", action="store_true", help="delete an existing output folder and regenerate")
    p.add_argument("--fault", type=fault, action="append", default=[],
                   help="inject a fault into the last load, repeatable: duplicate-load | empty-load | "
                        "drop-column=<src>/<table>/<col> | corrupt-file=<src>/<table> (default: none)")
    add_progress_argument(p)
    for k, v in RATE_DEFAULTS.items():
        p.add_argument("--" + k.replace("_", "-"), type=rate, default=None, metavar="RATE",
                       help=f"rate between 0 and 1 (default: {v})")


def check_args(args: argparse.Namespace) -> str | None:
    """Checks across options, reported as usage errors by the CLI."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file, not a folder"
    if args.append_days is not None:
        if not (out / META).is_file():
            return f"--append-days needs generated data in --out: no {out / META}"
        from scripts.generator.util import day_of

        try:
            params = json.loads((out / META).read_text())
            horizon = day_of(params["sim_end"]) - day_of(params["end"])
        except (ValueError, KeyError, TypeError) as e:
            return f"--append-days: {out / META} is not a generator parameter file ({type(e).__name__}: {e})"
        if args.append_days > horizon:
            return (f"--append-days must be between 1 and {horizon}: the data in {out} is simulated up to "
                    f"{params['sim_end']}, got {args.append_days}")
        return None
    if args.end < args.start:  # ISO dates compare as strings
        return f"--end {args.end} is before --start {args.start}"
    if (out / META).exists() and not args.force:
        return f"--out {out} already holds generated data; add --force to replace it or --append-days N to extend it"
    return None


def _parse_faults(faults: list[str]) -> dict:
    out = {"duplicate-load": False, "empty-load": False, "drop-column": [], "corrupt-file": []}
    for f in faults:
        name, _, val = f.partition("=")
        if name in ("duplicate-load", "empty-load") and not val:
            out[name] = True
        elif name == "drop-column" and val.count("/") == 2:
            out[name].append(val)
        elif name == "corrupt-file" and val.count("/") == 1:
            out[name].append(val)
        else:
            raise ValueError(f"unknown fault {f!r}: expected duplicate-load, empty-load, "
                             "drop-column=<src>/<table>/<col> or corrupt-file=<src>/<table>")
    return out


def _write_parquet(tbl: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(tbl, path, compression="snappy")


CHUNK_ROWS = 1_000_000


def _write_partitions(out: Path, key: str, render_rows, arrival: np.ndarray, dup: np.ndarray, mode: str,
                      lo: int, hi: int, faults: dict, bar=None) -> tuple[int, int, np.ndarray]:
    """Write full rows with lo < arrival <= hi, one file per load_date, rendering at most ~CHUNK_ROWS rows
    at a time. render_rows(sorted row indices) -> pa.Table. Returns (rows, files, rendered row indices).
    bar (progress.bar): its total grows by the rows to write, and it advances chunk by chunk."""
    import numpy as np
    import pyarrow as pa

    from scripts.generator.util import date_str, month_end_day

    bar = progress.bar(False, key) if bar is None else bar
    rows = np.flatnonzero((arrival > lo) & (arrival <= hi))
    if len(rows) == 0:
        return 0, 0, rows
    keys = arrival[rows] if mode == "append" else np.minimum(month_end_day(arrival[rows]), hi)
    uk = np.unique(keys)
    d = dup[rows]
    nxt = uk[np.minimum(np.searchsorted(uk, keys[d == 2], side="right"), len(uk) - 1)]
    all_rows = np.r_[rows, rows[d == 1], rows[d == 2]]
    all_keys = np.r_[keys, keys[d == 1], nxt]
    o = np.lexsort((all_rows, all_keys))
    all_rows, all_keys = all_rows[o], all_keys[o]
    bounds = np.r_[0, np.flatnonzero(np.diff(all_keys)) + 1, len(all_keys)]
    bar.total += len(all_rows)
    files, last, i = 0, len(bounds) - 2, 0
    while i <= last:  # group consecutive partitions into render chunks
        j = i + 1
        while j <= last and bounds[j + 1] - bounds[i] <= CHUNK_ROWS:
            j += 1
        grp = all_rows[bounds[i]:bounds[j]]
        uniq = np.unique(grp)
        t = render_rows(uniq).take(pa.array(np.searchsorted(uniq, grp)))
        for pi in range(i, j):
            part = t.slice(bounds[pi] - bounds[i], bounds[pi + 1] - bounds[pi])
            folder = out / key / f"load_date={date_str(int(all_keys[bounds[pi]]))}"
            if pi == last:
                if faults["empty-load"]:
                    part = part.schema.empty_table()
                for dc in faults["drop-column"]:
                    tk, col = dc.rsplit("/", 1)
                    if tk == key and col in part.column_names:
                        part = part.drop_columns([col])
            _write_parquet(part, folder / "part-0.parquet")
            files += 1
            if pi == last:
                if faults["duplicate-load"]:
                    _write_parquet(part, folder / "part-1.parquet")
                    files += 1
                if key in faults["corrupt-file"]:
                    f = folder / "part-0.parquet"
                    data = f.read_bytes()
                    f.write_bytes(data[: len(data) // 2])
        del t
        bar.update(len(grp))
        i = j
    return len(all_rows), files, rows


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from scripts.generator.sim import campaign_effects, log, simulate
    from scripts.generator.tables import CUSTOMER_TABLES, SPECS, prepare, release, render
    from scripts.generator.util import DAY, DefectLog, date_str, dates, day_of, ids, rng_for

    t0 = time.time()
    out = Path(args.out)
    meta_path = out / META
    faults = _parse_faults(args.fault)
    if args.append_days is not None:
        if not meta_path.exists():
            raise SystemExit(f"generate: --append-days needs an existing {meta_path}")
        params = json.loads(meta_path.read_text())
        old_end = day_of(params["end"])
        new_end = old_end + args.append_days
        if new_end > day_of(params["sim_end"]):
            raise SystemExit(f"generate: new end {date_str(new_end)} is beyond the simulated horizon {params['sim_end']}")
        mode, lo, hi = "append", old_end, new_end
    else:
        if meta_path.exists():
            if not args.force:
                raise SystemExit(f"generate: {out} already holds generated data; use --force or --append-days")
            shutil.rmtree(out)
        if day_of(args.end) < day_of(args.start):  # also checked by check_args for the CLI
            raise SystemExit("generate: --end before --start")
        rates = {k: (getattr(args, k) if getattr(args, k) is not None else v) for k, v in RATE_DEFAULTS.items()}
        params = {"seed": args.seed, "customers": args.customers, "start": args.start, "end": args.end,
                  "sim_end": date_str(day_of(args.end) + SIM_HORIZON_DAYS), "history_end": args.end,
                  "rates": rates, "appends": []}
        mode, lo, hi = "history", -(10**9), day_of(args.end)
    out.mkdir(parents=True, exist_ok=True)
    log(f"{mode}: customers={params['customers']:,} seed={params['seed']} window=({date_str(lo) if mode == 'append' else '...'}, {date_str(hi)}]")
    c = simulate({**params, "_limit": (hi + 1) * DAY - 1})  # limit only skips unneeded app-event years
    prepare(c)
    start_d = c.start_d
    dlog = DefectLog()
    ident: list[pa.Table] = []
    stats = {}
    show = progress.enabled(getattr(args, "progress", None))
    for number, spec in enumerate(SPECS, 1):
        bar = progress.bar(show, f"[generate {number}/{len(SPECS)}] {spec.key}", total=0)
        ts = np.asarray(spec.ts(c), np.int64)
        n = len(ts)
        r = rng_for(c.seed, spec.key, "arrival")
        u = r.random(n)
        late_p = params["rates"]["late_rate"]
        tail = rng_for(c.seed, spec.key, "arrival-tail").integers(2, 15, n)
        lag = np.where(u < 1 - 0.17 - late_p, 0, np.where(u < 1 - late_p, 1, tail))
        ev_day = ts // DAY
        arrival = np.maximum(ev_day + lag, start_d)
        du = rng_for(c.seed, spec.key, "dup").random(n)
        dup = np.where(du < params["rates"]["duplicate_rate"], np.where(du < params["rates"]["duplicate_rate"] / 2, 1, 2), 0)
        src, tname = spec.key.split("/")

        def render_rows(sel, spec=spec, src=src, tname=tname, lag=lag, ev_day=ev_day, arrival=arrival, dup=dup):
            rend = render(c, spec, sel, dlog)
            tbl = rend.table
            rid = tbl.column(0).combine_chunks()
            late = (lag[sel] >= 2) & (ev_day[sel] + lag[sel] >= start_d)
            dlog.add(src, tname, rid, spec.ts_col, "late_arrival", late, dates(ev_day[sel]), dates(arrival[sel]))
            dlog.add(src, tname, rid, tbl.column_names[0], "duplicate_delivery", dup[sel] > 0, None,
                     dates(arrival[sel]))
            if spec.key in CUSTOMER_TABLES:
                ident.append(pa.table({"source_name": pa.array([CUSTOMER_TABLES[spec.key]] * len(sel), pa.string()),
                                       "source_record_id": rid, "person_id": ids("P", rend.person + 1, 7)}))
            return tbl

        # rows written by earlier calls (arrived by lo) are rendered again only for the ground truth: counted in
        # the bar's total before the writing starts, so that its ETA covers the whole table from the outset
        bar.total += int(np.count_nonzero(arrival <= lo))
        rows, files, done = _write_partitions(out, spec.key, render_rows, arrival, dup, mode, lo, hi, faults, bar)
        rest = np.flatnonzero(arrival <= hi)
        rest = rest[~np.isin(rest, done)]
        for k0 in range(0, len(rest), CHUNK_ROWS):
            render_rows(rest[k0:k0 + CHUNK_ROWS])
            bar.update(len(rest[k0:k0 + CHUNK_ROWS]))
        bar.close()
        stats[spec.key] = {"rows": rows, "files": files}
        del ts, u, tail, lag, ev_day, arrival, du, dup, rest, done, render_rows
        release(c, spec.key)
        log(f"{spec.key}: {rows:,} rows in {files} files ({time.time() - t0:.0f}s)")
    # ground truth (everything written so far)
    tdir = out / "_truth"
    tdir.mkdir(exist_ok=True)
    idt = pa.concat_tables(ident)
    idt = idt.group_by(["source_name", "source_record_id", "person_id"], use_threads=False).aggregate([])
    idt = idt.take(pc.sort_indices(idt, [("source_name", "ascending"), ("source_record_id", "ascending")]))
    pq.write_table(idt, tdir / "identity.parquet")
    dt = dlog.table()
    cols = dt.column_names
    dt = dt.group_by(cols, use_threads=False).aggregate([]).select(cols) if dt.num_rows else dt
    dt = dt.take(pc.sort_indices(dt, [(k, "ascending") for k in cols[:5]] + [("dirty_value", "ascending")]))
    pq.write_table(dt, tdir / "defects.parquet")
    pq.write_table(campaign_effects(c, hi), tdir / "campaign_effects.parquet")
    if mode == "append":
        params["appends"].append({"from": date_str(lo + 1), "to": date_str(hi)})
    params["end"] = date_str(hi)
    meta_path.write_text(json.dumps(params, indent=2, sort_keys=True) + "\n")
    log(f"done: {sum(s['rows'] for s in stats.values()):,} rows, {sum(s['files'] for s in stats.values())} files, "
        f"{idt.num_rows:,} identity rows, {dt.num_rows:,} defect rows in {time.time() - t0:.1f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="generate")
    add_arguments(p)
    args = p.parse_args(argv)
    problem = check_args(args)
    if problem:
        p.error(problem)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
