"""Tax facts: order items of completed orders (`luckyus_sales_order`) and the tax system's own
tables (`luckyus_fi_tax`, empty until the integration goes live).

Items join their order inside one database. The audit reads record by record only the items whose
recorded tax is not a valid rounding of taxable x rate (the test is plain arithmetic, so it is
portable); everything else is summed at the source per store, UTC date, day part and rate.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.models.timezones import day_edges, on_business_days
from lucky.queries.finance import COMPLETED, day_part, window
from lucky.schema import tables_of

DB = "luckyus_sales_order"
FI_TAX = "luckyus_fi_tax"


def item_parts(start: date | None, end: date | None, stores: tuple[int, ...], shops: pd.DataFrame) -> pd.DataFrame:
    """Items of completed orders of `stores` per shop, currency, day part and recorded rate on
    store-local business days start..end: items, taxable (sum of item pay_money), collected
    (sum of item tax), business_date."""
    where, params = window(start, end, "o.create_time")
    df = sources.read(DB, f"""
        SELECT o.shop_id, o.currency_code, CAST(o.create_time AS DATE) AS utc_day,
               {day_part('o.create_time', day_edges(shops, start, end))} AS part, i.tax_rate AS rate,
               COUNT(*) AS items, SUM(i.pay_money) AS taxable, SUM(COALESCE(i.tax, 0)) AS collected
        FROM luckyus_sales_order.t_order_item i
        JOIN luckyus_sales_order.t_order o ON o.id = i.order_id
        WHERE o.status = {COMPLETED} AND o.shop_id IN :shops{where}
        GROUP BY 1, 2, 3, 4, 5""", {**params, "shops": list(stores) or [-1]})
    return on_business_days(df, shops, start, end)


def suspect_items(start: date | None, end: date | None, stores: tuple[int, ...], shops: pd.DataFrame,
                  rate: float, tolerance: float) -> pd.DataFrame:
    """Items whose tax is NULL, whose rate or mode is not the statutory one, or whose amount is
    further than `tolerance` from taxable x rate, on store-local business days start..end.
    Classified precisely in `lucky.models.tax`."""
    where, params = window(start, end, "o.create_time")
    df = sources.read(DB, f"""
        SELECT o.order_no, o.shop_id, o.currency_code, o.create_time, i.sku_name, i.pay_money,
               i.tax_rate, i.tax, i.tax_mode
        FROM luckyus_sales_order.t_order_item i
        JOIN luckyus_sales_order.t_order o ON o.id = i.order_id
        WHERE o.status = {COMPLETED} AND o.shop_id IN :shops{where}
          AND (i.tax IS NULL OR i.tax_rate IS NULL OR i.tax_mode IS NULL OR i.tax_mode <> 1
               OR ABS(i.tax_rate - :rate) > 0.000001 OR ABS(i.tax - i.pay_money * :rate) > :tol)""",
        {**params, "shops": list(stores) or [-1], "rate": rate, "tol": tolerance})
    return on_business_days(df, shops, start, end, ts_col="create_time")


def fi_tax_counts() -> pd.DataFrame:
    """Rows, first and last create_time of every table in luckyus_fi_tax (one query)."""
    parts = [f"SELECT '{t.name}' AS table_name, COUNT(*) AS row_count, MIN(create_time) AS first_row, "
             f"MAX(create_time) AS last_row FROM {FI_TAX}.{t.name}" for t in tables_of(FI_TAX)]
    return sources.read(FI_TAX, " UNION ALL ".join(parts))
