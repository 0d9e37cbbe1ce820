"""Generator step 'orders': t_order, t_order_item, t_order_amount, t_order_delivery_address.

Calibrated to the report: completed USD orders, revenue and AOV per store (§2.2), the NZD orders
of the Cook Islands test stores, the top-15 products (§2.3, item rows over completed orders), the
order-channel mix (1 Android, 2 iOS, 3 delivery, 8/9/10 other, following each user's origin:
`channels`), Feb 2026 daily volumes and a morning-rush intraday shape in local time.

Store-days come from `store_day_plan` (shared with the users step so that users register before
they order): each store ramps up after its opening, the launch hype of summer 2025 decays towards
the winter level, weekends run at ~43% of weekdays. Every completed order belongs to a user: the
user's first order (fixed by the users step), a regular's weekly habit (until the end or the
planted churn), or an occasional repeat drawn by activity among users who already ordered, capped
so early users keep a plausible rate. Tax is NYC 8.875% exclusive on each item's pay_money, half
up to the cent; order pay_money = sum(items) + sum(tax), computed in integer cents.

Planted here (truth): tax.missing_tax, tax.wrong_rate, tenant.currency_mismatch,
tenant.unknown_tenant (order rows), anomalies `orders` (store-day collapse) and `refund_rate`
(store-day refund spike), churn.churned.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen import behaviour, menu_effects, stock, stockouts, taste, usage
from lucky.demo.gen import channels as channel_of
from lucky.demo.gen.catalog import NYC_TAX, digits, labels, store_targets, table_frame, text
from lucky.demo.gen.geography import cannibal_factor
from lucky.demo.world import END, START, TENANT, World

DB = "luckyus_sales_order"
#: completed item rows (t_order_item over status-90 orders) and their pay_money at scale 1:
#: USD revenue 2,194,799 / 1.08875 (tax-exclusive) + NZ$74,628 (tax-inclusive)
ITEMS_COMPLETED = 569_000
ITEM_REVENUE = 2_194_799 / (1 + NYC_TAX) + 74_628
NZD_TAX = 0.15                 # Cook Islands VAT, price-inclusive (tax_mode 2)
INTERNAL_PRICE = 0.5766        # staff price relative to the menu average (AOV $2.31)
NZD_PRICE = 0.956              # test-store prices relative to the menu average (AOV NZ$3.51)
# non-completed orders per completed order (t_order ~516K rows)
CANCEL_RATE, REFUND_RATE, UNCOLLECTED_RATE = 0.020, 0.010, 0.0165
SPIKE_REFUND = 0.33            # refunded per completed order on a refund-spike store-day (25%)
GROUP_ORDERS = 0.0006          # office group orders of 6+ items (the big in-person payments)
CHURN_MIN_ORDERS, CHURN_MIN_TENURE, CHURN_MAX_GAP, CHURN_QUIET_DAYS = 12, 60, 4.5, 42
HYPE, HYPE_DAYS = 2.6, 150.0   # launch hype: volume per store decays towards the winter level
COLLAPSE = 0.10                # share of the usual volume left on an order-collapse store-day
                               # (rounded down: the orders taken before an outage from the morning on)
PLANT_STORES = 4               # collapses and spikes happen at the four busiest stores,
PLANT_AFTER_DAYS = 35          # after five weeks of trading there (a usual to depart from),
PLANT_MIN_ORDERS = 8.0         # on weekdays planned for at least this many orders,
PLANT_GAP_DAYS = 7             # and a store's collapses are a week apart at least
DOW = np.array([0.97, 1.03, 1.0, 1.0, 0.93, 0.45, 0.42])          # Mon..Sun
WEEKDAY_HOURS = np.array([0, 0, 0, 0, 0, 0, .012, .085, .17, .165, .11, .075, .09, .08, .06,
                          .05, .042, .032, .018, .008, .003, 0, 0, 0])
WEEKEND_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, .03, .07, .11, .14, .14, .13, .12, .1, .075,
                          .045, .025, .01, .005, 0, 0, 0, 0])
TEST_HOURS = np.array([0] * 8 + [1] * 10 + [0] * 6, dtype=float)
TAX_INFO_NYC = json.dumps([{"name": "New York State", "rate": 0.04}, {"name": "New York City", "rate": 0.045},
                           {"name": "MCTD", "rate": 0.00375}], separators=(",", ":"))
TAX_INFO_NZD = json.dumps([{"name": "Cook Islands VAT", "rate": 0.15}], separators=(",", ":"))


def defect_count(world: World, full: int = 30, floor: int = 6) -> int:
    """A few dozen of each planted defect at scale 1, several at the tests' scale."""
    return floor + int(round(full * world.scale))


# ---------------------------------------------------------------- store-day plan (shared)
def store_day_plan(world: World) -> pd.DataFrame:
    """Expected completed orders per trading shop and local day (at the world's scale).

    Columns: shop_id, local_date, currency, internal, expected, launch (new-user boost),
    collapse, spike. Deterministic per seed; the users step calls it too.
    """
    rng = world.rng("plan")
    tgt = store_targets()
    days = pd.date_range(START, END, freq="D")
    rows = []
    for sid, opened, orders, currency, internal in zip(tgt["shop_id"], tgt["opened"], tgt["orders"],
                                                        tgt["currency"], tgt["internal"]):
        d = days[days >= max(opened, pd.Timestamp(START))]
        age = (d - opened).days.to_numpy()
        ramp = 1 - 0.55 * np.exp(-age / 18.0)
        trend = 1 + HYPE * np.exp(-(d - pd.Timestamp(START)).days.to_numpy() / HYPE_DAYS)
        dow = DOW[d.day_of_week] if currency == "USD" and not internal else np.where(d.day_of_week >= 5, 0.3, 1.0)
        w = ramp * trend * dow * rng.lognormal(-0.002, 0.06, len(d))
        w = w * cannibal_factor(world, sid, d)     # later openings nearby took share (geography)
        rows.append(pd.DataFrame(dict(shop_id=sid, local_date=d.values, currency=currency,
                                      internal=internal, w=w, target=world.n(orders, 0),
                                      launch=1 + 1.5 * np.exp(-age / 30.0))))
    plan = pd.concat(rows, ignore_index=True)
    plan["collapse"] = False
    plan["spike"] = False
    k = defect_count(world)
    pool = rng.permutation(_anomaly_days(plan, 2 * k))
    collapse = _spaced(plan.loc[pool], k)
    plan.loc[collapse, "collapse"] = True
    plan.loc[pool[~np.isin(pool, collapse)][:k], "spike"] = True
    plan.loc[plan["collapse"], "w"] *= COLLAPSE
    plan["expected"] = plan["target"] * plan["w"] / plan.groupby("shop_id")["w"].transform("sum")
    return plan.drop(columns=["w"])


def _anomaly_days(plan: pd.DataFrame, need: int) -> np.ndarray:
    """Plan rows (index) where a collapse or a refund spike is unmistakable: weekdays of the
    busiest real stores after their first five weeks in the data (a same-weekday usual exists),
    on each store's busier half of those days and planned for at least PLANT_MIN_ORDERS orders.
    At tiny scales where fewer than `need` days qualify, the busiest such days there are."""
    real = plan[(plan["currency"] == "USD") & ~plan["internal"]]
    mature = real[(real["local_date"] - real.groupby("shop_id")["local_date"].transform("min")).dt.days
                  >= PLANT_AFTER_DAYS]
    busy = mature[mature["shop_id"].isin(store_targets().nlargest(PLANT_STORES, "orders")["shop_id"])
                  & (mature["local_date"].dt.day_of_week < 5)]
    usual = busy["w"] / plan.groupby("shop_id")["w"].transform("sum").loc[busy.index] * busy["target"]
    ok = (usual >= usual.groupby(busy["shop_id"]).transform("median")) & (usual >= PLANT_MIN_ORDERS)
    if ok.sum() < need:
        ok = usual >= usual.nlargest(need).min()
    return busy.index[ok.to_numpy()].to_numpy()


def _spaced(days: pd.DataFrame, k: int) -> np.ndarray:
    """`k` rows of `days`, taken in their order, with no two of a store within PLANT_GAP_DAYS
    of each other, so each collapse has normal days around it for its usual; where the pool is
    too small for that (scale 1 plants dozens), the gap narrows to 3 days, then to 1."""
    taken: list = []
    seen: dict = {}
    for gap in (PLANT_GAP_DAYS, 3, 1):
        for idx, sid, day in zip(days.index, days["shop_id"], days["local_date"]):
            if len(taken) == k:
                break
            if idx not in taken and all(abs((day - d).days) >= gap for d in seen.get(sid, ())):
                taken.append(idx)
                seen.setdefault(sid, []).append(day)
    return np.array(taken, dtype=np.int64)


def intraday_seconds(rng: np.random.Generator, local_dates: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Seconds after local midnight, from the weekday/weekend/test-store hourly shapes."""
    n = len(local_dates)
    weekend = pd.DatetimeIndex(local_dates).day_of_week.to_numpy() >= 5
    hours = np.empty(n, dtype=np.int64)
    for mask, shape in ((~weekend & ~test, WEEKDAY_HOURS), (weekend & ~test, WEEKEND_HOURS), (test, TEST_HOURS)):
        m = int(mask.sum())
        if m:
            hours[mask] = rng.choice(24, m, p=shape / shape.sum())
    return hours * 3600 + rng.integers(0, 3600, n)


def to_utc(local: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Naive local datetimes (datetime64[ns]) in each row's zone -> naive UTC."""
    out = np.empty(len(local), dtype="datetime64[ns]")
    for zone in pd.unique(zones):
        m = zones == zone
        idx = pd.DatetimeIndex(local[m]).tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
        out[m] = idx.tz_convert("UTC").tz_localize(None).values
    return out


def local_dates(utc: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Store-local business day (datetime64[ns] midnight) of naive UTC times."""
    out = np.empty(len(utc), dtype="datetime64[ns]")
    for zone in pd.unique(zones):
        m = zones == zone
        out[m] = pd.DatetimeIndex(utc[m]).tz_localize("UTC").tz_convert(zone).tz_localize(None).normalize().values
    return out


def order_numbers(local_day: np.ndarray, shop_id: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """18-digit order numbers (bytes): yymmdd, shop (3 digits), sequence (9 digits)."""
    d = pd.DatetimeIndex(local_day)
    yymmdd = (d.year.to_numpy() % 100) * 10000 + d.month.to_numpy() * 100 + d.day.to_numpy()
    return digits("", yymmdd.astype(np.int64) * 10**12 + (shop_id % 1000) * 10**9 + seq, 18)


# ---------------------------------------------------------------- orders
def _expand_days(rng: np.random.Generator, plan: pd.DataFrame, first: pd.DataFrame,
                 regular: pd.DataFrame) -> pd.DataFrame:
    """Occasional repeat orders per store-day (after first and regulars' orders) plus the
    non-completed orders; every store's completed total is its calibrated target."""
    parts = []
    for sid, g in plan.groupby("shop_id", sort=True):
        f = first[first["shop_id"] == sid]
        r = regular[regular["shop_id"] == sid]
        r_day = r.groupby("local_date").size().reindex(g["local_date"], fill_value=0).to_numpy()
        f_day = f.groupby("local_date").size().reindex(g["local_date"], fill_value=0).to_numpy() + r_day
        target = int(g["target"].iloc[0])
        rest = max(target - len(f) - len(r), 0)
        f = f[~f["regular"]]
        # a collapsed day keeps exactly its collapsed volume (rounded down: the orders taken
        # before the outage); the other days share the rest
        collapsed = g["collapse"].to_numpy()
        fixed = np.maximum(np.floor(g["expected"].to_numpy()) - f_day, 0).astype(np.int64) * collapsed
        room = np.where(collapsed, 0.0, np.maximum(g["expected"].to_numpy() - f_day, 0.0) + 1e-9)
        # repeat orders need users who already ordered: a day's repeats are capped at c x the
        # activity of the users known by then, so early users keep a steady habit at launch
        w_day = f.groupby("local_date")["weight"].sum().reindex(g["local_date"], fill_value=0).to_numpy()
        known = np.cumsum(w_day) - 0.5 * w_day
        need = max(rest - int(fixed.sum()), 0)
        lo, hi = 0.0, 1.0
        while np.minimum(room, hi * known).sum() < need and hi < 1e9:
            hi *= 2
        for _ in range(50):
            c = (lo + hi) / 2
            lo, hi = (c, hi) if np.minimum(room, c * known).sum() < need else (lo, c)
        room = np.minimum(room, hi * known) + 1e-12
        repeat = fixed + rng.multinomial(need, room / room.sum())
        parts.append(pd.DataFrame(dict(shop_id=sid, local_date=g["local_date"].to_numpy(), repeat=repeat,
                                       first=f_day, spike=g["spike"].to_numpy())))  # first: + regulars
    days = pd.concat(parts, ignore_index=True)
    done = days["repeat"] + days["first"]
    days["cancelled"] = rng.poisson(done * CANCEL_RATE)
    days["refunded"] = rng.poisson(done * REFUND_RATE)
    spike = days["spike"].to_numpy()   # at least three refunds, so a spike shows at any scale
    days.loc[spike, "refunded"] = np.maximum(3, np.round(done[spike] * SPIKE_REFUND)).astype(np.int64)
    days["uncollected"] = rng.poisson(done * UNCOLLECTED_RATE)
    return days


def _repeat_users(rng: np.random.Generator, users: pd.DataFrame, shop: np.ndarray, t: np.ndarray,
                  churn_at: np.ndarray, pool: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Pick a user of `pool` for each order: among the shop's users whose first order came
    before, with probability proportional to `weight`; churned users never after their churn."""
    out = np.full(len(shop), -1, dtype=np.int64)
    first_t = users["first_order_time"].to_numpy()
    home = users["home_shop_id"].to_numpy()
    for sid in np.unique(shop):
        cand = np.flatnonzero((home == sid) & ~np.isnat(first_t) & pool)
        if len(cand) == 0:
            continue
        cand = cand[np.argsort(first_t[cand], kind="stable")]
        ft = first_t[cand]
        m = np.flatnonzero(shop == sid)
        for w_vec, sel in ((weight[cand], np.ones(len(m), bool)),):
            cum = np.cumsum(w_vec)
            raw = np.searchsorted(ft, t[m], side="left")
            avail = np.maximum(raw, 1)
            r = rng.random(len(m)) * cum[avail - 1]
            pick = np.minimum(np.searchsorted(cum, r, side="right"), avail - 1)
            out[m[sel]] = np.where(raw > 0, cand[pick], -1)  # nobody had registered yet: no order
        # churned users: re-draw their orders after the churn time among users who stay
        late = (out[m] >= 0) & (churn_at[np.maximum(out[m], 0)] <= t[m])
        if late.any():
            w2 = np.where(np.isnat(churn_at[cand]), weight[cand], 0.0)
            cum2 = np.cumsum(w2)
            mm = m[late]
            avail = np.maximum(np.searchsorted(ft, t[mm], side="left"), 1)
            ok = cum2[avail - 1] > 0
            r = rng.random(len(mm)) * cum2[avail - 1]
            pick = np.minimum(np.searchsorted(cum2, r, side="right"), avail - 1)
            out[mm[ok]] = cand[pick[ok]]
    return out


def _orders(world: World, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per order (shop_id, create_time UTC, local_date, status, user index), and the plan."""
    plan = store_day_plan(world)
    shops = world.shops.set_index("id")
    users = world.users
    has_first = ~users["first_order_time"].isna().to_numpy()
    first = pd.DataFrame(dict(user=np.flatnonzero(has_first), weight=users["activity"].to_numpy()[has_first],
                              regular=users["regular"].to_numpy()[has_first],
                              shop_id=users["home_shop_id"].to_numpy()[has_first],
                              t=users["first_order_time"].to_numpy()[has_first]))
    zones_f = shops.loc[first["shop_id"], "time_zone"].to_numpy()
    first["local_date"] = local_dates(first["t"].to_numpy(), zones_f)
    first = first[first["local_date"] <= np.datetime64(END)]
    regular = _regular_orders(world, rng, users, plan, shops)
    days = _expand_days(rng, plan, first, regular)
    # one row per occasional repeat or non-completed order of each store-day
    kinds = [("repeat", 90), ("cancelled", 0), ("refunded", 70), ("uncollected", 50)]
    reps = np.concatenate([days[k].to_numpy() for k, _ in kinds])
    status = np.repeat(np.concatenate([np.full(len(days), s) for _, s in kinds]), reps)
    shop = np.repeat(np.tile(days["shop_id"].to_numpy(), len(kinds)), reps)
    lday = np.repeat(np.tile(days["local_date"].to_numpy(), len(kinds)), reps)
    zones = shops.loc[shop, "time_zone"].to_numpy()
    test = shops.loc[shop, "test_flag"].to_numpy() == 1
    local = lday + intraday_seconds(rng, lday, test).astype("timedelta64[s]")
    t = to_utc(local, zones)
    churn_at = users["churn_time"].to_numpy()
    is_regular = users["regular"].to_numpy()
    activity = users["activity"].to_numpy()
    uidx = np.empty(len(t), dtype=np.int64)
    rep = status == 90
    uidx[rep] = _repeat_users(rng, users, shop[rep], t[rep], churn_at, ~is_regular, activity)
    uidx[~rep] = _repeat_users(rng, users, shop[~rep], t[~rep], churn_at, np.ones(len(users), bool),
                               np.where(is_regular, 3.0, activity))
    df = pd.DataFrame(dict(shop_id=np.concatenate([first["shop_id"].to_numpy(), regular["shop_id"].to_numpy(), shop]),
                           create_time=np.concatenate([first["t"].to_numpy(), regular["t"].to_numpy(), t]),
                           local_date=np.concatenate([first["local_date"].to_numpy(), regular["local_date"].to_numpy(), lday]),
                           status=np.concatenate([np.full(len(first) + len(regular), 90), status]).astype("int16"),
                           user=np.concatenate([first["user"].to_numpy(), regular["user"].to_numpy(), uidx])))
    df = df[df["user"] >= 0]
    # the last hour of the as-of day: a few orders still in progress
    last = df.index[(df["local_date"] == np.datetime64(END)) & (df["status"] == 90)]
    live = rng.choice(last, min(len(last), world.n(60, 2)), replace=False) if len(last) else []
    df.loc[live, "status"] = rng.choice([10, 20], len(live)).astype("int16")
    df = behaviour.lifetimes(world, world.rng("behaviour"), df)   # issue 14: leavers fade, then stop
    return df.sort_values(["create_time", "shop_id"], kind="stable").reset_index(drop=True), plan


def _regular_orders(world: World, rng: np.random.Generator, users: pd.DataFrame, plan: pd.DataFrame,
                    shops: pd.DataFrame) -> pd.DataFrame:
    """Regulars' habit: Poisson at their weekly rate from the day after their first order to the
    as-of date (or their churn), mostly on weekdays; thinned like the store on collapsed days."""
    idx = np.flatnonzero(users["regular"].to_numpy())
    home = users["home_shop_id"].to_numpy()[idx]
    zone = shops.loc[home, "time_zone"].to_numpy()
    day0 = local_dates(users["first_order_time"].to_numpy()[idx], zone)
    span = ((np.datetime64(END) - day0) // np.timedelta64(1, "D")).astype(np.int64)
    cnt = rng.poisson(np.maximum(span, 0) * users["activity"].to_numpy()[idx] / 7)
    u = np.repeat(np.arange(len(idx)), cnt)
    off = 1 + np.floor(rng.random(len(u)) * span[u]).astype(np.int64)
    alt = 1 + np.floor(rng.random(len(u)) * span[u]).astype(np.int64)
    day = day0[u] + off.astype("timedelta64[D]")
    weekend = pd.DatetimeIndex(day).day_of_week.to_numpy() >= 5
    day = np.where(weekend & (rng.random(len(u)) < 0.6), day0[u] + alt.astype("timedelta64[D]"), day)
    test = shops.loc[home[u], "test_flag"].to_numpy() == 1
    t = to_utc(day + intraday_seconds(rng, day, test).astype("timedelta64[s]"), zone[u])
    keep = t < np.where(np.isnat(users["churn_time"].to_numpy()[idx][u]), np.datetime64("2100-01-01"),
                        users["churn_time"].to_numpy()[idx][u])
    key = pd.MultiIndex.from_arrays([home[u], day])
    collapsed = plan.loc[plan["collapse"], ["shop_id", "local_date"]]
    hit = key.isin(pd.MultiIndex.from_frame(collapsed))
    keep &= ~hit | (rng.random(len(u)) < COLLAPSE)
    return pd.DataFrame(dict(user=idx[u][keep], shop_id=home[u][keep], t=t[keep], local_date=day[keep]))


def _cents_round(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5).astype(np.int64)


def _tax_cents(pay_c: np.ndarray, rate: np.ndarray, mode: np.ndarray) -> np.ndarray:
    """Tax in cents, half up; inclusive mode takes the tax part of the price."""
    exact = np.where(mode == 2, pay_c * rate / (1 + rate), pay_c * rate)
    return _cents_round(np.round(exact, 6))


def _items(world: World, rng: np.random.Generator, orders: pd.DataFrame) -> pd.DataFrame:
    products, skus = world.products, world.skus
    tgt = store_targets().set_index("shop_id")
    menu = products[products["status"] == 4].drop_duplicates("spu_code").reset_index(drop=True)
    e_item = ITEM_REVENUE / ITEMS_COMPLETED
    shop = orders["shop_id"].to_numpy()
    cur = tgt.loc[shop, "currency"].to_numpy()
    internal = tgt.loc[shop, "internal"].to_numpy()
    nzd, staff = cur == "NZD", internal
    store = ~nzd & ~staff
    # store-level price factor so the stores' items carry the stores' revenue (see module notes)
    s_rev = tgt.loc[~tgt["internal"] & (tgt["currency"] == "USD"), "revenue"]
    n_store_items = ITEMS_COMPLETED - tgt.loc[tgt["internal"] | (tgt["currency"] == "NZD"), "orders"].sum()
    k_store = (s_rev.sum() / (1 + NYC_TAX)) / n_store_items / e_item
    per_order = (tgt["revenue"] / (1 + NYC_TAX) / (k_store * e_item) / tgt["orders"]).clip(lower=1.0)
    mean_items = np.where(store, per_order.reindex(shop).to_numpy(), 1.0)
    group = store & (rng.random(len(orders)) < GROUP_ORDERS)
    big = 6 + rng.poisson(5, len(orders))
    mean_items = mean_items - np.where(store, GROUP_ORDERS * (11 - mean_items), 0)
    n_items = np.where(group, big, 1 + rng.poisson(np.maximum(mean_items - 1, 0)))
    n_items[~store] = 1
    oi = np.repeat(np.arange(len(orders)), n_items)
    n = len(oi)
    # products: exact quotas by popularity, separately over completed and other orders, so the
    # ranking of §2.3 holds at every scale
    share = (menu["weight"] / menu["weight"].sum()).to_numpy()
    pidx = np.empty(n, dtype=np.int64)
    done_item = orders["status"].to_numpy()[oi] == 90
    for part in (done_item, ~done_item):
        m = int(part.sum())
        quota = np.floor(share * m).astype(np.int64)
        rest = m - quota.sum()
        quota[np.argsort(-(share * m - quota), kind="stable")[:rest]] += 1
        pidx[part] = rng.permutation(np.repeat(np.arange(len(menu)), quota))
    pidx, price_ratio = menu_effects.reassign(world, menu, pidx, orders["local_date"].to_numpy()[oi],
                                              (done_item, ~done_item))  # issue 15: same quotas, moved in time
    src = taste.match(world, menu, pidx, orders["user"].to_numpy()[oi], orders["local_date"].to_numpy()[oi],
                      (done_item, ~done_item), cur[oi], oi)  # issue 15b: lasting tastes, same products per day
    pidx, price_ratio = pidx[src], price_ratio[src]
    # sku: one of the product's variants by share
    sk = skus.merge(menu[["spu_code"]].reset_index(), on="spu_code")
    sk = sk.sort_values(["index", "sku_code"])
    sk["cum"] = sk.groupby("index")["share"].cumsum() / sk.groupby("index")["share"].transform("sum")
    start = sk.groupby("index").cumcount().eq(0).to_numpy()
    first_row = np.flatnonzero(start)
    counts = np.diff(np.append(first_row, len(sk)))
    u = rng.random(n)
    cum = sk["cum"].to_numpy()
    base = first_row[pidx]
    off = np.zeros(n, dtype=np.int64)
    for j in range(int(counts.max()) - 1):
        off += (u > cum[np.minimum(base + j, len(sk) - 1)]) & (j < counts[pidx] - 1)
    srow = base + off
    factor = np.where(nzd, NZD_PRICE, np.where(staff, INTERNAL_PRICE, k_store))[oi]
    qty = np.where(rng.random(n) < 0.02, 2, 1)
    f = rng.lognormal(-0.5 * 0.22**2, 0.22, n)
    f = f * price_ratio
    f = f * channel_of.aov_factor(world.users["origin"].to_numpy()[orders["user"].to_numpy()[oi]],
                                  shop[oi], done_item & store[oi])   # issue 14: AOV by origin, stores' totals kept
    unit_c = _cents_round(menu["avg_pay"].to_numpy()[pidx] * factor * f * 100 / 1.02)
    unit_c = np.maximum(unit_c, 99)
    pay_c = unit_c * qty
    pay_c += (pay_c % 800 == 400)   # no half-cent ties at 8.875%
    unit_c = pay_c // qty
    list_c = _cents_round(sk["price"].to_numpy()[srow] * 100 * price_ratio)
    origin_c = np.maximum(list_c, unit_c)
    icur = cur[oi]
    rate = np.where(icur == "NZD", NZD_TAX, NYC_TAX)
    mode = np.where(icur == "NZD", 2, 1)
    tax_c = _tax_cents(pay_c, rate, mode)
    return pd.DataFrame(dict(order=oi, pidx=pidx, srow=srow,
                             qty=qty, origin_c=origin_c, unit_c=unit_c, pay_c=pay_c, rate=rate,
                             mode=mode, tax_c=tax_c, nzd=icur == "NZD")), menu, sk


def _stock_outs(world: World, od: pd.DataFrame, it: pd.DataFrame, menu: pd.DataFrame, sk: pd.DataFrame) -> None:
    """Sales fall while a goods is out (issue 13): build the stock ledger from these orders, then
    swap each item that needs an out goods on a whole day out with an item of the same store and
    status on a later day with stock (`stockouts.move_sales`). Every column but the order moves,
    so product quotas, order counts and store revenue stay as drawn. The ledger goes to the
    stock step in `world.carry`."""
    orders = pd.DataFrame({"id": np.arange(1, len(od) + 1), "status": od["status"].to_numpy(),
                           "shop_id": od["shop_id"].to_numpy(), "local_date": od["local_date"].to_numpy()})
    _, _, k = usage.recipe_keys(world, sk)      # per sku variant (each belongs to one product)
    items = pd.DataFrame({"order_id": it["order"].to_numpy() + 1, "quantity": it["qty"].to_numpy(),
                          "recipe_k": k[it["srow"].to_numpy()]})
    L, rng = stock.ledger(world, orders, items)
    a, b = stockouts.move_sales(world, L, orders, items, world.rng("stockout_sales"))
    for c in it.columns.drop("order"):
        v = it[c].to_numpy().copy()
        v[a], v[b] = v[b], v[a]
        it[c] = v
    world.carry["stock_ledger"] = (L, rng)


def _plant_tax(world: World, rng: np.random.Generator, it: pd.DataFrame,
               eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Missing tax (tax 0 on every item) and wrong rates (8%, 4.5% or 4%) on a few completed
    orders; pay_money is computed from the items afterwards, so totals and trades agree."""
    k = defect_count(world)
    pick = rng.choice(eligible, 2 * k, replace=False)
    missing, wrong = pick[:k], pick[k:]
    m_items = np.isin(it["order"].to_numpy(), missing)
    it.loc[m_items, "tax_c"] = 0
    it.loc[m_items, "rate"] = np.where(rng.random(int(m_items.sum())) < 0.5, 0.0, NYC_TAX)
    w_items = np.isin(it["order"].to_numpy(), wrong)
    wrong_rate = pd.Series(rng.choice([0.08, 0.04, 0.045], len(wrong)), index=wrong)
    r = wrong_rate.reindex(it.loc[w_items, "order"]).to_numpy()
    it.loc[w_items, "rate"] = r
    it.loc[w_items, "tax_c"] = _tax_cents(it.loc[w_items, "pay_c"].to_numpy(), r, np.ones(len(r)))
    return missing, wrong


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("orders")
    shops = world.shops.set_index("id")
    od, plan = _orders(world, rng)
    it, menu, sk = _items(world, rng, od)
    _stock_outs(world, od, it, menu, sk)
    pidx, srow = it["pidx"].to_numpy(), it["srow"].to_numpy()
    n = len(od)
    shop = od["shop_id"].to_numpy()
    shop_pos = shops.index.get_indexer(shop)
    cur = np.where(shops["currency_code"].to_numpy()[shop_pos] == "NZD", 1, 0)   # 0 USD, 1 NZD
    real = (shops.loc[shop, "test_flag"].to_numpy() == 0) & (shops.loc[shop, "internal"].to_numpy() == 0)
    done = od["status"].to_numpy() == 90
    # defects: disjoint sets of completed orders at the real stores
    k = defect_count(world)
    eligible = np.flatnonzero(done & real)
    eligible = rng.permutation(eligible)
    missing, wrong = _plant_tax(world, rng, it, eligible[: 2 * k])
    mismatch = eligible[2 * k: 3 * k]
    cur[mismatch] = 1
    world.frames["_reserved_orders"] = eligible[: 3 * k]   # payments plants on other orders
    # order amounts from items, in cents
    g_pay = np.bincount(it["order"], weights=it["pay_c"], minlength=n).astype(np.int64)
    g_tax = np.bincount(it["order"], weights=it["tax_c"], minlength=n).astype(np.int64)
    g_total = np.bincount(it["order"], weights=it["origin_c"] * it["qty"], minlength=n).astype(np.int64)
    inclusive = np.bincount(it["order"], weights=(it["mode"] == 2), minlength=n) > 0
    pay_c = np.where(inclusive, g_pay, g_pay + g_tax)
    ids = np.arange(1, n + 1, dtype=np.int64)
    seq = ids * 1000 + rng.integers(0, 1000, n)
    order_no = order_numbers(od["local_date"].to_numpy(), shop, seq)
    origin = world.users["origin"].to_numpy()[od["user"].to_numpy()]
    channel = channel_of.order_channels(rng.random(n), world.rng("order_channels").random(n), origin)
    test = ~real & (shops.loc[shop, "test_flag"].to_numpy() == 1)
    channel[test] = rng.choice([2, 1], int(test.sum()), p=[0.85, 0.15])
    ct = od["create_time"].to_numpy()
    paid = od["status"].isin([90, 70, 50, 20]).to_numpy()
    pay_time = np.where(paid, ct + rng.integers(2, 25, n).astype("timedelta64[s]"), np.datetime64("NaT"))
    finish = np.where(done, ct + rng.integers(150, 900, n).astype("timedelta64[s]"), np.datetime64("NaT"))
    update = np.where(done, finish, ct + rng.integers(30, 1800, n).astype("timedelta64[s]"))
    users = world.users
    user_no = users["user_no"].array.take(od["user"].to_numpy())
    orders = table_frame(DB, "t_order", dict(
        id=ids, tenant=TENANT, order_no=order_no, channel=channel.astype("int16"),
        order_type=np.where(channel == 3, 2, 1).astype("int16"), user_no=user_no, shop_id=shop,
        shop_name=labels(shops["shop_name"], shop_pos), status=od["status"].to_numpy(),
        total_money=g_total / 100 + g_tax / 100 * ~inclusive, payable_money=pay_c / 100, pay_money=pay_c / 100,
        pay_time=pay_time, create_time=ct, update_time=update, finish_time=finish,
        currency_code=labels(("USD", "NZD"), cur), remark=None))
    # items
    oi = it["order"].to_numpy()
    ni = len(it)
    items = table_frame(DB, "t_order_item", dict(
        id=np.arange(1, ni + 1, dtype=np.int64), tenant=TENANT, order_id=ids[oi], order_no=order_no[oi],
        spu_code=labels(menu["spu_code"], pidx), spu_name=labels(menu["name"], pidx),
        one_category_name=labels(menu["one_category_name"], pidx),
        two_category_name=labels(menu["two_category_name"], pidx),
        three_category_name=None, sku_code=labels(sk["sku_code"], srow),
        sku_name=labels(sk["sku_name"], srow), quantity=it["qty"].to_numpy(),
        origin_price=it["origin_c"].to_numpy() / 100, sale_price=it["unit_c"].to_numpy() / 100,
        pay_money=it["pay_c"].to_numpy() / 100, tax_rate=it["rate"].to_numpy(), tax=it["tax_c"].to_numpy() / 100,
        tax_mode=it["mode"].to_numpy().astype("int16"),
        tax_info=labels((TAX_INFO_NYC, TAX_INFO_NZD), it["nzd"].to_numpy()),
        create_time=ct[oi], update_time=ct[oi]))
    # tenant contamination: cancelled orders written by the UAT tenant into production
    extra = _unknown_tenant_orders(world, rng, orders, items)
    orders = pd.concat([orders, extra[0]], ignore_index=True)
    items = pd.concat([items, extra[1]], ignore_index=True)
    # amounts: one row per paid USD order
    usd_paid = paid & (shops["currency_code"].to_numpy()[shop_pos] == "USD")
    a = np.flatnonzero(usd_paid)
    amount = table_frame(DB, "t_order_amount", dict(
        id=np.arange(1, len(a) + 1, dtype=np.int64), tenant=TENANT, order_no=order_no[a],
        total_money=(g_total[a] + g_tax[a]) / 100, coupon_deduct=(g_total[a] - g_pay[a]) / 100, activity_deduct=0.0,
        delivery_fee=0.0, tax_amount=g_tax[a] / 100, gst_amount=0.0, vat_amount=0.0, pay_money=pay_c[a] / 100,
        currency_code=labels(("USD", "NZD"), cur[a]), create_time=ct[a], update_time=pay_time[a]))
    # truth
    world.truth["tax"]["missing_tax"] = sorted(order_no[missing].astype(str).tolist())
    world.truth["tax"]["wrong_rate"] = sorted(order_no[wrong].astype(str).tolist())
    world.truth["tenant"]["currency_mismatch"] = sorted(order_no[mismatch].astype(str).tolist())
    for flag, metric in (("collapse", "orders"), ("spike", "refund_rate")):
        for sid, d in plan.loc[plan[flag], ["shop_id", "local_date"]].itertuples(index=False):
            world.truth["anomalies"].append({"shop_id": int(sid), "date": pd.Timestamp(d).strftime("%Y-%m-%d"),
                                             "metric": metric})
    _record_churn(world, orders)
    frame = orders.iloc[:n].copy()
    frame["local_date"] = od["local_date"].to_numpy().astype("datetime64[D]")
    world.frames["orders"] = frame
    world.frames["items"] = items.iloc[:ni]
    yield DB, "t_order", orders
    yield DB, "t_order_item", items
    yield DB, "t_order_amount", amount
    yield DB, "t_order_delivery_address", table_frame(DB, "t_order_delivery_address",
                                                      {c: [] for c in _cols("t_order_delivery_address")})


def _cols(name: str) -> list[str]:
    from lucky.schema import get_table
    return [c.name for c in get_table(DB, name).columns]


def _unknown_tenant_orders(world: World, rng: np.random.Generator, orders: pd.DataFrame,
                           items: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cancelled orders (and their items) of a UAT tenant at the Cook Islands test stores."""
    k = max(3, defect_count(world) // 3)
    src = orders[(orders["status"] == 0)].sample(k, random_state=rng.integers(1 << 31))
    o = src.copy()
    o["id"] = orders["id"].max() + np.arange(1, k + 1)
    o["order_no"] = text(order_numbers(o["create_time"].dt.normalize().to_numpy(), o["shop_id"].to_numpy(),
                                       o["id"].to_numpy() * 1000 + rng.integers(0, 1000, k)))
    o["tenant"] = "lkus-test"
    i = items[items["order_id"].isin(src["id"])].copy()
    i["order_id"] = i["order_id"].map(dict(zip(src["id"], o["id"])))
    i["order_no"] = i["order_id"].map(dict(zip(o["id"], o["order_no"])))
    i["id"] = items["id"].max() + np.arange(1, len(i) + 1)
    i["tenant"] = "lkus-test"
    world.truth["tenant"]["unknown_tenant"] += [[f"{DB}.t_order", "lkus-test"], [f"{DB}.t_order_item", "lkus-test"]]
    return o, i


def _record_churn(world: World, orders: pd.DataFrame) -> None:
    """Churned users (truth): planted churners that were regulars before they stopped.

    A regular has at least CHURN_MIN_ORDERS completed orders over at least CHURN_MIN_TENURE days
    (first to last) at an average gap of at most CHURN_MAX_GAP days; a churned regular's last
    completed order is CHURN_QUIET_DAYS or more before the as-of date. Only planted users match.
    """
    users = world.users
    churners = users.loc[~users["churn_time"].isna(), ["user_no", "churn_time"]]
    done = orders[(orders["status"] == 90) & orders["user_no"].isin(churners["user_no"])]
    n_before = done.groupby("user_no").size()
    t = done.groupby("user_no")["create_time"]
    span = (t.max() - t.min()).dt.days
    n = churners["user_no"].map(n_before).fillna(0)
    tenure = churners["user_no"].map(span).fillna(0)
    ok = churners["user_no"][(n >= CHURN_MIN_ORDERS) & (tenure >= CHURN_MIN_TENURE)
                             & (tenure / (n - 1).clip(lower=1) <= CHURN_MAX_GAP)]
    world.truth["churn"]["churned"] = sorted(ok.tolist())
