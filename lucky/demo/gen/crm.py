"""Generator step 'crm': what the CRM and the customer data platform know about each user.

Tables (sizes at --scale 1; the bulk one is multiplied by --bulk):
- luckyus_sales_crm.t_user_history (498K): registration, first order, profile updates, app events;
- luckyus_isales_cdp.t_user_state (980K): behavioural states per user, derived from the user's
  actual orders (lifecycle stage, preferred category, price sensitivity, frequency, ...);
- luckyus_isales_cdp.t_user_event_track (168K): first-touch funnel events (app_open, register,
  first_order) with the utm_source, per app install (`anonymous_id`, MODELLED) of the users who
  allowed tracking, and the app opens of installs that never register (`visitors.py`);
- luckyus_isales_cdp.t_realtime_user_group_log (bulk, 2.3M): segment enter/leave log.

It leaves `world.frames["customers"]` (one row per CRM user, aligned with `world.users`: order
features and the CDP lifecycle stage) and `world.frames["order_users"]` (per order row, the
user's row in world.users or -1) for the marketing and experiments steps, and holds the small
vectorised helpers those steps share (numbered ids, Arrow string columns, bulk chunks).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lucky.demo.gen import visitors
from lucky.demo.world import END, TENANT, World

DAY = 86_400
#: The CDP snapshot instant: midnight after the as-of business day in New York (05:00 UTC).
AS_OF = int((pd.Timestamp(END) + pd.Timedelta(hours=29)).timestamp())
CHUNK = 1_000_000   # rows per yielded frame of a bulk table

STAGES = ("prospect", "new", "active", "at_risk", "lapsed")
PLATFORMS = {1: "android", 2: "ios", 3: "web"}   # CRM origin -> app platform (delivery: web)


# ---------------------------------------------------------------- shared helpers
def strings(values: pa.Array | np.ndarray | Sequence) -> pd.Series:
    """A pandas string column backed by Arrow (no Python objects per row)."""
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    return pd.Series(arr, dtype="str")


def numbered(prefix: str, start: int, n: int, width: int = 12) -> pd.Series:
    """`prefix` + zero-padded running numbers start..start+n-1, built in Arrow."""
    digits = pa.array(np.arange(start, start + n, dtype=np.int64) + 10 ** width).cast(pa.string())
    return strings(pc.utf8_replace_slice(digits, 0, 1, prefix))   # drop the leading "1"


def positions(values: pd.Series, universe: pd.Series) -> np.ndarray:
    """Index of each value in `universe` (-1 where absent), hashed in Arrow."""
    found = pc.index_in(pa.array(values.astype("str"), pa.string()),
                        value_set=pa.array(universe.astype("str"), pa.string()))
    return found.fill_null(-1).to_numpy().astype(np.int64)


def weighted(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """n draws of row indices in proportion to `weights` (with replacement), in random order.

    Faster than Generator.choice(p=...) on large populations: sorted uniforms make the
    searchsorted cache-friendly, and a permutation restores a random order.
    """
    cdf = np.cumsum(weights, dtype=float)
    idx = np.searchsorted(cdf, np.sort(rng.random(n)) * cdf[-1], side="right")
    return np.minimum(idx, len(cdf) - 1)[rng.permutation(n)]


def pick(names: Sequence[str], codes: np.ndarray) -> pd.Series:
    """names[codes] as an Arrow string column (codes < 0 become NULL)."""
    idx = pa.array(codes, mask=codes < 0) if (codes < 0).any() else pa.array(codes)
    return strings(pa.array(list(names), pa.string()).take(idx))


def ts(seconds: np.ndarray) -> np.ndarray:
    """Unix seconds (int64, may be a float array) -> naive UTC datetime64[s]."""
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")


def seconds(column: pd.Series) -> np.ndarray:
    """A datetime column -> int64 Unix seconds (NaT -> INT64 min)."""
    return column.to_numpy(dtype="datetime64[s]").astype(np.int64)


def frame(database: str, table: str, first_id: int, columns: dict) -> pd.DataFrame:
    """A source-table frame: id, tenant, then `columns` in schema order."""
    from lucky.schema import get_table

    n = len(next(iter(columns.values())))
    data = {"id": np.arange(first_id, first_id + n, dtype=np.int64),
            "tenant": strings(pa.repeat(pa.scalar(TENANT), n) if n else pa.array([], pa.string()))}
    data.update(columns)
    names = [c.name for c in get_table(database, table).columns]
    missing = set(names) - set(data)
    if missing:
        raise KeyError(f"{database}.{table}: no values for {sorted(missing)}")
    out = pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v)
                        for k, v in data.items()})
    return out[names]


def in_chunks(database: str, table: str, total: int,
              make: Callable[[int, int], dict]) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield a bulk table in frames of at most CHUNK rows; make(start, n) returns the columns."""
    for start in range(0, total, CHUNK):
        n = min(CHUNK, total - start)
        yield database, table, frame(database, table, start + 1, make(start, n))


def between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform int64 seconds in [lo, hi] (hi clipped up to lo)."""
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    return lo + (rng.random(len(lo)) * span).astype(np.int64)


def split_counts(total: int, weights: np.ndarray) -> np.ndarray:
    """Integer counts summing exactly to `total`, proportional to weights (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(out - raw)[: total - out.sum()]] += 1
    return out


# ---------------------------------------------------------------- customer features
def customers(world: World) -> pd.DataFrame:
    """One row per CRM user (aligned with world.users): order features and CDP lifecycle stage.

    Stages, from completed orders as of the snapshot: prospect (never ordered); lapsed (last
    order > 60 days ago); at_risk (> 30 days, or a regular with >= 3 orders silent for more than
    max(14 days, 3x their mean gap)); new (first order within 30 days); active otherwise.
    """
    if "customers" in world.frames:
        return world.frames["customers"]
    users, orders = world.users, world.orders
    n_users = len(users)
    done = orders[orders["status"] == 90]
    order_user = positions(orders["user_no"], users["user_no"])
    world.frames["order_users"] = pd.DataFrame({"user": order_user})
    uidx = order_user[(orders["status"] == 90).to_numpy()]
    keep = uidx >= 0
    uidx, t = uidx[keep], seconds(done["create_time"])[keep]
    money = done["pay_money"].to_numpy(dtype=float)[keep]
    count = np.bincount(uidx, minlength=n_users)
    spend = np.bincount(uidx, weights=money, minlength=n_users)
    first = np.full(n_users, -1, np.int64)
    last = np.full(n_users, -1, np.int64)
    order = np.lexsort((t, uidx))
    u_sorted, t_sorted = uidx[order], t[order]
    starts = np.flatnonzero(np.r_[True, u_sorted[1:] != u_sorted[:-1]]) if len(order) else np.array([], int)
    ends = np.r_[starts[1:], len(order)] - 1 if len(order) else np.array([], int)
    first[u_sorted[starts]] = t_sorted[starts]
    last[u_sorted[ends]] = t_sorted[ends]

    buyer = count > 0
    recency = np.where(buyer, (AS_OF - last) / DAY, np.inf)
    gap = np.where(count >= 2, (last - first) / DAY / np.maximum(count - 1, 1), np.inf)
    stage = np.full(n_users, 2, np.int8)                                  # active
    stage[buyer & ((AS_OF - first) / DAY <= 30)] = 1                       # new
    silent = (recency > 30) | ((count >= 3) & (recency > np.maximum(14, 3 * gap)))
    stage[buyer & silent] = 3                                              # at_risk
    stage[buyer & (recency > 60)] = 4                                      # lapsed
    stage[~buyer] = 0                                                      # prospect

    out = pd.DataFrame({
        "register": seconds(users["register_time"]),
        "origin": users["origin"].to_numpy(dtype=np.int64),
        "orders": count, "spend": spend, "first": first, "last": last,
        "gap": gap, "stage": stage,
    })
    at_risk_after = np.where(count >= 3, np.clip(3 * gap, 14, 30), 30)     # days of silence
    out["since"] = np.select(                                                # when the stage began
        [stage == 0, stage == 1, stage == 2, stage == 3],
        [out["register"].to_numpy(), first, first + 30 * DAY, last + (at_risk_after * DAY).astype(np.int64)],
        last + 60 * DAY)
    out["aov"] = np.where(buyer, spend / np.maximum(count, 1), 0.0)
    out["category"] = _preferred(world, done, uidx, keep, n_users)
    out["shop"] = _mode_code(uidx, done["shop_id"].to_numpy(dtype=np.int64)[keep], n_users)
    local_hour = ((t - 5 * 3600) % DAY) // 3600           # New York standard time is enough here
    out["daypart"] = _mode_code(uidx, np.digitize(local_hour, [11, 14, 17]), n_users)
    world.frames["customers"] = out
    return out


def _mode_code(uidx: np.ndarray, values: np.ndarray, n_users: int) -> np.ndarray:
    """Most frequent value per user (-1 for users with none)."""
    out = np.full(n_users, -1, np.int64)
    if not len(uidx):
        return out
    counts = pd.DataFrame({"u": uidx, "v": values}).value_counts()
    top = counts.reset_index().drop_duplicates("u")   # value_counts sorts by count descending
    out[top["u"].to_numpy()] = top["v"].to_numpy()
    return out


def _preferred(world: World, done: pd.DataFrame, uidx: np.ndarray, keep: np.ndarray,
               n_users: int) -> pd.Categorical:
    """Each user's most ordered item category (by item rows of completed orders)."""
    items = world.frames.get("items")
    if items is None:
        return pd.Categorical.from_codes(np.full(n_users, -1), categories=["Coffee"])
    order_user = pd.Series(uidx, index=done["id"].to_numpy()[keep])
    iu = order_user.reindex(items["order_id"].to_numpy()).to_numpy()
    ok = ~np.isnan(iu)
    cats = pd.Categorical(items["one_category_name"])
    codes = _mode_code(iu[ok].astype(np.int64), cats.codes[ok].astype(np.int64), n_users)
    return pd.Categorical.from_codes(codes, categories=cats.categories)


# ---------------------------------------------------------------- the step
#: CDP segments (t_realtime_user_group_log.group_id) = marketing labels (t_user_group_label.label_id).
SEGMENTS: tuple[str, ...] = (
    "new_user", "active_user", "at_risk", "lapsed", "prospect", "high_value", "frequent_buyer",
    "coupon_sensitive", "full_price_buyer", "morning_commuter", "lunch_break", "afternoon_treat",
    "evening_visitor", "coffee_lover", "tea_lover", "food_add_on", "iced_drinks_fan",
    "hot_drinks_fan", "ios_user", "android_user", "delivery_user", "push_enabled",
    "email_subscriber", "referral_joiner", "weekend_visitor", "office_worker", "student",
    "seasonal_menu_fan", "oat_milk", "low_sugar",
)
SEGMENT_ID0 = 1001

HISTORY_EVENTS = (  # (event_type, event_desc, weight) of the events after registration
    ("login", "signed in on a new device", 30), ("update_profile", "updated birthday", 10),
    ("update_profile", "updated email", 6), ("update_phone", "changed phone number", 3),
    ("bind_card", "added a payment card", 18), ("set_preference", "set a preferred store", 12),
    ("push_opt_in", "enabled push notifications", 10), ("push_opt_out", "disabled push notifications", 4),
    ("referral", "invited a friend", 4), ("update_profile", "changed display name", 3),
)
REGISTER_DESC = {1: "registered in the Android app", 2: "registered in the iOS app",
                 3: "registered through a delivery partner"}
UTM = {  # registration origin -> (utm_source, weight)
    1: (("google_play", 35), ("instagram", 20), ("tiktok", 15), ("referral", 12), ("organic", 18)),
    2: (("apple_search_ads", 30), ("instagram", 22), ("tiktok", 18), ("referral", 12), ("organic", 18)),
    3: (("doordash", 45), ("ubereats", 35), ("grubhub", 20)),
    0: (("google", 40), ("flyer_qr", 30), ("organic", 30)),
}


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("crm")
    cust = customers(world)
    user_no = pa.array(world.users["user_no"].astype("str"), pa.string())
    yield "luckyus_sales_crm", "t_user_history", _history(world, rng, cust, user_no)
    yield "luckyus_isales_cdp", "t_user_state", _states(world, rng, cust, user_no)
    yield "luckyus_isales_cdp", "t_user_event_track", _event_track(world, rng, cust, user_no)
    yield from _group_log(world, rng, cust, user_no)


def _history(world: World, rng: np.random.Generator, cust: pd.DataFrame, user_no: pa.Array) -> pd.DataFrame:
    n_users, target = len(cust), world.n(498_000)
    buyers = np.flatnonzero(cust["orders"].to_numpy() > 0)
    fill = max(0, target - n_users - len(buyers))
    weight = cust["orders"].to_numpy() + 1.0
    extra_u = weighted(rng, weight, fill)
    kinds = rng.choice(len(HISTORY_EVENTS), fill, p=_norm([w for *_, w in HISTORY_EVENTS]))
    reg = cust["register"].to_numpy()
    origin = cust["origin"].to_numpy()
    u = np.concatenate([np.arange(n_users), buyers, extra_u])
    t = np.concatenate([reg, cust["first"].to_numpy()[buyers],
                        between(rng, reg[extra_u], np.full(fill, AS_OF))])
    types = ["register", "first_order"] + [e for e, _, _ in HISTORY_EVENTS]
    descs = list(REGISTER_DESC.values()) + ["registered on the web", "first completed order"] \
        + [d for _, d, _ in HISTORY_EVENTS]
    reg_desc = np.select([origin == k for k in REGISTER_DESC], range(len(REGISTER_DESC)), len(REGISTER_DESC))
    type_code = np.concatenate([np.zeros(n_users, int), np.ones(len(buyers), int), kinds + 2])
    desc_code = np.concatenate([reg_desc, np.full(len(buyers), len(REGISTER_DESC) + 1), kinds + len(REGISTER_DESC) + 2])
    keep = np.sort(rng.permutation(len(u))[:target]) if len(u) > target else np.arange(len(u))
    order = keep[np.argsort(t[keep])]
    when = ts(t[order])
    return frame("luckyus_sales_crm", "t_user_history", 1, {
        "user_no": strings(user_no.take(pa.array(u[order]))),
        "event_type": pick(types, type_code[order]), "event_desc": pick(descs, desc_code[order]),
        "create_time": when, "update_time": when})


def _states(world: World, rng: np.random.Generator, cust: pd.DataFrame, user_no: pa.Array) -> pd.DataFrame:
    """Candidate (user, state) rows in tiers; the first world.n(980K) of them by tier are kept."""
    n_users, target = len(cust), world.n(980_000)
    count, last, first = (cust[c].to_numpy() for c in ("orders", "last", "first"))
    reg, stage = cust["register"].to_numpy(), cust["stage"].to_numpy()
    buyer = np.flatnonzero(count > 0)
    everyone = np.arange(n_users)
    since = cust["since"].to_numpy()
    aov = cust["aov"].to_numpy()[buyer]
    spend = cust["spend"].to_numpy()[buyer]
    gap = cust["gap"].to_numpy()[buyer]
    cat = cust["category"]
    states: list[tuple[str, int, np.ndarray, list, np.ndarray, np.ndarray]] = [
        # (state_code, tier, users, value names, value codes, state_time)
        ("lifecycle_stage", 0, everyone, list(STAGES), stage.astype(int), since),
        ("preferred_category", 1, buyer, list(cat.cat.categories), cat.cat.codes.to_numpy()[buyer], last[buyer]),
        ("price_sensitivity", 1, buyer, ["high", "medium", "low"], _terciles(aov), last[buyer]),
        ("order_frequency", 1, buyer, ["weekly", "monthly", "occasional"],
         np.digitize(gap, [7.0, 30.0]), last[buyer]),
        ("app_platform", 2, everyone, ["other", "android", "ios", "web"],
         np.where(np.isin(cust["origin"].to_numpy(), [1, 2, 3]), cust["origin"].to_numpy(), 0), reg),
        ("value_tier", 2, buyer, ["low", "mid", "high"],
         np.digitize(_rank(spend), [0.5, 0.8]), last[buyer]),
        ("preferred_daypart", 2, buyer, ["morning", "midday", "afternoon", "evening"],
         cust["daypart"].to_numpy()[buyer], last[buyer]),
        ("push_opt_in", 2, everyone, ["yes", "no"], (rng.random(n_users) < 0.38).astype(int), reg),
        ("temperature_preference", 2, buyer, ["iced", "hot"], (rng.random(len(buyer)) < 0.42).astype(int),
         last[buyer]),
    ]
    shops = cust["shop"].to_numpy()[buyer]
    shop_names = [str(s) for s in np.unique(shops)]
    states.append(("preferred_shop", 2, buyer, shop_names, np.searchsorted(np.unique(shops), shops), last[buyer]))
    states = [(c, t, u[v >= 0], names, v[v >= 0], w[v >= 0])    # no value (e.g. no items): no row
              for c, t, u, names, v, w in states]
    tier = np.concatenate([np.full(len(s[2]), s[1]) for s in states])
    key = tier + rng.random(len(tier))
    keep = np.argsort(key)[:target]
    users = np.concatenate([s[2] for s in states])[keep]
    when = np.concatenate([s[5] for s in states])[keep]
    code_i = np.concatenate([np.full(len(s[2]), i) for i, s in enumerate(states)])[keep]
    offsets = np.cumsum([0] + [len(s[3]) for s in states])
    value_i = np.concatenate([s[4] + offsets[i] for i, s in enumerate(states)])[keep]
    names = [v for s in states for v in s[3]]
    when = when + (rng.random(len(when)) * 3600).astype(np.int64)     # the CDP job runs after the event
    when = np.minimum(when, AS_OF)
    order = np.argsort(when)
    stamp = ts(when[order])
    return frame("luckyus_isales_cdp", "t_user_state", 1, {
        "user_no": strings(user_no.take(pa.array(users[order]))),
        "state_code": pick([s[0] for s in states], code_i[order]),
        "state_value": pick(names, value_i[order]),
        "state_time": stamp, "create_time": stamp, "update_time": stamp})


def _event_track(world: World, rng: np.random.Generator, cust: pd.DataFrame, user_no: pa.Array) -> pd.DataFrame:
    """First-touch funnel events of tracked app installs, `world.n(168_000)` rows (see
    `lucky/demo/gen/visitors.py`): a random subset of users (those who allowed tracking) with
    app_open (hours before registration, no user_no yet), register and first_order; and installs
    that never register (one app_open each). Draws from `rng` are the same as when only
    registered users were tracked (the crm tables after this one do not move); the never-registered
    visitors have their own stream. Records truth `channels.funnel`."""
    from lucky.demo.gen.channels import NAME

    target = world.n(168_000)
    perm = rng.permutation(len(cust))
    buyer = cust["orders"].to_numpy()[perm] > 0
    per_user = 2 + buyer
    take_n = int(np.searchsorted(np.cumsum(per_user), target)) + 1
    users = perm[:take_n]
    reg = cust["register"].to_numpy()[users]
    origin = cust["origin"].to_numpy()[users]
    has_order = cust["orders"].to_numpy()[users] > 0
    opened = reg - (rng.exponential(6 * 3600, len(users)) + 60).astype(np.int64)
    utm = np.empty(len(users), np.int64)
    utm_names: list[str] = []
    group = np.where(np.isin(origin, [1, 2, 3]), origin, 0)
    for g, choices in UTM.items():
        mask = group == g
        names = [c for c, _ in choices]
        utm[mask] = len(utm_names) + rng.choice(len(names), mask.sum(), p=_norm([w for _, w in choices]))
        utm_names += names
    plat = np.select([group == 1, group == 2], [1, 2], 0)
    vrng = world.rng("event_track.visitors")
    twins = visitors.per_signup(vrng, group)
    keep = int(np.searchsorted(np.cumsum(2 + has_order + twins), target)) + 1   # fewer tracked users: room for visitors
    users, reg, origin, has_order, opened = users[:keep], reg[:keep], origin[:keep], has_order[:keep], opened[:keep]
    twin = np.repeat(np.arange(keep), twins[:keep])
    anon_t = visitors.launches(vrng, opened[twin], int(opened.min()), AS_OF - 60)
    # per install (registered first, then the never-registered): its events and their rows
    install = np.concatenate([np.arange(keep)] * 2 + [np.flatnonzero(has_order), keep + np.arange(len(twin))])
    t = np.concatenate([opened, reg, cust["first"].to_numpy()[users[has_order]], anon_t])
    ev = np.concatenate([np.zeros(keep, int), np.ones(keep, int), np.full(has_order.sum(), 2), np.zeros(len(twin), int)])
    like = np.r_[np.arange(keep), twin]                         # whose platform and utm_source
    rows = np.arange(len(t))
    excess = len(t) - target
    if excess > 0:   # the last tracked user's twins, then latest funnel steps, fall after the cut
        last = rows[like[install] == keep - 1]
        rank = np.where(install[last] >= keep, 3, ev[last])
        rows = np.setdiff1d(rows, last[np.argsort(rank, kind="stable")][-excess:])
    order = rows[np.argsort(t[rows], kind="stable")]
    who = np.where(ev[order] > 0, users[np.minimum(install[order], keep - 1)], -1)   # no user_no before sign-up
    ids = visitors.anonymous_ids(vrng, keep + len(twin))
    kept = np.zeros(keep + len(twin), bool)
    kept[install[rows]] = True
    signed = np.zeros(keep + len(twin), bool)
    signed[install[rows][ev[rows] == 1]] = True
    world.truth["channels"]["funnel"] = visitors.funnel_truth(
        pd.Series(origin[like]).map(NAME).fillna("other")[kept], signed[kept])
    return frame("luckyus_isales_cdp", "t_user_event_track", 1, {
        "anonymous_id": strings(pa.array(ids[install[order]], pa.string())),
        "user_no": strings(user_no.take(pa.array(who, mask=who < 0))),
        "event_name": pick(["app_open", "register", "first_order"], ev[order]),
        "page_name": pick(["launch", "sign_up", "checkout"], ev[order]),
        "platform": pick(["web", "android", "ios"], plat[like[install[order]]]),
        "utm_source": pick(utm_names, utm[like[install[order]]]),
        "create_time": ts(t[order]), "update_time": ts(t[order])})


def segment_propensity(cust: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """log-propensity (users x SEGMENTS) of belonging to each segment, from the user's behaviour."""
    n = len(cust)
    stage = cust["stage"].to_numpy()
    count = cust["orders"].to_numpy()
    origin = cust["origin"].to_numpy()
    daypart = cust["daypart"].to_numpy()
    cat = cust["category"].cat
    names = pd.Series(cat.categories.astype(str)).str.lower()
    codes = cat.codes.to_numpy()

    def category_like(word: str) -> np.ndarray:
        hit = np.r_[names.str.contains(word).to_numpy(), False]   # code -1 -> no category
        return hit[codes]
    aov_rank = _rank(cust["aov"].to_numpy())
    spend_rank = _rank(cust["spend"].to_numpy())
    f = {s: np.zeros(n) for s in SEGMENTS}
    for i, s in enumerate(STAGES):
        f[{"new": "new_user", "active": "active_user"}.get(s, s)] += np.where(stage == i, 4.0, -3.0)
    f["high_value"] += 5 * spend_rank - 3
    f["frequent_buyer"] += np.where(count >= 10, 3.0, -2.0)
    f["coupon_sensitive"] += 2 - 3 * aov_rank
    f["full_price_buyer"] += 3 * aov_rank - 1.5
    for i, s in enumerate(("morning_commuter", "lunch_break", "afternoon_treat", "evening_visitor")):
        f[s] += np.where(daypart == i, 3.0, -1.5)
    f["coffee_lover"] += np.where(category_like("coffee|latte|espresso"), 3.0, 0.0)
    f["tea_lover"] += np.where(category_like("tea"), 3.0, -1.0)
    f["food_add_on"] += np.where(category_like("food|bakery|snack"), 3.0, -0.5)
    for s, o in (("android_user", 1), ("ios_user", 2), ("delivery_user", 3)):
        f[s] += np.where(origin == o, 5.0, -6.0)
    scores = np.column_stack([f[s] for s in SEGMENTS])
    return scores + rng.normal(0, 0.5, scores.shape)


#: The CDP segment of each lifecycle stage (STAGES order) and the stage users come from.
STAGE_SEGMENT = np.array([SEGMENTS.index(s) for s in ("prospect", "new_user", "active_user", "at_risk", "lapsed")])
PREVIOUS_STAGE = np.array([-1, 0, 1, 2, 3])
LIFECYCLE_SHARE = 0.4   # of the log: the latest lifecycle transitions (leave old, enter new)


def _group_log(world: World, rng: np.random.Generator, cust: pd.DataFrame,
               user_no: pa.Array) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Segment enter (1) / leave (2) events.

    The latest lifecycle transitions are those of t_user_state (leave the previous stage's
    segment, enter the current one at its state_time), most recent first; the other segments
    are entered by behaviour and about 40% of the entries were left again.
    """
    total = world.n_bulk(2_300_000)
    stage, since, reg = (cust[c].to_numpy() for c in ("stage", "since", "register"))
    recent = np.argsort(-since)
    rows = np.where(stage[recent] == 0, 1, 2)
    recent = recent[np.cumsum(rows) <= int(total * LIFECYCLE_SHARE)]
    moved = recent[stage[recent] > 0]
    lc_user = np.concatenate([recent, moved])
    lc_group = np.concatenate([STAGE_SEGMENT[stage[recent]], STAGE_SEGMENT[PREVIOUS_STAGE[stage[moved]]]])
    lc_action = np.r_[np.ones(len(recent), np.int16), np.full(len(moved), 2, np.int16)]
    lc_time = np.concatenate([since[recent], since[moved]])

    n = total - len(lc_user)
    weight = np.exp(segment_propensity(cust, rng)) * (cust["orders"].to_numpy() + 1.0)[:, None]
    weight[:, STAGE_SEGMENT] = 0.0
    pair = weighted(rng, weight.ravel(), int(np.ceil(n / 1.4)))
    del weight
    u, g = np.divmod(pair, len(SEGMENTS))
    leaves = n - len(u)
    t_in = between(rng, reg[u], np.full(len(u), AS_OF - 3600))
    stay = np.maximum(AS_OF - 600 - t_in[:leaves], 0) * rng.random(leaves) ** 2   # most within weeks
    user = np.concatenate([lc_user, u, u[:leaves]])
    group = np.concatenate([lc_group, g, g[:leaves]]) + SEGMENT_ID0
    action = np.concatenate([lc_action, np.ones(len(u), np.int16), np.full(leaves, 2, np.int16)])
    when = np.concatenate([lc_time, t_in, t_in[:leaves] + 600 + stay.astype(np.int64)])
    order = np.lexsort((action == 1, when))          # at the same instant: leave, then enter

    def make(start: int, k: int) -> dict:
        o = order[start:start + k]
        stamp = ts(when[o])
        return {"user_no": strings(user_no.take(pa.array(user[o]))), "group_id": group[o],
                "action": action[o], "create_time": stamp, "update_time": stamp}

    yield from in_chunks("luckyus_isales_cdp", "t_realtime_user_group_log", total, make)


def _norm(w: Sequence[float]) -> np.ndarray:
    a = np.asarray(w, dtype=float)
    return a / a.sum()


def _rank(x: np.ndarray) -> np.ndarray:
    """Percentile rank in [0, 1)."""
    return np.argsort(np.argsort(x, kind="stable"), kind="stable") / max(len(x), 1)


def _terciles(x: np.ndarray) -> np.ndarray:
    """0 for the lowest third (most price sensitive), 1, 2 for the top third."""
    return np.digitize(_rank(x), [1 / 3, 2 / 3])
