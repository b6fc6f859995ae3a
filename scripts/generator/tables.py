"""Render the simulated truth into the raw tables of docs/raw_contract.md, applying the defects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import data as D
from .sim import CAMPAIGN_CHANNELS, CITY_LIST, DOMAINS, FIRST_NAMES, N_DOMAINS, email_strings
from .util import (DAY, DefectLog, S, dates, hash_uniform, ids, join, num_str, put, rng_for, sub, take, timestamps,
                   ts_styles, with_nulls)

V, F, I, B = pa.string(), pa.float64(), pa.int64(), pa.bool_()
SCHEMAS: dict[str, list[tuple[str, pa.DataType]]] = {
    "web/accounts": [("account_id", V), ("email", V), ("first_name", V), ("last_name", V), ("phone", V),
                     ("postal_code", V), ("country", V), ("created_at", V), ("updated_at", V)],
    "web/orders": [("order_id", V), ("account_id", V), ("ordered_at", V), ("order_type", V),
                   ("refunded_order_id", V), ("total_amount", F), ("currency", V)],
    "web/order_lines": [("order_line_id", V), ("order_id", V), ("product_id", V), ("quantity", I),
                        ("unit_price", F)],
    "store/loyalty_members": [("loyalty_card_id", V), ("email", V), ("first_name", V), ("last_name", V),
                              ("phone", V), ("postal_code", V), ("country", V), ("birth_date", V),
                              ("enrolled_at", V), ("updated_at", V)],
    "store/pos_transactions": [("transaction_id", V), ("store_id", V), ("loyalty_card_id", V),
                               ("transacted_at", V), ("transaction_type", V), ("total_amount", F)],
    "store/pos_transaction_lines": [("transaction_line_id", V), ("transaction_id", V), ("product_id", V),
                                    ("quantity", I), ("unit_price", F)],
    "app/app_users": [("app_user_id", V), ("web_account_id", V), ("email", V), ("first_name", V),
                      ("device_type", V), ("os_version", V), ("installed_at", V), ("updated_at", V)],
    "app/app_events": [("event_id", V), ("app_user_id", V), ("event_type", V), ("event_at", V), ("order_id", V),
                       ("amount", F), ("product_id", V)],
    "crm/contacts": [("contact_id", V), ("first_name", V), ("last_name", V), ("email", V), ("phone", V),
                     ("street_address", V), ("city", V), ("postal_code", V), ("country", V), ("birth_date", V),
                     ("gender", V), ("acquisition_source", V), ("acquisition_campaign_id", V), ("created_at", V),
                     ("updated_at", V), ("email_verified_at", V), ("email_bounced_at", V)],
    "support/tickets": [("ticket_id", V), ("requester_email", V), ("requester_phone", V), ("requester_name", V),
                        ("category", V), ("is_complaint", B), ("csat_score", I), ("opened_at", V),
                        ("resolved_at", V)],
    "marketing/campaigns": [("campaign_id", V), ("campaign_name", V), ("channel", V), ("start_date", V),
                            ("end_date", V), ("cost", F)],
    "marketing/campaign_members": [("campaign_member_id", V), ("campaign_id", V), ("contact_id", V),
                                   ("group_name", V), ("assigned_at", V)],
    "marketing/campaign_responses": [("response_id", V), ("campaign_member_id", V), ("response_type", V),
                                     ("responded_at", V)],
    "privacy/consent_changes": [("consent_change_id", V), ("contact_id", V), ("email", V), ("channel", V),
                                ("is_granted", B), ("changed_at", V)],
    "privacy/erasure_requests": [("erasure_request_id", V), ("contact_id", V), ("email", V),
                                 ("requested_at", V)],
    "catalog/products": [("product_id", V), ("product_name", V), ("category", V), ("list_price", F),
                         ("updated_at", V)],
}
CUSTOMER_TABLES = {"web/accounts": "web", "store/loyalty_members": "store", "app/app_users": "app",
                   "crm/contacts": "crm", "support/tickets": "support"}

# name typo variants: K per name, built once per list (loop over ~500 names, not rows)
K_VAR = 6


def _variants(names: list[str], seed: int) -> pa.Array:
    r = np.random.default_rng(seed)
    out = []
    for nm in names:
        for _ in range(K_VAR):
            if len(nm) < 3:
                out.append(nm + nm[-1])
                continue
            i = int(r.integers(1, len(nm) - 1))
            op = int(r.integers(0, 3))
            if op == 0 and nm[i] != nm[i + 1]:
                v = nm[:i] + nm[i + 1] + nm[i] + nm[i + 2:]
            elif op == 1:
                v = nm[:i] + nm[i + 1:]
            else:
                v = nm[:i] + nm[i] + nm[i:]
            out.append(v)
    return pa.array(out, pa.string())


FIRST_VAR = _variants(FIRST_NAMES, 11)
LAST_VAR = _variants(D.LAST_NAMES, 12)
_typo_lists = [[j for j, t in enumerate(DOMAINS) if D.EMAIL_DOMAIN_TYPOS.get(t) == d] for d in DOMAINS[:N_DOMAINS]]
TYPO_COUNT = np.array([len(x) for x in _typo_lists] + [0] * (len(DOMAINS) - N_DOMAINS))
TYPO_TAB = np.zeros((len(DOMAINS), max(TYPO_COUNT.max(), 1)), np.int64)
for _d, _l in enumerate(_typo_lists):
    TYPO_TAB[_d, :len(_l)] = _l
ALIAS_LISTS = [D.COUNTRY_ALIASES[c] for c in D.COUNTRIES]
ALIAS_FLAT = pa.array([a for x in ALIAS_LISTS for a in x], pa.string())
ALIAS_OFF = np.cumsum([0] + [len(x) for x in ALIAS_LISTS])[:-1]
ALIAS_N = np.array([len(x) for x in ALIAS_LISTS])
CC = pa.array([D.CALLING_CODES[c] for c in D.COUNTRIES], pa.string())
US = D.COUNTRIES.index("US")


class Ctx:
    """Per-table rendering context: random draws per unit, defect log."""

    def __init__(self, c, key: str, sel: np.ndarray, units: np.ndarray | None, n_units: int, log: DefectLog):
        self.c, self.key, self.sel, self.log = c, key, sel, log
        self.source, self.table = key.split("/")
        self.units = sel if units is None else units[sel]
        self.n_units = n_units
        self.rid: pa.Array | None = None
        self.rates = c.rates

    def u(self, *name) -> np.ndarray:
        return hash_uniform(self.c.seed, self.units, self.key, *name)

    def k(self, n: int, *name) -> np.ndarray:
        return (hash_uniform(self.c.seed, self.units, self.key, "k", *name) * n).astype(np.int64)

    def add(self, col, dtype, mask, clean, dirty):
        self.log.add(self.source, self.table, self.rid, col, dtype, mask, clean, dirty)

    # ------------------------------------------------------------------ column builders
    def case_noise(self, col: str, arr: pa.Array, exclude: np.ndarray) -> tuple[pa.Array, np.ndarray]:
        m = (self.u(col, "case") < self.rates["case_noise_rate"]) & ~exclude
        mode = self.k(4, col, "case")
        x = arr
        for j, fn in enumerate((pc.utf8_upper, pc.utf8_swapcase, lambda a: join(" ", a),
                                lambda a: join(pc.utf8_capitalize(a), "  "))):
            mm = m & (mode == j)
            if mm.any():
                x = put(x, mm, fn(sub(x, mm)))
        return x, m

    def email(self, col: str, pool: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
        clean, local, dom = email_strings(self.c, pool)
        ph = self.u(col, "ph") < self.rates["placeholder_rate"]
        ty = (self.u(col, "typo") < self.rates["email_typo_rate"]) & (TYPO_COUNT[dom] > 0) & ~ph
        nd = TYPO_TAB[dom, self.k(97, col, "typo") % np.maximum(TYPO_COUNT[dom], 1)]
        x = put(clean, ty, join(sub(local, ty), "@", take(DOMAINS, nd[ty])))
        x, cm = self.case_noise(col, x, ph)
        x = put(x, ph, take(D.PLACEHOLDER_EMAILS, self.k(len(D.PLACEHOLDER_EMAILS), col, "ph")[ph]))
        if null is not None:
            x, clean = with_nulls(x, null), with_nulls(clean, null)
            ph, ty, cm = ph & ~null, ty & ~null, cm & ~null
        self.add(col, "email_domain_typo", ty, clean, x)
        self.add(col, "case_noise", cm, clean, x)
        self.add(col, "placeholder", ph, clean, x)
        return x

    def name(self, col: str, idx: np.ndarray, first: bool, case: bool = True):
        names = FIRST_NAMES if first else D.LAST_NAMES
        clean = take(names, idx)
        ty = self.u(col, "typo") < self.rates["name_typo_rate"]
        var = (FIRST_VAR if first else LAST_VAR).take(pa.array(idx[ty] * K_VAR + self.k(K_VAR, col, "typo")[ty]))
        x = put(clean, ty, var)
        if case:
            ph = self.u(col, "ph") < self.rates["placeholder_rate"]
            x, cm = self.case_noise(col, x, ph)
            x = put(x, ph, take(D.PLACEHOLDER_NAMES, self.k(2, col, "ph")[ph]))
            self.add(col, "case_noise", cm, clean, x)
            self.add(col, "placeholder", ph, clean, x)
            ty &= ~ph
        if case:
            self.add(col, "name_typo", ty, clean, x)
        self.last_typo = ty
        return x, clean

    def phone(self, col: str, pool: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
        c = self.c
        ctry = c.ph_country[pool].astype(np.int64)
        nsn = num_str(c.ph_nsn[pool])
        cc = CC.take(pa.array(ctry))
        e164 = join("+", cc, nsn)
        us = ctry == US
        f = np.where(us, self.k(4, col, "fmt"), np.where(self.u(col, "fmt") < 0.4, 0, 1 + self.k(5, col, "fmt2")))
        x = e164
        sl = pc.utf8_slice_codeunits

        def fm(m, fn):
            nonlocal x
            if m.any():
                n_, c_ = sub(nsn, m), sub(cc, m)
                x = put(x, m, fn(n_, c_))
        fm(~us & (f == 1), lambda n, k: join("0", n))
        fm(~us & (f == 2), lambda n, k: join("+", k, " ", sl(n, 0, 1), " ", sl(n, 1, 5), " ", sl(n, 5)))
        fm(~us & (f == 3), lambda n, k: join("0", sl(n, 0, 1), "-", sl(n, 1)))
        fm(~us & (f == 4), lambda n, k: join("00", k, n))
        fm(~us & (f == 5), lambda n, k: join("(0", sl(n, 0, 1), ") ", sl(n, 1, 4), " ", sl(n, 4)))
        fm(us & (f == 1), lambda n, k: join("(", sl(n, 0, 3), ") ", sl(n, 3, 6), "-", sl(n, 6)))
        fm(us & (f == 2), lambda n, k: join(sl(n, 0, 3), "-", sl(n, 3, 6), "-", sl(n, 6)))
        fm(us & (f == 3), lambda n, k: join("+1 ", sl(n, 0, 3), " ", sl(n, 3, 6), " ", sl(n, 6)))
        ph = self.u(col, "ph") < self.rates["placeholder_rate"]
        x = put(x, ph, take(D.PLACEHOLDER_PHONES, self.k(len(D.PLACEHOLDER_PHONES), col, "ph")[ph]))
        fmt = (f > 0) & ~ph
        if null is not None:
            x, e164 = with_nulls(x, null), with_nulls(e164, null)
            fmt, ph = fmt & ~null, ph & ~null
        self.add(col, "phone_format", fmt, e164, x)
        self.add(col, "placeholder", ph, e164, x)
        return x

    def country(self, col: str, ctry: np.ndarray) -> pa.Array:
        clean = take(D.COUNTRIES, ctry)
        m = self.u(col, "noise") < self.rates["country_noise_rate"]
        j = ALIAS_OFF[ctry] + self.k(60, col, "noise") % ALIAS_N[ctry]
        x = put(clean, m, ALIAS_FLAT.take(pa.array(j[m])))
        self.add(col, "country_noise", m, clean, x)
        return x

    def postal(self, col: str, addr: np.ndarray) -> pa.Array:
        clean = self.c.ad_postal.take(pa.array(addr))
        m = self.u(col, "noise") < self.rates["country_noise_rate"]
        mode = self.k(4, col, "noise")
        x = clean
        for j, fn in enumerate((lambda a: pc.utf8_lower(pc.replace_substring(a, " ", "")),
                                lambda a: pc.replace_substring(a, " ", ""), pc.utf8_lower,
                                lambda a: join(" ", pc.replace_substring(a, " ", "  "), " "))):
            mm = m & (mode == j)
            if mm.any():
                x = put(x, mm, fn(sub(x, mm)))
        m &= pc.not_equal(x, clean).to_numpy(zero_copy_only=False)
        self.add(col, "postal_code_noise", m, clean, x)
        return x

    def birth(self, col: str, person: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
        clean = dates(self.c.birth_d[person])
        m = self.u(col, "bad") < self.rates["bad_birth_date_rate"]
        x = put(clean, m, take(D.BAD_BIRTH_DATES, self.k(4, col, "bad")[m]))
        if null is not None:
            x, clean, m = with_nulls(x, null), with_nulls(clean, null), m & ~null
        self.add(col, "bad_birth_date", m, clean, x)
        return x

    def ts(self, col: str, secs: np.ndarray, bad: bool = True, pos: bool = False,
           null: np.ndarray | None = None) -> pa.Array:
        secs = np.where(secs < 0, 0, secs)
        style = ts_styles(self.u(col, "style"), pos)
        x = timestamps(secs, style)
        if null is not None:
            x = with_nulls(x, null)
        if bad:
            m = self.u(col, "bad") < self.rates["bad_timestamp_rate"]
            if null is not None:
                m &= ~null
            if m.any():
                clean = timestamps(secs[m], np.zeros(int(m.sum()), np.int8))
                x = put(x, m, take(D.BAD_TIMESTAMPS, self.k(4, col, "bad")[m]))
                self.add(col, "unparseable_timestamp", m, clean, sub(x, m))
        return x

    def amount(self, col: str, amt: np.ndarray, is_sale: np.ndarray) -> np.ndarray:
        m = (self.u(col, "amt") < self.rates["amount_defect_rate"]) & is_sale
        neg = self.k(2, col, "amt") == 1
        x = np.where(m, np.where(neg, -np.abs(amt), 0.0), amt)
        self.add(col, "zero_amount", m & ~neg, num_str_f(amt), num_str_f(x))
        self.add(col, "negative_amount", m & neg, num_str_f(amt), num_str_f(x))
        return x


def num_str_f(x: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.round(x, 2)), pa.string())


@dataclass
class Rendered:
    table: pa.Table
    person: np.ndarray | None  # person index per row (customer-bearing tables)


@dataclass
class Spec:
    key: str
    n: Callable  # c -> full row count
    ts: Callable  # c -> event/change timestamp per full row (drives arrival)
    render: Callable  # (c, Ctx) -> dict column -> array, person
    units: Callable | None = None  # c -> (unit per row, n units) for record-level defects
    ts_col: str = "updated_at"


def _tbl(key: str, cols: dict) -> pa.Table:
    schema = pa.schema(SCHEMAS[key])
    return pa.table([pa.array(cols[f.name], f.type) if not isinstance(cols[f.name], (pa.Array, pa.ChunkedArray))
                     else cols[f.name].cast(f.type) for f in schema], schema=schema)


def _id_or_null(prefix: str, nums: np.ndarray, idx: np.ndarray, width: int) -> pa.Array:
    return with_nulls(ids(prefix, nums[np.maximum(idx, 0)], width), idx < 0)


# ------------------------------------------------------------------------------------------------- tables
def _versions(c, rec, extra_frac: float, p_change: float, key: str):
    """Version rows of an entity channel: creation, contact-change captures, occasional updates."""
    from .sim import lookup_last  # noqa: F401
    r = rng_for(c.seed, "versions", key)
    recs, times = [np.arange(rec.n)], [rec.created]
    if p_change > 0:
        import pandas as pd
        for kind in ("email", "phone", "address"):
            ch = c.chg[kind]
            df = pd.DataFrame({"person": ch.person, "t": ch.time}).merge(
                pd.DataFrame({"person": rec.person, "rec": np.arange(rec.n)}), on="person", sort=False)
            ri, t = df["rec"].to_numpy(), df["t"].to_numpy()
            ok = (t > rec.created[ri]) & (r.random(len(ri)) < p_change)
            recs.append(ri[ok])
            times.append(t[ok] + (r.random(int(ok.sum())) * 14 * DAY).astype(np.int64))
    upd = np.flatnonzero(r.random(rec.n) < extra_frac)
    recs.append(upd)
    times.append(rec.created[upd] + (r.random(len(upd)) * (c.T_end - rec.created[upd])).astype(np.int64))
    ri, t = np.concatenate(recs), np.concatenate(times)
    k = t <= c.T_end
    ri, t = ri[k], t[k]
    o = np.lexsort((t, ri))
    return ri[o], t[o]


def _cur(c, kind, person, t):
    from .sim import current
    return current(c, kind, person, t)


def web_accounts(c, x: Ctx):
    w = c.web
    ri, t = c._v["web"]
    ri, t = ri[x.sel], t[x.sel]
    p = w.person[ri]
    x.rid = ids("W", w.num[ri], 7)
    em = np.where(w.alt_email[ri] >= 0, w.alt_email[ri], _cur(c, "email", p, t))
    addr = _cur(c, "address", p, t)
    fn, _ = x.name("first_name", c.first[p], True)
    ln, _ = x.name("last_name", c.last[p], False)
    return {"account_id": x.rid, "email": x.email("email", em), "first_name": fn, "last_name": ln,
            "phone": x.phone("phone", _cur(c, "phone", p, t)), "postal_code": x.postal("postal_code", addr),
            "country": x.country("country", c.country[p]), "created_at": x.ts("created_at", w.created[ri]),
            "updated_at": x.ts("updated_at", t, bad=False)}, p


def loyalty_members(c, x: Ctx):
    m = c.loy
    ri, t = c._v["loy"]
    ri, t = ri[x.sel], t[x.sel]
    p = m.person[ri]
    x.rid = ids("L", m.num[ri], 9)
    addr = _cur(c, "address", p, t)
    fn, _ = x.name("first_name", c.first[p], True)
    ln, _ = x.name("last_name", c.last[p], False)
    return {"loyalty_card_id": x.rid, "email": x.email("email", _cur(c, "email", p, t)), "first_name": fn,
            "last_name": ln, "phone": x.phone("phone", _cur(c, "phone", p, t)),
            "postal_code": x.postal("postal_code", addr), "country": x.country("country", c.country[p]),
            "birth_date": x.birth("birth_date", p, null=~m.has_birth[ri]),
            "enrolled_at": x.ts("enrolled_at", m.created[ri]), "updated_at": x.ts("updated_at", t, bad=False)}, p


DEVICES = ["ios", "android", "tablet_ios", "tablet_android"]


def app_users(c, x: Ctx):
    a = c.app
    ri, t = c._v["app"]
    ri, t = ri[x.sel], t[x.sel]
    p = a.person[ri]
    x.rid = ids("U", a.num[ri], 8)
    dev = a.device[ri]
    ver = ((t - a.created[ri]) // (200 * DAY)).astype(np.int64)  # os upgrades over time
    ios = (dev == 0) | (dev == 2)
    major = np.where(ios, 16, 12) + ver + (a.num[ri] % 2)
    minor = (a.num[ri] // 7 + ver) % 6
    osv = join(num_str(major), ".", num_str(minor))
    fn, _ = x.name("first_name", c.first[p], True)
    return {"app_user_id": x.rid, "web_account_id": _id_or_null("W", c.web.num, a.web[ri], 7),
            "email": x.email("email", _cur(c, "email", p, t)), "first_name": fn,
            "device_type": take(DEVICES, dev), "os_version": osv, "installed_at": x.ts("installed_at", a.created[ri]),
            "updated_at": x.ts("updated_at", t, bad=False)}, p


SOURCES = ["web", "store", "app", "referral", "paid_social", "paid_search", "event"]
GENDER_TEXT = ["female", "Male", "man", "vrouw", "Frau", "m", "f"]


def crm_contacts(c, x: Ctx):
    v, cr = c.crmv, c.crm
    sel = x.sel
    con, t, p = v.contact[sel], v.time[sel], v.person[sel]
    x.rid = ids("C", cr.num[con], 8)
    fn, _ = x.name("first_name", c.first[p], True)
    ln, _ = x.name("last_name", c.last[p], False)
    addr = v.address[sel]
    g = take(["F", "M", "X"], c.gender[p])
    gu = x.u("gender", "style")
    g = put(g, gu < 0.08, take(GENDER_TEXT, x.k(len(GENDER_TEXT), "gender")[gu < 0.08]))
    g = with_nulls(g, (gu >= 0.08) & (gu < 0.18))
    ver, bnc = v.verified[sel], v.bounced[sel]
    return {"contact_id": x.rid, "first_name": fn, "last_name": ln, "email": x.email("email", v.email[sel]),
            "phone": x.phone("phone", v.phone[sel]), "street_address": c.ad_street.take(pa.array(addr)),
            "city": take([t_[1] for t_ in CITY_LIST], c.ad_city[addr]), "postal_code": x.postal("postal_code", addr),
            "country": x.country("country", c.country[p]), "birth_date": x.birth("birth_date", p), "gender": g,
            "acquisition_source": take(SOURCES, cr.source[con]),
            "acquisition_campaign_id": _id_or_null("CMP", np.arange(1, c.camp.n + 1), cr.campaign[con], 5),
            "created_at": x.ts("created_at", cr.created[con]), "updated_at": x.ts("updated_at", t, bad=False),
            "email_verified_at": x.ts("email_verified_at", ver, bad=False, null=ver < 0),
            "email_bounced_at": x.ts("email_bounced_at", bnc, bad=False, null=bnc < 0)}, p


TICKET_CATS = ["delivery", "payment", "product", "account", "returns", "other"]


def support_tickets(c, x: Ctx):
    tk = c.tk
    s = x.sel
    p, t = tk.person[s], tk.time[s]
    x.rid = ids("T", tk.num[s], 9)
    fn, fclean = x.name("requester_first", c.first[p], True, case=False)
    fty = x.last_typo
    ln, lclean = x.name("requester_last", c.last[p], False, case=False)
    fo = tk.first_only[s]
    nty = fty | (x.last_typo & ~fo)
    full = put(join(fn, " ", ln), fo, sub(fn, fo))
    clean = put(join(fclean, " ", lclean), fo, sub(fclean, fo))
    ph = x.u("requester_name", "ph") < x.rates["placeholder_rate"]
    full, cm = x.case_noise("requester_name", full, ph)
    full = put(full, ph, take(D.PLACEHOLDER_NAMES, x.k(2, "requester_name", "ph")[ph]))
    x.add("requester_name", "case_noise", cm, clean, full)
    x.add("requester_name", "placeholder", ph, clean, full)
    x.add("requester_name", "name_typo", nty & ~ph, clean, full)
    res = tk.resolved[s]
    return {"ticket_id": x.rid, "requester_email": x.email("requester_email", _cur(c, "email", p, t)),
            "requester_phone": x.phone("requester_phone", _cur(c, "phone", p, t), null=~tk.has_phone[s]),
            "requester_name": full, "category": take(TICKET_CATS, tk.cat[s]), "is_complaint": tk.complaint[s],
            "csat_score": pa.array(tk.csat[s], pa.int64(), mask=tk.csat[s] < 0),
            "opened_at": x.ts("opened_at", t), "resolved_at": x.ts("resolved_at", res, bad=False, null=res < 0)}, p


def _order_rows(c):
    """Full-row index for web orders / pos transactions: sales then refunds, sorted by time."""
    if hasattr(c, "_orows"):
        return c._orows
    o = c.orders
    out = {}
    for ch in (0, 1):
        sale = np.flatnonzero(o.chan == ch)
        ref = np.flatnonzero(o.chan[o.ref] == ch)
        t = np.r_[o.time[sale], o.ref_time[ref]]
        oi = np.r_[sale, o.ref[ref]]
        is_ref = np.r_[np.zeros(len(sale), bool), np.ones(len(ref), bool)]
        srt = np.argsort(t, kind="stable")
        # ids: sales numbered by order index, refunds after all orders
        num = np.r_[sale + 1, o.n + 1 + ref]
        out[ch] = dict(order=oi[srt], time=t[srt], is_ref=is_ref[srt], num=num[srt])
    c._orows = out
    return out


def web_orders(c, x: Ctx):
    r = {k: v[x.sel] for k, v in _order_rows(c)[0].items()}
    o = c.orders
    oi = r["order"]
    x.rid = ids("WO", r["num"], 9)
    amt = np.where(r["is_ref"], -o.amount[oi], o.amount[oi])
    return {"order_id": x.rid, "account_id": ids("W", c.web.num[o.acct[oi]], 7),
            "ordered_at": x.ts("ordered_at", r["time"]), "order_type": take(["sale", "refund"], r["is_ref"]),
            "refunded_order_id": with_nulls(ids("WO", oi + 1, 9), ~r["is_ref"]),
            "total_amount": x.amount("total_amount", amt, ~r["is_ref"]), "currency": pa.array(["EUR"] * len(oi))}, None


def pos_transactions(c, x: Ctx):
    r = {k: v[x.sel] for k, v in _order_rows(c)[1].items()}
    o = c.orders
    oi = r["order"]
    x.rid = ids("TX", r["num"], 10)
    amt = np.where(r["is_ref"], -o.amount[oi], o.amount[oi])
    return {"transaction_id": x.rid, "store_id": ids("S", o.store[oi] + 1, 3),
            "loyalty_card_id": _id_or_null("L", c.loy.num, o.card[oi], 9),
            "transacted_at": x.ts("transacted_at", r["time"], pos=True), "transaction_type": take(["sale", "refund"], r["is_ref"]),
            "total_amount": x.amount("total_amount", amt, ~r["is_ref"])}, None


def _line_rows(c, ch):
    key = f"_lrows{ch}"
    if hasattr(c, key):
        return getattr(c, key)
    o = c.orders
    rows = _order_rows(c)[ch]
    first_line = np.r_[0, np.cumsum(o.nl)[:-1]]
    nl = o.nl[rows["order"]]
    hdr = np.repeat(np.arange(len(rows["order"]), dtype=np.int32), nl)
    j = np.arange(len(hdr), dtype=np.int64) - np.repeat(np.cumsum(nl) - nl, nl)
    li = (first_line[rows["order"]][hdr] + j).astype(np.int64)
    del j
    res = dict(hdr=hdr, line=li, time=rows["time"][hdr], num=rows["num"][hdr], is_ref=rows["is_ref"][hdr],
               lnum=np.where(rows["is_ref"][hdr], len(o.prod) + li, li) + 1)
    setattr(c, key, res)
    return res


def order_lines(c, x: Ctx, ch=0):
    r = {k: v[x.sel] for k, v in _line_rows(c, ch).items()}
    o = c.orders
    li = r["line"]
    pre, w = ("WO", 9) if ch == 0 else ("TX", 10)
    x.rid = ids(pre + "L", r["lnum"], 10)
    idc, oid = ("order_line_id", "order_id") if ch == 0 else ("transaction_line_id", "transaction_id")
    return {idc: x.rid, oid: ids(pre, r["num"], w), "product_id": ids("PRD", o.prod[li] + 1, 5),
            "quantity": np.where(r["is_ref"], -o.qty[li], o.qty[li]).astype(np.int64), "unit_price": o.price[li]}, None


EVENT_TYPES = ["app_open", "product_view", "add_to_cart", "purchase"]


def app_events(c, x: Ctx):
    e, o = c.ev, c.orders
    s = x.sel
    x.rid = ids("E", e.num[s], 12)
    oi = e.order[s]
    purch = oi >= 0
    num = np.where(e.is_ref[s], o.n + 1 + oi, oi + 1)
    amt = np.where(e.is_ref[s], -o.amount[np.maximum(oi, 0)], o.amount[np.maximum(oi, 0)])
    amt = x.amount("amount", amt, purch & ~e.is_ref[s])
    pr = e.prod[s]
    return {"event_id": x.rid, "app_user_id": ids("U", c.app.num[e.user[s]], 8), "event_type": take(EVENT_TYPES, e.type[s]),
            "event_at": x.ts("event_at", e.time[s]), "order_id": with_nulls(ids("AO", num, 9), ~purch),
            "amount": pa.array(amt, pa.float64(), mask=~purch), "product_id": with_nulls(ids("PRD", pr + 1, 5), pr < 0)}, None


THEMES = ["Spring Sale", "Summer Deals", "Back to School", "Black Friday", "Holiday Gifts", "Loyalty Bonus",
          "New Arrivals", "Win-back"]


def campaigns(c, x: Ctx):
    cp, s = c.camp, x.sel
    x.rid = ids("CMP", s + 1, 5)
    ym = pc.utf8_slice_codeunits(dates(cp.start_d[s]), 0, 7)
    ch = take(CAMPAIGN_CHANNELS, cp.channel[s])
    return {"campaign_id": x.rid, "campaign_name": join(ym, " ", take(THEMES, cp.theme[s]), " (", ch, ")"),
            "channel": ch, "start_date": dates(cp.start_d[s]), "end_date": dates(cp.end_d[s]), "cost": cp.cost[s]}, None


def campaign_members(c, x: Ctx):
    m, s = c.mem, x.sel
    x.rid = ids("M", s + 1, 10)
    return {"campaign_member_id": x.rid, "campaign_id": ids("CMP", m.camp[s] + 1, 5),
            "contact_id": ids("C", c.crm.num[m.contact[s]], 8), "group_name": take(["target", "control"], m.control[s]),
            "assigned_at": x.ts("assigned_at", m.assigned[s])}, None


def campaign_responses(c, x: Ctx):
    r, s = c.resp, x.sel
    x.rid = ids("R", s + 1, 10)
    return {"response_id": x.rid, "campaign_member_id": ids("M", r.member[s] + 1, 10),
            "response_type": take(["open", "click", "convert"], r.kind[s]), "responded_at": x.ts("responded_at", r.time[s])}, None


CONSENT_CH = ["email", "sms", "push", "phone", "direct_mail"]


def consent_changes(c, x: Ctx):
    k, s = c.consent, x.sel
    x.rid = ids("CC", s + 1, 10)
    em, _, _ = email_strings(c, k.email[s])
    return {"consent_change_id": x.rid, "contact_id": ids("C", c.crm.num[k.contact[s]], 8), "email": em,
            "channel": take(CONSENT_CH, k.chan[s]), "is_granted": k.granted[s], "changed_at": x.ts("changed_at", k.time[s])}, None


def erasure_requests(c, x: Ctx):
    e, s = c.erasure, x.sel
    x.rid = ids("ER", s + 1, 7)
    em, _, _ = email_strings(c, e.email[s])
    return {"erasure_request_id": x.rid, "contact_id": _id_or_null("C", c.crm.num, e.contact[s], 8), "email": em,
            "requested_at": x.ts("requested_at", e.time[s])}, None


def products(c, x: Ctx):
    k, s = c.cat, x.sel
    pi = k.v_prod[s]
    x.rid = ids("PRD", pi + 1, 5)
    return {"product_id": x.rid, "product_name": take(k.names, pi), "category": take(D.PRODUCT_CATEGORIES, k.category[pi]),
            "list_price": k.v_price[s], "updated_at": x.ts("updated_at", k.v_time[s], bad=False)}, None


def prepare(c) -> None:
    c._v = {"web": _versions(c, c.web, 0.05, 0.6, "web"), "loy": _versions(c, c.loy, 0.2, 0.0, "loy"),
            "app": _versions(c, c.app, 0.2, 0.0, "app")}


def release(c, key: str) -> None:
    """Drop cached per-table arrays once a table is written (keeps peak memory down)."""
    if key == "web/order_lines":
        c.__dict__.pop("_lrows0", None)
    if key == "store/pos_transaction_lines":
        c.__dict__.pop("_lrows1", None)
        c.__dict__.pop("_orows", None)
        for a in ("line_order", "prod", "qty", "price"):
            setattr(c.orders, a, None)
    if key == "crm/contacts":
        c.crmv = None


SPECS: list[Spec] = [
    Spec("catalog/products", lambda c: len(c.cat.v_prod), lambda c: c.cat.v_time, products),
    Spec("marketing/campaigns", lambda c: c.camp.n, lambda c: c.camp.start_d * DAY - 7 * DAY, campaigns),
    Spec("crm/contacts", lambda c: c.crmv.n, lambda c: c.crmv.time, crm_contacts, lambda c: (c.crmv.contact, c.crm.n)),
    Spec("web/accounts", lambda c: len(c._v["web"][0]), lambda c: c._v["web"][1], web_accounts,
         lambda c: (c._v["web"][0], c.web.n)),
    Spec("store/loyalty_members", lambda c: len(c._v["loy"][0]), lambda c: c._v["loy"][1], loyalty_members,
         lambda c: (c._v["loy"][0], c.loy.n)),
    Spec("app/app_users", lambda c: len(c._v["app"][0]), lambda c: c._v["app"][1], app_users,
         lambda c: (c._v["app"][0], c.app.n)),
    Spec("support/tickets", lambda c: c.tk.n, lambda c: np.where(c.tk.resolved >= 0, c.tk.resolved, c.tk.time),
         support_tickets, ts_col="opened_at"),
    Spec("marketing/campaign_members", lambda c: c.mem.n, lambda c: c.mem.assigned, campaign_members, ts_col="assigned_at"),
    Spec("marketing/campaign_responses", lambda c: c.resp.n, lambda c: c.resp.time, campaign_responses,
         ts_col="responded_at"),
    Spec("privacy/consent_changes", lambda c: c.consent.n, lambda c: c.consent.time, consent_changes, ts_col="changed_at"),
    Spec("privacy/erasure_requests", lambda c: c.erasure.n, lambda c: c.erasure.time, erasure_requests,
         ts_col="requested_at"),
    Spec("web/orders", lambda c: len(_order_rows(c)[0]["time"]), lambda c: _order_rows(c)[0]["time"], web_orders,
         ts_col="ordered_at"),
    Spec("web/order_lines", lambda c: len(_line_rows(c, 0)["time"]), lambda c: _line_rows(c, 0)["time"],
         lambda c, x: order_lines(c, x, 0), ts_col="ordered_at"),
    Spec("store/pos_transactions", lambda c: len(_order_rows(c)[1]["time"]), lambda c: _order_rows(c)[1]["time"],
         pos_transactions, ts_col="transacted_at"),
    Spec("store/pos_transaction_lines", lambda c: len(_line_rows(c, 1)["time"]), lambda c: _line_rows(c, 1)["time"],
         lambda c, x: order_lines(c, x, 1), ts_col="transacted_at"),
    Spec("app/app_events", lambda c: c.ev.n, lambda c: c.ev.time, app_events, ts_col="event_at"),
]


def render(c, spec: Spec, sel: np.ndarray, log: DefectLog) -> Rendered:
    units, n_units = spec.units(c) if spec.units else (None, spec.n(c))
    x = Ctx(c, spec.key, sel, units, n_units, log)
    cols, person = spec.render(c, x)
    return Rendered(_tbl(spec.key, cols), person)
