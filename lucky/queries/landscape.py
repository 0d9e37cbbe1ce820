"""Facts for the Data Landscape (report §2): row counts, catalogue and quality-check inputs.

Every function reads one database and aggregates at the source: the landscape never pulls raw
rows except the handful a check flags (production outliers, duplicate product codes).
"""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from lucky import sources
from lucky.schema import ORDER_COMPLETED, tables_of

OUTLIER_SECONDS = 3600  # no drink takes an hour: the check's threshold (portable INTERVAL below)


def row_counts(database: str) -> pd.DataFrame:
    """Exact live row count of every table of `database`: table_name, row_count (one query)."""
    parts = [f"SELECT '{t.name}' AS table_name, COUNT(*) AS row_count FROM {database}.{t.name}"
             for t in tables_of(database)]
    df = sources.read(database, " UNION ALL ".join(parts))
    df["row_count"] = df["row_count"].astype("int64")
    return df


def registered_users() -> int:
    """Rows of the CRM user table (`luckyus_sales_crm.t_user`)."""
    return int(sources.read("luckyus_sales_crm",
                            "SELECT COUNT(*) AS n FROM luckyus_sales_crm.t_user")["n"].iloc[0])


def catalogue() -> pd.DataFrame:
    """Commodity rows per status: status, n_rows, spu_codes (4 = online, 5 = offline)."""
    return sources.read("luckyus_scm_commodity", """
        SELECT status, COUNT(*) AS n_rows, COUNT(DISTINCT spu_code) AS spu_codes
        FROM luckyus_scm_commodity.t_commodity_base_info GROUP BY status""")


def duplicate_spu_codes() -> pd.DataFrame:
    """spu_codes carried by more than one commodity row: spu_code, n_rows, statuses, name."""
    return sources.read("luckyus_scm_commodity", """
        SELECT spu_code, COUNT(*) AS n_rows, COUNT(DISTINCT status) AS statuses,
               MIN(name) AS name
        FROM luckyus_scm_commodity.t_commodity_base_info
        GROUP BY spu_code HAVING COUNT(*) > 1 ORDER BY spu_code""")


def coupons() -> dict[str, int]:
    """Live coupon records and the templates they come from."""
    df = sources.read("luckyus_sales_marketing", """
        SELECT COUNT(*) AS records, COUNT(DISTINCT template_id) AS templates
        FROM luckyus_sales_marketing.t_coupon_record""")
    return {k: int(v or 0) for k, v in df.iloc[0].items()}


def devices(stores: tuple[int, ...] = ()) -> int:
    """IoT devices (coffee machines), optionally for some shops."""
    where, params = ("WHERE shop_id IN :stores", {"stores": list(stores)}) if stores else ("", {})
    df = sources.read("luckyus_iot_platform",
                      f"SELECT COUNT(*) AS n FROM luckyus_iot_platform.t_device {where}", params)
    return int(df["n"].iloc[0])


def top_products(windows: list[tuple[tuple[int, ...], datetime, datetime]], currency: str,
                 limit: int = 15) -> pd.DataFrame:
    """Completed-order product lines per product over exact UTC windows per group of shops.

    Returns product, category, orders (distinct orders), quantity, revenue (item pay_money),
    summed over the windows, top `limit` by orders.
    """
    frames = []
    for shop_ids, lo, hi in windows:
        frames.append(sources.read("luckyus_sales_order", f"""
            SELECT i.spu_code, MIN(i.spu_name) AS product, MIN(i.one_category_name) AS category,
                   COUNT(DISTINCT i.order_id) AS orders, SUM(i.quantity) AS quantity,
                   SUM(i.pay_money) AS revenue
            FROM luckyus_sales_order.t_order_item i
            JOIN luckyus_sales_order.t_order o ON o.id = i.order_id
            WHERE o.status = {ORDER_COMPLETED} AND o.currency_code = :currency AND o.shop_id IN :shops
              AND o.create_time >= :lo AND o.create_time < :hi
            GROUP BY i.spu_code""",
            {"currency": currency, "shops": list(shop_ids), "lo": lo, "hi": hi}))
    if not frames or all(f.empty for f in frames):
        return pd.DataFrame(columns=["spu_code", "product", "category", "orders", "quantity", "revenue"])
    df = pd.concat([f for f in frames if not f.empty])
    df = df.groupby("spu_code", as_index=False).agg(
        product=("product", "first"), category=("category", "first"), orders=("orders", "sum"),
        quantity=("quantity", "sum"), revenue=("revenue", "sum"))
    return df.sort_values(["orders", "revenue"], ascending=False).head(limit).reset_index(drop=True)


def production_times(shop_ids: tuple[int, ...], lo: datetime, hi: datetime) -> pd.DataFrame:
    """accept_time, done_time of finished productions created in a UTC window (shop_id too)."""
    return sources.read("luckyus_opproduction", """
        SELECT shop_id, accept_time, done_time
        FROM luckyus_opproduction.t_production
        WHERE shop_id IN :shops AND create_time >= :lo AND create_time < :hi
          AND accept_time IS NOT NULL AND done_time IS NOT NULL""",
        {"shops": list(shop_ids), "lo": lo, "hi": hi})


def production_outliers() -> pd.DataFrame:
    """Productions whose accept→done span is negative or over an hour (the §2.4 check)."""
    return sources.read("luckyus_opproduction", f"""
        SELECT id, order_no, shop_id, accept_time, done_time
        FROM luckyus_opproduction.t_production
        WHERE accept_time IS NOT NULL AND done_time IS NOT NULL
          AND (done_time > accept_time + INTERVAL '{OUTLIER_SECONDS}' SECOND
               OR done_time < accept_time)""")


def production_count() -> int:
    """Finished productions with both timestamps (the denominator of the outlier share)."""
    return int(sources.read("luckyus_opproduction", """
        SELECT COUNT(*) AS n FROM luckyus_opproduction.t_production
        WHERE accept_time IS NOT NULL AND done_time IS NOT NULL""")["n"].iloc[0])


def data_span() -> tuple[date | None, date | None]:
    """First and latest store-local business day with a completed order (None, None if none).

    The app's as-of date and the CLI's defaults come from here, never from the wall clock.
    """
    from lucky.models.timezones import to_local
    from lucky.queries import orders, shops

    span, shop_df = orders.per_store(None), shops.shops()
    if span.empty or shop_df.empty:
        return None, None
    zones = span["shop_id"].map(shop_df.set_index("shop_id")["time_zone"])
    lo = to_local(pd.to_datetime(span["first_order"]), zones).dropna()
    hi = to_local(pd.to_datetime(span["last_order"]), zones).dropna()
    if lo.empty or hi.empty:
        return None, None
    return lo.min().date(), hi.max().date()
