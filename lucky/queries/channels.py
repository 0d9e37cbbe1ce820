"""Acquisition facts for the Customer Acquisition Channel Tracker (Tool 6): registrations and
their origin (`luckyus_sales_crm`), first-touch funnel events per app install (`luckyus_isales_cdp`), the order
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
EXAMPLES = {"order_mix": [{"currency": "USD", "before": datetime(2026, 1, 1)}],
            "visitors": [{"before": datetime(2026, 1, 1)}]}


def registrations() -> pd.DataFrame:
    """Every CRM user: user_no, origin (1 Android, 2 iOS, 3 delivery, 8/9/10 other), register_time (UTC)."""
    return sources.read_frame(CRM, """
        SELECT user_no, origin, register_time
        FROM luckyus_sales_crm.t_user""", dates=("register_time",))


def visitors(before: datetime | None = None) -> pd.DataFrame:
    """Per tracked app install (`anonymous_id`, MODELLED; events without one count per user_no),
    from its events before `before`: user_no (the user it registered as, NULL if it did not),
    platform, utm_source, first_open (its first app_open, NULL if none was tracked), registered
    (0/1), events. Events with neither id come back as one row with anonymous 1 (the install id
    itself is not read: nothing downstream needs its text)."""
    where, params = "", {}
    if before is not None:
        where, params = " WHERE create_time < :before", {"before": before}
    return sources.read_frame(CDP, f"""
        SELECT MAX(CASE WHEN anonymous_id IS NULL AND user_no IS NULL THEN 1 ELSE 0 END) AS anonymous,
               MAX(user_no) AS user_no,
               MAX(platform) AS platform, MAX(utm_source) AS utm_source,
               MIN(CASE WHEN event_name = 'app_open' THEN create_time END) AS first_open,
               MAX(CASE WHEN event_name = 'register' THEN 1 ELSE 0 END) AS registered,
               COUNT(*) AS events
        FROM luckyus_isales_cdp.t_user_event_track{where}
        GROUP BY COALESCE(anonymous_id, user_no)""", params, dates=("first_open",))


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
