"""Payment facts from `luckyus_sales_payment` (t_trade, t_channel_fee), amounts in integer cents.

Successful charges are `t_trade.status` 1, 2, 3. Like the order queries these aggregate per UTC
date and day part (see `lucky.queries.finance`), and per order_no bucket for reconciliation.
`t_channel_fee` has no shop column, so fee queries join `t_trade` (same database) on trade_no.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.models.timezones import day_edges, on_business_days
from lucky.queries.finance import CHUNK, bucket, day_part, store_clause, window, within

DB = "luckyus_sales_payment"
SUCCESS = (1, 2, 3)
_OK = "status IN (1, 2, 3)"
TRADE_COLS = "trade_no, order_no, shop_id, channel_id, amount, status, currency_code, create_time"


def zone_case(column: str, groups: list[tuple[int, ...]], unknown: tuple[int, ...] = ()) -> tuple[str, dict]:
    """`CASE WHEN column IN :z1 THEN 1 ... WHEN column IN :zu THEN -1 ELSE 0 END`: the index of
    each shop's time-zone group, so a query groups by zone instead of by shop. The biggest group
    is the ELSE branch (index 0 after sorting by size), so IN lists stay short; `unknown` shops
    (no usable zone) get -1. Shops absent from t_shop_info fall in the biggest group."""
    if not groups:
        return "-1", {}
    cases, params = [], {}
    for i, ids in enumerate(groups[1:], start=1):
        cases.append(f"WHEN {column} IN :z{i} THEN {i}")
        params[f"z{i}"] = list(ids) or [-1]
    if unknown:
        cases.append(f"WHEN {column} IN :zu THEN -1")
        params["zu"] = list(unknown)
    return (f"CASE {' '.join(cases)} ELSE 0 END" if cases else "0"), params


def zone_groups(shops: pd.DataFrame) -> tuple[list[str], list[tuple[int, ...]], tuple[int, ...]]:
    """(zone names, shop ids per zone, shops without a usable zone), biggest zone first."""
    from lucky.models.timezones import known_zone
    ok = shops["time_zone"].map(known_zone)
    good = shops[ok]
    sizes = good.groupby("time_zone")["shop_id"].apply(lambda s: tuple(int(x) for x in s))
    order = sorted(sizes.index, key=lambda z: -len(sizes[z]))
    return order, [sizes[z] for z in order], tuple(int(s) for s in shops.loc[~ok, "shop_id"])


def trade_parts(start: date | None, end: date | None, stores: tuple[int, ...], shops: pd.DataFrame) -> pd.DataFrame:
    """Successful charges per shop, currency and day part on store-local business days
    start..end: trades, amount (cents), business_date."""
    where, params = window(start, end)
    s_sql, s_params = store_clause(stores)
    df = sources.read(DB, f"""
        SELECT shop_id, currency_code, CAST(create_time AS DATE) AS utc_day,
               {day_part('create_time', day_edges(shops, start, end))} AS part, COUNT(*) AS trades,
               SUM(amount) AS amount
        FROM luckyus_sales_payment.t_trade
        WHERE {_OK}{where}{s_sql}
        GROUP BY 1, 2, 3, 4""", {**params, **s_params})
    return on_business_days(df, shops, start, end)


def trade_buckets(start: date | None, end: date | None, k: int, prefixes: list[str] | None = None) -> pd.DataFrame:
    """Successful charges per order_no bucket (see `finance.order_buckets`): bucket, n, cents."""
    where, params = window(start, end)
    w_sql, w_params = within("order_no", k - 1, prefixes)
    df = sources.read_frame(DB, f"""
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


def channel_parts(start: date | None, end: date | None, stores: tuple[int, ...], shops: pd.DataFrame) -> pd.DataFrame:
    """Successful charges per time-zone group (`zone_ix`, -1: no usable zone), channel, currency
    and day part on store-local business days start..end: transactions, amount, business_date."""
    names, groups, unknown = zone_groups(shops)
    where, params = window(start, end)
    s_sql, s_params = store_clause(stores)
    zsql, zparams = zone_case("shop_id", groups, unknown)
    df = sources.read(DB, f"""
        SELECT {zsql} AS zone_ix, channel_id, currency_code, CAST(create_time AS DATE) AS utc_day,
               {day_part('create_time', day_edges(shops, start, end))} AS part, COUNT(*) AS transactions,
               SUM(amount) AS amount
        FROM luckyus_sales_payment.t_trade
        WHERE {_OK}{where}{s_sql}
        GROUP BY 1, 2, 3, 4, 5""", {**params, **s_params, **zparams})
    return on_business_days(df, shops, start, end, zone_names=names)


def fee_parts(start: date | None, end: date | None, stores: tuple[int, ...],
              zones: list[tuple[int, ...]], edges: list[int], unknown: tuple[int, ...] = ()) -> pd.DataFrame:
    """t_channel_fee per zone group (via the charge's shop), channel, currency, UTC date, day part:
    fee_rows, amount, transaction_fee, merchant_service_fee, total_fee (cents)."""
    where, params = window(start, end, "f.create_time")
    s_sql, s_params = store_clause(stores, "t.shop_id")
    zsql, zparams = zone_case("t.shop_id", zones, unknown)
    return sources.read(DB, f"""
        SELECT {zsql} AS zone_ix, f.channel_id, f.currency_code,
               CAST(f.create_time AS DATE) AS utc_day, {day_part('f.create_time', edges)} AS part,
               COUNT(*) AS fee_rows, SUM(f.amount) AS amount, SUM(f.transaction_fee) AS transaction_fee,
               SUM(f.merchant_service_fee) AS merchant_service_fee, SUM(f.total_fee) AS total_fee
        FROM luckyus_sales_payment.t_channel_fee f
        LEFT JOIN luckyus_sales_payment.t_trade t ON t.trade_no = f.trade_no
        WHERE 1 = 1{where}{s_sql}
        GROUP BY 1, 2, 3, 4, 5""", {**params, **s_params, **zparams})


def fee_parts_unjoined(start: date | None, end: date | None, edges: list[int]) -> pd.DataFrame:
    """t_channel_fee per channel, currency, UTC date and day part without the join to t_trade:
    for when every store of a currency shares one time zone and no store filter is set."""
    where, params = window(start, end)
    return sources.read(DB, f"""
        SELECT channel_id, currency_code, CAST(create_time AS DATE) AS utc_day,
               {day_part('create_time', edges)} AS part, COUNT(*) AS fee_rows, SUM(amount) AS amount,
               SUM(transaction_fee) AS transaction_fee, SUM(merchant_service_fee) AS merchant_service_fee,
               SUM(total_fee) AS total_fee
        FROM luckyus_sales_payment.t_channel_fee
        WHERE 1 = 1{where}
        GROUP BY 1, 2, 3, 4""", params)


def fees(start: date | None, end: date | None, stores: tuple[int, ...], shops: pd.DataFrame) -> pd.DataFrame:
    """Fee parts per time-zone group (`zone_ix`), channel and currency on store-local business
    days start..end (a fee whose charge has no shop falls on its UTC day). Joins t_trade for each
    fee's store only when needed: a store filter, or a currency whose stores span several zones."""
    from lucky.models.tenancy import store_currency
    names, groups, unknown = zone_groups(shops)
    edges = day_edges(shops, start, end)
    cur = store_currency(shops)
    zone_of = shops.set_index("shop_id")["time_zone"]
    per_currency = {c: set(zone_of[cur[cur == c].index].dropna()) for c in set(cur.dropna())}
    if stores or unknown or any(len(z) != 1 for z in per_currency.values()):
        df = fee_parts(start, end, stores, groups, edges, unknown)
    else:
        df = fee_parts_unjoined(start, end, edges)
        index = {c: names.index(next(iter(z))) for c, z in per_currency.items() if next(iter(z)) in names}
        df.insert(0, "zone_ix", df["currency_code"].map(index).fillna(-1).astype(int))
    return on_business_days(df, shops, start, end, zone_names=names)


def currency_groups(exact: bool = True) -> pd.DataFrame:
    """Successful charges per shop and currency: shop_id, currency_code, h, trades, amount.
    exact: group by MD5 of the value, which keeps `usd` apart from `USD` on MySQL (the audit);
    otherwise a plain, cheaper GROUP BY (h is NULL) that is enough for reconciliation's warning."""
    key = "MD5(currency_code)" if exact else "currency_code"
    return sources.read(DB, f"""
        SELECT shop_id, MIN(currency_code) AS currency_code, {'MD5(currency_code)' if exact else 'NULL'} AS h,
               COUNT(*) AS trades, SUM(amount) AS amount
        FROM luckyus_sales_payment.t_trade
        WHERE status IN (1, 2, 3)
        GROUP BY shop_id, {key}""")


def user_channels() -> pd.DataFrame:
    """Saved payment methods per channel (t_user_channel): the preference customers already have."""
    return sources.read("luckyus_sales_payment", """
        SELECT channel_id, COUNT(*) AS saved_methods, COUNT(DISTINCT user_no) AS users,
               SUM(CASE WHEN is_default = 1 THEN 1 ELSE 0 END) AS defaults
        FROM luckyus_sales_payment.t_user_channel GROUP BY channel_id""")
