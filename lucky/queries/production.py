"""Production facts for the Production Time Optimizer (Tool 12) and the menu's product page.

- `luckyus_opproduction.t_production`: one ticket per order made, accept_time → done_time;
- `luckyus_opproduction.t_commodity`: the items of a ticket; `update_time` is when the item was
  finished, so an item's make time is its finish minus the previous item's (or the accept);
- `luckyus_iot_platform.t_device`: machine type per device_no;
- `luckyus_scm_commodity.t_formula_spu` / `t_commodity_base_info`: recipe steps and product names;
- `luckyus_iot_platform.t_coffee_formula`: the machine's formula (step_count, brew_seconds).

Rows come back raw (durations, local days, percentiles are computed in pandas: portable SQL has
no TIMESTAMPDIFF or PERCENTILE); the date window is pushed to the source with `utc_bounds`.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import store_clause, window

DB = "luckyus_opproduction"


def tickets(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Productions created in the window: id, shop_id, device_no, status, accept_time, done_time, create_time."""
    where, params = window(start, end)
    s_sql, s_params = store_clause(stores)
    return sources.read_frame(DB, f"""
        SELECT id, shop_id, device_no, status, accept_time, done_time, create_time
        FROM luckyus_opproduction.t_production
        WHERE 1 = 1{where}{s_sql}""", {**params, **s_params}, dates=("accept_time", "done_time", "create_time"))


def items(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Items of the productions created in the window, in ticket order: id, production_id,
    spu_code, quantity, update_time (the item's finish)."""
    where, params = window(start, end, "c.create_time")
    s_sql, s_params = store_clause(stores, "p.shop_id")
    join = " JOIN luckyus_opproduction.t_production p ON p.id = c.production_id" if stores else ""
    return sources.read_frame(DB, f"""
        SELECT c.id, c.production_id, c.spu_code, c.quantity, c.update_time
        FROM luckyus_opproduction.t_commodity c{join}
        WHERE 1 = 1{where}{s_sql}""", {**params, **s_params}, dates=("update_time",))


def machine_types() -> pd.DataFrame:
    """device_no → machine_type (t_device)."""
    return sources.read("luckyus_iot_platform",
                        "SELECT device_no, machine_type FROM luckyus_iot_platform.t_device")


def catalog() -> pd.DataFrame:
    """Products: spu_code, spu_name, category, is_iced, standard_price, standard_cost, status
    (one row per spu_code; the online version (status 4) wins over an offline duplicate)."""
    df = sources.read("luckyus_scm_commodity", """
        SELECT spu_code, name AS spu_name, one_category_name AS category, is_iced, status,
               standard_price, standard_cost
        FROM luckyus_scm_commodity.t_commodity_base_info""")
    if df.empty:
        return df
    return df.sort_values(["spu_code", "status"]).drop_duplicates("spu_code").reset_index(drop=True)


def recipe_steps() -> pd.DataFrame:
    """Recipe complexity per product: spu_code, steps (distinct step_no of the recipe in force)."""
    sql = """SELECT spu_code, COUNT(DISTINCT step_no) AS steps
             FROM luckyus_scm_commodity.t_formula_spu{where} GROUP BY spu_code"""
    df = sources.read("luckyus_scm_commodity", sql.format(where=" WHERE status = 1"))
    return df if not df.empty else sources.read("luckyus_scm_commodity", sql.format(where=""))


def coffee_formulas() -> pd.DataFrame:
    """Machine formulas in use: spu_code, machine_type, step_count, brew_seconds (t_coffee_formula)."""
    return sources.read("luckyus_iot_platform", """
        SELECT spu_code, machine_type, step_count, brew_seconds
        FROM luckyus_iot_platform.t_coffee_formula""")
