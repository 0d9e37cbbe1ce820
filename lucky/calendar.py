"""The data's calendar and store list, as the shared filters offer them.

Between the queries and the UI: the frame draws the date range and the store picker from this,
without reading a source itself (ui imports no queries).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky.models import shops as real_shops
from lucky.queries import landscape, orders, shops


def data_calendar() -> tuple[date | None, date | None, pd.DataFrame]:
    """(first day, latest day, stores to offer): real shops that are open or traded, real USD
    stores first (a store manager's default shop is one of them), then the test and internal
    shops that traded, with their `kind`."""
    first, last = landscape.data_span()
    shop_df, span = shops.shops(), orders.per_store(None)
    shop_df = shop_df.assign(kind=real_shops.kind(shop_df))
    real = shop_df["kind"] == "real"
    traded = shop_df["shop_id"].isin(span["shop_id"]) if not span.empty else False
    options = shop_df[(real & (shop_df["status"].fillna(0) == 1)) | traded].copy()
    options["_rank"] = (~(real & (shop_df["currency_code"] == "USD"))).loc[options.index].astype(int) \
        + (~real).loc[options.index].astype(int)
    options = options.sort_values(["_rank", "shop_id"]).drop(columns="_rank")
    return first, last, options
