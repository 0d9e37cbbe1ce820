"""Order-side facts for the finance tools (`luckyus_sales_order`), aggregated at the source.

Two portable aggregation tricks keep full-history reads small enough for an interactive page:
- **day parts**: rows are grouped by UTC date and the part of the UTC day between consecutive
  local-midnight hours of the zones in play (`timezones.midnight_hours`), so every group falls in
  one store-local business day, with 3-4 groups per day instead of 24 hours;
- **order_no buckets**: orders and trades are compared per bucket `RIGHT(order_no, k)` (count and
  cents), the buckets that differ are split one character further, and only the final disagreeing
  buckets are read record by record. Two databases on two servers are thereby reconciled without
  shipping every row.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.models.timezones import day_edges, on_business_days, utc_bounds
from lucky.schema import ORDER_COMPLETED

DB = "luckyus_sales_order"
COMPLETED = ORDER_COMPLETED
#: statuses of orders that have been charged: completed, plus paid and still in production (20, 50)
CHARGED = (20, 50, COMPLETED)
_CHARGED = "status IN (20, 50, 90)"
CHUNK = 1000


def window(start: date | None, end: date | None, column: str = "create_time") -> tuple[str, dict]:
    """` AND column >= :lo AND column < :hi` covering local days start..end in any zone ('' for all)."""
    if start is None and end is None:
        return "", {}
    lo, hi = utc_bounds(start or date(1970, 1, 1), end or date(2100, 1, 1))
    return f" AND {column} >= :lo AND {column} < :hi", {"lo": lo.to_pydatetime(), "hi": hi.to_pydatetime()}


def day_clause(column: str, start: date | None, end: date | None, stores: tuple[int, ...] = ()) -> tuple[str, dict]:
    """` AND column >= :start AND column <= :end AND shop_id IN :stores` for a column that already
    holds store-local days (stock and prediction dates); '' for an open range and no stores."""
    where, params = [], {}
    if start is not None:
        where.append(f"{column} >= :start")
        params["start"] = start
    if end is not None:
        where.append(f"{column} <= :end")
        params["end"] = end
    if stores:
        where.append("shop_id IN :stores")
        params["stores"] = [int(s) for s in stores]
    return "".join(f" AND {w}" for w in where), params


def store_clause(stores: tuple[int, ...], column: str = "shop_id") -> tuple[str, dict]:
    return (f" AND {column} IN :stores", {"stores": list(stores)}) if stores else ("", {})


def day_part(column: str, edges: list[int]) -> str:
    """SQL for the start hour of the day part holding `column` (edges: sorted ints from
    `midnight_hours`, computed by Lucky, never user input)."""
    hours = [int(e) for e in edges if 0 < int(e) < 24]
    if not hours:
        return "0"
    cases = " ".join(f"WHEN EXTRACT(HOUR FROM {column}) < {h} THEN {p}"
                     for p, h in zip([0] + hours[:-1], hours))
    return f"CASE {cases} ELSE {hours[-1]} END"


def bucket(column: str, k: int) -> str:
    """SQL for the order_no bucket: its last k characters (RIGHT is portable and cheap; Luckin's
    order numbers end in a running sequence, so buckets come out even; any format stays correct,
    only the bucket sizes change)."""
    return f"RIGHT(COALESCE({column}, ''), {int(k)})"


EXAMPLES = {"within": [{"column": "order_no", "k": 2, "prefixes": ["01", "02"]}]}


def within(column: str, k: int, prefixes: list[str] | None) -> tuple[str, dict]:
    """` AND bucket(column, k) IN :prefixes`: refine only inside the buckets that disagreed."""
    if prefixes is None:
        return "", {}
    return f" AND {bucket(column, k)} IN :prefixes", {"prefixes": list(prefixes) or ["-"]}


def completed_parts(start: date | None, end: date | None, stores: tuple[int, ...], shops: pd.DataFrame,
                    statuses: tuple[int, ...] = (COMPLETED,)) -> pd.DataFrame:
    """Orders per shop, currency, status and day part, placed on store-local business days
    start..end (`shops`: t_shop_info rows with time_zone): orders, pay_money, business_date."""
    where, params = window(start, end)
    s_sql, s_params = store_clause(stores)
    part = day_part("create_time", day_edges(shops, start, end))
    df = sources.read(DB, f"""
        SELECT shop_id, currency_code, status, CAST(create_time AS DATE) AS utc_day, {part} AS part,
               COUNT(*) AS orders, SUM(pay_money) AS pay_money
        FROM luckyus_sales_order.t_order
        WHERE status IN :statuses{where}{s_sql}
        GROUP BY 1, 2, 3, 4, 5""", {**params, **s_params, "statuses": list(statuses)})
    if not df.empty:
        df["orders"] = df["orders"].astype(int)
    return on_business_days(df, shops, start, end)


def order_buckets(start: date | None, end: date | None, k: int, prefixes: list[str] | None = None) -> pd.DataFrame:
    """Charged orders (completed or paid and in production) per order_no bucket of k characters,
    optionally only inside the (k-1)-character buckets `prefixes`: bucket, n, cents. Read as a frame:
    the first scan is wide (up to 10^k buckets, see `reconcile.refine`)."""
    where, params = window(start, end)
    w_sql, w_params = within("order_no", k - 1, prefixes)
    df = sources.read_frame(DB, f"""
        SELECT {bucket('order_no', k)} AS bucket, COUNT(*) AS n, SUM(pay_money) AS money
        FROM luckyus_sales_order.t_order
        WHERE {_CHARGED} AND pay_money > 0{where}{w_sql}
        GROUP BY 1""", {**params, **w_params})
    df["cents"] = (df["money"].astype(float) * 100).round().astype("int64")
    return df.drop(columns="money")


def orders_in_buckets(start: date | None, end: date | None, k: int, buckets: list[str]) -> pd.DataFrame:
    """Charged orders of the given buckets, record by record."""
    cols = ["order_no", "shop_id", "currency_code", "pay_money", "status", "create_time"]
    if not buckets:
        return pd.DataFrame(columns=cols)
    where, params = window(start, end)
    frames = [sources.read(DB, f"""
        SELECT order_no, shop_id, currency_code, pay_money, status, create_time
        FROM luckyus_sales_order.t_order
        WHERE {_CHARGED} AND pay_money > 0{where} AND {bucket('order_no', k)} IN :buckets""",
        {**params, "buckets": buckets[i:i + CHUNK]}) for i in range(0, len(buckets), CHUNK)]
    return pd.concat(frames, ignore_index=True)


def orders_by_no(order_nos: list[str]) -> pd.DataFrame:
    """Any-status orders by order_no (existence checks for charges seen outside the window)."""
    cols = ["order_no", "shop_id", "currency_code", "pay_money", "status", "create_time"]
    nos = sorted({n for n in order_nos if isinstance(n, str)})
    if not nos:
        return pd.DataFrame(columns=cols)
    frames = [sources.read(DB, """
        SELECT order_no, shop_id, currency_code, pay_money, status, create_time
        FROM luckyus_sales_order.t_order WHERE order_no IN :nos""", {"nos": nos[i:i + CHUNK]})
        for i in range(0, len(nos), CHUNK)]
    return pd.concat(frames, ignore_index=True)
