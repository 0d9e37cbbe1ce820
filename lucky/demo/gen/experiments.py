"""Generator step 'experiments': A/B tests (luckyus_isalesdatamarketing).

- t_experiment: twelve experiments started October 2025 to January 2026 (some still running);
- t_user_traffic_distribution (bulk, 2.3M): users bucketed (0-99) into control / treatment when
  they first reach an experiment; buckets 0-49 are control;
- t_user_hit_experiment_record (bulk, 6.4M): each exposure of an assigned user, in the user's
  group, with `converted` 0/1 on the experiment's metric.

Exactly one experiment has a true lift (10% -> 17% conversion per exposure, on a page users see
about 8 times during the test), sized so that a two-proportion z-test finds it at every scale
>= 0.01 with bulk 0.1; the others convert at the same rate in both arms. The realised draw is
kept only if it shows what is true of it (the lift at z >= 2.6 per exposure and >= 2.3 per user,
the nulls within |z| < 1.5 on both), so a demo of any seed tells the same story. Truth: `experiments.lift` / `.null`.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from lucky.demo.gen.crm import AS_OF, DAY, between, customers, frame, pick, split_counts, strings, ts
from lucky.demo.world import World

DB = "luckyus_isalesdatamarketing"
EXPERIMENTS = (  # (name, metric)
    ("Home banner layout v2", "order_conversion"), ("Checkout pastry upsell", "add_on_rate"),
    ("Push at 8am vs 11am", "push_open_to_order"), ("Coupon wallet redesign", "coupon_redemption"),
    ("Large menu photos", "order_conversion"), ("One-tap reorder", "repeat_order"),
    ("Free delivery over $15", "delivery_conversion"), ("Loyalty progress bar", "repeat_order"),
    ("Recommended for you carousel", "add_on_rate"), ("Simplified sign-up", "register_to_order"),
    ("Referral reward $3 vs $5", "referral_conversion"), ("Size anchor: large first", "upsize_rate"),
)
FIRST_ID = 710_001
GROUPS = ("control", "treatment")
LIFT = (0.10, 0.17)            # per-exposure conversion, control -> treatment
LIFT_EXPOSURES = 8.0           # exposures per assigned user (a page every session shows)


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("experiments")
    cust = customers(world)
    user_no = pa.array(world.users["user_no"].astype("str"), pa.string())
    reg = cust["register"].to_numpy()
    n_exp = len(EXPERIMENTS)
    ids = FIRST_ID + np.arange(n_exp)
    start = int(pd.Timestamp("2025-10-01").timestamp()) + np.sort(
        (rng.random(n_exp) * 110 * DAY).astype(np.int64))
    end = start + rng.integers(21, 61, n_exp) * DAY
    stop = np.minimum(end, AS_OF)
    eligible = np.array([(reg < s).sum() for s in stop])
    lift = int(rng.choice(np.argsort(-eligible)[: n_exp // 2]))
    world.truth["experiments"]["lift"] = [int(ids[lift])]
    world.truth["experiments"]["null"] = [int(i) for k, i in enumerate(ids) if k != lift]

    # traffic distribution: a random subset of the users registered before the end
    n_dist = np.minimum(split_counts(world.n_bulk(2_300_000), eligible), eligible)
    d_exp, d_user = [], []
    for k in range(n_exp):
        key = np.where(reg < stop[k], rng.random(len(reg)), np.inf)
        chosen = np.argpartition(key, n_dist[k] - 1)[: n_dist[k]] if n_dist[k] < len(reg) else np.arange(len(reg))
        d_exp.append(np.full(n_dist[k], k)), d_user.append(np.sort(chosen))
    d_exp, d_user = np.concatenate(d_exp), np.concatenate(d_user)
    bucket = rng.integers(0, 100, len(d_exp))
    d_group = (bucket >= 50).astype(np.int64)
    d_time = between(rng, np.maximum(start[d_exp], reg[d_user]), stop[d_exp])

    # exposures: assigned users, several times each
    exposures = np.where(np.arange(n_exp) == lift, LIFT_EXPOSURES, rng.uniform(1.5, 5.0, n_exp))
    n_hits = split_counts(world.n_bulk(6_400_000), n_dist * exposures)
    offsets = np.r_[0, np.cumsum(n_dist)]
    h_exp = np.repeat(np.arange(n_exp), n_hits)
    h_row = offsets[h_exp] + (rng.random(len(h_exp)) * n_dist[h_exp]).astype(np.int64)
    h_time = between(rng, d_time[h_row], stop[h_exp])
    converted = np.zeros(len(h_exp), np.int16)
    for k in range(n_exp):
        rows = np.flatnonzero(h_exp == k)
        base = LIFT if k == lift else (rng.uniform(0.06, 0.25),) * 2
        converted[rows] = _conversions(rng, base, d_group[h_row[rows]], h_row[rows], k == lift)

    names = [n for n, _ in EXPERIMENTS]
    yield DB, "t_experiment", frame(DB, "t_experiment", 1, {
        "experiment_id": ids, "experiment_name": strings(names),
        "metric_name": strings([m for _, m in EXPERIMENTS]),
        "start_time": ts(start), "end_time": ts(end),
        "status": np.where(end <= AS_OF, 2, 1).astype(np.int16),
        "create_time": ts(start - 3 * DAY), "update_time": ts(stop)})
    yield from _chunks(world, "t_user_traffic_distribution", d_time, lambda o: {
        "experiment_id": ids[d_exp[o]], "user_no": strings(user_no.take(pa.array(d_user[o]))),
        "bucket_no": bucket[o], "group_name": pick(GROUPS, d_group[o])})
    yield from _chunks(world, "t_user_hit_experiment_record", h_time, lambda o: {
        "experiment_id": ids[h_exp[o]], "user_no": strings(user_no.take(pa.array(d_user[h_row[o]]))),
        "group_name": pick(GROUPS, d_group[h_row[o]]), "converted": converted[o],
        "hit_time": ts(h_time[o])})


def _chunks(world: World, table: str, when: np.ndarray, make) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """A bulk table in time order, at most a million rows per frame."""
    order = np.argsort(when)
    for first in range(0, len(order), 1_000_000):
        o = order[first:first + 1_000_000]
        stamp = ts(when[o])
        yield DB, table, frame(DB, table, first + 1,
                               make(o) | {"create_time": stamp, "update_time": stamp})


def _conversions(rng: np.random.Generator, rates: tuple[float, float], group: np.ndarray,
                 user: np.ndarray, lifted: bool) -> np.ndarray:
    """Per-exposure conversions at the arms' rates, redrawn until the realised test agrees."""
    p = np.where(group == 1, rates[1], rates[0])
    users, first, per_user = np.unique(user, return_index=True, return_inverse=True)
    user_treated = group[first] == 1
    for _ in range(500):
        conv = rng.random(len(p)) < p
        z_hit = _z(conv, group == 1)
        z_user = _z(np.bincount(per_user, weights=conv, minlength=len(users)) > 0, user_treated)
        if (lifted and z_hit >= 2.6 and z_user >= 2.3) or \
                (not lifted and abs(z_hit) < 1.5 and abs(z_user) < 1.5):
            break
    return conv.astype(np.int16)


def _z(conv: np.ndarray, treated: np.ndarray) -> float:
    """Two-proportion z statistic with the pooled standard error (0 when undefined)."""
    n1, n0 = treated.sum(), (~treated).sum()
    p = conv.mean() if len(conv) else 0.0
    if n1 == 0 or n0 == 0 or p in (0.0, 1.0):
        return 0.0
    return float((conv[treated].mean() - conv[~treated].mean()) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n0)))
