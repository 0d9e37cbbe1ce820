"""Stores (`luckyus_opshop.t_shop_info`): the dimension every tool joins to in pandas.

What a real trading shop is (and how tools scope and flag the others) is pure DataFrame logic
and lives in `lucky.models.shops`."""
from __future__ import annotations

import pandas as pd

from lucky import sources
from lucky.models.shops import is_real

DB = "luckyus_opshop"


def shops() -> pd.DataFrame:
    """Every shop row, production and test, with its time zone and currency."""
    return sources.read(DB, """
        SELECT id AS shop_id, shop_no, shop_name, tenant, status, operation_mode, time_zone,
               address, location_longitude AS lon, location_latitude AS lat,
               set_up_time, internal, test_flag, currency_code,
               country_name, administrative_area_name, locality_name
        FROM luckyus_opshop.t_shop_info
        ORDER BY id""")


def trading_shops(currency: str = "USD") -> pd.DataFrame:
    """Real trading shops (`lucky.models.shops.is_real`) that trade in `currency`."""
    df = shops()
    return df[is_real(df) & (df["currency_code"] == currency)].reset_index(drop=True)
