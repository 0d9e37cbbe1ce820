"""The anomaly engine: daily metrics in, scored and explained anomalies out. Pure pandas.

Inputs are the daily frames of `lucky.queries.metrics.daily_inputs` (store-local days):
`orders` (shop_id, date, placed, orders, revenue, cancelled, refunded), `fees` (shop_id, date,
channel_id, trades, amount_cents, fee_cents), `production` (shop_id, date, n, p50, p95,
impossible), `devices` (shop_id, device_no, date, cups, cycle_s), `usage` (shop_id, date,
goods_code, consumed, implied), `registrations` (date, users), and `hours` (shop_id, date,
hour, orders: completed orders per store-local hour) for outages within a day, or their
`hour_profiles` when the caller has them already.

Severity (thresholds are multiplied by a store × metric sensitivity factor that grows with
dismissals, see `lucky.anomaly.feedback`):
- only the harmful direction counts (orders down, refunds up, fees up, production time up,
  consumption beyond recipes, device throughput down); a surprise in the good direction is Info;
- Warning when the harmful score reaches the metric's `warn` level AND the change is material;
  Critical at its `crit` level; any other |score| >= 3 is Info;
- "material" is a per-metric minimum change in business terms (orders down 70%, a refund rate
  5x its usual and 8 points above it, 2+ impossible production times, stock consumed 4% beyond
  recipes, fee rate +0.25 pp beyond the channel's price, ...), so a big z on a tiny number stays
  Info and a small store's day of 1 order instead of 6 still counts;
- a metric that merely follows another flagged metric on the same store-day (revenue or AOV
  after an orders collapse) is Info, with the reason; a store's fee anomaly counts only when the
  chain's channel is normal that day.
False positives are counted over Warning and above; Info is context for the incident view.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lucky.models import baselines as bl
from lucky.models import intraday

SEVERITIES = ("Critical", "Warning", "Info")
SEVERITY_RANK = {"Critical": 0, "Warning": 1, "Info": 2}
INFO_Z = 3.0          # |score| for an Info row
CANDIDATE_Z = 1.2     # the lowest `warn` of any metric
COLUMNS = ["shop_id", "date", "metric", "severity", "score", "explanation", "dimension",
           "value", "expected", "system"]


@dataclass(frozen=True)
class Spec:
    """What a metric means: its harmful direction, what 'material' is, and where it comes from."""

    metric: str
    direction: int          # +1 harmful when up, -1 harmful when down
    system: str             # the source system, shown on the card
    warn: float = 4.0       # harmful score for Warning (with a material change)
    crit: float = 7.0       # harmful score for Critical (with a material change)


SPECS: dict[str, Spec] = {s.metric: s for s in (
    Spec("orders", -1, "orders (luckyus_sales_order)", warn=1.2, crit=4.0),
    Spec("outage", -1, "orders (luckyus_sales_order)"),
    Spec("revenue", -1, "orders (luckyus_sales_order)"),
    Spec("aov", -1, "orders (luckyus_sales_order)"),
    Spec("cancel_rate", +1, "orders (luckyus_sales_order)"),
    Spec("refund_rate", +1, "orders (luckyus_sales_order)", warn=2.3, crit=6.0),
    Spec("fee_rate", +1, "payments (luckyus_sales_payment)"),
    Spec("production_time", +1, "production (luckyus_opproduction)", warn=3.0, crit=6.0),
    Spec("cups_per_hour", -1, "IoT (luckyus_iot_platform)"),
    Spec("inventory_shrink", +1, "inventory (luckyus_scm_shopstock)"),
    Spec("registrations", -1, "CRM (luckyus_sales_crm)"),
)}


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=COLUMNS + ["material", "history"])


CHAIN = -1   # the key of chain-wide series inside the wide frames (shop_id null outside)


def wide(frame: pd.DataFrame | None, keys: list[str], cols: list[str], end=None,
         fill: float | None = 0.0) -> dict[str, pd.DataFrame]:
    """Long daily rows -> one wide frame per column (index: every day to `end`, columns: keys).

    With `fill`, a series' missing days after its first observation get that value (a day with
    no orders is a real zero); days before a series starts stay NaN, which is its age."""
    if frame is None or frame.empty:
        return {}
    f = frame.copy()
    f["date"] = pd.to_datetime(f["date"])
    hi = pd.Timestamp(end) if end is not None else f["date"].max()
    idx = pd.date_range(f["date"].min(), max(hi, f["date"].max()), freq="D")
    grouped = f.groupby(["date"] + keys)[cols].sum(min_count=1)
    out = {}
    for c in cols:
        w = grouped[c].unstack(keys).reindex(idx)
        if fill is not None:
            started = w.notna().cumsum() > 0
            w = w.where(~started | w.notna(), fill)
        out[c] = w.loc[:hi]
    return out


def _rows(metric: str, b: bl.Baseline, material: pd.DataFrame, explain, min_history: int,
          dimension=None, extra: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Candidates of every series of one metric: days old enough with |z| >= CANDIDATE_Z.

    Columns of the wide frames are shop ids (CHAIN for chain-wide) or (shop_id, dimension)."""
    z = b.z.to_numpy(dtype=float)
    ok = (b.history.to_numpy() >= min_history) & np.isfinite(z) & (np.abs(z) >= CANDIDATE_Z)
    r, c = np.nonzero(ok)
    if not len(r):
        return _empty()
    cols = b.z.columns[c]
    if isinstance(b.z.columns, pd.MultiIndex):
        shop = cols.get_level_values(0).to_numpy()
        dim = [dimension(v) for v in cols.get_level_values(1)]
    else:
        shop, dim = cols.to_numpy(), [""] * len(c)
    data = {"value": b.value.to_numpy(dtype=float)[r, c], "expected": b.expected.to_numpy(dtype=float)[r, c]}
    for name, frame in (extra or {}).items():
        data[name] = frame.reindex_like(b.z).to_numpy(dtype=float)[r, c]
    parts = pd.DataFrame(data)
    parts["dimension"] = dim
    out = pd.DataFrame({
        "shop_id": [None if s == CHAIN else s for s in shop], "date": b.z.index[r], "metric": metric,
        "score": np.round(z[r, c], 2), "dimension": dim, "value": data["value"], "expected": data["expected"],
        "material": material.reindex_like(b.z).fillna(False).to_numpy(dtype=bool)[r, c],
        "history": b.history.to_numpy()[r, c], "system": SPECS[metric].system,
    })
    out["explanation"] = [explain(row) for row in parts.itertuples()]
    return out


def _pct(value: float, expected: float) -> str:
    if not expected:
        return "n/a"
    return f"{(value / expected - 1) * 100:+.0f}%"


def _chain_rate(w: dict, events: str, trials: str, days: int = 28) -> pd.Series:
    """The chain's median daily rate over the previous `days` days (the prior of every store)."""
    ev, n = w[events].sum(axis=1), w[trials].sum(axis=1)
    return (ev / n.where(n > 0)).rolling(days, min_periods=1).median().shift(1)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def detect_orders(orders: pd.DataFrame, end=None, params=bl.DEFAULT) -> pd.DataFrame:
    """Orders placed (a collapse), revenue, AOV, cancellation and refund rates per store."""
    w = wide(orders, ["shop_id"], ["placed", "orders", "revenue", "cancelled", "refunded"], end)
    if not w:
        return _empty()
    found = []
    b = bl.count_baseline(w["placed"], params)
    found.append(_rows("orders", b, b.value <= 0.3 * b.expected,
                       lambda r: (f"{r.value:.0f} orders placed vs about {r.expected:.0f} expected for this "
                                  f"weekday ({_pct(r.value, r.expected)})"), params.min_history))
    b = bl.log_amount_baseline(w["revenue"], w["orders"], params)
    found.append(_rows("revenue", b, b.value <= 0.4 * b.expected,
                       lambda r: (f"revenue ${r.value:,.0f} vs about ${r.expected:,.0f} expected "
                                  f"({_pct(r.value, r.expected)})"), params.min_history))
    aov = w["revenue"] / w["orders"].where(w["orders"] >= 5)
    b = bl.level_baseline(aov, rel_floor=0.04, params=params)
    found.append(_rows("aov", b, (b.value / b.expected - 1).abs() >= 0.25,
                       lambda r: f"average order ${r.value:.2f} vs ${r.expected:.2f} usual ({_pct(r.value, r.expected)})",
                       params.min_history))
    for metric, col in (("cancel_rate", "cancelled"), ("refund_rate", "refunded")):
        b = bl.rate_baseline(w[col], w["placed"], _chain_rate(w, col, "placed"))
        least = 1 if metric == "refund_rate" else 2
        mat = (b.extra["events"] >= least) & (b.value >= 5 * b.expected) & (b.value - b.expected >= 0.08)
        found.append(_rows(metric, b, mat,
                           lambda r, col=col: (f"{r.events:.0f} of {r.trials:.0f} orders {col} "
                                               f"({r.value:.1%} vs {r.expected:.1%} usual)"),
                           params.min_history, extra=b.extra))
    return _concat(found)


def hour_profiles(hours: pd.DataFrame | None, end=None) -> pd.DataFrame:
    """`intraday.profiles` of every store-day from the store's first order up to `end` (days
    without a single order included): the hours outages are judged on and, in the scan, the
    shapes of orders anomalies are read from."""
    if hours is None or hours.empty:
        return pd.DataFrame(columns=intraday.COLUMNS)
    dates = pd.to_datetime(hours["date"])
    last = pd.Timestamp(end) if end is not None else dates.max()
    h = hours[dates <= last]
    first = h.assign(date=pd.to_datetime(h["date"])).groupby("shop_id")["date"].min()
    keys = pd.concat([pd.DataFrame({"shop_id": shop, "day": pd.date_range(day, last, freq="D")})
                      for shop, day in first.items()], ignore_index=True)
    return intraday.profiles(h, keys)


def detect_outages(profiles: pd.DataFrame, params=bl.DEFAULT) -> pd.DataFrame:
    """Hours of a trading day without a single order where the store usually has plenty
    (`lucky.models.intraday.outages` over `hour_profiles`): an app, POS or network failure that
    a daily total hides. Score: the Anscombe z of 0 orders against the run's usual (as the
    daily counts)."""
    runs = intraday.outages(profiles)
    if runs.empty:
        return _empty()
    usual = runs["expected"].astype(float)
    span = [f"{a:02d}:00–{b + 1:02d}:00" for a, b in zip(runs["first_hour"], runs["last_hour"])]
    out = pd.DataFrame({
        "shop_id": runs["shop_id"].astype(object), "date": pd.to_datetime(runs["date"]), "metric": "outage",
        "score": (-2 * (np.sqrt(usual + 0.375) - np.sqrt(0.375))).round(2), "dimension": span,
        "value": 0.0, "expected": usual, "material": True, "history": params.min_history,
        "system": SPECS["outage"].system})
    out["explanation"] = [f"no orders from {s.replace('–', ' to ')} local time, where about {e:.0f} are usual "
                          f"in those hours of this weekday" for s, e in zip(span, usual)]
    return out


def detect_fees(fees: pd.DataFrame, end=None, params=bl.DEFAULT) -> pd.DataFrame:
    """Fee rate per payment channel, chain-wide (shop_id null) and per store, against the
    channel's own fitted price (percentage + fixed fee per transaction)."""
    if fees is None or fees.empty:
        return _empty()
    chain = fees.groupby(["date", "channel_id"], as_index=False)[["trades", "amount_cents", "fee_cents"]].sum()
    both = pd.concat([chain.assign(shop_id=CHAIN), fees], ignore_index=True)
    w = wide(both, ["shop_id", "channel_id"], ["trades", "amount_cents", "fee_cents"], end, fill=None)
    b = bl.pricing_baseline(w["amount_cents"], w["trades"], w["fee_cents"])
    # a store's own problem: it pays beyond its price while the chain on that channel does not
    resid = b.extra["resid"]
    shops = resid.columns.get_level_values(0)
    chain_z = pd.DataFrame(0.0, index=resid.index, columns=resid.columns)
    chain_r = pd.DataFrame(0.0, index=resid.index, columns=resid.columns)
    if CHAIN in shops:
        channels = resid.columns.get_level_values(1)
        for src, dst in ((b.z, chain_z), (resid, chain_r)):
            same = src.xs(CHAIN, axis=1, level=0).reindex(columns=channels).fillna(0.0)
            dst.loc[:, :] = same.to_numpy()
        chain_z.loc[:, shops == CHAIN] = 0.0
        chain_r.loc[:, shops == CHAIN] = 0.0
    material = (resid >= 0.0025) & (chain_z < INFO_Z) & (resid - chain_r >= 0.0025)
    return _rows("fee_rate", b, material,
                 lambda r: (f"{r.dimension} fees {r.value:.2%} of amount vs {r.expected:.2%} at its usual "
                            f"price ({(r.value - r.expected) * 100:+.2f} pp)"),
                 params.min_history, dimension=lambda ch: f"channel {ch:g}")


def detect_production(production: pd.DataFrame, end=None, params=bl.DEFAULT) -> pd.DataFrame:
    """Production time per store-day: impossible durations, and the p50/p95 against their usual.

    One row per store-day (metric `production_time`) carrying the strongest of the signals."""
    w = wide(production, ["shop_id"], ["n", "impossible"], end)
    if not w:
        return _empty()
    pct = wide(production, ["shop_id"], ["p50", "p95"], end, fill=None)
    busy = w["n"] >= 10
    imp = bl.rate_baseline(w["impossible"], w["n"], _chain_rate(w, "impossible", "n"))
    p95 = bl.level_baseline(pct["p95"].where(busy), rel_floor=0.08, params=params)
    p50 = bl.level_baseline(pct["p50"].where(busy), rel_floor=0.06, params=params)
    z = np.fmax(np.fmax(imp.z, p95.z), p50.z)
    events = imp.extra["events"]
    # impossible durations need no history: they are wrong on a store's first day too
    history = imp.history.where(events < 2, params.min_history)
    b = bl.Baseline(p95.value, p95.expected, z, history)
    mat = ((events >= 2) | ((events >= 1) & (imp.value >= 0.25))
           | ((p95.value >= 1.5 * p95.expected) & (p50.value >= 1.3 * p50.expected)))

    def explain(r) -> str:
        bits = []
        if r.imp_n >= 1:
            bits.append(f"{r.imp_n:.0f} of {r.n:.0f} productions with impossible durations "
                        f"(done before accepted or open over 2 hours; about {r.imp_exp:.1f} usual)")
        if np.isfinite(r.value) and np.isfinite(r.expected):
            bits.append(f"p95 {r.value:.0f}s vs {r.expected:.0f}s usual")
        if np.isfinite(r.p50) and np.isfinite(r.p50_exp):
            bits.append(f"p50 {r.p50:.0f}s vs {r.p50_exp:.0f}s")
        return "; ".join(bits) or "production times unusual"
    return _rows("production_time", b, mat, explain, params.min_history,
                 extra={"imp_n": events, "imp_exp": imp.expected * w["n"], "n": w["n"],
                        "p50": p50.value, "p50_exp": p50.expected})


def detect_devices(devices: pd.DataFrame, end=None, params=bl.DEFAULT) -> pd.DataFrame:
    """Cups per hour of machine time per device (3600 / median cycle seconds): a slowing machine."""
    w = wide(devices, ["shop_id", "device_no"], ["cups", "cycle_s"], end, fill=None)
    if not w:
        return _empty()
    cph = (3600.0 / w["cycle_s"]).where(w["cups"] >= 10)
    b = bl.level_baseline(cph, rel_floor=0.05, params=params)
    return _rows("cups_per_hour", b, b.value <= 0.75 * b.expected,
                 lambda r: f"{r.dimension} makes {r.value:.0f} cups/hour of machine time vs {r.expected:.0f} usual",
                 params.min_history, dimension=lambda d: f"device {d}")


def detect_usage(usage: pd.DataFrame, end=None, params=bl.DEFAULT) -> pd.DataFrame:
    """Inventory consumption against what sales imply through recipes (actual / theoretical).

    The ratio is physical (recipes x sales), so a store too young for its own baseline is
    judged against the chain's usual ratio instead of not at all."""
    if usage is None or usage.empty:
        return _empty()
    u = usage.assign(ratio=(usage["consumed"] / usage["implied"]).clip(upper=3.0), goods=1)
    w = wide(u, ["shop_id"], ["ratio", "goods"], end, fill=None)
    # every goods counts once whatever its unit (ml of milk, cups, lids)
    ratio = w["ratio"] / w["goods"]
    b = bl.level_baseline(ratio, rel_floor=0.01, abs_floor=0.005, params=params)
    chain = w["ratio"].sum(axis=1) / w["goods"].sum(axis=1).where(w["goods"].sum(axis=1) > 0)
    chain_exp = chain.shift(1).rolling(28, min_periods=3).median()
    young = (b.history < params.min_history) & ratio.notna()
    young = young.mul(chain_exp.notna(), axis=0).astype(bool)
    exp_young = pd.DataFrame(np.broadcast_to(chain_exp.to_numpy()[:, None], ratio.shape),
                             index=ratio.index, columns=ratio.columns)
    b.expected = b.expected.where(~young, exp_young)
    b.z = b.z.where(~young, (ratio - exp_young) / np.maximum(0.01 * exp_young, 0.005))
    b.history = b.history.where(~young, params.min_history)
    return _rows("inventory_shrink", b, (b.value - b.expected) >= 0.04,
                 lambda r: (f"stock consumed is {r.value:.0%} of what sales imply through recipes "
                            f"(average over {r.goods:.0f} goods) vs {r.expected:.0%} usual"),
                 params.min_history, extra={"goods": w["goods"]})


def detect_registrations(regs: pd.DataFrame, end=None, params=bl.DEFAULT) -> pd.DataFrame:
    """New registrations chain-wide (a sign-up flow broken, or a campaign that landed)."""
    if regs is None or regs.empty:
        return _empty()
    w = wide(regs.assign(shop_id=CHAIN), ["shop_id"], ["users"], end)
    b = bl.count_baseline(w["users"], params)
    return _rows("registrations", b, (b.value <= 0.4 * b.expected) & (b.expected - b.value >= 10),
                 lambda r: f"{r.value:.0f} new registrations vs about {r.expected:.0f} expected",
                 params.min_history)


def classify(rows: pd.DataFrame, sensitivity: dict | None = None) -> pd.DataFrame:
    """Severity from score, direction and materiality; sensitivity factors raise the bar."""
    if rows.empty:
        return rows.assign(severity=pd.Series(dtype=str))
    sens = sensitivity or {}
    out = rows.copy()
    direction = out["metric"].map(lambda m: SPECS[m].direction)
    harmful = out["score"] * direction
    factor = [sens.get((None if pd.isna(s) else int(s), m), 1.0) for s, m in zip(out["shop_id"], out["metric"])]
    factor = np.asarray(factor, dtype=float)
    warn = out["metric"].map(lambda m: SPECS[m].warn).to_numpy() * factor
    crit = out["metric"].map(lambda m: SPECS[m].crit).to_numpy() * factor
    material = out["material"].astype(bool).to_numpy()
    sev = np.where(material & (harmful >= crit), "Critical",
                   np.where(material & (harmful >= warn), "Warning", "Info"))
    keep = (sev != "Info") | (out["score"].abs() >= INFO_Z)
    out = out.assign(severity=sev, sensitivity=factor)[keep]
    return out


def demote_followers(anoms: pd.DataFrame) -> pd.DataFrame:
    """Revenue or basket size that only follows an orders collapse is context (Info), not a
    second alarm. (A store's fee rate is already judged beyond the chain's, in detect_fees.)"""
    if anoms.empty:
        return anoms
    out = anoms.copy()
    key = out["shop_id"].astype("string").fillna("chain") + "|" + out["date"].astype(str)
    flagged = out["severity"] != "Info"
    orders_days = set(key[(out["metric"] == "orders") & flagged])
    follow = (out["metric"].isin(["revenue", "aov", "outage"])) & key.isin(orders_days) & flagged
    out.loc[follow, "severity"] = "Info"
    out.loc[follow, "explanation"] += "; part of the day's orders drop"
    return out


def detect(inputs: dict[str, pd.DataFrame], end=None, sensitivity: dict | None = None,
           params: bl.BaselineParams = bl.DEFAULT) -> pd.DataFrame:
    """Every anomaly of every metric, classified and sorted by severity then score."""
    parts = [
        detect_orders(inputs.get("orders"), end, params),
        detect_outages(inputs["hour_profiles"] if "hour_profiles" in inputs
                       else hour_profiles(inputs.get("hours"), end), params),
        detect_fees(inputs.get("fees"), end, params),
        detect_production(inputs.get("production"), end, params),
        detect_devices(inputs.get("devices"), end, params),
        detect_usage(inputs.get("usage"), end, params),
        detect_registrations(inputs.get("registrations"), end, params),
    ]
    rows = pd.concat([p for p in parts if not p.empty] or [_empty()], ignore_index=True)
    if rows.empty:
        return rows.assign(severity=pd.Series(dtype=str))[COLUMNS]
    rows["date"] = pd.to_datetime(rows["date"]).dt.date
    out = demote_followers(classify(rows, sensitivity))
    direction = out["metric"].map(lambda m: SPECS[m].direction)
    out["score"] = (out["score"] * direction).round(2)   # positive = in the harmful direction
    out["shop_id"] = out["shop_id"].astype("Int64")
    out["rank"] = out["severity"].map(SEVERITY_RANK)
    out = out.sort_values(["rank", "score", "date"], ascending=[True, False, False])
    return out.drop(columns=["rank", "material"]).reset_index(drop=True)


#: Root-cause rules, most specific first: (metrics that must all be present, suggestion, steps).
CAUSES: tuple[tuple[frozenset, str, str], ...] = (
    (frozenset({"cups_per_hour", "production_time", "orders"}),
     "a machine slowing down -> production time up -> orders down",
     "Check the flagged device's error log and schedule maintenance; move orders to another machine."),
    (frozenset({"cups_per_hour", "production_time"}),
     "a machine slowing down is stretching production times",
     "Check the flagged device's error log and schedule maintenance."),
    (frozenset({"production_time", "orders"}),
     "slow or broken production (impossible or long accept-to-done times) while orders fell",
     "Check the production tablet and the queue; confirm staffing for the day."),
    (frozenset({"refund_rate", "orders"}),
     "a service failure: orders fell and refunds spiked together",
     "Read the refund reasons and the store's incident log for the day."),
    (frozenset({"outage"}),
     "ordering stopped for part of the day: an app, POS or network outage, or the store closed for a while",
     "Check app, POS and network logs for the hours named; ask the store manager whether the store shut."),
    (frozenset({"orders"}),
     "the store closed early or ordering failed (app, POS or network outage)",
     "Confirm opening hours with the store manager and check app availability for the store."),
    (frozenset({"refund_rate"}),
     "a refund wave: a quality problem, a failed batch or refunds by one operator",
     "List the day's refunds by operator and product; check for repeated refunds to the same users."),
    (frozenset({"cancel_rate"}),
     "cancellations up: long waits or out-of-stock items",
     "Check stock-outs and production times for the day."),
    (frozenset({"fee_rate"}),
     "the payment processor's pricing changed on this channel",
     "Compare the channel's fees with the contract; raise it with the processor."),
    (frozenset({"production_time"}),
     "impossible or long production times: a clock or tablet-sync fault, or a stuck queue",
     "Check the production tablet's clock and sync; review orders accepted but not finished."),
    (frozenset({"inventory_shrink"}),
     "stock consumed beyond what sales imply: unlogged waste, theft or a wrong recipe",
     "Do a stock count of the top goods and compare the waste log with the recipes."),
    (frozenset({"cups_per_hour"}),
     "a machine is slowing down",
     "Check the device's error log and schedule maintenance."),
    (frozenset({"aov"}), "basket size changed: a pricing or discount error",
     "Check the day's coupons and price changes."),
    (frozenset({"revenue"}), "revenue fell", "Compare orders and basket size for the day."),
    (frozenset({"registrations"}), "sign-ups changed: the registration flow or a campaign",
     "Check the app's sign-up funnel and the day's campaigns."),
)


def root_cause(metrics: set[str], lead: str | None = None) -> tuple[str, str]:
    """The most specific rule whose metrics are all present and that explains `lead` (the
    incident's worst metric) if any does: (suggestion, investigation steps). Without the lead
    rule, a weak side signal (a fee blip) could name the cause of a production failure."""
    matching = [(cause, steps, needed) for needed, cause, steps in CAUSES if needed <= metrics]
    for cause, steps, needed in matching:
        if lead is None or lead in needed:
            return cause, steps
    if matching:
        return matching[0][:2]
    return "unusual values", "Review the metrics listed."


def incidents(anoms: pd.DataFrame) -> pd.DataFrame:
    """Group anomalies on the same store-day (chain-wide ones per day) into incidents.

    The incident's severity is its worst member's; Info members join an incident that has a
    Warning or Critical member (they are its context) but never make one on their own."""
    cols = ["incident", "shop_id", "date", "severity", "score", "metrics", "root_cause", "steps", "summary"]
    if anoms is None or anoms.empty:
        return pd.DataFrame(columns=cols)
    a = anoms.copy()
    a["key"] = a["shop_id"].astype("string").fillna("chain") + "|" + a["date"].astype(str)
    a["rank"] = a["severity"].map(SEVERITY_RANK)
    worst = a.groupby("key")["rank"].min()
    a = a[a["key"].map(worst) < SEVERITY_RANK["Info"]]
    # each store-day's members worst first (stable: as a sort within each group), store-days in
    # the order of their first member; then one pass over plain lists (hundreds of incidents)
    a = a.assign(_k=pd.factorize(a["key"])[0]).sort_values(["_k", "rank", "score"], ascending=[True, True, False],
                                                           kind="stable")
    keys, shop, day, rank = a["key"].tolist(), a["shop_id"].tolist(), a["date"].tolist(), a["rank"].tolist()
    score, metric, text = a["score"].tolist(), a["metric"].tolist(), a["explanation"].tolist()
    starts = [i for i in range(len(keys)) if i == 0 or keys[i] != keys[i - 1]] + [len(keys)]
    rows = []
    for lo, hi in zip(starts, starts[1:]):
        metrics = metric[lo:hi]
        flagged = {m for m, r in zip(metrics, rank[lo:hi]) if r < SEVERITY_RANK["Info"]}
        cause, steps = root_cause(set(metrics) if flagged else flagged, metrics[0])
        rows.append({
            "incident": keys[lo], "shop_id": shop[lo], "date": day[lo],
            "severity": SEVERITIES[int(min(rank[lo:hi]))], "score": float(max(score[lo:hi])),
            "metrics": ", ".join(dict.fromkeys(metrics)), "root_cause": cause, "steps": steps,
            "summary": "; ".join(f"{m}: {e}" for m, e in zip(metrics, text[lo:hi])),
        })
    out = pd.DataFrame(rows, columns=cols)
    out["shop_id"] = out["shop_id"].astype("Int64")
    rank = out["severity"].map(SEVERITY_RANK)
    return out.assign(_r=rank).sort_values(["_r", "score"], ascending=[True, False]).drop(columns="_r").reset_index(drop=True)
