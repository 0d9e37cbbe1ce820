"""Generator step 'iot': machines, coffee formulas, machine events and cups (luckyus_iot_platform).

216 Schaerer-style machines of 14 machine types (issue 2) stand in the trading stores (coffee
machines that make cups plus milk, syrup and water peripherals) and in internal shops (training
lab). Cups (t_cup_order_info, 587K at scale 1) come from the making schedule of
`production.schedule`, one per drink cup, each on the machine that made its order.

Planted: degraded machines. Over their last 3–5 weeks the store routes ever fewer orders to them
(cups per hour drop by a third or more at the onset, then decay to 30–45% of their own baseline),
brewing takes longer and errors multiply; they stay 'online'. Outages and the status log: see
`iot_status`. Truth: `iot.degraded` = their device_no.

Leaves `devices` (t_device rows) and `device_health` (device_no, shop_id, makes_cups, machine_type,
install_s, onset_s, floor, slow, off_s: the machines' hidden condition) on world.frames.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen import iot_status, production
from lucky.demo.gen.production import END_S, const, drink_spus, order_nos, recipe_steps, secs, text, to_dt, with_ids
from lucky.demo.world import TENANT, World
from lucky.models.timezones import to_local

DB = "luckyus_iot_platform"
N_DEVICES, N_FORMULAS, N_CUPS = 216, 217, 587_000
COFFEE_TYPES = ("Coffee Soul 12", "Coffee Art Plus", "Coffee Club", "Coffee Soul 10",
                "Coffee Prime", "Barista", "Vito", "Coffee Factory")
PERIPHERAL_TYPES = ("Milk Cooler", "Twin Milk Fridge", "Flavour Point", "Cup Warmer",
                    "Hot Water Unit", "Best Foam Module")
ALL_TYPES = np.asarray(COFFEE_TYPES + PERIPHERAL_TYPES, object)
DAY = 86400.0
ERRORS = (("E101", "grinder blocked"), ("E204", "milk temperature out of range"),
          ("E310", "water pressure low"), ("E412", "brewing unit jammed"), ("E518", "steam valve leak"))
MAINTENANCE = (("PM-CLEAN", "daily cleaning program overdue reset"), ("PM-DESCALE", "descaling"),
               ("PM-GRIND", "grinder burr replacement"), ("PM-SERVICE", "technician service visit"))


def _trading(world: World) -> pd.DataFrame:
    """Shops with orders, their volume and first trading day (UTC seconds)."""
    o = world.orders
    g = o.groupby("shop_id").agg(n=("order_no", "size"), first=("create_time", "min")).reset_index()
    g["first_s"] = secs(g["first"])
    return g.sort_values("shop_id").reset_index(drop=True)


#: The coffee models the stores make cups on (the rest stand in the training lab).
TYPES_IN_STORES = 3


def devices(world: World, rng: np.random.Generator) -> pd.DataFrame:
    """The device health frame (hidden condition of every machine)."""
    tr = _trading(world)
    shops = world.shops
    lab = shops[~shops["id"].isin(tr["shop_id"]) & ((shops.get("internal", 0) == 1) | (shops.get("test_flag", 0) == 1))]
    n_total = max(world.n(N_DEVICES), 4 * len(tr))
    n_lab = min(len(lab) * 3, int(round(n_total * 0.08))) if len(lab) else 0
    w = np.sqrt(tr["n"].to_numpy(float))
    per_shop = 4 + np.floor((n_total - n_lab - 4 * len(tr)) * w / w.sum()).astype(int)
    per_shop[np.argmax(w)] += n_total - n_lab - per_shop.sum()
    k_used = TYPES_IN_STORES
    shop_ids = np.repeat(tr["shop_id"].to_numpy(), per_shop)
    rank = np.concatenate([np.arange(k) for k in per_shop])
    n_coffee = np.repeat(np.maximum(2, np.round(per_shop * 0.45)).astype(int), per_shop)
    makes = rank < n_coffee
    shop_type = np.repeat(rng.integers(0, k_used, len(tr)), per_shop)
    ctype = np.where(rank == 0, shop_type, rng.integers(0, k_used, len(shop_ids)))
    mtype = np.where(makes, np.asarray(COFFEE_TYPES, object)[ctype],
                     np.asarray(PERIPHERAL_TYPES, object)[rng.integers(0, len(PERIPHERAL_TYPES), len(shop_ids))])
    first = np.repeat(tr["first_s"].to_numpy(), per_shop)
    install = first - rng.uniform(2, 10, len(first)) * DAY
    late = (rank > 0) & (rng.random(len(first)) < 0.12)  # replacements and extra capacity
    room = np.maximum(END_S - 30 * DAY - install, 0)
    install = np.where(late, install + rng.uniform(0, 1, len(first)) * room, install)
    h = pd.DataFrame({"shop_id": shop_ids, "makes_cups": makes, "machine_type": mtype,
                      "install_s": install, "rank": rank})
    if n_lab:
        lab_ids = rng.choice(lab["id"].to_numpy(), n_lab)
        lab_h = pd.DataFrame({"shop_id": lab_ids, "makes_cups": False,
                              "machine_type": np.resize(rng.permutation(ALL_TYPES), n_lab),
                              "install_s": END_S - rng.uniform(60, 220, n_lab) * DAY, "rank": 99})
        h = pd.concat([h, lab_h], ignore_index=True)
    h["device_no"] = [f"SCH{int(x):07d}" for x in rng.choice(np.arange(1_000_000, 9_999_999), len(h), replace=False)]
    h["onset_s"], h["floor"], h["slow"], h["off_s"] = np.inf, 1.0, 1.0, np.inf
    _plant_degraded(world, h, rng)
    _plant_offline(h, rng)
    iot_status.plant(world, h)
    return h.drop(columns="rank")


def _plant_degraded(world: World, h: pd.DataFrame, rng) -> None:
    cups_per_shop = h[h["makes_cups"]].groupby("shop_id").size()
    old = h["install_s"] < END_S - 80 * DAY
    ok = h["makes_cups"] & (h["rank"] > 0) & old & h["shop_id"].map(cups_per_shop).ge(3)
    # busy enough to be seen at every scale: the store's orders per coffee machine in the top half
    load = h["shop_id"].map(world.orders["shop_id"].value_counts() / cups_per_shop)
    ok &= load >= load[ok].median() if ok.any() else ok
    cand = np.flatnonzero(ok.to_numpy())
    n = min(len(cand), max(2, int(round(0.04 * h["makes_cups"].sum()))))
    # one per store: two degraded machines in one store hide each other (the store's other
    # machines take both shares, so each one's drop against the per-machine load looks smaller)
    perm = rng.permutation(cand)
    again = pd.Series(h["shop_id"].to_numpy()[perm]).duplicated().to_numpy()
    pick = perm[~again][:n].astype(int)
    n = len(pick)
    h.loc[pick, "onset_s"] = END_S - rng.uniform(21, 35, n) * DAY
    h.loc[pick, "floor"] = rng.uniform(0.3, 0.45, n)
    h.loc[pick, "slow"] = rng.uniform(1.4, 1.7, n)
    world.truth["iot"]["degraded"] = sorted(h.loc[pick, "device_no"].tolist())


def _plant_offline(h: pd.DataFrame, rng) -> None:
    """Some machines went offline in the last weeks (and stopped making cups)."""
    healthy = np.isinf(h["onset_s"].to_numpy()) & (h["rank"].to_numpy() > 0)
    lab = h["rank"].to_numpy() == 99
    off = healthy & (rng.random(len(h)) < np.where(lab, 0.4, 0.07))
    h.loc[off, "off_s"] = END_S - rng.uniform(1, 20, off.sum()) * DAY


def _local_date(t: np.ndarray, shop_id: np.ndarray, world: World) -> pd.Series:
    zones = pd.Series(shop_id).map(world.shops.set_index("id")["time_zone"])
    return to_local(to_dt(t), zones).dt.normalize()


def device_table(world: World, h: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    online = np.isinf(h["off_s"].to_numpy()).astype("int16")
    maint = events[events["event_type"] == "maintenance"].groupby("device_no")["create_time"].max()
    last = pd.to_datetime(h["device_no"].map(maint))
    zones = h["shop_id"].map(world.shops.set_index("id")["time_zone"])
    last_local = to_local(last, zones).dt.normalize()
    install = to_dt(h["install_s"].to_numpy())
    name = [f"{t} #{r}" for t, r in zip(h["machine_type"], h.groupby("shop_id").cumcount() + 1)]
    return with_ids(pd.DataFrame({
        "tenant": TENANT, "device_no": h["device_no"].to_numpy(), "device_name": name,
        "machine_type": h["machine_type"].to_numpy(), "shop_id": h["shop_id"].to_numpy(),
        "status": online, "online_status": online,
        "firmware_version": np.where(h["install_s"].to_numpy() > END_S - 120 * DAY, "4.2.1", "4.1.7"),
        "install_date": _local_date(h["install_s"].to_numpy(), h["shop_id"].to_numpy(), world),
        "last_maintenance_date": last_local, "create_time": install,
        "update_time": to_dt(np.minimum(h["off_s"].to_numpy(), END_S - 3600))}))


def events(world: World, h: pd.DataFrame, rng) -> pd.DataFrame:
    """Maintenance every 4–8 weeks, background errors, error bursts on degraded machines, outages."""
    life = np.maximum(np.minimum(h["off_s"].to_numpy(), END_S) - h["install_s"].to_numpy(), 0)
    dev = h.index.to_numpy()
    interval = rng.uniform(28, 56, len(h)) * DAY
    k = np.floor(life / interval).astype(int)
    m_dev = np.repeat(dev, k)
    nth = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k) + 1
    m_t = h["install_s"].to_numpy()[m_dev] + nth * interval[m_dev] + rng.uniform(-2, 2, k.sum()) * DAY
    n_err = rng.poisson(life / DAY * 0.015)
    e_dev = np.repeat(dev, n_err)
    e_t = h["install_s"].to_numpy()[e_dev] + rng.random(len(e_dev)) * life[e_dev]
    deg = np.flatnonzero(np.isfinite(h["onset_s"].to_numpy()))
    span = END_S - h["onset_s"].to_numpy()[deg]
    n_burst = rng.poisson(span / DAY * 0.35)
    b_dev = np.repeat(deg, n_burst)
    b_t = END_S - span[np.repeat(np.arange(len(deg)), n_burst)] * np.sqrt(1 - rng.random(len(b_dev)))
    off = np.flatnonzero(np.isfinite(h["off_s"].to_numpy()))
    kinds = np.r_[np.zeros(len(m_dev)), np.ones(len(e_dev) + len(b_dev)), np.full(len(off), 2)].astype(int)
    dv = np.r_[m_dev, e_dev, b_dev, off].astype(int)
    t = np.r_[m_t, e_t, b_t, h["off_s"].to_numpy()[off] ].astype(float)
    code_i = rng.integers(0, 4, len(dv))
    err_i = rng.integers(0, len(ERRORS), len(dv))
    etype = np.asarray(["maintenance", "error", "offline"], object)[kinds]
    code = np.where(kinds == 0, np.asarray([c for c, _ in MAINTENANCE], object)[code_i],
                    np.where(kinds == 1, np.asarray([c for c, _ in ERRORS], object)[err_i], "HB-LOST"))
    desc = np.where(kinds == 0, np.asarray([d for _, d in MAINTENANCE], object)[code_i],
                    np.where(kinds == 1, np.asarray([d for _, d in ERRORS], object)[err_i], "heartbeat lost"))
    order = np.argsort(t, kind="stable")
    ct = to_dt(t[order])
    return with_ids(pd.DataFrame({
        "tenant": TENANT, "device_no": h["device_no"].to_numpy()[dv[order]], "event_type": etype[order],
        "event_code": code[order], "event_desc": desc[order], "create_time": ct, "update_time": ct}))


def formulas(world: World, h: pd.DataFrame, rng) -> pd.DataFrame:
    """t_coffee_formula, N_FORMULAS rows: every drink sold gets a formula on the main model; the
    best sellers also on the other store models; older versions (status 0) fill up the rest."""
    it = world.items
    sold = it[it["spu_code"].isin(list(drink_spus(world)))].groupby("spu_code")["quantity"].sum()
    drinks = sold.sort_values(ascending=False, kind="stable").index.to_numpy()
    used = list(COFFEE_TYPES[:TYPES_IN_STORES])
    steps = recipe_steps(world)
    r = production.active_recipes(world)
    spu_steps = r.assign(k=r["sku_code"].map(steps) if "sku_code" in r else 3).groupby("spu_code")["k"].max()
    grid = pd.DataFrame({"spu_code": np.tile(drinks, len(used)),
                         "machine_type": np.repeat(np.asarray(used, object), len(drinks)),
                         "rank": np.tile(np.arange(len(drinks)), len(used)),
                         "main": np.repeat(np.arange(len(used)) == 0, len(drinks))})
    grid = grid.sort_values(["main", "rank"], ascending=[False, True], kind="stable").reset_index(drop=True)
    grid = grid.iloc[:N_FORMULAS].drop(columns=["rank", "main"]).assign(status=1)
    if 0 < len(grid) < N_FORMULAS:
        old = grid.sample(N_FORMULAS - len(grid), replace=True, random_state=int(rng.integers(1 << 31)))
        grid = pd.concat([grid, old.assign(status=0)], ignore_index=True)
    grid["step_count"] = grid["spu_code"].map(spu_steps).fillna(3).astype(int).to_numpy()
    type_offset = grid["machine_type"].map({t: i * 2 for i, t in enumerate(COFFEE_TYPES)}).fillna(0)
    grid["brew_seconds"] = (18 + 5 * grid["step_count"] + type_offset + rng.integers(0, 8, len(grid))).astype(int)
    grid["formula_code"] = [f"F{i:05d}" for i in range(1, len(grid) + 1)]
    created = to_dt(END_S - rng.uniform(30, 240, len(grid)) * DAY)
    return with_ids(pd.DataFrame({
        "tenant": TENANT, "formula_code": grid["formula_code"], "spu_code": grid["spu_code"],
        "machine_type": grid["machine_type"], "step_count": grid["step_count"],
        "brew_seconds": grid["brew_seconds"], "status": grid["status"], "create_time": created,
        "update_time": created}))


def cups(world: World, p: pd.DataFrame, h: pd.DataFrame, formula: pd.DataFrame, rng) -> pd.DataFrame:
    """One cup per drink unit made on a machine; n(587K) exactly (hand-made drinks drop out,
    remakes after a failed brew add a failed cup)."""
    items = world.items
    prod_of_order = pd.Series(np.arange(len(p)), index=p["order_pos"].to_numpy())
    pos = pd.Index(world.orders["id"]).get_indexer(items["order_id"])
    prod = prod_of_order.reindex(pos).to_numpy()
    drink = items["spu_code"].isin(list(drink_spus(world))).to_numpy()
    keep = ~np.isnan(prod) & drink
    prod = prod[keep].astype("int64")
    ok = p["device"].to_numpy()[prod] >= 0
    prod = prod[ok]
    spu = items["spu_code"].to_numpy()[keep][ok]
    qty = (items["quantity"].fillna(1).to_numpy(dtype="int64")[keep][ok] if "quantity" in items
           else np.ones(len(prod), "int64"))
    idx = np.repeat(np.arange(len(prod)), qty)
    prod, spu = prod[idx], spu[idx]
    target = world.n(N_CUPS)
    status = np.ones(len(prod), "int16")
    if len(prod) > target:
        sel = np.sort(rng.choice(len(prod), target, replace=False))
        prod, spu, status = prod[sel], spu[sel], status[sel]
    elif len(prod) < target and len(prod):
        extra = rng.choice(len(prod), target - len(prod), replace=True)
        prod, spu = np.r_[prod[extra], prod], np.r_[spu[extra], spu]
        status = np.r_[np.full(len(extra), 2, "int16"), status]  # failed brew, then the good one
    order = np.argsort(prod, kind="stable")
    prod, spu, status = prod[order], spu[order], status[order]
    dev = p["device"].to_numpy()[prod]
    mtype = h["machine_type"].to_numpy()[dev]
    f_active = formula[formula["status"] == 1]
    fkey = pd.MultiIndex.from_frame(f_active[["spu_code", "machine_type"]])
    fi = fkey.get_indexer(pd.MultiIndex.from_arrays([spu, mtype]))
    brew = np.where(fi >= 0, f_active["brew_seconds"].to_numpy()[np.maximum(fi, 0)], 45).astype(float)
    n_in = np.bincount(prod, minlength=len(p))[prod]
    rank = pd.Series(prod).groupby(prod).cumcount().to_numpy()
    base = np.where(np.isnan(p["accept_s"].to_numpy()), p["create_s"].to_numpy() + 15, p["accept_s"].to_numpy())[prod]
    slot = np.maximum(p["true_dur"].to_numpy()[prod], 30) / n_in
    brew = np.minimum(brew * p["slow"].to_numpy()[prod] * rng.lognormal(0, 0.08, len(prod)), 0.85 * slot)
    start = base + rank * slot + (slot - brew) * rng.uniform(0.3, 0.9, len(prod))
    end = start + brew
    return with_ids(pd.DataFrame({
        "tenant": const(TENANT, len(prod)), "order_no": order_nos(world, p["order_pos"].to_numpy()[prod]),
        "device_no": text(h["device_no"], dev), "shop_id": p["shop_id"].to_numpy()[prod],
        "formula_code": text(f_active["formula_code"], np.where(fi >= 0, fi, -1)), "start_time": to_dt(start),
        "end_time": to_dt(end), "status": status, "create_time": to_dt(end), "update_time": to_dt(end)}))


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("iot")
    h = devices(world, rng)
    world.frames["device_health"] = h
    ev = events(world, h, rng)
    dev = device_table(world, h, ev)
    world.frames["devices"] = dev
    yield DB, "t_device", dev
    yield DB, "t_device_event", ev
    yield DB, "t_device_status_log", iot_status.status_log(world, h)
    formula = formulas(world, h, rng)
    yield DB, "t_coffee_formula", formula
    p = production.schedule(world)
    yield DB, "t_cup_order_info", cups(world, p, h, formula, rng)
