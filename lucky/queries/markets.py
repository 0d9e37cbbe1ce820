"""Store opening hours (`luckyus_opshop.t_shop_opening_time`) for the timezone hub's 'open now'."""
from __future__ import annotations

import pandas as pd

from lucky import sources

DB = "luckyus_opshop"


def latest_hours(shop_ids: tuple[int, ...]) -> pd.DataFrame:
    """The most recent week of opening hours per shop: shop_id, business_date, week_day,
    open_time, close_time, status. Empty when the table holds nothing for these shops."""
    if not shop_ids:
        return pd.DataFrame(columns=["shop_id", "business_date", "week_day", "open_time", "close_time", "status"])
    last = sources.read(DB, """
        SELECT MAX(business_date) AS last_day FROM luckyus_opshop.t_shop_opening_time
        WHERE shop_id IN :shops""", {"shops": list(shop_ids)})["last_day"].iloc[0]
    if last is None or pd.isna(last):
        return pd.DataFrame(columns=["shop_id", "business_date", "week_day", "open_time", "close_time", "status"])
    cut = (pd.Timestamp(last) - pd.Timedelta(days=6)).date()
    return sources.read(DB, """
        SELECT shop_id, business_date, week_day, open_time, close_time, status
        FROM luckyus_opshop.t_shop_opening_time
        WHERE shop_id IN :shops AND business_date >= :cut""", {"shops": list(shop_ids), "cut": cut})
