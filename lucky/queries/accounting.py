"""Booked income from `luckyus_ifiaccounting.t_acc_income_bill` per store and business day.

`business_date` is a DATE column already in the store's local calendar, so these group by it
directly; the caller decides from the data when the integration went live.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import store_clause

DB = "luckyus_ifiaccounting"


def bill_days(start: date | None, end: date | None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Income bills per shop, business_date and currency: bills, amount, tax_amount."""
    where, params = "", {}
    if start is not None:
        where, params = " AND business_date >= :start", {"start": start}
    if end is not None:
        where += " AND business_date <= :end"
        params["end"] = end
    s_sql, s_params = store_clause(stores)
    df = sources.read(DB, f"""
        SELECT shop_id, business_date, currency_code, COUNT(*) AS bills, SUM(amount) AS amount,
               SUM(tax_amount) AS tax_amount
        FROM luckyus_ifiaccounting.t_acc_income_bill
        WHERE 1 = 1{where}{s_sql}
        GROUP BY shop_id, business_date, currency_code""", {**params, **s_params})
    df["business_date"] = pd.to_datetime(df["business_date"])
    return df


def reconcile_rules() -> pd.DataFrame:
    """The reconciliation rules configured in `luckyus_iunifiedreconcile` (what should match what,
    and the tolerance), shown beside the results so accounting sees the rules they signed off."""
    return sources.read("luckyus_iunifiedreconcile", """
        SELECT rule_code, rule_name, source_system, target_system, tolerance_amount, status
        FROM luckyus_iunifiedreconcile.t_reconcile_rule ORDER BY id""")
