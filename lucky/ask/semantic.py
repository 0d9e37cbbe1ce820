"""Ask Lucky's semantic layer: each metric defined once (fact table, measure, time column, filters)
and the portable SQL generated from it, one database per query.

A question becomes a `Spec` (metric, dimension, filters, period, comparison, top/bottom N). The
SQL aggregates at the source per shop (or zone), UTC day and UTC hour plus the source-level
dimension, exactly as the other tools do; pandas turns UTC hours into store-local business days
(`lucky.models.timezones`), derives the time dimensions (hour, weekday, week from Monday, month)
and joins store names from `luckyus_opshop` (never a cross-database join in SQL).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from lucky.queries.metrics import IMPOSSIBLE_SECONDS, _seconds
from lucky.schema import ORDER_COMPLETED, ORDER_REFUNDED

CHAIN_ZONE = "America/New_York"


@dataclass(frozen=True)
class Fact:
    """A fact table as the semantic layer reads it."""

    name: str
    database: str
    source: str                      # FROM clause, fully qualified, same database only
    ts: str                          # the UTC timestamp the period applies to
    where: str                       # the rows that count
    shop: str | None = None          # shop_id expression (None: chain-wide fact)
    currency: str | None = None
    zone: str | None = None          # a per-row zone column when the fact has no shop
    dims: dict[str, str] = field(default_factory=dict)     # source dimension -> SQL expression
    filters: dict[str, str] = field(default_factory=dict)  # filter name -> SQL column for IN :x
    measures: dict[str, str] = field(default_factory=dict)  # measure -> SQL aggregate
    user: str | None = None          # user column for distinct counts


ORDER_DIMS = {"store": "o.shop_id", "channel": "o.channel", "user": "o.user_no"}
ITEM_DIMS = {"store": "o.shop_id", "channel": "o.channel", "product": "i.spu_name",
             "category": "i.one_category_name"}

FACTS: dict[str, Fact] = {f.name: f for f in (
    Fact("orders", "luckyus_sales_order", "luckyus_sales_order.t_order o", "o.create_time",
         f"o.status = {ORDER_COMPLETED}", shop="o.shop_id", currency="o.currency_code", dims=ORDER_DIMS,
         filters={"stores": "o.shop_id", "channels": "o.channel"},
         measures={"n": "COUNT(*)", "money": "SUM(o.pay_money)"}, user="o.user_no"),
    Fact("refunds", "luckyus_sales_order", "luckyus_sales_order.t_order o", "o.create_time",
         f"o.status = {ORDER_REFUNDED}", shop="o.shop_id", currency="o.currency_code", dims=ORDER_DIMS,
         filters={"stores": "o.shop_id", "channels": "o.channel"},
         measures={"n": "COUNT(*)", "money": "SUM(o.pay_money)"}),
    Fact("items", "luckyus_sales_order",
         "luckyus_sales_order.t_order_item i JOIN luckyus_sales_order.t_order o ON o.id = i.order_id",
         "o.create_time", f"o.status = {ORDER_COMPLETED}", shop="o.shop_id", currency="o.currency_code",
         dims=ITEM_DIMS, filters={"stores": "o.shop_id", "channels": "o.channel",
                                  "products": "i.spu_name", "categories": "i.one_category_name",
                                  "temperatures": "i.two_category_name"},
         measures={"n": "COUNT(DISTINCT o.id)", "qty": "SUM(i.quantity)", "money": "SUM(i.pay_money)",
                   "tax": "SUM(i.tax)"}, user="o.user_no"),
    Fact("users", "luckyus_sales_crm", "luckyus_sales_crm.t_user u", "u.register_time",
         "u.register_time IS NOT NULL", zone="u.time_zone", dims={"channel": "u.origin"},
         filters={"channels": "u.origin"}, measures={"n": "COUNT(*)"}),
    Fact("coupons", "luckyus_sales_marketing", "luckyus_sales_marketing.t_coupon_record c", "c.use_time",
         "c.status = 2 AND c.use_time IS NOT NULL", measures={"n": "COUNT(*)", "money": "SUM(c.discount_amount)"}),
    Fact("production", "luckyus_opproduction", "luckyus_opproduction.t_production p", "p.accept_time",
         f"p.status = 3 AND p.done_time IS NOT NULL AND {_seconds('p.accept_time', 'p.done_time')} "
         f"BETWEEN 0 AND {IMPOSSIBLE_SECONDS}", shop="p.shop_id", dims={"store": "p.shop_id"},
         filters={"stores": "p.shop_id"},
         measures={"n": "COUNT(*)", "secs": f"SUM({_seconds('p.accept_time', 'p.done_time')})"}),
    Fact("fees", "luckyus_sales_payment",
         "luckyus_sales_payment.t_channel_fee f JOIN luckyus_sales_payment.t_trade t ON t.trade_no = f.trade_no",
         "f.create_time", "f.total_fee IS NOT NULL", shop="t.shop_id", currency="f.currency_code",
         dims={"store": "t.shop_id", "payment_channel": "f.channel_id"},
         filters={"stores": "t.shop_id", "payment_channels": "f.channel_id"},
         measures={"n": "COUNT(*)", "cents": "SUM(f.total_fee)", "base": "SUM(f.amount)"}),
    Fact("trades", "luckyus_sales_payment", "luckyus_sales_payment.t_trade t", "t.create_time",
         "t.status IN (1, 2, 3)", shop="t.shop_id", currency="t.currency_code",
         dims={"store": "t.shop_id", "payment_channel": "t.channel_id"},
         filters={"stores": "t.shop_id", "payment_channels": "t.channel_id"},
         measures={"n": "COUNT(*)", "cents": "SUM(t.amount)"}),
)}


@dataclass(frozen=True)
class Metric:
    """A business metric: which fact, how its value comes from the measures, how to show it."""

    name: str
    label: str
    fact: str
    unit: str = ""                  # "$", "s", "%" or ""
    numerator: str = "n"
    denominator: str | None = None  # ratio metrics (AOV, production time)
    scale: float = 1.0              # cents -> dollars
    distinct_users: bool = False
    item_fact: str | None = None    # the fact to use when a product/category is involved
    item_numerator: str | None = None
    noun: str = ""
    definition: str = ""


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("orders", "Orders", "orders", noun="completed orders", item_fact="items",
           definition=f"completed orders (t_order.status = {ORDER_COMPLETED}) in luckyus_sales_order"),
    Metric("revenue", "Revenue", "orders", "$", "money", item_fact="items", item_numerator="money",
           noun="revenue", definition="sum of t_order.pay_money of completed orders (with a product: "
                                      "t_order_item.pay_money), in one currency"),
    Metric("aov", "Average order value", "orders", "$", "money", "n", noun="average order value",
           definition="revenue / completed orders"),
    Metric("items", "Items sold", "items", "", "qty", item_fact="items", item_numerator="qty",
           noun="items sold", definition="sum of t_order_item.quantity on completed orders"),
    Metric("customers", "Customers", "orders", distinct_users=True, item_fact="items",
           noun="customers", definition="distinct t_order.user_no with a completed order"),
    Metric("new_users", "New users", "users", noun="new users",
           definition="registrations (luckyus_sales_crm.t_user.register_time), in the user's own time zone"),
    Metric("refunds", "Refunds", "refunds", noun="refunded orders",
           definition=f"orders with t_order.status = {ORDER_REFUNDED} (refunded)"),
    Metric("refund_amount", "Refunded amount", "refunds", "$", "money", noun="refunded amount",
           definition="sum of pay_money of refunded orders"),
    Metric("coupons", "Coupons redeemed", "coupons", noun="coupons redeemed",
           definition="t_coupon_record with status 2 (used), by use_time in New York time; coupons carry no store"),
    Metric("production_time", "Production time", "production", "s", "secs", "n", noun="average production time",
           definition=f"mean accept_time -> done_time of finished productions (t_production.status = 3), "
                      f"durations outside 0-{IMPOSSIBLE_SECONDS} s left out as clock faults"),
    Metric("fees", "Processing fees", "fees", "$", "cents", scale=0.01, noun="processing fees",
           definition="sum of t_channel_fee.total_fee (cents) / 100"),
    Metric("tax", "Sales tax", "items", "$", "tax", noun="sales tax",
           definition="sum of t_order_item.tax on completed orders"),
    Metric("payments", "Payments", "trades", "$", "cents", scale=0.01, noun="payments",
           definition="sum of successful t_trade.amount (status 1-3, cents) / 100"),
)}

#: Dimensions computed in pandas from the store-local time.
TIME_DIMS = ("hour", "weekday", "daytype", "day", "week", "month")
DIMENSIONS = ("store", "product", "category", "channel", "payment_channel", "user") + TIME_DIMS
CHANNELS = {1: "Android", 2: "iOS", 3: "Delivery", 8: "Other (8)", 9: "Other (9)", 10: "Other (10)"}


@dataclass(frozen=True)
class Spec:
    """What a question asks, in the semantic layer's terms."""

    metric: str | None = None
    dim: str | None = None
    start: date | None = None
    end: date | None = None
    period: str = ""                      # how the question named the period ("yesterday")
    stores: tuple[int, ...] = ()
    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    temperatures: tuple[str, ...] = ()       # t_order_item.two_category_name: "Iced", "Hot"
    channels: tuple[int, ...] = ()
    currency: str = "USD"
    top: int | None = None
    ascending: bool = False
    compare: str | None = None            # "daytype" or "previous"
    start2: date | None = None            # the period compared with
    end2: date | None = None
    period2: str = ""

    def with_(self, **kw) -> Spec:
        return replace(self, **kw)


def fact_for(spec: Spec) -> tuple[Fact, Metric, str]:
    """The fact, metric and numerator measure a spec reads."""
    metric = METRICS[spec.metric]
    itemish = bool(spec.products or spec.categories or spec.exclude_categories or spec.temperatures) \
        or spec.dim in ("product", "category")
    if spec.metric == "revenue" and spec.dim == "payment_channel":
        return FACTS["trades"], METRICS["payments"], "cents"
    if itemish and metric.item_fact:
        return FACTS[metric.item_fact], metric, metric.item_numerator or metric.numerator
    return FACTS[metric.fact], metric, metric.numerator


def supported(spec: Spec) -> str | None:
    """None when the spec can be answered, else what is missing, in words."""
    fact, metric, _ = fact_for(spec)
    if spec.dim and spec.dim not in TIME_DIMS:
        if spec.dim == "store" and fact.shop is None or spec.dim != "store" and spec.dim not in fact.dims:
            return f"{metric.noun} cannot be broken down by {spec.dim.replace('_', ' ')}"
    if spec.stores and fact.shop is None:
        return f"{metric.noun} carry no store"
    if (spec.products or spec.categories or spec.exclude_categories or spec.temperatures) and "products" not in fact.filters:
        return f"{metric.noun} cannot be filtered by product"
    if spec.channels and "channels" not in fact.filters:
        return f"{metric.noun} cannot be filtered by channel"
    return None


def build_sql(spec: Spec, lo, hi) -> tuple[Fact, str, dict]:
    """Portable, parameterised SQL for the spec's fact over the UTC window [lo, hi)."""
    fact, metric, _ = fact_for(spec)
    keys = [f"CAST({fact.ts} AS DATE)", f"EXTRACT(HOUR FROM {fact.ts})"]
    names = ["utc_day", "utc_hour"]
    if fact.shop:
        keys.append(fact.shop), names.append("shop_id")
    if fact.zone:
        keys.append(fact.zone), names.append("zone")
    if fact.currency:
        keys.append(fact.currency), names.append("currency_code")
    if spec.dim in fact.dims and spec.dim != "store":
        keys.append(fact.dims[spec.dim]), names.append("dim")
    if metric.distinct_users and fact.user:
        keys.append(fact.user), names.append("user_no")
    select = ", ".join(f"{k} AS {n}" for k, n in zip(keys, names))
    measures = ", ".join(f"{sql} AS m_{name}" for name, sql in fact.measures.items())
    where = [fact.where, f"{fact.ts} >= :lo", f"{fact.ts} < :hi"]
    params: dict = {"lo": lo, "hi": hi}
    if fact.currency:
        where.append(f"{fact.currency} = :currency")
        params["currency"] = spec.currency
    for name, values in (("stores", list(spec.stores)), ("products", list(spec.products)),
                         ("categories", list(spec.categories)), ("channels", list(spec.channels)),
                         ("temperatures", list(spec.temperatures))):
        if values and name in fact.filters:
            where.append(f"{fact.filters[name]} IN :{name}")
            params[name] = values
    if spec.exclude_categories and "categories" in fact.filters:
        where.append(f"{fact.filters['categories']} NOT IN :excluded")
        params["excluded"] = list(spec.exclude_categories)
    sql = (f"SELECT {select}, {measures}\nFROM {fact.source}\nWHERE " + "\n  AND ".join(where)
           + "\nGROUP BY " + ", ".join(keys))
    return fact, sql, params


def local_midnight_utc(day: date, zone: str):
    """The UTC instant (naive) at which the local day `day` starts in `zone` (DST-exact)."""
    return pd.Timestamp(day).tz_localize(zone, nonexistent="shift_forward", ambiguous=False) \
        .tz_convert("UTC").tz_localize(None).to_pydatetime()


def build_total_sql(spec: Spec, periods: list[tuple[date, date]], zones: dict[int, str]) -> tuple[Fact, str, dict]:
    """SQL aggregated fully at the source for a spec without a time dimension: one exact UTC
    window per (period, time zone) - the local days' bounds in that zone - so no per-hour rows
    come back. The `period` column says which period (1, 2) a group belongs to."""
    fact, metric, _ = fact_for(spec)
    params: dict = {}
    conds: list[list[str]] = []
    groups: dict[str, list[int]] = {}
    if fact.shop:
        wanted = set(spec.stores) if spec.stores else None
        for shop, zone in zones.items():
            if isinstance(zone, str) and zone and (wanted is None or shop in wanted):
                groups.setdefault(zone, []).append(int(shop))
    for p, (start, end) in enumerate(periods):
        mine = []
        for z, (zone, shops) in enumerate(sorted(groups.items()) if fact.shop else [(CHAIN_ZONE, None)]):
            k = f"{p}_{z}"
            params[f"lo{k}"] = local_midnight_utc(start, zone)
            params[f"hi{k}"] = local_midnight_utc(end + pd.Timedelta(days=1), zone)
            cond = f"{fact.ts} >= :lo{k} AND {fact.ts} < :hi{k}"
            if shops is not None:
                params[f"s{k}"] = sorted(shops)
                cond = f"{fact.shop} IN :s{k} AND {cond}"
            mine.append(f"({cond})")
        conds.append(mine or ["(1 = 0)"])
    period = "1" if len(conds) == 1 else f"CASE WHEN {' OR '.join(conds[0])} THEN 1 ELSE 2 END"
    keys, names = [period], ["period"]
    if spec.dim == "store" and fact.shop:
        keys.append(fact.shop), names.append("shop_id")
    elif spec.dim in fact.dims:
        keys.append(fact.dims[spec.dim]), names.append("dim")
    from lucky.models.timezones import utc_bounds
    lo, hi = utc_bounds(min(p[0] for p in periods), max(p[1] for p in periods))
    params.update(lo=lo.to_pydatetime(), hi=hi.to_pydatetime())   # a plain range the engine can prune on
    where = [fact.where, f"{fact.ts} >= :lo", f"{fact.ts} < :hi",
             "(" + " OR ".join(c for group in conds for c in group) + ")"]
    if fact.currency:
        where.append(f"{fact.currency} = :currency")
        params["currency"] = spec.currency
    for name, values in (("products", list(spec.products)), ("categories", list(spec.categories)),
                         ("channels", list(spec.channels)), ("temperatures", list(spec.temperatures))):
        if values and name in fact.filters:
            where.append(f"{fact.filters[name]} IN :{name}")
            params[name] = values
    if spec.exclude_categories and "categories" in fact.filters:
        where.append(f"{fact.filters['categories']} NOT IN :excluded")
        params["excluded"] = list(spec.exclude_categories)
    select = ", ".join(f"{k} AS {n}" for k, n in zip(keys, names))
    measured = dict(fact.measures)
    if metric.distinct_users and fact.user:   # each group is one period (and dim value): exact
        measured["users"] = f"COUNT(DISTINCT {fact.user})"
    measures = ", ".join(f"{sql} AS m_{name}" for name, sql in measured.items())
    group = keys[1:] if len(conds) == 1 else keys
    sql = (f"SELECT {select}, {measures}\nFROM {fact.source}\nWHERE " + "\n  AND ".join(where)
           + ("\nGROUP BY " + ", ".join(group) if group else ""))
    numerator = fact_for(spec)[2]
    if spec.top and len(conds) == 1 and len(keys) == 2 and not metric.denominator and not metric.distinct_users:
        # a ranking: let the source sort and cut (ties broken by the key, as the answer table does)
        order = "ASC" if spec.ascending else "DESC"
        sql += f"\nORDER BY {fact.measures[numerator]} {order}, {keys[1]} ASC\nLIMIT {int(spec.top)}"
    return fact, sql, params


def localize(df: pd.DataFrame, fact: Fact, zones: dict[int, str]) -> pd.DataFrame:
    """Add `local_time` (store-local, or the row's/chain's zone for facts without a store)."""
    from lucky.models.timezones import to_local

    utc = pd.to_datetime(df["utc_day"]) + pd.to_timedelta(df["utc_hour"].astype(int), unit="h")
    if fact.shop:
        zone = df["shop_id"].map(zones)
    elif fact.zone:
        zone = df["zone"].where(df["zone"].notna(), CHAIN_ZONE)
    else:
        zone = pd.Series(CHAIN_ZONE, index=df.index)
    return df.assign(local_time=to_local(utc, zone))


def add_time_dims(df: pd.DataFrame, dims: tuple[str, ...] = TIME_DIMS) -> pd.DataFrame:
    """business_date plus the time dimensions asked for (hour, weekday, daytype, day, week from
    Monday, month), from local_time; only those asked for, since each costs a pass."""
    t = df["local_time"]
    day = t.dt.normalize()
    out = {"business_date": day}
    if "hour" in dims:
        out["hour"] = t.dt.hour.astype(int)
    if "weekday" in dims:
        out["weekday"] = t.dt.day_name()
    if "daytype" in dims:
        out["daytype"] = (t.dt.day_of_week >= 5).map({True: "weekend", False: "weekday"})
    if "day" in dims:
        out["day"] = day.dt.date
    if "week" in dims:
        out["week"] = (day - pd.to_timedelta(t.dt.day_of_week, unit="D")).dt.date
    if "month" in dims:
        out["month"] = t.dt.strftime("%Y-%m")
    return df.assign(**out)


def values_by(rows: pd.DataFrame, key: str, metric: Metric, numerator: str) -> pd.DataFrame:
    """The metric per value of `key`, vectorised: key, value."""
    g = rows.groupby(key, sort=True)
    if metric.distinct_users and "user_no" in rows:
        out = g["user_no"].nunique().astype(int)
    elif metric.distinct_users and "m_users" in rows:
        out = g["m_users"].sum().astype(int)
    else:
        num = g[f"m_{numerator}"].sum(min_count=1).fillna(0).astype(float) * metric.scale
        if metric.denominator:
            den = g[f"m_{metric.denominator}"].sum().astype(float)
            out = num / den.where(den != 0)
        elif metric.unit == "$":
            out = num.round(2)
        else:
            out = num.round().astype(int) if ((num - num.round()).abs() < 1e-9).all() else num
    return out.rename("value").reset_index()


def value_of(group: pd.DataFrame, metric: Metric, numerator: str) -> float:
    """The metric's value over the rows of one group."""
    if metric.distinct_users and "user_no" in group:
        return int(group["user_no"].nunique())
    if metric.distinct_users and "m_users" in group:     # counted at the source, one row per group
        return int(group["m_users"].sum())
    num = float(group[f"m_{numerator}"].fillna(0).sum()) * metric.scale
    if metric.denominator:
        den = float(group[f"m_{metric.denominator}"].fillna(0).sum())
        return num / den if den else float("nan")
    if metric.unit == "$":
        return round(num, 2)
    return int(round(num)) if abs(num - round(num)) < 1e-9 else num
