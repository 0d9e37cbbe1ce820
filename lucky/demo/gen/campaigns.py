"""Coupon holdouts with causal behaviour (issue 14, Tool 5), called from the marketing step.

Every coupon template is sent with a holdout: eligible users the send left out, kept in
`luckyus_sales_marketing.t_coupon_holdout` (MODELLED: the report lists no holdout table; a
marketing team running holdouts keeps one row per held-out user and send, with the window the
coupon would have covered). The holdout is HOLDOUT per issued coupon (a third of the eligible).

Holdout members are drawn the way the template's sends were (`marketing._records`):
- like the sends that were redeemed: a user with a completed order of about the same total,
  "sent" 0-80% of the validity before that order (so the order falls in the window);
- like the sends left unused: a user drawn by activity, sent within the validity before the
  snapshot.
How many are drawn like the redeemed sends is the planted behaviour:
- **cannibalizing**: as many as in the sends (share REDEEMED_SHARE = 1): the held-out users
  placed the same orders without the coupon; the coupon only discounted them;
- **incremental**: only INCREMENTAL_KEEP (30%) as many: 70% of the redeemed orders would not
  have happened without the coupon, so the treated order rate is higher than the holdout's.
Which orders exist is never changed (calibration untouched). Templates with fewer than MIN_USED
redemptions, or redeemed on fewer than MIN_SHARE of their sends, have too little behaviour to
plant or measure: they get a plain holdout (drawn like
cannibalizing) and are in neither truth list.
Truth: `campaigns.incremental`, `campaigns.cannibalizing`: [template_id].
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from lucky.demo.gen.crm import AS_OF, DAY, between, frame, strings, ts, weighted
from lucky.demo.world import World

DB = "luckyus_sales_marketing"
HOLDOUT = 0.5           # held-out users per issued coupon (holdout = 1/3 of the eligible)
INCREMENTAL_KEEP = 0.3  # incremental templates: share of redeemed orders that happen anyway
MIN_USED = 30           # redemptions a template needs to carry planted behaviour,
MIN_SHARE = 0.2         # and redemptions per send (below, the coupon barely touches orders)
P_INCREMENTAL = 0.5     # share of the planted templates made incremental (the rest cannibalize)


def holdouts(world: World, cust: pd.DataFrame, user_no: pa.Array, templates: pd.DataFrame,
             linked: pd.DataFrame) -> pd.DataFrame:
    """The t_coupon_holdout frame; records the truth. `world.frames["coupon_used"]` (from
    `marketing._records`) holds each redeemed coupon's template row, order row and send time."""
    rng = world.rng("campaigns")
    used = world.frames["coupon_used"]
    n_t = len(templates)
    tm = used["template"].to_numpy()
    n_used = np.bincount(tm, minlength=n_t)
    issued = templates["issued"].to_numpy()
    valid = templates["valid_days"].to_numpy() * DAY
    t_create = templates["create"].to_numpy()
    reg = cust["register"].to_numpy()
    activity = cust["orders"].to_numpy() ** 0.5 + 1.0
    planted = (n_used >= MIN_USED) & (n_used >= MIN_SHARE * issued)
    incremental = np.zeros(n_t, bool)
    shuffled = rng.permutation(np.flatnonzero(planted))
    incremental[shuffled[: int(np.ceil(len(shuffled) * P_INCREMENTAL))]] = True
    keep = np.where(incremental, INCREMENTAL_KEEP, 1.0)
    size = np.round(HOLDOUT * issued).astype(np.int64)
    anchored = np.minimum(np.round(HOLDOUT * n_used * keep).astype(np.int64), size)
    # anchored members: a twin of one of the template's redeemed orders (same discount, nearest
    # total: a customer who buys the same kind of order)
    shape = np.round(linked["deduct"].to_numpy() * 100) * 1e6 + np.round(linked["total"].to_numpy() * 100)
    by_total = np.argsort(shape, kind="stable")
    totals = shape[by_total]
    a_tmpl = np.repeat(np.arange(n_t), anchored)
    rows_of = np.argsort(tm, kind="stable")
    first = np.r_[0, np.cumsum(n_used)][a_tmpl]
    pick = rows_of[first + (rng.random(len(a_tmpl)) * n_used[a_tmpl]).astype(np.int64)]
    key = shape[used["order"].to_numpy()[pick]]
    lo, hi = np.searchsorted(totals, key, "left"), np.searchsorted(totals, key, "right")
    pos = lo + (rng.random(len(pick)) * (hi - lo)).astype(np.int64) + rng.integers(-3, 4, len(pick))
    twin = by_total[np.clip(pos, 0, len(totals) - 1)]
    a_user = linked["user"].to_numpy()[twin]
    a_time = linked["time"].to_numpy()[twin]
    a_sent = a_time - (rng.random(len(pick)) * 0.8 * valid[a_tmpl]).astype(np.int64)
    a_sent = np.minimum(np.maximum(a_sent, reg[a_user]), a_time - 60)
    # the rest: drawn like the unused sends (by activity): still valid at the snapshot, or (in
    # the template's own proportion) expired in the last week
    unused = world.frames["coupon_unused"]
    n_unused = np.bincount(unused["template"], minlength=n_t)
    n_expired = np.bincount(unused["template"], weights=unused["expired"], minlength=n_t)
    r_tmpl = np.repeat(np.arange(n_t), size - anchored)
    share = (n_expired / np.maximum(n_unused, 1))[r_tmpl]
    r_user = weighted(rng, activity, len(r_tmpl))
    floor = np.maximum(reg[r_user], t_create[r_tmpl])
    lo = np.maximum(floor, AS_OF - valid[r_tmpl] + 3600)
    r_sent = between(rng, lo, np.full(len(r_tmpl), AS_OF - 60))
    gone = rng.random(len(r_tmpl)) < share
    expire = AS_OF - (rng.random(gone.sum()) * 7 * DAY).astype(np.int64)
    r_sent[gone] = np.minimum(np.maximum(expire - valid[r_tmpl][gone], floor[gone]), expire - DAY)
    tmpl = np.concatenate([a_tmpl, r_tmpl])
    user = np.concatenate([a_user, r_user])
    sent = np.concatenate([a_sent, r_sent])
    order = np.argsort(sent, kind="stable")
    tmpl, user, sent = tmpl[order], user[order], sent[order]
    ids = templates["template_id"].to_numpy()
    world.truth["campaigns"]["incremental"] = [int(t) for t in ids[incremental]]
    world.truth["campaigns"]["cannibalizing"] = [int(t) for t in ids[planted & ~incremental]]
    return frame(DB, "t_coupon_holdout", 1, {
        "template_id": ids[tmpl], "user_no": strings(user_no.take(pa.array(user))),
        "expire_time": ts(sent + valid[tmpl]), "create_time": ts(sent), "update_time": ts(sent)})
