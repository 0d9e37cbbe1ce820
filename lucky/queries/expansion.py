"""Site-selection data from the modelled `luckyus_iopshopexpand` and the members' first store
choices from `luckyus_sales_order`. One database per query, portable SQL."""
from __future__ import annotations

import pandas as pd

from lucky import sources
from lucky.schema import ORDER_COMPLETED

DB = "luckyus_iopshopexpand"
EXAMPLES = {"first_choices": [{"shops": (501, 502)}]}


def cells() -> pd.DataFrame:
    """Demand grid cells with their area's asking rent."""
    return sources.read(DB, """
        SELECT c.cell_id, c.center_lat AS lat, c.center_lon AS lon, c.area_code, r.area_name,
               c.residential_pop, c.daytime_pop, r.rent_psf_annual
        FROM luckyus_iopshopexpand.t_demand_cell c
        LEFT JOIN luckyus_iopshopexpand.t_rent_area r ON r.area_code = c.area_code
        ORDER BY c.cell_id""")


def subway() -> pd.DataFrame:
    return sources.read(DB, """
        SELECT entrance_id, station_name, line_names, lat, lon FROM luckyus_iopshopexpand.t_subway_entrance""")


def competitors() -> pd.DataFrame:
    return sources.read(DB, """
        SELECT competitor_id, brand, name, lat, lon FROM luckyus_iopshopexpand.t_competitor WHERE status = 1""")


def candidate_sites() -> pd.DataFrame:
    return sources.read(DB, """
        SELECT site_id, site_name, address, lat, lon, sqft, status, planned_open_date
        FROM luckyus_iopshopexpand.t_candidate_site ORDER BY site_id""")


def store_profiles() -> pd.DataFrame:
    return sources.read(DB, """
        SELECT shop_id, sqft, seats, lease_rent_psf FROM luckyus_iopshopexpand.t_store_profile""")


def member_cells() -> pd.DataFrame:
    """Where each member orders from (a grid cell). One row per member (~190K at scale 1): read
    column-wise (`read_frame`)."""
    return sources.read_frame(DB, """
        SELECT user_no, cell_id, location_type FROM luckyus_iopshopexpand.t_member_location""")


def first_choices(shops: tuple[int, ...]) -> pd.DataFrame:
    """Each member's first completed order time per store (the earliest row per member is their
    first choice): user_no, shop_id, first_time (UTC). About one row per member: read column-wise."""
    return sources.read_frame("luckyus_sales_order", f"""
        SELECT user_no, shop_id, MIN(create_time) AS first_time
        FROM luckyus_sales_order.t_order
        WHERE status = {ORDER_COMPLETED} AND shop_id IN :shops AND user_no IS NOT NULL
        GROUP BY user_no, shop_id""", {"shops": list(shops)}, dates=("first_time",))
