"""Tool 7, Daily Revenue Reconciliation: orders vs payments vs accounting per store-local business
day, the record-level breaks accounting acts on, and processing fees per channel.

Orders, payments and accounting live on three servers. Day totals are aggregated at each source.
Records are compared per order_no bucket and only the buckets that disagree are read row by row
(see `lucky.queries.finance`), so the full history reconciles without shipping every row.
"""
from __future__ import annotations

import copy

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Output, Tool, Viewer
from lucky.errors import SourceError
from lucky.models import fees, reconcile
from lucky.models import shops as real_shops
from lucky.models import timezones as tzm
from lucky.models.tenancy import store_currency
from lucky.queries import accounting, finance, payments
from lucky.queries import shops as shop_q
from lucky.tools import _memo
from lucky.ui import formats

#: order_no buckets: start with the last 3 characters, split the disagreeing ones a character at a
#: time until they hold few enough rows to read one by one
FIRST_WIDTH, MAX_WIDTH, DRILL_ROWS = 3, 8, 12_000
#: one scan per side at this width (at most 10^5 buckets of digits) serves every round up to it
#: (`reconcile.coarser`); wider rounds go back to the source inside the disagreeing buckets
SCAN_WIDTH = 5


def _day_frames(filters: Filters, shops: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    orders = finance.completed_parts(filters.start, filters.end, filters.stores, shops, finance.CHARGED)
    trades = payments.trade_parts(filters.start, filters.end, filters.stores, shops)
    bills = accounting.bill_days(filters.start, filters.end, filters.stores)
    return orders, trades, bills


def _records(filters: Filters, shops: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, set[str], dict]:
    """Orders and charges of the buckets where the two systems disagree, plus every order_no known."""
    start, end = filters.start, filters.end
    k, prefixes, buckets = FIRST_WIDTH, None, 0
    wide_o, wide_t = finance.order_buckets(start, end, SCAN_WIDTH), payments.trade_buckets(start, end, SCAN_WIDTH)
    while True:
        if k <= SCAN_WIDTH:
            ob, tb = reconcile.coarser(wide_o, k, prefixes), reconcile.coarser(wide_t, k, prefixes)
        else:
            ob, tb = finance.order_buckets(start, end, k, prefixes), payments.trade_buckets(start, end, k, prefixes)
        both = ob.merge(tb, on="bucket", how="outer", suffixes=("_o", "_t")).fillna(0)
        buckets += len(both)
        differ = (both["n_o"] != both["n_t"]) | (both["cents_o"] != both["cents_t"])
        bad = both.loc[differ, "bucket"].astype(str).tolist()
        rows_behind = both.loc[differ, ["n_o", "n_t"]].to_numpy().sum()
        if k >= MAX_WIDTH or rows_behind <= DRILL_ROWS:
            break
        k, prefixes = k + 1, bad
    orders = finance.orders_in_buckets(start, end, k, bad)
    trades = payments.trades_in_buckets(start, end, k, bad)
    unpaid = sorted(set(orders["order_no"]) - set(trades["order_no"].dropna()))
    late = payments.trades_by_order(unpaid)                       # charged outside the window
    trades = pd.concat([trades, late], ignore_index=True).drop_duplicates("trade_no")
    unknown = sorted(set(trades["order_no"].dropna()) - set(orders["order_no"]))
    elsewhere = finance.orders_by_no(unknown)                     # exist, but outside the window or not completed
    known = set(orders["order_no"]) | set(elsewhere["order_no"])
    stats = {"buckets": buckets, "drilled": len(bad), "width": k, "orders_read": len(orders), "trades_read": len(trades)}
    # every record, not only the range's: a charge a day late still matches its order
    orders = tzm.on_business_days(orders[orders["status"] == finance.COMPLETED], shops, None, None, "create_time")
    trades = tzm.on_business_days(trades, shops, None, None, "create_time")
    return orders, trades, known, stats


def run(filters: Filters, viewer: Viewer, include_test: bool = False) -> Output:
    """The whole output (it does not depend on the viewer: `execute` applies their rights after),
    kept per data version and filters (`_memo`): compliance and the briefing run this tool too,
    and the full-history record matching is ~0.8 s CPU at scale 1."""
    key = _memo.source_key(*TOOL.sources) + (filters, include_test)
    return copy.deepcopy(_memo.memo("reconciliation.output", key, lambda: _run(filters, include_test)))


def _run(filters: Filters, include_test: bool) -> Output:
    out = Output()
    cur = filters.currency
    shops = shop_q.shops()
    filters = real_shops.scope(filters, shops, include_test)
    names = shops.set_index("shop_id")["shop_name"]
    bad_zone = shops[~shops["time_zone"].map(tzm.known_zone)]

    orders_p, trades_p, bills = _day_frames(filters, shops)
    o_rec, t_rec, known, stats = _records(filters, shops)
    if orders_p["shop_id"].isin(bad_zone["shop_id"]).any() or o_rec["shop_id"].isin(bad_zone["shop_id"]).any():
        out.note("warning", "Stores without a usable time zone have their orders and charges placed on the "
                            f"UTC day (shops {', '.join(map(str, bad_zone['shop_id']))}): fix t_shop_info.time_zone.")

    # ---- currency: each reconciled on its own, never summed together
    conflicts = reconcile.currency_conflicts(o_rec, t_rec)
    trade_cur = payments.currency_groups(exact=False)
    expected = trade_cur["shop_id"].map(store_currency(shops))
    foreign = trade_cur[trade_cur["currency_code"] != expected].sort_values(["shop_id", "currency_code"])
    if len(foreign):
        out.note("warning", f"{int(foreign['trades'].sum()):,} charges are in a currency their store does not use "
                            f"({', '.join(f'shop {s}: {c}' for s, c in zip(foreign['shop_id'], foreign['currency_code']))}); "
                            "they are reconciled under their own currency only.")
    other = sorted(set(map(str, orders_p["currency_code"].dropna())) - {cur})
    if other:
        out.note("info", f"{', '.join(other)} is reconciled separately: switch the currency filter to see it. "
                         "It is never added to the " + cur + " totals.")
    orders_p, trades_p = orders_p[orders_p["currency_code"] == cur], trades_p[trades_p["currency_code"] == cur]
    bills = bills[bills["currency_code"] == cur]

    # ---- day view and accounting go-live
    order_days = orders_p.groupby(["shop_id", "business_date", "currency_code"])["pay_money"].sum() \
        .rename("orders_total").reset_index()
    live_from = reconcile.go_live(order_days, bills)
    live_to = bills["business_date"].max() if len(bills) else None
    open_orders = orders_p[orders_p["status"] != finance.COMPLETED]
    orders_p = orders_p[orders_p["status"] == finance.COMPLETED]
    days = reconcile.daily(orders_p, trades_p, bills, live_from, live_to, open_orders)
    days.insert(1, "shop_name", days["shop_id"].map(names))

    # ---- record level
    exc = reconcile.match(o_rec, t_rec, known)
    exc = pd.concat([exc, reconcile.missing_bills(order_days, bills, live_from, live_to)], ignore_index=True)
    exc = tzm.in_days(exc, filters.start, filters.end)
    if filters.stores:
        exc = exc[exc["shop_id"].isin(filters.stores)]
    exc_other = exc[exc["currency_code"] != cur]
    exc = exc[exc["currency_code"] == cur].copy()
    exc.insert(4, "shop_name", exc["shop_id"].map(names))
    exc = exc.sort_values(["kind", "business_date", "shop_id"], kind="stable").reset_index(drop=True)
    if len(exc_other):
        out.note("info", f"{len(exc_other)} exceptions in {', '.join(sorted(map(str, exc_other['currency_code'].dropna().unique())))} "
                         "are listed under that currency.")

    # ---- fees
    fp = payments.fees(filters.start, filters.end, filters.stores, shops)
    fp = fp[fp["currency_code"] == cur]
    fp["month"] = fp["business_date"].dt.to_period("M").dt.to_timestamp()
    fee_daily = fees.period_rates(fp, "business_date") if len(fp) else pd.DataFrame()
    fee_monthly = fees.period_rates(fp, "month") if len(fp) else pd.DataFrame()
    monthly_all = fees.period_rates(fp.assign(channel_id=0), "month") if len(fp) else pd.DataFrame()

    # ---- messages and KPIs
    if days.empty:
        out.note("info", f"No completed {cur} orders or charges in this date range and store selection.")
    if live_from is None:
        out.note("warning", "No accounting income bills in this range: the accounting column is not judged "
                            "(the integration is not live for these days).")
    else:
        out.note("info", f"Accounting integration live from {live_from:%Y-%m-%d} (first day with income bills for "
                         f"most trading stores) to {live_to:%Y-%m-%d} (last booked day); days outside are not judged.")
    rate = reconcile.match_rate(days)
    by_kind = exc["kind"].value_counts()
    total_fee = float(fp["total_fee"].sum()) / 100 if len(fp) else 0.0
    base = float(fp["amount"].sum()) / 100 if len(fp) else 0.0
    out.kpis = [
        Kpi("Match rate", None if rate is None else round(rate * 100, 2), "%",
            help="Store-days where orders, payments and (after go-live) accounting agree within $0.01"),
        Kpi("Orders total", float(days["orders_total"].sum()) if len(days) else 0.0, "$"),
        Kpi("Payments total", float(days["payments_total"].sum()) if len(days) else 0.0, "$"),
        Kpi("Accounting total", float(days["accounting_total"].sum()) if len(days) else 0.0, "$"),
        Kpi("Exceptions", len(exc), help=", ".join(f"{k}: {v}" for k, v in by_kind.items())),
        Kpi("Store-days", len(days)),
        Kpi("Processing fees", total_fee, "$"),
        Kpi("Effective rate", round(total_fee / base * 100, 3) if base else None, "%"),
    ]
    out.note("info", f"Record matching compared {stats['buckets']:,} order_no buckets and read the "
                     f"{stats['drilled']:,} that disagree ({stats['orders_read']:,} orders, "
                     f"{stats['trades_read']:,} charges); the others agree on count and cents.")
    if len(days):
        out.charts["daily-difference"] = _chart(days, cur)
    out.tables["exceptions"] = _dates(exc, "business_date")
    out.tables["daily"] = _dates(days, "business_date")
    out.tables["fees-daily"] = _dates(fee_daily, "business_date")
    out.tables["fees-monthly"] = fee_monthly.assign(month=fee_monthly["month"].dt.strftime("%Y-%m")) if len(fee_monthly) else fee_monthly
    out.tables["effective-rate-monthly"] = (monthly_all.drop(columns="channel_id").assign(
        month=monthly_all["month"].dt.strftime("%Y-%m")) if len(monthly_all) else monthly_all)
    if len(conflicts):
        out.tables["currency-conflicts"] = conflicts
    try:
        out.tables["rules"] = accounting.reconcile_rules()
    except SourceError as exc:
        out.note("warning", f"Reconciliation rules unavailable ({exc}); the checks above use a $0.01 tolerance.")
    return real_shops.finish(out, shops, include_test)


def _dates(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Business days as dates (not midnight timestamps) for the screen and the CSV export."""
    if col in df and len(df):
        df = df.assign(**{col: pd.to_datetime(df[col]).dt.date})
    return df


def _chart(days: pd.DataFrame, currency: str) -> alt.Chart:
    """Per business day, payments and accounting minus orders (0 = in balance; accounting only
    where it is judged)."""
    d = days.groupby("business_date")[["payments_diff", "accounting_diff"]].sum(min_count=1).reset_index()
    long = d.melt("business_date", var_name="difference", value_name="dollars").dropna()
    long["difference"] = long["difference"].map({"payments_diff": "payments - orders",
                                                 "accounting_diff": "accounting - orders"})
    return alt.Chart(long).mark_bar(opacity=0.8).encode(
        x=alt.X("business_date:T", title="Business day (store-local)"),
        y=alt.Y("dollars:Q", title=formats.money_title("Difference", currency)), color=alt.Color("difference:N", title=""),
        tooltip=["business_date:T", "difference:N", alt.Tooltip("dollars:Q", **formats.money_tooltip("difference", currency))])


TOOL = Tool(
    slug="reconciliation", number=7, title="Daily Revenue Reconciliation", department="Finance",
    roles=frozenset({"finance"}),
    sources=("luckyus_sales_order", "luckyus_sales_payment", "luckyus_ifiaccounting", "luckyus_opshop",
             "luckyus_iunifiedreconcile"),
    run=run, options=(real_shops.INCLUDE_TEST,), icon=":material/balance:",
    description="Orders vs Stripe payments vs accounting per store-local business day, record-level "
                "exceptions, and processing fees per channel.",
    precompute=True,
)
