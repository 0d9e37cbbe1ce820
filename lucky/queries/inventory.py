"""Stock facts from `luckyus_scm_shopstock` for the inventory command center (Tool 16).

The seven weekday change tables are one ledger (`change_type` 1 sale consumption, 2 receipt,
3 waste / write-off, 4 stocktake adjustment); `business_date` is already the store's local day, so
no time-zone step is needed. The positions table holds daily closing snapshots (`stock_date`).
Every query aggregates at the source and filters on indexed columns.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import day_clause
from lucky.schema import WEEKDAYS

DB = "luckyus_scm_shopstock"

EXAMPLES = {
    "positions": [{"start": date(2026, 2, 1), "end": date(2026, 2, 14), "stores": ()}],
    "daily_changes": [{"start": date(2026, 2, 1), "end": date(2026, 2, 14), "stores": (), "types": (1, 3)}],
    "zero_changes": [{"start": date(2025, 6, 30), "end": date(2026, 2, 14), "stores": ()}],
    "zero_positions": [{"start": date(2025, 6, 30), "end": date(2026, 2, 14), "stores": ()}],
    "last_day": [{"stores": ()}],
    "shipment_receipts": [{"ship_nos": ("SH0000001", "SH0000002", "SH0000003")}],
}
RECEIPT = 2         # change_type of a receipt
REF_CHUNK = 1000    # ship_nos per statement (seven union branches bind each)


def _union(select: str, where: str) -> str:
    return " UNION ALL ".join(f"SELECT {select} FROM luckyus_scm_shopstock.t_shop_goods_stock_change_{wd} WHERE 1 = 1{where}"
                              for wd in WEEKDAYS)


def last_day(stores: tuple[int, ...] = ()) -> date | None:
    """The latest snapshot day of the positions table (None when it is empty)."""
    where, params = day_clause("stock_date", None, None, stores)
    df = sources.read(DB, f"SELECT MAX(stock_date) AS d FROM luckyus_scm_shopstock.t_shop_goods_stock WHERE 1 = 1{where}",
                      params)
    d = df["d"].iloc[0] if len(df) else None
    return None if d is None or pd.isna(d) else pd.Timestamp(d).date()


def positions(start: date, end: date, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Position snapshots with stock_date in [start, end]: shop_id, goods_code, goods_name,
    stock_qty, safety_qty, unit, stock_date (datetime64), ordered by store, goods and day (a
    parallel scan returns its row groups in any order; the tool's table keeps ties in this one)."""
    where, params = day_clause("stock_date", start, end, stores)
    return sources.read_frame(DB, f"""
        SELECT shop_id, goods_code, goods_name, stock_qty, safety_qty, unit, stock_date
        FROM luckyus_scm_shopstock.t_shop_goods_stock WHERE 1 = 1{where}
        ORDER BY shop_id, goods_code, stock_date""", params, dates=("stock_date",))


def daily_changes(start: date | None, end: date | None, stores: tuple[int, ...] = (),
                  types: tuple[int, ...] = (1, 2, 3, 4)) -> pd.DataFrame:
    """Ledger changes per shop × goods × business day × change type: shop_id, goods_code,
    business_date (datetime64), change_type, qty (Σ change_qty), rows."""
    where, params = day_clause("business_date", start, end, stores)
    where += " AND change_type IN :types"
    params["types"] = [int(t) for t in types]
    return sources.read_frame(DB, f"""
        SELECT shop_id, goods_code, business_date, change_type, SUM(change_qty) AS qty, COUNT(*) AS n_rows
        FROM ({_union("shop_id, goods_code, business_date, change_type, change_qty", where)}) AS c
        GROUP BY shop_id, goods_code, business_date, change_type""", params, dates=("business_date",))


def zero_changes(start: date | None, end: date | None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Store-days on which a ledger row left a position at or below zero: shop_id, goods_code,
    business_date (datetime64), min_after."""
    where, params = day_clause("business_date", start, end, stores)
    return sources.read_frame(DB, f"""
        SELECT shop_id, goods_code, business_date, MIN(after_qty) AS min_after
        FROM ({_union("shop_id, goods_code, business_date, after_qty", where + " AND after_qty <= 0")}) AS c
        GROUP BY shop_id, goods_code, business_date""", params, dates=("business_date",))


def zero_positions(start: date | None, end: date | None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Closing snapshots at or below zero: shop_id, goods_code, goods_name, stock_date (datetime64), stock_qty."""
    where, params = day_clause("stock_date", start, end, stores)
    return sources.read_frame(DB, f"""
        SELECT shop_id, goods_code, goods_name, stock_date, stock_qty
        FROM luckyus_scm_shopstock.t_shop_goods_stock WHERE stock_qty <= 0{where}""", params, dates=("stock_date",))


def shipment_receipts(ship_nos: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Receipts that reference these supplier shipments (`ref_no` = ship_no), per shipment,
    store and goods: ref_no, shop_id, goods_code, qty (Σ change_qty), n_rows, first_date."""
    refs = sorted({str(n) for n in ship_nos})
    cols = ["ref_no", "shop_id", "goods_code", "qty", "n_rows", "first_date"]
    parts = [sources.read_frame(DB, f"""
        SELECT ref_no, shop_id, goods_code, SUM(change_qty) AS qty, COUNT(*) AS n_rows, MIN(business_date) AS first_date
        FROM ({_union("ref_no, shop_id, goods_code, change_qty, business_date",
                      f" AND change_type = {RECEIPT} AND ref_no IN :refs")}) AS c
        GROUP BY ref_no, shop_id, goods_code""", {"refs": refs[i:i + REF_CHUNK]}, dates=("first_date",))
             for i in range(0, len(refs), REF_CHUNK)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
