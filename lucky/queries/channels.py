"""Acquisition facts for the Customer Acquisition Channel Tracker (Tool 6): registrations and
their origin (`luckyus_sales_crm`), first-touch funnel events (`luckyus_isales_cdp`), the order
channel mix (`luckyus_sales_order`; the per-user orders are `customers.completed_orders`) and acquisition spend (`luckyus_sales_marketing`, the
MODELLED t_channel_spend). One database per query; joins on user_no happen in pandas. The
per-user reads (hundreds of thousands of rows at scale 1) go through `sources.read_frame`, which
DuckDB hands over column by column."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from lucky import sources
from lucky.schema import ORDER_COMPLETED

CRM, CDP, ORDERS, MKT = "luckyus_sales_crm", "luckyus_isales_cdp", "luckyus_sales_order", "luckyus_sales_marketing"
COMPLETED = ORDER_COMPLETED
EXAMPLES = {"order_mix": [{"currency": "USD", "before": datetime(2026, 1, 1)}]}


def registrations() -> pd.DataFrame:
    """Every CRM user: user_no, origin (1 Android, 2 iOS, 3 delivery, 8/9/10 other), register_time (UTC)."""
    return sources.read_frame(CRM, """
        SELECT user_no, origin, register_time
        FROM luckyus_sales_crm.t_user""", dates=("register_time",))


def first_touch() -> pd.DataFrame:
    """Per tracked user (who allowed tracking): user_no, utm_source, app_open (0/1), registered (0/1)."""
    return sources.read_frame(CDP, """
        SELECT user_no, MAX(utm_source) AS utm_source,
               MAX(CASE WHEN event_name = 'app_open' THEN 1 ELSE 0 END) AS app_open,
               MAX(CASE WHEN event_name = 'register' THEN 1 ELSE 0 END) AS registered
        FROM luckyus_isales_cdp.t_user_event_track
        WHERE user_no IS NOT NULL
        GROUP BY user_no""")


def order_mix(currency: str = "USD", before: datetime | None = None) -> pd.DataFrame:
    """Completed orders per order channel and UTC day: channel, day, orders."""
    where, params = "", {"currency": currency}
    if before is not None:
        where, params = " AND create_time < :before", params | {"before": before}
    return sources.read(ORDERS, f"""
        SELECT channel, CAST(create_time AS DATE) AS day, COUNT(*) AS orders
        FROM luckyus_sales_order.t_order
        WHERE status = {COMPLETED} AND currency_code = :currency{where}
        GROUP BY channel, CAST(create_time AS DATE)""", params)


def spend() -> pd.DataFrame:
    """Acquisition spend per month, channel and utm_source: spend_month, channel, utm_source,
    campaign_name, spend_amount, currency_code."""
    return sources.read(MKT, """
        SELECT spend_month, channel, utm_source, campaign_name, spend_amount, currency_code
        FROM luckyus_sales_marketing.t_channel_spend""")
