"""The one definition of a day: the store-local business day from `t_shop_info.time_zone`.

Sources store UTC. Every "daily" figure in Lucky converts with these functions, so the
reconciliation, the briefing and the anomaly feed all agree on which day an order belongs to.
"""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd


def known_zone(name: object) -> bool:
    """True for an IANA time zone name this machine knows."""
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def to_local(ts_utc: pd.Series, zones: pd.Series) -> pd.Series:
    """Naive UTC timestamps -> naive store-local timestamps; NaT where the zone is NULL/unknown."""
    ts = pd.to_datetime(ts_utc)
    out = pd.Series(pd.NaT, index=ts.index, dtype="datetime64[ns]")
    zones = zones.reindex(ts.index)
    for zone in zones.dropna().unique():
        if not known_zone(zone):
            continue
        mask = zones == zone
        local = ts[mask].dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
        out.loc[mask] = local.astype("datetime64[ns]")
    return out


def business_day(ts_utc: pd.Series, zones: pd.Series) -> pd.Series:
    """The store-local calendar day (datetime64, midnight) of each UTC timestamp."""
    return to_local(ts_utc, zones).dt.normalize()


def utc_bounds(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC window covering local days start..end (inclusive) in any zone (UTC-12 to UTC+14).

    Used to push a date filter to the source before the exact local-day filter in pandas.
    """
    lo = pd.Timestamp(start) - pd.Timedelta(hours=15)
    hi = pd.Timestamp(end) + pd.Timedelta(days=1, hours=15)
    return lo, hi


def localize(frame: pd.DataFrame, shops: pd.DataFrame, ts_col: str = "utc_time") -> pd.DataFrame:
    """Add `local_time` and `business_date` to rows keyed by shop_id, from the shop's time zone.

    Rows whose shop has a NULL or unknown zone keep NaT; callers report them instead of guessing.
    """
    zones = frame["shop_id"].map(shops.set_index("shop_id")["time_zone"])
    out = frame.copy()
    out["local_time"] = to_local(out[ts_col], zones)
    out["business_date"] = out["local_time"].dt.normalize()
    return out


def midnight_hours(zones, start=None, end=None) -> list[int]:
    """UTC hours (0-23) at which a local business day starts in any of `zones` between start and
    end (default: the demo's span and a year around it), always including 0.

    Grouping a source table by UTC date and by the day part between consecutive edges keeps every
    part inside one local day for every one of these zones (whole-hour offsets), so a query can
    aggregate at the source with a handful of parts per day instead of 24 hours.
    """
    lo = pd.Timestamp(start or "2025-01-01") - pd.Timedelta(days=1)
    hi = pd.Timestamp(end or "2026-12-31") + pd.Timedelta(days=2)
    days = pd.date_range(lo.normalize(), hi.normalize(), freq="D")
    edges = {0}
    for zone in {z for z in zones if known_zone(z)}:
        local_midnights = days.tz_localize(zone, nonexistent="shift_forward", ambiguous=False)
        edges.update(int(h) for h in local_midnights.tz_convert("UTC").hour.unique())
    return sorted(edges)


def local_days(parts: pd.DataFrame, shops: pd.DataFrame) -> pd.DataFrame:
    """utc_day + part -> utc_time -> store-local business_date (NaT for unknown zones)."""
    if parts.empty:
        return parts.assign(business_date=pd.Series(dtype="datetime64[ns]"))
    out = parts.copy()
    out["utc_time"] = pd.to_datetime(out["utc_day"]) + pd.to_timedelta(out["part"].astype(int), unit="h")
    return localize(out, shops, "utc_time")


def in_days(df: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """Rows whose business_date lies in start..end (inclusive); all rows when open-ended."""
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= df["business_date"] >= pd.Timestamp(start)
    if end is not None:
        keep &= df["business_date"] <= pd.Timestamp(end)
    return df[keep]
