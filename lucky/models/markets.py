"""Markets by time zone: which stores trade on which clock, when their business day closes, whether
they are open, and their public holidays.

A market is a time zone from `t_shop_info.time_zone` (NYC = America/New_York, Cook Islands =
Pacific/Rarotonga, and any other zone the store table holds). Day boundaries come from
`lucky.models.timezones`; this module adds clocks and calendars on top, without I/O beyond the
time-zone and holiday databases the libraries ship.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

import holidays
import pandas as pd

from lucky.models.timezones import known_zone

MARKET_NAMES: dict[str, str] = {"America/New_York": "NYC", "Pacific/Rarotonga": "Cook Islands"}
#: zone -> (country, subdivision) for the holiday calendar when the zone table is not specific enough
HOLIDAY_REGION: dict[str, tuple[str, str | None]] = {"America/New_York": ("US", "NY"),
                                                     "Pacific/Rarotonga": ("CK", None)}
FALLBACK_COUNTRY: dict[str, str] = {"CK": "NZ"}   # realm of New Zealand, if a library lacks CK
DEFAULT_HOURS = ("07:00", "20:00")


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    """IANA zone -> ISO country from tzdata's zone.tab (the table the tz database ships)."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            out[parts[2]] = parts[0]
    return out


def zone_country(zone: str | None) -> str | None:
    return _zone_countries().get(zone) if isinstance(zone, str) else None


def market_name(zone: object) -> str:
    if not isinstance(zone, str) or not zone:
        return "unknown (no time zone)"
    if not known_zone(zone):
        return f"unknown ({zone})"
    return MARKET_NAMES.get(zone, zone.split("/")[-1].replace("_", " "))


def markets(shops: pd.DataFrame) -> pd.DataFrame:
    """One row per time zone found in the store table: market, country, currencies, stores
    (all / trading / test), and whether the zone is usable."""
    df = shops.copy()
    df["zone_key"] = df["time_zone"].where(df["time_zone"].notna(), "")
    df["is_test"] = (df["test_flag"].fillna(0).astype(int) != 0) | (df["internal"].fillna(0).astype(int) != 0)
    rows = []
    for zone, g in df.groupby("zone_key", sort=True):
        rows.append({
            "time_zone": zone or None, "market": market_name(zone or None),
            "country": zone_country(zone), "known_zone": known_zone(zone),
            "currencies": ", ".join(sorted(g["currency_code"].dropna().astype(str).unique())),
            "stores": len(g), "test_stores": int(g["is_test"].sum()),
            "shop_ids": tuple(int(s) for s in g["shop_id"]),
        })
    return pd.DataFrame(rows)


def local_now(now_utc: datetime, zone: str) -> datetime:
    """Wall-clock time in `zone` for an aware or naive-UTC instant."""
    if now_utc.tzinfo is None:
        now_utc = now_utc.replace(tzinfo=ZoneInfo("UTC"))
    return now_utc.astimezone(ZoneInfo(zone))


def _clock(text: object, default: str) -> time:
    value = text if isinstance(text, str) and text.strip() else default
    hh, mm = (int(x) for x in value.strip()[:5].split(":"))
    return time(23, 59, 59) if hh >= 24 else time(hh, mm)


def is_open(local: datetime, open_time: object, close_time: object) -> bool:
    """Open at `local` wall-clock time? Hours past midnight (close before open) wrap to the next day."""
    start, end = _clock(open_time, DEFAULT_HOURS[0]), _clock(close_time, DEFAULT_HOURS[1])
    now = local.time().replace(tzinfo=None)
    return start <= now < end if start <= end else (now >= start or now < end)


def day_close_utc(day: date, zone: str) -> pd.Timestamp:
    """The UTC instant at which local business day `day` closes (local midnight after it)."""
    nxt = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(zone))
    return pd.Timestamp(nxt.astimezone(ZoneInfo("UTC"))).tz_localize(None)


def utc_offset_hours(zone: str, at_utc: datetime) -> float:
    off = local_now(at_utc, zone).utcoffset()
    return off.total_seconds() / 3600 if off is not None else 0.0


def _calendar(country: str, subdiv: str | None, years: list[int]):
    """The library's calendar, or None when it does not know the country (an unknown subdivision
    falls back to the national calendar). Asking for one country avoids loading all of them."""
    try:
        return holidays.country_holidays(country, subdiv=subdiv, years=years)
    except NotImplementedError:
        if subdiv:
            return _calendar(country, None, years)
        return None


def holiday_calendar(zone: str | None, years: list[int]) -> tuple[pd.DataFrame, str]:
    """Public holidays of the market on `zone`, from the `holidays` library.

    Returns (date, holiday, calendar) rows and a note saying which calendar was used and why
    (the zone's country, a subdivision such as New York State, or a fallback).
    """
    empty = pd.DataFrame(columns=["date", "holiday", "calendar"])
    if not isinstance(zone, str) or not known_zone(zone):
        return empty, "no calendar: the time zone is missing or unknown"
    country, subdiv = HOLIDAY_REGION.get(zone, (zone_country(zone), None))
    if not country:
        return empty, f"no calendar: {zone} maps to no country"
    note = f"{country}{'-' + subdiv if subdiv else ''} public holidays (holidays {holidays.__version__})"
    cal = _calendar(country, subdiv, years)
    if cal is None:
        fallback = FALLBACK_COUNTRY.get(country)
        cal = _calendar(fallback, None, years) if fallback else None
        if cal is None:
            return empty, f"no calendar: the holidays library does not cover {country}"
        note = f"{country} is not in the holidays library; using {fallback} public holidays instead"
        country, subdiv = fallback, None
    rows = [{"date": d, "holiday": name, "calendar": f"{country}{'-' + subdiv if subdiv else ''}"}
            for d, name in sorted(cal.items())]
    return (pd.DataFrame(rows) if rows else empty), note
