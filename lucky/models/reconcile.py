"""Three-way revenue reconciliation: orders (dollars) vs payments (Stripe cents) vs accounting.

Record level, orders and trades match on `order_no`; the kinds of break are the ones accounting
acts on: an order with no successful charge (missing_payment), a charge with no order
(orphan_payment), a charge that differs from the order by more than one cent (amount_mismatch),
an order charged more than once (duplicate_charge), and a store-day with sales but no income bill
after the accounting integration went live (missing_income_bill). Money is compared in integer
cents so float noise never makes a break. Currencies are never mixed: every row keeps its own.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SUCCESS = (1, 2, 3)
TOLERANCE_CENTS = 1                 # breaks are differences over $0.01
GO_LIVE_COVERAGE = 0.5              # share of trading store-days with a bill that marks go-live
KINDS = ("missing_payment", "orphan_payment", "amount_mismatch", "duplicate_charge", "missing_income_bill")
EXCEPTION_COLUMNS = ["kind", "order_no", "trade_no", "shop_id", "business_date", "currency_code",
                     "order_amount", "payment_amount", "difference", "trades"]


def cents(dollars: pd.Series) -> pd.Series:
    """Dollars (DECIMAL read as float) to integer cents, rounding away binary noise."""
    return (pd.to_numeric(dollars, errors="coerce").fillna(0.0) * 100).round().astype("int64")


def coarser(buckets: pd.DataFrame, k: int, prefixes: list[str] | None = None) -> pd.DataFrame:
    """Per order_no bucket counts (bucket, n, cents) of a wider bucket width summed to width k,
    only inside the (k-1)-character buckets `prefixes` (None: all). Exactly the source's own
    query at width k (the last k characters of the last w are the last k), so one wide scan
    serves every refinement round up to w."""
    b = buckets["bucket"].astype(str)
    if prefixes is not None:
        keep = b.str[-(k - 1):].isin(set(prefixes))          # refinement rounds have k >= 2
        buckets, b = buckets[keep], b[keep]
    out = buckets[["n", "cents"]].groupby(b.str[-k:].rename("bucket")).sum().reset_index()
    return out.astype({"n": "int64", "cents": "int64"})


def successful(trades: pd.DataFrame) -> pd.DataFrame:
    return trades[trades["status"].isin(SUCCESS)]


def _frame(rows: list[pd.DataFrame]) -> pd.DataFrame:
    rows = [r for r in rows if not r.empty]
    if not rows:
        return pd.DataFrame(columns=EXCEPTION_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    return out.reindex(columns=EXCEPTION_COLUMNS)


def match(orders: pd.DataFrame, trades: pd.DataFrame, known_orders: set[str]) -> pd.DataFrame:
    """Record-level breaks between completed orders and successful trades.

    orders: completed orders (order_no, shop_id, business_date, currency_code, pay_money dollars).
    trades: trades (trade_no, order_no, shop_id, business_date, currency_code, amount cents,
            status, create_time) covering those orders and the window's own charges.
    known_orders: every order_no that exists in t_order (any status), for orphan detection.
    Several successful trades that add up to the order are a split tender, not a break.
    """
    ok = successful(trades).copy()
    ok["amount"] = pd.to_numeric(ok["amount"], errors="coerce").fillna(0).astype("int64")
    ok = ok.sort_values(["create_time", "trade_no"], kind="stable") if "create_time" in ok else ok
    per_order = ok.groupby("order_no", sort=False).agg(
        trades=("trade_no", "size"), paid=("amount", "sum"),
        trade_nos=("trade_no", list), amounts=("amount", list)).reset_index()
    o = orders.copy()
    o["due"] = cents(o["pay_money"])
    o = o.merge(per_order, on="order_no", how="left")
    o["trades"] = o["trades"].fillna(0).astype(int)
    o["paid"] = o["paid"].fillna(0).astype("int64")
    base = o.assign(order_amount=o["due"] / 100, payment_amount=o["paid"] / 100,
                    difference=(o["paid"] - o["due"]) / 100)
    off = (o["paid"] - o["due"]).abs() > TOLERANCE_CENTS

    missing = base[(o["trades"] == 0) & (o["due"] > TOLERANCE_CENTS)].assign(kind="missing_payment", trade_no=None)
    single = base[(o["trades"] == 1) & off].copy()
    single["trade_no"] = single["trade_nos"].str[0]
    single["kind"] = "amount_mismatch"
    multi = base[(o["trades"] >= 2) & off].copy()
    repeated = multi["amounts"].map(_has_repeat)
    multi["kind"] = np.where(repeated, "duplicate_charge", "amount_mismatch")
    multi["trade_no"] = multi["trade_nos"].map(lambda t: ", ".join(t[1:]))
    # zero-due orders (fully discounted) with a charge are caught by `off` via the trade branches

    orphans = ok[~ok["order_no"].isin(known_orders) | ok["order_no"].isna()]
    orphan_rows = pd.DataFrame({
        "kind": "orphan_payment", "order_no": orphans["order_no"], "trade_no": orphans["trade_no"],
        "shop_id": orphans["shop_id"], "business_date": orphans["business_date"],
        "currency_code": orphans["currency_code"], "order_amount": np.nan,
        "payment_amount": orphans["amount"] / 100, "difference": orphans["amount"] / 100, "trades": 1,
    })
    return _frame([missing, single, multi, orphan_rows])


def _has_repeat(amounts: list[int]) -> bool:
    """Two charges of the same amount (within a cent) on one order: the signature of a double charge."""
    values = sorted(amounts)
    return any(abs(b - a) <= TOLERANCE_CENTS for a, b in zip(values, values[1:]))


def currency_conflicts(orders: pd.DataFrame, trades: pd.DataFrame) -> pd.DataFrame:
    """Successful trades whose currency differs from their order's: never summed, listed instead."""
    ok = successful(trades)[["trade_no", "order_no", "currency_code", "amount"]]
    merged = ok.merge(orders[["order_no", "shop_id", "business_date", "currency_code"]],
                      on="order_no", suffixes=("_trade", "_order"))
    return merged[merged["currency_code_trade"] != merged["currency_code_order"]].reset_index(drop=True)


def attribute_payments(orders: pd.DataFrame, trades: pd.DataFrame) -> pd.DataFrame:
    """Successful trades placed on their order's store-day and currency (a charge seconds after
    midnight still belongs to the order's business day); charges without an order keep their own."""
    ok = successful(trades)[["trade_no", "order_no", "shop_id", "business_date", "currency_code", "amount"]]
    o = orders[["order_no", "shop_id", "business_date", "currency_code"]]
    merged = ok.merge(o, on="order_no", how="left", suffixes=("_t", ""))
    for col in ("shop_id", "business_date", "currency_code"):
        merged[col] = merged[col].where(merged[col].notna(), merged[f"{col}_t"])
    return merged[["trade_no", "order_no", "shop_id", "business_date", "currency_code", "amount"]]


def go_live(order_days: pd.DataFrame, bill_days: pd.DataFrame) -> pd.Timestamp | None:
    """The accounting integration's go-live: the first business date on which at least half of the
    store-days with sales have an income bill. None when no bill exists."""
    if bill_days.empty or order_days.empty:
        return None
    keys = ["shop_id", "business_date"]
    od = order_days[keys].drop_duplicates()
    has = od.merge(bill_days[keys].drop_duplicates().assign(billed=True), on=keys, how="left")
    coverage = has.assign(billed=has["billed"].fillna(False).astype(bool)).groupby("business_date")["billed"].mean()
    live = coverage[coverage >= GO_LIVE_COVERAGE]
    return pd.Timestamp(live.index.min()) if len(live) else None


def missing_bills(order_days: pd.DataFrame, bill_days: pd.DataFrame,
                  start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.DataFrame:
    """Store-days with sales and no income bill between go-live and the last booked day, for stores
    that the integration covers (stores with at least one bill). Columns as `match`."""
    if start is None or order_days.empty:
        return pd.DataFrame(columns=EXCEPTION_COLUMNS)
    keys = ["shop_id", "business_date"]
    covered = set(bill_days["shop_id"].unique())
    days = order_days[(order_days["business_date"] >= start) & (order_days["business_date"] <= end)
                      & order_days["shop_id"].isin(covered)]
    billed = bill_days[keys].drop_duplicates().assign(billed=True)
    days = days.merge(billed, on=keys, how="left")
    gone = days[days["billed"].isna()]
    return _frame([pd.DataFrame({
        "kind": "missing_income_bill", "order_no": None, "trade_no": None, "shop_id": gone["shop_id"],
        "business_date": gone["business_date"], "currency_code": gone["currency_code"],
        "order_amount": gone["orders_total"], "payment_amount": np.nan,
        "difference": -gone["orders_total"], "trades": np.nan})])


def daily(orders: pd.DataFrame, payments: pd.DataFrame, bills: pd.DataFrame,
          live_from: pd.Timestamp | None, live_to: pd.Timestamp | None,
          open_orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per store, business day and currency: orders, payments and accounting totals in dollars,
    from order rows or pre-aggregated ones (pay_money and an `orders` count per row), charges
    (amount in cents) and bills (amount in dollars),
    with match flags (within $0.01). Orders paid but still in production (`open_orders`, same
    shape as `orders`) are charged already: they are shown apart as `open_order_charges` and the
    payments column is matched against completed plus open orders. Accounting is only judged
    between go-live and the last booked day; outside that window `accounting_match` is NA and does not count against the match."""
    keys = ["shop_id", "business_date", "currency_code"]
    cols = keys + ["orders", "orders_total", "payments_total", "open_order_charges", "accounting_total",
                   "payments_diff", "accounting_diff", "payments_match", "accounting_match", "matched"]
    sums = []
    if len(orders):
        counted = orders if "orders" in orders else orders.assign(orders=1)
        sums.append(counted.assign(orders_c=cents(counted["pay_money"])).groupby(keys)[["orders_c", "orders"]].sum())
    if len(payments):
        sums.append(payments.groupby(keys)["amount"].sum().rename("payments_c"))
    if len(bills):
        sums.append(bills.assign(c=cents(bills["amount"])).groupby(keys)["c"].sum().rename("accounting_c"))
    if open_orders is not None and len(open_orders):
        sums.append(open_orders.assign(c=cents(open_orders["pay_money"])).groupby(keys)["c"].sum().rename("open_c"))
    if not sums:
        return pd.DataFrame(columns=cols)
    out = pd.concat(sums, axis=1).reset_index()
    out = out.reindex(columns=list(out.columns) + [c for c in ("orders_c", "orders", "payments_c", "accounting_c", "open_c")
                                                   if c not in out.columns])
    for col in ("orders_c", "payments_c", "orders", "open_c"):
        out[col] = out[col].fillna(0).astype("int64")
    out["payments_match"] = (out["orders_c"] + out["open_c"] - out["payments_c"]).abs() <= TOLERANCE_CENTS
    judged = pd.Series(False, index=out.index)
    if live_from is not None:
        judged = (out["business_date"] >= live_from) & (out["business_date"] <= live_to)
    acc = out["accounting_c"].fillna(0)
    out["accounting_match"] = pd.Series(((out["orders_c"] - acc).abs() <= TOLERANCE_CENTS), dtype="boolean")
    out.loc[~judged, "accounting_match"] = pd.NA
    out["matched"] = out["payments_match"] & out["accounting_match"].fillna(True).astype(bool)
    out["orders_total"] = out["orders_c"] / 100
    out["payments_total"] = out["payments_c"] / 100
    out["accounting_total"] = out["accounting_c"] / 100
    out["open_order_charges"] = out["open_c"] / 100
    out["payments_diff"] = (out["payments_c"] - out["open_c"] - out["orders_c"]) / 100
    out["accounting_diff"] = ((out["accounting_c"] - out["orders_c"]) / 100).where(judged)
    return out[cols].sort_values(["business_date", "shop_id"]).reset_index(drop=True)


def match_rate(days: pd.DataFrame) -> float | None:
    """Share of store-days where every judged column matches; None with no store-days."""
    return float(days["matched"].mean()) if len(days) else None
