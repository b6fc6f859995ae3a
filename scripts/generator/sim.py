"""The latent truth: persons, contact histories, channel records, purchases, marketing, privacy.

Everything here is numeric (numpy) and a pure function of the parameters; strings are built later,
only for the rows that are written (see tables.py)."""

from __future__ import annotations

import resource
import sys
import unicodedata
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa

from . import data as D
from .util import DAY, day_of, ids, join, lookup_last, rng_for, take, zipf_p

FIRST_NAMES = D.FEMALE_FIRST_NAMES + D.MALE_FIRST_NAMES
N_FEMALE = len(D.FEMALE_FIRST_NAMES)
DOMAINS = list(D.EMAIL_DOMAINS) + list(D.EMAIL_DOMAIN_TYPOS)
N_DOMAINS = len(D.EMAIL_DOMAINS)
CITY_LIST = [(ci, name, lo, hi) for ci, (name, lo, hi) in
             [(ci, t) for ci, c in enumerate(D.COUNTRIES) for t in D.CITIES[c]]]
MOBILE = {"NL": (6, 8), "BE": (4, 8), "DE": (17, 9), "FR": (6, 8), "GB": (7, 9), "US": (0, 10)}
LANDLINE = {"NL": (20, 7), "BE": (2, 7), "DE": (30, 8), "FR": (1, 8), "GB": (20, 8), "US": (0, 10)}
CH_EMAIL, CH_SMS, CH_PUSH, CH_DM = 0, 1, 2, 3
CAMPAIGN_CHANNELS = ["email", "sms", "push", "direct_mail"]


def log(msg: str) -> None:
    print(f"[generate] {msg} [maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB]", file=sys.stderr, flush=True)


def ascii_slug(name: str) -> str:
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in s if ch.isalnum())


def _phone_numbers(country: np.ndarray, seq: np.ndarray, land: bool, seed: int) -> np.ndarray:
    """Unique national significant numbers (int64) per (country, seq) via an affine bijection."""
    out = np.zeros(len(country), np.int64)
    table = LANDLINE if land else MOBILE
    for ci, c in enumerate(D.COUNTRIES):
        m = country == ci
        if not m.any():
            continue
        prefix, k = table[c]
        mod = np.int64(10) ** k
        r = rng_for(seed, "phone-bij", c, land)
        a = np.int64(r.integers(10**5, 10**6) * 10 + 3)  # odd, not a multiple of 5 -> bijection mod 10^k
        b = np.int64(r.integers(0, mod))
        v = (a * seq[m].astype(np.int64) + b) % mod
        if c == "US":
            area = 201 + (v // 10**7) % 789
            v = area * 10**7 + v % 10**7
            v = np.where((v // 10**6) % 10 < 2, v + 2 * 10**6, v)
        else:
            v = prefix * mod + v
        out[m] = v
    return out


def _addresses(rng, country: np.ndarray):
    n = len(country)
    city = np.zeros(n, np.int64)
    postal = np.empty(n, object)
    street = np.empty(n, object)
    letters = np.array([a + b for a in "ABCDEFGHJKLMNPRSTVWXZ" for b in "ABCDEFGHJKLMNPRSTVWXZ"])
    for ci, c in enumerate(D.COUNTRIES):
        m = np.flatnonzero(country == ci)
        if len(m) == 0:
            continue
        cities = [i for i, t in enumerate(CITY_LIST) if t[0] == ci]
        cw = zipf_p(len(cities), 1.0)
        cidx = np.array(cities)[rng.choice(len(cities), size=len(m), p=cw)]
        city[m] = cidx
        lo = np.array([CITY_LIST[i][2] for i in cidx])
        hi = np.array([CITY_LIST[i][3] for i in cidx])
        num = lo + (rng.random(len(m)) * (hi - lo + 1)).astype(np.int64)
        if c == "NL":
            pc_ = np.char.add(np.char.add(num.astype(str), " "), letters[rng.integers(0, len(letters), len(m))])
        elif c == "BE":
            pc_ = num.astype(str)
        elif c == "GB":
            # choose an outward code per row among the city's list (vectorised per city)
            pc_ = np.empty(len(m), object)
            for i in np.unique(cidx):
                mm = cidx == i
                opts = np.array(D.GB_OUTWARD[CITY_LIST[i][1]])
                pc_[mm] = opts[rng.integers(0, len(opts), mm.sum())]
            pc_ = np.char.add(np.char.add(np.char.add(pc_.astype(str), " "), rng.integers(1, 10, len(m)).astype(str)),
                              letters[rng.integers(0, len(letters), len(m))])
        else:
            pc_ = np.char.zfill(num.astype(str), 5)
        postal[m] = pc_
        streets = np.array(D.STREETS[c])
        st = streets[rng.integers(0, len(streets), len(m))]
        hn = (1 + rng.geometric(0.03, len(m))).astype(str)
        if c in D.STREET_NUMBER_FIRST:
            street[m] = np.char.add(np.char.add(hn, " "), st)
        else:
            street[m] = np.char.add(np.char.add(st, " "), hn)
    return city, pa.array(postal, pa.string()), pa.array(street, pa.string())


def simulate(p: dict) -> SimpleNamespace:
    seed, N = int(p["seed"]), int(p["customers"])
    rates = p["rates"]
    start_d, end_d, sim_end_d = day_of(p["start"]), day_of(p["end"]), day_of(p["sim_end"])
    T_start, T_end = start_d * DAY, (sim_end_d + 1) * DAY - 1
    c = SimpleNamespace(p=p, seed=seed, N=N, start_d=start_d, end_d=end_d, sim_end_d=sim_end_d,
                        T_start=T_start, T_end=T_end, rates=rates, limit=int(p.get("_limit", T_end)))

    # ------------------------------------------------------------------ persons
    r = rng_for(seed, "persons")
    gender = r.choice(3, size=N, p=[0.49, 0.49, 0.02])
    fem = r.choice(N_FEMALE, size=N, p=zipf_p(N_FEMALE, 0.9))
    mal = N_FEMALE + r.choice(len(D.MALE_FIRST_NAMES), size=N, p=zipf_p(len(D.MALE_FIRST_NAMES), 0.9))
    first = np.where((gender == 0) | ((gender == 2) & (r.random(N) < 0.5)), fem, mal)
    last = r.choice(len(D.LAST_NAMES), size=N, p=zipf_p(len(D.LAST_NAMES), 0.8))
    age_days = ((18 + 67 * r.beta(1.6, 2.2, N)) * 365.25).astype(np.int64)
    birth_d = start_d - age_days
    country = r.choice(len(D.COUNTRIES), size=N, p=D.COUNTRY_WEIGHTS)
    T0 = (start_d - 730) * DAY
    span = T_end - T0
    g = np.log(3.0) / span
    acq = T0 + (np.log1p(r.random(N) * np.expm1(g * span)) / g).astype(np.int64)
    lam = r.gamma(1.1, 1.0 / 1.1, N)  # latent purchase propensity, mean 1

    # households: pairs of persons with the same last name share address + landline phone
    order = np.lexsort((r.random(N), last))
    ls = last[order]
    pos = np.arange(N)
    grp_start = np.r_[0, np.flatnonzero(ls[1:] != ls[:-1]) + 1]
    rank = pos - np.repeat(grp_start, np.diff(np.r_[grp_start, N]))
    head_pos = np.flatnonzero((rank % 2 == 0) & (pos + 1 < N))
    head_pos = head_pos[ls[np.minimum(head_pos + 1, N - 1)] == ls[head_pos]]
    pick = r.random(len(head_pos)) < 0.015 * N / max(len(head_pos), 1)
    heads, partners = order[head_pos[pick]], order[head_pos[pick] + 1]
    country[partners] = country[heads]
    c.family = np.r_[heads, partners]
    log(f"persons: {N:,} ({len(heads):,} households sharing a phone)")

    # ------------------------------------------------------------------ contact value pools
    scale = rates["decay_rate"] / 0.025
    chg = {}
    for kind, rate in (("email", 0.010), ("phone", 0.008), ("address", 0.007)):
        rk = rng_for(seed, "changes", kind)
        months = (T_end - acq) / (30.44 * DAY)
        cnt = rk.poisson(rate * scale * months)
        pers = np.repeat(np.arange(N), cnt)
        t = np.repeat(acq, cnt) + (rk.random(len(pers)) * np.repeat(T_end - acq, cnt)).astype(np.int64)
        o = np.lexsort((t, pers))
        chg[kind] = SimpleNamespace(person=pers[o], time=t[o], n=len(pers))
    # e-mail pool: [0, N) initial, then changes, then alternative e-mails of second web accounts
    fs = np.array([ascii_slug(x) for x in FIRST_NAMES])
    lsl = np.array([ascii_slug(x) for x in LAST_NAMES_()])
    re_ = rng_for(seed, "emails")
    style = re_.choice(3, size=N, p=[0.6, 0.25, 0.15])
    fsn, lsn = fs[first], lsl[last]
    base = np.where(style == 0, np.char.add(np.char.add(fsn, "."), lsn),
                    np.where(style == 1, np.char.add(np.char.add(np.char.array(fsn).astype("U1"), "."), lsn),
                             np.char.add(np.char.add(fsn, "."), np.char.array(lsn).astype("U1"))))
    dw = np.array(list(D.EMAIL_DOMAINS.values()))
    dom0 = re_.choice(N_DOMAINS, size=N, p=dw / dw.sum())
    cum = pd.DataFrame({"b": base, "d": dom0}).groupby(["b", "d"], sort=False).cumcount().to_numpy()
    local0 = np.where(cum > 0, np.char.add(base, cum.astype(str)), base)
    ec = chg["email"]
    n_alt = 0  # filled after web accounts
    loc_chg = np.char.add(np.char.add(np.char.add(fs[first[ec.person]], "_"), lsl[last[ec.person]]),
                          (np.arange(ec.n) + 1).astype(str))
    dom_chg = re_.choice(N_DOMAINS, size=ec.n, p=dw / dw.sum())
    c.email_local = [pa.array(local0, pa.string()), pa.array(loc_chg, pa.string())]
    c.email_dom = [dom0, dom_chg]
    ec.pool = N + np.arange(ec.n)
    # phone pool: [0, N) initial mobiles, then household landlines, then changes
    rp = rng_for(seed, "phones")
    nh = len(heads)
    pc_ = chg["phone"]
    ph_country = np.r_[country, country[heads], country[pc_.person]]
    ph_nsn = np.r_[_phone_numbers(country, np.arange(N), False, seed),
                   _phone_numbers(country[heads], np.arange(nh), True, seed),
                   _phone_numbers(country[pc_.person], N + np.arange(pc_.n), False, seed)]
    c.ph_country, c.ph_nsn = ph_country.astype(np.int8), ph_nsn
    phone0 = np.arange(N)
    phone0[heads] = N + np.arange(nh)
    phone0[partners] = N + np.arange(nh)
    pc_.pool = N + nh + np.arange(pc_.n)
    del rp
    # address pool: [0, N) initial, then changes (same country)
    ra = rng_for(seed, "addresses")
    ac = chg["address"]
    city_a, postal_a, street_a = _addresses(ra, np.r_[country, country[ac.person]])
    c.ad_city, c.ad_postal, c.ad_street = city_a, postal_a, street_a
    addr0 = np.arange(N)
    addr0[partners] = heads
    ac.pool = N + np.arange(ac.n)
    c.initial = {"email": np.arange(N), "phone": phone0, "address": addr0}
    c.chg = chg
    c.first, c.last, c.gender, c.birth_d, c.country, c.acq, c.lam = first, last, gender, birth_d, country, acq, lam
    c.fs, c.lsl = fs, lsl
    log(f"contact changes: email {ec.n:,}, phone {pc_.n:,}, address {ac.n:,}")
    for step in (_channels, _campaigns, _crm, _members, _purchases, _app_events, _tickets, _privacy, _catalog):
        step(c)
    return c


def LAST_NAMES_():
    return D.LAST_NAMES


def current(c, kind: str, person: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Pool index of the person's true `kind` value at time t."""
    ch = c.chg[kind]
    i = lookup_last(person, t, ch.person, ch.time)
    return np.where(i >= 0, ch.pool[np.maximum(i, 0)], c.initial[kind][person])


def email_strings(c, pool: np.ndarray, dom: np.ndarray | None = None):
    """Clean e-mail strings for pool indices (optionally with replaced domain indices)."""
    local = pa.concat_arrays(c.email_local).take(pa.array(pool))
    if dom is None:
        dom = np.concatenate(c.email_dom)[pool]
    return join(local, "@", take(DOMAINS, dom)), local, np.concatenate(c.email_dom)[pool]


def _bij_ids(n: int, k: int, seed: int, name: str) -> np.ndarray:
    """n distinct pseudo-random k-digit numbers (affine bijection of 0..n-1 mod 10^k)."""
    r = rng_for(seed, "ids", name)
    mod = np.int64(10) ** k
    a = np.int64(r.integers(10**4, 10**5) * 10 + 7)
    b = np.int64(r.integers(0, mod))
    return (a * np.arange(n, dtype=np.int64) + b) % mod


def _after(r, base: np.ndarray, mean_days: float) -> np.ndarray:
    return base + (r.exponential(mean_days, len(base)) * DAY).astype(np.int64) + r.integers(0, 3600, len(base))


def _channels(c) -> None:
    r = rng_for(c.seed, "channels")
    N, acq, T_end = c.N, c.acq, c.T_end
    # crm contacts: one per person
    cp = np.flatnonzero(r.random(N) < 0.85)
    cc = _after(r, acq[cp], 3)
    k = cc <= T_end
    c.crm = SimpleNamespace(person=cp[k], created=cc[k], n=int(k.sum()))
    c.crm.num = _bij_ids(c.crm.n, 8, c.seed, "crm")
    c.crm_of = np.full(N, -1)
    c.crm_of[c.crm.person] = np.arange(c.crm.n)
    # web accounts (1 % of web persons have a second account with another e-mail)
    wp = np.flatnonzero(r.random(N) < 0.60)
    wc = _after(r, acq[wp], 10)
    two = r.random(len(wp)) < 0.01
    wp2 = wp[two]
    wc2 = wc[two] + (r.uniform(30, 700, len(wp2)) * DAY).astype(np.int64)
    person = np.r_[wp, wp2]
    created = np.r_[wc, wc2]
    second = np.r_[np.zeros(len(wp), bool), np.ones(len(wp2), bool)]
    k = created <= T_end
    c.web = SimpleNamespace(person=person[k], created=created[k], second=second[k], n=int(k.sum()))
    c.web.num = _bij_ids(c.web.n, 7, c.seed, "web")
    # alternative e-mails of second accounts -> appended to the e-mail pool
    sp = c.web.person[c.web.second]
    n_pool = N + c.chg["email"].n
    alt_local = np.char.add(np.char.add(np.char.add(c.fs[c.first[sp]], c.lsl[c.last[sp]]), "."),
                            (np.arange(len(sp)) + 1).astype(str))
    dw = np.array(list(D.EMAIL_DOMAINS.values()))
    c.email_local.append(pa.array(alt_local, pa.string()))
    c.email_dom.append(r.choice(N_DOMAINS, size=len(sp), p=dw / dw.sum()))
    c.web.alt_email = np.full(c.web.n, -1)
    c.web.alt_email[c.web.second] = n_pool + np.arange(len(sp))
    c.web1 = np.full(N, -1)
    c.web2 = np.full(N, -1)
    c.web1[c.web.person[~c.web.second]] = np.flatnonzero(~c.web.second)
    c.web2[c.web.person[c.web.second]] = np.flatnonzero(c.web.second)
    # loyalty cards (2 % have a second card)
    lp = np.flatnonzero(r.random(N) < 0.45)
    lc = _after(r, acq[lp], 20)
    two = r.random(len(lp)) < 0.02
    lp2 = lp[two]
    lc2 = lc[two] + (r.uniform(60, 900, len(lp2)) * DAY).astype(np.int64)
    person, created = np.r_[lp, lp2], np.r_[lc, lc2]
    second = np.r_[np.zeros(len(lp), bool), np.ones(len(lp2), bool)]
    k = created <= T_end
    c.loy = SimpleNamespace(person=person[k], created=created[k], second=second[k], n=int(k.sum()))
    c.loy.num = _bij_ids(c.loy.n, 9, c.seed, "loyalty")
    c.loy.has_birth = r.random(c.loy.n) < 0.6
    c.loy1 = np.full(N, -1)
    c.loy2 = np.full(N, -1)
    c.loy1[c.loy.person[~c.loy.second]] = np.flatnonzero(~c.loy.second)
    c.loy2[c.loy.person[c.loy.second]] = np.flatnonzero(c.loy.second)
    # app users (70 % of those with a web account log in with it)
    ap = np.flatnonzero(r.random(N) < 0.35)
    ac = _after(r, acq[ap], 30)
    wa = c.web1[ap]
    linked = (wa >= 0) & (r.random(len(ap)) < 0.7)
    wcreated = np.where(linked, c.web.created[np.maximum(wa, 0)], 0)
    ac = np.where(linked, np.maximum(ac, wcreated + r.integers(0, 5 * DAY, len(ap))), ac)
    k = ac <= T_end
    c.app = SimpleNamespace(person=ap[k], created=ac[k], web=np.where(linked, wa, -1)[k], n=int(k.sum()))
    c.app.num = _bij_ids(c.app.n, 8, c.seed, "app")
    c.app.device = r.choice(4, size=c.app.n, p=[0.40, 0.45, 0.08, 0.07])
    c.app_of = np.full(N, -1)
    c.app_of[c.app.person] = np.arange(c.app.n)
    multi = (c.crm_of >= 0).astype(int) + (c.web1 >= 0) + (c.loy1 >= 0) + (c.app_of >= 0)
    c.multi = multi
    log(f"channels: crm {c.crm.n:,}, web {c.web.n:,}, loyalty {c.loy.n:,}, app {c.app.n:,}")


def _campaigns(c) -> None:
    r = rng_for(c.seed, "campaigns")
    m0 = np.datetime64(c.p["start"], "M")
    m1 = np.datetime64(c.p["sim_end"], "M")
    months = np.arange(m0, m1 + 1)
    per = 4
    mstart = np.repeat((months.astype("datetime64[D]") - np.datetime64("1970-01-01")).astype(np.int64), per)
    mlen = np.repeat(((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(np.int64), per)
    n = len(mstart)
    sd = mstart + (r.random(n) * mlen).astype(np.int64)
    keep = sd <= c.sim_end_d - 7
    sd, n = sd[keep], int(keep.sum())
    c.camp = SimpleNamespace(n=n, start_d=sd, end_d=sd + r.integers(7, 29, n),
                             channel=r.choice(4, size=n, p=[0.5, 0.15, 0.2, 0.15]),
                             theme=r.integers(0, 8, n), frac=r.uniform(0.02, 0.10, n))


def _crm(c) -> None:
    """CRM contact versions: creation, learned contact changes, bounces, verifications."""
    r = rng_for(c.seed, "crm-versions")
    cr = c.crm
    cid_of = c.crm_of
    ev_c, ev_t, ev_kind = [np.arange(cr.n)], [cr.created], [np.zeros(cr.n, np.int8)]
    learned = {}
    bounce_c, bounce_t = [], []
    for ki, kind in enumerate(("email", "phone", "address")):
        ch = c.chg[kind]
        ci = cid_of[ch.person]
        ok = ci >= 0
        ok[ok] = ch.time[ok] > cr.created[ci[ok]]
        idx = np.flatnonzero(ok)
        learn = r.random(len(idx)) < 0.5
        li = idx[learn]
        lt = ch.time[li] + (r.random(len(li)) * 30 * DAY).astype(np.int64)
        o = np.lexsort((lt, ci[li]))
        learned[kind] = SimpleNamespace(contact=ci[li][o], time=lt[o], pool=ch.pool[li][o])
        ev_c.append(ci[li])
        ev_t.append(lt)
        ev_kind.append(np.full(len(li), 1 + ki, np.int8))
        if kind == "email":
            bi = idx[~learn]
            bt = ch.time[bi] + (r.uniform(30, 90, len(bi)) * DAY).astype(np.int64)
            bounce_c.append(ci[bi])
            bounce_t.append(bt)
    bc, bt = np.concatenate(bounce_c), np.concatenate(bounce_t)
    o = np.lexsort((bt, bc))
    bc, bt = bc[o], bt[o]
    ev_c.append(bc)
    ev_t.append(bt)
    ev_kind.append(np.full(len(bc), 4, np.int8))
    # verification: 60 % at creation (+0-3 days); half of those re-verify yearly
    ver = np.flatnonzero(r.random(cr.n) < 0.6)
    vt0 = cr.created[ver] + (r.random(len(ver)) * 3 * DAY).astype(np.int64)
    yearly = ver[r.random(len(ver)) < 0.5]
    nyears = np.maximum(0, (c.T_end - cr.created[yearly]) // (365 * DAY))
    yc = np.repeat(yearly, nyears)
    kth = np.arange(len(yc)) - np.repeat(np.cumsum(nyears) - nyears, nyears) + 1
    yt = cr.created[yc] + kth * 365 * DAY + (r.random(len(yc)) * 30 * DAY).astype(np.int64)
    vc, vt = np.r_[ver, yc], np.r_[vt0, yt]
    o = np.lexsort((vt, vc))
    vc, vt = vc[o], vt[o]
    ev_c.append(vc)
    ev_t.append(vt)
    ev_kind.append(np.full(len(vc), 5, np.int8))
    vcon, vtime, vkind = np.concatenate(ev_c), np.concatenate(ev_t), np.concatenate(ev_kind)
    k = vtime <= c.T_end
    vcon, vtime, vkind = vcon[k], vtime[k], vkind[k]
    o = np.lexsort((vkind, vtime, vcon))
    vcon, vtime, vkind = vcon[o], vtime[o], vkind[o]
    person = cr.person[vcon]
    vals = {}
    last_email_learn = np.full(len(vcon), -(10**12))
    for kind in ("email", "phone", "address"):
        L = learned[kind]
        i = lookup_last(vcon, vtime, L.contact, L.time)
        base = current(c, kind, person, cr.created[vcon])
        vals[kind] = np.where(i >= 0, L.pool[np.maximum(i, 0)], base)
        if kind == "email":
            last_email_learn = np.where(i >= 0, L.time[np.maximum(i, 0)], -(10**12))
    ib = lookup_last(vcon, vtime, bc, bt)
    bounced = np.where(ib >= 0, bt[np.maximum(ib, 0)], -1)
    bounced = np.where(bounced > last_email_learn, bounced, -1)
    iv = lookup_last(vcon, vtime, vc, vt)
    verified = np.where(iv >= 0, vt[np.maximum(iv, 0)], -1)
    verified = np.where(verified > last_email_learn, verified, -1)
    c.crmv = SimpleNamespace(contact=vcon, time=vtime, person=person, email=vals["email"], phone=vals["phone"],
                             address=vals["address"], bounced=bounced, verified=verified, n=len(vcon))
    # acquisition source / campaign per contact
    src = np.where(c.web1[cr.person] >= 0, 0, np.where(c.loy1[cr.person] >= 0, 1,
                                                       np.where(c.app_of[cr.person] >= 0, 2, 3)))
    other = 3 + r.choice(4, size=cr.n, p=[0.3, 0.3, 0.3, 0.1])  # referral, paid_social, paid_search, event
    cr.source = np.where(r.random(cr.n) < 0.6, src, other)
    cr.source = np.where(cr.source == 3, other, cr.source)
    ci = np.searchsorted(c.camp.start_d, cr.created // DAY, side="right") - 1
    cr.campaign = np.where((cr.source >= 4) & (cr.source <= 5) & (ci >= 0) & (r.random(cr.n) < 0.4), ci, -1)
    log(f"crm versions: {c.crmv.n:,}")


def _members(c) -> None:
    """Campaign members (target/control) and their responses."""
    r = rng_for(c.seed, "members")
    cr, cp = c.crm, c.camp
    q = np.quantile(c.lam, [0.4, 0.8]) if c.N > 1 else [1, 1]
    seg_mult = np.where(c.lam >= q[1], 1.5, np.where(c.lam < q[0], 0.6, 1.0))
    mem_c, mem_camp = [], []
    for j in range(cp.n):
        elig = cr.created < cp.start_d[j] * DAY
        pick = np.flatnonzero(elig & (r.random(cr.n) < cp.frac[j]))
        mem_c.append(pick)
        mem_camp.append(np.full(len(pick), j))
    mc, mj = np.concatenate(mem_c), np.concatenate(mem_camp)
    n = len(mc)
    control = r.random(n) < 0.10
    assigned = cp.start_d[mj] * DAY - r.integers(3600, 12 * 3600, n)
    # response probabilities: (open, click, convert) per channel
    P = np.array([[0.25, 0.04, 0.015], [0.0, 0.03, 0.02], [0.08, 0.02, 0.01], [0.0, 0.0, 0.01]])
    mult = seg_mult[cr.person[mc]]
    u = r.random(n)
    ch = cp.channel[mj]
    resp_m, resp_t, resp_k = [], [], []
    t_open = cp.start_d[mj] * DAY + (r.exponential(1.0, n) * DAY).astype(np.int64)
    t_click = t_open + r.integers(5, 3600, n)
    t_conv = t_click + r.integers(60, 3 * DAY, n)
    for k, tt in enumerate((t_open, t_click, t_conv)):
        hit = (~control) & (u < P[ch, k] * mult)
        if k == 2:
            hit |= control & (u < 0.005 * mult)
        idx = np.flatnonzero(hit)
        resp_m.append(idx)
        resp_t.append(tt[idx])
        resp_k.append(np.full(len(idx), k, np.int8))
    rm, rt, rk = np.concatenate(resp_m), np.concatenate(resp_t), np.concatenate(resp_k)
    k = rt <= c.T_end
    rm, rt, rk = rm[k], rt[k], rk[k]
    o = np.lexsort((rk, rt))
    # the conversion probability each member was drawn with: the campaign truth (campaign_effects) uses it
    p_convert = np.where(control, 0.005, P[ch, 2]) * mult
    c.mem = SimpleNamespace(contact=mc, camp=mj, control=control, assigned=assigned, n=n, p_convert=p_convert)
    c.resp = SimpleNamespace(member=rm[o], time=rt[o], kind=rk[o], n=len(rm))
    conv = (c.resp.kind == 2) & ~control[c.resp.member]
    c.converters = SimpleNamespace(person=cr.person[mc[c.resp.member[conv]]], time=c.resp.time[conv])
    cost_per = np.array([0.01, 0.08, 0.005, 0.9])
    size = np.bincount(mj, minlength=cp.n)
    fixed = np.array([500.0, 800.0, 300.0, 2500.0])
    cp.cost = np.round(fixed[cp.channel] + size * cost_per[cp.channel] * r.uniform(0.8, 1.2, cp.n), 2)
    log(f"campaigns: {cp.n:,}, members {n:,}, responses {c.resp.n:,}")


def _purchases(c) -> None:
    """Monthly churn/seasonality simulation -> orders for web / store / app, lines, refunds."""
    r = rng_for(c.seed, "purchases")
    N = c.N
    m0 = np.datetime64(c.p["start"], "M")
    months = np.arange(m0, np.datetime64(c.p["sim_end"], "M") + 1)
    mstart = (months.astype("datetime64[D]") - np.datetime64("1970-01-01")).astype(np.int64) * DAY
    mend = np.r_[mstart[1:], ((months[-1] + 1).astype("datetime64[D]") - np.datetime64("1970-01-01")).astype(np.int64) * DAY]
    season = {11: 1.4, 12: 1.6, 6: 0.9, 7: 0.8, 8: 0.8}
    mon = months.astype(int) % 12 + 1
    base_rate = 1.6
    active = np.ones(N, bool)
    react_at = np.full(N, -1)
    op, ot = [], []
    for m in range(len(months)):
        churn = active & (r.random(N) < 0.03)
        active &= ~churn
        rea = churn & (r.random(N) < 0.15)
        react_at[rea] = m + r.integers(3, 13, int(rea.sum()))
        back = react_at == m
        active |= back
        react_at[back] = -1
        lo = np.maximum(c.acq, mstart[m])
        frac = np.clip((mend[m] - lo) / (mend[m] - mstart[m]), 0, 1)
        cnt = r.poisson(c.lam * base_rate * season.get(int(mon[m]), 1.0) * frac * active)
        pers = np.repeat(np.arange(N, dtype=np.int32), cnt)
        t = lo[pers] + (r.random(len(pers)) * (mend[m] - lo[pers])).astype(np.int64)
        op.append(pers)
        ot.append(t)
    # converters of campaigns buy (web or app) shortly after converting
    cv = c.converters
    op.append(cv.person.astype(np.int32))
    ot.append(cv.time + r.integers(60, 3 * DAY, len(cv.person)))
    person, t = np.concatenate(op), np.concatenate(ot)
    del op, ot
    conv = np.r_[np.zeros(len(person) - len(cv.person), bool), np.ones(len(cv.person), bool)]
    k = t <= c.T_end
    person, t, conv = person[k], t[k], conv[k]
    n = len(person)
    # channel choice among the person's channels existing at order time
    w1, w2 = c.web1[person], c.web2[person]
    web_ok = (w1 >= 0) & (c.web.created[np.maximum(w1, 0)] <= t)
    web2_ok = (w2 >= 0) & (c.web.created[np.maximum(w2, 0)] <= t)
    a = c.app_of[person]
    app_ok = (a >= 0) & (c.app.created[np.maximum(a, 0)] <= t)
    l1 = c.loy1[person]
    card_exists = (l1 >= 0) & (c.loy.created[np.maximum(l1, 0)] <= t)
    ww = web_ok.astype(np.float32)
    wa = app_ok * np.float32(0.8)
    ws = np.where(conv, np.float32(0), np.where(card_exists, np.float32(1.0), np.float32(0.25)))
    wd = np.where(conv | card_exists, np.float32(0), np.float32(0.75))  # most card-less store visits are not simulated
    tot = ww + wa + ws + wd
    u = r.random(n) * np.where(tot > 0, tot, 1)
    chan = np.where(u < ww, 0, np.where(u < ww + wa, 2, np.where(u < ww + wa + ws, 1, -1))).astype(np.int8)
    chan[tot == 0] = -1
    del ww, wa, ws, wd, tot, u, card_exists, web_ok, app_ok, l1
    keep = chan >= 0
    person, t, chan, w2, web2_ok, a = person[keep], t[keep], chan[keep], w2[keep], web2_ok[keep], a[keep]
    w1 = c.web1[person]
    n = len(person)
    acct = np.where(web2_ok & (r.random(n) < 0.5), w2, w1).astype(np.int32)
    del w1, w2, web2_ok
    l1, l2 = c.loy1[person], c.loy2[person]
    card_ok = (l1 >= 0) & (c.loy.created[np.maximum(l1, 0)] <= t) & (r.random(n) < 0.9)
    card2_ok = (l2 >= 0) & (c.loy.created[np.maximum(l2, 0)] <= t)
    card = np.where(card_ok, np.where(card2_ok & (r.random(n) < 0.5), l2, l1), -1).astype(np.int32)
    del l1, l2, card_ok, card2_ok
    a = a.astype(np.int32)
    # anonymous walk-in sales so that ~30 % of POS sales carry no card
    store = chan == 1
    n_card = int((store & (card >= 0)).sum())
    n_anon = int((store & (card < 0)).sum())
    extra = max(0, int(round(n_card * 0.3 / 0.7)) - n_anon)
    et = np.sort(c.T_start + (r.random(extra) * (c.T_end - c.T_start)).astype(np.int64))
    person = np.r_[person, np.full(extra, -1)]
    t = np.r_[t, et]
    chan = np.r_[chan, np.ones(extra, np.int8)]
    acct = np.r_[acct, np.full(extra, -1)]
    card = np.r_[card, np.full(extra, -1)]
    a = np.r_[a, np.full(extra, -1)]
    o = np.argsort(t, kind="stable")
    person, t, chan, acct, card, a = person[o], t[o], chan[o], acct[o], card[o], a[o]
    n = len(t)
    # lines
    cat = c.cat if hasattr(c, "cat") else _catalog(c)
    nl = (1 + r.binomial(4, 0.3, n)).astype(np.int8)
    lo = np.repeat(np.arange(n, dtype=np.int32), nl)
    prod = r.choice(cat.n, size=len(lo), p=cat.pop).astype(np.int16)
    qty = (1 + (r.random(len(lo)) < 0.2) + (r.random(len(lo)) < 0.05)).astype(np.int8)
    disc = np.where(r.random(len(lo)) < 0.15, r.choice(np.array([0.8, 0.9], np.float32), len(lo)), np.float32(1.0))
    price = np.round(cat.price[prod] * disc, 2)
    del disc
    amount = np.round(np.bincount(lo, weights=qty * price, minlength=n), 2)
    # refunds (4 %), 3-30 days later
    ref = np.flatnonzero(r.random(n) < 0.04)
    rt = t[ref] + (r.uniform(3, 30, len(ref)) * DAY).astype(np.int64)
    k = rt <= c.T_end
    ref, rt = ref[k], rt[k]
    c.orders = SimpleNamespace(n=n, person=person, time=t, chan=chan, acct=acct, card=card, app=a,
                               amount=amount, nl=nl, line_order=lo, prod=prod, qty=qty, price=price,
                               ref=ref, ref_time=rt, store=r.integers(0, 60, n).astype(np.int8), ref_store=None)
    c.orders.ref_store = c.orders.store[ref]
    s_sales = chan == 1
    log(f"orders: {n:,} (web {(chan == 0).sum():,}, store {s_sales.sum():,} of which anonymous "
        f"{(s_sales & (card < 0)).sum():,}, app {(chan == 2).sum():,}), lines {len(lo):,}, refunds {len(ref):,}")


def _app_events(c) -> None:
    """App sessions (open / views / add-to-cart) plus purchase events of app orders.

    Generated per calendar year with an independent random stream per year, so only the years up to
    the write limit are materialised (the result for those years does not depend on the limit)."""
    r = rng_for(c.seed, "app-events")
    ap, o = c.app, c.orders
    rate = r.gamma(1.0, 1.0, ap.n) * 2.4  # sessions per month
    y0 = int(np.datetime64(c.T_start, "s").astype("datetime64[Y]").astype(int)) + 1970
    y1 = int(np.datetime64(min(c.limit, c.T_end), "s").astype("datetime64[Y]").astype(int)) + 1970
    appo = np.flatnonzero(o.chan == 2)
    rsel = o.chan[o.ref] == 2
    refa, reft = o.ref[rsel], o.ref_time[rsel]
    parts = []
    for y in range(y0, y1 + 1):
        ry = rng_for(c.seed, "app-events", y)
        ys = max(c.T_start, int((np.datetime64(f"{y}-01-01") - np.datetime64("1970-01-01")).astype(int)) * DAY)
        ye = min(c.T_end, int((np.datetime64(f"{y + 1}-01-01") - np.datetime64("1970-01-01")).astype(int)) * DAY - 1)
        lo = np.maximum(ap.created, ys)
        dur = np.maximum(ye - lo, 0)
        ns = ry.poisson(rate * dur / (30.44 * DAY))
        su = np.repeat(np.arange(ap.n, dtype=np.int32), ns)
        st = np.repeat(lo, ns) + (ry.random(len(su)) * np.repeat(dur, ns)).astype(np.int64)
        nv = ry.poisson(1.8, len(su))
        ne = 1 + nv + (ry.random(len(su)) < 0.3)
        del ns
        eu = np.repeat(su, ne)
        j = (np.arange(len(eu)) - np.repeat(np.cumsum(ne) - ne, ne)).astype(np.int32)
        et = np.repeat(st, ne) + j * ry.integers(5, 120, len(eu))
        etype = np.where(j == 0, 0, np.where(j <= np.repeat(nv, ne), 1, 2)).astype(np.int8)
        del su, st, nv, ne, j
        prod = np.where(etype > 0, ry.choice(c.cat.n, size=len(eu), p=c.cat.pop), -1).astype(np.int16)
        ps = appo[(o.time[appo] >= ys) & (o.time[appo] <= ye)]
        rm = (reft >= ys) & (reft <= ye)
        user = np.r_[eu, o.app[ps].astype(np.int32), o.app[refa[rm]].astype(np.int32)]
        time = np.r_[et, o.time[ps], reft[rm]]
        del eu, et
        k = len(ps) + int(rm.sum())
        etype = np.r_[etype, np.full(k, 3, np.int8)]
        prod = np.r_[prod, np.full(k, -1, np.int16)]
        order_idx = np.r_[np.full(len(user) - k, -1, np.int32), ps.astype(np.int32), refa[rm].astype(np.int32)]
        is_ref = np.r_[np.zeros(len(user) - int(rm.sum()), bool), np.ones(int(rm.sum()), bool)]
        srt = np.argsort(time, kind="stable")
        parts.append((user[srt], time[srt], etype[srt], prod[srt], order_idx[srt], is_ref[srt],
                      np.int64(y) * 10**8 + np.arange(1, len(srt) + 1)))
        del user, time, etype, prod, order_idx, is_ref, srt
    cols = [np.concatenate([p_[i] for p_ in parts]) for i in range(7)]
    del parts
    c.ev = SimpleNamespace(n=len(cols[0]), user=cols[0], time=cols[1], type=cols[2], prod=cols[3].astype(np.int64),
                           order=cols[4].astype(np.int64), is_ref=cols[5], num=cols[6])
    log(f"app events: {c.ev.n:,} (years {y0}-{y1})")


def _tickets(c) -> None:
    r = rng_for(c.seed, "tickets")
    tp = np.flatnonzero(r.random(c.N) < 0.25)
    cnt = 1 + r.poisson(0.4, len(tp))
    person = np.repeat(tp, cnt)
    lo = c.acq[person] + DAY
    t = lo + (r.random(len(person)) * np.maximum(c.T_end - lo, 0)).astype(np.int64)
    k = t <= c.T_end
    person, t = person[k], t[k]
    o = np.argsort(t, kind="stable")
    person, t = person[o], t[o]
    n = len(t)
    cat = r.choice(6, size=n, p=[0.3, 0.12, 0.2, 0.1, 0.2, 0.08])
    complaint = r.random(n) < 0.2
    answered = r.random(n) < 0.4
    csat = np.where(complaint, r.choice(5, size=n, p=[0.35, 0.3, 0.2, 0.1, 0.05]),
                    r.choice(5, size=n, p=[0.05, 0.07, 0.18, 0.35, 0.35])) + 1
    resolved = t + (r.uniform(0, 10, n) * DAY).astype(np.int64)
    is_open = (r.random(n) < 0.03) | (resolved > c.T_end)
    c.tk = SimpleNamespace(n=n, person=person, time=t, cat=cat, complaint=complaint,
                           csat=np.where(answered & ~is_open, csat, -1), resolved=np.where(is_open, -1, resolved),
                           has_phone=r.random(n) < 0.7, first_only=r.random(n) < 0.1)
    c.tk.num = _bij_ids(n, 9, c.seed, "tickets")
    log(f"tickets: {n:,}")


def _privacy(c) -> None:
    r = rng_for(c.seed, "privacy")
    cr = c.crm
    P = [0.70, 0.25, 0.20, 0.10, 0.30]  # email, sms, push, phone, direct_mail opt-in at creation
    cc, ct, ch, g = [], [], [], []
    for j, pj in enumerate(P):
        idx = np.flatnonzero(r.random(cr.n) < pj)
        cc.append(idx)
        ct.append(cr.created[idx] + r.integers(0, 3600, len(idx)))
        ch.append(np.full(len(idx), j))
        g.append(np.ones(len(idx), bool))
    months = (c.T_end - cr.created) / (30.44 * DAY)
    no = r.poisson(0.01 * months)
    oc = np.repeat(np.arange(cr.n), no)
    ot = np.repeat(cr.created, no) + (r.random(len(oc)) * np.repeat(c.T_end - cr.created, no)).astype(np.int64)
    cc.append(oc)
    ct.append(ot)
    ch.append(r.choice(5, size=len(oc), p=[0.6, 0.2, 0.1, 0.05, 0.05]))
    g.append(np.zeros(len(oc), bool))
    con, t, chan, granted = map(np.concatenate, (cc, ct, ch, g))
    k = t <= c.T_end
    o = np.argsort(t[k], kind="stable")
    con, t, chan, granted = con[k][o], t[k][o], chan[k][o], granted[k][o]
    c.consent = SimpleNamespace(n=len(con), contact=con, time=t, chan=chan, granted=granted,
                                email=current(c, "email", cr.person[con], t))
    years = (c.T_end - c.acq) / (365.25 * DAY)
    ep = np.flatnonzero(r.random(c.N) < 1 - np.exp(-0.003 * years))
    et = c.acq[ep] + (r.random(len(ep)) * (c.T_end - c.acq[ep])).astype(np.int64)
    o = np.argsort(et, kind="stable")
    ep, et = ep[o], et[o]
    ci = c.crm_of[ep]
    ci = np.where((ci >= 0) & (cr.created[np.maximum(ci, 0)] <= et), ci, -1)
    c.erasure = SimpleNamespace(n=len(ep), person=ep, time=et, contact=ci, email=current(c, "email", ep, et))
    log(f"consent changes: {c.consent.n:,}, erasure requests: {c.erasure.n:,}")


def _catalog(c):
    if hasattr(c, "cat"):
        return c.cat
    r = rng_for(c.seed, "catalog")
    n = 500
    cat = r.integers(0, len(D.PRODUCT_CATEGORIES), n)
    price = np.round(np.exp(r.normal(np.log(22), 0.7, n)), 2) - 0.01
    price = np.maximum(price, 1.99)
    pop = zipf_p(n, 0.9)[r.permutation(n)]
    adj = r.integers(0, len(D.PRODUCT_ADJECTIVES), n)
    noun = np.array([r.integers(0, len(D.PRODUCT_NOUNS[D.PRODUCT_CATEGORIES[k]])) for k in range(len(D.PRODUCT_CATEGORIES))])
    names = [f"{D.PRODUCT_ADJECTIVES[adj[i]]} {D.PRODUCT_NOUNS[D.PRODUCT_CATEGORIES[cat[i]]][(noun[cat[i]] + i) % len(D.PRODUCT_NOUNS[D.PRODUCT_CATEGORIES[cat[i]]])]} {100 + i}" for i in range(n)]
    # versions: initial listing, 30 % get a price change within the horizon
    chg = np.flatnonzero(r.random(n) < 0.3)
    vt = np.r_[np.full(n, c.T_start - 60 * DAY) + r.integers(0, DAY, n),
               c.T_start + (r.random(len(chg)) * (c.T_end - c.T_start)).astype(np.int64)]
    vp = np.r_[np.arange(n), chg]
    vprice = np.r_[price, np.round(price[chg] * r.uniform(0.85, 1.15, len(chg)), 2)]
    o = np.lexsort((vt, vp))
    c.cat = SimpleNamespace(n=n, category=cat, price=price, pop=pop, names=names,
                            v_prod=vp[o], v_time=vt[o], v_price=vprice[o])
    return c.cat


def campaign_effects(c, last_day: int) -> pa.Table:
    """True per-campaign effects the simulation injected, for campaigns started by last_day.

    Rates are the expected values over the members actually assigned (the mean of the conversion
    probability each was drawn with), not re-counts of outcomes. Only target converters buy because
    of a campaign (see _purchases): control members convert at a baseline rate but their purchases are
    the baseline both groups share, so the control's campaign-caused purchase rate is 0. A converter's
    order needs a web account or app at order time (otherwise _purchases drops it); the truth uses
    the channels that exist at the campaign's start, which misses the few opened in the days between.
    """
    cp, m = c.camp, c.mem
    start_t = cp.start_d[m.camp] * DAY
    person = c.crm.person[m.contact]
    w1, w2, a = c.web1[person], c.web2[person], c.app_of[person]
    online = (((w1 >= 0) & (c.web.created[np.maximum(w1, 0)] <= start_t))
              | ((w2 >= 0) & (c.web.created[np.maximum(w2, 0)] <= start_t))
              | ((a >= 0) & (c.app.created[np.maximum(a, 0)] <= start_t)))
    target = ~m.control
    n_t = np.bincount(m.camp, weights=target, minlength=cp.n)
    n_c = np.bincount(m.camp, weights=m.control, minlength=cp.n)
    sum_pt = np.bincount(m.camp, weights=np.where(target, m.p_convert, 0.0), minlength=cp.n)
    sum_pc = np.bincount(m.camp, weights=np.where(m.control, m.p_convert, 0.0), minlength=cp.n)
    sum_buy = np.bincount(m.camp, weights=np.where(target & online, m.p_convert, 0.0), minlength=cp.n)
    cat = _catalog(c)
    # an order has 1 + Binomial(4, 0.3) lines of quantity 1.25 on average, 15 % of lines at 0.8 or 0.9 of
    # the price (see _purchases)
    order_value = 2.2 * 1.25 * (0.85 + 0.15 * 0.85) * float(np.sum(cat.pop * cat.price))
    with np.errstate(invalid="ignore", divide="ignore"):
        rt = np.where(n_t > 0, sum_pt / n_t, np.nan)
        rc = np.where(n_c > 0, sum_pc / n_c, np.nan)
        buy = np.where(n_t > 0, sum_buy / n_t, np.nan)
    # a group without members has no rate: null (NaN would also break comparisons of two runs)
    keep = cp.start_d <= last_day
    idx = np.flatnonzero(keep)
    return pa.table({
        "campaign_id": ids("CMP", idx + 1, 5),
        "channel": pa.array([CAMPAIGN_CHANNELS[k] for k in cp.channel[idx]], pa.string()),
        "start_date": pa.array(cp.start_d[idx].astype("datetime64[D]")),
        "target_members": pa.array(n_t[idx].astype(np.int64)),
        "control_members": pa.array(n_c[idx].astype(np.int64)),
        "true_target_response_rate": pa.array(rt[idx], from_pandas=True),
        "true_control_response_rate": pa.array(rc[idx], from_pandas=True),
        "true_response_lift": pa.array(rt[idx] - rc[idx], from_pandas=True),
        "true_target_purchase_rate": pa.array(buy[idx], from_pandas=True),
        "true_control_purchase_rate": pa.array(np.zeros(len(idx))),
        "expected_order_value": pa.array(np.full(len(idx), order_value)),
        "true_incremental_revenue_per_member": pa.array(buy[idx] * order_value, from_pandas=True),
    })
