"""Item sales for the Menu Analytics Engine (Tool 10), from `luckyus_sales_order`, aggregated at
the source: completed orders (status 90) in one currency, per product and sku and UTC date and
day part (so pandas puts each group on its store-local business day, see `lucky.queries.finance`).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import day_part, store_clause, window
from lucky.schema import ORDER_COMPLETED

DB = "luckyus_sales_order"


def sku_days(start: date | None, end: date | None, stores: tuple[int, ...], currency: str,
             edges: list[int]) -> pd.DataFrame:
    """Per spu_code, spu_name, category, sku_code, UTC day and day part: units, revenue
    (pay_money), paid (sale_price × quantity), listed (origin_price × quantity) and list_price:
    origin_price of the items sold below it (origin_price is the list price, or the price paid
    when that was higher: an item paid below its origin_price shows the list price exactly;
    NULL on a day without such an item)."""
    where, params = window(start, end, "o.create_time")
    s_sql, s_params = store_clause(stores, "o.shop_id")
    part = day_part("o.create_time", edges)
    df = sources.read_frame(DB, f"""
        SELECT i.spu_code, i.spu_name, i.one_category_name AS category, i.sku_code,
               CAST(o.create_time AS DATE) AS utc_day, {part} AS part,
               SUM(i.quantity) AS units, SUM(i.pay_money) AS revenue,
               SUM(i.sale_price * i.quantity) AS paid, SUM(i.origin_price * i.quantity) AS listed,
               MIN(CASE WHEN i.sale_price < i.origin_price THEN i.origin_price END) AS list_price
        FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id
        WHERE o.status = {ORDER_COMPLETED} AND o.currency_code = :currency{where}{s_sql}
        GROUP BY i.spu_code, i.spu_name, i.one_category_name, i.sku_code, CAST(o.create_time AS DATE), {part}""",
        {**params, **s_params, "currency": currency}, dates=("utc_day",))
    units = df["units"]
    df["units"] = units.astype("int64") if units.notna().all() else units   # DuckDB hands SUM over as float
    return df


def store_units(start: date | None, end: date | None, stores: tuple[int, ...], currency: str) -> pd.DataFrame:
    """Per spu_code and shop_id: units and revenue of completed orders (UTC-padded window)."""
    where, params = window(start, end, "o.create_time")
    s_sql, s_params = store_clause(stores, "o.shop_id")
    return sources.read(DB, f"""
        SELECT i.spu_code, o.shop_id, SUM(i.quantity) AS units, SUM(i.pay_money) AS revenue
        FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id
        WHERE o.status = {ORDER_COMPLETED} AND o.currency_code = :currency{where}{s_sql}
        GROUP BY i.spu_code, o.shop_id""", {**params, **s_params, "currency": currency})
