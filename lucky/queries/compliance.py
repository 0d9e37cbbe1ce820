"""Source reads of the compliance checks that no other tool makes: fee records per charge, stored
card data, long productions and the machines' food-safety events. One database per query, portable
SQL; the date window is pushed to the source (`finance.window`) and the exact store-local day is
cut in pandas by the caller."""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import store_clause, window

#: a fresh drink waiting longer than this is a temperature risk (report Tool 22, food safety)
HOLD_SECONDS = 1800
#: machine event codes that matter to food safety (see luckyus_iot_platform.t_device_event)
MILK_TEMPERATURE, CLEANING = "E204", "PM-CLEAN"

EXAMPLES = {
    "charges_without_fee": [{"start": date(2025, 10, 1), "end": date(2025, 10, 31), "stores": ()}],
    "long_productions": [{"start": date(2025, 10, 1), "end": date(2025, 12, 31), "stores": (),
                          "seconds": HOLD_SECONDS}],
    "device_events": [{"start": date(2025, 10, 1), "end": date(2025, 12, 31), "stores": (),
                       "codes": (MILK_TEMPERATURE, CLEANING)}],
}


def charges_without_fee(start: date | None, end: date | None, stores: tuple[int, ...]) -> pd.DataFrame:
    """Successful charges (t_trade status 1, 2, 3) with no t_channel_fee row for their trade_no."""
    where, params = window(start, end, "t.create_time")
    s_sql, s_params = store_clause(stores, "t.shop_id")
    return sources.read("luckyus_sales_payment", f"""
        SELECT t.trade_no, t.order_no, t.shop_id, t.channel_id, t.amount, t.currency_code, t.create_time
        FROM luckyus_sales_payment.t_trade t
        LEFT JOIN luckyus_sales_payment.t_channel_fee f ON f.trade_no = t.trade_no
        WHERE t.status IN (1, 2, 3) AND f.trade_no IS NULL{where}{s_sql}""", {**params, **s_params})


def stored_card_data() -> pd.DataFrame:
    """Saved payment methods per card brand and last-four value (aggregated at the source): the PCI
    check reads which values are kept, never a row per customer."""
    return sources.read("luckyus_sales_payment", """
        SELECT card_brand, card_last4, COUNT(*) AS methods
        FROM luckyus_sales_payment.t_user_channel
        GROUP BY card_brand, card_last4""")


def payment_columns() -> pd.DataFrame:
    """Every column the payment database holds (information_schema, portable across the three
    backends): what card data could be stored at all."""
    return sources.read("luckyus_sales_payment", """
        SELECT table_name AS table_name_, column_name AS column_name_
        FROM information_schema.columns
        WHERE table_schema = :db""", {"db": "luckyus_sales_payment"}).rename(
        columns={"table_name_": "table_name", "column_name_": "column_name"})


def long_productions(start: date | None, end: date | None, stores: tuple[int, ...],
                     seconds: int = HOLD_SECONDS) -> pd.DataFrame:
    """Finished productions whose accept→done span exceeds `seconds` (a portable INTERVAL)."""
    where, params = window(start, end)
    s_sql, s_params = store_clause(stores)
    return sources.read("luckyus_opproduction", f"""
        SELECT id AS production_id, order_no, shop_id, device_no, accept_time, done_time, create_time
        FROM luckyus_opproduction.t_production
        WHERE accept_time IS NOT NULL AND done_time IS NOT NULL
          AND done_time > accept_time + INTERVAL '{int(seconds)}' SECOND{where}{s_sql}""",
                        {**params, **s_params})


def device_events(start: date | None, end: date | None, stores: tuple[int, ...],
                  codes: tuple[str, ...]) -> pd.DataFrame:
    """Machine events with the given codes, with the machine's shop (t_device, same database)."""
    where, params = window(start, end, "e.create_time")
    s_sql, s_params = store_clause(stores, "d.shop_id")
    return sources.read("luckyus_iot_platform", f"""
        SELECT e.id AS event_id, e.device_no, d.shop_id, d.machine_type, e.event_code, e.event_desc,
               e.create_time
        FROM luckyus_iot_platform.t_device_event e
        JOIN luckyus_iot_platform.t_device d ON d.device_no = e.device_no
        WHERE e.event_code IN :codes{where}{s_sql}""", {"codes": list(codes), **params, **s_params})
