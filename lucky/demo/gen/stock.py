"""Generator step 'stock': stock positions and the seven weekday change tables (luckyus_scm_shopstock).

Sale consumption follows sales through the recipes: for every store-day and goods, the change
rows of type 1 add up to Σ (completed items sold that store-local day × t_formula_spu quantity),
within ±3% (normal measurement variance, σ ≈ 0.8%), posted in several rows through the day.
Receipts (type 2) arrive every 2–3 days before opening and bring each goods back to its
order-up-to level; their ref_no is the store-day delivery note of the distribution centre, or the
ship_no of the supplier shipment booked in at that slot (one row per shipment when several share
it; `receiving`: the purchase step's tables are planned here, once the ledger is final, and handed
on in `world.carry`); waste (3) at close;
weekly stocktake adjustments (4) on Mondays. Shops also stock non-recipe supplies (cleaning, packaging, parts), as many as make t_shop_goods_stock
n(150K) daily positions; their usage is counted at the Monday stocktake (type 4). Every row's
before_qty + change_qty = after_qty, and the chain runs on across the seven tables.
`t_shop_goods_stock_change_<wd>` holds the changes whose business_date falls on that weekday.

Planted: inventory shrink. On a few store-days, sale consumption of many goods exceeds the
recipe-implied usage by 20–45%. Truth: anomalies with metric 'inventory_shrink'.

The ledger (`ledger`) is built by the orders step, before its orders are final, so that sales
fall while a goods is out (`stockouts.move_sales`); it reaches this step in `world.carry`.

Leaves `stock_daily` (shop_id, goods_code, business_date, sold_qty, theoretical, consumption)
for the replenishment step.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from lucky.demo.gen import purchase, stockouts
from lucky.demo.gen.production import const, text, with_ids
from lucky.demo.gen.usage import theoretical_usage
from lucky.demo.world import END, START, TENANT, World
from lucky.schema import WEEKDAYS

DB = "luckyus_scm_shopstock"
N_POSITIONS, N_CHANGES_PER_TABLE = 150_000, 1_010_000  # "1M+ each" (report §2.1)
N_SHRINK_DAYS = 6
SHRINK_AFTER_DAYS = 14          # a shrink day follows two weeks of daily sales at its store
SUPPLY_CATEGORIES = ("Cleaning", "Packaging", "Equipment Parts", "Consumable")
CHUNK = 400_000
DAY = 86400


def _days() -> pd.DatetimeIndex:
    return pd.date_range(START, END, freq="D")


class Ledger:
    """Dense (pair × day) matrices of one shop-goods pair per row: the whole stock history."""

    def __init__(self, world: World, usage: pd.DataFrame, rng: np.random.Generator):
        self.world, self.rng = world, rng
        self.days = _days()
        pairs = usage[["shop_id", "goods_code"]].drop_duplicates()
        pairs = pd.concat([pairs, self._supplies(usage)], ignore_index=True)
        self.pairs = pairs.sort_values(["shop_id", "goods_code"]).reset_index(drop=True)
        self.supply = ~self.pairs["goods_code"].isin(usage["goods_code"].unique()).to_numpy()
        keys = pd.MultiIndex.from_frame(usage[["shop_id", "goods_code"]])
        pi = pd.MultiIndex.from_frame(self.pairs).get_indexer(keys)
        di = self.days.get_indexer(pd.to_datetime(usage["local_date"]))
        ok = di >= 0
        shape = (len(self.pairs), len(self.days))
        self.T = np.zeros(shape)
        self.sold = np.zeros(shape)
        np.add.at(self.T, (pi[ok], di[ok]), usage["usage"].to_numpy()[ok])
        np.add.at(self.sold, (pi[ok], di[ok]), usage["sold"].to_numpy()[ok])
        shop = self.pairs["shop_id"].to_numpy()
        first = pd.Series(di[ok]).groupby(usage["shop_id"].to_numpy()[ok]).min()
        self.open_day = pd.Series(shop).map(first).to_numpy()
        self.open = np.arange(len(self.days))[None, :] >= self.open_day[:, None]

    def _supplies(self, usage: pd.DataFrame) -> pd.DataFrame:
        """Non-recipe supplies (cleaning, packaging, parts) every shop also stocks, as many as
        the positions table needs to reach n(150K) daily positions."""
        open_days = usage.groupby("shop_id")["local_date"].min().map(
            lambda d: (pd.Timestamp(END) - pd.Timestamp(d)).days + 1)
        grid = usage.groupby("shop_id")["goods_code"].nunique().mul(open_days).sum()
        short = self.world.n(N_POSITIONS) - grid
        if short <= 0:
            return pd.DataFrame(columns=["shop_id", "goods_code"])
        g = self.world.goods
        pool = g[~g["goods_code"].isin(usage["goods_code"].unique())]
        if "status" in pool:
            pool = pool[pool["status"] == 1]
        if "category_name" in pool:
            pool = pool[pool["category_name"].isin(SUPPLY_CATEGORIES)]
        k = min(len(pool), int(np.ceil(short / open_days.sum())))
        codes = pool["goods_code"].sample(k, random_state=int(self.rng.integers(1 << 31))).to_numpy()
        return pd.DataFrame({"shop_id": np.repeat(open_days.index.to_numpy(), k),
                             "goods_code": np.tile(codes, len(open_days))})

    def consumption(self) -> None:
        """Actual consumption: theoretical × (1 + small variance), plus planted shrink."""
        rng, T = self.rng, self.T
        noise = np.clip(rng.normal(0, 0.008, T.shape), -0.03, 0.03)
        self.mult = 1 + noise       # kept: moved sales (stockouts.move_sales) are measured alike
        self.A = np.round(T * self.mult, 4)
        codes, shops = pd.factorize(self.pairs["shop_id"])
        busy = np.zeros((len(shops), T.shape[1]))
        np.add.at(busy, codes, (T > 0).astype(float))
        late = (np.arange(T.shape[1]) >= 30)[None, :]
        cut = np.quantile(busy[busy > 0], 0.5)
        # a usual to compare with: the store sold every day of the SHRINK_AFTER_DAYS before
        n = SHRINK_AFTER_DAYS
        sold = np.cumsum(np.pad(busy > 0, ((0, 0), (1, 0))), axis=1)   # sale days before each day
        steady = np.zeros_like(busy, dtype=bool)
        steady[:, n:] = (sold[:, n:-1] - sold[:, :-n - 1]) == n
        si, dd = np.nonzero((busy >= cut) & (busy > 0) & late & steady)
        pool = list(zip(shops[si], dd))
        pick = rng.choice(len(pool), min(N_SHRINK_DAYS, len(pool)), replace=False)
        for k in pick:
            shop, d = pool[k]
            rows = np.flatnonzero((self.pairs["shop_id"].to_numpy() == shop) & (T[:, d] > 0))
            hit = rows[rng.random(len(rows)) < 0.85]
            if len(hit) == 0:
                hit = rows
            self.mult[hit, d] = rng.uniform(1.2, 1.45, len(hit))
            self.A[hit, d] = np.round(T[hit, d] * self.mult[hit, d], 4)
            self.world.truth["anomalies"].append({"shop_id": int(shop), "date": self.days[d].strftime("%Y-%m-%d"),
                                                  "metric": "inventory_shrink"})

    def flows(self) -> None:
        """Waste, stocktake adjustments, receipts (order-up-to) and the end-of-day stock."""
        rng, A = self.rng, self.A
        avg = A.sum(axis=1) / np.maximum(self.open.sum(axis=1), 1)
        perish = self._perishable()
        p_waste = np.where(perish, 0.25, 0.03)[:, None]
        self.W = np.where(self.open & (rng.random(A.shape) < p_waste),
                          np.round(avg[:, None] * rng.uniform(0.01, 0.05, A.shape), 4), 0.0)
        monday = (self.days.day_of_week == 0)[None, :]
        counted = avg[:, None] * 7 * rng.normal(0, 0.004, A.shape)
        issued = -np.round(rng.lognormal(1.5, 0.6, len(A))[:, None] * 7 * rng.uniform(0.8, 1.2, A.shape))
        self.J = np.where(self.open & monday, np.round(np.where(self.supply[:, None], issued, counted), 4), 0.0)
        shop_codes = pd.factorize(self.pairs["shop_id"])[0]
        every = rng.integers(2, 4, shop_codes.max() + 1)[shop_codes]
        offset = rng.integers(0, 3, shop_codes.max() + 1)[shop_codes]
        d = np.arange(len(self.days))[None, :]
        since_open = d - self.open_day[:, None]
        self.delivery = self.open & ((since_open == 0) | ((since_open + offset[:, None]) % every[:, None] == 0))
        out = A + self.W - self.J
        window = np.zeros_like(out)
        for k in range(4):  # the most that leaves between two deliveries (at most 3 days apart)
            window[:, k:] += out[:, : out.shape[1] - k]
        self.S = np.round(np.maximum(window.max(axis=1) * 1.3, avg * 3) + 1, 0)
        self.R = np.zeros_like(out)
        self.E = np.zeros_like(out)
        prev = np.zeros(len(self.pairs))
        for j in range(out.shape[1]):  # one vector step per day: receipts depend on yesterday
            r = np.where(self.delivery[:, j], np.maximum(self.S - prev, 0), 0.0)
            self.R[:, j] = np.round(r, 4)
            prev = np.round(prev + self.R[:, j] - out[:, j], 4)
            self.E[:, j] = prev

    def _perishable(self) -> np.ndarray:
        g = self.world.goods.set_index("goods_code")
        life = self.pairs["goods_code"].map(g["shelf_life_days"]) if "shelf_life_days" in g else None
        if life is None:
            return np.zeros(len(self.pairs), bool)
        return life.fillna(365).to_numpy() <= 10


def _pieces(L: Ledger, cells: tuple[np.ndarray, np.ndarray], receipts: np.ndarray, target: int, rng) -> np.ndarray:
    """Sale-consumption rows per cell: one per cell with usage, the rest spread ∝ items sold."""
    pi, di = cells
    use = L.A[pi, di] > 0
    base = int(use.sum() + receipts.sum() + (L.W[pi, di] > 0).sum() + (L.J[pi, di] != 0).sum())
    extra = max(target - base, 0)
    w = np.where(use, L.sold[pi, di], 0.0)
    share = extra * w / max(w.sum(), 1e-9)
    m = np.floor(share) + (rng.random(len(share)) < share - np.floor(share))
    return np.where(use, 1 + m, 0).astype("int64")


def _weekday_rows(L: Ledger, wd: int, target: int, zones: pd.Series, rng) -> pd.DataFrame:
    """All change rows dated on weekday wd (0 = Monday), in (pair, time) order."""
    di_all = np.flatnonzero(L.days.day_of_week == wd)
    pi, di = np.nonzero(L.open[:, di_all])
    di = di_all[di]
    first, n_booked = L.booked[0][pi, di], L.booked[1][pi, di]
    r = np.where(L.R[pi, di] > 0, np.maximum(n_booked, 1), 0)    # one receipt row per shipment booked there
    m = _pieces(L, (pi, di), r, target, rng)
    w = (L.W[pi, di] > 0).astype("int64")
    j = (L.J[pi, di] != 0).astype("int64")
    n_cell = r + m + w + j
    keep = n_cell > 0
    pi, di, m, r, w, j, n_cell, first = (a[keep] for a in (pi, di, m, r, w, j, n_cell, first))
    cell = np.repeat(np.arange(len(pi)), n_cell)
    start = np.cumsum(n_cell) - n_cell
    k = np.arange(len(cell)) - start[cell]
    kind = np.select([k < r[cell], k < (r + m)[cell], k < (r + m + w)[cell]], [2, 1, 3], 4).astype("int16")
    # sale pieces: random shares of the day's consumption at increasing times through the day
    sale = kind == 1
    e = rng.exponential(1.0, len(cell))
    e_sale = np.where(sale, e, 0.0)
    tot = np.bincount(cell, weights=e_sale, minlength=len(pi))
    csum = np.cumsum(e_sale)
    within = csum - (csum[start] - e_sale[start])[cell]
    frac = within / np.maximum(tot[cell], 1e-12)
    A = L.A[pi, di]
    change = np.where(sale, -np.round(A[cell] * e_sale / np.maximum(tot[cell], 1e-12), 4), 0.0)
    last_sale = sale & (k == (r + m - 1)[cell])
    sale_sum = np.bincount(cell, weights=change, minlength=len(pi))
    change = np.where(last_sale, np.round(change - (A[cell] + sale_sum[cell]), 4), change)
    booking = np.where((kind == 2) & (first[cell] >= 0), first[cell] + k, -1)   # receipt row k of a cell
    change = np.where(kind == 2, np.where(booking >= 0, np.r_[L.booking.qty, 0.0][booking], L.R[pi, di][cell]), change)
    change = np.where(kind == 3, -L.W[pi, di][cell], change)
    change = np.where(kind == 4, L.J[pi, di][cell], change)
    # receipts before opening, in row order when a cell has several (one per shipment booked there)
    receipt_at = 5.5 * 3600 + (k * 3600 + rng.uniform(0, 3600, len(cell))) / np.maximum(r, 1)[cell]
    local = np.select([kind == 2, kind == 1, kind == 3], [receipt_at,
                      6.5 * 3600 + frac * 14 * 3600, 21.25 * 3600], 21.75 * 3600)
    prev_end = np.where(di > 0, L.E[pi, np.maximum(di - 1, 0)], 0.0)
    cs = np.cumsum(change)
    after = np.round(prev_end[cell] + cs - (cs[start] - change[start])[cell], 4)
    shop = L.pairs["shop_id"].to_numpy()[pi]
    day = L.days.values[di]
    offset = _utc_offset(shop, day, zones)
    ts = (day[cell].astype("datetime64[s]").astype("int64") + local.astype("int64") - offset[cell])
    ct = pd.Series(ts.astype("datetime64[s]"))
    # one delivery note and one stocktake sheet per store-day: build the few strings once
    shop_day, sd_i = np.unique(shop.astype("int64") * 100_000 + di, return_inverse=True)
    tag = (pd.Series(shop_day // 100_000).astype(str) + "-"
           + pd.Series(L.days.values[shop_day % 100_000]).dt.strftime("%Y%m%d")).to_numpy()
    refs = np.r_["DN" + tag, "ST" + tag]
    ref_i = np.select([kind == 2, kind == 4], [sd_i[cell], len(tag) + sd_i[cell]], -1)
    refs = np.r_[refs, L.booking.ship_no.astype(str)]       # a supplier shipment booked in: its ship_no
    ref_i = np.where(booking >= 0, 2 * len(tag) + booking, ref_i)
    return pd.DataFrame({
        "tenant": const(TENANT, len(cell)), "shop_id": shop[cell], "goods_code": text(L.pairs["goods_code"], pi[cell]),
        "business_date": day[cell], "change_type": kind, "change_qty": change,
        "before_qty": np.round(after - change, 4), "after_qty": after, "ref_no": text(refs, ref_i),
        "create_time": ct, "update_time": ct})


def _utc_offset(shop: np.ndarray, day: np.ndarray, zones: pd.Series) -> np.ndarray:
    """Seconds local − UTC at noon of each store-local day."""
    z = pd.Series(shop).map(zones).fillna("UTC").to_numpy()
    out = np.zeros(len(shop), "int64")
    noon = pd.Series(day) + pd.Timedelta(hours=12)
    for zone in np.unique(z):
        mask = z == zone
        loc = noon[mask].dt.tz_localize(zone)
        utc = loc.dt.tz_convert("UTC").dt.tz_localize(None)
        out[mask] = (loc.dt.tz_localize(None) - utc).dt.total_seconds().to_numpy()
    return out


def positions(world: World, L: Ledger, rng) -> pd.DataFrame:
    """t_shop_goods_stock: the closing position of every pair today plus earlier daily
    snapshots, n(150K) rows (older snapshots thinned at random when there are more)."""
    pi, di = np.nonzero(L.open)
    target = world.n(N_POSITIONS)
    last = di == len(L.days) - 1
    out = ~last & (L.E[pi, di] <= 0)    # every day a position ended at zero keeps its snapshot
    rest = np.flatnonzero(~last & ~out)
    n_rest = max(target - int(last.sum()) - int(out.sum()), 0)
    keep = np.sort(np.r_[np.flatnonzero(last | out), rng.choice(rest, min(n_rest, len(rest)), replace=False)])
    pi, di = pi[keep], di[keep]
    avg = L.A.sum(axis=1) / np.maximum(L.open.sum(axis=1), 1)
    g = world.goods.drop_duplicates("goods_code").set_index("goods_code")
    code = L.pairs["goods_code"].to_numpy()[pi]
    day = L.days.values[di]
    ct = pd.Series(day + np.timedelta64(26, "h"))  # after close, New York night in UTC
    return with_ids(pd.DataFrame({
        "tenant": TENANT, "shop_id": L.pairs["shop_id"].to_numpy()[pi], "goods_code": code,
        "goods_name": pd.Series(code).map(g["goods_name"]).to_numpy() if "goods_name" in g else None,
        "stock_qty": L.E[pi, di], "safety_qty": np.round(avg[pi] * 2, 4),
        "unit": pd.Series(code).map(g["unit"]).to_numpy() if "unit" in g else None,
        "stock_date": day, "create_time": ct, "update_time": ct}))


def ledger(world: World, orders: pd.DataFrame | None = None,
           items: pd.DataFrame | None = None) -> tuple[Ledger, np.random.Generator]:
    """The whole stock history with its planted stock-outs and write-offs, and the step's random
    stream (the change rows draw from it next). The orders step calls this before its orders
    are final, so that sales can fall while a goods is out (`stockouts.move_sales`)."""
    rng = world.rng("stock")
    L = Ledger(world, theoretical_usage(world, orders, items), rng)
    L.consumption()
    L.flows()
    stockouts.plant(world, L, world.rng("stockouts"))
    return L, rng


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    L, rng = world.carry.pop("stock_ledger", None) or ledger(world)
    pi, di = np.nonzero(L.open)
    world.frames["stock_daily"] = pd.DataFrame({
        "shop_id": L.pairs["shop_id"].to_numpy()[pi], "goods_code": L.pairs["goods_code"].to_numpy()[pi],
        "business_date": L.days.values[di], "sold_qty": L.sold[pi, di], "theoretical": L.T[pi, di],
        "consumption": L.A[pi, di]})
    world.carry["purchase"] = purchase.tables(world, L)   # books its shipments into L's receipts
    stockouts.record(world, L)                             # the final ledger (receiving may add receipts)
    L.booked = L.booking.per_cell(L.R.shape)
    yield DB, "t_shop_goods_stock", positions(world, L, rng)
    zones = world.shops.set_index("id")["time_zone"]
    target = world.n(N_CHANGES_PER_TABLE)
    for wd, name in enumerate(WEEKDAYS):
        rows = _weekday_rows(L, wd, target, zones, rng)
        for lo in range(0, max(len(rows), 1), CHUNK):
            chunk = rows.iloc[lo:lo + CHUNK].reset_index(drop=True)
            yield DB, f"t_shop_goods_stock_change_{name}", with_ids(chunk, lo + 1)
