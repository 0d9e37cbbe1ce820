"""Customer behaviour for the orders step (issue 14): who leaves, and how their ordering fades.

Real coffee customers do not order at a constant rate until the data ends: most occasional
customers drift away after some months ("buy till you die"), and the ones who leave order less
and less for a few weeks before their last order. This module re-draws who placed the occasional
repeat orders (never how many orders a store-day has, so every calibrated total stays as it was):

- every occasional user (not a regular, not staff) leaves with probability LEAVE_SHARE, a
  lifetime after their first order drawn from an exponential (mean LIFETIME_DAYS, at least
  MIN_LIFE_DAYS); a user whose leave date falls after the as-of date simply stays;
- a leaver's ordering declines linearly from their usual rate at `decline_start` (DECLINE_DAYS
  before the leave date) to FADE of it at the leave date, and stops there;
- the planted regular churners (users.churn_time) get the same decline before their churn: their
  habit orders in the window are thinned by the same ramp; the orders they no longer place go to
  other customers of the store;
- repeat orders go to the store's users who had ordered before that day, in proportion to their
  activity times their current ramp, day by day.

Truth `churn.timeline` = {user_no: {"decline_start", "last_order"}} (store-local dates) for every
leaver with two completed orders or more (one order has no frequency that could fall). Users who
merely order irregularly (heavy-tailed activity, Poisson gaps) stay and are not in it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lucky.demo.world import World

KEEP_DAYS = 14.0             # a store keeps customers worth 14 days of its repeat orders
MIN_TENURE_DAYS = 14         # nobody starts to leave in their first two weeks
DECLINE_DAYS = (21, 56)      # the decline lasts 3-8 weeks before the last order
CHURN_DECLINE_DAYS = (21, 42)
FADE = 0.15                  # the rate left at the end of a decline, relative to the usual
DAY = np.timedelta64(1, "D")
NAT = np.datetime64("NaT", "D").view(np.int64)


def ramp(day: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Share of the usual rate on `day`: 1 before `start`, linear to FADE at `stop`, 0 after.

    NaT `stop` means the user never leaves (always 1)."""
    never = np.isnat(stop)
    span = np.maximum((stop - start) / DAY, 1.0)
    done = np.clip((day - start) / DAY / span, 0.0, 1.0)
    share = np.where(day >= start, 1.0 - (1.0 - FADE) * done, 1.0)
    share = np.where(day > stop, 0.0, share)
    return np.where(never, 1.0, share)


def customers(world: World) -> np.ndarray:
    """Users whose home is a real store (not testers or staff of the test and office stores)."""
    shops = world.shops
    real = shops.loc[(shops["test_flag"] == 0) & (shops["internal"] == 0), "id"].to_numpy()
    return np.isin(world.users["home_shop_id"].to_numpy(), real)


def _ramp_days(d: int, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """`ramp` on integer day numbers (NaT = int64 min) for one day: the hot loop of _draw."""
    never = stop == NAT
    span = np.maximum(stop - start, 1)
    share = np.where(d >= start, 1.0 - (1.0 - FADE) * np.clip((d - start) / span, 0.0, 1.0), 1.0)
    return np.where(never, 1.0, np.where(d > stop, 0.0, share))


def churners(world: World, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(decline_start, stop) local days of the planted regular churners (NaT for everyone else)."""
    churn = world.users["churn_time"].to_numpy().astype("datetime64[D]")
    start = churn - rng.integers(*CHURN_DECLINE_DAYS, len(churn)).astype("timedelta64[D]")
    return start, churn


def lifetimes(world: World, rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    """`df` (the orders step's rows: shop_id, create_time, local_date, status, user) with the
    occasional repeat orders re-drawn so that leavers decline and stop; truth recorded."""
    users = world.users
    first_t = users["first_order_time"].to_numpy()
    regular = users["regular"].to_numpy()
    activity = users["activity"].to_numpy()
    u = df["user"].to_numpy()
    day = df["local_date"].to_numpy().astype("datetime64[D]")
    is_first = df["create_time"].to_numpy() == first_t[u]
    first_day = np.full(len(users), np.datetime64("NaT"), "datetime64[D]")
    first_day[u[is_first]] = day[is_first]
    start, stop = churners(world, rng)
    # regular churners: thin their habit orders over the decline (churn already ends them)
    churner = ~np.isnat(stop)
    habit = regular[u] & churner[u] & ~is_first & (df["status"].to_numpy() == 90)
    dropped = habit & (rng.random(len(u)) > ramp(day, start[u], stop[u]))
    pool = ~regular & ~np.isnat(first_day) & customers(world)
    redraw = (pool[u] & ~is_first) | dropped
    new_u = _draw(rng, df["shop_id"].to_numpy()[redraw], day[redraw], users["home_shop_id"].to_numpy(),
                  first_day, pool, activity, start, stop)
    out = df.copy()
    got = new_u >= 0
    out.loc[out.index[np.flatnonzero(redraw)[got]], "user"] = new_u[got]
    _record(world, out, start, stop)
    return out


def _draw(rng: np.random.Generator, shop: np.ndarray, day: np.ndarray, home: np.ndarray,
          first_day: np.ndarray, pool: np.ndarray, activity: np.ndarray,
          start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """A user for each order, store by store and day by day; decides who leaves (in place in
    `start`/`stop`).

    On each day the store's repeat orders go to the pool users who first ordered before that
    day, in proportion to activity x ramp. The store's customer base turns over: when the
    activity of its users not yet leaving exceeds KEEP_DAYS x its usual daily repeat orders
    (28-day mean), enough of them (lighter customers more likely) begin a decline that ends
    DECLINE_DAYS later, so a customer who stays keeps a steady rate. Returns -1 where nobody
    qualifies."""
    out = np.full(len(shop), -1, np.int64)
    s_day, e_day = start.view(np.int64), stop.view(np.int64)      # day numbers (views: edits land in start/stop)
    for sid in np.unique(shop):
        cand = np.flatnonzero((home == sid) & pool)
        cand = cand[np.argsort(first_day[cand], kind="stable")]
        fd = first_day[cand]
        m = np.flatnonzero(shop == sid)
        m = m[np.argsort(day[m], kind="stable")]
        days, begin, counts = np.unique(day[m], return_index=True, return_counts=True)
        usual = pd.Series(counts, index=days).asfreq("D", fill_value=0).rolling(28, min_periods=1).mean()
        usual = usual.reindex(days).to_numpy()
        for d, k, v in zip(days, np.split(m, begin[1:]), usual):
            avail = int(np.searchsorted(fd, d, side="left"))
            if avail == 0:
                continue
            c = cand[:avail]
            _turn_over(rng, c, d, v, fd[:avail], activity, start, stop)
            w = activity[c] * _ramp_days(int(d.astype(np.int64)), s_day[c], e_day[c])
            cum = np.cumsum(w)
            if cum[-1] <= 0:
                continue
            pick = np.searchsorted(cum, rng.random(len(k)) * cum[-1], side="right")
            out[k] = c[np.minimum(pick, avail - 1)]
    return out


def _turn_over(rng: np.random.Generator, c: np.ndarray, d: np.datetime64, usual: float,
               first: np.ndarray, activity: np.ndarray, start: np.ndarray, stop: np.ndarray) -> None:
    """Start the decline of enough staying users of `c` to bring their activity to KEEP_DAYS x
    `usual` (users of MIN_TENURE_DAYS or more; chance ~ 1 / activity**2)."""
    staying = np.isnat(stop[c])
    excess = activity[c][staying].sum() - KEEP_DAYS * usual
    if excess <= 0:
        return
    ok = staying & (first <= d - MIN_TENURE_DAYS * DAY)
    e = c[ok]
    if not len(e):
        return
    key = rng.random(len(e)) ** (activity[e] ** 2)          # weighted order without replacement
    e = e[np.argsort(key)]
    take = e[: int(np.searchsorted(np.cumsum(activity[e]), excess)) + 1]
    stop[take] = d + rng.integers(*DECLINE_DAYS, len(take)).astype("timedelta64[D]")
    start[take] = d


def _record(world: World, df: pd.DataFrame, start: np.ndarray, stop: np.ndarray) -> None:
    """churn.timeline for every leaver with two completed orders or more (a single order has no
    frequency to fall): decline_start and last_order (their actual last completed order)."""
    done = df[df["status"] == 90]
    per_user = done.groupby("user")["local_date"].agg(["max", "size"])
    leaving = np.flatnonzero(~np.isnat(stop))
    per_user = per_user.reindex(leaving).dropna()
    per_user = per_user[per_user["size"] >= 2]
    idx = per_user.index.to_numpy()
    last = per_user["max"].to_numpy().astype("datetime64[D]")
    begin = np.minimum(start[idx], last)
    world.truth["churn"]["timeline"] = {
        no: {"decline_start": b, "last_order": e}
        for no, b, e in zip(world.users["user_no"].iloc[idx].tolist(),
                            np.datetime_as_string(begin, unit="D").tolist(),
                            np.datetime_as_string(last, unit="D").tolist())}
