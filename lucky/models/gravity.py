"""The site-scoring gravity model (design card: "site-scoring gravity model"): Huff store choice
calibrated by maximum likelihood, store capture and cannibalisation, a leave-one-store-out check
against a naive baseline, the revenue ramp by store age, and where a point lies (Manhattan, the
water, outside NYC). Pure functions on arrays and DataFrames: no I/O.

Huff (1963): a customer at origin i picks store j among the stores open to them with
    P(j | i) = A_j^alpha * d_ij^-lambda / sum_k A_k^alpha * d_ik^-lambda
(A attractiveness, e.g. floor area; d travel distance). With choices counted per origin group
(a cell and the set of stores open at the time), the log-likelihood is a conditional logit in
x_ij = (log A_j, -log d_ij); it is concave, so BFGS finds the maximum, and the inverse of the
analytic Hessian (the information matrix) gives the standard errors and 95% intervals.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

EARTH_KM = 6371.0088
MIN_KM = 0.05        # a customer in the same block still walks ~50 m: keeps log d finite
Z95 = 1.959964


def distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle (haversine) distance in km; broadcasts like numpy."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def distance_matrix(origins: pd.DataFrame, stores: pd.DataFrame) -> np.ndarray:
    """origins × stores km (both frames with lat, lon), floored at MIN_KM."""
    d = distance_km(origins["lat"].to_numpy()[:, None], origins["lon"].to_numpy()[:, None],
                    stores["lat"].to_numpy()[None, :], stores["lon"].to_numpy()[None, :])
    return np.maximum(d, MIN_KM)


def probabilities(dist: np.ndarray, attract: np.ndarray, alpha: float, lam: float,
                  available: np.ndarray | None = None) -> np.ndarray:
    """Huff choice probabilities, rows = origins; stores not available get 0.

    >>> probabilities(np.array([[1.0, 2.0]]), np.array([1.0, 1.0]), 1.0, 2.0).round(2).tolist()
    [[0.8, 0.2]]
    """
    u = alpha * np.log(attract)[None, :] - lam * np.log(dist)
    if available is not None:
        u = np.where(available, u, -np.inf)
    u = u - np.max(u, axis=1, keepdims=True)
    e = np.exp(u)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class HuffFit:
    alpha: float
    lam: float
    se_alpha: float
    se_lambda: float
    loglik: float
    choices: int
    seconds: float

    def table(self) -> pd.DataFrame:
        """The `calibration` table: estimate, standard error and 95% interval per parameter."""
        rows = [("alpha", "attractiveness exponent (floor area)", self.alpha, self.se_alpha),
                ("lambda", "distance decay exponent", self.lam, self.se_lambda)]
        return pd.DataFrame([{"parameter": p, "meaning": m, "estimate": est, "std_error": se,
                              "low_95": est - Z95 * se, "high_95": est + Z95 * se,
                              "choices": self.choices, "log_likelihood": self.loglik}
                             for p, m, est, se in rows])


def calibrate(counts: np.ndarray, dist: np.ndarray, attract: np.ndarray,
              available: np.ndarray | None = None, start: tuple[float, float] = (1.0, 1.5)) -> HuffFit:
    """Maximum-likelihood alpha and lambda from choice counts.

    counts, dist, available: groups × stores (a group is an origin with its choice set);
    attract: per store. Groups without choices are ignored.
    """
    began = time.perf_counter()
    keep = counts.sum(axis=1) > 0
    counts, dist = counts[keep].astype(float), dist[keep]
    avail = np.ones_like(counts, bool) if available is None else available[keep]
    x1 = np.broadcast_to(np.log(attract)[None, :], counts.shape)
    x2 = -np.log(dist)
    n_g = counts.sum(axis=1)

    def parts(theta):
        p = probabilities(dist, attract, theta[0], theta[1], avail)
        m1, m2 = (p * x1).sum(axis=1), (p * x2).sum(axis=1)
        return p, m1, m2

    def negll(theta):
        p, m1, m2 = parts(theta)
        with np.errstate(divide="ignore"):
            ll = np.where(counts > 0, counts * np.log(np.where(p > 0, p, 1.0)), 0.0).sum()
        g1 = (counts * x1).sum() - (n_g * m1).sum()
        g2 = (counts * np.where(avail, x2, 0.0)).sum() - (n_g * m2).sum()
        return -ll, -np.array([g1, g2])

    res = minimize(negll, np.array(start, float), jac=True, method="BFGS")
    p, m1, m2 = parts(res.x)
    c11 = (n_g * ((p * x1 ** 2).sum(axis=1) - m1 ** 2)).sum()
    c22 = (n_g * ((p * np.where(avail, x2, 0.0) ** 2).sum(axis=1) - m2 ** 2)).sum()
    c12 = (n_g * ((p * x1 * np.where(avail, x2, 0.0)).sum(axis=1) - m1 * m2)).sum()
    info = np.array([[c11, c12], [c12, c22]])
    try:
        cov = np.linalg.inv(info)
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        se = np.array([np.nan, np.nan])
    return HuffFit(float(res.x[0]), float(res.x[1]), float(se[0]), float(se[1]), float(-res.fun),
                   int(counts.sum()), time.perf_counter() - began)


def capture(demand: np.ndarray, dist: np.ndarray, attract: np.ndarray, alpha: float, lam: float,
            available: np.ndarray | None = None) -> np.ndarray:
    """Expected customers per store: sum over origins of demand_i × P(j | i)."""
    return demand @ probabilities(dist, attract, alpha, lam, available)


def cannibalization(demand: np.ndarray, dist: np.ndarray, attract: np.ndarray, alpha: float, lam: float,
                    new_dist: np.ndarray, new_attract: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(share of each existing store's capture lost, capture of each new site) when the new sites
    (new_dist: origins × sites) open beside the existing stores all at once."""
    before = capture(demand, dist, attract, alpha, lam)
    both = capture(demand, np.hstack([dist, new_dist]), np.r_[attract, new_attract], alpha, lam)
    k = dist.shape[1]
    lost = np.where(before > 0, 1 - both[:k] / np.where(before > 0, before, 1), 0.0)
    return lost, both[k:]


def leave_one_out(actual: pd.Series, capture_without: dict) -> pd.DataFrame:
    """Each store's actual revenue against the capture model fitted without it, beside the naive
    baseline (the mean of the other stores).

    actual: revenue per store; capture_without[j]: per-store capture (Series) from the Huff model
    calibrated without store j's customers. Revenue per captured customer is fitted on the others
    (ratio estimator) and applied to j's capture.
    """
    rows = []
    for j, rev in actual.items():
        cap = capture_without[j]
        others = actual.drop(j)
        k = others.sum() / cap[others.index].sum()
        pred, naive = k * cap[j], others.mean()
        rows.append({"shop_id": j, "actual_revenue": rev, "predicted_revenue": pred,
                     "error": pred - rev, "abs_pct_error": abs(pred - rev) / rev if rev else np.nan,
                     "naive_revenue": naive, "naive_error": naive - rev,
                     "naive_abs_pct_error": abs(naive - rev) / rev if rev else np.nan})
    return pd.DataFrame(rows)


def ramp(monthly: pd.DataFrame, mature_from: int = 4, months: int = 12) -> pd.DataFrame:
    """Revenue by store age as a share of the store's mature level (months >= mature_from), median
    over stores: columns age_month (1 = opening month), ramp_share, stores. Ages beyond the data
    repeat the last observed share (at most 1)."""
    df = monthly.copy()
    mature = df[df["age_month"] >= mature_from].groupby("shop_id")["revenue"].mean()
    df = df[df["shop_id"].isin(mature.index)]
    df["share"] = df["revenue"] / df["shop_id"].map(mature)
    curve = df.groupby("age_month")["share"].agg(["median", "size"]).reindex(range(1, months + 1))
    curve["median"] = curve["median"].ffill().clip(upper=1.0).fillna(1.0)
    curve.loc[curve.index >= mature_from, "median"] = curve.loc[curve.index >= mature_from, "median"].clip(lower=1.0)
    return pd.DataFrame({"age_month": curve.index, "ramp_share": curve["median"].to_numpy(),
                         "stores": curve["size"].fillna(0).astype(int).to_numpy()})


def comparables(sites: pd.DataFrame, stores: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The k stores most like each site on the same factors (rows indexed by site id and store id,
    columns the factors): Euclidean distance after scaling each factor by the stores' standard
    deviation, so 100 people and $1/sq ft do not weigh alike. Columns site_id, rank, shop_id,
    factor_distance (in standard deviations).

    >>> st = pd.DataFrame({"pop": [0.0, 10.0, 20.0]}, index=[1, 2, 3])
    >>> comparables(pd.DataFrame({"pop": [12.0]}, index=["A"]), st, k=2)["shop_id"].tolist()
    [2, 3]
    """
    cols = list(stores.columns)
    scale = stores[cols].astype(float).std(ddof=0).replace(0, 1.0).to_numpy()
    a = sites[cols].astype(float).to_numpy() / scale
    b = stores[cols].astype(float).to_numpy() / scale
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    rows = []
    for i, site in enumerate(sites.index):
        for rank, j in enumerate(np.argsort(d[i], kind="stable")[:k], start=1):
            rows.append({"site_id": site, "rank": rank, "shop_id": stores.index[j],
                         "factor_distance": round(float(d[i, j]), 3)})
    return pd.DataFrame(rows, columns=["site_id", "rank", "shop_id", "factor_distance"])


def factor_model(residual: pd.Series, factors: pd.DataFrame,
                 penalties: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0, 30.0)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Do the stores' factors explain what the capture model misses? Ridge regression of each
    store's log(actual / leave-one-out prediction) on its standardised factors, judged leave one
    store out against the same re-centring without factors (the other stores' mean residual).

    Returns (`fit`: model, penalty, loo_abs_pct_error (|prediction - actual| / actual, as
    `validation`), beats_no_factors; first row "no factors", second the honest one: factors with the
    penalty chosen inside each fold by leave-one-out on the other stores (choosing it on the
    held-out store too would flatter the factors), then each fixed penalty for reference;
    `effects`: factor, correlation with the residual, effect of +1 standard deviation on revenue
    at the penalty chosen on all stores, as a fraction).
    """
    y = residual.astype(float)
    x = factors.loc[y.index].astype(float)

    def loo_error(lam: float | None, ys: pd.Series) -> float:
        errs = []
        for j in ys.index:
            rest = ys.drop(index=j)
            pred = rest.mean() if lam == 0 else _ridge_predict(
                x.loc[rest.index], rest, x.loc[j], lam if lam is not None else _best_penalty(x, rest, penalties))
            errs.append(abs(np.expm1(pred - ys[j])))
        return float(np.mean(errs))

    base = loo_error(0, y)
    rows = [{"model": "no factors", "penalty": "—", "loo_abs_pct_error": base},
            {"model": "factors", "penalty": "chosen inside each fold", "loo_abs_pct_error": loo_error(None, y)}]
    rows += [{"model": "factors", "penalty": f"{lam:g} (fixed)", "loo_abs_pct_error": loo_error(lam, y)}
             for lam in penalties]
    fit = pd.DataFrame(rows)
    fit["beats_no_factors"] = fit["loo_abs_pct_error"] < base
    fit.loc[0, "beats_no_factors"] = False
    sd = x.std(ddof=0).replace(0, 1.0)
    coef = _ridge(((x - x.mean()) / sd).to_numpy(), (y - y.mean()).to_numpy(), _best_penalty(x, y, penalties))
    effects = pd.DataFrame({"factor": x.columns, "correlation_with_residual": x.corrwith(y).to_numpy(),
                            "effect_per_sd": np.expm1(coef)})
    return fit, effects


def _best_penalty(x: pd.DataFrame, y: pd.Series, penalties: tuple[float, ...]) -> float:
    """The penalty with the lowest leave-one-out error on these stores."""
    def err(lam: float) -> float:
        return float(np.mean([abs(np.expm1(_ridge_predict(x.loc[y.index.drop(j)], y.drop(index=j), x.loc[j], lam)
                                           - y[j])) for j in y.index]))
    return min(penalties, key=err)


def _ridge(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    return np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)


def _ridge_predict(x: pd.DataFrame, y: pd.Series, row: pd.Series, lam: float) -> float:
    """Ridge on standardised x (centred y), predicting `row`."""
    mu, sd = x.mean(), x.std(ddof=0).replace(0, 1.0)
    coef = _ridge(((x - mu) / sd).to_numpy(), (y - y.mean()).to_numpy(), lam)
    return float(y.mean() + ((row - mu) / sd).to_numpy() @ coef)


def _one_per_burst(pairs: list[tuple], apart_days: int) -> list[tuple]:
    """Openings near the same store fewer than `apart_days` apart cannot be told apart in its daily
    orders: keep the nearest new store of each such burst (its loss is attributed to it)."""
    kept: list[tuple] = []
    for pair in sorted(pairs, key=lambda p: (p[1], p[3], p[2])):
        clash = [k for k in kept if k[1] == pair[1] and abs((k[3] - pair[3]).days) < apart_days]
        if not clash:
            kept.append(pair)
        elif pair[2] < clash[0][2]:
            kept[kept.index(clash[0])] = (pair[0], pair[1], pair[2], min(pair[3], clash[0][3]))
    return kept


def observed_cannibalization(daily: pd.DataFrame, stores: pd.DataFrame, radius_km: float = 2.0,
                             settle_days: int = 60, min_after_days: int = 14,
                             apart_days: int = 21) -> pd.DataFrame:
    """Share of each older store's daily orders lost after a store opened nearby, from the data.

    Poisson regression of store-day completed orders on store, week (the chain's trend) and weekday
    effects plus one "after the opening" term per (older store, new store) pair
    within `radius_km`; stores farther away are the controls. A store's first `settle_days` are
    left out (its own ramp). Openings near one store fewer than `apart_days` apart are one event,
    attributed to the nearest new store. share = 1 - exp(beta), interval from the
    overdispersion-scaled errors.

    daily: shop_id, business_date, orders. stores: shop_id, lat, lon, opened.
    """
    import statsmodels.api as sm

    cols = ["new_shop", "affected_shop", "distance_km", "share", "low_95_share", "high_95_share", "days_after"]
    st = stores.set_index("shop_id")
    df = daily.copy()
    df["business_date"] = pd.to_datetime(df["business_date"])
    df = df[df["shop_id"].isin(st.index)]
    last = df["business_date"].max()
    df = df[(df["business_date"] - df["shop_id"].map(st["opened"])).dt.days >= settle_days]
    pairs = []
    for n, new in st.iterrows():
        if (last - new["opened"]).days < min_after_days:
            continue
        for j, old in st.iterrows():
            if j == n or (new["opened"] - old["opened"]).days < settle_days:
                continue
            d = float(distance_km(new["lat"], new["lon"], old["lat"], old["lon"]))
            if d <= radius_km:
                pairs.append((n, j, d, new["opened"]))
    pairs = _one_per_burst(pairs, apart_days)
    if not pairs or df.empty:
        return pd.DataFrame(columns=cols)
    x = pd.get_dummies(df["shop_id"].astype(str), prefix="s", drop_first=True, dtype=float)
    week = df["business_date"].dt.to_period("W").astype(str)        # the chain's trend, week by week
    x = x.join(pd.get_dummies(week, prefix="w", drop_first=True, dtype=float))
    x = x.join(pd.get_dummies(df["business_date"].dt.day_of_week.astype(str), prefix="dow", drop_first=True, dtype=float))
    names = []
    for n, j, _, opened in pairs:
        name = f"p_{n}_{j}"
        x[name] = ((df["shop_id"] == j) & (df["business_date"] >= opened)).astype(float).to_numpy()
        names.append(name)
    x = sm.add_constant(x, has_constant="add")
    fit = sm.GLM(df["orders"].astype(float).to_numpy(), x.to_numpy(), family=sm.families.Poisson()).fit(scale="X2")
    params = pd.Series(fit.params, index=x.columns)
    se = pd.Series(fit.bse, index=x.columns)
    rows = []
    for (n, j, d, opened), name in zip(pairs, names):
        b, e = params[name], se[name]
        rows.append({"new_shop": int(n), "affected_shop": int(j), "distance_km": round(d, 3),
                     "share": 1 - np.exp(b), "low_95_share": 1 - np.exp(b + Z95 * e),
                     "high_95_share": 1 - np.exp(b - Z95 * e),
                     "days_after": int((last - opened).days) + 1})
    return pd.DataFrame(rows, columns=cols)


# ------------------------------------------------------------------ where a point lies
NYC_BOX = (40.4774, 40.9176, -74.2591, -73.7004)     # lat min, lat max, lon min, lon max


def inside(lat: float, lon: float, ring: list[tuple[float, float]]) -> bool:
    """Point in polygon (ray casting) for a ring of (lon, lat) pairs."""
    hit, n = False, len(ring)
    for k in range(n):
        (x1, y1), (x2, y2) = ring[k], ring[(k + 1) % n]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def inside_many(lat: np.ndarray, lon: np.ndarray, ring: list[tuple[float, float]]) -> np.ndarray:
    """`inside` for arrays of points at once (same ray casting, one pass per edge)."""
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    hit = np.zeros(lat.shape, bool)
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if y1 == y2:
            continue
        crosses = (y1 > lat) != (y2 > lat)
        hit ^= crosses & (lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1))
    return hit


def site_problem(lat: float, lon: float, land: list[tuple[float, float]]) -> str | None:
    """None for a point on Manhattan's land (`land` its outline ring of (lon, lat)), else why not."""
    if not (np.isfinite(lat) and np.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return f"({lat}, {lon}) is not a latitude, longitude pair"
    lo_lat, hi_lat, lo_lon, hi_lon = NYC_BOX
    if not (lo_lat <= lat <= hi_lat and lo_lon <= lon <= hi_lon):
        return f"({lat:.5f}, {lon:.5f}) is outside New York City"
    if not inside(lat, lon, land):
        side = "the Hudson River" if lon < -73.99 and lat > 40.70 else "the water or outside Manhattan"
        return f"({lat:.5f}, {lon:.5f}) is in {side}: the demand grid covers Manhattan's land only"
    return None


def bench_calibration(n_origins: int = 400, n_stores: int = 10, n_choices: int = 200_000,
                      seed: int = 0) -> dict:
    """Time one calibration on a synthetic problem of the demo's size (used by bench/)."""
    rng = np.random.default_rng(seed)
    o = pd.DataFrame({"lat": rng.uniform(40.70, 40.80, n_origins), "lon": rng.uniform(-74.01, -73.95, n_origins)})
    s = pd.DataFrame({"lat": rng.uniform(40.70, 40.80, n_stores), "lon": rng.uniform(-74.01, -73.95, n_stores)})
    dist, attract = distance_matrix(o, s), rng.uniform(800, 2500, n_stores)
    p = probabilities(dist, attract, 1.0, 2.0)
    counts = np.vstack([rng.multinomial(n_choices // n_origins, row) for row in p])
    fit = calibrate(counts, dist, attract)
    return {"origins": n_origins, "stores": n_stores, "choices": int(counts.sum()),
            "seconds": round(fit.seconds, 4), "alpha": round(fit.alpha, 3), "lambda": round(fit.lam, 3)}
