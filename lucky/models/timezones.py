"""The one definition of a day: the store-local business day from `t_shop_info.time_zone`.

Sources store UTC. Every "daily" figure in Lucky converts with these functions, so the
reconciliation, the briefing and the anomaly feed all agree on which day an order belongs to.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
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


def in_days(df: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """Rows whose business_date lies in start..end (inclusive); all rows when open-ended."""
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= df["business_date"] >= pd.Timestamp(start)
    if end is not None:
        keep &= df["business_date"] <= pd.Timestamp(end)
    return df[keep]


def on_business_days(rows: pd.DataFrame, shops: pd.DataFrame, start: date | None, end: date | None,
                     ts_col: str | None = None, zone_names: list[str] | None = None) -> pd.DataFrame:
    """The one path from source rows to store-local business days, trimmed to start..end.

    Every daily query ends here, so no tool rebuilds the window or the trim by hand. `rows`
    carry a UTC time: `ts_col`, or `utc_day` + `part` (the day parts of `midnight_hours`). The
    zone is the row's shop's (`shop_id` in `shops`), or `zone_names[zone_ix]` for rows grouped
    by zone (-1: no usable zone). A row whose zone is NULL or unknown is placed on its UTC day,
    so no money drops out of a total; the tools name the stores that lack a zone. Adds
    `business_date` (datetime64 midnight) and, with `ts_col`, `local_time`.
    """
    if rows.empty:
        out = rows.assign(business_date=pd.Series(dtype="datetime64[ns]"))
        return out.assign(local_time=pd.Series(dtype="datetime64[ns]")) if ts_col else out
    if ts_col:
        utc = pd.to_datetime(rows[ts_col])
    else:
        utc = pd.to_datetime(rows["utc_day"]) + pd.to_timedelta(rows["part"].astype(int), unit="h")
    if zone_names is not None:
        zones = rows["zone_ix"].astype(int).map(dict(enumerate(zone_names)))
    else:
        zones = rows["shop_id"].map(shops.drop_duplicates("shop_id").set_index("shop_id")["time_zone"])
    local = to_local(utc, zones).fillna(utc)
    out = rows.assign(business_date=local.dt.normalize())
    if ts_col:
        out["local_time"] = local
    return in_days(out, start, end).reset_index(drop=True)


def day_edges(shops: pd.DataFrame, start: date | None, end: date | None) -> list[int]:
    """`midnight_hours` of the zones of `shops`: the day parts a daily query groups by."""
    return midnight_hours(shops["time_zone"].dropna().unique(), start, end)


def zone_windows(shops: pd.DataFrame, start: date | None, end: date | None
                 ) -> list[tuple[tuple[int, ...], datetime, datetime]]:
    """Exact UTC windows of local days start..end per time zone: (shop ids, lo, hi), for row
    reads that must not over-fetch. Shops with a NULL or unknown zone get the widest window
    (`utc_bounds`) rather than vanish."""
    windows = []
    for zone, group in shops.groupby(shops["time_zone"].fillna(""), dropna=False):
        ids = tuple(int(s) for s in group["shop_id"])
        if known_zone(zone):
            lo = (pd.Timestamp(start or date(1970, 1, 2)).tz_localize(zone).tz_convert("UTC")
                  .tz_localize(None))
            hi = (pd.Timestamp((end or date(2099, 12, 30)) + timedelta(days=1)).tz_localize(zone)
                  .tz_convert("UTC").tz_localize(None))
        else:
            lo, hi = utc_bounds(start or date(1970, 1, 2), end or date(2099, 12, 30))
        windows.append((ids, lo.to_pydatetime(), hi.to_pydatetime()))
    return windows
