"""Acquisition-channel economics (Tool 6): value, retention, cost and funnel per channel.

Definitions (the tool's manual repeats them):
- a user's channel is their registration origin (t_user.origin): 2 iOS, 1 Android, 3 delivery,
  8/9/10 other; a utm_source is known for the users the CDP tracked (first touch);
- `aov`: mean completed order value of the channel's users; `first_orders`: users with a
  completed order;
- `retention_30` / `retention_90`: of the users whose first order lies 30 / 90 days or more
  before now, the share who ordered again within 30 / 90 days of it;
- `ltv_180`: completed revenue per registered user (buyers or not) in the 180 days after
  registration. Users registered 180 days or more ago count what they spent. A younger user
  (age a days) counts what they spent so far plus the projection: what the channel's mature
  users spent per user between day a and day 180 (an additive development curve, as a
  chain-ladder on cohorts; the pooled curve of all channels when a channel has no mature user);
- `cac` = spend / users; `ltv_to_cac` = ltv_180 / cac; both empty (NaN), never inf, without spend;
- funnel (tracked app installs, registered or not): app open -> registration -> first order ->
  repeat (2+ completed orders) -> loyal (LOYAL_ORDERS+ completed orders), each step counting the
  installs of the step before that also reached it. An install's channel is its user's once it
  registered; an install that never registered gets the channel most of the registered installs
  with its platform and utm_source have (the store listing or ad that brought it), else its
  platform's (ios iOS, android Android), else other (`visitor_channels`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

NAMES = {2: "iOS", 1: "Android", 3: "delivery", 8: "other", 9: "other", 10: "other"}
ORDER = ("iOS", "Android", "delivery", "other")
HORIZON = 180
LOYAL_ORDERS = 5
DAY = pd.Timedelta(days=1)


def channel_name(origin: pd.Series) -> pd.Series:
    """Channel name of each origin code; unknown codes are 'other'."""
    return pd.to_numeric(origin, errors="coerce").map(NAMES).fillna("other")


def channel_codes(origin: pd.Series) -> pd.Categorical:
    """`channel_name` as a categorical over ORDER: integer codes looked up, no text per user."""
    position = {code: ORDER.index(name) for code, name in NAMES.items()}
    found = pd.to_numeric(origin, errors="coerce").map(position).fillna(ORDER.index("other"))
    return pd.Categorical.from_codes(found.to_numpy(dtype=int), ORDER)


def user_facts(users: pd.DataFrame, orders: pd.DataFrame, now: pd.Timestamp, horizon: int = HORIZON) -> pd.DataFrame:
    """users: user_no, register (UTC); orders: user_no, time (UTC), money (completed, up to now).

    One row per user: age_days, orders, revenue, value_h (revenue in the first `horizon` days
    after registration, observed so far), first_gap_days (days from the first to the second
    order, NaN with one order), since_first_days (days from the first order to now).

    Orders are placed by their user's row (one hash lookup) and summed per user over the orders
    sorted by user and time (`_sums`), so no groupby runs over the hundreds of thousands of orders."""
    u = users[["user_no", "register"]].drop_duplicates("user_no").set_index("user_no")
    reg = u["register"].to_numpy()
    pos = u.index.get_indexer(orders["user_no"])
    time = orders["time"].to_numpy()
    keep = (pos >= 0) & (time < np.datetime64(now))
    order = np.lexsort((time[keep], pos[keep]))
    pos, time = pos[keep][order], time[keep][order]
    money = np.nan_to_num(orders["money"].to_numpy(dtype=float)[keep][order])     # NULL money adds 0
    n = len(u)
    count = np.bincount(pos, minlength=n)
    start = np.cumsum(count) - count
    early = (time - reg[pos]) < np.timedelta64(horizon, "D")       # a prefix of each user's orders
    first = pd.Series(_nth(time, start, count, 0), index=u.index)
    return pd.DataFrame({"age_days": ((now - u["register"]) / DAY).astype(float), "orders": count,
                         "revenue": _sums(money, start, count),
                         "value_h": _sums(money, start, np.bincount(pos[early], minlength=n)),
                         "first_gap_days": ((pd.Series(_nth(time, start, count, 1), index=u.index) - first) / DAY
                                            ).astype(float),
                         "since_first_days": ((now - first) / DAY).astype(float)}, index=u.index)


def _sums(values: np.ndarray, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Sum of values[start:start + count] per group (0 when empty), added as pandas' groupby sum
    adds sorted groups (`np.add.reduceat` over each run), so every figure keeps its last bit."""
    out = np.zeros(len(count))
    has = np.flatnonzero(count)
    if len(has):
        bounds = np.stack([start[has], start[has] + count[has]], axis=1).ravel()
        out[has] = np.add.reduceat(np.append(values, 0.0), bounds)[::2]      # odd runs lie between groups
    return out


def _nth(time: np.ndarray, start: np.ndarray, count: np.ndarray, k: int) -> np.ndarray:
    """Each user's k-th order time (0 = first) from times sorted by user and time; NaT without one."""
    out = np.full(len(count), np.datetime64("NaT"), dtype=time.dtype)
    has = count > k
    out[has] = time[start[has] + k]
    return out


def development(users: pd.DataFrame, orders: pd.DataFrame, horizon: int = HORIZON) -> np.ndarray:
    """Revenue per user by day since registration (length `horizon`) over `users` (user_no,
    register: pass the mature ones, registered `horizon` days or more before now); orders of
    other users are ignored."""
    pos = pd.Index(users["user_no"]).get_indexer(orders["user_no"])
    reg = users["register"].to_numpy()[np.maximum(pos, 0)] if len(users) else np.full(len(pos), np.datetime64("NaT"))
    day = np.floor((orders["time"].to_numpy() - reg) / DAY)
    ok = (pos >= 0) & (day >= 0) & (day < horizon)
    inc = np.bincount(day[ok].astype(int), weights=orders["money"].to_numpy(dtype=float)[ok], minlength=horizon)
    return inc / max(len(users), 1)


def projected_ltv(facts: pd.DataFrame, curve: np.ndarray, horizon: int = HORIZON) -> pd.Series:
    """Per user: value_h plus, for users younger than `horizon` days, curve[age:].sum()."""
    tail = np.concatenate([np.cumsum(curve[::-1])[::-1], [0.0]])      # tail[a] = sum(curve[a:])
    age = np.clip(np.floor(facts["age_days"].to_numpy()), 0, horizon).astype(int)
    return facts["value_h"] + np.where(facts["age_days"].to_numpy() < horizon, tail[age], 0.0)


def retention(facts: pd.DataFrame, days: int) -> float:
    """Share of buyers whose first order is `days` or more ago who ordered again within `days`."""
    eligible = (facts["orders"] > 0) & (facts["since_first_days"] >= days)
    if not eligible.any():
        return float("nan")
    return float((facts["first_gap_days"][eligible] <= days).mean())


def summarize(facts: pd.DataFrame, ltv: pd.Series) -> dict:
    """users, first_orders, aov, retention_30, retention_90, ltv_180 of one group of users."""
    buyers = facts["orders"] > 0
    n_orders = int(facts["orders"].sum())
    return {"users": len(facts), "first_orders": int(buyers.sum()),
            "aov": float(facts["revenue"].sum() / n_orders) if n_orders else float("nan"),
            "retention_30": retention(facts, 30), "retention_90": retention(facts, 90),
            "ltv_180": float(ltv.mean()) if len(ltv) else float("nan")}


def cac(spend: float, users: float) -> float:
    """Spend per acquired user; NaN (not inf, not 0) when there is no spend or no user."""
    if not spend or not users or np.isnan(spend) or spend <= 0:
        return float("nan")
    return float(spend) / float(users)


def ltv_to_cac(ltv: float, cost: float) -> float:
    """LTV over CAC; NaN when either is unknown."""
    if cost is None or np.isnan(cost) or cost <= 0 or ltv is None or np.isnan(ltv):
        return float("nan")
    return float(ltv) / float(cost)


PLATFORM_CHANNEL = {"ios": "iOS", "android": "Android"}


def visitor_channels(installs: pd.DataFrame) -> pd.Series:
    """installs: platform, utm_source, channel (NaN where the install never registered). The
    channel of every install (see the module notes); ties between channels go to ORDER's first.

    Counted on integer codes (platform x utm_source pair by channel), so no text is grouped."""
    platform, platforms = pd.factorize(installs["platform"], use_na_sentinel=False)
    source, sources = pd.factorize(installs["utm_source"], use_na_sentinel=False)
    pair, pairs = pd.factorize(platform * len(sources) + source)
    names = [*ORDER, *sorted(set(installs["channel"].dropna().unique()) - set(ORDER))]   # tie-break order
    col = pd.Index(names).get_indexer(installs["channel"])                  # -1: never registered
    known = col >= 0
    counts = np.bincount(pair[known] * len(names) + col[known], minlength=len(pairs) * len(names))
    counts = counts.reshape(len(pairs), len(names))
    fallback = pd.Series(platforms[pairs // max(len(sources), 1)]).map(PLATFORM_CHANNEL).fillna("other")
    guess = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1),           # argmax: the first of the highest
                     pd.Index(names).get_indexer(fallback))
    return pd.Series(pd.Categorical.from_codes(np.where(known, col, guess[pair]), names), index=installs.index,
                     name="channel")


def funnel(tracked: pd.DataFrame, orders_per_user: pd.Series, loyal: int = LOYAL_ORDERS) -> pd.DataFrame:
    """tracked: one row per app install: user_no (its user, or a value with no orders when it
    never registered), channel, app_open (0/1), registered (0/1); orders_per_user: user_no ->
    completed orders. Per channel: app_open, registration, first_order, repeat, loyal (each
    within the step before) and the conversion from app open to each step."""
    t = tracked.copy()
    n = t["user_no"].map(orders_per_user).fillna(0).to_numpy()
    opened = t["app_open"].to_numpy() > 0
    reg = opened & (t["registered"].to_numpy() > 0)
    steps = {"app_open": opened, "registration": reg, "first_order": reg & (n >= 1),
             "repeat": reg & (n >= 2), "loyal": reg & (n >= loyal)}
    for k, v in steps.items():
        t[k] = v
    out = t.groupby("channel", observed=True)[list(steps)].sum().astype(int).reset_index()
    for k in list(steps)[1:]:
        out[f"{k}_rate"] = np.where(out["app_open"] > 0, out[k] / out["app_open"].where(out["app_open"] > 0, 1), np.nan)
    return out


def mix(registered: pd.DataFrame, order_days: pd.DataFrame) -> pd.DataFrame:
    """registered: channel, register (UTC); order_days: channel (name), day, orders. Per month and
    channel: new_users, new_user_share, orders, order_share."""
    r = pd.DataFrame({"month": _month(registered["register"]), "channel": registered["channel"]})
    a = r.groupby(["month", "channel"], observed=True).size().rename("new_users")
    a.index = a.index.set_levels(a.index.levels[1].astype(str), level=1)     # a categorical's names
    o = pd.DataFrame({"month": _month(pd.to_datetime(order_days["day"])), "channel": order_days["channel"],
                      "orders": order_days["orders"]})
    b = o.groupby(["month", "channel"])["orders"].sum()
    out = pd.concat([a, b], axis=1).fillna(0).astype(int).reset_index()
    for col, share in (("new_users", "new_user_share"), ("orders", "order_share")):
        total = out.groupby("month")[col].transform("sum")
        out[share] = np.where(total > 0, out[col] / total.where(total > 0, 1), np.nan)
    return out.sort_values(["month", "channel"]).reset_index(drop=True)


def _month(times: pd.Series) -> np.ndarray:
    """First instant of each timestamp's calendar month (as to_period('M').to_timestamp())."""
    return times.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype("datetime64[ns]")
