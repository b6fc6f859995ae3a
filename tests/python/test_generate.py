"""Tests of the synthetic raw-data generator (python -m scripts generate)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scripts.__main__ import main
from scripts.generate import EMAIL_DOMAIN_TYPOS, RATE_DEFAULTS
from scripts.generator.tables import CUSTOMER_TABLES, SCHEMAS

ARGS = ["--customers", "300", "--start", "2024-01-01", "--end", "2024-06-30", "--seed", "3"]


def gen(out: Path, *extra: str) -> None:
    assert main(["generate", *ARGS, "--out", str(out), *extra]) == 0


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def read(out: Path, key: str) -> pa.Table:
    parts = [pq.read_table(p) for p in sorted((out / key).glob("load_date=*/*.parquet"))]
    return pa.concat_tables(parts)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("raw") / "raw"
    gen(out)
    return out


def test_deterministic(base: Path, tmp_path: Path) -> None:
    gen(tmp_path / "again")
    a, b = files(base), files(tmp_path / "again")
    assert a.keys() == b.keys()
    for k in a:
        assert pq.read_table(base / k).equals(pq.read_table(tmp_path / "again" / k)), k
        assert hashlib.sha256(a[k]).digest() == hashlib.sha256(b[k]).digest(), k


def test_contract_tables_columns_types(base: Path) -> None:
    assert len(SCHEMAS) == 16
    for key, cols in SCHEMAS.items():
        parts = sorted((base / key).glob("load_date=*/part-0.parquet"))
        if key == "privacy/erasure_requests" and not parts:
            continue  # ~0.3 %/year of 300 persons over 6 months: may legitimately be empty
        assert parts, key
        for p in parts:
            assert p.parent.name.startswith("load_date=")
            schema = pq.read_schema(p)
            assert [(f.name, f.type) for f in schema] == cols, p
        assert read(base, key).num_rows > 0, key


def test_monthly_history_partitions(base: Path) -> None:
    dates = sorted(p.name[10:] for p in (base / "crm/contacts").iterdir())
    assert dates[-1] == "2024-06-30"
    assert all(d.endswith(("-31", "-30", "-29", "-28")) for d in dates)
    meta = json.loads((base / "_generator.json").read_text())
    assert meta["sim_end"] == "2026-06-30" and meta["customers"] == 300 and meta["rates"] == RATE_DEFAULTS


def test_identity_truth_covers_every_record_once(base: Path) -> None:
    ident = pq.read_table(base / "_truth/identity.parquet").to_pandas()
    assert not ident.duplicated(["source_name", "source_record_id"]).any()
    for key, src in CUSTOMER_TABLES.items():
        id_col = SCHEMAS[key][0][0]
        written = set(read(base, key).column(id_col).to_pylist())
        truth = set(ident.loc[ident.source_name == src, "source_record_id"])
        assert written == truth, key
    assert ident.person_id.str.match(r"^P\d{7}$").all()
    # many persons are seen in several channels
    per = ident.groupby("person_id").source_name.nunique()
    assert (per >= 2).mean() > 0.5


def test_defect_rates_roughly_configured(base: Path) -> None:
    d = pq.read_table(base / "_truth/defects.parquet").to_pandas()
    crm = read(base, "crm/contacts").to_pandas()
    n_contacts = crm.contact_id.nunique()
    dc = d[(d.source_name == "crm")]

    def rate(col, dtype):
        return dc[(dc.column_name == col) & (dc.defect_type == dtype)].source_record_id.nunique() / n_contacts

    assert 0.05 < rate("country", "country_noise") < 0.30
    assert 0.04 < rate("email", "case_noise") < 0.20
    typo = d[d.defect_type == "email_domain_typo"].source_record_id.nunique()
    n_cust = pq.read_table(base / "_truth/identity.parquet").num_rows
    assert 0.003 < typo / n_cust < 0.05
    assert rate("first_name", "name_typo") + rate("last_name", "name_typo") < 0.15
    assert 0.3 < rate("phone", "phone_format") < 0.9
    events = read(base, "app/app_events")
    late = d[(d.table_name == "app_events") & (d.defect_type == "late_arrival")]
    assert 0.01 < late.source_record_id.nunique() / events.num_rows < 0.06
    dup = d[(d.table_name == "app_events") & (d.defect_type == "duplicate_delivery")]
    assert 0.004 < len(dup) / events.num_rows < 0.02
    assert events.num_rows - len(set(events.column("event_id").to_pylist())) > 0  # duplicate copies exist
    # typo truth is consistent with the exported constant
    typos = dc[dc.defect_type == "email_domain_typo"]
    for clean, dirty in zip(typos.clean_value, typos.dirty_value):
        dom = dirty.strip().lower().split("@")[1]
        assert EMAIL_DOMAIN_TYPOS[dom] == clean.split("@")[1]
    assert {"phone_format", "case_noise", "late_arrival", "duplicate_delivery"} <= set(d.defect_type)


def test_append_days(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    assert main(["generate", "--customers", "1500", "--start", "2024-01-01", "--end", "2024-06-30",
                 "--out", str(out)]) == 0
    before = {k: (v, (out / k).stat().st_mtime_ns) for k, v in files(out).items() if not k.startswith("_truth")}
    assert main(["generate", "--out", str(out), "--append-days", "3"]) == 0
    after = {k: v for k, v in files(out).items() if not k.startswith("_truth")}
    for k, (data, mtime) in before.items():
        assert after[k] == data and (out / k).stat().st_mtime_ns == mtime, k
    new = sorted(set(after) - set(before))
    assert new
    loads = {Path(k).parent.name for k in new}
    assert loads <= {"load_date=2024-07-01", "load_date=2024-07-02", "load_date=2024-07-03"}
    assert json.loads((out / "_generator.json").read_text())["end"] == "2024-07-03"
    # late arrivals: appended events whose event date is before the old end
    ev = pa.concat_tables([pq.read_table(out / k) for k in new if k.startswith("app/app_events")]).to_pandas()
    ts = ev.event_at.str.slice(0, 10)
    iso = ts.str.match(r"^\d{4}-\d{2}-\d{2}$")
    assert (ts[iso] < "2024-06-30").any()  # lag >= 2 days
    assert (ts[iso] <= "2024-07-03").all()
    d = pq.read_table(out / "_truth/defects.parquet").to_pandas()
    late = d[(d.defect_type == "late_arrival") & (d.dirty_value > "2024-06-30")]
    assert len(late) and (late.clean_value <= "2024-06-30").any()
    # a second append continues; appending beyond the simulated horizon and regenerating are refused
    assert main(["generate", "--out", str(out), "--append-days", "1"]) == 0
    assert (out / "app/app_events/load_date=2024-07-04").exists()
    with pytest.raises(SystemExit):
        main(["generate", "--out", str(out), "--append-days", "800"])
    with pytest.raises(SystemExit):
        gen(out)  # existing output without --force


@pytest.mark.parametrize("fault", ["duplicate-load", "empty-load", "drop-column=crm/contacts/email",
                                   "corrupt-file=web/orders"])
def test_faults(base: Path, tmp_path: Path, fault: str) -> None:
    out = tmp_path / "raw"
    gen(out, "--fault", fault)
    last = sorted((out / "web/orders").iterdir())[-1]
    last_crm = sorted((out / "crm/contacts").iterdir())[-1]
    if fault == "duplicate-load":
        a, b = last / "part-0.parquet", last / "part-1.parquet"
        assert b.exists() and a.read_bytes() == b.read_bytes()
    elif fault == "empty-load":
        t = pq.read_table(last / "part-0.parquet")
        assert t.num_rows == 0 and t.schema.names == [c for c, _ in SCHEMAS["web/orders"]]
    elif fault.startswith("drop-column"):
        assert "email" not in pq.read_schema(last_crm / "part-0.parquet").names
        first = sorted((out / "crm/contacts").iterdir())[0]
        assert "email" in pq.read_schema(first / "part-0.parquet").names
    else:
        with pytest.raises(Exception):
            pq.read_table(last / "part-0.parquet")
        assert pq.read_table(sorted((out / "web/orders").iterdir())[0] / "part-0.parquet").num_rows > 0


def test_force_regenerates(base: Path, tmp_path: Path) -> None:
    out = tmp_path / "raw"
    gen(out)
    (out / "junk.txt").write_text("x")
    gen(out, "--force")
    assert not (out / "junk.txt").exists()
