"""Store operations facts for the store scorecard (Tool 13), from `luckyus_opshop` (published and
actual opening hours) and `luckyus_scm_shopstock` (daily stock positions)."""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import store_clause


def _days(column: str, start: date | None, end: date | None) -> tuple[str, dict]:
    where, params = "", {}
    if start is not None:
        where, params = f" AND {column} >= :d0", {"d0": start}
    if end is not None:
        where += f" AND {column} <= :d1"
        params["d1"] = end
    return where, params


def opening_hours(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Published hours of open days (status 1): shop_id, business_date, open_time, close_time ('HH:MM')."""
    where, params = _days("business_date", start, end)
    s_sql, s_params = store_clause(stores)
    return sources.read("luckyus_opshop", f"""
        SELECT shop_id, business_date, open_time, close_time
        FROM luckyus_opshop.t_shop_opening_time
        WHERE status = 1{where}{s_sql}""", {**params, **s_params})


def business_record(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Actual OPEN/CLOSE events: shop_id, business_date, event_type, event_time (UTC)."""
    where, params = _days("business_date", start, end)
    s_sql, s_params = store_clause(stores)
    return sources.read("luckyus_opshop", f"""
        SELECT shop_id, business_date, event_type, event_time
        FROM luckyus_opshop.t_shop_business_record
        WHERE 1 = 1{where}{s_sql}""", {**params, **s_params})


def empty_positions(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Stock positions at or below zero: shop_id, stock_date, goods_code, goods_name."""
    where, params = _days("stock_date", start, end)
    s_sql, s_params = store_clause(stores)
    return sources.read("luckyus_scm_shopstock", f"""
        SELECT shop_id, stock_date, goods_code, goods_name
        FROM luckyus_scm_shopstock.t_shop_goods_stock
        WHERE stock_qty <= 0{where}{s_sql}""", {**params, **s_params})


def tickets(shop_id: int, lo, hi) -> pd.DataFrame:
    """Production tickets of one store accepted in [lo, hi) UTC: accept_time, done_time."""
    return sources.read("luckyus_opproduction", """
        SELECT accept_time, done_time FROM luckyus_opproduction.t_production
        WHERE shop_id = :shop_id AND accept_time >= :lo AND accept_time < :hi AND accept_time IS NOT NULL""",
        {"shop_id": shop_id, "lo": lo, "hi": hi})

