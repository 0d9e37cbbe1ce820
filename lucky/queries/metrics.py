"""Daily metric inputs per store for the anomaly engine and the briefing.

Each function reads one database with portable SQL, aggregated at the source per shop and UTC
hour where the metric allows it (counts and sums), and turns UTC hours into store-local days
with `lucky.models.timezones` (the one definition of a day). Durations and percentiles need the
rows, so production and cup timings come back as rows of a bounded window and are reduced in
pandas. Dates are store-local days, inclusive; pass the history a baseline needs.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from lucky import sources
from lucky.demo.schema import WEEKDAYS
from lucky.models.timezones import localize, to_local, utc_bounds
from lucky.queries import orders as order_queries

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


def _days(frame: pd.DataFrame, shops: pd.DataFrame, start, end, ts_col: str = "utc_time") -> pd.DataFrame:
    """Add the store-local `date` and keep the days asked for (rows of unknown zones dropped)."""
    if frame.empty:
        return frame.assign(date=pd.Series(dtype="datetime64[ns]"))
    out = localize(frame, shops, ts_col).rename(columns={"business_date": "date"})
    out = out[out["date"].notna()]
    if start is not None:
        out = out[out["date"] >= pd.Timestamp(start)]
    if end is not None:
        out = out[out["date"] <= pd.Timestamp(end)]
    return out.drop(columns=["local_time"])


def _hour(df: pd.DataFrame) -> pd.DataFrame:
    df["utc_time"] = pd.to_datetime(df.pop("utc_date")) + pd.to_timedelta(df.pop("utc_hour").astype(int), unit="h")
    return df


def orders_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per store-day: placed (completed + refunded + cancelled), orders (completed), revenue
    (completed pay_money), cancelled, refunded. Built on `orders.hourly`."""
    h = order_queries.hourly(start, end, tuple(shops["shop_id"]), statuses=(90, 70, 0))
    cols = ["shop_id", "date", "placed", "orders", "revenue", "cancelled", "refunded"]
    if h.empty:
        return pd.DataFrame(columns=cols)
    h = _days(h, shops, start, end)
    h["orders_90"] = np.where(h["status"] == 90, h["orders"], 0)
    h["revenue"] = np.where(h["status"] == 90, h["pay_money"].fillna(0), 0.0)
    h["cancelled"] = np.where(h["status"] == 0, h["orders"], 0)
    h["refunded"] = np.where(h["status"] == 70, h["orders"], 0)
    g = h.groupby(["shop_id", "date"], as_index=False).agg(
        placed=("orders", "sum"), orders=("orders_90", "sum"), revenue=("revenue", "sum"),
        cancelled=("cancelled", "sum"), refunded=("refunded", "sum"))
    return g[cols]


def fees_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per store-day and payment channel: successful trades, amount and fee (cents)."""
    where, params = _window("create_time", start, end)
    params.update(statuses=list(SUCCESS_TRADES), shops=list(shops["shop_id"]))
    df = sources.read("luckyus_sales_payment", f"""
        SELECT shop_id, channel_id, CAST(create_time AS DATE) AS utc_date,
               EXTRACT(HOUR FROM create_time) AS utc_hour,
               COUNT(*) AS trades, SUM(amount) AS amount_cents, SUM(fee) AS fee_cents
        FROM luckyus_sales_payment.t_trade
        WHERE status IN :statuses AND shop_id IN :shops{where}
        GROUP BY shop_id, channel_id, CAST(create_time AS DATE), EXTRACT(HOUR FROM create_time)""", params)
    cols = ["shop_id", "date", "channel_id", "trades", "amount_cents", "fee_cents"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _days(_hour(df), shops, start, end)
    return df.groupby(["shop_id", "date", "channel_id"], as_index=False)[["trades", "amount_cents", "fee_cents"]].sum()[cols]


def production_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per store-day: finished productions n, p50/p95 accept->done seconds of the possible ones,
    and how many were impossible (done before accept, or open longer than two hours)."""
    where, params = _window("create_time", start, end)
    params["shops"] = list(shops["shop_id"])
    df = sources.read("luckyus_opproduction", f"""
        SELECT shop_id, create_time AS utc_time, accept_time, done_time
        FROM luckyus_opproduction.t_production
        WHERE accept_time IS NOT NULL AND done_time IS NOT NULL AND shop_id IN :shops{where}""", params)
    cols = ["shop_id", "date", "n", "p50", "p95", "impossible"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _days(df, shops, start, end)
    dur = (pd.to_datetime(df["done_time"]) - pd.to_datetime(df["accept_time"])).dt.total_seconds()
    df["impossible"] = ((dur < 0) | (dur > IMPOSSIBLE_SECONDS)).astype(int)
    df["dur"] = dur.where(df["impossible"] == 0)
    g = df.groupby(["shop_id", "date"])
    out = pd.DataFrame({"n": g.size(), "p50": g["dur"].median(), "p95": g["dur"].quantile(0.95),
                        "impossible": g["impossible"].sum()}).reset_index()
    return out[cols]


def devices_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per device-day: cups made and the median machine cycle (start -> end seconds)."""
    where, params = _window("start_time", start, end)
    params["shops"] = list(shops["shop_id"])
    df = sources.read("luckyus_iot_platform", f"""
        SELECT shop_id, device_no, start_time AS utc_time, end_time
        FROM luckyus_iot_platform.t_cup_order_info
        WHERE end_time IS NOT NULL AND shop_id IN :shops{where}""", params)
    cols = ["shop_id", "device_no", "date", "cups", "cycle_s"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _days(df, shops, start, end)
    df["cycle"] = (pd.to_datetime(df["end_time"]) - pd.to_datetime(df["utc_time"])).dt.total_seconds()
    df = df[df["cycle"] > 0]
    g = df.groupby(["shop_id", "device_no", "date"])
    return pd.DataFrame({"cups": g.size(), "cycle_s": g["cycle"].median()}).reset_index()[cols]


def consumption_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Stock consumed by sales per store-day and goods (the seven weekday change tables),
    as positive quantities. `business_date` is already the store's day in the stock system."""
    params: dict = {"shops": list(shops["shop_id"])}
    where = ""
    if start is not None:
        where += " AND business_date >= :start"
        params["start"] = pd.Timestamp(start).date()
    if end is not None:
        where += " AND business_date <= :end"
        params["end"] = pd.Timestamp(end).date()
    union = " UNION ALL ".join(
        f"SELECT shop_id, business_date, goods_code, change_qty FROM luckyus_scm_shopstock.t_shop_goods_stock_change_{wd} "
        f"WHERE change_type = 1 AND shop_id IN :shops{where}" for wd in WEEKDAYS)
    df = sources.read("luckyus_scm_shopstock", f"""
        SELECT shop_id, business_date, goods_code, SUM(change_qty) AS qty
        FROM ({union}) AS changes
        GROUP BY shop_id, business_date, goods_code""", params)
    cols = ["shop_id", "date", "goods_code", "consumed"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df["date"] = pd.to_datetime(df["business_date"])
    df["consumed"] = df["qty"].astype(float).abs()
    return df[cols]


def items_hourly(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Items sold (completed orders) per store-day and sku: spu_code, sku_code, quantity."""
    where, params = _window("o.create_time", start, end)
    params["shops"] = list(shops["shop_id"])
    df = sources.read("luckyus_sales_order", f"""
        SELECT o.shop_id, i.spu_code, i.sku_code, CAST(o.create_time AS DATE) AS utc_date,
               EXTRACT(HOUR FROM o.create_time) AS utc_hour, SUM(COALESCE(i.quantity, 1)) AS quantity
        FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id
        WHERE o.status = 90 AND o.shop_id IN :shops{where}
        GROUP BY o.shop_id, i.spu_code, i.sku_code, CAST(o.create_time AS DATE), EXTRACT(HOUR FROM o.create_time)""",
        params)
    cols = ["shop_id", "date", "spu_code", "sku_code", "quantity"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = _days(_hour(df), shops, start, end)
    return df.groupby(["shop_id", "date", "spu_code", "sku_code"], as_index=False, dropna=False)["quantity"].sum()[cols]


def recipes() -> pd.DataFrame:
    """Active recipe lines (t_formula_spu): spu_code, sku_code, goods_code, quantity per unit sold."""
    df = sources.read("luckyus_scm_commodity", """
        SELECT spu_code, sku_code, goods_code, quantity, status
        FROM luckyus_scm_commodity.t_formula_spu""")
    if not df.empty and (df["status"] == 1).any():
        df = df[df["status"] == 1]
    return df.drop(columns="status")


def usage_daily(shops: pd.DataFrame, start=None, end=None) -> pd.DataFrame:
    """Per store-day and goods: stock consumed by sales vs what the day's completed sales imply
    through the recipes (actual vs theoretical usage). Items join their recipe by sku; an item
    whose sku has no recipe uses its product's recipe (the first sku of the spu that has one)."""
    cols = ["shop_id", "date", "goods_code", "consumed", "implied"]
    consumed = consumption_daily(shops, start, end)
    items = items_hourly(shops, start, end)
    rec = recipes()
    if consumed.empty or items.empty or rec.empty:
        return pd.DataFrame(columns=cols)
    by_sku = rec[rec["sku_code"].notna()]
    first_sku = by_sku.drop_duplicates("spu_code")[["spu_code", "sku_code"]]
    by_spu = by_sku.merge(first_sku, on=["spu_code", "sku_code"])[["spu_code", "goods_code", "quantity"]]
    has = items["sku_code"].isin(set(by_sku["sku_code"]))
    implied = pd.concat([
        items[has].merge(by_sku[["sku_code", "goods_code", "quantity"]], on="sku_code", suffixes=("", "_r")),
        items[~has].merge(by_spu, on="spu_code", suffixes=("", "_r")),
    ], ignore_index=True)
    implied["implied"] = implied["quantity"].astype(float) * implied["quantity_r"].astype(float)
    implied = implied.groupby(["shop_id", "date", "goods_code"], as_index=False)["implied"].sum()
    both = consumed.merge(implied, on=["shop_id", "date", "goods_code"], how="inner")
    return both[(both["implied"] > 0) & (both["consumed"] > 0)][cols].reset_index(drop=True)


def registrations_daily(start=None, end=None, zone: str = "America/New_York") -> pd.DataFrame:
    """New CRM registrations per day (the user's own time zone, else the chain's)."""
    where, params = _window("register_time", start, end)
    df = sources.read("luckyus_sales_crm", f"""
        SELECT time_zone, CAST(register_time AS DATE) AS utc_date,
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
    """Per shop: store-local first and last day with an order (store age and the data's end)."""
    df = sources.read("luckyus_sales_order", """
        SELECT shop_id, MIN(create_time) AS first_utc, MAX(create_time) AS last_utc
        FROM luckyus_sales_order.t_order WHERE shop_id IN :shops GROUP BY shop_id""",
        {"shops": list(shops["shop_id"])})
    if df.empty:
        return pd.DataFrame(columns=["shop_id", "first_day", "last_day"])
    zones = df["shop_id"].map(shops.set_index("shop_id")["time_zone"])
    return pd.DataFrame({"shop_id": df["shop_id"],
                         "first_day": to_local(df["first_utc"], zones).dt.normalize(),
                         "last_day": to_local(df["last_utc"], zones).dt.normalize()})


def daily_inputs(shops: pd.DataFrame, start=None, end=None) -> dict[str, pd.DataFrame]:
    """Every input of `lucky.models.anomaly.detect` for these shops and local days."""
    return {
        "orders": orders_daily(shops, start, end),
        "fees": fees_daily(shops, start, end),
        "production": production_daily(shops, start, end),
        "devices": devices_daily(shops, start, end),
        "usage": usage_daily(shops, start, end),
        "registrations": registrations_daily(start, end),
    }


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
        SELECT CAST(use_time AS DATE) AS utc_date, EXTRACT(HOUR FROM use_time) AS utc_hour,
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
    """Distinct customers with a completed order per local day: date, active_users."""
    where, params = _window("create_time", start, end)
    params["shops"] = list(shops["shop_id"])
    df = sources.read("luckyus_sales_order", f"""
        SELECT DISTINCT shop_id, user_no, CAST(create_time AS DATE) AS utc_date,
               EXTRACT(HOUR FROM create_time) AS utc_hour
        FROM luckyus_sales_order.t_order
        WHERE status = 90 AND user_no IS NOT NULL AND shop_id IN :shops{where}""", params)
    if df.empty:
        return pd.DataFrame(columns=["date", "active_users"])
    df = _days(_hour(df), shops, start, end)
    return df.groupby("date", as_index=False)["user_no"].nunique().rename(columns={"user_no": "active_users"})


def order_predictions(shops: pd.DataFrame, start, end) -> pd.DataFrame:
    """Predicted orders and cups per store and day (t_order_predict_alg_v2, the latest model
    version present): shop_id, date, pred_orders, pred_cups."""
    df = sources.read("luckyus_ireplenishment", """
        SELECT shop_id, pred_date, model_version, SUM(pred_order_cnt) AS pred_orders,
               SUM(pred_cup_cnt) AS pred_cups
        FROM luckyus_ireplenishment.t_order_predict_alg_v2
        WHERE pred_date >= :start AND pred_date <= :end AND shop_id IN :shops
        GROUP BY shop_id, pred_date, model_version""",
        {"start": pd.Timestamp(start).date(), "end": pd.Timestamp(end).date(), "shops": list(shops["shop_id"])})
    if df.empty:
        return pd.DataFrame(columns=["shop_id", "date", "pred_orders", "pred_cups"])
    latest = df.groupby(["shop_id", "pred_date"])["model_version"].transform(lambda v: v.astype(str).max())
    df = df[df["model_version"].astype(str) == latest]
    df["date"] = pd.to_datetime(df["pred_date"])
    return df[["shop_id", "date", "pred_orders", "pred_cups"]].reset_index(drop=True)
