"""Data Landscape (report §2, live): the critical business metrics, the store network, top
products, the server inventory with live row counts, the §2.4 data-quality checks and the
entity-relationship summary drawn from the schema's link columns.

Every section reads its own database; a source that fails becomes a warning naming the database
and the setting to fix while the rest of the landscape still renders.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd

from lucky import sources
from lucky.core import ROLES, Filters, Kpi, Output, Tool, Viewer
from lucky.errors import SourceError
from lucky.models import quality
from lucky.models import shops as real_shops
from lucky.models.timezones import on_business_days, zone_windows
from lucky.queries import landscape as q
from lucky.queries import orders, shops
from lucky.schema import DATABASES, REPORTED, SERVERS, get_table
from lucky.ui import formats

TREND_DAYS = 28        # weekday peak / weekend orders: the last four weeks up to the as-of day
PRODUCTION_DAYS = 14   # average production time: the last two weeks (the report used Feb 1-14)
ONLINE = 4             # t_commodity_base_info.status
STORE_COLUMNS = ["shop_id", "shop_name", "address", "opened", "status", "orders", "revenue", "aov",
                 "first_order", "lat", "lon"]
SHOP_STATUS = {1: "open", 2: "preparing", 3: "closed"}
NETWORK_STATUSES = (1, 2)  # open and preparing shops make the store network; internal ones never

# The §2.5 tables, and the link columns that tie them (child column -> owner table, in priority).
ER_TABLES: tuple[tuple[str, str], ...] = (
    ("luckyus_sales_crm", "t_user"), ("luckyus_sales_order", "t_order"),
    ("luckyus_sales_order", "t_order_item"), ("luckyus_sales_order", "t_order_amount"),
    ("luckyus_isales_cdp", "t_user_state"), ("luckyus_sales_payment", "t_trade"),
    ("luckyus_sales_payment", "t_channel_fee"), ("luckyus_sales_marketing", "t_coupon_record"),
    ("luckyus_opproduction", "t_production"), ("luckyus_opproduction", "t_commodity"),
    ("luckyus_iot_platform", "t_device"), ("luckyus_iot_platform", "t_cup_order_info"),
    ("luckyus_ifiaccounting", "t_acc_income_bill"),
)
LINK_KEYS: tuple[tuple[str, tuple[str, str], str], ...] = (
    ("production_id", ("luckyus_opproduction", "t_production"), "id"),
    ("trade_no", ("luckyus_sales_payment", "t_trade"), "trade_no"),
    ("device_no", ("luckyus_iot_platform", "t_device"), "device_no"),
    ("order_id", ("luckyus_sales_order", "t_order"), "id"),
    ("order_no", ("luckyus_sales_order", "t_order"), "order_no"),
    ("user_no", ("luckyus_sales_crm", "t_user"), "user_no"),
)


# ------------------------------------------------------------------ helpers
def _guard(out: Output, what: str, fn: Callable[[], Any]) -> Any:
    """Run one section; a failing source becomes a warning instead of failing the page."""
    try:
        return fn()
    except SourceError as exc:
        out.note("warning", f"Cannot read `{exc.database}` ({what}): {exc.reason}. "
                            f"Fix it with `{exc.setting}`.")
        return None


def _selected(shop_df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    return shop_df[shop_df["shop_id"].isin(filters.stores)] if filters.stores else shop_df


# ------------------------------------------------------------------ sections
def local_orders(shop_df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Completed orders of the filter's currency per shop and store-local hour, within range."""
    hourly = orders.hourly(filters.start, filters.end, filters.stores)
    if hourly.empty:
        return pd.DataFrame(columns=["shop_id", "currency_code", "orders", "pay_money",
                                     "local_time", "business_date"])
    hourly = hourly[hourly["currency_code"] == filters.currency]
    return on_business_days(hourly, shop_df, filters.start, filters.end, ts_col="utc_time")


def store_table(shop_df: pd.DataFrame, local: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """§2.2: the store network (open or preparing, not test, not internal) in the currency, plus
    any non-internal shop that sold in it, with opening date, orders, revenue and AOV."""
    per = local.groupby("shop_id").agg(orders=("orders", "sum"), revenue=("pay_money", "sum"),
                                       first_order=("business_date", "min"))
    mine = _selected(shop_df, filters)
    network = ((mine["test_flag"].fillna(0) == 0) & (mine["status"].isin(NETWORK_STATUSES))
               & (mine["currency_code"] == filters.currency))
    traded = mine["shop_id"].isin(per.index[per["orders"] > 0])
    keep = mine[(network | traded) & (mine["internal"].fillna(0) == 0)]
    df = keep.merge(per, left_on="shop_id", right_index=True, how="left")
    df["orders"] = df["orders"].fillna(0).astype("int64")
    df["revenue"] = df["revenue"].fillna(0.0).astype(float).round(2)
    df["aov"] = (df["revenue"] / df["orders"].where(df["orders"] > 0)).round(2)
    df["opened"] = pd.to_datetime(df["set_up_time"]).dt.date
    df["first_order"] = pd.to_datetime(df["first_order"]).dt.date
    df["status"] = df["status"].map(SHOP_STATUS).fillna("unknown")
    df["lat"], df["lon"] = df["lat"].astype(float), df["lon"].astype(float)
    df = df.sort_values(["opened", "shop_id"], na_position="last")
    return df[STORE_COLUMNS].reset_index(drop=True)


def daily_orders(local: pd.DataFrame) -> pd.DataFrame:
    """Completed orders per store-local business day (chain total), with the weekday."""
    if local.empty:
        return pd.DataFrame(columns=["business_date", "orders", "revenue", "weekend"])
    daily = local.groupby("business_date").agg(orders=("orders", "sum"), revenue=("pay_money", "sum"))
    daily = daily.reset_index()
    daily["weekend"] = pd.to_datetime(daily["business_date"]).dt.day_of_week >= 5
    return daily


def product_table(shop_df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """§2.3: top 15 products by completed orders in range, with revenue and average price."""
    df = q.top_products(zone_windows(_selected(shop_df, filters), filters.start, filters.end),
                        filters.currency)
    df.insert(0, "rank", range(1, len(df) + 1))
    df["orders"] = df["orders"].astype("int64")
    df["revenue"] = df["revenue"].astype(float).round(2)
    df["avg_price"] = (df["revenue"] / df["quantity"].astype(float).where(df["quantity"] > 0)).round(2)
    return df[["rank", "product", "category", "orders", "quantity", "revenue", "avg_price", "spu_code"]]


def inventory_table(out: Output) -> pd.DataFrame:
    """§2.1: every database with its server, each table's live row count, and reachability."""
    rows = []
    for db in REPORTED:
        try:
            counts = q.row_counts(db)
        except SourceError as exc:
            rows.append({"server": SERVERS.get(db, ""), "database": db, "table_name": None,
                         "row_count": None, "status": f"unreachable: {exc.reason}",
                         "setting": exc.setting})
            out.note("warning", f"Cannot read `{db}` (row counts): {exc.reason}. Fix it with `{exc.setting}`.")
            continue
        for rec in counts.itertuples(index=False):
            rows.append({"server": SERVERS.get(db, ""), "database": db, "table_name": rec.table_name,
                         "row_count": int(rec.row_count), "status": "ok", "setting": ""})
    df = pd.DataFrame(rows)
    df["row_count"] = df["row_count"].astype("Int64")
    return df


def _counts(inventory: pd.DataFrame, database: str) -> pd.DataFrame | None:
    part = inventory[(inventory["database"] == database) & (inventory["status"] == "ok")]
    return part[["table_name", "row_count"]].astype({"row_count": "int64"}) if len(part) else None


def quality_findings(out: Output, inventory: pd.DataFrame, shop_df: pd.DataFrame | None,
                     per_store: pd.DataFrame | None) -> pd.DataFrame:
    """§2.4: each check run on the data; a check whose source failed says so."""
    found: list[quality.Finding] = []

    def add(check: str, issue: str, db: str, fn: Callable[[], quality.Finding]) -> None:
        try:
            found.append(fn())
        except SourceError as exc:
            found.append(quality.unavailable(check, issue, db, f"{exc.reason} (check {exc.setting})"))

    def need(value: Any, db: str) -> Any:
        if value is None:
            raise SourceError(db, sources.resolve(db).setting, "source unavailable")
        return value

    add("empty_fi_tax", "Tax tables empty", "luckyus_fi_tax",
        lambda: quality.empty_tax(need(_counts(inventory, "luckyus_fi_tax"), "luckyus_fi_tax")))
    add("null_geo", "Geographic fields NULL", "luckyus_opshop",
        lambda: quality.null_geo(need(shop_df, "luckyus_opshop")))
    add("nzd_orders", "NZD test orders mixed in", "luckyus_sales_order",
        lambda: quality.nzd_share(need(per_store, "luckyus_sales_order"),
                                  shop_df if shop_df is not None else pd.DataFrame()))
    add("empty_loyalty", "Loyalty tables empty", "luckyus_isalesmembermarketing",
        lambda: quality.empty_loyalty(need(_counts(inventory, "luckyus_isalesmembermarketing"),
                                           "luckyus_isalesmembermarketing")))

    def delivery() -> quality.Finding:
        counts = need(_counts(inventory, "luckyus_sales_order"), "luckyus_sales_order")
        addresses = counts.loc[counts["table_name"] == "t_order_delivery_address", "row_count"].sum()
        return quality.missing_delivery_addresses(orders.by_type(), int(addresses))

    add("delivery_addresses", "Delivery addresses missing", "luckyus_sales_order", delivery)
    add("production_outliers", "Production time outliers", "luckyus_opproduction",
        lambda: quality.production_outliers(q.production_outliers(), q.production_count(),
                                            q.OUTLIER_SECONDS))
    add("duplicate_spu_code", "Duplicate commodity records", "luckyus_scm_commodity",
        lambda: quality.duplicate_spu(q.duplicate_spu_codes()))
    return quality.findings_frame(found)


def production_seconds(shop_df: pd.DataFrame, filters: Filters, as_of: date) -> pd.Series:
    """accept→done seconds of productions in the last PRODUCTION_DAYS local days to `as_of`."""
    start = as_of - timedelta(days=PRODUCTION_DAYS - 1)
    parts = [q.production_times(ids, lo, hi)
             for ids, lo, hi in zone_windows(_selected(shop_df, filters), start, as_of)]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.Series(dtype=float)
    df = pd.concat(parts)
    return (pd.to_datetime(df["done_time"]) - pd.to_datetime(df["accept_time"])).dt.total_seconds()


def kpi_cards(out: Output, filters: Filters, stores: pd.DataFrame | None, daily: pd.DataFrame | None,
              products: pd.DataFrame | None, shop_df: pd.DataFrame | None) -> list[Kpi]:
    """The report's Critical Business Metrics, each computed from the data."""
    cur = filters.currency
    money = "$" if cur == "USD" else "NZ$"
    cards: list[Kpi] = []
    if daily is not None:
        n, revenue = int(daily["orders"].sum()), float(daily["revenue"].sum())
        cards += [
            Kpi(f"{cur} revenue", round(revenue, 2), money, help=f"Completed orders' pay_money in {cur}"),
            Kpi(f"Average order value ({cur})", round(revenue / n, 2) if n else None, money),
            Kpi(f"Completed {cur} orders", n, help="t_order status 90 in the date range"),
        ]
    users = _guard(out, "registered users", q.registered_users)
    if users is not None:
        cards.append(Kpi("Registered users", users, help="Rows in luckyus_sales_crm.t_user"))
    catalogue = _guard(out, "active products", q.catalogue)
    if catalogue is not None:
        online = catalogue.loc[catalogue["status"] == ONLINE, "spu_codes"].sum()
        cards.append(Kpi("Active products", int(online), help="Distinct online (status 4) spu_codes"))
    if products is not None:
        top = products.iloc[0] if len(products) else None
        cards.append(Kpi("#1 product", None if top is None else str(top["product"]),
                         help="" if top is None else f"{int(top['orders']):,} orders in the range"))
    as_of = filters.as_of or filters.end
    if shop_df is not None and as_of is not None:
        secs = _guard(out, "production time", lambda: production_seconds(shop_df, filters, as_of))
        if secs is not None:
            cards.append(Kpi("Avg production time", round(float(secs.mean()), 1) if len(secs) else None,
                             "s", help=f"accept→done, the {PRODUCTION_DAYS} days to {as_of} "
                                       f"({len(secs):,} productions)"))
    if daily is not None:
        cards += trend_cards(daily, as_of)
    coupons = _guard(out, "coupons", q.coupons)
    if coupons is not None:
        cards.append(Kpi("Coupon records", coupons["records"],
                         help=f"t_coupon_record rows from {coupons['templates']:,} templates"))
    if stores is not None:
        active = int((stores["orders"] > 0).sum())
        cards.append(Kpi("Stores", active, help=f"Network stores with completed {cur} orders in "
                                                "the range (internal shops not counted)"))
    devices = _guard(out, "IoT devices", lambda: q.devices(filters.stores))
    if devices is not None:
        cards.append(Kpi("IoT devices", devices, help="Coffee machines in luckyus_iot_platform.t_device"))
    return cards


def trend_cards(daily: pd.DataFrame, as_of: date | None) -> list[Kpi]:
    """Weekday peak and the weekend range over the last TREND_DAYS days up to `as_of`."""
    if daily.empty:
        return [Kpi("Weekday peak orders", None, "/day"), Kpi("Weekend orders", None, "/day")]
    last = pd.Timestamp(as_of) if as_of else pd.to_datetime(daily["business_date"]).max()
    recent = daily[(pd.to_datetime(daily["business_date"]) <= last)
                   & (pd.to_datetime(daily["business_date"]) > last - pd.Timedelta(days=TREND_DAYS))]
    weekday, weekend = recent[~recent["weekend"]], recent[recent["weekend"]]
    span = f"the {TREND_DAYS} days to {last.date()}"
    peak = Kpi("Weekday peak orders", int(weekday["orders"].max()) if len(weekday) else None, "/day",
               help=f"Busiest weekday in {span}")
    wk = (f"{int(weekend['orders'].min()):,}–{int(weekend['orders'].max()):,}"
          if len(weekend) else None)
    return [peak, Kpi("Weekend orders", wk, "/day", help=f"Range of weekend days in {span}")]


def kpi_table(cards: list[Kpi]) -> pd.DataFrame:
    """The KPI cards as a table for the CLI and export: numbers stay numbers."""
    return pd.DataFrame([{
        "metric": k.label,
        "value": float(k.value) if isinstance(k.value, (int, float)) else None,
        "text": k.value if isinstance(k.value, str) else None,
        "unit": k.unit, "detail": k.help} for k in cards])


# ------------------------------------------------------------------ drawings
def er_edges() -> list[tuple[tuple[str, str], tuple[str, str], str]]:
    """(parent, child, column) links among ER_TABLES, from the columns the tables carry.

    A child gets one edge per owner; a link is left out when another parent of the child already
    carries that column (t_channel_fee's order_no comes through t_trade), so the drawing shows
    the path data actually takes.
    """
    cols = {t: {c.name for c in get_table(*t).columns} for t in ER_TABLES}
    edges = []
    for child in ER_TABLES:
        links = [(col, owner) for col, owner, _ in LINK_KEYS if col in cols[child] and owner != child]
        owners: dict[tuple[str, str], str] = {}
        for col, owner in links:
            owners.setdefault(owner, col)
        for owner, col in owners.items():
            via_other = any(col in cols.get(other, set()) for other in owners if other != owner)
            if not via_other:
                edges.append((owner, child, col))
    return edges


def er_dot(inventory: pd.DataFrame) -> str:
    """Graphviz DOT of the §2.5 entity relationships, nodes clustered by database with live rows."""
    counts = {(r.database, r.table_name): r.row_count for r in inventory.itertuples()
              if r.status == "ok"}
    lines = ["digraph er {", '  rankdir=LR; bgcolor="transparent";',
             '  node [shape=box, style="rounded,filled", fillcolor="#f4f1ea", color="#8a7f6f", '
             'fontname="Helvetica", fontsize=11];',
             '  edge [color="#6b6358", fontname="Helvetica", fontsize=9];']
    for db in dict.fromkeys(db for db, _ in ER_TABLES):
        lines.append(f'  subgraph "cluster_{db}" {{ label="{db}"; fontsize=10; color="#d9d2c5";')
        for d, t in ER_TABLES:
            if d == db:
                n = counts.get((d, t))
                rows = f"{int(n):,} rows" if n is not None and not pd.isna(n) else "unreachable"
                lines.append(f'    "{d}.{t}" [label="{t}\\n{rows}"];')
        lines.append("  }")
    for parent, child, col in er_edges():
        style = "solid" if parent[0] == child[0] else "dashed"
        lines.append(f'  "{parent[0]}.{parent[1]}" -> "{child[0]}.{child[1]}" [label="{col}", style={style}];')
    lines.append("}")
    return "\n".join(lines)


def store_map(stores: pd.DataFrame) -> Any | None:
    """pydeck map of stores from t_shop_info GPS, sized by orders, on the offline base map."""
    import pydeck as pdk

    from lucky.ui import basemap

    pts = stores.dropna(subset=["lat", "lon"])
    if pts.empty:
        return None
    pts = pts.assign(radius=40 + 160 * (pts["orders"] / max(pts["orders"].max(), 1)) ** 0.5,
                     revenue_text=pts["revenue"].map(lambda v: f"{v:,.0f}"),
                     orders_text=pts["orders"].map(lambda v: f"{v:,}"))
    layer = pdk.Layer("ScatterplotLayer", data=pts[["shop_name", "lat", "lon", "radius", "status",
                                                    "orders_text", "revenue_text"]],
                      get_position="[lon, lat]", get_radius="radius", pickable=True,
                      get_fill_color=[166, 97, 26, 190], get_line_color=[255, 255, 255],
                      stroked=True, line_width_min_pixels=1)
    view = pdk.ViewState(latitude=float(pts["lat"].mean()), longitude=float(pts["lon"].mean()),
                         zoom=11.5 if pts["lat"].max() - pts["lat"].min() < 0.2 else 3)
    # Manhattan's land and streets ship with Lucky, so the map reads without a network
    return basemap.deck([layer], view=view,
                        tooltip={"text": "{shop_name} ({status})\n{orders_text} orders, {revenue_text} revenue"})


def charts(stores, daily, products, inventory, currency: str = "USD") -> dict[str, Any]:
    import altair as alt

    out: dict[str, Any] = {}
    if stores is not None:
        deck = store_map(stores)
        if deck is not None:
            out["store_map"] = deck
    if daily is not None and len(daily):
        out["daily_orders"] = alt.Chart(daily).mark_bar(color="#a6611a").encode(
            x=alt.X("business_date:T", title="store-local business day"),
            y=alt.Y("orders:Q", title="completed orders"),
            opacity=alt.condition("datum.weekend", alt.value(0.45), alt.value(0.9)),
            tooltip=["business_date:T", alt.Tooltip("orders:Q", format=","),
                     alt.Tooltip("revenue:Q", **formats.money_tooltip("revenue", currency, 0))]).properties(height=220)
    if products is not None and len(products):
        out["top_products"] = alt.Chart(products).mark_bar(color="#a6611a").encode(
            x=alt.X("orders:Q", title="orders"),
            y=alt.Y("product:N", sort="-x", title=None,
                    axis=alt.Axis(labelOverlap=False, labelLimit=220)),   # every bar labelled
            tooltip=["product", "category", alt.Tooltip("orders:Q", format=","),
                     alt.Tooltip("revenue:Q", **formats.money_tooltip("revenue", currency, 0)),
                     alt.Tooltip("avg_price:Q", **formats.money_tooltip("avg price", currency))]).properties(height=max(360, 26 * len(products)))
    if inventory is not None and len(inventory):
        per_db = (inventory[inventory["status"] == "ok"].groupby(["server", "database"], as_index=False)
                  ["row_count"].sum())
        per_db["row_count"] = per_db["row_count"].astype("int64")
        per_db["plotted"] = per_db["row_count"].clip(lower=1)
        # a log scale has no zero: bars start at 1 row (x2), or Vega draws none
        out["inventory"] = alt.Chart(per_db).transform_calculate(base="1").mark_bar(color="#5b7a6b").encode(
            x=alt.X("plotted:Q", scale=alt.Scale(type="log", domainMin=1), title="rows (log scale)"),
            x2="base:Q",
            y=alt.Y("database:N", sort="-x", title=None,
                    axis=alt.Axis(labelOverlap=False, labelLimit=200)),   # every database labelled
            tooltip=["server", "database", alt.Tooltip("row_count:Q", format=",")]
        ).properties(height=max(420, 24 * len(per_db)))
        out["entity_relationships"] = er_dot(inventory)
    return out


# ------------------------------------------------------------------ the tool
def run(filters: Filters, viewer: Viewer, include_test: bool = False) -> Output:
    out = Output()
    shop_df = _guard(out, "stores", shops.shops)
    if shop_df is not None:
        filters = real_shops.scope(filters, shop_df, include_test)
    local = stores = daily = products = per_store = None
    if shop_df is not None:
        local = _guard(out, "orders", lambda: local_orders(shop_df, filters))
        if local is not None:
            stores = store_table(shop_df, local, filters)
            daily = daily_orders(local)
        products = _guard(out, "top products", lambda: product_table(shop_df, filters))
    per_store = _guard(out, "orders per store", lambda: orders.per_store(None))
    inventory = inventory_table(out)
    cards = kpi_cards(out, filters, stores, daily, products, shop_df)
    out.kpis = cards
    out.tables = {
        "kpis": kpi_table(cards),
        "stores": stores.drop(columns=["lat", "lon"]) if stores is not None else pd.DataFrame(),
        "products": products if products is not None else pd.DataFrame(),
        "inventory": inventory,
        "quality": quality_findings(out, inventory, shop_df, per_store),
    }
    if stores is not None and stores["orders"].sum() == 0:
        out.note("info", f"No completed {filters.currency} orders in this date range and store "
                         "selection: widen the range or pick other stores.")
    out.charts = charts(stores, daily, products, inventory, filters.currency)
    return real_shops.finish(out, shop_df, include_test) if shop_df is not None else out


TOOL = Tool(
    slug="landscape", number=0, title="Data Landscape", department="Company-wide",
    roles=frozenset(ROLES), sources=DATABASES, run=run, options=(real_shops.INCLUDE_TEST,), icon=":material/map:",
    description="The report's Data Landscape Map, live: business metrics, stores, products, "
                "server inventory, data quality and how the tables link.",
)
