"""Generator step 'marketing': coupons, campaigns and user labels (luckyus_sales_marketing).

- t_coupon_template (1,262): amount off, percent off and free-item coupons with their cost;
- t_coupon_record (2.6M): live coupons, mostly unused (the seed's "2.4M active"); every used
  coupon carries the order_no of a real completed order of the same user and exactly that
  order's `t_order_amount.coupon_deduct`, with a template whose terms give that discount;
- t_coupon_record_expired (bulk, 37M): the archive of coupons that expired unused;
- t_market_activity and t_market_activity_partake (514K): campaigns, and who took part: orders
  placed during a campaign (order_no, reward = the order's coupon_deduct; `activity_deduct` is
  0 on every order) and claims without an order;
- t_user_group_label (bulk, 3.9M): targeting labels, drawn from each user's behaviour.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from lucky.demo.gen import campaigns
from lucky.demo.gen.crm import (
    AS_OF,
    DAY,
    SEGMENT_ID0,
    SEGMENTS,
    between,
    customers,
    frame,
    in_chunks,
    numbered,
    pick,
    seconds,
    segment_propensity,
    split_counts,
    strings,
    ts,
    weighted,
)
from lucky.demo.world import START, World

DB = "luckyus_sales_marketing"
T0 = int(pd.Timestamp(START).timestamp())
AMOUNT, PERCENT, FREE_ITEM = 1, 2, 3
PERCENTS = np.array([10, 15, 20, 25, 30, 40, 50])
VALID_DAYS = np.array([3, 7, 14, 30, 60, 90])
ORDER_SHARE = 0.45   # share of campaign participations that are orders
AUDIENCES = ("New user", "Welcome back", "Weekday", "Weekend", "Referral", "Birthday",
             "Morning rush", "Afternoon", "Store opening", "App exclusive", "Holiday", "Delivery")
SEASONAL_THEMES = ("Summer Cold Brew Week", "Back to Work", "Fall Latte Season", "Pumpkin Spice Launch",
                   "Thanksgiving Treats", "Holiday Gifting", "New Year Fresh Start",
                   "Valentine's Sweet Deal")
SEASONAL = {6: 0, 7: 0, 8: 1, 9: 2, 10: 3, 11: 4, 12: 5, 1: 6, 2: 7}   # month -> theme
THEMES = SEASONAL_THEMES + ("Refer a Friend", "Grand Opening", "Coconut Latte Days", "Matcha Month",
                            "Student Deal", "Office Coffee Run", "Rainy Day Deal", "Winter Warmers")


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("marketing")
    cust = customers(world)
    user_no = pa.array(world.users["user_no"].astype("str"), pa.string())
    linked = _coupon_orders(world)
    templates = _templates(world, rng, linked["deduct"].to_numpy())
    records, used_cost = _records(world, rng, cust, user_no, templates, linked)
    templates["marketing_cost"] = np.round(used_cost + 0.02 * templates["issued"], 2)
    yield DB, "t_coupon_template", frame(DB, "t_coupon_template", 1, {
        c: templates[c] for c in ("template_id", "template_name", "coupon_type", "discount_value",
                                  "threshold_amount", "marketing_cost", "valid_days", "status")}
        | {"create_time": ts(templates["create"]), "update_time": ts(templates["update"])})
    yield from records
    yield DB, "t_coupon_holdout", campaigns.holdouts(world, cust, user_no, templates, linked)
    yield from _expired(world, rng, cust, user_no, templates)
    activities = _activities(world, rng, templates)
    partake = _partake(world, rng, cust, user_no, templates, activities, linked)
    yield DB, "t_market_activity", activities.table
    yield DB, "t_market_activity_partake", partake
    yield from _labels(world, rng, cust, user_no)


# ---------------------------------------------------------------- coupons
def _coupon_orders(world: World) -> pd.DataFrame:
    """Completed orders of known users whose t_order_amount row carries a coupon_deduct > 0.

    The orders step keeps no amounts frame; its rule is coupon_deduct = sum(origin_price x
    quantity) - sum(item pay_money) for paid orders of USD stores, recomputed here in cents.
    """
    orders = world.orders
    amounts = world.frames.get("amounts")
    if amounts is not None:
        deduct = pd.Series(amounts["coupon_deduct"].to_numpy(dtype=float), index=amounts["order_no"])
        deduct = np.nan_to_num(deduct.reindex(orders["order_no"]).to_numpy())
    else:
        items = world.items
        row = pd.Index(orders["id"]).get_indexer(items["order_id"])
        ok = row >= 0
        listed = np.round(items["origin_price"].to_numpy(dtype=float) * 100) * items["quantity"].to_numpy()
        paid = np.round(items["pay_money"].to_numpy(dtype=float) * 100)
        cents = np.bincount(row[ok], weights=(listed - paid)[ok], minlength=len(orders))
        usd = world.shops.set_index("id")["currency_code"].reindex(orders["shop_id"]).to_numpy() == "USD"
        deduct = np.where(usd, np.round(cents) / 100, 0.0)
    return _linked(world, deduct)


def _linked(world: World, deduct: np.ndarray) -> pd.DataFrame:
    """Completed orders of known CRM users with a positive deduction, in time order."""
    customers(world)
    orders = world.orders
    uidx = world.frames["order_users"]["user"].to_numpy()
    ok = (orders["status"].to_numpy() == 90) & (deduct > 0.004) & (uidx >= 0)
    paid = orders["pay_time"].where(orders["pay_time"].notna(), orders["create_time"])
    return pd.DataFrame({"order_no": orders["order_no"].to_numpy()[ok], "user": uidx[ok],
                         "time": seconds(paid)[ok], "deduct": np.round(deduct[ok], 2),
                         "total": orders["total_money"].to_numpy(dtype=float)[ok]})


def _templates(world: World, rng: np.random.Generator, deducts: np.ndarray) -> pd.DataFrame:
    """Templates whose amount-off values follow the discounts actually seen on orders."""
    n = world.n(1262, minimum=12)
    kind = rng.choice([AMOUNT, PERCENT, FREE_ITEM], n, p=[0.5, 0.3, 0.2])
    if len(deducts):
        values, counts = np.unique(deducts, return_counts=True)
        amount_values = rng.choice(values, n, p=counts / counts.sum())
        forced = min(len(values), n // 2)     # the commonest discounts on orders have a template
        amount_values[:forced] = values[np.argsort(-counts)][:forced]
        kind[:forced] = AMOUNT
    else:
        amount_values = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0], n)
    products = world.products
    price_col = "price" if "price" in products else "standard_price"
    item = rng.integers(0, len(products), n)
    item_price = products[price_col].to_numpy(dtype=float)[item]
    pct = rng.choice(PERCENTS, n)
    value = np.select([kind == AMOUNT, kind == PERCENT], [amount_values, pct], item_price).round(2)
    threshold = np.where((kind == AMOUNT) & (rng.random(n) < 0.4), np.ceil(value * 4), 0.0)
    valid = rng.choice(VALID_DAYS, n, p=[0.08, 0.3, 0.27, 0.25, 0.06, 0.04])
    create = T0 - 14 * DAY + (rng.beta(1.2, 1.6, n) * (AS_OF - 45 * DAY - T0)).astype(np.int64)
    create = np.sort(create)
    status = np.where(rng.random(n) < 0.35 + 0.5 * (create < AS_OF - 120 * DAY), 2, 1)
    audience = rng.integers(0, len(AUDIENCES), n)
    names = np.array(AUDIENCES)[audience] + ": " + np.select(
        [kind == AMOUNT, kind == PERCENT],
        [np.char.add("$", np.char.mod("%.2f off", value)), np.char.mod("%d%% off", pct)],
        np.char.add("Free ", products["name"].to_numpy(dtype=str)[item]))
    odd = (kind == AMOUNT) & (np.round(value * 100) % 25 != 0)
    names = np.where(odd, np.char.add(np.array(AUDIENCES)[audience], np.char.mod(": member deal, save $%.2f", value)), names)
    names = np.where(threshold > 0, np.char.add(names, np.char.mod(" over $%.0f", threshold)), names)
    return pd.DataFrame({
        "template_id": 2_000_000 + np.arange(1, n + 1), "template_name": names.astype(str),
        "coupon_type": kind, "discount_value": value, "threshold_amount": threshold,
        "valid_days": valid, "status": status, "create": create,
        "update": create + (rng.random(n) * (AS_OF - create) * 0.3).astype(np.int64),
        "weight": rng.lognormal(0, 1.2, n), "issued": np.zeros(n, np.int64)})


def _choose(keys: np.ndarray, weights: np.ndarray, query: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each query, a row whose key equals it, weighted; -1 where no key matches.

    `keys` must be sorted; rows with equal keys are chosen in proportion to `weights`.
    """
    lo, hi = np.searchsorted(keys, query, "left"), np.searchsorted(keys, query, "right")
    cw = np.r_[0.0, np.cumsum(weights)]
    target = cw[lo] + u * (cw[hi] - cw[lo])
    pos = np.clip(np.searchsorted(cw, target, "right") - 1, lo, np.maximum(hi - 1, lo))
    return np.where(hi > lo, pos, -1)


def _match_templates(rng: np.random.Generator, templates: pd.DataFrame, deduct: np.ndarray,
                     total: np.ndarray) -> np.ndarray:
    """A template (row index) whose terms give each used coupon's deduction.

    Amount-off and free-item templates match on the value; percent-off ones where the percent
    of the order total rounds to the deduction; otherwise the closest amount-off template (a
    coupon capped by the order total).
    """
    kind = templates["coupon_type"].to_numpy()
    value = templates["discount_value"].to_numpy()
    weight = templates["weight"].to_numpy()
    cents = np.round(deduct * 100).astype(np.int64)
    out = np.full(len(deduct), -1)
    fixed = np.flatnonzero(kind != PERCENT)
    fixed = fixed[np.argsort(np.round(value[fixed] * 100), kind="stable")]
    hit = _choose(np.round(value[fixed] * 100).astype(np.int64), weight[fixed], cents, rng.random(len(cents)))
    out[hit >= 0] = fixed[hit[hit >= 0]]
    threshold = templates["threshold_amount"].to_numpy()
    out[(out >= 0) & (threshold[np.maximum(out, 0)] > total)] = -1     # order below the minimum
    percent = np.flatnonzero(kind == PERCENT)
    percent = percent[np.argsort(value[percent], kind="stable")]
    for p in np.unique(value[percent]):
        todo = (out < 0) & (np.round(total * p) == cents)
        rows = percent[value[percent] == p]
        if todo.any() and len(rows):
            out[todo] = rng.choice(rows, todo.sum(), p=weight[rows] / weight[rows].sum())
    amount = np.flatnonzero((kind == AMOUNT) & (threshold == 0))
    if not len(amount):
        amount = np.flatnonzero(kind != PERCENT)
    amount = amount[np.argsort(value[amount], kind="stable")]
    todo = out < 0
    if todo.any():
        near = np.clip(np.searchsorted(value[amount], deduct[todo]), 0, len(amount) - 1)
        out[todo] = amount[near]
    return out


def _records(world: World, rng: np.random.Generator, cust: pd.DataFrame, user_no: pa.Array,
             templates: pd.DataFrame, linked: pd.DataFrame) -> tuple[Iterator, np.ndarray]:
    """t_coupon_record (chunks, in issue order) and each template's discount given.

    Used coupons (one per coupon order), unused ones still valid at the snapshot, and a week of
    expired ones not yet archived."""
    total = world.n(2_600_000)
    used = linked.iloc[: total]
    rest = total - len(used)
    unused = int(round(rest * 0.93))
    expired = rest - unused
    reg = cust["register"].to_numpy()
    valid = templates["valid_days"].to_numpy() * DAY
    weight = templates["weight"].to_numpy()
    activity = cust["orders"].to_numpy() ** 0.5 + 1.0

    # used: the coupon was issued some days before the order and was still valid
    tm = _match_templates(rng, templates, used["deduct"].to_numpy(), used["total"].to_numpy())
    u_used = used["user"].to_numpy()
    use_time = used["time"].to_numpy()
    c_used = np.maximum(use_time - (rng.random(len(used)) * 0.8 * valid[tm]).astype(np.int64), reg[u_used])
    c_used = np.minimum(c_used, use_time - 60)
    world.frames["coupon_used"] = pd.DataFrame({"template": tm, "order": np.arange(len(used)), "sent": c_used})
    # a template exists before the first coupon issued from it
    first_issue = np.full(len(templates), np.iinfo(np.int64).max)
    np.minimum.at(first_issue, tm, c_used)
    lead = (rng.uniform(1, 10, len(templates)) * DAY).astype(np.int64)
    templates["create"] = np.minimum(templates["create"].to_numpy(), first_issue - lead)
    templates["update"] = np.maximum(templates["update"].to_numpy(), templates["create"].to_numpy())
    t_create = templates["create"].to_numpy()
    # unused: from live templates, issued recently enough to be valid at the snapshot
    live = np.flatnonzero(templates["status"].to_numpy() == 1)
    tu = live[weighted(rng, weight[live], unused)]
    uu = weighted(rng, activity, unused)
    c_unused = between(rng, np.maximum(np.maximum(reg[uu], t_create[tu]), AS_OF - valid[tu] + 3600),
                       np.full(unused, AS_OF - 60))
    # expired in the last week, not yet moved to the archive
    te = weighted(rng, weight, expired)
    ue = weighted(rng, activity, expired)
    expire_e = AS_OF - (rng.random(expired) * 7 * DAY).astype(np.int64)
    c_expired = expire_e - valid[te]
    late = c_expired < np.maximum(reg[ue], t_create[te])   # such users got a shorter coupon
    world.frames["coupon_unused"] = pd.DataFrame({"template": np.r_[tu, te], "expired": np.r_[np.zeros(unused, bool), np.ones(expired, bool)]})
    c_expired[late] = np.minimum(np.maximum(reg[ue], t_create[te])[late], expire_e[late] - DAY)

    tmpl = np.concatenate([tm, tu, te])
    user = np.concatenate([u_used, uu, ue])
    created = np.concatenate([c_used, c_unused, c_expired])
    expire = np.concatenate([c_used + valid[tm], c_unused + valid[tu], expire_e])
    status = np.concatenate([np.full(len(used), 2), np.ones(unused, int), np.full(expired, 3)]).astype(np.int16)
    order_idx = np.concatenate([np.arange(len(used)), np.full(unused + expired, -1)])
    discount = np.concatenate([used["deduct"].to_numpy(), np.full(unused + expired, np.nan)])
    use = np.concatenate([use_time, np.zeros(unused + expired, np.int64)])
    order = np.argsort(created)
    templates["issued"] = np.bincount(tmpl, minlength=len(templates))
    cost = np.bincount(tm, weights=used["deduct"].to_numpy(), minlength=len(templates))
    arch = world.n_bulk(37_000_000)
    order_no = pa.array(used["order_no"].astype("str"), pa.string())
    template_id = templates["template_id"].to_numpy()

    def make(start: int, n: int) -> dict:
        o = order[start:start + n]
        is_used, oi = status[o] == 2, order_idx[o]
        update = np.where(is_used, use[o], np.where(status[o] == 3, expire[o], created[o]))
        return {"coupon_no": numbered("CP", arch + 1 + start, n, 10), "template_id": template_id[tmpl[o]],
                "user_no": strings(user_no.take(pa.array(user[o]))), "status": status[o],
                "order_no": strings(order_no.take(pa.array(oi, mask=oi < 0))),
                "discount_amount": discount[o], "use_time": pd.Series(ts(use[o])).where(is_used),
                "expire_time": ts(expire[o]), "create_time": ts(created[o]), "update_time": ts(update)}

    return in_chunks(DB, "t_coupon_record", total, make), cost


def _expired(world: World, rng: np.random.Generator, cust: pd.DataFrame, user_no: pa.Array,
             templates: pd.DataFrame) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """The archive of coupons that expired unused (numbered before the live ones)."""
    reg = cust["register"].to_numpy()
    early_users = np.flatnonzero(reg <= np.quantile(reg, 0.2))
    valid = templates["valid_days"].to_numpy() * DAY
    t_create = templates["create"].to_numpy()
    w_tmpl = templates["weight"].to_numpy()
    first = np.argsort(t_create)[: max(1, len(templates) // 10)]
    activity = cust["orders"].to_numpy() ** 0.5 + 1.0
    template_id = templates["template_id"].to_numpy()

    def make(start: int, n: int) -> dict:
        tm = weighted(rng, w_tmpl, n)
        u = weighted(rng, activity, n)
        hi = AS_OF - 7 * DAY - valid[tm]
        bad = np.maximum(reg[u], t_create[tm]) > hi
        u[bad] = rng.choice(early_users, bad.sum())           # issued when the user was new
        tm[bad] = rng.choice(first, bad.sum())
        lo = np.maximum(reg[u], t_create[tm])
        created = between(rng, lo, np.maximum(AS_OF - 7 * DAY - valid[tm], lo))
        order = np.argsort(created)
        created, tm, u = created[order], tm[order], u[order]
        expire = created + valid[tm]
        return {"coupon_no": numbered("CP", start + 1, n, 10), "template_id": template_id[tm],
                "user_no": strings(user_no.take(pa.array(u))), "status": np.full(n, 3, np.int16),
                "expire_time": ts(expire), "create_time": ts(created),
                "update_time": ts(expire + 3600 + (rng.random(n) * 6 * DAY).astype(np.int64))}

    yield from in_chunks(DB, "t_coupon_record_expired", world.n_bulk(37_000_000), make)


# ---------------------------------------------------------------- campaigns
class _Activities:
    """Campaigns laid out in parallel lanes, each lane a sequence of back-to-back windows."""

    def __init__(self, table: pd.DataFrame, lanes: list[np.ndarray], lane_ids: list[np.ndarray],
                 template_row: np.ndarray):
        self.table, self.lanes, self.lane_ids, self.template_row = table, lanes, lane_ids, template_row

    def at(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """The row index of an activity running at each time (a random lane)."""
        lane = rng.integers(0, len(self.lanes), len(t))
        out = np.empty(len(t), np.int64)
        for k, (bounds, ids) in enumerate(zip(self.lanes, self.lane_ids)):
            m = lane == k
            out[m] = ids[np.clip(np.searchsorted(bounds, t[m], "right") - 1, 0, len(ids) - 1)]
        return out


def _activities(world: World, rng: np.random.Generator, templates: pd.DataFrame) -> _Activities:
    n = world.n(180, minimum=6)
    n_lanes = max(2, min(8, n // 20))
    per_lane = split_counts(n, np.ones(n_lanes))
    start_all, end_all, lanes, lane_ids, row = [], [], [], [], 0
    for k in range(n_lanes):
        m = per_lane[k]
        cuts = np.sort(T0 + (rng.random(m - 1) * (AS_OF + 21 * DAY - T0)).astype(np.int64))
        bounds = np.r_[T0 + k * 3 * DAY if k else T0, cuts]
        starts = bounds
        ends = np.r_[cuts, AS_OF + 21 * DAY] - 1
        start_all.append(starts), end_all.append(ends)
        lanes.append(bounds), lane_ids.append(np.arange(row, row + m))
        row += m
    start, end = np.concatenate(start_all), np.concatenate(end_all)
    weight = templates["weight"].to_numpy()
    tmpl = rng.choice(len(templates), n, p=weight / weight.sum())
    months = pd.to_datetime(start, unit="s")
    seasonal = np.array([SEASONAL.get(m, 0) for m in months.month])
    theme = np.where(rng.random(n) < 0.5, seasonal, rng.integers(len(SEASONAL_THEMES), len(THEMES), n))
    month = months.strftime(" %b %Y").to_numpy(dtype=str)
    table = frame(DB, "t_market_activity", 1, {
        "activity_id": 3_000_000 + np.arange(1, n + 1),
        "activity_name": (np.array(THEMES)[theme] + month).astype(str),
        "template_id": templates["template_id"].to_numpy()[tmpl],
        "start_time": ts(start), "end_time": ts(end),
        "budget": np.zeros(n),   # set from the rewards once the participations are drawn
        "status": np.select([end < AS_OF, start <= AS_OF], [2, 1], 0).astype(np.int16),  # 0 scheduled
        "create_time": ts(np.minimum(start - 7 * DAY, AS_OF - DAY)),
        "update_time": ts(np.clip(end, start - 7 * DAY, AS_OF - 60))})
    return _Activities(table, lanes, lane_ids, tmpl)


def _partake(world: World, rng: np.random.Generator, cust: pd.DataFrame, user_no: pa.Array,
             templates: pd.DataFrame, acts: _Activities, coupon_orders: pd.DataFrame) -> pd.DataFrame:
    """Orders placed with a campaign's offer (reward = the order's discount), then sign-ups and
    claims without an order (reward = the offer's nominal value)."""
    total = world.n(514_000)
    linked = coupon_orders.iloc[np.sort(rng.permutation(len(coupon_orders))[: int(total * ORDER_SHARE)])]
    claims = total - len(linked)
    reg = cust["register"].to_numpy()
    activity = cust["orders"].to_numpy() ** 0.5 + 1.0
    u_claim = weighted(rng, activity, claims)
    t_claim = between(rng, reg[u_claim], np.full(claims, AS_OF - 60))
    t = np.concatenate([linked["time"].to_numpy(), t_claim])
    act = acts.at(rng, t)
    tmpl = acts.template_row[act]
    kind, value = templates["coupon_type"].to_numpy()[tmpl], templates["discount_value"].to_numpy()[tmpl]
    nominal = np.where(kind == PERCENT, np.round(4.71 * value / 100, 2), value)
    reward = np.concatenate([linked["deduct"].to_numpy(), nominal[len(linked):]])
    user = np.concatenate([linked["user"].to_numpy(), u_claim])
    order_idx = np.concatenate([np.arange(len(linked)), np.full(claims, -1)])
    order = np.argsort(t)
    stamp = ts(t[order])
    spent = np.bincount(act, weights=reward, minlength=len(acts.table))
    headroom = rng.choice([1.1, 1.25, 1.5, 2.0], len(spent))
    acts.table["budget"] = np.maximum(np.ceil(spent * headroom / 100) * 100, 100.0)
    return frame(DB, "t_market_activity_partake", 1, {
        "activity_id": acts.table["activity_id"].to_numpy()[act[order]],
        "user_no": strings(user_no.take(pa.array(user[order]))),
        "order_no": strings(pa.array(linked["order_no"].astype("str"), pa.string()).take(
            pa.array(order_idx[order], mask=order_idx[order] < 0))),
        "reward_amount": reward[order], "create_time": stamp, "update_time": stamp})


# ---------------------------------------------------------------- labels
def _labels(world: World, rng: np.random.Generator, cust: pd.DataFrame,
            user_no: pa.Array) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Distinct (user, label) pairs: a weighted sample without replacement (Gumbel top-k)."""
    scores = segment_propensity(cust, rng).ravel()
    n = min(world.n_bulk(3_900_000), len(scores))
    scores += rng.gumbel(size=len(scores))
    pairs = np.sort(np.argpartition(-scores, n - 1)[:n]) if n < len(scores) else np.arange(n)
    del scores
    u, s = np.divmod(pairs, len(SEGMENTS))
    reg = cust["register"].to_numpy()
    created = between(rng, reg[u], np.full(n, AS_OF - 60))
    names = list(SEGMENTS)

    def make(start: int, k: int) -> dict:
        sl = slice(start, start + k)
        return {"user_no": strings(user_no.take(pa.array(u[sl]))), "label_id": s[sl] + SEGMENT_ID0,
                "label_name": pick(names, s[sl]), "create_time": ts(created[sl]),
                "update_time": ts(created[sl])}

    yield from in_chunks(DB, "t_user_group_label", n, make)
