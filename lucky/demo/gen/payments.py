"""Generator step 'payments': t_trade and t_channel_fee (sales_payment).

One successful trade (status 1/2/3) per paid order (completed, uncollected, in progress) with the
order's pay_money in cents; refunded orders keep their trade as status 5; some cancelled orders
have a failed trade (status 4) and some completed orders a failed first attempt before the
successful one. Payment channel_ids follow Tool 8's table in count and revenue: each channel gets
an exact share of the trades, drawn with a tilt towards larger or smaller orders so its revenue
matches. The NZD test stores pay through channel 1.

Stripe-like fees (anchors): in person (Stripe Terminal at the counter: channels 91, 92)
2.7% + 5c, every other channel is online (app wallets and cards) 2.9% + 30c.
`merchant_service_fee` is the percentage part, `transaction_fee` the fixed part, `total_fee` their
sum, all in cents; t_trade.fee = total_fee.

Planted (truth): reconciliation.missing_payment, orphan_payment, amount_mismatch,
duplicate_charge; anomalies `fee_rate` (a channel charged 3.9% + 50c on some days);
tenant.unknown_tenant (failed trades of the UAT tenant).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen.catalog import NZD_ORDERS, NZD_REVENUE, alnum, as_bytes, digits, labels, table_frame
from lucky.demo.gen.orders import defect_count, local_dates, order_numbers
from lucky.demo.world import TENANT, World

DB = "luckyus_sales_payment"
# Tool 8: channel_id -> (successful trades, revenue $) over USD and NZD
TOOL8 = {53: (205988, 917232), 6: (168286, 753165), 51: (30901, 153927), 3: (27301, 136363),
         1: (29163, 100710), 52: (17829, 82992), 5: (12232, 57078), 91: (12682, 56875),
         54: (1737, 11688), 55: (198, 892), 92: (5, 188)}
NZD_CHANNEL = 1
IN_PERSON = (91, 92)
FEES = {"in_person": (0.027, 5), "online": (0.029, 30)}
SPIKE_FEE = (0.039, 50)        # the fee-rate anomaly: a misconfigured channel price
SPIKE_CHANNELS = (53, 6, 51, 3)  # the big online channels an episode may hit
SPIKE_MIN_TRADES = 3           # successful trades a channel-day needs to show a wrong price
FAILED_FIRST = 0.013           # completed orders whose first attempt failed
CANCEL_FAILED = 0.6            # cancelled orders that had a failed trade


def fee_class(channel: np.ndarray) -> np.ndarray:
    return np.where(np.isin(channel, IN_PERSON), "in_person", "online")


def fees(amount: np.ndarray, channel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(percentage part, fixed part) in cents for each trade."""
    in_person = np.isin(channel, IN_PERSON)
    pct = np.where(in_person, FEES["in_person"][0], FEES["online"][0])
    fixed = np.where(in_person, FEES["in_person"][1], FEES["online"][1])
    return np.floor(amount * pct + 0.5).astype(np.int64), fixed.astype(np.int64)


def _tilt(values: np.ndarray, counts: np.ndarray, goal: float) -> float:
    """beta such that the exp(beta x)-weighted mean of `values` (with multiplicities) is `goal`."""
    lo, hi = -20.0, 20.0
    shift = values.mean()
    for _ in range(60):
        beta = (lo + hi) / 2
        w = counts * np.exp(np.clip(beta * (values - shift), -600, 600))
        if (w * values).sum() / w.sum() < goal:
            lo = beta
        else:
            hi = beta
    return (lo + hi) / 2


def assign_channels(rng: np.random.Generator, amount: np.ndarray, targets: dict[int, tuple[float, float]]) -> np.ndarray:
    """Channel per trade with exact counts and revenues near the targets.

    Smallest channels first: each takes exactly its share of the remaining trades by Gumbel
    top-k with log-weights beta x amount; beta is solved on the amount histogram so the chosen
    trades' mean matches the channel's revenue per trade (one correction for sampling without
    replacement). The largest channel takes the rest.
    """
    n = len(amount)
    out = np.zeros(n, dtype=np.int64)
    free = np.ones(n, dtype=bool)
    total = sum(c for c, _ in targets.values())
    items = sorted(targets.items(), key=lambda kv: kv[1][0])
    a = amount / 100.0
    # the counts and revenues are shares of what there is to allocate
    s_count, s_rev = n / total, a.sum() / sum(r for _, r in targets.values())
    for ch, (cnt, rev) in items[:-1]:
        idx = np.flatnonzero(free)
        k = min(int(round(cnt * s_count)), len(idx))
        if k <= 0:
            continue
        goal = rev * s_rev / (cnt * s_count)
        x = a[idx]
        vals, counts = np.unique(amount[idx], return_counts=True)
        vals = vals / 100.0
        g = rng.gumbel(size=len(idx))

        def pick(target: float) -> np.ndarray:   # called within this iteration only
            key = g + _tilt(vals, counts, target) * x  # noqa: B023
            return idx[np.argpartition(-key, k - 1)[:k]]  # noqa: B023

        aim, best, best_err = goal, None, np.inf
        for _ in range(6):   # correct for sampling without replacement and small-sample noise
            chosen = pick(aim)
            got = a[chosen].mean()
            if abs(got - goal) < best_err:
                best, best_err = chosen, abs(got - goal)
            if best_err < 0.002 * goal:
                break
            aim += goal - got
        chosen = best
        out[chosen] = ch
        free[chosen] = False
    out[free] = items[-1][0]
    return out


def _trade_numbers(rng: np.random.Generator, ids: np.ndarray, day: np.ndarray) -> np.ndarray:
    d = pd.DatetimeIndex(day)
    yymmdd = ((d.year.to_numpy() % 100) * 10000 + d.month.to_numpy() * 100 + d.day.to_numpy()).astype(np.int64)
    return digits("TR", yymmdd * 10**11 + ids * 100 + rng.integers(0, 100, len(ids)), 17)


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("payments")
    orders = world.orders
    shops = world.shops.set_index("id")
    n = len(orders)
    status = orders["status"].to_numpy()
    shop = orders["shop_id"].to_numpy()
    real = (shops.loc[shop, "test_flag"].to_numpy() == 0) & (shops.loc[shop, "internal"].to_numpy() == 0)
    pay_c = np.round(orders["pay_money"].to_numpy(dtype=float) * 100).astype(np.int64)
    k = defect_count(world)
    reserved = world.frames.pop("_reserved_orders", np.array([], dtype=np.int64))
    eligible = np.flatnonzero((status == 90) & real & ~np.isin(np.arange(n), reserved))
    pick = rng.choice(eligible, 3 * k, replace=False)
    missing, mismatch, duplicate = pick[:k], pick[k:2 * k], pick[2 * k:]
    # trade rows: (order index, status, amount, kind) assembled as arrays
    paid = np.isin(status, [90, 50, 20])   # completed, uncollected, in production: charged
    success_orders = np.flatnonzero(paid & ~np.isin(np.arange(n), missing))
    refunded = np.flatnonzero(status == 70)
    cancelled = np.flatnonzero(status == 0)
    failed_cancel = cancelled[rng.random(len(cancelled)) < CANCEL_FAILED]
    failed_first = success_orders[(rng.random(len(success_orders)) < FAILED_FIRST) & (status[success_orders] == 90)]
    half = missing[: len(missing) // 2]   # half of the unpaid orders saw a declined card
    o_idx = np.concatenate([failed_first, failed_cancel, half, success_orders, duplicate, refunded])
    t_status = np.concatenate([np.full(len(failed_first) + len(failed_cancel) + len(half), 4),
                               rng.choice([3, 2, 1], len(success_orders) + len(duplicate), p=[0.9, 0.08, 0.02]),
                               np.full(len(refunded), 5)])
    attempt = np.concatenate([np.zeros(len(failed_first) + len(failed_cancel) + len(half)),
                              np.ones(len(success_orders)), np.full(len(duplicate), 2),
                              np.ones(len(refunded))]).astype(int)
    amount = pay_c[o_idx].copy()
    is_mm = np.isin(o_idx, mismatch) & (attempt == 1)
    delta = rng.choice([-1, 1], int(is_mm.sum())) * rng.integers(5, 160, int(is_mm.sum()))
    amount[is_mm] = np.maximum(amount[is_mm] + delta, 50)
    # orphans: charges whose order never reached the order database
    orphan_src = rng.choice(eligible, k, replace=False)
    m = len(o_idx)
    order_cur = (orders["currency_code"] == "NZD").to_numpy().astype(np.int64)   # 0 USD, 1 NZD
    cur = order_cur[o_idx]
    t_shop = shop[o_idx]
    on_bytes = as_bytes(orders["order_no"], 18)
    user_bytes = as_bytes(orders["user_no"], 10)
    user_no = user_bytes[o_idx]
    order_no = on_bytes[o_idx]
    base_t = np.where(status[o_idx] == 0, orders["create_time"].to_numpy()[o_idx],
                      orders["pay_time"].to_numpy()[o_idx])
    base_t = np.where(np.isnat(base_t), orders["create_time"].to_numpy()[o_idx], base_t)
    offset = np.where(attempt == 0, -rng.integers(5, 60, m), np.where(attempt == 2, rng.integers(20, 180, m), 0))
    t = base_t + offset.astype("timedelta64[s]")
    # orphans appended
    o_t = orders["create_time"].to_numpy()[orphan_src] + rng.integers(-3600, 3600, k).astype("timedelta64[s]")
    o_no = order_numbers(orders["local_date"].to_numpy()[orphan_src], shop[orphan_src],
                         (n + 50 + np.arange(k)) * 1000 + rng.integers(0, 1000, k))
    o_amount = pay_c[rng.choice(eligible, k)]
    t_status = np.concatenate([t_status, rng.choice([3, 2], k, p=[0.9, 0.1])])
    amount = np.concatenate([amount, o_amount])
    cur = np.concatenate([cur, order_cur[orphan_src]])
    t_shop = np.concatenate([t_shop, shop[orphan_src]])
    user_no = np.concatenate([user_no, user_bytes[rng.choice(eligible, k)]])
    order_no = np.concatenate([order_no, o_no])
    t = np.concatenate([t, o_t])
    m = len(amount)
    # channels: NZD on channel 1; USD successes by Tool 8 with the NZD part of channel 1 removed
    channel = np.zeros(m, dtype=np.int64)
    test = np.isin(t_shop, shops.index[shops["test_flag"] == 1])
    channel[test] = NZD_CHANNEL
    ok = np.isin(t_status, [1, 2, 3]) & ~test
    targets = dict(TOOL8)
    c1, r1 = targets[NZD_CHANNEL]
    targets[NZD_CHANNEL] = (c1 - NZD_ORDERS, r1 - NZD_REVENUE)   # the test stores' part is NZD
    channel[ok] = assign_channels(rng, amount[ok], targets)
    rest = ~ok & ~test
    mix = np.array([c for c, _ in TOOL8.values()], dtype=float)
    channel[rest] = rng.choice(list(TOOL8), int(rest.sum()), p=mix / mix.sum())   # declined and refunded
    # fees
    pct_fee, fixed_fee = fees(amount, channel)
    zones = shops.loc[t_shop, "time_zone"].to_numpy()
    day = local_dates(t, zones)
    ny_day = local_dates(t, np.full(m, "America/New_York", dtype=object))
    spike = _fee_spikes(world, rng, channel, ny_day, t_status)
    pct_fee[spike] = np.floor(amount[spike] * SPIKE_FEE[0] + 0.5).astype(np.int64)
    fixed_fee[spike] = SPIKE_FEE[1]
    charged = t_status != 4
    total_fee = np.where(charged, pct_fee + fixed_fee, 0)
    # rows in time order, ids ascending
    perm = np.argsort(t, kind="stable")
    t, order_no, channel, amount, t_status, total_fee, pct_fee, fixed_fee, user_no, t_shop, cur, day, charged = (
        x[perm] for x in (t, order_no, channel, amount, t_status, total_fee, pct_fee, fixed_fee, user_no,
                          t_shop, cur, day, charged))
    ids = np.arange(1, m + 1, dtype=np.int64)
    trade_no = _trade_numbers(rng, ids, day)
    trades = table_frame(DB, "t_trade", dict(
        id=ids, tenant=TENANT, trade_no=trade_no, order_no=order_no, channel_id=channel.astype(np.int32),
        amount=amount, status=t_status.astype("int16"), third_trade_no=alnum(rng, m, 24, "pi_"), fee=total_fee,
        user_no=user_no, shop_id=t_shop, currency_code=labels(("USD", "NZD"), cur),
        pay_time=np.where(charged, t, np.datetime64("NaT")), create_time=t, update_time=t + np.timedelta64(2, "s")))
    trades = pd.concat([trades, _uat_trades(world, rng, orders, int(m))], ignore_index=True)
    f = np.flatnonzero(charged)   # successful and refunded charges carry Stripe's fee
    ft = t[f] + np.timedelta64(3, "s")
    channel_fee = table_frame(DB, "t_channel_fee", dict(
        id=np.arange(1, len(f) + 1, dtype=np.int64), tenant=TENANT, trade_no=trade_no[f],
        order_no=order_no[f], channel_id=channel[f].astype(np.int32), amount=amount[f],
        transaction_fee=fixed_fee[f], merchant_service_fee=pct_fee[f], total_fee=fixed_fee[f] + pct_fee[f],
        currency_code=labels(("USD", "NZD"), cur[f]), create_time=ft, update_time=ft))
    on = on_bytes.astype(str)
    rec = world.truth["reconciliation"]
    rec["missing_payment"] = sorted(on[missing].tolist())
    rec["amount_mismatch"] = sorted(on[mismatch].tolist())
    rec["duplicate_charge"] = sorted(on[duplicate].tolist())
    rec["orphan_payment"] = sorted(trade_no[np.isin(order_no, o_no)].astype(str).tolist())
    world.frames["trades"] = trades
    yield DB, "t_trade", trades
    yield DB, "t_channel_fee", channel_fee


def _fee_spikes(world: World, rng: np.random.Generator, channel: np.ndarray, ny_day: np.ndarray,
                status: np.ndarray) -> np.ndarray:
    """Episodes of a few days where one big channel was charged a wrong (higher) price.

    A wrong price shows only in trades that pay it, so an episode runs on a channel and days
    where that channel had at least SPIKE_MIN_TRADES successful trades every day (at small
    scales the smaller channels, or a quiet winter weekend, do not qualify). Where no channel
    has such a span, the busiest span there is, and the truth lists only its days with trades."""
    k = defect_count(world)
    episodes = max(1, int(round(k / 7)))
    days = pd.date_range("2025-09-15", "2026-02-07", freq="D")
    chans = list(SPIKE_CHANNELS)
    ok = np.isin(status, [1, 2, 3])
    counts = (pd.DataFrame({"ch": channel[ok], "day": ny_day[ok]}).value_counts()
              .unstack("ch").reindex(index=days, columns=chans).fillna(0).to_numpy())
    mask = np.zeros(len(channel), dtype=bool)
    free = np.ones(len(days), dtype=bool)
    prefer = list(rng.permutation(len(chans)))
    for i in range(episodes):
        length = int(rng.integers(5, 9))
        # each channel's lowest daily count over every span of `length` days not used yet
        free_counts = np.where(free[:, None], counts, -1)
        low = np.lib.stride_tricks.sliding_window_view(free_counts, length, axis=0).min(axis=2)
        turn = prefer[i % len(prefer):] + prefer[:i % len(prefer)]
        good = [j for j in turn if (low[:, j] >= SPIKE_MIN_TRADES).any()]
        if good:
            c = good[0]
            starts = np.flatnonzero(low[:, c] >= SPIKE_MIN_TRADES)
            s0 = int(starts[rng.integers(len(starts))])
        else:   # tiny scales: the busiest span of any channel
            c = int(np.argmax(low.max(axis=0)))
            s0 = int(np.argmax(low[:, c]))
        span = days[s0:s0 + length]
        free[s0:s0 + length] = False
        ch = chans[c]
        sel = (channel == ch) & (ny_day >= span[0].to_datetime64()) & (ny_day <= span[-1].to_datetime64()) & (status != 4)
        mask |= sel
        for j, d in enumerate(span):
            if counts[s0 + j, c] > 0:
                world.truth["anomalies"].append({"shop_id": None, "date": d.strftime("%Y-%m-%d"), "metric": "fee_rate"})
    return mask


def _uat_trades(world: World, rng: np.random.Generator, orders: pd.DataFrame, last_id: int) -> pd.DataFrame:
    """Declined test charges written by the UAT tenant against a few cancelled orders."""
    k = max(3, defect_count(world) // 3)
    src = orders[orders["status"] == 0].sample(k, random_state=int(rng.integers(1 << 31)))
    t = src["create_time"].to_numpy() + np.timedelta64(4, "s")
    ids = last_id + np.arange(1, k + 1)
    world.truth["tenant"]["unknown_tenant"].append([f"{DB}.t_trade", "lkus-test"])
    return table_frame(DB, "t_trade", dict(
        id=ids, tenant="lkus-test", trade_no=_trade_numbers(rng, ids, src["local_date"].to_numpy()),
        order_no=src["order_no"], channel_id=np.full(k, 6, dtype=np.int32),
        amount=np.round(src["pay_money"].to_numpy(dtype=float) * 100).astype(np.int64),
        status=np.full(k, 4, dtype="int16"), third_trade_no=alnum(rng, k, 24, "pi_"),
        fee=np.zeros(k, dtype=np.int64), user_no=src["user_no"], shop_id=src["shop_id"].to_numpy(),
        currency_code=src["currency_code"].astype(str).to_numpy(), pay_time=np.full(k, np.datetime64("NaT"), "datetime64[ns]"),
        create_time=t, update_time=t))
