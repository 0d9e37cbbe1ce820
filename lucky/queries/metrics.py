"""Daily metric inputs per store for the anomaly engine and the briefing.

Each function reads one database with portable SQL, aggregated at the source per shop and UTC
hour where the metric allows it (counts and sums), and turns UTC hours into store-local days
with `lucky.models.timezones` (the one definition of a day). Durations and percentiles need the
rows, so production and cup timings come back as rows of a bounded window and are reduced in
pandas. Dates are store-local days, inclusive; pass the history a baseline needs.

Where an hour is finer than needed, queries group by *day part* instead: the UTC hours between
consecutive local midnights of the stores' zones (`timezones.midnight_hours`), each of which lies
inside one local day in every zone, so a handful of groups per day still maps exactly onto
store-local days. Durations come from a portable seconds-of-day expression (EXTRACT of hour,
minute and second, plus a day when the dates differ); production percentiles come from a
histogram of log-spaced buckets 10% wide (p50/p95 within about 5%).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from lucky import sources
from lucky.models.histogram import histogram_quantile
from lucky.models.inventory import usage
from lucky.models.timezones import localize, midnight_hours, to_local, utc_bounds
from lucky.queries import orders as order_queries
from lucky.schema import ORDER_CANCELLED, ORDER_COMPLETED, ORDER_REFUNDED, WEEKDAYS

#: accept -> done longer than this, or negative, cannot be a real drink (the seed's tail ends
#: below two hours: tickets left open that long are a clock or sync fault).
IMPOSSIBLE_SECONDS = 7200
SUCCESS_TRADES = (1, 2, 3)


def _window(column: str, start: date | None, end: date | None) -> tuple[str, dict]:
    if start is None and end is None:
        return "", {}
    lo, hi = utc_bounds(start or date(1970, 1, 1), end or date(2100, 1, 1))
    return (f" AND {column} >= :lo AND {column} < :hi",
            {"lo": lo.to_pydatetime(), "hi": hi.to_pydatetime()})


def _days(frame: pd.DataFrame, shops: pd.DataFrame, start, end, ts_col: str = "utc_time",
          hour: bool = False) -> pd.DataFrame:
    """Add the store-local `date` (and with `hour` the local hour) and keep the days asked for
    (rows of unknown zones dropped)."""
    if frame.empty:
        return frame.assign(date=pd.Series(dtype="datetime64[ns]"))
    out = localize(frame, shops, ts_col).rename(columns={"business_date": "date"})
    out = out[out["date"].notna()]
    if start is not None:
        out = out[out["date"] >= pd.Timestamp(start)]
    if end is not None:
        out = out[out["date"] <= pd.Timestamp(end)]
    if hour:
        out = out.assign(hour=out["local_time"].dt.hour)
    return out.drop(columns=["local_time"])


def _hour(df: pd.DataFrame) -> pd.DataFrame:
    df["utc_time"] = pd.to_datetime(df.pop("utc_day")) + pd.to_timedelta(df.pop("utc_hour").astype(int), unit="h")
    return df


def _part(col: str, shops: pd.DataFrame, start, end) -> str:
    """SQL for the starting UTC hour of the day part `col` falls in (see the module doc)."""
    edges = midnight_hours(shops["time_zone"].dropna().unique(), start, end)
    if len(edges) == 1:
        return "0"
    cases = " ".join(f"WHEN EXTRACT(HOUR FROM {col}) < {hi} THEN {lo}" for lo, hi in zip(edges, edges[1:]))
    return f"CASE {cases} ELSE {edges[-1]} END"


def _seconds(start: str, end: str) -> str:
    """Portable SQL for end - start in seconds, exact for spans under two days; longer spans
    come out at least a day, which is all the callers need to know."""
    def sod(c: str) -> str:
        return f"(EXTRACT(HOUR FROM {c}) * 3600 + EXTRACT(MINUTE FROM {c}) * 60 + EXTRACT(SECOND FROM {c}))"
    return (f"({sod(end)} - {sod(start)} + CASE WHEN CAST({end} AS DATE) > CAST({start} AS DATE) THEN 86400 "
            f"WHEN CAST({end} AS DATE) < CAST({start} AS DATE) THEN -86400 ELSE 0 END)")


def orders_hours(shops: pd.DataFrame, start=None, end=None, currency: str | None = None) -> pd.DataFrame:
    """Per store, local day and local hour: placed (completed + refunded + cancelled), orders
    (completed), revenue (completed pay_money), cancelled, refunded. Built on `orders.hourly`;
    every zone in use is a whole number of hours from UTC, so UTC hours map onto local hours.
    With `currency`, only orders recorded in it (a store's figures in its own money)."""
    h = order_queries.hourly(start, end, tuple(shops["shop_id"]), statuses=(90, 70, 0))
    if currency is not None:
        h = h[h["currency_code"] == currency] if len(h) else h
    cols = ["shop_id", "date", "hour", "placed", "orders", "revenue", "cancelled", "refunded"]
    if h.empty:
        return pd.DataFrame(columns=cols)
    h = _days(h, shops, start, end, hour=True)
    h["orders_90"] = np.where(h["status"] == ORDER_COMPLETED, h["orders"], 0)
    h["revenue"] = np.where(h["status"] == ORDER_COMPLETED, h["pay_money"].fillna(0), 0.0)
    h["cancelled"] = np.where(h["status"] == ORDER_CANCELLED, h["orders"], 0)
    h["refunded"] = np.where(h["status"] == ORDER_REFUNDED, h["orders"], 0)
    g = h.groupby(["shop_id", "date", "hour"], as_index=False).agg(
        placed=("orders", "sum"), orders=("orders_90", "sum"), revenue=("revenue", "sum"),
        cancelled=("cancelled", "sum"), refunded=("refunded", "sum"))
    return g[cols]


def orders_daily(shops: pd.DataFrame, start=None, end=None, hours: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per store-day: placed, orders, revenue, cancelled, refunded (the sums of `orders_hours`,
    which is read unless given)."""
    hours = orders_hours(shops, start, end) if hours is None else hours
    cols = ["shop_id", "date", "placed", "orders", "revenue", "cancelled", "refunded"]
    if hours.empty:
        return pd.DataFrame(columns=cols)
    return hours.groupby(["shop_id", "date"], as_index=False)[cols[2:]].sum()[cols]


def fees_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per store-day and payment channel: successful trades, amount and fee (cents)."""
    where, params = _window("create_time", start, end)
    params.update(statuses=list(SUCCESS_TRADES), shops=list(shops["shop_id"]))
    part = _part("create_time", shops, start, end)
    df = sources.read_frame("luckyus_sales_payment", f"""
        SELECT shop_id, channel_id, CAST(create_time AS DATE) AS utc_day, {part} AS utc_hour,
               COUNT(*) AS trades, SUM(amount) AS amount_cents, SUM(fee) AS fee_cents
        FROM luckyus_sales_payment.t_trade
        WHERE status IN :statuses AND shop_id IN :shops{where}
        GROUP BY shop_id, channel_id, CAST(create_time AS DATE), {part}""", params)
    cols = ["shop_id", "date", "channel_id", "trades", "amount_cents", "fee_cents"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _days(_hour(df), shops, start, end)
    return df.groupby(["shop_id", "date", "channel_id"], as_index=False)[["trades", "amount_cents", "fee_cents"]].sum()[cols]


BUCKETS_PER_E = 10   # histogram resolution: buckets exp(k/10) seconds wide, 10% apart


def production_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per store-day: finished productions n, p50/p95 accept->done seconds of the possible ones
    (from the log-spaced histogram), and how many were impossible (done before accept, or open
    longer than two hours)."""
    where, params = _window("create_time", start, end)
    params["shops"] = list(shops["shop_id"])
    dur = _seconds("accept_time", "done_time")
    part = _part("create_time", shops, start, end)
    df = sources.read_frame("luckyus_opproduction", f"""
        SELECT shop_id, utc_day, utc_hour, bucket, COUNT(*) AS n FROM (
            SELECT shop_id, CAST(create_time AS DATE) AS utc_day, {part} AS utc_hour,
                   CASE WHEN {dur} < 0 OR {dur} > {IMPOSSIBLE_SECONDS} THEN -1
                        ELSE FLOOR(LN({dur} + 1) * {BUCKETS_PER_E}) END AS bucket
            FROM luckyus_opproduction.t_production
            WHERE accept_time IS NOT NULL AND done_time IS NOT NULL AND shop_id IN :shops{where}) AS p
        GROUP BY shop_id, utc_day, utc_hour, bucket""", params)
    cols = ["shop_id", "date", "n", "p50", "p95", "impossible"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _days(_hour(df), shops, start, end)
    df["bucket"] = df["bucket"].astype(int)
    df["n"] = df["n"].astype(int)
    hist = df.groupby(["shop_id", "date", "bucket"], as_index=False)["n"].sum()
    bad = hist[hist["bucket"] < 0].set_index(["shop_id", "date"])["n"]
    ok = hist[hist["bucket"] >= 0].sort_values(["shop_id", "date", "bucket"])
    out = ok.groupby(["shop_id", "date"])["n"].sum().to_frame("ok")
    out["impossible"] = bad.reindex(out.index).fillna(0).astype(int)
    out = out.join(bad.rename("only_bad").to_frame(), how="outer").fillna({"ok": 0, "impossible": 0})
    out["impossible"] = out["impossible"].where(out["ok"] > 0, out["only_bad"].fillna(0)).astype(int)
    out["n"] = (out["ok"] + out["impossible"]).astype(int)
    for q, name in ((0.5, "p50"), (0.95, "p95")):
        out[name] = histogram_quantile(ok, q, BUCKETS_PER_E).reindex(out.index)
    return out.reset_index()[cols]



def devices_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per device-day: cups made and the mean machine cycle (start -> end seconds)."""
    where, params = _window("start_time", start, end)
    params["shops"] = list(shops["shop_id"])
    cycle = _seconds("start_time", "end_time")
    part = _part("start_time", shops, start, end)
    df = sources.read_frame("luckyus_iot_platform", f"""
        SELECT shop_id, device_no, CAST(start_time AS DATE) AS utc_day, {part} AS utc_hour,
               COUNT(*) AS cups, SUM({cycle}) AS cycle_total
        FROM luckyus_iot_platform.t_cup_order_info
        WHERE end_time IS NOT NULL AND end_time > start_time AND shop_id IN :shops{where}
        GROUP BY shop_id, device_no, CAST(start_time AS DATE), {part}""", params)
    cols = ["shop_id", "device_no", "date", "cups", "cycle_s"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _days(_hour(df), shops, start, end)
    g = df.groupby(["shop_id", "device_no", "date"], as_index=False)[["cups", "cycle_total"]].sum()
    g["cycle_s"] = g["cycle_total"].astype(float) / g["cups"]
    return g[cols]


def _sales_union(select: str, shops: pd.DataFrame, start, end) -> tuple[str, dict]:
    """The seven weekday change tables' sale-consumption rows (change_type 1) of these shops and
    days as one UNION ALL selecting `select`, and its parameters."""
    params: dict = {"shops": list(shops["shop_id"])}
    where = ""
    if start is not None:
        where += " AND business_date >= :start"
        params["start"] = pd.Timestamp(start).date()
    if end is not None:
        where += " AND business_date <= :end"
        params["end"] = pd.Timestamp(end).date()
    return " UNION ALL ".join(
        f"SELECT {select} FROM luckyus_scm_shopstock.t_shop_goods_stock_change_{wd} "
        f"WHERE change_type = 1 AND shop_id IN :shops{where}" for wd in WEEKDAYS), params


def consumption_last_day(shops: pd.DataFrame, start=None, end=None) -> pd.Timestamp | None:
    """The latest store-local day with sale consumption of these shops in [start, end] (None when
    there is none): the last day a demand forecast can be judged against. One MAX at the source
    instead of reading the days."""
    union, params = _sales_union("MAX(business_date) AS d", shops, start, end)
    df = sources.read("luckyus_scm_shopstock", f"SELECT MAX(d) AS d FROM ({union}) AS days", params)
    d = df["d"].iloc[0] if len(df) else None
    return None if d is None or pd.isna(d) else pd.Timestamp(d)


def consumption_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Stock consumed by sales per store-day and goods (the seven weekday change tables),
    as positive quantities. `business_date` is already the store's day in the stock system."""
    union, params = _sales_union("shop_id, business_date, goods_code, change_qty", shops, start, end)
    df = sources.read_frame("luckyus_scm_shopstock", f"""
        SELECT shop_id, business_date, goods_code, SUM(change_qty) AS qty
        FROM ({union}) AS changes
        GROUP BY shop_id, business_date, goods_code""", params)
    cols = ["shop_id", "date", "goods_code", "consumed"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["date"] = pd.to_datetime(df["business_date"])
    df["consumed"] = df["qty"].astype(float).abs()
    return df[cols]


def items_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Items sold (completed orders) per store-day and sku: spu_code, sku_code, quantity."""
    where, params = _window("o.create_time", start, end)
    part = _part("o.create_time", shops, start, end)
    params["shops"] = list(shops["shop_id"])
    df = sources.read_frame("luckyus_sales_order", f"""
        SELECT o.shop_id, i.spu_code, i.sku_code, CAST(o.create_time AS DATE) AS utc_day,
               {part} AS utc_hour, SUM(COALESCE(i.quantity, 1)) AS quantity
        FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id
        WHERE o.status = {ORDER_COMPLETED} AND o.shop_id IN :shops{where}
        GROUP BY o.shop_id, i.spu_code, i.sku_code, CAST(o.create_time AS DATE), {part}""",
        params)
    cols = ["shop_id", "date", "spu_code", "sku_code", "quantity"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _days(_hour(df), shops, start, end)
    return df.groupby(["shop_id", "date", "spu_code", "sku_code"], as_index=False, dropna=False)["quantity"].sum()[cols]


def recipes() -> pd.DataFrame:
    """Recipe lines in force (t_formula_spu status 1; every line when no status is set):
    spu_code, sku_code, goods_code, quantity per unit sold."""
    sql = "SELECT spu_code, sku_code, goods_code, quantity FROM luckyus_scm_commodity.t_formula_spu"
    df = sources.read("luckyus_scm_commodity", sql + " WHERE status = 1")
    return df if not df.empty else sources.read("luckyus_scm_commodity", sql)


def usage_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per store-day and goods: stock consumed by sales vs what the day's completed sales imply
    through the recipes (actual vs theoretical usage), and `items`, the completed items of
    products that need the goods (their sales fall when it runs out). Items join their recipe by
    sku; an item whose sku has no recipe uses its product's recipe (the first sku of the spu that
    has one). Store-days with no consumption or no implied use are left out."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:   # three databases, read side by side
        consumed_f = pool.submit(consumption_daily, shops, start, end)
        items_f, rec_f = pool.submit(items_daily, shops, start, end), pool.submit(recipes)
        return usage(consumed_f.result(), items_f.result(), rec_f.result())


def registrations_daily(start=None, end=None, zone: str = "America/New_York") -> pd.DataFrame:
    """New CRM registrations per day (the user's own time zone, else the chain's)."""
    where, params = _window("register_time", start, end)
    df = sources.read("luckyus_sales_crm", f"""
        SELECT time_zone, CAST(register_time AS DATE) AS utc_day,
               EXTRACT(HOUR FROM register_time) AS utc_hour, COUNT(*) AS users
        FROM luckyus_sales_crm.t_user
        WHERE register_time IS NOT NULL{where}
        GROUP BY time_zone, CAST(register_time AS DATE), EXTRACT(HOUR FROM register_time)""", params)
    if df.empty:
        return pd.DataFrame(columns=["date", "users"])
    df = _hour(df)
    zones = df["time_zone"].where(df["time_zone"].notna(), zone)
    df["date"] = to_local(df["utc_time"], zones).dt.normalize()
    df = df[df["date"].notna()]
    if start is not None:
        df = df[df["date"] >= pd.Timestamp(start)]
    if end is not None:
        df = df[df["date"] <= pd.Timestamp(end)]
    return df.groupby("date", as_index=False)["users"].sum()


def order_span(shops: pd.DataFrame) -> pd.DataFrame:
    """Per shop: store-local first and last day with an order (store age and the data's end),
    and `horizon`: the freshest order of the whole chain in the shop's local time (how far the
    data reaches, which tells whether the shop's last day is over)."""
    df = sources.read("luckyus_sales_order", """
        SELECT shop_id, MIN(create_time) AS first_utc, MAX(create_time) AS last_utc
        FROM luckyus_sales_order.t_order WHERE shop_id IN :shops GROUP BY shop_id""",
        {"shops": list(shops["shop_id"])})
    if df.empty:
        return pd.DataFrame(columns=["shop_id", "first_day", "last_day", "horizon"])
    zones = df["shop_id"].map(shops.set_index("shop_id")["time_zone"])
    freshest = pd.Series(pd.to_datetime(df["last_utc"]).max(), index=df.index)
    return pd.DataFrame({"shop_id": df["shop_id"],
                         "first_day": to_local(df["first_utc"], zones).dt.normalize(),
                         "last_day": to_local(df["last_utc"], zones).dt.normalize(),
                         "horizon": to_local(freshest, zones)})


def daily_inputs(shops: pd.DataFrame, start=None, end=None, usage_start=None) -> dict[str, pd.DataFrame]:
    """Every input of `lucky.models.anomaly.detect` for these shops and local days, read
    concurrently (each reads its own database), plus `hours`, the orders per local hour that
    the daily orders are summed from (for `lucky.models.intraday`). `usage_start` can shorten
    the costliest input's history: the consumption/recipe ratio needs no weekday seasonality."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = {   # the costliest first, and all at once: DuckDB and the drivers release the GIL
        "usage": lambda: usage_daily(shops, usage_start or start, end),
        "hours": lambda: orders_hours(shops, start, end),
        "production": lambda: production_daily(shops, start, end),
        "fees": lambda: fees_daily(shops, start, end),
        "devices": lambda: devices_daily(shops, start, end),
        "registrations": lambda: registrations_daily(start, end),
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        out = {name: f.result() for name, f in futures.items()}
    out["orders"] = orders_daily(shops, hours=out["hours"])
    return out


# ---------------------------------------------------------------- briefing inputs
def device_status(shops: pd.DataFrame) -> pd.DataFrame:
    """The machine fleet now (t_device has no history): shop_id, device_no, machine_type, status
    (1 online / 0 offline), online_status, last_maintenance_date."""
    return sources.read("luckyus_iot_platform", """
        SELECT shop_id, device_no, machine_type, status, online_status, last_maintenance_date
        FROM luckyus_iot_platform.t_device WHERE shop_id IN :shops""", {"shops": list(shops["shop_id"])})


def stock_position(shops: pd.DataFrame, day) -> pd.DataFrame:
    """Stock positions of the latest stock day on or before `day`: shop_id, goods_code,
    goods_name, stock_qty, safety_qty, stock_date (empty when none)."""
    params = {"shops": list(shops["shop_id"]), "day": pd.Timestamp(day).date()}
    last = sources.read("luckyus_scm_shopstock", """
        SELECT MAX(stock_date) AS d FROM luckyus_scm_shopstock.t_shop_goods_stock
        WHERE stock_date <= :day AND shop_id IN :shops""", params)
    if last.empty or pd.isna(last["d"].iloc[0]):
        return pd.DataFrame(columns=["shop_id", "goods_code", "goods_name", "stock_qty", "safety_qty", "stock_date"])
    params["d"] = pd.Timestamp(last["d"].iloc[0]).date()
    return sources.read("luckyus_scm_shopstock", """
        SELECT shop_id, goods_code, goods_name, stock_qty, safety_qty, stock_date
        FROM luckyus_scm_shopstock.t_shop_goods_stock
        WHERE stock_date = :d AND shop_id IN :shops""", params)


def coupons_daily(start, end, zone: str = "America/New_York") -> pd.DataFrame:
    """Coupons redeemed per chain day (the chain's zone: coupons carry no store): date, used, discount."""
    where, params = _window("use_time", start, end)
    df = sources.read("luckyus_sales_marketing", f"""
        SELECT CAST(use_time AS DATE) AS utc_day, EXTRACT(HOUR FROM use_time) AS utc_hour,
               COUNT(*) AS used, SUM(discount_amount) AS discount
        FROM luckyus_sales_marketing.t_coupon_record
        WHERE use_time IS NOT NULL AND status = 2{where}
        GROUP BY CAST(use_time AS DATE), EXTRACT(HOUR FROM use_time)""", params)
    if df.empty:
        return pd.DataFrame(columns=["date", "used", "discount"])
    df = _hour(df)
    df["date"] = to_local(df["utc_time"], pd.Series(zone, index=df.index)).dt.normalize()
    df = df[(df["date"] >= pd.Timestamp(start)) & (df["date"] <= pd.Timestamp(end))]
    return df.groupby("date", as_index=False)[["used", "discount"]].sum()


def active_users(shops: pd.DataFrame, start, end) -> pd.DataFrame:
    """Distinct customers with a completed order per local day: date, active_users.

    Counted distinct per day part at the source and summed over a day's parts, so a customer
    who orders both before and after the part edge (8 PM in New York) counts twice."""
    where, params = _window("create_time", start, end)
    part = _part("create_time", shops, start, end)
    params["shops"] = list(shops["shop_id"])
    df = sources.read_frame("luckyus_sales_order", f"""
        SELECT shop_id, CAST(create_time AS DATE) AS utc_day, {part} AS utc_hour,
               COUNT(DISTINCT user_no) AS active_users
        FROM luckyus_sales_order.t_order
        WHERE status = {ORDER_COMPLETED} AND user_no IS NOT NULL AND shop_id IN :shops{where}
        GROUP BY shop_id, CAST(create_time AS DATE), {part}""", params)
    if df.empty:
        return pd.DataFrame(columns=["date", "active_users"])
    df = _days(_hour(df), shops, start, end)
    return df.groupby("date", as_index=False)["active_users"].sum()


def order_predictions(shops: pd.DataFrame, start, end, issued_before=None) -> pd.DataFrame:
    """Predicted orders and cups per store and day (t_order_predict_alg_v2): for every shop, day
    and hour the latest prediction issued (create_time, UTC) before `issued_before` (default:
    noon UTC of the day `start`, i.e. what was known at 7 AM in New York): shop_id, date,
    pred_orders, pred_cups. Prediction dates are store-local."""
    cutoff = pd.Timestamp(issued_before) if issued_before is not None else pd.Timestamp(start) + pd.Timedelta(hours=12)
    df = sources.read("luckyus_ireplenishment", """
        SELECT shop_id, pred_date, pred_hour, pred_order_cnt, pred_cup_cnt, create_time
        FROM luckyus_ireplenishment.t_order_predict_alg_v2
        WHERE pred_date >= :start AND pred_date <= :end AND create_time < :cutoff AND shop_id IN :shops""",
        {"start": pd.Timestamp(start).date(), "end": pd.Timestamp(end).date(),
         "cutoff": cutoff.to_pydatetime(), "shops": list(shops["shop_id"])})
    if df.empty:
        return pd.DataFrame(columns=["shop_id", "date", "pred_orders", "pred_cups"])
    latest = df.sort_values("create_time").groupby(["shop_id", "pred_date", "pred_hour"]).tail(1)
    latest = latest.assign(date=pd.to_datetime(latest["pred_date"]))
    return latest.groupby(["shop_id", "date"], as_index=False).agg(
        pred_orders=("pred_order_cnt", "sum"), pred_cups=("pred_cup_cnt", "sum"))
