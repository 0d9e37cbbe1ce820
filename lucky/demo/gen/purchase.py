"""Generator step 'purchase': suppliers, purchase orders, shipments, settlements (luckyus_scm_purchase).

Stores order direct from suppliers (DSD): n(694) purchase orders over the period, more as the
network grows, each for 2–6 goods that supplier supplies and the store consumes (quantities
≈ two weeks of the store's consumption). n(1,670) shipments (partial deliveries split POs), each
with a ship date and an arrival date against the PO's expected date: most suppliers are on time,
two are often late; about 6% of shipments arrive short (received < shipped). Unit prices step up
1–3 times per supplier and goods over the period (one supplier raises sharply in January 2026).
n(1,363) settlements: installments of each delivered PO, due after the supplier's payment terms,
paid around the due date, some overdue and unpaid.

Shipments carry goods: t_ship_order_item holds each shipment's goods with shipped and received
quantities (the shipment's totals are their sums). Each supplier supplies one category of goods
(the goods master deals them out: `catalog._suppliers_by_category`) and is named for it.

Planted (truth): suppliers.late_prone = the two suppliers, among the busiest half, whose
shipments are late 70% of the time (others 8%), after the PO's expected date; suppliers.short_shipments = ship_no of every
arrived shipment received short; suppliers.price_steps = {supplier_code, goods_code, date, pct}
for every price step of a goods that supplier sold before and after the step (a step nobody
bought across cannot be seen).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen import receiving
from lucky.demo.gen.production import with_ids
from lucky.demo.world import END, START, TENANT, World

DB = "luckyus_scm_purchase"
N_PO, N_SHIP, N_SETTLE = 694, 1_670, 1_363
DAYS = (pd.Timestamp(END) - pd.Timestamp(START)).days + 1
#: supplier names per goods category: a supplier is named for what it mostly supplies
NAMES_BY_CATEGORY = {
    "Dairy": ("Hudson Dairy", "Upstate Creamery"), "Dairy Alternative": ("Brooklyn Oat Co.", "Plant Milk Partners"),
    "Coffee Beans": ("Empire Roasters", "Red Hook Coffee Importers"), "Tea": ("Greenleaf Matcha", "Chelsea Tea Traders"),
    "Syrup": ("Coastal Syrups", "Flavor House NJ"), "Powder": ("Metro Ingredients", "Cocoa & Spice Co."),
    "Fruit": ("Tri-State Produce", "Hunts Point Fruit"), "Food": ("Metro Bakery Supply", "Garden State Foods"),
    "Packaging": ("Liberty Packaging", "Atlantic Paper Goods"), "Cleaning": ("Keystone Cleaning", "Bright Janitorial"),
    "Equipment Parts": ("Harbor Equipment Service", "Espresso Parts NYC"),
    "Merchandise": ("Gotham Merchandise", "Empire Promo Goods"), "Consumable": ("Five Boroughs Supply", "Bay Ridge Supply"),
}
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
        "supplier_name": _names(codes, cat),
        "category_name": pd.Series(codes).map(cat).to_numpy() if len(cat) else None,
        "payment_terms_days": rng.choice([15, 30, 45], len(codes)), "status": 1,
        "create_time": ct, "update_time": ct}))


def _names(codes: list, cat) -> list[str]:
    """A name that fits each supplier's main category; a third supplier of a category gets a number."""
    seen: dict[str, int] = {}
    out = []
    for i, code in enumerate(codes):
        c = cat.get(code) if len(cat) else None
        pool = NAMES_BY_CATEGORY.get(c, (NAMES[i % len(NAMES)],))
        k = seen.get(c, 0)
        seen[c] = k + 1
        out.append(pool[k % len(pool)] + ("" if k < len(pool) else f" {k // len(pool) + 1}"))
    return out


def _price_index(n_sup: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Per supplier: up to 3 change days and the multiplicative step at each."""
    when = np.sort(rng.integers(20, DAYS - 5, (n_sup, 3)), axis=1)
    step = np.where(rng.random((n_sup, 3)) < 0.7, rng.uniform(1.02, 1.08, (n_sup, 3)), 1.0)
    step[rng.integers(n_sup), 2] = 1.18  # one sharp increase late in the period
    return when, step


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """The tables planned by the stock step (`tables`, booked into its ledger), or planned here."""
    planned = world.carry.pop("purchase", None)
    yield from planned if planned is not None else tables(world)


def tables(world: World, ledger=None) -> list[tuple[str, str, pd.DataFrame]]:
    """Every table of the step; with the stock step's `ledger`, the arrived shipment lines are
    booked into its receipts (`receiving.link`) and take their quantities from there."""
    return list(_tables(world, ledger))


def _tables(world: World, ledger) -> Iterator[tuple[str, str, pd.DataFrame]]:
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
    cost = lines["goods_code"].map(g["unit_cost"]).astype(float).fillna(0.01)
    world.truth["suppliers"]["price_steps"] = _observable_steps(sup, lines.assign(cost=cost), po, when, step)
    # ---- shipments: every PO at least one, extra partial deliveries at random
    n_ship = world.n(N_SHIP, minimum=n_po)
    per_po = 1 + np.bincount(rng.integers(0, n_po, n_ship - n_po), minlength=n_po)
    spo = np.repeat(np.arange(n_po), per_po)
    k = np.arange(len(spo)) - np.repeat(np.cumsum(per_po) - per_po, per_po)
    late_prone = _late_prone(s_idx, per_po, len(sup), rng)
    world.truth["suppliers"]["late_prone"] = sorted(sup["supplier_code"].to_numpy()[late_prone].tolist())
    is_late = _late_draws(np.isin(s_idx[spo], late_prone), s_idx[spo], rng)
    delay = np.where(is_late, rng.integers(1, 6, len(spo)), -rng.integers(0, 2, len(spo)))
    # planned arrivals spread up to the PO's expected date; a late one arrives after the PO's expected date
    step = np.ceil(lead[spo] * (k + 1) / per_po[spo]).astype("int64")
    expected = po["order_date"].to_numpy()[spo] + step.astype("timedelta64[D]")
    expected = np.where(is_late, po["expected_date"].to_numpy()[spo], expected)
    ordered = po["order_date"].to_numpy()[spo]
    arrive = np.maximum(expected + delay.astype("timedelta64[D]"), ordered + np.timedelta64(1, "D"))
    ship_date = np.maximum(arrive - rng.integers(1, 3, len(spo)).astype("timedelta64[D]"), ordered)
    w = rng.uniform(0.5, 1.5, len(spo))
    share = w / np.bincount(spo, weights=w)[spo]
    short = rng.random(len(spo)) < 0.06
    end = np.datetime64(END)
    arrived = arrive <= end
    ship_no = np.array([f"SH{i:07d}" for i in range(1, len(spo) + 1)])
    items = ship_items(po, lines, spo, share, short, ship_no, rng)
    if ledger is not None:
        items, lines = _booked(world, ledger, po, lines, items, np.where(arrived, arrive, np.datetime64("NaT")))
    total = lines.groupby("po_no")["amount"].sum()
    po["total_amount"] = po["po_no"].map(total).fillna(0).round(2).to_numpy()
    shipped = items.groupby("k")["shipped_qty"].sum().reindex(range(len(spo))).fillna(0).to_numpy()
    received = items.groupby("k")["received_qty"].sum().reindex(range(len(spo))).fillna(0).to_numpy()
    short &= received < shipped
    world.truth["suppliers"]["short_shipments"] = sorted(ship_no[short & arrived].tolist())
    ship = pd.DataFrame({
        "tenant": TENANT, "ship_no": ship_no,
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
    got = np.isin(items["k"].to_numpy(), np.flatnonzero(arrived))
    it_t = ship["create_time"].to_numpy()[items["k"].to_numpy()]
    yield DB, "t_ship_order_item", with_ids(pd.DataFrame({
        "tenant": TENANT, "ship_no": items["ship_no"].to_numpy(), "po_no": items["po_no"].to_numpy(),
        "goods_code": items["goods_code"].to_numpy(), "shipped_qty": items["shipped_qty"].to_numpy(),
        "received_qty": np.where(got, items["received_qty"].to_numpy(), np.nan), "create_time": it_t, "update_time": it_t}))
    yield DB, "t_supplier_settlement", _settlements(world, po, ship, sup, rng)


def _booked(world: World, L, po: pd.DataFrame, lines: pd.DataFrame, items: pd.DataFrame,
            arrive: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shipment lines booked into the ledger's receipts, with the quantities booked there; each PO
    line that shipped orders what its shipments shipped (the supplier ships the order)."""
    k = items["k"].to_numpy()
    shop = items["po_no"].map(po.set_index("po_no")["shop_id"]).to_numpy()
    cut = (items["received_qty"] < items["shipped_qty"]).to_numpy()
    arrived, shipped, received = receiving.link(L, shop, items["goods_code"].to_numpy(), arrive[k], cut,
                                               items["ship_no"].to_numpy(), items["shipped_qty"].to_numpy(),
                                               world.rng("receiving"))
    items = items.assign(shipped_qty=np.where(arrived, shipped, items["shipped_qty"]),
                         received_qty=np.where(arrived, received, items["received_qty"]))
    qty = items.groupby(["po_no", "goods_code"])["shipped_qty"].sum()
    qty = qty[qty > 0]      # a line no shipment carried stays ordered, unfilled
    q = pd.MultiIndex.from_frame(lines[["po_no", "goods_code"]]).map(qty.to_dict().get)
    lines = lines.assign(quantity=pd.Series(q, index=lines.index).astype(float).fillna(lines["quantity"]))
    lines["amount"] = np.round(lines["quantity"] * lines["unit_price"], 2)
    return items, lines


def _late_prone(s_idx: np.ndarray, per_po: np.ndarray, n_sup: int, rng) -> np.ndarray:
    """Two suppliers among the busiest half by shipments (so their lateness shows at any scale)."""
    n_ship = np.bincount(s_idx, weights=per_po, minlength=n_sup)
    busy = np.flatnonzero(n_ship > 0)
    busy = busy[np.argsort(-n_ship[busy], kind="stable")][: max(2, (len(busy) + 1) // 2)]
    return np.sort(rng.choice(busy, min(2, len(busy)), replace=False))


def _late_draws(prone: np.ndarray, sup_of: np.ndarray, rng) -> np.ndarray:
    """Which shipments arrive late: 8% at random, and for a late-prone supplier 70% of its
    shipments exactly (rounded up), so its record shows it however few shipments there are."""
    late = rng.random(len(prone)) < 0.08
    for s in np.unique(sup_of[prone]):
        idx = np.flatnonzero(sup_of == s)
        late[idx] = False
        late[rng.choice(idx, int(np.ceil(0.7 * len(idx))), replace=False)] = True
    return late


def ship_items(po: pd.DataFrame, lines: pd.DataFrame, spo: np.ndarray, share: np.ndarray, short: np.ndarray,
               ship_no: np.ndarray, rng) -> pd.DataFrame:
    """Goods lines of every shipment: each PO line split over the PO's shipments by `share`
    (whole units); a short shipment receives 70–95% of one or more of its lines."""
    k = pd.DataFrame({"k": np.arange(len(spo)), "po_no": po["po_no"].to_numpy()[spo]})
    it = k.merge(lines[["po_no", "goods_code", "quantity"]], on="po_no").sort_values(["k", "goods_code"], kind="stable")
    it = it.reset_index(drop=True)
    shipped = np.round(it["quantity"].to_numpy(float) * share[it["k"].to_numpy()], 0)
    cut = short[it["k"].to_numpy()] & (rng.random(len(it)) < 0.6)
    first = ~it["k"].duplicated().to_numpy()
    cut |= short[it["k"].to_numpy()] & first & (shipped >= 2)  # at least one line short
    received = np.where(cut, np.floor(shipped * rng.uniform(0.7, 0.95, len(it))), shipped)
    return it.assign(ship_no=ship_no[it["k"].to_numpy()], shipped_qty=shipped, received_qty=received)


def _observable_steps(sup: pd.DataFrame, lines: pd.DataFrame, po: pd.DataFrame, when: np.ndarray,
                      step: np.ndarray) -> list[dict]:
    """Price steps of goods the supplier sold both before and after the step day whose stored
    price (4 decimals) rises by at least 1% there: a step lost in rounding is not there to find."""
    od = pd.to_datetime(lines["po_no"].map(po.set_index("po_no")["order_date"]))
    d = (od - pd.Timestamp(START)).dt.days.to_numpy()
    bought = pd.DataFrame({"s": pd.Index(sup["supplier_code"]).get_indexer(lines["supplier_code"]),
                           "g": lines["goods_code"].to_numpy(), "d": d, "cost": lines["cost"].to_numpy()})
    out = []
    for (si, g), grp in bought.groupby(["s", "g"]):
        days, cost = grp["d"].to_numpy(), float(grp["cost"].iat[0])
        for j in range(when.shape[1]):
            before = round(cost * np.prod(step[si, :j]), 4)
            after = round(cost * np.prod(step[si, :j + 1]), 4)
            if after >= 1.01 * before and (days < when[si, j]).any() and (days >= when[si, j]).any():
                out.append({"supplier_code": str(sup["supplier_code"].iat[si]), "goods_code": str(g),
                            "date": str((pd.Timestamp(START) + pd.Timedelta(days=int(when[si, j]))).date()),
                            "pct": round(float(step[si, j] - 1) * 100, 2)})
    return sorted(out, key=lambda r: (r["supplier_code"], r["goods_code"], r["date"]))


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
