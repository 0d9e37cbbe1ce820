"""Generator step 'misc': order status history, reconciliation rules, store hours and remarks.

- luckyus_sales_order.t_order_oper_history (bulk, 2.5M): the status transitions of orders
  (created 10 -> paid 20 -> accepted 50 -> ready -> completed 90, cancellations to 0, refunds
  90 -> 70), at the orders' own timestamps. At --bulk below 1 the table holds the most recent
  orders' complete histories (the older partitions archived), never partial ones.
- luckyus_iunifiedreconcile.t_reconcile_rule / t_reconcile_config: the reconciliation rules
  (order <-> payment tolerance $0.01, ...) and their settings.
- luckyus_opshop.t_shop_opening_time (135K): per store and day the opening hours, from 2025-06-30
  to 30 days past the as-of date (schedules are published ahead). Trading stores get every day,
  with hours that cover their actual orders (store-local); the other shops fill the rest.
- luckyus_opshopsale.t_shop_sale_remark (bulk, 820K): product remarks shown per store.
"""
from __future__ import annotations

from collections.abc import Iterator

import holidays
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lucky.demo.gen.crm import AS_OF, DAY, between, frame, in_chunks, pick, seconds, strings, ts
from lucky.demo.world import END, START, World

T0 = int(pd.Timestamp(START).timestamp())
HORIZON = 30   # days of published opening hours beyond the as-of date


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("misc")
    yield from _oper_history(world, rng)
    yield from _reconcile()
    world.frames["opening_time"] = opening = _opening_time(world, rng)  # store_events reads it
    yield "luckyus_opshop", "t_shop_opening_time", opening
    yield from _sale_remarks(world, rng)


# ---------------------------------------------------------------- order status history
#: (from_status, to_status, operator, description); from None = the order's creation.
STEPS = (
    (None, 10, "user", "order created"), (10, 20, "payment", "payment succeeded"),
    (20, 50, "store", "store accepted the order"), (50, 50, "store", "ready for pickup"),
    (50, 90, "system", "order completed"), (90, 70, "customer_service", "order refunded"),
    (10, 0, "user", "cancelled before payment"), (20, 0, "store", "cancelled, payment refunded"),
)


def _oper_history(world: World, rng: np.random.Generator) -> Iterator[tuple[str, str, pd.DataFrame]]:
    orders = world.orders
    status = orders["status"].to_numpy()
    created = seconds(orders["create_time"])
    paid_col = orders["pay_time"].notna().to_numpy()
    paid = np.where(paid_col, seconds(orders["pay_time"]), created + 15 + (rng.random(len(orders)) * 60).astype(np.int64))
    finished = orders["finish_time"].notna().to_numpy()
    finish = np.where(finished, seconds(orders["finish_time"]), paid + 240)
    done = np.isin(status, (90, 70))
    was_paid = np.isin(status, (20, 50, 90, 70)) | ((status == 0) & paid_col)
    accepted = np.isin(status, (50, 90, 70))
    masks = [np.ones(len(orders), bool), was_paid, accepted, done, done, status == 70,
             (status == 0) & ~was_paid, (status == 0) & was_paid]
    per_order = np.sum(masks, axis=0)
    target = world.n_bulk(2_500_000)
    newest = np.argsort(-created)
    keep = newest[np.cumsum(per_order[newest]) <= target]
    keep_mask = np.zeros(len(orders), bool)
    keep_mask[keep] = True
    accept_t = paid + 5 + rng.exponential(40, len(orders)).astype(np.int64)
    ready_t = np.maximum(finish - 60 - rng.exponential(120, len(orders)).astype(np.int64), accept_t + 30)
    times = [created, paid, accept_t, ready_t, finish,
             finish + (rng.exponential(6, len(orders)) * 3600).astype(np.int64) + 600,
             created + (rng.exponential(5, len(orders)) * 60).astype(np.int64) + 30,
             paid + (rng.exponential(4, len(orders)) * 60).astype(np.int64) + 20]
    o_idx, step, when = [], [], []
    for k, (m, t) in enumerate(zip(masks, times)):
        rows = np.flatnonzero(m & keep_mask)
        o_idx.append(rows), step.append(np.full(len(rows), k)), when.append(t[rows])
    o_idx, step, when = np.concatenate(o_idx), np.concatenate(step), np.concatenate(when)
    when = np.minimum(when, AS_OF)
    order = np.lexsort((step, when))
    o_idx, step, when = o_idx[order], step[order], when[order]
    from_s = np.array([-1 if f is None else f for f, *_ in STEPS])
    to_s = np.array([t for _, t, *_ in STEPS])
    order_no = pa.array(orders["order_no"].astype("str"), pa.string())
    db, name = "luckyus_sales_order", "t_order_oper_history"

    def make(start: int, n: int) -> dict:
        sl = slice(start, start + n)
        f = from_s[step[sl]]
        return {"order_no": strings(order_no.take(pa.array(o_idx[sl]))),
                "from_status": pd.Series(f, dtype="Int16").mask(f < 0),
                "to_status": to_s[step[sl]].astype(np.int16),
                "operator": pick([s[2] for s in STEPS], step[sl]),
                "oper_desc": pick([s[3] for s in STEPS], step[sl]),
                "create_time": ts(when[sl]), "update_time": ts(when[sl])}

    yield from in_chunks(db, name, len(o_idx), make)


# ---------------------------------------------------------------- reconciliation config
RULES = (  # rule_code, rule_name, source, target, tolerance, status
    ("ORDER_TRADE", "Completed orders vs successful payments", "luckyus_sales_order.t_order",
     "luckyus_sales_payment.t_trade", 0.01, 1),
    ("TRADE_FEE", "Payments vs processor fees", "luckyus_sales_payment.t_trade",
     "luckyus_sales_payment.t_channel_fee", 0.01, 1),
    ("ORDER_INCOME", "Completed orders vs income bills", "luckyus_sales_order.t_order",
     "luckyus_ifiaccounting.t_acc_income_bill", 0.01, 1),
    ("ORDER_AMOUNT", "Order totals vs amount breakdown", "luckyus_sales_order.t_order",
     "luckyus_sales_order.t_order_amount", 0.01, 1),
    ("ITEM_TAX", "Item tax vs jurisdiction rate", "luckyus_sales_order.t_order_item",
     "luckyus_fi_tax.t_tax_rate_config", 0.01, 0),
    ("STRIPE_PAYOUT", "Payments vs Stripe payouts", "luckyus_sales_payment.t_trade", "stripe.payout",
     0.00, 0),
)
CONFIG = (
    ("order_trade.tolerance", "0.01"), ("order_trade.match_key", "order_no"),
    ("order.completed_status", "90"), ("trade.success_status", "1,2,3"),
    ("trade.amount_unit", "cents"), ("business_day.time_zone", "luckyus_opshop.t_shop_info.time_zone"),
    ("currency.reconcile_separately", "USD,NZD"), ("schedule.cron", "0 6 * * *"),
    ("schedule.time_zone", "America/New_York"), ("alert.channel", "finance-ops"),
)


def _reconcile() -> Iterator[tuple[str, str, pd.DataFrame]]:
    db = "luckyus_iunifiedreconcile"
    made = ts(np.full(len(RULES), T0 - 20 * DAY))
    yield db, "t_reconcile_rule", frame(db, "t_reconcile_rule", 1, {
        "rule_code": strings([r[0] for r in RULES]), "rule_name": strings([r[1] for r in RULES]),
        "source_system": strings([r[2] for r in RULES]), "target_system": strings([r[3] for r in RULES]),
        "tolerance_amount": np.array([r[4] for r in RULES]),
        "status": np.array([r[5] for r in RULES], np.int16), "create_time": made, "update_time": made})
    made = ts(np.full(len(CONFIG), T0 - 20 * DAY))
    yield db, "t_reconcile_config", frame(db, "t_reconcile_config", 1, {
        "config_key": strings([c[0] for c in CONFIG]), "config_value": strings([c[1] for c in CONFIG]),
        "create_time": made, "update_time": made})


# ---------------------------------------------------------------- store hours
def _store_hours(world: World) -> pd.DataFrame:
    """Per trading shop and weekend flag: the local whole hours that cover 99.8% of its orders."""
    orders, shops = world.orders, world.shops
    zone = shops.set_index("id")["time_zone"].reindex(orders["shop_id"]).fillna("America/New_York").to_numpy()
    hour = np.zeros(len(orders))
    weekend = np.zeros(len(orders), bool)
    for z in pd.unique(zone):
        m = zone == z
        local = orders["create_time"][m].dt.tz_localize("UTC").dt.tz_convert(z)
        hour[m] = local.dt.hour + local.dt.minute / 60
        weekend[m] = local.dt.day_of_week.to_numpy() >= 5
    frame_ = pd.DataFrame({"shop": orders["shop_id"].to_numpy(), "weekend": weekend, "hour": hour})
    q = frame_.groupby(["shop", "weekend"])["hour"].quantile([0.001, 0.999]).unstack()
    return pd.DataFrame({"open": np.floor(q[0.001]).clip(5, 10), "close": np.ceil(q[0.999]).clip(16, 23)})


def _opening_time(world: World, rng: np.random.Generator) -> pd.DataFrame:
    shops = world.shops
    hours = _store_hours(world)
    trading = np.isin(shops["id"].to_numpy(), hours.index.get_level_values(0))
    setup = pd.to_datetime(shops["set_up_time"]).fillna(pd.Timestamp(START)).to_numpy(dtype="datetime64[D]")
    first = np.maximum(setup, np.datetime64(START, "D"))
    last = np.datetime64(END, "D") + HORIZON
    days = np.maximum((last - first).astype(int) + 1, 0)
    target = world.n(135_000)
    filler = np.flatnonzero(~trading)[rng.permutation((~trading).sum())]
    room = max(0, target - days[trading].sum())
    filler = filler[np.cumsum(days[filler]) <= room]
    chosen = np.sort(np.r_[np.flatnonzero(trading), filler])
    shop_i = np.repeat(chosen, days[chosen])
    offset = np.arange(len(shop_i)) - np.repeat(np.cumsum(days[chosen]) - days[chosen], days[chosen])
    date = first[shop_i] + offset
    weekday = ((date.astype(np.int64) + 3) % 7)                    # 1970-01-01 was a Thursday
    weekend = weekday >= 5
    shop_id = shops["id"].to_numpy()[shop_i]
    key = pd.MultiIndex.from_arrays([shop_id, weekend])
    h = hours.reindex(key)
    default_open = np.where(weekend, 8, 7)
    default_close = np.where(weekend, 18, 19)
    open_h = np.where(h["open"].isna(), default_open, h["open"]).astype(int)
    close_h = np.where(h["close"].isna(), default_close, h["close"]).astype(int)
    us_holidays = holidays.US(years=[2025, 2026])
    closed_days = np.array([d for d, n in us_holidays.items() if "Thanksgiving" in n or "Christmas" in n],
                           dtype="datetime64[D]")
    shop_open = shops["status"].to_numpy()[shop_i] == 1
    status = (shop_open & (date >= setup[shop_i]) & ~np.isin(date, closed_days)).astype(np.int16)
    hh = [f"{k:02d}:00" for k in range(24)]
    published = np.minimum((date - 30).astype("datetime64[s]").astype(np.int64) + 7 * 3600, AS_OF - DAY)
    stamp = ts(published)
    return frame("luckyus_opshop", "t_shop_opening_time", 1, {
        "shop_id": shop_id, "business_date": date.astype("datetime64[s]"),
        "week_day": (weekday + 1).astype(np.int16), "open_time": pick(hh, open_h),
        "close_time": pick(hh, close_h), "status": status, "create_time": stamp, "update_time": stamp})


# ---------------------------------------------------------------- sale remarks
REMARKS = (  # remark_type, text before the product name, text after, weight
    ("promotion", "", ": 2nd cup 50% off", 25), ("sold_out", "", " sold out today", 20),
    ("new", "New: ", "", 12), ("recommend", "Barista pick: ", "", 15),
    ("allergen", "", " contains milk and soy", 10), ("seasonal", "", " is back for the season", 10),
    ("limited", "Limited time: ", "", 8),
)


def _sale_remarks(world: World, rng: np.random.Generator) -> Iterator[tuple[str, str, pd.DataFrame]]:
    shops, products = world.shops, world.products
    trading = np.isin(shops["id"].to_numpy(), world.orders["shop_id"].unique())
    p_shop = np.where(trading, 40.0, 1.0)
    p_shop /= p_shop.sum()
    p_type = np.array([r[3] for r in REMARKS], float)
    p_type /= p_type.sum()
    weight = products["weight"].to_numpy(dtype=float) if "weight" in products else np.ones(len(products))
    p_prod = weight / weight.sum()
    setup = pd.to_datetime(shops["set_up_time"]).fillna(pd.Timestamp(START))
    shop_t0 = np.maximum(setup.to_numpy(dtype="datetime64[s]").astype(np.int64), T0) - 14 * DAY
    spu = pa.array(products["spu_code"].astype("str"), pa.string())
    name = pa.array(products["name"].astype("str"), pa.string())
    before = pa.array([r[1] for r in REMARKS], pa.string())
    after = pa.array([r[2] for r in REMARKS], pa.string())

    def make(start: int, n: int) -> dict:
        s = rng.choice(len(shops), n, p=p_shop)
        p = pa.array(rng.choice(len(products), n, p=p_prod))
        k = pa.array(rng.choice(len(REMARKS), n, p=p_type))
        created = np.sort(between(rng, np.minimum(shop_t0[s], AS_OF - DAY), np.full(n, AS_OF - 60)))
        text = pc.binary_join_element_wise(before.take(k), name.take(p), after.take(k), "")
        active = created > AS_OF - 21 * DAY
        return {"shop_id": shops["id"].to_numpy()[s], "spu_code": strings(spu.take(p)),
                "remark_type": pick([r[0] for r in REMARKS], np.asarray(k)),
                "remark_text": strings(pc.utf8_slice_codeunits(text, 0, 255)),
                "display_order": rng.integers(1, 11, n).astype(np.int16),
                "status": active.astype(np.int16), "create_time": ts(created),
                "update_time": ts(np.where(active, created, created + (rng.random(n) * 14 * DAY).astype(np.int64)))}

    yield from in_chunks("luckyus_opshopsale", "t_shop_sale_remark", world.n_bulk(820_000), make)
