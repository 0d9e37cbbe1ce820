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


def user_facts(users: pd.DataFrame, orders: pd.DataFrame, now: pd.Timestamp, horizon: int = HORIZON) -> pd.DataFrame:
    """users: user_no, register (UTC); orders: user_no, time (UTC), money (completed, up to now).

    One row per user: age_days, orders, revenue, value_h (revenue in the first `horizon` days
    after registration, observed so far), first_gap_days (days from the first to the second
    order, NaN with one order), since_first_days (days from the first order to now)."""
    u = users[["user_no", "register"]].drop_duplicates("user_no").set_index("user_no")
    o = orders[orders["user_no"].isin(u.index) & (orders["time"] < now)].sort_values(["user_no", "time"], kind="stable")
    reg = o["user_no"].map(u["register"])
    g = o.groupby("user_no")
    rank = g.cumcount().to_numpy()
    first = o[rank == 0].set_index("user_no")["time"]
    second = o[rank == 1].set_index("user_no")["time"]
    early = o[(o["time"] - reg) < horizon * DAY]
    out = pd.DataFrame(index=u.index)
    out["age_days"] = ((now - u["register"]) / DAY).astype(float)
    out["orders"] = g.size().reindex(u.index).fillna(0).astype(int)
    out["revenue"] = g["money"].sum().reindex(u.index).fillna(0.0)
    out["value_h"] = early.groupby("user_no")["money"].sum().reindex(u.index).fillna(0.0)
    out["first_gap_days"] = ((second.reindex(u.index) - first.reindex(u.index)) / DAY).astype(float)
    out["since_first_days"] = ((now - first.reindex(u.index)) / DAY).astype(float)
    return out


def development(users: pd.DataFrame, orders: pd.DataFrame, horizon: int = HORIZON) -> np.ndarray:
    """Revenue per user by day since registration (length `horizon`) over `users` (user_no,
    register: pass the mature ones, registered `horizon` days or more before now); orders of
    other users are ignored."""
    reg = orders["user_no"].map(users.set_index("user_no")["register"])
    day = np.floor((orders["time"] - reg) / DAY).to_numpy()
    ok = (day >= 0) & (day < horizon)
    inc = np.bincount(day[ok].astype(int), weights=orders["money"].to_numpy(dtype=float)[ok], minlength=horizon)
    return inc / max(len(users), 1)


def projected_ltv(facts: pd.DataFrame, curve: np.ndarray, horizon: int = HORIZON) -> pd.Series:
    """Per user: value_h plus, for users younger than `horizon` days, curve[age:].sum()."""
    tail = np.concatenate([np.cumsum(curve[::-1])[::-1], [0.0]])      # tail[a] = sum(curve[a:])
    age = np.clip(np.floor(facts["age_days"].to_numpy()), 0, horizon).astype(int)
    return facts["value_h"] + np.where(facts["age_days"].to_numpy() < horizon, tail[age], 0.0)


def retention(facts: pd.DataFrame, days: int) -> float:
    """Share of buyers whose first order is `days` or more ago who ordered again within `days`."""
    eligible = facts[(facts["orders"] > 0) & (facts["since_first_days"] >= days)]
    if eligible.empty:
        return float("nan")
    return float((eligible["first_gap_days"] <= days).mean())


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
    channel of every install (see the module notes); ties between channels go to ORDER's first."""
    known = installs[installs["channel"].notna()]
    counts = known.groupby(["platform", "utm_source", "channel"], dropna=False).size().rename("n").reset_index()
    counts["rank"] = counts["channel"].map({c: i for i, c in enumerate(ORDER)}).fillna(len(ORDER))
    modal = counts.sort_values(["n", "rank"], ascending=[False, True], kind="stable").drop_duplicates(["platform", "utm_source"])
    pairs = pd.MultiIndex.from_frame(installs[["platform", "utm_source"]])
    guess = modal.set_index(["platform", "utm_source"])["channel"].reindex(pairs).to_numpy()
    fallback = installs["platform"].map(PLATFORM_CHANNEL).fillna("other").to_numpy()
    out = np.where(installs["channel"].notna(), installs["channel"].to_numpy(dtype=object),
                   np.where(pd.isna(guess), fallback, guess))
    return pd.Series(out, index=installs.index, name="channel")


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
    out = t.groupby("channel")[list(steps)].sum().astype(int).reset_index()
    for k in list(steps)[1:]:
        out[f"{k}_rate"] = np.where(out["app_open"] > 0, out[k] / out["app_open"].where(out["app_open"] > 0, 1), np.nan)
    return out


def mix(registered: pd.DataFrame, order_days: pd.DataFrame) -> pd.DataFrame:
    """registered: channel, register (UTC); order_days: channel (name), day, orders. Per month and
    channel: new_users, new_user_share, orders, order_share."""
    r = registered.assign(month=registered["register"].dt.to_period("M").dt.to_timestamp())
    a = r.groupby(["month", "channel"]).size().rename("new_users")
    o = order_days.assign(month=pd.to_datetime(order_days["day"]).dt.to_period("M").dt.to_timestamp())
    b = o.groupby(["month", "channel"])["orders"].sum()
    out = pd.concat([a, b], axis=1).fillna(0).astype(int).reset_index()
    for col, share in (("new_users", "new_user_share"), ("orders", "order_share")):
        total = out.groupby("month")[col].transform("sum")
        out[share] = np.where(total > 0, out[col] / total.where(total > 0, 1), np.nan)
    return out.sort_values(["month", "channel"]).reset_index(drop=True)
