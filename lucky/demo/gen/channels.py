"""Acquisition-channel behaviour (issue 14, Tool 6) and generator step 'channels' (spend table).

Users arrive through a channel (t_user.origin: 2 iOS, 1 Android, 3 delivery, 8/9/10 other) and
keep behaving like it, as app users and delivery-platform users do:

- the users step draws the origin with the channels tilted by what the user becomes: regulars
  come mostly from the apps (REGULAR_TILT), never-ordering registrations more often from
  delivery and other sources (NEVER_TILT); occasional users' activity (how many of the store's
  repeat orders they get) is scaled by ACTIVITY;
- the orders step takes each order's channel from its user's origin with probability up to
  FOLLOW, else from a complement chosen so the chain's order-channel mix stays the report's
  (79/14/5/2%);
- item prices are scaled by AOV per origin, normalised per store over its completed items, so
  every store's revenue stays calibrated while delivery customers spend more per order.

Step 'channels' writes luckyus_sales_marketing.t_channel_spend (MODELLED: the report names no
spend table): one row per month, channel and paid utm_source, as a marketing team books its
acquisition budget; spend = that month's registrations from the channel x the source's share of
the channel (the tracking weights of the crm step) x the source's cost per registration (CPR)
x noise. Organic registrations cost nothing and have no row.

Truth `channels.ltv_rank`: channels (named as the tool names them) by the mean completed USD
revenue per registered user within 180 days of registration, over users registered at least
180 days before the as-of date, highest first.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen.catalog import table_frame
from lucky.demo.gen.crm import UTM
from lucky.demo.world import END, TENANT, World

DB = "luckyus_sales_marketing"
CODES = np.array([2, 1, 3, 8, 9, 10])                 # t_user.origin / t_order.channel
P = np.array([0.786, 0.14, 0.053, 0.008, 0.008, 0.005])   # the report's order-channel mix
NAME = {2: "iOS", 1: "Android", 3: "delivery", 8: "other", 9: "other", 10: "other"}
#                          iOS  Android delivery 8    9    10
REGULAR_TILT = np.array([1.0, 0.35, 0.0, 0.0, 0.0, 0.0])
NEVER_TILT = np.array([1.0, 1.0, 4.0, 8.0, 8.0, 8.0])
ACTIVITY = np.array([1.0, 0.7, 0.05, 0.03, 0.03, 0.03])
AOV = np.array([1.0, 0.95, 1.15, 0.65, 0.65, 0.65])
FOLLOW = 0.85
LTV_DAYS = 180
#: cost per registration (USD) of each paid utm_source; absent = free (organic)
CPR = {"apple_search_ads": 9.0, "google_play": 7.0, "instagram": 6.0, "tiktok": 5.0, "referral": 3.0,
       "doordash": 12.0, "ubereats": 11.0, "grubhub": 10.0, "google": 8.0, "flyer_qr": 2.0}
CAMPAIGN = {"apple_search_ads": "App Store search - brand and coffee", "google_play": "Google Play app campaign",
            "instagram": "Instagram paid social", "tiktok": "TikTok paid social", "referral": "Refer-a-friend credits",
            "doordash": "DoorDash new-customer promo", "ubereats": "Uber Eats new-customer promo",
            "grubhub": "Grubhub featured placement", "google": "Google search ads", "flyer_qr": "Street flyers (QR)"}


def _pos(origin: np.ndarray) -> np.ndarray:
    """Index of each origin code in CODES."""
    return np.select([origin == c for c in CODES], range(len(CODES)), 0)


def origins(u: np.ndarray, regular: np.ndarray, buyer: np.ndarray) -> np.ndarray:
    """Origin codes from uniforms `u` (one per user, as rng.choice would use): P tilted for
    regulars (REGULAR_TILT) and never-ordering users (NEVER_TILT)."""
    out = np.empty(len(u), np.int64)
    for mask, tilt in ((regular, REGULAR_TILT), (~regular & buyer, np.ones(len(P))), (~buyer, NEVER_TILT)):
        p = P * tilt
        cdf = np.cumsum(p / p.sum())
        out[mask] = CODES[np.minimum(np.searchsorted(cdf, u[mask], side="right"), len(CODES) - 1)]
    return out


def activity(act: np.ndarray, origin: np.ndarray, occasional: np.ndarray) -> np.ndarray:
    """Occasional users' activity scaled by their origin's ACTIVITY."""
    return np.where(occasional, act * ACTIVITY[_pos(origin)], act)


def order_channels(u: np.ndarray, follow_u: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Order channel per order from its user's origin: kept with probability `follow` (FOLLOW, or
    less where an origin's share of the orders would push its channel over P), else drawn from
    the complement that restores P overall. `u`, `follow_u`: uniforms per order."""
    s = np.bincount(_pos(origin), minlength=len(CODES)) / max(len(origin), 1)
    follow = min([FOLLOW, *(P[s > 0] / s[s > 0])])
    q = np.clip(P - follow * s, 0, None)
    cdf = np.cumsum(q / q.sum()) if q.sum() > 0 else np.cumsum(P)
    other = CODES[np.minimum(np.searchsorted(cdf, u, side="right"), len(CODES) - 1)]
    return np.where(follow_u < follow, origin, other)


def aov_factor(origin: np.ndarray, group: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """AOV per row's origin, divided by its group's (store's) weighted mean, so each group's total
    stays as it was in expectation; `weight` 0 rows (not completed) do not count in the mean."""
    f = AOV[_pos(origin)]
    codes, inv = np.unique(group, return_inverse=True)
    mean = np.bincount(inv, f * weight, len(codes)) / np.maximum(np.bincount(inv, weight, len(codes)), 1e-12)
    return f / np.where(mean > 0, mean, 1.0)[inv]


# ---------------------------------------------------------------- step 'channels'
def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("channels")
    users = world.users
    yield DB, "t_channel_spend", spend(rng, users)
    world.truth["channels"]["ltv_rank"] = ltv_rank(users, world.frames["orders"])


def spend(rng: np.random.Generator, users: pd.DataFrame) -> pd.DataFrame:
    """Monthly spend per channel and paid utm_source (see the module notes)."""
    reg = pd.to_datetime(users["register_time"])
    month = reg.dt.to_period("M").dt.to_timestamp()
    group = np.where(np.isin(users["origin"], [1, 2, 3]), users["origin"], 0)
    counts = pd.DataFrame({"month": month, "group": group}).groupby(["month", "group"]).size()
    rows = []
    for (m, g), n in counts.items():
        choices = UTM[int(g)]
        total = sum(w for _, w in choices)
        for source, w in choices:
            if source in CPR:
                amount = n * w / total * CPR[source] * rng.lognormal(0, 0.15)
                rows.append((m, NAME.get(int(g), "other"), source, CAMPAIGN[source], round(amount, 2)))
    df = pd.DataFrame(rows, columns=["month", "channel", "utm_source", "campaign_name", "amount"])
    booked = (df["month"] + pd.offsets.MonthEnd(0) + pd.Timedelta(hours=14)).to_numpy()
    return table_frame(DB, "t_channel_spend", dict(
        id=np.arange(1, len(df) + 1, dtype=np.int64), tenant=TENANT, spend_month=df["month"].dt.date.to_numpy(),
        channel=df["channel"].to_numpy(), utm_source=df["utm_source"].to_numpy(),
        campaign_name=df["campaign_name"].to_numpy(), spend_amount=df["amount"].to_numpy(),
        currency_code="USD", create_time=booked, update_time=booked))


def ltv_rank(users: pd.DataFrame, orders: pd.DataFrame) -> list[str]:
    """Channels by mean completed USD revenue per registered user in their first LTV_DAYS days,
    over users registered LTV_DAYS days or more before the end of the as-of day (UTC + 5 h)."""
    end = pd.Timestamp(END) + pd.Timedelta(hours=29)
    reg = pd.to_datetime(users["register_time"])
    mature = users[reg <= end - pd.Timedelta(days=LTV_DAYS)]
    done = orders[(orders["status"] == 90) & (orders["currency_code"] == "USD")]
    start = done["user_no"].map(dict(zip(mature["user_no"], pd.to_datetime(mature["register_time"]))))
    ok = start.notna() & (pd.to_datetime(done["create_time"]) < start + pd.Timedelta(days=LTV_DAYS))
    value = done[ok].groupby("user_no")["pay_money"].sum()
    per_user = mature["user_no"].map(value).fillna(0.0)
    name = mature["origin"].map(NAME).fillna("other")
    return per_user.groupby(name.to_numpy()).mean().sort_values(ascending=False).index.tolist()
