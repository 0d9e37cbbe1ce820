"""Tool 21, Expansion Site Scoring Simulator: Huff store choice calibrated on the members' first
choices, a capture model of each store's run-rate monthly revenue validated store by store (leave one out,
against the mean of the others), the revenue ramp by store age, cannibalisation seen in the data,
and scores for the candidate sites and any what-if points, on an offline-capable pydeck map.

Model in `lucky.models.gravity`; data from the modelled `luckyus_iopshopexpand` (see the schema).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pydeck as pdk
from threadpoolctl import threadpool_limits

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import InputError
from lucky.models import gravity as g
from lucky.models import shops as real_shops
from lucky.models import timezones as tzm
from lucky.queries import expansion as q
from lucky.queries import finance
from lucky.queries import shops as shop_q
from lucky.tools import _memo

WHAT_IF_SQFT = 1500          # floor area assumed for a what-if point
COMP_SQFT = 1500             # a competitor counts as a typical 1,500 sq ft cafe in the choice set
RUN_DAYS, MIN_AGE_DAYS = 28, 56   # run-rate window; stores younger than this are not judged
NEAR_KM, WIDE_KM = 0.4, 0.8  # factor radii: transit and competitors; population
FACTORS = ("subway_entrances_400m", "competitors_400m", "daytime_pop_800m", "residential_pop_800m", "rent_psf_annual")
COMPARABLES = 3              # stores shown as most like a site
FACTOR_GAIN = 0.10           # the factors must cut the leave-one-out error by this much to count
CLICK_GRID_KM = 0.15         # spacing of the clickable land grid (a click lands within ~100 m)
CLICK_LAYER = "new-site"     # the map layer whose objects are "put a new site here"
#: the first view: the Battery to 125th St (every store and candidate) on a 640-px high map
MAP_VIEW = pdk.ViewState(latitude=40.7570, longitude=-73.9760, zoom=11.55, pitch=0, bearing=0)
MAP_HEIGHT = 640


def parse_sites(text: str) -> list[tuple[float, float]]:
    """'lat,lon;lat,lon' -> [(lat, lon), ...]; InputError naming the bad part."""
    points = []
    for part in [p.strip() for p in (text or "").split(";") if p.strip()]:
        try:
            lat, lon = (float(v) for v in part.split(","))
        except ValueError:
            raise InputError(f"sites: '{part}' is not 'lat,lon' (e.g. 40.7273,-74.0054)") from None
        points.append((lat, lon))
    return points


def _stores(shops: pd.DataFrame, profiles: pd.DataFrame, opened: pd.Series) -> pd.DataFrame:
    """Public USD stores with a location, floor area and a first trading day."""
    st = shop_q.trading_shops("USD") if shops is None else shops
    st = st[real_shops.is_real(st) & (st["currency_code"] == "USD")]
    st = st.merge(profiles, on="shop_id").assign(opened=lambda d: d["shop_id"].map(opened))
    st = st.dropna(subset=["lat", "lon", "sqft", "opened"])
    return st.assign(lat=st["lat"].astype(float), lon=st["lon"].astype(float),
                     sqft=st["sqft"].astype(float)).sort_values("shop_id").reset_index(drop=True)


def _daily(shops: pd.DataFrame, ids: tuple[int, ...]) -> pd.DataFrame:
    parts = finance.completed_parts(None, None, ids, shops)
    return parts.groupby(["shop_id", "business_date"], as_index=False)[["orders", "pay_money"]].sum()


def _choices(st: pd.DataFrame, cells: pd.DataFrame, until: pd.Timestamp, first: pd.DataFrame,
             located: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Counts (origin group × store), distances and availability for calibration, and the members."""
    first = first[first["shop_id"].isin(st["shop_id"]) & (pd.to_datetime(first["first_time"]) <= until)]
    first = first.sort_values("first_time").drop_duplicates("user_no")
    members = located.merge(first, on="user_no")
    members = members[members["cell_id"].isin(cells["cell_id"])]
    day = pd.to_datetime(members["first_time"]).dt.normalize().to_numpy()
    opened = st["opened"].to_numpy()
    avail = day[:, None] >= opened[None, :] - np.timedelta64(1, "D")     # UTC vs local: one day slack
    col = members["shop_id"].map(dict(zip(st["shop_id"], range(len(st))))).to_numpy()
    avail[np.arange(len(col)), col] = True
    packed = np.packbits(avail, axis=1)                          # an origin group: cell and choice set
    keys = pd.DataFrame(packed).assign(cell=pd.factorize(members["cell_id"])[0])
    gi = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    counts = np.zeros((gi.max() + 1 if len(gi) else 0, len(st)))
    np.add.at(counts, (gi, col), 1)
    first_row = pd.Series(np.arange(len(gi))).groupby(gi).first().to_numpy()
    origin = cells.set_index("cell_id").loc[members["cell_id"].to_numpy()[first_row], ["lat", "lon"]].astype(float)
    return counts, g.distance_matrix(origin.reset_index(drop=True), st), avail[first_row], members


def _ramp(daily: pd.DataFrame, st: pd.DataFrame, mature_days: int = 90) -> pd.DataFrame:
    """Revenue ramp by store age in months, net of the chain's calendar (launch hype, seasons):
    each store-day's revenue as a share of the same day's revenue at stores open `mature_days`
    or more, averaged per age month, against the store's own share from month 3 on."""
    opened = st.set_index("shop_id")["opened"]
    d = daily[daily["shop_id"].isin(opened.index)].copy()
    d["age"] = (d["business_date"] - d["shop_id"].map(opened)).dt.days
    mature = d[d["age"] >= mature_days].groupby("business_date")["pay_money"].sum()
    d = d[d["business_date"].isin(mature.index) & (d["age"] < mature_days + 120)]
    d["rel"] = d["pay_money"] / d["business_date"].map(mature)
    d["age_month"] = d["age"] // 30 + 1
    monthly = d.groupby(["shop_id", "age_month"], as_index=False)["rel"].mean().rename(columns={"rel": "revenue"})
    return g.ramp(monthly, mature_from=3, months=6)


def _factors(points: pd.DataFrame, cells: pd.DataFrame, subway: pd.DataFrame, comp: pd.DataFrame) -> pd.DataFrame:
    def within(lat, lon, df, km):
        return g.distance_km(lat, lon, df["lat"].astype(float).to_numpy(), df["lon"].astype(float).to_numpy()) <= km
    rows = []
    for lat, lon in zip(points["lat"], points["lon"]):
        near = within(lat, lon, cells, WIDE_KM)
        nearest = int(np.argmin(g.distance_km(lat, lon, cells["lat"].astype(float), cells["lon"].astype(float))))
        rows.append({"subway_entrances_400m": int(within(lat, lon, subway, NEAR_KM).sum()),
                     "competitors_400m": int(within(lat, lon, comp, NEAR_KM).sum()),
                     "daytime_pop_800m": int(cells.loc[near, "daytime_pop"].sum()),
                     "residential_pop_800m": int(cells.loc[near, "residential_pop"].sum()),
                     "rent_psf_annual": float(cells["rent_psf_annual"].iloc[nearest])})
    return pd.DataFrame(rows, index=points.index)


@dataclass
class Model:
    """Everything that does not depend on the what-if points: the calibrated Huff model, the
    capture model's scale k and error, validation, ramp, observed cannibalisation, the scored-to-be
    candidates and the map's fixed layers. Cached per source and period (`model`)."""

    notes: list[tuple[str, str]] = field(default_factory=list)
    ready: bool = False
    st: pd.DataFrame | None = None
    cells: pd.DataFrame | None = None
    subway: pd.DataFrame | None = None
    comp: pd.DataFrame | None = None
    density: pd.DataFrame | None = None
    fit: g.HuffFit | None = None
    k: float = 0.0
    sigma: float = 0.5
    actual: pd.Series | None = None
    validation: pd.DataFrame | None = None
    factor_fit: pd.DataFrame | None = None
    factor_effects: pd.DataFrame | None = None
    ramp: pd.DataFrame | None = None
    seen: pd.DataFrame | None = None
    candidates: pd.DataFrame | None = None
    demand: np.ndarray | None = None
    dist_c: np.ndarray | None = None
    attract: np.ndarray | None = None
    store_factors: pd.DataFrame | None = None


def model(filters: Filters) -> Model:
    """The fitted model for this period, kept once per data version and period (`_memo`: memory,
    and disk for a DuckDB demo) so that scoring a clicked or typed point does not re-read 190K
    members' choices, and a fresh server finds it precomputed. Callers copy what they change."""
    key = _memo.source_key(*TOOL.sources) + (filters.start, filters.end)
    return _memo.memo("expansion.model", key, lambda: _fitted(filters))


def _fitted(filters: Filters) -> Model:
    with threadpool_limits(1, user_api="blas"):     # small matrices: BLAS threads only contend
        return _fit(filters)


def _fit(filters: Filters) -> Model:
    m = Model()
    shops = shop_q.shops()
    public = shops[(shops["currency_code"] == "USD") & real_shops.is_real(shops)]
    ids = tuple(int(s) for s in public["shop_id"])
    with ThreadPoolExecutor(max_workers=3) as pool:     # the three big reads overlap
        f_first, f_located = pool.submit(q.first_choices, ids), pool.submit(q.member_cells)
        f_daily = pool.submit(_daily, shops, ids)
        profiles, cells = q.store_profiles(), q.cells()
        first, located, all_daily = f_first.result(), f_located.result(), f_daily.result()
    if cells.empty or profiles.empty:
        m.notes.append(("warning", "luckyus_iopshopexpand has no demand grid or store profiles: nothing to model."))
        return m
    cells = cells.assign(lat=cells["lat"].astype(float), lon=cells["lon"].astype(float))
    daily = tzm.in_days(all_daily, filters.start, filters.end)
    if daily.empty:
        m.notes.append(("warning", f"No completed orders at the NYC stores between {filters.start or 'the start'} "
                                   f"and {filters.end or 'the end'}: the model has nothing to learn from. "
                                   "Pick a period with trading."))
        return m
    st = _stores(public, profiles, all_daily.groupby("shop_id")["business_date"].min())   # age: first day ever
    counts, dist_g, avail_g, members = _choices(st, cells, daily["business_date"].max() + pd.Timedelta(days=1),
                                                first, located)
    fit = g.calibrate(counts, dist_g, st["sqft"].to_numpy(), avail_g)

    # ---- performance: run-rate monthly revenue = k × Huff capture of the grid's demand, where
    # competitors are further alternatives (they take share; Luckin's own choice set is unchanged)
    last = daily["business_date"].max()
    recent = daily[daily["business_date"] > last - pd.Timedelta(days=RUN_DAYS)]
    run_rate = recent.groupby("shop_id")["pay_money"].sum() * 30 / RUN_DAYS
    old_enough = st.loc[(last - st["opened"]).dt.days >= MIN_AGE_DAYS, "shop_id"]
    actual = run_rate.reindex(old_enough).dropna()
    young = sorted(set(st["shop_id"]) - set(actual.index))
    if young:
        names = st.set_index("shop_id")["shop_name"]
        m.notes.append(("info", f"Stores open fewer than {MIN_AGE_DAYS} days are not judged (still ramping): "
                                + ", ".join(f"{names[s]} ({s})" for s in young) + "."))
    if actual.empty:
        m.notes.append(("warning", f"No store was open {MIN_AGE_DAYS} days or more by {last:%Y-%m-%d}: revenue "
                                   "cannot be scaled or validated. Pick a later end date."))
        return m
    subway, comp = q.subway(), q.competitors()
    subway = subway.assign(lat=subway["lat"].astype(float), lon=subway["lon"].astype(float))
    comp = comp.assign(lat=comp["lat"].astype(float), lon=comp["lon"].astype(float))
    demand = (cells["residential_pop"] + cells["daytime_pop"]).to_numpy(float)
    dist_c = np.hstack([g.distance_matrix(cells, st), g.distance_matrix(cells, comp)])
    attract = np.r_[st["sqft"].to_numpy(), np.full(len(comp), float(COMP_SQFT))]

    def store_capture(alpha: float, lam: float) -> pd.Series:
        return pd.Series(g.capture(demand, dist_c, attract, alpha, lam)[:len(st)], index=st["shop_id"])

    cap = store_capture(fit.alpha, fit.lam)
    k = actual.sum() / cap[actual.index].sum()
    without = {}
    for j in actual.index:
        chose_j = counts[:, (st["shop_id"] == j).to_numpy()].sum(axis=1) > 0
        fj = g.calibrate(counts[~chose_j], dist_g[~chose_j], st["sqft"].to_numpy(), avail_g[~chose_j])
        without[j] = store_capture(fj.alpha, fj.lam)
    validation = g.leave_one_out(actual, without)
    validation.insert(1, "shop_name", validation["shop_id"].map(st.set_index("shop_id")["shop_name"]))
    log_err = np.log(validation["predicted_revenue"] / validation["actual_revenue"])

    cand = _candidates()
    store_factors = _factors(st[["lat", "lon"]], cells, subway, comp).assign(shop_id=st["shop_id"].to_numpy())
    factor_fit, factor_effects = g.factor_model(
        pd.Series(-log_err.to_numpy(), index=validation["shop_id"]),
        store_factors.set_index("shop_id")[list(FACTORS)]) if len(validation) >= 3 else (None, None)
    return Model(
        notes=m.notes + _bad_candidates(cand), ready=True, st=st, cells=cells, subway=subway, comp=comp, fit=fit,
        k=float(k), actual=actual, validation=validation, ramp=_ramp(daily, st),
        sigma=float(np.sqrt(np.mean(log_err ** 2))) if len(log_err) else 0.5,
        demand=demand, dist_c=dist_c, attract=attract, candidates=cand[cand["problem"].isna()].drop(columns="problem"),
        density=members.groupby("cell_id").size().rename("members").reset_index().merge(cells, on="cell_id"),
        seen=g.observed_cannibalization(daily[["shop_id", "business_date", "orders"]],
                                        st[["shop_id", "lat", "lon", "opened"]]),
        store_factors=store_factors, factor_fit=factor_fit, factor_effects=factor_effects)


def _candidates() -> pd.DataFrame:
    """The candidate sites, each with why it cannot be scored (None when it can)."""
    cand = q.candidate_sites()
    cand = cand.assign(lat=cand["lat"].astype(float), lon=cand["lon"].astype(float), sqft=cand["sqft"].astype(float),
                       source="candidate")
    land = _land()
    return cand.assign(problem=[g.site_problem(la, lo, land) for la, lo in zip(cand["lat"], cand["lon"])])


def _bad_candidates(cand: pd.DataFrame) -> list[tuple[str, str]]:
    return [("warning", f"Candidate site {sid} not scored: {problem} (check t_candidate_site).")
            for sid, problem in zip(cand["site_id"], cand["problem"]) if problem]


def _what_ifs(points: list[tuple[float, float]], out: Output) -> pd.DataFrame:
    """The typed or clicked points that lie on Manhattan's land (W1, W2, … by position)."""
    land, extra = _land(), []
    for i, (lat, lon) in enumerate(points):
        problem = g.site_problem(lat, lon, land)
        if problem:
            out.note("warning", f"What-if site {i + 1} not scored: {problem}.")
            continue
        extra.append({"site_id": f"W{i + 1}", "site_name": f"what-if {i + 1}", "lat": lat, "lon": lon,
                      "sqft": float(WHAT_IF_SQFT), "source": "what-if"})
    return pd.DataFrame(extra, columns=["site_id", "site_name", "lat", "lon", "sqft", "source"])


def run(filters: Filters, viewer: Viewer, sites: str = "") -> Output:
    out = Output()
    points = parse_sites(sites)
    m = model(filters)
    for level, text in m.notes:
        out.note(level, text)
    if not m.ready:
        return out
    st, fit = m.st, m.fit
    out.tables["calibration"] = fit.table()
    out.tables["validation"] = m.validation.copy()       # copies: the model's frames are cached and shared
    extra = _what_ifs(points, out)
    all_sites = pd.concat([m.candidates, extra], ignore_index=True) if len(extra) else m.candidates
    table, cannib = _score(all_sites, m)
    out.tables["sites"] = table
    out.tables["cannibalization"] = cannib
    if len(extra) > 1:
        out.tables["scenario"] = _joint(extra, m)
    site_fac = _factors(all_sites[["lat", "lon"]].reset_index(drop=True), m.cells, m.subway, m.comp)
    fac = pd.concat([m.store_factors.drop(columns="shop_id"), site_fac], ignore_index=True)
    fac.insert(0, "name", list(st["shop_name"]) + list(all_sites["site_name"]))
    fac.insert(0, "kind", ["store"] * len(st) + list(all_sites["source"]))
    out.tables["factors"] = fac
    out.tables["comparables"] = _comparables(all_sites, site_fac, m)
    out.tables["site-ramp"] = _site_ramp(table, m.ramp)
    out.tables["ramp"] = m.ramp.copy()
    out.tables["observed-cannibalization"] = m.seen.copy()
    _factor_tables(m, out)
    out.charts["map"] = _map(m, table)

    v = m.validation
    beats = (v["abs_pct_error"] < v["naive_abs_pct_error"]).mean() if len(v) else None
    out.kpis = [
        Kpi("Huff alpha (floor area)", round(fit.alpha, 3),
            help=f"95% {fit.alpha - g.Z95 * fit.se_alpha:.2f}–{fit.alpha + g.Z95 * fit.se_alpha:.2f}"),
        Kpi("Huff lambda (distance)", round(fit.lam, 3), help=f"95% {fit.lam - g.Z95 * fit.se_lambda:.2f}–{fit.lam + g.Z95 * fit.se_lambda:.2f}"),
        Kpi("Members' choices", fit.choices),
        Kpi("LOO error (model)", round(float(v["abs_pct_error"].mean()) * 100, 1), "%"),
        Kpi("LOO error (naive mean)", round(float(v["naive_abs_pct_error"].mean()) * 100, 1), "%"),
        Kpi("Stores the model beats naive on", f"{beats:.0%}" if beats is not None else None),
    ]
    return out


def _factor_tables(m: Model, out: Output) -> None:
    """The performance model on the stores' factors and what it says about them."""
    if m.factor_fit is None:
        return
    out.tables["factor-model"] = m.factor_fit.copy()
    out.tables["factor-effects"] = m.factor_effects.copy()
    honest, bar = m.factor_fit["loo_abs_pct_error"].iloc[1], m.factor_fit["loo_abs_pct_error"].iloc[0]
    verdict = ("a real gain: see factor-effects (not yet used in the site predictions)"
               if honest < (1 - FACTOR_GAIN) * bar else
               f"they count only if they cut it by {FACTOR_GAIN:.0%} or more, so revenue is predicted from "
               "capture alone (see factor-model)")
    out.note("info", "The stores' factors (transit, competitors, daytime and residential population, rent) take "
                     f"the leave-one-store-out error from {bar:.1%} without them to {honest:.1%} with them: "
                     f"{verdict}.")


def _land():
    from lucky.ui import basemap
    return basemap.outline()


def _score(sites: pd.DataFrame, m: Model) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each site opened alone: predicted run-rate monthly revenue with a 95% interval, the revenue it
    takes from each store, net new revenue, a 0-100 score (net new against the best store)."""
    st, best = m.st, float(m.actual.max())
    rev = m.actual.reindex(st["shop_id"]).fillna(0).to_numpy()
    rows, cann = [], []
    for _, s in sites.iterrows():
        nd = g.distance_matrix(m.cells, pd.DataFrame({"lat": [s["lat"]], "lon": [s["lon"]]}))
        lost, new = g.cannibalization(m.demand, m.dist_c, m.attract, m.fit.alpha, m.fit.lam, nd, np.array([s["sqft"]]))
        lost = lost[: len(st)]
        pred = float(m.k * new[0])
        taken = lost * rev
        net = pred - taken.sum()
        lo, hi = pred * np.exp(-g.Z95 * m.sigma), pred * np.exp(g.Z95 * m.sigma)
        rows.append({"site_id": s["site_id"], "site_name": s["site_name"], "source": s["source"], "lat": s["lat"],
                     "lon": s["lon"], "score": _to_score(net, best), "score_low": _to_score(lo - taken.sum(), best),
                     "score_high": _to_score(hi - taken.sum(), best), "predicted_monthly_revenue": pred,
                     "revenue_low": lo, "revenue_high": hi, "cannibalized_revenue": float(taken.sum()),
                     "net_new_revenue": net})
        for sid, name, share, amount in zip(st["shop_id"], st["shop_name"], lost, taken):
            cann.append({"site_id": s["site_id"], "shop_id": int(sid), "shop_name": name,
                         "lost_share": float(share), "revenue_lost": float(amount)})
    return pd.DataFrame(rows), pd.DataFrame(cann)


def _to_score(net: float, best: float) -> float:
    return round(float(np.clip(100 * net / best, 0, 100)), 1) if best > 0 else 0.0


def _joint(sites: pd.DataFrame, m: Model) -> pd.DataFrame:
    """All what-if sites opened at once: each site's revenue and the total taken from the stores."""
    nd = g.distance_matrix(m.cells, sites)
    lost, new = g.cannibalization(m.demand, m.dist_c, m.attract, m.fit.alpha, m.fit.lam, nd, sites["sqft"].to_numpy())
    lost = lost[: len(m.st)]
    rev = m.actual.reindex(m.st["shop_id"]).fillna(0).to_numpy()
    taken = float((lost * rev).sum())
    return pd.DataFrame({"site_id": list(sites["site_id"]) + ["all together"],
                         "predicted_monthly_revenue": list(m.k * new) + [float(m.k * new.sum())],
                         "cannibalized_revenue": [None] * len(sites) + [taken],
                         "net_new_revenue": [None] * len(sites) + [float(m.k * new.sum()) - taken]})


def _comparables(sites: pd.DataFrame, site_fac: pd.DataFrame, m: Model) -> pd.DataFrame:
    """For each site the judged stores most like it on the factors, with their actual run rate."""
    judged = m.store_factors[m.store_factors["shop_id"].isin(m.actual.index)].set_index("shop_id")
    near = g.comparables(site_fac.set_index(sites["site_id"].to_numpy()), judged[list(FACTORS)], k=COMPARABLES)
    store, site = m.st.set_index("shop_id"), sites.set_index("site_id")
    a, b = site.loc[near["site_id"]], store.loc[near["shop_id"]]
    km = g.distance_km(a["lat"].to_numpy(), a["lon"].to_numpy(), b["lat"].to_numpy(), b["lon"].to_numpy())
    return near.assign(shop_name=b["shop_name"].to_numpy(), distance_km=km.round(2),
                       actual_revenue=near["shop_id"].map(m.actual))[
        ["site_id", "rank", "shop_id", "shop_name", "factor_distance", "distance_km", "actual_revenue"]]


def _site_ramp(sites: pd.DataFrame, ramp: pd.DataFrame) -> pd.DataFrame:
    """Each site's expected revenue by month open: its mature prediction × the chain's ramp."""
    grid = sites[["site_id", "predicted_monthly_revenue", "revenue_low", "revenue_high"]].merge(ramp, how="cross")
    return pd.DataFrame({"site_id": grid["site_id"], "age_month": grid["age_month"], "ramp_share": grid["ramp_share"],
                         "predicted_revenue": grid["predicted_monthly_revenue"] * grid["ramp_share"],
                         "revenue_low": grid["revenue_low"] * grid["ramp_share"],
                         "revenue_high": grid["revenue_high"] * grid["ramp_share"]})


def _map(m: Model, sites: pd.DataFrame) -> pdk.Deck:
    """Stores with badges, member heat, competitors, subway, sites by score, and under them a clear
    grid of Manhattan's land that makes a click anywhere on land a selectable point (a new site)."""
    from lucky.ui import basemap

    v = m.validation.set_index("shop_id")
    stores = m.st[["shop_id", "shop_name", "lat", "lon"]].copy()
    stores["ratio"] = stores["shop_id"].map(v["actual_revenue"] / v["predicted_revenue"]).fillna(1.0)
    stores["badge"] = np.where(stores["ratio"] >= 1.1, "above model", np.where(stores["ratio"] <= 0.9, "below model", "as modelled"))
    stores["color"] = stores["badge"].map({"above model": [30, 140, 60], "below model": [200, 60, 40],
                                           "as modelled": [40, 90, 200]})
    stores["label"] = stores["shop_name"] + " — " + stores["badge"]
    s = sites.copy()
    s["color"] = [[int(255 * (1 - x / 100)), int(180 * x / 100), 80] for x in s["score"]]
    s["label"] = (s["site_name"] + ": score " + s["score"].astype(str) + ", $" + s["predicted_monthly_revenue"].round(-2)
                  .map("{:,.0f}".format) + "/month (" + s["revenue_low"].round(-2).map("{:,.0f}".format) + "–"
                  + s["revenue_high"].round(-2).map("{:,.0f}".format) + "), takes $"
                  + s["cannibalized_revenue"].round(-2).map("{:,.0f}".format) + " · click for detail")
    sub = m.subway.assign(label=m.subway["station_name"] + " (" + m.subway["line_names"] + ")")
    cmp_ = m.comp.assign(label=m.comp["name"])
    grid = basemap.land_grid(CLICK_GRID_KM).assign(label="click to score a new site here")
    layers = [
        pdk.Layer("HeatmapLayer", m.density[["lat", "lon", "members"]], get_position="[lon, lat]",
                  get_weight="members", radius_pixels=40, opacity=0.45, id="members"),
        pdk.Layer("ScatterplotLayer", grid, get_position="[lon, lat]", get_radius=CLICK_GRID_KM * 750,
                  get_fill_color=[0, 0, 0, 0], pickable=True, auto_highlight=True,
                  highlight_color=[255, 140, 0, 90], id=CLICK_LAYER),
        pdk.Layer("ScatterplotLayer", cmp_[["lat", "lon", "label"]], get_position="[lon, lat]", get_radius=35,
                  get_fill_color=[110, 110, 110], pickable=True, id="competitors"),
        pdk.Layer("ScatterplotLayer", sub[["lat", "lon", "label"]], get_position="[lon, lat]", get_radius=30,
                  get_fill_color=[0, 120, 220], pickable=True, id="subway"),
        pdk.Layer("ScatterplotLayer", stores[["shop_id", "lat", "lon", "label", "color"]], get_position="[lon, lat]",
                  get_radius=110, get_fill_color="color", stroked=True, get_line_color=[255, 255, 255],
                  line_width_min_pixels=2, pickable=True, id="stores"),
        pdk.Layer("ScatterplotLayer", s[["site_id", "lat", "lon", "label", "color"]], get_position="[lon, lat]",
                  get_radius=95, get_fill_color="color", stroked=True, get_line_color=[0, 0, 0],
                  line_width_min_pixels=2, pickable=True, id="sites"),
    ]
    return basemap.deck(layers, tooltip={"text": "{label}"}, view=MAP_VIEW)


TOOL = Tool(
    slug="expansion", number=21, title="Expansion Site Scoring Simulator", department="Operations",
    roles=frozenset({"operations", "finance"}),
    sources=("luckyus_iopshopexpand", "luckyus_sales_order", "luckyus_opshop"),
    run=run, icon=":material/add_location_alt:", precompute=True,
    description="Huff gravity model of where members shop, validated store by store, scoring candidate "
                "sites (180 Varick and others) and what-if points for revenue and cannibalisation.",
    options=(Option("sites", str, "", "what-if points 'lat,lon;lat,lon' scored alone and together",
                    label="What-if sites"),),
)
