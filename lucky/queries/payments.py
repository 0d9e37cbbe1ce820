"""Payment facts from `luckyus_sales_payment` (t_trade, t_channel_fee), amounts in integer cents.

Successful charges are `t_trade.status` 1, 2, 3. Like the order queries these aggregate per UTC
date and day part (see `lucky.queries.finance`), and per order_no bucket for reconciliation.
`t_channel_fee` has no shop column, so fee queries join `t_trade` (same database) on trade_no.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import CHUNK, bucket, day_part, store_clause, window, within

DB = "luckyus_sales_payment"
SUCCESS = (1, 2, 3)
_OK = "status IN (1, 2, 3)"
TRADE_COLS = "trade_no, order_no, shop_id, channel_id, amount, status, currency_code, create_time"


def zone_case(column: str, groups: list[tuple[int, ...]]) -> tuple[str, dict]:
    """`CASE WHEN column IN :z0 THEN 0 ... ELSE -1 END`: the index of each shop's time-zone group,
    so a query can group by zone instead of by shop."""
    if not groups:
        return "-1", {}
    cases, params = [], {}
    for i, ids in enumerate(groups):
        cases.append(f"WHEN {column} IN :z{i} THEN {i}")
        params[f"z{i}"] = list(ids) or [-1]
    return f"CASE {' '.join(cases)} ELSE -1 END", params


def trade_parts(start: date | None, end: date | None, stores: tuple[int, ...], edges: list[int]) -> pd.DataFrame:
    """Successful charges per shop, currency, UTC date and day part: trades, amount (cents)."""
    where, params = window(start, end)
    s_sql, s_params = store_clause(stores)
    return sources.read(DB, f"""
        SELECT shop_id, currency_code, CAST(create_time AS DATE) AS utc_day,
               {day_part('create_time', edges)} AS part, COUNT(*) AS trades, SUM(amount) AS amount
        FROM luckyus_sales_payment.t_trade
        WHERE {_OK}{where}{s_sql}
        GROUP BY 1, 2, 3, 4""", {**params, **s_params})


def trade_buckets(start: date | None, end: date | None, k: int, prefixes: list[str] | None = None) -> pd.DataFrame:
    """Successful charges per order_no bucket (see `finance.order_buckets`): bucket, n, cents."""
    where, params = window(start, end)
    w_sql, w_params = within("order_no", k - 1, prefixes)
    df = sources.read(DB, f"""
        SELECT {bucket('order_no', k)} AS bucket, COUNT(*) AS n, SUM(amount) AS cents
        FROM luckyus_sales_payment.t_trade
        WHERE {_OK}{where}{w_sql}
        GROUP BY 1""", {**params, **w_params})
    df["cents"] = df["cents"].fillna(0).astype("int64")
    return df


def trades_in_buckets(start: date | None, end: date | None, k: int, buckets: list[str]) -> pd.DataFrame:
    if not buckets:
        return pd.DataFrame(columns=TRADE_COLS.split(", "))
    where, params = window(start, end)
    frames = [sources.read(DB, f"""
        SELECT {TRADE_COLS} FROM luckyus_sales_payment.t_trade
        WHERE {_OK}{where} AND {bucket('order_no', k)} IN :buckets""",
        {**params, "buckets": buckets[i:i + CHUNK]}) for i in range(0, len(buckets), CHUNK)]
    return pd.concat(frames, ignore_index=True)


def trades_by_order(order_nos: list[str]) -> pd.DataFrame:
    """Successful charges of the given orders, whenever they happened."""
    nos = sorted({n for n in order_nos if isinstance(n, str)})
    if not nos:
        return pd.DataFrame(columns=TRADE_COLS.split(", "))
    frames = [sources.read(DB, f"""
        SELECT {TRADE_COLS} FROM luckyus_sales_payment.t_trade
        WHERE {_OK} AND order_no IN :nos""", {"nos": nos[i:i + CHUNK]}) for i in range(0, len(nos), CHUNK)]
    return pd.concat(frames, ignore_index=True)


def channel_parts(start: date | None, end: date | None, stores: tuple[int, ...],
                  zones: list[tuple[int, ...]], edges: list[int]) -> pd.DataFrame:
    """Successful charges per zone group, channel, currency, UTC date and day part."""
    where, params = window(start, end)
    s_sql, s_params = store_clause(stores)
    zsql, zparams = zone_case("shop_id", zones)
    return sources.read(DB, f"""
        SELECT {zsql} AS zone_ix, channel_id, currency_code, CAST(create_time AS DATE) AS utc_day,
               {day_part('create_time', edges)} AS part, COUNT(*) AS transactions, SUM(amount) AS amount
        FROM luckyus_sales_payment.t_trade
        WHERE {_OK}{where}{s_sql}
        GROUP BY 1, 2, 3, 4, 5""", {**params, **s_params, **zparams})


def fee_parts(start: date | None, end: date | None, stores: tuple[int, ...],
              zones: list[tuple[int, ...]], edges: list[int]) -> pd.DataFrame:
    """t_channel_fee per zone group (via the charge's shop), channel, currency, UTC date, day part:
    fee_rows, amount, transaction_fee, merchant_service_fee, total_fee (cents)."""
    where, params = window(start, end, "f.create_time")
    s_sql, s_params = store_clause(stores, "t.shop_id")
    zsql, zparams = zone_case("t.shop_id", zones)
    return sources.read(DB, f"""
        SELECT {zsql} AS zone_ix, f.channel_id, f.currency_code,
               CAST(f.create_time AS DATE) AS utc_day, {day_part('f.create_time', edges)} AS part,
               COUNT(*) AS fee_rows, SUM(f.amount) AS amount, SUM(f.transaction_fee) AS transaction_fee,
               SUM(f.merchant_service_fee) AS merchant_service_fee, SUM(f.total_fee) AS total_fee
        FROM luckyus_sales_payment.t_channel_fee f
        LEFT JOIN luckyus_sales_payment.t_trade t ON t.trade_no = f.trade_no
        WHERE 1 = 1{where}{s_sql}
        GROUP BY 1, 2, 3, 4, 5""", {**params, **s_params, **zparams})


def currency_groups() -> pd.DataFrame:
    """Charges per shop and exact currency value (MD5 keeps `usd` apart from `USD` on MySQL)."""
    return sources.read(DB, """
        SELECT shop_id, MIN(currency_code) AS currency_code, MD5(currency_code) AS h,
               COUNT(*) AS trades, SUM(amount) AS amount
        FROM luckyus_sales_payment.t_trade
        WHERE status IN (1, 2, 3)
        GROUP BY shop_id, MD5(currency_code)""")
