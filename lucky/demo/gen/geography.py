"""Generator step 'geography': the modelled expansion database `luckyus_iopshopexpand`.

What is planted (truth under `expansion`):
- `expansion.huff` {"alpha", "lambda"}: every ordering member of a public NYC store orders from a
  grid cell (home or work). Their home store follows a Huff model over the stores open at their
  first order: P(j | i) = sqft_j^alpha d_ij^-lambda / sum_k (...). The stores' order totals stay
  the calibrated ones: members keep the home store the users step gave them and their cell is drawn
  from P(i | j, era) proportional to M_i P(j | i), where the cell masses M of each era (the stretch
  between two openings) are fitted so that sum_i M_i P(j | i) equals the era's member count of each
  store; then P(store | cell) is exactly Huff, so maximum likelihood on (cell, store) recovers
  alpha and lambda. The published residential and daytime populations are cell masses fitted so
  that the Huff capture (competitors as further alternatives, each as attractive as a 1,500 sq ft
  store) equals each store's order run rate at the end of the data, split by a land-use pattern.
- `expansion.cannibalization` [{"new_shop", "affected_shop", "share"}]: a store that opened with
  at least four weeks of data after it took `share` of the daily orders of the nearest older store
  (open two months before it, within 1.6 km; one opening at a time per older store). Applied in
  `store_day_plan` through `cannibal_factor`, which keeps each store's total (the plan normalises per store), so the calibration is untouched.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np
import pandas as pd

from lucky.demo.gen.catalog import STORES, VARICK, table_frame
from lucky.demo.world import END, START, TENANT, World

DB = "luckyus_iopshopexpand"
CELL_LAT, CELL_LON = 0.0045, 0.0060          # ~500 m x 505 m cells
MIN_AFTER_DAYS, MIN_BEFORE_DAYS, MAX_KM = 28, 60, 1.6
SHARE = (0.10, 0.22)                           # share of the older store's orders taken
IPF_ROUNDS = 300
COMP_SQFT = 1500                               # a competitor's attractiveness: a typical cafe's floor area
RUN_DAYS = 28                                  # the run-rate window at the end of the data
#: (name, lat, lon, residential weight, daytime weight, spread km) bumps of the land-use pattern
BUMPS = (("Midtown", 40.7549, -73.9840, 0.3, 6.0, 1.3), ("Financial District", 40.7075, -74.0090, 0.4, 4.5, 0.8),
         ("Flatiron", 40.7410, -73.9897, 0.6, 3.0, 0.9), ("Upper East Side", 40.7736, -73.9566, 4.0, 0.8, 1.4),
         ("Upper West Side", 40.7870, -73.9754, 4.0, 0.6, 1.4), ("Harlem", 40.8116, -73.9465, 3.2, 0.4, 1.6),
         ("Washington Heights", 40.8417, -73.9394, 3.0, 0.3, 1.6), ("Lower East Side", 40.7150, -73.9843, 2.6, 0.5, 0.9),
         ("East Village", 40.7265, -73.9815, 2.4, 0.7, 0.8), ("Chelsea", 40.7465, -74.0014, 1.6, 1.2, 0.9),
         ("Greenwich Village", 40.7336, -74.0027, 1.8, 1.0, 0.8), ("Murray Hill", 40.7479, -73.9757, 2.2, 1.0, 0.8))
AREAS = (("FIDI", "Financial District", 40.700, 40.716, 118), ("TRIB", "Tribeca / SoHo", 40.716, 40.728, 210),
         ("VILL", "Village / East Village", 40.728, 40.740, 165), ("CHEL", "Chelsea / Flatiron", 40.740, 40.750, 172),
         ("MIDT", "Midtown", 40.750, 40.768, 245), ("UPPR", "Upper East / West Side", 40.768, 40.800, 150),
         ("HARL", "Harlem", 40.800, 40.830, 78), ("UPTN", "Washington Heights / Inwood", 40.830, 40.880, 60))
STATIONS = (("Fulton St", "2 3 4 5 A C J Z", 40.7092, -74.0081), ("Wall St", "4 5", 40.7074, -74.0113),
            ("Canal St", "A C E N Q R W 6 J Z", 40.7191, -74.0018), ("Spring St", "6", 40.7223, -73.9973),
            ("Houston St", "1", 40.7283, -74.0053), ("Astor Pl", "6", 40.7301, -73.9910),
            ("Union Sq", "4 5 6 L N Q R W", 40.7359, -73.9906), ("14 St", "A C E L", 40.7397, -74.0021),
            ("23 St", "F M", 40.7428, -73.9928), ("28 St", "R W", 40.7455, -73.9887),
            ("34 St-Herald Sq", "B D F M N Q R W", 40.7496, -73.9880), ("Penn Station", "1 2 3 A C E", 40.7506, -73.9912),
            ("Grand Central", "4 5 6 7 S", 40.7527, -73.9772), ("Times Sq-42 St", "1 2 3 7 N Q R W S", 40.7559, -73.9871),
            ("50 St", "C E", 40.7624, -73.9860), ("59 St-Columbus Circle", "1 A B C D", 40.7682, -73.9819),
            ("Lexington Av/59 St", "4 5 6 N R W", 40.7626, -73.9676), ("72 St", "1 2 3", 40.7784, -73.9819),
            ("77 St", "6", 40.7736, -73.9596), ("86 St", "4 5 6", 40.7795, -73.9556), ("96 St", "1 2 3", 40.7936, -73.9722),
            ("116 St", "6", 40.7985, -73.9415), ("125 St", "A B C D", 40.8111, -73.9524), ("168 St", "1 A C", 40.8407, -73.9401))
BRANDS = (("Starbucks", 0.45), ("Dunkin'", 0.2), ("Blue Bottle", 0.06), ("Joe Coffee", 0.07),
          ("Gregorys Coffee", 0.1), ("Bluestone Lane", 0.06), ("Independent cafe", 0.06))
SITES = ((VARICK[2], VARICK[3], VARICK[7], VARICK[8], 1500, 3, VARICK[4]),
         ("Chambers & West Broadway", "120 Chambers St, New York, NY 10007", 40.71520, -74.00870, 1300, 1, None),
         ("Lexington & 57th", "135 E 57th St, New York, NY 10022", 40.76110, -73.96930, 1700, 2, None),
         ("Broadway & 72nd", "2109 Broadway, New York, NY 10023", 40.77830, -73.98180, 1400, 1, None),
         ("Park Ave South & 26th", "404 Park Ave S, New York, NY 10016", 40.74290, -73.98400, 1200, 1, None),
         ("Lenox & 125th", "100 W 125th St, New York, NY 10027", 40.80800, -73.94600, 1600, 1, None))


def _km(lat1, lon1, lat2, lon2):
    from lucky.models.gravity import distance_km
    return distance_km(lat1, lon1, lat2, lon2)


@lru_cache(maxsize=1)
def _public() -> pd.DataFrame:
    """The public NYC stores: shop_id, lat, lon, opened."""
    return pd.DataFrame([(s[0], s[7], s[8], pd.Timestamp(s[4])) for s in STORES],
                        columns=["shop_id", "lat", "lon", "opened"])


@lru_cache(maxsize=4)
def _pairs(seed: int) -> pd.DataFrame:
    """new_shop, affected_shop, share, opened: who took orders from whom (deterministic per seed)."""
    rng = np.random.default_rng([seed, 1717])
    st, rows = _public(), []
    for _, new in st.sort_values("opened").iterrows():
        if (pd.Timestamp(END) - new["opened"]).days < MIN_AFTER_DAYS:
            continue
        older = st[st["opened"] <= new["opened"] - pd.Timedelta(days=MIN_BEFORE_DAYS)]
        if older.empty:
            continue
        # an older store loses to one opening at a time (four weeks apart), so each loss is visible
        busy = {r["affected_shop"] for r in rows if abs((r["opened"] - new["opened"]).days) < MIN_AFTER_DAYS}
        d = _km(new["lat"], new["lon"], older["lat"].to_numpy(), older["lon"].to_numpy())
        free = [k for k in np.argsort(d) if d[k] <= MAX_KM and int(older["shop_id"].iloc[k]) not in busy]
        if not free:
            continue
        rows.append({"new_shop": int(new["shop_id"]), "affected_shop": int(older["shop_id"].iloc[free[0]]),
                     "opened": new["opened"]})
    out = pd.DataFrame(rows, columns=["new_shop", "affected_shop", "opened"])
    out["share"] = np.round(rng.uniform(*SHARE, len(out)), 3)
    return out


def cannibal_factor(world: World, shop_id: int, days: pd.DatetimeIndex) -> np.ndarray:
    """Multiplier of a store's daily order weight: 1 - share from each later opening nearby."""
    f = np.ones(len(days))
    pairs = _pairs(world.seed)
    for opened, share in pairs.loc[pairs["affected_shop"] == shop_id, ["opened", "share"]].itertuples(index=False):
        f = f * np.where(days >= opened, 1 - share, 1.0)
    return f


def parameters(seed: int) -> tuple[float, float]:
    """The planted (alpha, lambda) of a seed."""
    rng = np.random.default_rng([seed, 2121])
    return round(float(rng.uniform(0.8, 1.2)), 3), round(float(rng.uniform(1.6, 2.2)), 3)


# ---------------------------------------------------------------- the grid
def _land() -> list[tuple[float, float]]:
    import json
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "ui" / "data" / "manhattan.json"
    return [tuple(p) for p in json.loads(path.read_text())["outline"]]


def cells() -> pd.DataFrame:
    """Grid cells whose centre is on Manhattan's land, with the land-use pattern (res, day)."""
    from lucky.models.gravity import inside
    land = _land()
    lats = np.arange(40.700, 40.880, CELL_LAT) + CELL_LAT / 2
    lons = np.arange(-74.020, -73.905, CELL_LON) + CELL_LON / 2
    rows = [(la, lo) for la in lats for lo in lons if inside(la, lo, land)]
    df = pd.DataFrame(rows, columns=["lat", "lon"])
    res, day = np.full(len(df), 0.15), np.full(len(df), 0.05)
    for _, la, lo, r, d, spread in BUMPS:
        k = np.exp(-0.5 * (_km(df["lat"], df["lon"], la, lo) / spread) ** 2)
        res, day = res + r * k, day + d * k
    df["res"], df["day"] = res, day
    df["cell_id"] = [f"C{i:04d}" for i in range(len(df))]
    df["area_code"] = [next((a[0] for a in AREAS if a[2] <= la < a[3]), AREAS[-1][0]) for la in df["lat"]]
    return df


def _probs(dist: np.ndarray, sqft: np.ndarray, alpha: float, lam: float, open_: np.ndarray) -> np.ndarray:
    from lucky.models.gravity import probabilities
    return probabilities(dist, sqft, alpha, lam, np.broadcast_to(open_, dist.shape))


def _masses(prior: np.ndarray, h: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Cell masses M >= 0 with sum_i M_i h_ij = n_j (multiplicative fitting from the prior)."""
    m = prior * n.sum() / prior.sum()
    for _ in range(IPF_ROUNDS):
        got = m @ h
        ratio = np.where(got > 0, n / np.where(got > 0, got, 1), 0.0)
        m = m * (h @ ratio) / np.maximum(h.sum(axis=1), 1e-300)
    return m


def _published_masses(world: World, grid: pd.DataFrame, dist: np.ndarray, sqft: np.ndarray, alpha: float,
                      lam: float, prior: np.ndarray, comp: pd.DataFrame) -> np.ndarray:
    """Cell demand consistent with the stores' run rate: with competitors as further alternatives
    (Huff's IIA keeps the choice among Luckin stores unchanged), sum_i M_i P(j | i) equals each
    store's expected orders in the last RUN_DAYS days, taken out of its opening ramp."""
    from lucky.demo.gen.orders import store_day_plan

    plan = store_day_plan(world)
    st = _public()
    last = plan[plan["local_date"] > pd.Timestamp(END) - pd.Timedelta(days=RUN_DAYS)]
    age = (last["local_date"] - last["shop_id"].map(st.set_index("shop_id")["opened"])).dt.days
    ramp = 1 - 0.55 * np.exp(-age / 18.0)
    run = (last["expected"] / ramp).groupby(last["shop_id"]).mean().reindex(st["shop_id"]).fillna(0).to_numpy()
    dc = np.maximum(_km(grid["lat"].to_numpy()[:, None], grid["lon"].to_numpy()[:, None],
                        comp["lat"].to_numpy()[None, :], comp["lon"].to_numpy()[None, :]), 0.05)
    h = _probs(np.hstack([dist, dc]), np.r_[sqft, np.full(len(comp), COMP_SQFT)], alpha, lam,
               np.ones(dist.shape[1] + dc.shape[1], bool))[:, : len(st)]
    return _masses(prior, h, run)


def _competitors(grid: pd.DataFrame, rng: np.random.Generator, k: int = 140) -> pd.DataFrame:
    pick = rng.choice(len(grid), k, p=grid["day"].to_numpy() / grid["day"].sum())
    brand = rng.choice(len(BRANDS), k, p=[b[1] for b in BRANDS])
    return pd.DataFrame({
        "competitor_id": [f"K{i:03d}" for i in range(k)], "brand": [BRANDS[b][0] for b in brand],
        "name": [f"{BRANDS[b][0]} #{i + 1}" for i, b in enumerate(brand)],
        "lat": (grid["lat"].to_numpy()[pick] + rng.uniform(-CELL_LAT / 2, CELL_LAT / 2, k)).round(6),
        "lon": (grid["lon"].to_numpy()[pick] + rng.uniform(-CELL_LON / 2, CELL_LON / 2, k)).round(6),
        "open_date": [(pd.Timestamp(START) - pd.Timedelta(days=int(d))).date() for d in rng.integers(30, 3000, k)],
        "status": np.ones(k, int)})


def _locations(world: World, grid: pd.DataFrame, sqft: np.ndarray, alpha: float, lam: float,
               rng: np.random.Generator, comp: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Each public-store member's cell (drawn era by era), and the all-members cell masses."""
    st = _public()
    users = world.users
    buyers = users[users["home_shop_id"].isin(st["shop_id"]) & users["first_order_time"].notna()]
    col = buyers["home_shop_id"].map(dict(zip(st["shop_id"], range(len(st))))).to_numpy()
    first = pd.to_datetime(buyers["first_order_time"]).dt.normalize()
    opened = st["opened"].to_numpy()
    era = np.searchsorted(np.sort(np.unique(opened)), first.to_numpy(), side="right")
    dist = np.maximum(_km(grid["lat"].to_numpy()[:, None], grid["lon"].to_numpy()[:, None],
                          st["lat"].to_numpy()[None, :], st["lon"].to_numpy()[None, :]), 0.05)
    prior = (grid["res"] + grid["day"]).to_numpy()
    cell = np.empty(len(buyers), int)
    for e in np.unique(era):
        in_era = era == e
        open_ = opened <= np.sort(np.unique(opened))[e - 1]
        h = _probs(dist, sqft, alpha, lam, open_)
        n = np.bincount(col[in_era], minlength=len(st)).astype(float)
        m = _masses(prior, h, n)
        for j in np.unique(col[in_era]):
            w = m * h[:, j]
            who = np.flatnonzero(in_era & (col == j))
            cell[who] = rng.choice(len(grid), len(who), p=w / w.sum())
    masses = _published_masses(world, grid, dist, sqft, alpha, lam, prior, comp)
    share_res = (grid["res"] / (grid["res"] + grid["day"])).to_numpy()
    kind = np.where(rng.random(len(cell)) < share_res[cell], "home", "work")
    loc = pd.DataFrame({"user_no": buyers["user_no"].to_numpy(), "cell_id": grid["cell_id"].to_numpy()[cell],
                        "location_type": kind})
    return loc, masses


def _stamp(n: int) -> dict:
    t = pd.Timestamp(END) + pd.Timedelta(hours=12)
    return {"tenant": TENANT, "create_time": [t] * n, "update_time": [t] * n}


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    rng = world.rng("geography")
    alpha, lam = parameters(world.seed)
    st = _public()
    sqft = np.round(rng.uniform(900, 2600, len(st)), -1)
    grid = cells()
    comp = _competitors(grid, rng)
    loc, masses = _locations(world, grid, sqft, alpha, lam, rng, comp)
    pairs = _pairs(world.seed)
    world.truth["expansion"] = {
        "huff": {"alpha": alpha, "lambda": lam},
        "cannibalization": [{"new_shop": int(p.new_shop), "affected_shop": int(p.affected_shop),
                             "share": float(p.share)} for p in pairs.itertuples()]}

    # published populations: the run-rate masses as people (a fixed share of them orders), split by land use
    people = masses / masses.mean() * 6000 * (0.85 + 0.3 * rng.random(len(grid)))
    res_share = (grid["res"] / (grid["res"] + grid["day"])).to_numpy()
    n = len(grid)
    yield DB, "t_demand_cell", table_frame(DB, "t_demand_cell", {
        "id": np.arange(1, n + 1), "cell_id": grid["cell_id"], "center_lat": grid["lat"].round(6),
        "center_lon": grid["lon"].round(6), "area_code": grid["area_code"],
        "residential_pop": np.round(people * res_share).astype(int),
        "daytime_pop": np.round(people * (1 - res_share)).astype(int), **_stamp(n)})
    yield DB, "t_rent_area", table_frame(DB, "t_rent_area", {
        "id": np.arange(1, len(AREAS) + 1), "area_code": [a[0] for a in AREAS], "area_name": [a[1] for a in AREAS],
        "rent_psf_annual": [round(a[4] * float(rng.uniform(0.95, 1.05)), 2) for a in AREAS],
        "survey_date": [pd.Timestamp(END).date().replace(day=1)] * len(AREAS), **_stamp(len(AREAS))})
    ent = pd.DataFrame([(s, ln, la + dy, lo + dx) for s, ln, la, lo in STATIONS
                        for dy, dx in ((0.0002, 0.0002), (-0.0002, -0.0002))], columns=["s", "l", "lat", "lon"])
    yield DB, "t_subway_entrance", table_frame(DB, "t_subway_entrance", {
        "id": np.arange(1, len(ent) + 1), "entrance_id": [f"E{i:03d}" for i in range(len(ent))],
        "station_name": ent["s"], "line_names": ent["l"], "lat": ent["lat"].round(6), "lon": ent["lon"].round(6),
        **_stamp(len(ent))})
    yield DB, "t_competitor", table_frame(DB, "t_competitor", {
        "id": np.arange(1, len(comp) + 1), **{c: comp[c] for c in comp.columns}, **_stamp(len(comp))})
    rent = dict((a[0], a[4]) for a in AREAS)
    store_area = [next((a[0] for a in AREAS if a[2] <= la < a[3]), AREAS[-1][0]) for la in st["lat"]]
    yield DB, "t_store_profile", table_frame(DB, "t_store_profile", {
        "id": np.arange(1, len(st) + 1), "shop_id": st["shop_id"], "sqft": sqft.astype(int),
        "seats": np.round(sqft / 90).astype(int),
        "lease_rent_psf": [round(rent[a] * float(rng.uniform(0.9, 1.1)), 2) for a in store_area], **_stamp(len(st))})
    yield DB, "t_candidate_site", table_frame(DB, "t_candidate_site", {
        "id": np.arange(1, len(SITES) + 1), "site_id": [f"S{i + 1:03d}" for i in range(len(SITES))],
        "site_name": [s[0] for s in SITES], "address": [s[1] for s in SITES], "lat": [s[2] for s in SITES],
        "lon": [s[3] for s in SITES], "sqft": [s[4] for s in SITES], "status": [s[5] for s in SITES],
        "planned_open_date": [pd.Timestamp(s[6]).date() if s[6] else None for s in SITES], **_stamp(len(SITES))})
    yield DB, "t_member_location", table_frame(DB, "t_member_location", {
        "id": np.arange(1, len(loc) + 1), **{c: loc[c] for c in loc.columns}, **_stamp(len(loc))})
