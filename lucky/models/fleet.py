"""Machine fleet models (Tool 14): uptime from a status log, velocity against each machine's own
weekday × hour baseline, and a CUSUM that confirms a persistent drop.

Pure functions on DataFrames; times are naive UTC unless a column says `date`/`hour` (store-local).

Velocity: in every store-local hour a machine was online, its expected cups are its baseline share
of the store's per-machine load (store cups ÷ machines that made cups that day) times that load;
the baseline share is the machine's own share in the same weekday × hour over `BASELINE_WEEKS`
weeks ending `GAP_WEEKS` weeks earlier (so a drop is not absorbed into the baseline at once). So a
busy or quiet day at the store, a new machine joining, or an outage of the machine itself do not
look like degradation; a machine the baristas avoid (or that brews slowly) does. The daily ratio
actual ÷ expected feeds a one-sided CUSUM on its logarithm (anchors: "EWMA or CUSUM on the ratio confirms a persistent drop and gives the onset").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

DROP = 0.20              # the report's rule: velocity more than 20% below baseline
BASELINE_WEEKS = 8
GAP_WEEKS = 2            # the baseline skips the latest weeks, so a new drop is not absorbed at once
MIN_BASELINE_WEEKS = 3
CUSUM_R1 = 1 - 1.5 * DROP   # the drop the CUSUM is designed to see fastest: 30% (drops past 20% are flagged)
CUSUM_H = 2.0            # log-likelihood units: an alarm times the flag; the verdict's 14-day Poisson test (RECENT_P) keeps chance dips out
DAY_CAP = 0.9            # a day adds at most this share of CUSUM_H
SHRINK_CELLS = 1.0       # weight of the machine's all-hours share in each weekday x hour baseline
MIN_EXPECTED_CUPS = 3.0  # days with fewer expected cups carry no evidence
RECENT_DAYS = 14
MIN_RECENT_EXPECTED = 5.0  # expected cups a day over the recent days: below that, no verdict
RECENT_P = 0.01            # Poisson P(cups this low | expected) must be below this


def offline_intervals(log: pd.DataFrame, until: pd.Timestamp) -> pd.DataFrame:
    """device_no, start, end of every offline spell in a status log (device_no, status, create_time;
    status 0 = offline from that row on). A spell still open at `until` ends there."""
    if log.empty:
        return pd.DataFrame({"device_no": pd.Series(dtype=object), "start": pd.Series(dtype="datetime64[ns]"),
                             "end": pd.Series(dtype="datetime64[ns]")})
    lg = log.sort_values(["device_no", "create_time"], kind="stable").reset_index(drop=True)
    new_run = lg["status"].ne(lg.groupby("device_no")["status"].shift()) | lg["device_no"].ne(lg["device_no"].shift())
    lg["run"] = new_run.cumsum()
    runs = lg.groupby("run").agg(device_no=("device_no", "first"), status=("status", "first"),
                                 start=("create_time", "min"))
    runs["end"] = runs.groupby("device_no")["start"].shift(-1).fillna(pd.Timestamp(until))
    off = runs[runs["status"] == 0].copy()
    off["end"] = off["end"].clip(upper=pd.Timestamp(until))
    return off.loc[off["end"] > off["start"], ["device_no", "start", "end"]].reset_index(drop=True)


def uptime(installed: pd.DataFrame, spells: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """device_no, window_h, offline_h, uptime_pct over [max(install, lo), hi).

    `installed`: device_no, install_time. The window starts when the machine was installed. `lo` and
    `hi` are one time for all, or one per row of `installed` (machines of stores in other zones)."""
    w = installed[["device_no"]].copy()
    lo, hi = (_per_row(v, installed.index) for v in (lo, hi))
    w["w_lo"] = installed["install_time"].where(installed["install_time"] > lo, lo).to_numpy()
    w["w_hi"] = hi.to_numpy()
    w["window_h"] = ((w["w_hi"] - w["w_lo"]).dt.total_seconds() / 3600).clip(lower=0)
    s = spells.merge(w[["device_no", "w_lo", "w_hi"]], on="device_no")
    a = s["start"].where(s["start"] > s["w_lo"], s["w_lo"])
    b = s["end"].where(s["end"] < s["w_hi"], s["w_hi"])
    s["offline_h"] = ((b - a).dt.total_seconds() / 3600).clip(lower=0)
    off = s.groupby("device_no")["offline_h"].sum().astype(float)   # float also when no spell at all
    w["offline_h"] = off.reindex(w["device_no"]).fillna(0.0).to_numpy(float)
    w["uptime_pct"] = np.where(w["window_h"] > 0, 100 * (1 - w["offline_h"] / w["window_h"].where(w["window_h"] > 0)),
                               np.nan)
    return w[["device_no", "window_h", "offline_h", "uptime_pct"]]


def _per_row(value, index: pd.Index) -> pd.Series:
    if isinstance(value, pd.Series):
        return pd.Series(pd.to_datetime(value).to_numpy(), index=index)
    return pd.Series(pd.Timestamp(value), index=index)


def offline_hours(spells: pd.DataFrame) -> pd.DataFrame:
    """device_no, utc_hour for every UTC clock hour an offline spell touches."""
    if spells.empty:
        return pd.DataFrame({"device_no": pd.Series(dtype=object), "utc_hour": pd.Series(dtype="datetime64[ns]")})
    first = pd.to_datetime(spells["start"]).dt.floor("h").to_numpy()
    last = (pd.to_datetime(spells["end"]) - pd.Timedelta(seconds=1)).dt.floor("h").to_numpy()
    n = ((last - first) // np.timedelta64(1, "h")).astype(int) + 1
    n = np.maximum(n, 1)
    idx = np.repeat(np.arange(len(spells)), n)
    step = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return pd.DataFrame({"device_no": spells["device_no"].to_numpy()[idx],
                         "utc_hour": first[idx] + step * np.timedelta64(1, "h")}).drop_duplicates()


def daily_velocity(cups: pd.DataFrame, offline: pd.DataFrame) -> pd.DataFrame:
    """Per machine and store-local day: cups, expected (baseline), ratio.

    `cups`: shop_id, device_no, utc_hour, date, hour, cups (one row per machine-hour with cups;
    machines that make cups only). `offline`: device_no, utc_hour to leave out for that machine.
    """
    cols = ["shop_id", "device_no", "date", "cups", "expected", "ratio"]
    if cups.empty:
        return pd.DataFrame(columns=cols)
    names, codes = _codes(cups["device_no"], offline["device_no"] if len(offline) else None)
    cups = cups.assign(device_no=codes[0])
    if len(offline):
        offline = offline.assign(device_no=codes[1])
    store = cups.groupby(["shop_id", "date", "hour", "utc_hour"], as_index=False)["cups"].sum()
    n_active = cups.groupby(["shop_id", "date"])["device_no"].nunique().rename("n_active")
    store = store.join(n_active, on=["shop_id", "date"])
    store["load"] = store["cups"] / store["n_active"]
    first = cups.groupby("device_no")["date"].min()
    devs = cups[["shop_id", "device_no"]].drop_duplicates()
    grid = devs.merge(store[["shop_id", "date", "hour", "utc_hour", "load"]], on="shop_id")
    grid = grid[grid["date"] >= grid["device_no"].map(first)]
    mine = cups.set_index(["device_no", "utc_hour"])["cups"]
    grid["cups"] = mine.reindex(pd.MultiIndex.from_frame(grid[["device_no", "utc_hour"]])).fillna(0).to_numpy()
    if len(offline):
        gone = pd.MultiIndex.from_frame(offline[["device_no", "utc_hour"]])
        grid = grid[~pd.MultiIndex.from_frame(grid[["device_no", "utc_hour"]]).isin(gone)]
    grid["weekday"] = grid["date"].dt.day_of_week
    grid["week"] = (grid["date"] - pd.Timestamp("2000-01-03")).dt.days // 7
    grid = grid.sort_values(["device_no", "weekday", "hour", "week"])
    keys = [grid["device_no"], grid["weekday"], grid["hour"]]
    n_prev = grid.groupby(keys).cumcount()
    num, den = (_previous_sum(grid, keys, c) for c in ("cups", "load"))
    num, den = _shrunk(grid, num, den)
    share = np.where((den > 0) & (n_prev >= MIN_BASELINE_WEEKS + GAP_WEEKS), num / den.where(den > 0), np.nan)
    grid["expected"] = share * grid["load"]
    grid = grid[grid["expected"].notna()]
    day = grid.groupby(["shop_id", "device_no", "date"], as_index=False)[["cups", "expected"]].sum()
    day = day[day["expected"] >= MIN_EXPECTED_CUPS]
    day["ratio"] = day["cups"] / day["expected"]
    day = day.sort_values(["device_no", "date"]).reset_index(drop=True)
    return day.assign(device_no=names[day["device_no"].to_numpy()])[cols]


def _codes(devices: pd.Series, other: pd.Series | None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Machine ids as integer codes (joins and groups on numbers, not strings): names, [codes, ...];
    ids only in `other` get -1 (they match nothing)."""
    codes, names = pd.factorize(devices)
    out = [codes]
    if other is not None:
        out.append(pd.Index(names).get_indexer(other))
    return np.asarray(names, dtype=object), out


def _shrunk(grid: pd.DataFrame, num: pd.Series, den: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Shrink each weekday x hour baseline share toward the machine's share over all its hours in
    the same weeks, with the weight of SHRINK_CELLS average cells: a cell of a quiet machine holds a
    handful of cups in 8 weeks, and its noise would read as a drop or a rise on any day."""
    if SHRINK_CELLS <= 0:
        return num, den
    wk = grid.assign(num=num, den=den).groupby(["device_no", "week"])[["num", "den"]].agg(["sum", "size"])
    dev_share = wk[("num", "sum")] / wk[("den", "sum")].where(wk[("den", "sum")] > 0)
    per_cell = wk[("den", "sum")] / wk[("den", "size")]
    key = pd.MultiIndex.from_frame(grid[["device_no", "week"]])
    m = SHRINK_CELLS * per_cell.reindex(key).to_numpy()
    prior = dev_share.reindex(key).to_numpy()
    ok = np.isfinite(prior) & np.isfinite(m)
    return (num + np.where(ok, m * prior, 0), den + np.where(ok, m, 0))


def _previous_sum(grid: pd.DataFrame, keys: list, col: str) -> pd.Series:
    """Sum of `col` over BASELINE_WEEKS rows of each group ending GAP_WEEKS rows before this one
    (rows in week order)."""
    run = grid.groupby(keys)[col].cumsum()
    g = run.groupby(keys)
    return g.shift(1 + GAP_WEEKS).fillna(0) - g.shift(1 + GAP_WEEKS + BASELINE_WEEKS).fillna(0)


def cusum(daily: pd.DataFrame) -> pd.DataFrame:
    """Per machine: a one-sided quasi-Poisson CUSUM for a drop to `CUSUM_R1` of its baseline.

    Each day adds the log-likelihood ratio of its cups under "running at R1 x expected" against
    "at expected" (Lucas' Poisson CUSUM: cups x ln R1 + expected x (1 − R1)), divided by the
    machine's own dispersion (robust Pearson variance of its days, at least 1), so a busy day
    weighs more than a quiet one, one slow day is a small step, and a machine whose days swing
    more than chance needs more of them. A day adds at most `DAY_CAP` x `CUSUM_H` (a winsorised CUSUM:
one very slow day, a stock-out or a closed afternoon, never alarms alone). Alarm above `CUSUM_H`
(log-likelihood units). Adds s,
    h, alarm (bool), episode_start (the day the statistic last left zero: the onset estimate)."""
    if daily.empty:
        return daily.assign(s=pd.Series(dtype=float), h=pd.Series(dtype=float), alarm=pd.Series(dtype=bool),
                            episode_start=pd.Series(dtype="datetime64[ns]"))
    d = daily.sort_values(["device_no", "date"], kind="stable").reset_index(drop=True)
    c, e = d["cups"].to_numpy(float), d["expected"].to_numpy(float)
    z = pd.Series((c - e) / np.sqrt(e))
    g = z.groupby(d["device_no"], sort=False)
    mad = (z - g.transform("median")).abs().groupby(d["device_no"], sort=False).transform("median")
    phi = np.maximum(1.0, (1.4826 * mad.to_numpy()) ** 2)
    llr = np.minimum((c * np.log(CUSUM_R1) + e * (1 - CUSUM_R1)) / phi, DAY_CAP * CUSUM_H)   # no day alarms alone
    pos = d.groupby("device_no", sort=False).cumcount().to_numpy()
    dev = pd.factorize(d["device_no"])[0]
    acc, began = np.zeros(dev.max() + 1), np.zeros(dev.max() + 1, dtype="datetime64[ns]")
    dates = d["date"].to_numpy("datetime64[ns]")
    s, start = np.zeros(len(d)), np.empty(len(d), dtype="datetime64[ns]")
    order = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[order], np.arange(pos.max() + 2))
    for i in range(pos.max() + 1):          # one step per day of history, all machines at once
        rows = order[bounds[i]:bounds[i + 1]]
        k = dev[rows]
        began[k] = np.where(acc[k] == 0.0, dates[rows], began[k])
        acc[k] = np.maximum(0.0, acc[k] + llr[rows])
        s[rows], start[rows] = acc[k], began[k]
    return d.assign(s=s, h=CUSUM_H, alarm=s > CUSUM_H, episode_start=start)


def degraded(scored: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Machines degraded at `end`: the CUSUM alarm sounds on the last scored day and the last
    `RECENT_DAYS` days are more than `DROP` below baseline, on at least MIN_RECENT_EXPECTED expected
    cups a day and with a Poisson P(cups this low) below RECENT_P. device_no, first_flagged (the day
    the alarm still sounding at the end began: it has sounded every day since),
    onset (the day that excursion began, the CUSUM's change-point estimate), recent_ratio."""
    cols = ["device_no", "first_flagged", "onset", "recent_ratio"]
    if scored.empty:
        return pd.DataFrame(columns=cols)
    d = scored.sort_values(["device_no", "date"], kind="stable")
    last = d.groupby("device_no", sort=False).tail(1).set_index("device_no")
    recent = d[d["date"] > pd.Timestamp(end) - pd.Timedelta(days=RECENT_DAYS)]
    r = recent.groupby("device_no")[["cups", "expected"]].agg(["sum", "mean"])
    r = r.reindex(last.index)
    cups, exp = r[("cups", "sum")], r[("expected", "sum")]
    ratio = cups / exp.where(exp > 0)
    p_low = pd.Series(stats.poisson.cdf(cups.fillna(0), exp.fillna(0)), index=r.index)
    # too few cups to tell a machine that is avoided from chance: no verdict
    hit = last["alarm"] & (ratio < 1 - DROP) & (r[("expected", "mean")] >= MIN_RECENT_EXPECTED) & (p_low < RECENT_P)
    hit = hit[hit.fillna(False).astype(bool)].index
    if not len(hit):
        return pd.DataFrame(columns=cols)
    # first flagged: the day the alarm still sounding began (an earlier alarm in the same excursion
    # that fell silent was a chance dip, not this drop)
    mine = d[d["device_no"].isin(hit)]
    quiet = (~mine["alarm"]).astype(int).groupby(mine["device_no"], sort=False).cumsum()
    last_quiet = quiet.groupby(mine["device_no"], sort=False).transform("max")
    first = mine[mine["alarm"] & (quiet == last_quiet)].groupby("device_no")["date"].min()
    return pd.DataFrame({"device_no": list(hit), "first_flagged": first.reindex(hit).to_numpy(),
                         "onset": last.loc[hit, "episode_start"].to_numpy(), "recent_ratio": ratio.reindex(hit).to_numpy()})


def lost_revenue(spells: pd.DataFrame, share: pd.Series, hour_revenue: pd.DataFrame) -> pd.DataFrame:
    """Revenue at risk while cup-making machines were offline: for every store-local hour a machine
    was out, the store's usual revenue in that weekday × hour times the machine's share of the
    store's cups. `spells` needs shop_id, device_no, and local `date`, `hour` rows per offline hour
    (see `offline_hours` + localisation); `share`: device_no -> share of store cups;
    `hour_revenue`: shop_id, weekday, hour, revenue (mean per open hour)."""
    if spells.empty:
        return pd.DataFrame(columns=["device_no", "offline_open_h", "lost_revenue"])
    s = spells.assign(weekday=spells["date"].dt.day_of_week)
    s = s.merge(hour_revenue, on=["shop_id", "weekday", "hour"], how="inner")
    s["lost_revenue"] = s["revenue"] * s["device_no"].map(share).fillna(0)
    return s.groupby("device_no", as_index=False).agg(offline_open_h=("hour", "size"), lost_revenue=("lost_revenue", "sum"))
