"""A user's own transaction log, end to end: importer -> make build RAW_ROOT=... AS_OF=... -> published.

The log is one the generator did not write: other id formats, zero-value orders (one customer bought
only free items), one channel, no addresses or e-mails, and a history that ended well over a year ago.
No project file is edited. It must publish, the audit must list what was not delivered as not
applicable, and the published BTYD summary must equal lifetimes' conventions computed here in pandas.
"""
from __future__ import annotations

import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run

HISTORY_END = "2025-06-30"


def transaction_log() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for number in range(240):
        # three id styles a shop system might use
        customer = [f"CUST-{number:05d}", str(90000 + number), f"shop_{number:x}_nl"][number % 3]
        first = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 700)))
        days = [first] + list(first + pd.to_timedelta(np.sort(rng.integers(0, 900, rng.integers(0, 9))), unit="D"))
        for day in days:
            if day > pd.Timestamp(HISTORY_END):
                continue
            amount = round(float(rng.gamma(2.0, 30.0)), 2) if rng.random() > 0.08 else 0.0
            rows.append((customer, day.strftime("%Y-%m-%d"), amount))
    # a customer whose only purchases are free items, one of them on two days
    rows += [("FREE-ONLY-1", "2024-02-10", 0.0), ("FREE-ONLY-1", "2024-09-01", 0.0),
             ("FREE-ONLY-1", "2024-09-01", 0.0)]
    log = pd.DataFrame(rows, columns=["klant", "betaald_op", "bedrag"])
    log["bon"] = [f"B{index:06d}" for index in range(len(log))]
    return log


def lifetimes_summary(log: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """summary_data_from_transaction_data(freq='D') conventions, written out: one period per day."""
    days = (log.assign(day=pd.to_datetime(log["betaald_op"]))
               .groupby(["klant", "day"], as_index=False)["bedrag"].sum())
    days["first"] = days.groupby("klant")["day"].transform("min")
    repeat = days[days["day"] > days["first"]]
    summary = days.groupby("klant").agg(first=("day", "min"), last=("day", "max"), periods=("day", "nunique"))
    summary["frequency"] = summary["periods"] - 1
    summary["recency"] = (summary["last"] - summary["first"]).dt.days
    summary["T"] = (pd.Timestamp(as_of) - summary["first"]).dt.days
    summary["monetary_value"] = repeat.groupby("klant")["bedrag"].mean().reindex(summary.index).fillna(0.0)
    return summary[["frequency", "recency", "T", "monetary_value"]]


@pytest.fixture(scope="module")
def own_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own_data")
    log = transaction_log()
    log.to_csv(folder / "kassa.csv", index=False)
    imported = run([sys.executable, "-m", "scripts", "import-orders", folder / "kassa.csv", "--customer", "klant",
                    "--date", "betaald_op", "--amount", "bedrag", "--order", "bon", "--out", folder / "raw"])
    assert imported.returncode == 0, imported.stderr[-3000:]
    warehouse = folder / "warehouse" / "customer360.duckdb"
    as_of = log["betaald_op"].max()  # the newest order: the importer's last load, the latest as-of it allows
    built = run(["make", "--no-print-directory", "build", f"RAW_ROOT={folder / 'raw'}", f"AS_OF={as_of}",
                 f"BUILD_DB={folder / 'build' / 'customer360.build.duckdb'}", f"WAREHOUSE={warehouse}"])
    return log, warehouse, built, as_of


def test_own_log_publishes_with_what_was_not_delivered_listed_as_not_applicable(own_build):
    _, warehouse, built, _ = own_build
    output = built.stdout + built.stderr
    assert built.returncode == 0, output[-5000:]
    assert warehouse.is_file()
    not_applicable = [line for line in output.splitlines() if line.startswith("AUDIT N/A")]
    for absent in ("channel store not delivered", "channel app not delivered", "channel crm not delivered",
                   "no postal_code delivered in web.accounts"):
        assert any(absent in line for line in not_applicable), (absent, not_applicable)


def test_own_log_btyd_summary_equals_lifetimes_conventions(own_build):
    log, warehouse, built, as_of = own_build
    assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.execute("""
            select bridge.source_record_id as klant, btyd.frequency, btyd.recency, btyd."T", btyd.monetary_value,
                   btyd.as_of_date
            from marketing.customer_btyd_summary as btyd
            inner join core.bridge_customer_identity as bridge
                on btyd.customer_id = bridge.customer_id and bridge.source_name = 'web'
        """).df().set_index("klant").sort_index()
        zero_value_orders = con.execute("select count(*) from core.fct_orders where is_zero_value").fetchone()[0]
    expected = lifetimes_summary(log, as_of).sort_index()
    assert (published["as_of_date"].astype(str) == as_of).all()
    assert list(published.index) == list(expected.index)  # every buyer, the free-items-only one included
    assert published.loc["FREE-ONLY-1", ["frequency", "recency"]].tolist() == [1, 204]
    for column in ("frequency", "recency", "T"):
        assert published[column].astype(int).tolist() == expected[column].astype(int).tolist(), column
    np.testing.assert_allclose(published["monetary_value"], expected["monetary_value"], rtol=0, atol=1e-9)
    assert zero_value_orders == int((log["bedrag"] == 0).sum())
