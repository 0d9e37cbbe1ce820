"""Generator step 'purchase': suppliers, purchase orders, shipments, settlements (luckyus_scm_purchase).

Stores order direct from suppliers (DSD): n(694) purchase orders over the period, more as the
network grows, each for 2–6 goods that supplier supplies and the store consumes (quantities
≈ two weeks of the store's consumption). n(1,670) shipments (partial deliveries split POs), each
with a ship date and an arrival date against the PO's expected date: most suppliers are on time,
two are often late; about 6% of shipments arrive short (received < shipped). Unit prices step up
1–3 times per supplier and goods over the period (one supplier raises sharply in January 2026).
n(1,363) settlements: installments of each delivered PO, due after the supplier's payment terms,
paid around the due date, some overdue and unpaid.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen.production import with_ids
from lucky.demo.world import END, START, TENANT, World

DB = "luckyus_scm_purchase"
N_PO, N_SHIP, N_SETTLE = 694, 1_670, 1_363
DAYS = (pd.Timestamp(END) - pd.Timestamp(START)).days + 1
NAMES = ("Hudson Dairy", "Empire Roasters", "Metro Bakery Supply", "Atlantic Paper Goods",
         "Greenleaf Matcha", "Coastal Syrups", "Tri-State Produce", "Liberty Packaging",
         "Brooklyn Oat Co.", "Garden State Foods", "Harbor Ice & Water", "Keystone Cleaning")


def suppliers(world: World, rng) -> pd.DataFrame:
    g = world.goods
    codes = sorted(g["supplier_code"].dropna().unique()) if "supplier_code" in g else []
    if not codes:
        codes = [f"SUP{i:03d}" for i in range(len(NAMES))]
    cat = g.groupby("supplier_code")["category_name"].agg(lambda s: s.mode().iat[0]) if "category_name" in g else {}
    ct = pd.Series([pd.Timestamp(START) - pd.Timedelta(days=int(d)) for d in rng.integers(20, 90, len(codes))])
    return with_ids(pd.DataFrame({
        "tenant": TENANT, "supplier_code": codes,
        "supplier_name": [NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i // len(NAMES) + 1}")
                          for i in range(len(codes))],
        "category_name": pd.Series(codes).map(cat).to_numpy() if len(cat) else None,
        "payment_terms_days": rng.choice([15, 30, 45], len(codes)), "status": 1,
        "create_time": ct, "update_time": ct}))


def _price_index(n_sup: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Per supplier: up to 3 change days and the multiplicative step at each."""
    when = np.sort(rng.integers(20, DAYS - 5, (n_sup, 3)), axis=1)
    step = np.where(rng.random((n_sup, 3)) < 0.7, rng.uniform(1.02, 1.08, (n_sup, 3)), 1.0)
    step[rng.integers(n_sup), 2] = 1.18  # one sharp increase late in the period
    return when, step


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("purchase")
    sup = suppliers(world, rng)
    yield DB, "t_supplier", sup
    sd = world.frames.get("stock_daily")
    g = world.goods.drop_duplicates("goods_code").set_index("goods_code")
    use = (sd.groupby(["shop_id", "goods_code"])["consumption"].sum().reset_index()
           if sd is not None else pd.DataFrame(columns=["shop_id", "goods_code", "consumption"]))
    use["supplier_code"] = use["goods_code"].map(g["supplier_code"]) if "supplier_code" in g else None
    use = use[use["supplier_code"].isin(sup["supplier_code"])].reset_index(drop=True)
    use["value"] = use["consumption"] * use["goods_code"].map(g["unit_cost"]).astype(float).fillna(0.01)
    # ---- purchase orders: (shop, supplier) pairs weighted by spend; dates grow with the network
    ss = use.groupby(["shop_id", "supplier_code"], as_index=False)["value"].sum()
    n_po = world.n(N_PO, minimum=5)
    pair = rng.choice(len(ss), n_po, p=ss["value"].to_numpy() / ss["value"].sum())
    day_w = np.linspace(0.4, 1.6, DAYS)
    day = np.sort(rng.choice(DAYS - 3, n_po, p=day_w[: DAYS - 3] / day_w[: DAYS - 3].sum()))
    order_date = pd.Timestamp(START) + pd.to_timedelta(day, unit="D")
    s_idx = pd.Index(sup["supplier_code"]).get_indexer(ss["supplier_code"].to_numpy()[pair])
    lead = rng.integers(2, 7, len(sup))[s_idx]
    po = pd.DataFrame({"po_no": [f"PO{d:%y%m%d}{i:05d}" for i, d in enumerate(order_date, 1)],
                       "supplier_code": ss["supplier_code"].to_numpy()[pair],
                       "shop_id": ss["shop_id"].to_numpy()[pair], "order_date": order_date.values,
                       "expected_date": (order_date + pd.to_timedelta(lead, unit="D")).values})
    # ---- lines: 2–6 goods of that supplier the shop uses, ≈ 14 days of consumption each
    cand = use.merge(po[["po_no", "shop_id", "supplier_code"]], on=["shop_id", "supplier_code"])
    cand["r"] = rng.random(len(cand))
    cand["k"] = cand.groupby("po_no")["r"].rank(method="first")
    cap = pd.Series(rng.integers(2, 7, n_po), index=po["po_no"])
    lines = cand[cand["k"] <= cand["po_no"].map(cap)].copy()
    shop_days = sd.groupby("shop_id")["business_date"].nunique() if sd is not None else pd.Series(dtype=float)
    daily = lines["consumption"] / lines["shop_id"].map(shop_days).clip(lower=1)
    lines["quantity"] = np.ceil(daily * 14 * rng.uniform(0.8, 1.3, len(lines)))
    when, step = _price_index(len(sup), rng)
    si = pd.Index(sup["supplier_code"]).get_indexer(lines["supplier_code"])
    ordered = pd.to_datetime(lines["po_no"].map(po.set_index("po_no")["order_date"]))
    d = (ordered - pd.Timestamp(START)).dt.days.to_numpy()
    factor = np.prod(np.where(d[:, None] >= when[si], step[si], 1.0), axis=1)
    lines["unit_price"] = np.round(lines["goods_code"].map(g["unit_cost"]).astype(float).fillna(0.01) * factor, 4)
    lines["amount"] = np.round(lines["quantity"] * lines["unit_price"], 2)
    total = lines.groupby("po_no")["amount"].sum()
    po["total_amount"] = po["po_no"].map(total).fillna(0).round(2).to_numpy()
    # ---- shipments: every PO at least one, extra partial deliveries at random
    n_ship = world.n(N_SHIP, minimum=n_po)
    per_po = 1 + np.bincount(rng.integers(0, n_po, n_ship - n_po), minlength=n_po)
    spo = np.repeat(np.arange(n_po), per_po)
    k = np.arange(len(spo)) - np.repeat(np.cumsum(per_po) - per_po, per_po)
    late_prone = rng.choice(len(sup), min(2, len(sup)), replace=False)
    p_late = np.where(np.isin(s_idx, late_prone), 0.4, 0.08)[spo]
    delay = np.where(rng.random(len(spo)) < p_late, rng.integers(1, 6, len(spo)), -rng.integers(0, 2, len(spo)))
    # planned arrivals spread up to the PO's expected date; lateness comes from the delay only
    step = np.ceil(lead[spo] * (k + 1) / per_po[spo]).astype("int64")
    expected = po["order_date"].to_numpy()[spo] + step.astype("timedelta64[D]")
    ordered = po["order_date"].to_numpy()[spo]
    arrive = np.maximum(expected + delay.astype("timedelta64[D]"), ordered + np.timedelta64(1, "D"))
    ship_date = np.maximum(arrive - rng.integers(1, 3, len(spo)).astype("timedelta64[D]"), ordered)
    po_qty = lines.groupby("po_no")["quantity"].sum().reindex(po["po_no"]).fillna(0).to_numpy()
    w = rng.uniform(0.5, 1.5, len(spo))
    share = w / np.bincount(spo, weights=w)[spo]
    shipped = np.round(po_qty[spo] * share, 0)
    short = rng.random(len(spo)) < 0.06
    received = np.where(short, np.floor(shipped * rng.uniform(0.7, 0.95, len(spo))), shipped)
    end = np.datetime64(END)
    arrived = arrive <= end
    ship = pd.DataFrame({
        "tenant": TENANT, "ship_no": [f"SH{i:07d}" for i in range(1, len(spo) + 1)],
        "po_no": po["po_no"].to_numpy()[spo], "supplier_code": po["supplier_code"].to_numpy()[spo],
        "ship_date": ship_date, "arrive_date": np.where(arrived, arrive, np.datetime64("NaT")),
        "shipped_qty": shipped, "received_qty": np.where(arrived, received, np.nan),
        "status": np.where(arrived, 3, np.where(ship_date <= end, 2, 1)).astype("int16"),
        "create_time": pd.Series(ship_date) + pd.Timedelta(hours=14),
        "update_time": pd.Series(np.where(arrived, arrive, ship_date)) + pd.Timedelta(hours=15)})
    po_status = np.where(np.bincount(spo, weights=~arrived, minlength=n_po) == 0, 3, 2)
    po_t = pd.Series(po["order_date"]) + pd.Timedelta(hours=15)
    yield DB, "t_purchase_order", with_ids(pd.DataFrame({
        "tenant": TENANT, "po_no": po["po_no"], "supplier_code": po["supplier_code"], "shop_id": po["shop_id"],
        "order_date": po["order_date"], "expected_date": po["expected_date"], "total_amount": po["total_amount"],
        "currency_code": "USD", "status": po_status.astype("int16"), "create_time": po_t, "update_time": po_t}))
    lt = pd.to_datetime(lines["po_no"].map(po.set_index("po_no")["order_date"])) + pd.Timedelta(hours=15)
    yield DB, "t_purchase_order_item", with_ids(pd.DataFrame({
        "tenant": TENANT, "po_no": lines["po_no"].to_numpy(), "goods_code": lines["goods_code"].to_numpy(),
        "quantity": lines["quantity"].to_numpy(), "unit_price": lines["unit_price"].to_numpy(),
        "amount": lines["amount"].to_numpy(), "create_time": lt.to_numpy(), "update_time": lt.to_numpy()}))
    yield DB, "t_ship_order", with_ids(ship)
    yield DB, "t_supplier_settlement", _settlements(world, po, ship, sup, rng)


def _settlements(world: World, po: pd.DataFrame, ship: pd.DataFrame, sup: pd.DataFrame, rng) -> pd.DataFrame:
    """Installments of delivered POs: n(1,363), due after payment terms, some paid late or not yet."""
    last_arrive = ship.groupby("po_no")["arrive_date"].max()
    done = po[po["po_no"].map(last_arrive).notna()].reset_index(drop=True)
    n = world.n(N_SETTLE, minimum=len(done)) if len(done) else 0
    if not len(done):
        return pd.DataFrame(columns=["id", "tenant", "settlement_no", "supplier_code", "po_no", "amount",
                                     "due_date", "paid_date", "status", "create_time", "update_time"])
    per = 1 + np.bincount(rng.integers(0, len(done), max(n - len(done), 0)), minlength=len(done))
    i = np.repeat(np.arange(len(done)), per)
    k = np.arange(len(i)) - np.repeat(np.cumsum(per) - per, per)
    amount = np.round(done["total_amount"].to_numpy()[i] / per[i], 2)
    terms = done["supplier_code"].map(sup.set_index("supplier_code")["payment_terms_days"]).to_numpy()[i]
    base = pd.to_datetime(done["po_no"].map(last_arrive)).to_numpy()[i]
    due = base + (terms + 15 * k).astype("timedelta64[D]")
    paid = due + rng.integers(-5, 12, len(i)).astype("timedelta64[D]")
    end = np.datetime64(END)
    is_paid = paid <= end
    status = np.where(is_paid, 2, np.where(due < end, 3, 1)).astype("int16")  # 3 = overdue
    ct = pd.Series(base) + pd.Timedelta(hours=16)
    return with_ids(pd.DataFrame({
        "tenant": TENANT, "settlement_no": [f"ST{j:07d}" for j in range(1, len(i) + 1)],
        "supplier_code": done["supplier_code"].to_numpy()[i], "po_no": done["po_no"].to_numpy()[i],
        "amount": amount, "due_date": due, "paid_date": np.where(is_paid, paid, np.datetime64("NaT")),
        "status": status, "create_time": ct, "update_time": ct}))
