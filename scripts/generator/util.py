"""Vectorised helpers: deterministic RNG streams, pyarrow string building, timestamps, defect log."""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86400
EPOCH_DATE = np.datetime64("1970-01-01", "D")


def rng_for(seed: int, *names: object) -> np.random.Generator:
    """Independent, stable random stream for (seed, name...)."""
    key = zlib.crc32("/".join(str(n) for n in names).encode())
    return np.random.default_rng([int(seed), key])


def hash_uniform(seed: int, units: np.ndarray, *names: object) -> np.ndarray:
    """Counter-based uniform [0, 1) per unit (splitmix64 of unit + salt): the draw of a row depends only on
    (seed, names, unit), never on how many rows are rendered together."""
    salt = np.uint64((zlib.crc32("/".join(str(n) for n in names).encode()) << 20) ^ (int(seed) * 0x9E3779B1 % (1 << 40)))
    z = np.asarray(units).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + salt
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def day_of(date_str: str) -> int:
    return int((np.datetime64(date_str, "D") - EPOCH_DATE).astype(np.int64))


def date_str(day: int) -> str:
    return str(EPOCH_DATE + np.timedelta64(int(day), "D"))


def month_end_day(days: np.ndarray) -> np.ndarray:
    d = (EPOCH_DATE + days.astype("timedelta64[D]")).astype("datetime64[M]")
    return ((d + 1).astype("datetime64[D]") - EPOCH_DATE).astype(np.int64) - 1


def S(x) -> pa.Array:
    """To a pyarrow string array."""
    if isinstance(x, pa.ChunkedArray):
        x = x.combine_chunks()
    if isinstance(x, pa.Array):
        return x if x.type == pa.string() else pc.cast(x, pa.string())
    return pa.array(x, pa.string())


def join(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays / python str scalars (nulls propagate)."""
    return pc.binary_join_element_wise(*[p if isinstance(p, str) else S(p) for p in parts], "")


def take(values, idx: np.ndarray) -> pa.Array:
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64)))


def ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    return join(prefix, pc.utf8_lpad(pc.cast(pa.array(np.asarray(nums, np.int64)), pa.string()), width, "0"))


def num_str(nums: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(nums, np.int64)), pa.string())


def put(arr: pa.Array, mask: np.ndarray, values) -> pa.Array:
    """Replace arr[mask] by values (array of len mask.sum(), or a scalar)."""
    k = int(mask.sum())
    if k == 0:
        return arr
    if not isinstance(values, pa.Array):
        values = pa.array([values] * k if not isinstance(values, (list, np.ndarray)) else list(values), arr.type)
    return pc.replace_with_mask(arr, pa.array(mask), values.cast(arr.type))


def sub(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    return arr.filter(pa.array(mask))


def with_nulls(arr: pa.Array, null_mask: np.ndarray) -> pa.Array:
    if not null_mask.any():
        return arr
    return pc.if_else(pa.array(null_mask), pa.scalar(None, arr.type), arr)


def zipf_p(n: int, a: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** a
    return w / w.sum()


def lookup_last(key_person, key_time, tab_person, tab_time) -> np.ndarray:
    """Index of the last table row with the same person and time <= key_time (-1 if none).
    tab_* must be sorted by (person, time)."""
    span = np.int64(1) << np.int64(34)
    off = np.int64(2_000_000_000)  # times are unix seconds, shift to >= 0
    tk = tab_person.astype(np.int64) * span + (tab_time.astype(np.int64) + off)
    kk = np.asarray(key_person, np.int64) * span + (np.asarray(key_time, np.int64) + off)
    i = np.searchsorted(tk, kk, side="right") - 1
    ok = i >= 0
    ok[ok] = tab_person[i[ok]] == np.asarray(key_person)[ok]
    return np.where(ok, i, -1)


# ----------------------------------------------------------------------------- timestamps
_LUT: dict[str, pa.Array] = {}


def _time_lut() -> tuple[pa.Array, pa.Array]:
    if "hms" not in _LUT:
        s = np.arange(DAY)
        hh, mm, ss = s // 3600, (s // 60) % 60, s % 60
        two = np.char.zfill(np.arange(60).astype(str), 2)
        _LUT["hms"] = pa.array(np.char.add(np.char.add(np.char.add(np.char.add(two[hh], ":"), two[mm]), ":"), two[ss]))
        _LUT["hm"] = pa.array(np.char.add(np.char.add(two[hh], ":"), two[mm]))
    return _LUT["hms"], _LUT["hm"]


def dates(days: np.ndarray, style: str = "iso") -> pa.Array:
    """'YYYY-MM-DD' (iso) or 'DD/MM/YYYY' (dmy) strings for day numbers, via a small lookup table."""
    days = np.asarray(days, np.int64)
    if len(days) == 0:
        return pa.array([], pa.string())
    lo, hi = int(days.min()), int(days.max())
    rng = EPOCH_DATE + np.arange(lo, hi + 1).astype("timedelta64[D]")
    iso = np.datetime_as_string(rng)
    if style == "dmy":
        iso = np.char.add(np.char.add(np.char.add(np.char.add(np.char.ljust(np.char.rjust(iso, 10), 10).astype("U10").view("U1").reshape(-1, 10)[:, 8:10].copy().view("U2").ravel(), "/"), np.char.ljust(iso, 10).astype("U10").view("U1").reshape(-1, 10)[:, 5:7].copy().view("U2").ravel()), "/"), np.char.ljust(iso, 10).astype("U10").view("U1").reshape(-1, 10)[:, 0:4].copy().view("U4").ravel())
    return pa.array(iso).take(pa.array(days - lo))


def cet_offset(secs: np.ndarray) -> np.ndarray:
    """Central European offset in seconds (3600 / 7200 in summer time, EU rule)."""
    secs = np.asarray(secs, np.int64)
    years = (EPOCH_DATE + (secs // DAY).astype("timedelta64[D]")).astype("datetime64[Y]").astype(np.int64) + 1970
    out = np.full(len(secs), 3600, np.int64)
    for y in np.unique(years):
        mar31 = np.datetime64(f"{y}-03-31")
        oct31 = np.datetime64(f"{y}-10-31")
        # last sunday: weekday of 1970-01-01 is Thursday (3 with Mon=0)
        def last_sun(d):
            wd = (int((d - EPOCH_DATE).astype(np.int64)) + 3) % 7
            return int((d - EPOCH_DATE).astype(np.int64)) - ((wd - 6) % 7)
        a = last_sun(mar31) * DAY + 3600
        b = last_sun(oct31) * DAY + 3600
        m = (years == y) & (secs >= a) & (secs < b)
        out[m] = 7200
    return out


def timestamps(secs: np.ndarray, style: np.ndarray) -> pa.Array:
    """Format unix seconds. style: 0 'YYYY-MM-DD HH:MM:SS', 1 'YYYY-MM-DDTHH:MM:SSZ',
    2 'DD/MM/YYYY HH:MM', 3 local CET 'YYYY-MM-DDTHH:MM:SS+01:00'."""
    secs = np.asarray(secs, np.int64)
    hms, hm = _time_lut()
    out = join(dates(secs // DAY), " ", hms.take(pa.array(secs % DAY)))
    m = style == 1
    if m.any():
        s = secs[m]
        out = put(out, m, join(dates(s // DAY), "T", hms.take(pa.array(s % DAY)), "Z"))
    m = style == 2
    if m.any():
        s = secs[m]
        out = put(out, m, join(dates(s // DAY, "dmy"), " ", hm.take(pa.array(s % DAY))))
    m = style == 3
    if m.any():
        off = cet_offset(secs[m])
        s = secs[m] + off
        suffix = take(["+01:00", "+02:00"], (off == 7200).astype(np.int64))
        out = put(out, m, join(dates(s // DAY), "T", hms.take(pa.array(s % DAY)), suffix))
    return out


def ts_styles(u: np.ndarray, pos: bool = False) -> np.ndarray:
    p = [0.25, 0.05, 0.05, 0.65] if pos else [0.80, 0.12, 0.08, 0.0]
    return np.minimum(np.searchsorted(np.cumsum(p), u, side="right"), 3).astype(np.int8)


# ----------------------------------------------------------------------------- defects
DEFECT_SCHEMA = pa.schema([
    ("source_name", pa.string()), ("table_name", pa.string()), ("source_record_id", pa.string()),
    ("column_name", pa.string()), ("defect_type", pa.string()), ("clean_value", pa.string()),
    ("dirty_value", pa.string()),
])


class DefectLog:
    def __init__(self) -> None:
        self.parts: list[pa.Table] = []

    def add(self, source: str, table: str, rid: pa.Array, column: str, dtype: str, mask: np.ndarray,
            clean, dirty) -> None:
        """clean/dirty: arrays aligned with rid (filtered by mask here) or None."""
        mask = np.asarray(mask, bool)
        k = int(mask.sum())
        if k == 0:
            return
        pm = pa.array(mask)

        def f(v):
            if v is None:
                return pa.nulls(k, pa.string())
            v = S(v)
            return v.filter(pm) if len(v) == len(mask) else v

        self.parts.append(pa.table([
            pa.array([source] * k, pa.string()), pa.array([table] * k, pa.string()), S(rid).filter(pm),
            pa.array([column] * k, pa.string()), pa.array([dtype] * k, pa.string()), f(clean), f(dirty),
        ], schema=DEFECT_SCHEMA))

    def table(self) -> pa.Table:
        if not self.parts:
            return DEFECT_SCHEMA.empty_table()
        return pa.concat_tables(self.parts)
