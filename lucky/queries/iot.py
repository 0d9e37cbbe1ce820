"""Machine facts from `luckyus_iot_platform`: the fleet (t_device), its connection history
(t_device_status_log), cups per machine-hour (t_cup_order_info, aggregated at the source) and
maintenance/error events (t_device_event, which has no shop column: filter by device in pandas).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import store_clause, window

DB = "luckyus_iot_platform"


def devices(stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """device_no, device_name, machine_type, shop_id, status (1 online / 0 offline now),
    install_time (t_device.create_time, UTC), last_maintenance_date."""
    s_sql, params = store_clause(stores)
    return sources.read(DB, f"""
        SELECT device_no, device_name, machine_type, shop_id, status, create_time AS install_time,
               last_maintenance_date
        FROM luckyus_iot_platform.t_device
        WHERE 1 = 1{s_sql}
        ORDER BY shop_id, id""", params)


def status_log(stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Every connection change: device_no, shop_id, status (0 offline / 1 online from then on),
    event_code, create_time (UTC)."""
    s_sql, params = store_clause(stores)
    return sources.read(DB, f"""
        SELECT device_no, shop_id, status, event_code, create_time
        FROM luckyus_iot_platform.t_device_status_log
        WHERE 1 = 1{s_sql}
        ORDER BY device_no, create_time""", params)


def cups_hourly(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Good cups (status 1) per shop, machine and UTC hour: shop_id, device_no, utc_hour, cups.
    A large result (every machine-hour of the baseline weeks): read column-wise (`read_frame`)."""
    where, params = window(start, end, "start_time")
    s_sql, s_params = store_clause(stores)
    df = sources.read_frame(DB, f"""
        SELECT shop_id, device_no, CAST(start_time AS DATE) AS utc_day,
               EXTRACT(HOUR FROM start_time) AS h, COUNT(*) AS cups
        FROM luckyus_iot_platform.t_cup_order_info
        WHERE status = 1{where}{s_sql}
        GROUP BY shop_id, device_no, CAST(start_time AS DATE), EXTRACT(HOUR FROM start_time)""",
        {**params, **s_params})
    if df.empty:
        return pd.DataFrame({"shop_id": pd.Series(dtype="int64"), "device_no": pd.Series(dtype=object),
                             "utc_hour": pd.Series(dtype="datetime64[ns]"), "cups": pd.Series(dtype="int64")})
    df["utc_hour"] = pd.to_datetime(df.pop("utc_day")) + pd.to_timedelta(df.pop("h").astype(int), unit="h")
    df["cups"] = df["cups"].astype("int64")
    return df


def events(start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Maintenance, error and offline events: device_no, event_type, event_code, event_desc, create_time."""
    where, params = window(start, end)
    return sources.read(DB, f"""
        SELECT device_no, event_type, event_code, event_desc, create_time
        FROM luckyus_iot_platform.t_device_event
        WHERE 1 = 1{where}
        ORDER BY create_time""", params)
