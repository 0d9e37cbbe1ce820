"""Generator step 'accounting': income bills, voucher lines and cost bills (ifiaccounting).

The accounting integration went live on GO_LIVE (store-local business day); from then on every
completed order of a non-test shop gets one income bill (`income_type` 'sale') with its order_no,
shop_id, store-local business_date, amount = the order's pay_money (what was collected, tax
included), tax_amount = the order's item tax, and the order's currency. Before go-live there are
no bills. Voucher lines (t_pre_voucher_entry_assist): one revenue credit (amount - tax) per bill,
and from TAX_LINES_FROM on a separate sales-tax-payable credit for bills with tax. Cost bills: one
per store-day and cost type (ingredients, packaging, labor, payment fees; waste on some days) and
monthly rent/utilities per store since opening; they do not scale with --scale.

Planted (truth): reconciliation.missing_income_bill, store-days after go-live whose bills never
arrived (the integration's daily batch failed).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen.catalog import digits, table_frame
from lucky.demo.gen.orders import defect_count
from lucky.demo.world import END, TENANT, World

DB = "luckyus_ifiaccounting"
GO_LIVE = pd.Timestamp("2025-12-24")       # ~136K bills at scale 1
TAX_LINES_FROM = pd.Timestamp("2026-01-29")  # ~179K voucher lines at scale 1
DAILY_COSTS = (("ingredients", 0.24), ("packaging", 0.05), ("labor", 0.31), ("payment_fee", 0.085))
MONTHLY_COSTS = (("rent", 42000.0), ("utilities", 3800.0))


def _bills(world: World, rng: np.random.Generator) -> tuple[pd.DataFrame, list]:
    orders, shops = world.orders, world.shops.set_index("id")
    test = shops.loc[orders["shop_id"], "test_flag"].to_numpy() == 1
    live = (orders["status"].to_numpy() == 90) & ~test & (orders["local_date"].to_numpy() >= GO_LIVE.to_datetime64())
    o = orders[live]
    # store-days whose daily batch never arrived (real stores, at least one sale)
    real = shops.index[(shops["test_flag"] == 0) & (shops["internal"] == 0)]
    days = o.loc[o["shop_id"].isin(real), ["shop_id", "local_date"]].drop_duplicates()
    collapse = {(a["shop_id"], a["date"]) for a in world.truth["anomalies"] if a["metric"] in ("orders", "refund_rate")}
    days = days[[(s, pd.Timestamp(d).strftime("%Y-%m-%d")) not in collapse for s, d in days.itertuples(index=False)]]
    k = min(defect_count(world), len(days))
    gone = days.iloc[np.sort(rng.choice(len(days), k, replace=False))]
    key = pd.MultiIndex.from_frame(o[["shop_id", "local_date"]])
    drop = key.isin(pd.MultiIndex.from_frame(gone))
    o = o[~drop]
    items = world.items
    tax = items.groupby("order_id", observed=True)["tax"].sum()
    n = len(o)
    ids = np.arange(1, n + 1, dtype=np.int64)
    booked = o["local_date"].to_numpy() + np.timedelta64(1, "D") + rng.integers(3 * 3600, 6 * 3600, n).astype("timedelta64[s]")
    bills = table_frame(DB, "t_acc_income_bill", dict(
        id=ids, tenant=TENANT, bill_no=digits("IB", ids, 12), order_no=o["order_no"],
        shop_id=o["shop_id"].to_numpy(), business_date=o["local_date"].to_numpy().astype("datetime64[D]"),
        income_type="sale", amount=o["pay_money"].to_numpy(), tax_amount=tax.reindex(o["id"]).fillna(0).round(2).to_numpy(),
        currency_code=o["currency_code"].astype(str).to_numpy(), status=np.ones(n, dtype="int16"),
        create_time=booked, update_time=booked))
    truth = [[int(s), pd.Timestamp(d).strftime("%Y-%m-%d")] for s, d in gone.itertuples(index=False)]
    return bills, sorted(truth)


def _vouchers(bills: pd.DataFrame) -> pd.DataFrame:
    net = (bills["amount"] - bills["tax_amount"]).round(2)
    taxed = bills[(bills["business_date"] >= TAX_LINES_FROM.to_datetime64()) & (bills["tax_amount"] > 0)]
    parts = [pd.DataFrame(dict(bill_no=bills["bill_no"], account_code="6001", account_name="Main business revenue",
                               credit=net.where(bills["business_date"] >= TAX_LINES_FROM.to_datetime64(), bills["amount"]),
                               business_date=bills["business_date"], shop_id=bills["shop_id"], t=bills["create_time"])),
             pd.DataFrame(dict(bill_no=taxed["bill_no"], account_code="2221", account_name="Sales tax payable",
                               credit=taxed["tax_amount"], business_date=taxed["business_date"],
                               shop_id=taxed["shop_id"], t=taxed["create_time"]))]
    v = pd.concat(parts, ignore_index=True).sort_values(["t", "account_code"], kind="stable")
    n = len(v)
    ids = np.arange(1, n + 1, dtype=np.int64)
    day = pd.DatetimeIndex(v["business_date"])
    vno = digits("PV", (day.year.to_numpy() * 10000 + day.month.to_numpy() * 100 + day.day.to_numpy()).astype(np.int64) * 1000
                         + v["shop_id"].to_numpy() % 1000, 11)
    out = table_frame(DB, "t_pre_voucher_entry_assist", dict(
        id=ids, tenant=TENANT, voucher_no=vno, bill_no=v["bill_no"].to_numpy(), account_code=v["account_code"].to_numpy(),
        account_name=v["account_name"].to_numpy(), debit_amount=0.0, credit_amount=v["credit"].to_numpy(),
        business_date=v["business_date"].to_numpy(), shop_id=v["shop_id"].to_numpy(),
        create_time=v["t"].to_numpy(), update_time=v["t"].to_numpy()))
    return out


def _cost_bills(world: World, rng: np.random.Generator) -> pd.DataFrame:
    shops = world.shops
    real = shops[(shops["test_flag"] == 0) & (shops["internal"] == 0) & (shops["status"] == 1)]
    orders = world.orders
    rev = orders[orders["status"] == 90].groupby(["shop_id", "local_date"])["pay_money"].sum() / max(world.scale, 1e-9)
    rows = []
    for sid, opened in zip(real["id"], pd.to_datetime(real["set_up_time"])):
        days = pd.date_range(opened, END, freq="D")
        r = rev.reindex(pd.MultiIndex.from_product([[sid], days]), fill_value=0).to_numpy()
        for ctype, share in DAILY_COSTS:
            rows.append(pd.DataFrame(dict(shop_id=sid, day=days, cost_type=ctype, amount=r * share * rng.lognormal(0, 0.08, len(days)))))
        waste = rng.random(len(days)) < 0.37
        amount = r[waste] * 0.02 * rng.lognormal(0, 0.3, int(waste.sum()))
        rows.append(pd.DataFrame(dict(shop_id=sid, day=days[waste], cost_type="waste", amount=amount)))
        months = pd.date_range(opened.replace(day=1), END, freq="MS")
        for ctype, base in MONTHLY_COSTS:
            rows.append(pd.DataFrame(dict(shop_id=sid, day=months, cost_type=ctype, amount=base * rng.lognormal(0, 0.05, len(months)))))
    c = pd.concat(rows, ignore_index=True).sort_values(["day", "shop_id", "cost_type"], kind="stable")
    n = len(c)
    ids = np.arange(1, n + 1, dtype=np.int64)
    supplier = {"ingredients": "SUP001", "packaging": "SUP009", "labor": None, "payment_fee": None,
                "waste": None, "rent": None, "utilities": None}
    t = c["day"].to_numpy() + np.timedelta64(1, "D") + np.timedelta64(7, "h")
    return table_frame(DB, "t_acc_cost_bill", dict(
        id=ids, tenant=TENANT, bill_no=digits("CB", ids, 12), shop_id=c["shop_id"].to_numpy(),
        business_date=c["day"].to_numpy().astype("datetime64[D]"), cost_type=c["cost_type"].to_numpy(),
        amount=c["amount"].round(2).to_numpy(), currency_code="USD", supplier_code=c["cost_type"].map(supplier).to_numpy(),
        create_time=t, update_time=t))


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("accounting")
    bills, missing = _bills(world, rng)
    world.truth["reconciliation"]["missing_income_bill"] = missing
    yield DB, "t_acc_income_bill", bills
    yield DB, "t_pre_voucher_entry_assist", _vouchers(bills)
    yield DB, "t_acc_cost_bill", _cost_bills(world, rng)
