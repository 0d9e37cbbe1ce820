"""Order facts from `luckyus_sales_order`, aggregated at the source as far as portable SQL allows.

Local business days need the shop's time zone, which lives in another database; so these
queries group by shop and UTC hour (portable: CAST AS DATE, EXTRACT(HOUR)), and
`lucky.models.timezones` turns UTC hours into store-local days in pandas. Exact for every zone
with a whole-hour offset (New York, Rarotonga).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.models.timezones import utc_bounds

DB = "luckyus_sales_order"
COMPLETED = 90


def _window(start: date | None, end: date | None) -> tuple[str, dict]:
    if start is None and end is None:
        return "", {}
    lo, hi = utc_bounds(start or date(1970, 1, 1), end or date(2100, 1, 1))
    return " AND create_time >= :lo AND create_time < :hi", {"lo": lo.to_pydatetime(), "hi": hi.to_pydatetime()}


def hourly(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = (),
           statuses: tuple[int, ...] = (COMPLETED,)) -> pd.DataFrame:
    """Orders per shop, currency, status and UTC hour: shop_id, currency_code, status,
    utc_time, orders, pay_money. Filter to local days with the time-zone model."""
    where, params = _window(start, end)
    params["statuses"] = list(statuses)
    if stores:
        where += " AND shop_id IN :stores"
        params["stores"] = list(stores)
    df = sources.read_frame(DB, f"""
        SELECT shop_id, currency_code, status, CAST(create_time AS DATE) AS utc_day,
               EXTRACT(HOUR FROM create_time) AS utc_hour,
               COUNT(*) AS orders, SUM(pay_money) AS pay_money
        FROM luckyus_sales_order.t_order
        WHERE status IN :statuses{where}
        GROUP BY shop_id, currency_code, status, CAST(create_time AS DATE), EXTRACT(HOUR FROM create_time)""",
        params)
    if df.empty:
        return df
    df["utc_time"] = pd.to_datetime(df["utc_day"]) + pd.to_timedelta(df["utc_hour"].astype(int), unit="h")
    df["orders"] = df["orders"].astype(int)
    return df.drop(columns=["utc_day", "utc_hour"])


def per_store(currency: str | None = None) -> pd.DataFrame:
    """Completed orders, revenue and AOV per shop over the whole history (§2.2 of the report)."""
    where, params = "", {}
    if currency:
        where, params = " AND currency_code = :currency", {"currency": currency}
    return sources.read(DB, f"""
        SELECT shop_id, currency_code, COUNT(*) AS orders, SUM(pay_money) AS revenue,
               MIN(create_time) AS first_order, MAX(create_time) AS last_order
        FROM luckyus_sales_order.t_order
        WHERE status = {COMPLETED}{where}
        GROUP BY shop_id, currency_code
        ORDER BY orders DESC""", params)


def by_type(currency: str | None = None) -> pd.DataFrame:
    """Orders of every status per order_type (1 pickup, 2 delivery) and currency: order_type,
    currency_code, orders. Used by the landscape's delivery-address check."""
    where, params = "", {}
    if currency:
        where, params = " WHERE currency_code = :currency", {"currency": currency}
    return sources.read(DB, f"""
        SELECT order_type, currency_code, COUNT(*) AS orders
        FROM luckyus_sales_order.t_order{where}
        GROUP BY order_type, currency_code""", params)
