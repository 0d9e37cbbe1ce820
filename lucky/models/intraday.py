"""Hour by hour: a store's orders in each local hour of one day against its usual for that
weekday and hour, and the shape of a bad day in words.

A daily total says *that* a store-day went wrong; the hours say *how*: an outage has a gap of
empty hours between normal ones, an early close has empty hours up to closing time, a failed
ordering system is low all day. The usual is the median of the same weekday-hour over the
previous `weeks` weeks on which the store traded that weekday (a store closed that whole day is
not a zero in its baseline). An hour is judged only where the usual is big enough for a
shortfall to mean something, and only by a Poisson tail so a quiet hour at a quiet store is not
an alarm (the same idea as the daily count baseline, per hour).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import poisson

WEEKS = 4            # same-weekday history for the usual
MIN_WEEKS = 3        # fewer past weekdays than this: no usual (a new store)
MIN_EXPECTED = 4.0   # below this many usual orders an hour is not judged
P_VALUE = 0.001      # Poisson tail for "low" and "high"
LOW_RATIO = 0.5      # and at most half the usual (or at least double it for "high")
HIGH_RATIO = 2.0

COLUMNS = ["shop_id", "date", "hour", "orders", "expected", "ratio", "status"]


def _usual(hours: pd.DataFrame, keys: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """shop_id, day, hour, expected for keys (shop_id, day) with at least MIN_WEEKS traded
    same weekdays in the `weeks` before; `known` lists those keys."""
    past = keys.merge(pd.DataFrame({"k": range(1, weeks + 1)}), how="cross")
    past["date"] = past["day"] - pd.to_timedelta(7 * past["k"], unit="D")
    totals = hours.groupby(["shop_id", "date"], as_index=False)["orders"].sum()
    past = past.merge(totals.loc[totals["orders"] > 0, ["shop_id", "date"]], on=["shop_id", "date"])
    counted = past.groupby(["shop_id", "day"])["date"].transform("size")
    past = past[counted >= MIN_WEEKS]
    grid = past[["shop_id", "day", "date"]].merge(pd.DataFrame({"hour": range(24)}), how="cross")
    grid = grid.merge(hours[["shop_id", "date", "hour", "orders"]], on=["shop_id", "date", "hour"], how="left")
    grid["orders"] = grid["orders"].fillna(0)
    return grid.groupby(["shop_id", "day", "hour"], as_index=False).agg(expected=("orders", "median"))


def _judge(orders: pd.Series, expected: pd.Series) -> pd.Series:
    judged = expected >= MIN_EXPECTED
    low = judged & (orders <= LOW_RATIO * expected) & (poisson.cdf(orders, expected) < P_VALUE)
    high = judged & (orders >= HIGH_RATIO * expected) & (poisson.sf(orders - 1, expected) < P_VALUE)
    status = np.where(expected.isna(), "no usual yet", "usual")
    status = np.where(low & (orders == 0), "no orders", np.where(low, "low", np.where(high, "high", status)))
    return pd.Series(status, index=orders.index)


def profiles(hours: pd.DataFrame, keys: pd.DataFrame, weeks: int = WEEKS) -> pd.DataFrame:
    """Per (shop_id, day) of `keys` and local hour (hours the store has orders or usually
    has them): orders, expected (the usual), ratio and status (usual, low, no orders, high, no
    usual yet); `date` is the day. One vectorised pass for any number of store-days.

    `hours`: shop_id, date (store-local day), hour (store-local 0-23), orders (completed).
    """
    hours = hours.assign(date=pd.to_datetime(hours["date"]))
    keys = keys[["shop_id", "day"]].assign(day=pd.to_datetime(keys["day"]).dt.normalize()).drop_duplicates()
    today = keys.merge(hours.rename(columns={"date": "day"})[["shop_id", "day", "hour", "orders"]],
                       on=["shop_id", "day"])
    usual = _usual(hours, keys, weeks)
    known = usual[["shop_id", "day"]].drop_duplicates().assign(known=True)
    out = today.merge(usual[usual["expected"] > 0], on=["shop_id", "day", "hour"], how="outer")
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = out.merge(known, on=["shop_id", "day"], how="left")
    out.loc[out["known"].eq(True) & out["expected"].isna(), "expected"] = 0.0   # usually none
    out["orders"] = out["orders"].fillna(0).astype(int)
    out["ratio"] = (out["orders"] / out["expected"].where(out["expected"] > 0)).round(3)
    out["status"] = _judge(out["orders"], out["expected"])
    out["date"] = out["day"].dt.date
    out["shop_id"] = out["shop_id"].astype("Int64")
    return out.sort_values(["shop_id", "date", "hour"])[COLUMNS].reset_index(drop=True)


def profile(hours: pd.DataFrame, day, weeks: int = WEEKS) -> pd.DataFrame:
    """`profiles` of every store in `hours` on one day."""
    keys = pd.DataFrame({"shop_id": hours["shop_id"].unique()}).assign(day=pd.Timestamp(day))
    return profiles(hours, keys, weeks)


def chain(profile_rows: pd.DataFrame) -> pd.DataFrame:
    """The chain's hours: orders and usual summed over the stores (usual where known)."""
    if profile_rows.empty:
        return pd.DataFrame(columns=["hour", "orders", "expected"])
    return profile_rows.groupby("hour", as_index=False).agg(orders=("orders", "sum"),
                                                            expected=("expected", "sum"))


def _span(hours: list[int]) -> str:
    return f"{hours[0]:02d}:00–{hours[-1] + 1:02d}:00"


def _runs(hours: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for h in sorted(hours):
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    return runs


def shape(store_hours: pd.DataFrame) -> str:
    """One store-day's hours in words: which judged hours fell short and in what pattern.

    `store_hours`: the `profile` rows of one store. Empty string when nothing can be said.
    (Plain arrays: the scan calls this for every orders anomaly of a whole history.)"""
    hour = store_hours["hour"].to_numpy(dtype=int)
    orders = store_hours["orders"].to_numpy(dtype=float)
    expected = store_hours["expected"].to_numpy(dtype=float)
    usual_total = float(np.nansum(expected))
    if orders.sum() == 0 and usual_total >= MIN_EXPECTED:
        return f"no completed orders in any hour (about {usual_total:.0f} usual over the day)"
    judged = expected >= MIN_EXPECTED
    if not judged.any():
        return ""
    short = judged & store_hours["status"].isin(["low", "no orders"]).to_numpy()
    if not short.any():
        return "no single hour was far below its usual"
    missing = float((expected[short] - orders[short]).sum())
    n_short, n_judged = int(short.sum()), int(judged.sum())
    if n_short / n_judged >= 0.75:
        return (f"below usual in {n_short} of {n_judged} busy hours, all day "
                f"(about {missing:.0f} orders short in those hours)")
    runs = _runs(hour[short].tolist())
    if len(runs) == 1 and len(runs[0]) >= 2:
        if runs[0][-1] == int(hour[judged].max()):
            return f"short from {runs[0][0]:02d}:00 to closing (closed early?), about {missing:.0f} orders below usual"
        if runs[0][0] == int(hour[judged].min()):
            return (f"short from opening to {runs[0][-1] + 1:02d}:00 (opened late?), "
                    f"about {missing:.0f} orders below usual")
    spans = ", ".join(_span(r) for r in runs)
    return f"short in {spans} (about {missing:.0f} orders below usual)"


def closing_hours(hours: pd.DataFrame, days: int = 28) -> pd.Series:
    """shop_id -> the local hour a store's trading usually ends: the median, over its last
    `days` days with orders, of the day's last hour with a completed order."""
    h = hours[hours["orders"] > 0].assign(date=lambda f: pd.to_datetime(f["date"]))
    if h.empty:
        return pd.Series(dtype=float)
    last = h.groupby(["shop_id", "date"], as_index=False)["hour"].max()
    recent = last["date"] >= last.groupby("shop_id")["date"].transform("max") - pd.Timedelta(days=days)
    return last[recent].groupby("shop_id")["hour"].median()


def in_progress(hours: pd.DataFrame, horizon: pd.Series) -> pd.Series:
    """shop_id -> the store-local day still trading when the data ends, for stores whose
    `horizon` (shop_id -> local time of the freshest data) is before their usual closing hour.

    Live replicas end *now*: judging today's half-day against whole days would report every
    store as collapsing each morning. A store without history closes at 23:00 here."""
    close = closing_hours(hours)
    still = {shop: now.normalize() for shop, now in horizon.dropna().items()
             if now.hour < close.get(shop, 23)}
    return pd.Series(still, dtype="datetime64[ns]")


OUTAGE_MIN_HOURS = 2   # consecutive empty hours (each with a usual of >= 7 orders, see _judge)


def outages(prof: pd.DataFrame) -> pd.DataFrame:
    """Runs of at least OUTAGE_MIN_HOURS consecutive hours with no orders where orders are
    usual (status "no orders"), per store-day: shop_id, date, first_hour, last_hour, hours,
    expected (the usual orders of those hours). An empty hour at a busy time has a Poisson
    chance of e^-7 < 0.001; two in a row, below one in a million."""
    cols = ["shop_id", "date", "first_hour", "last_hour", "hours", "expected"]
    if prof.empty:
        return pd.DataFrame(columns=cols)
    p = prof.sort_values(["shop_id", "date", "hour"]).reset_index(drop=True)
    empty = p["status"].eq("no orders")
    same_day = p["shop_id"].eq(p["shop_id"].shift()) & p["date"].eq(p["date"].shift())
    continues = empty & empty.shift(fill_value=False) & same_day & p["hour"].sub(p["hour"].shift()).eq(1)
    run = (~continues).cumsum()
    runs = p[empty].groupby(run[empty]).agg(shop_id=("shop_id", "first"), date=("date", "first"),
                                            first_hour=("hour", "min"), last_hour=("hour", "max"),
                                            hours=("hour", "size"), expected=("expected", "sum"))
    return runs[runs["hours"] >= OUTAGE_MIN_HOURS][cols].reset_index(drop=True)
