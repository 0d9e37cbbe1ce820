"""Labour and demand facts for the staffing optimizer (Tool 15).

- `luckyus_iehr` (MODELLED HR): employees, published shifts, attendance (clock-in/out, no-shows);
- `luckyus_ireplenishment.t_order_predict_alg_v2`: predicted orders per store, local day and hour;
- `luckyus_opproduction.t_production`: accept → done seconds per store and UTC hour, aggregated
  at the source with the report's rule (valid durations only, more than 30 minutes counted apart).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import store_clause, window
from lucky.queries.metrics import _seconds

HR = "luckyus_iehr"
OUTLIER_S = 1800


def employees(stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """employee_no, shop_id, role, hourly_wage, status."""
    s_sql, params = store_clause(stores)
    return sources.read(HR, f"""
        SELECT employee_no, shop_id, role, hourly_wage, status
        FROM luckyus_iehr.t_employee WHERE 1 = 1{s_sql} ORDER BY shop_id, employee_no""", params)


def shifts(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Published shifts (status 1) on store-local days start..end: shift_no, employee_no, shop_id,
    shift_date, role, start_time, end_time (UTC)."""
    where, params = "", {}
    if start is not None:
        where, params = " AND shift_date >= :d0", {"d0": start}
    if end is not None:
        where += " AND shift_date <= :d1"
        params["d1"] = end
    s_sql, s_params = store_clause(stores)
    return sources.read(HR, f"""
        SELECT shift_no, employee_no, shop_id, shift_date, role, start_time, end_time
        FROM luckyus_iehr.t_schedule_shift
        WHERE status = 1{where}{s_sql}
        ORDER BY shop_id, start_time""", {**params, **s_params})


def attendance(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Attendance of shifts ending in the window: shift_no, employee_no, shop_id, clock_in_time,
    clock_out_time (NULL for no-shows), attendance_status (1 on time, 2 late, 3 no-show)."""
    where, params = window(start, end)
    s_sql, s_params = store_clause(stores)
    return sources.read(HR, f"""
        SELECT shift_no, employee_no, shop_id, clock_in_time, clock_out_time, attendance_status
        FROM luckyus_iehr.t_attendance
        WHERE 1 = 1{where}{s_sql}""", {**params, **s_params})


def no_shows(end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Per shop over its whole history up to `end`: shifts (with an attendance record), no_shows."""
    where, params = ("", {}) if end is None else window(None, end)
    s_sql, s_params = store_clause(stores)
    return sources.read(HR, f"""
        SELECT shop_id, COUNT(*) AS shifts,
               SUM(CASE WHEN attendance_status = 3 THEN 1 ELSE 0 END) AS no_shows
        FROM luckyus_iehr.t_attendance
        WHERE 1 = 1{where}{s_sql}
        GROUP BY shop_id""", {**params, **s_params})


def predictions(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Predicted orders per shop, local day and hour, from the latest model run of each day:
    shop_id, pred_date, pred_hour, pred_order_cnt."""
    where, params = "", {}
    if start is not None:
        where, params = " AND pred_date >= :d0", {"d0": start}
    if end is not None:
        where += " AND pred_date <= :d1"
        params["d1"] = end
    s_sql, s_params = store_clause(stores)
    df = sources.read("luckyus_ireplenishment", f"""
        SELECT shop_id, pred_date, pred_hour, pred_order_cnt, create_time
        FROM luckyus_ireplenishment.t_order_predict_alg_v2
        WHERE 1 = 1{where}{s_sql}""", {**params, **s_params})
    if df.empty:
        return df.drop(columns="create_time")
    df = df.sort_values("create_time").drop_duplicates(["shop_id", "pred_date", "pred_hour"], keep="last")
    return df.drop(columns="create_time").reset_index(drop=True)


def production_hours(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Per shop and UTC hour of accept: made (valid tickets), seconds (their sum), outliers
    (done − accept over 30 minutes, counted apart). Report's rule: status done, done > accept."""
    where, params = window(start, end, "accept_time")
    s_sql, s_params = store_clause(stores)
    secs = _seconds("accept_time", "done_time")
    df = sources.read_frame("luckyus_opproduction", f"""
        SELECT shop_id, utc_day, h,
               SUM(CASE WHEN secs <= {OUTLIER_S} THEN 1 ELSE 0 END) AS made,
               SUM(CASE WHEN secs <= {OUTLIER_S} THEN secs ELSE 0 END) AS seconds,
               SUM(CASE WHEN secs > {OUTLIER_S} THEN 1 ELSE 0 END) AS outliers
        FROM (SELECT shop_id, CAST(accept_time AS DATE) AS utc_day, EXTRACT(HOUR FROM accept_time) AS h,
                     {secs} AS secs
              FROM luckyus_opproduction.t_production
              WHERE status = 3 AND accept_time IS NOT NULL AND done_time IS NOT NULL{where}{s_sql}) p
        WHERE secs > 0
        GROUP BY shop_id, utc_day, h""", {**params, **s_params})
    if df.empty:
        return pd.DataFrame({"shop_id": pd.Series(dtype="int64"), "utc_hour": pd.Series(dtype="datetime64[ns]"),
                             "made": pd.Series(dtype="int64"), "seconds": pd.Series(dtype=float),
                             "outliers": pd.Series(dtype="int64")})
    df["utc_hour"] = pd.to_datetime(df.pop("utc_day")) + pd.to_timedelta(df.pop("h").astype(int), unit="h")
    return df.astype({"made": "int64", "seconds": "float64", "outliers": "int64"})   # counts whatever the backend
