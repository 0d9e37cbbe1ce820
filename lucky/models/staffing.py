"""Staffing arithmetic (Tool 15): heads on the floor per hour, recommended heads given no-shows,
traffic lights. Pure functions on DataFrames; hours are store-local (`date`, `hour`)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def heads(intervals: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Count people present at the middle (hh:30) of each local hour: `intervals` has shop_id and
    local datetimes in columns `start`/`end`. Returns shop_id, date, hour, heads."""
    if intervals.empty:
        return pd.DataFrame(columns=["shop_id", "date", "hour", "heads"])
    a = intervals[start] - pd.Timedelta(minutes=30)
    b = intervals[end] - pd.Timedelta(minutes=30)
    first = a.dt.ceil("h")          # first hour whose hh:30 is at or after the start
    last = b.dt.floor("h")          # last hour whose hh:30 is at or before the end
    n = ((last - first) / pd.Timedelta(hours=1)).fillna(-1).astype(int) + 1
    n = np.maximum(n, 0)
    idx = np.repeat(np.arange(len(intervals)), n)
    step = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    t = first.to_numpy()[idx] + step * np.timedelta64(1, "h")
    t = pd.Series(t)
    df = pd.DataFrame({"shop_id": intervals["shop_id"].to_numpy()[idx], "date": t.dt.normalize(), "hour": t.dt.hour})
    return df.groupby(["shop_id", "date", "hour"]).size().rename("heads").reset_index()


def recommended(required: np.ndarray, no_show_rate: np.ndarray) -> np.ndarray:
    """Heads to schedule so that, after the store's usual no-shows, `required` turn up:
    ceil(required ÷ (1 − rate))."""
    rate = np.clip(np.nan_to_num(np.asarray(no_show_rate, float)), 0, 0.9)
    return np.ceil(np.asarray(required, float) / (1 - rate) - 1e-9).astype(int)


def light(have: np.ndarray, required: np.ndarray, recommended_: np.ndarray) -> np.ndarray:
    """red below required, yellow from required up to (not including) recommended, green at or above
    recommended (and above required)."""
    have, req, rec = (np.asarray(x, float) for x in (have, required, recommended_))
    return np.where(have < req, "red", np.where(have < rec, "yellow", "green"))


def with_actual(schedule: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """The schedule with the staff a manager entered (`entries`: shop_id, date, hour, actual_staff,
    entered_by) as `actual_staff`, and the light judged on it where entered, else on the rota's
    `scheduled_staff`. `date` must be alike in both (the tool's 'YYYY-MM-DD' text)."""
    s = schedule.drop(columns=["actual_staff", "entered_by"], errors="ignore")
    e = entries[["shop_id", "date", "hour", "actual_staff", "entered_by"]]
    s = s.merge(e.astype({"shop_id": "int64", "hour": "int64", "date": str}), on=["shop_id", "date", "hour"], how="left")
    s["actual_staff"] = s["actual_staff"].astype("Int64")
    have = s["actual_staff"].astype(float).fillna(s["scheduled_staff"].astype(float))
    s["status"] = light(have.to_numpy(), s["required_staff"].to_numpy(), s["recommended_staff"].to_numpy())
    cols = [c for c in s.columns if c not in ("actual_staff", "entered_by")]
    at = cols.index("scheduled_staff") + 1 if "scheduled_staff" in cols else len(cols)
    return s[cols[:at] + ["actual_staff"] + cols[at:] + ["entered_by"]]
