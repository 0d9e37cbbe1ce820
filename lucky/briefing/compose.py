"""Compose the briefing for one store-local day: five sections of figures, lines and tables.

Every number comes from the sources through `lucky.queries` and the anomaly scan; a section
whose data is missing says so in a line instead of showing a zero or a guess.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from lucky.anomaly import scan
from lucky.briefing.figures import Figure, fmt, fmt_change
from lucky.core import Filters, Viewer
from lucky.errors import LuckyError
from lucky.queries import metrics

SECTIONS = ("Revenue & Orders", "Operational Health", "Customer Metrics", "Alerts & Exceptions", "7-Day Outlook")
SLOW_DEVICE = 1.2   # last week's median cycle 20% above the device's first four weeks


@dataclass
class Section:
    title: str
    figures: list[Figure] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    link: str = ""       # the page slug for a deep dive (only a page the reader may open)
    links: tuple[str, ...] = ()   # candidate pages, best first; `build` keeps the first that exists


@dataclass
class Briefing:
    day: date
    currency: str
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)      # statements about the data itself
    narrative: str = ""
    narrative_source: str = "deterministic"
    narrative_note: str = ""
    in_progress: str = ""     # "" or why the day is not over yet (its figures are not judged)

    @property
    def has_data(self) -> bool:
        return bool(self.sections)

    def section(self, title: str) -> Section | None:
        return next((s for s in self.sections if s.title == title), None)

    def facts(self) -> str:
        """The fact sheet: every number the narrative may use, one line each."""
        out = [f"Briefing for {self.day:%A} {self.day:%Y-%m-%d} (store-local day), currency {self.currency}."]
        out += self.notes
        for s in self.sections:
            out.append(f"## {s.title}")
            out += [f.fact() for f in s.figures]
            out += s.lines
        return "\n".join(out)


# ---------------------------------------------------------------- helpers
def _daily(frame: pd.DataFrame, col: str, start, end, first=None) -> pd.Series:
    """A chain daily total on every day start..end (0 where nothing happened after `first`)."""
    idx = pd.date_range(start, end, freq="D")
    if frame is None or frame.empty:
        s = pd.Series(0.0, index=idx)
    else:
        s = frame.groupby(pd.to_datetime(frame["date"]))[col].sum().reindex(idx).fillna(0.0).astype(float)
    if first is not None:
        s = s[s.index >= pd.Timestamp(first)]
    return s


SAME_DAY_WEEKS = 4   # the average compares a day with the same weekday of the 4 weeks before


def _bench(s: pd.Series, day: pd.Timestamp) -> tuple[float | None, float | None, float | None]:
    """(today, same weekday last week, average of the same weekday over the 4 weeks before).

    Like with like: a Saturday against Saturdays, never against a weekday-heavy 30-day mean."""
    today = float(s[day]) if day in s.index else None
    week = float(s[day - pd.Timedelta(days=7)]) if (day - pd.Timedelta(days=7)) in s.index else None
    same = [day - pd.Timedelta(days=7 * k) for k in range(1, SAME_DAY_WEEKS + 1)]
    past = s.reindex([d for d in same if d in s.index]).dropna()
    return today, week, (float(past.mean()) if len(past) else None)


def _figure(label, s: pd.Series, day, unit="", decimals=0, good=1) -> Figure:
    today, week, avg = _bench(s, day)
    spark = [float(v) for v in s[s.index > day - pd.Timedelta(days=30)][:day].values]
    return Figure(label, today, unit, decimals, week, avg, good, spark)


# ---------------------------------------------------------------- sections
def revenue_section(day: pd.Timestamp, orders: pd.DataFrame, shops: pd.DataFrame, span: pd.DataFrame) -> Section:
    sec = Section("Revenue & Orders", links=("store-performance", "landscape"))
    first = span["first_day"].min()
    start = day - pd.Timedelta(days=30)
    n = _daily(orders, "orders", start, day, first)
    rev = _daily(orders, "revenue", start, day, first)
    aov = (rev / n.where(n > 0))
    sec.figures = [_figure("Orders", n, day), _figure("Revenue", rev, day, "$"),
                   _figure("Average order", aov, day, "$", 2)]
    if not n.get(day, 0):
        sec.lines.append(f"No completed orders were recorded on {day:%Y-%m-%d} in any store.")
    rows = []
    names = shops.set_index("shop_id")["shop_name"]
    o = orders.copy()
    o["date"] = pd.to_datetime(o["date"])
    for shop_id, first_day in span.set_index("shop_id")["first_day"].sort_index().items():
        if first_day > day:
            continue
        g = o[o["shop_id"] == shop_id].set_index("date")
        s = g["orders"].reindex(pd.date_range(max(start, first_day), day)).fillna(0.0)
        r = g["revenue"].reindex(s.index).fillna(0.0)
        today, week, avg = _bench(r, day)
        rows.append({"shop_id": int(shop_id), "store": names.get(shop_id, str(shop_id)),
                     "orders": int(s.get(day, 0)), "revenue": round(today or 0.0, 2),
                     "vs_last_week": None if week in (None, 0) else round((today or 0) / week - 1, 3),
                     "vs_same_day_avg": None if avg in (None, 0) else round((today or 0) / avg - 1, 3)})
        age = (day - first_day).days
        if age < 14:
            sec.lines.append(f"{names.get(shop_id, shop_id)} opened {age} day(s) before this day: its comparisons are not meaningful yet.")
        elif not s.get(day, 0):
            sec.lines.append(f"{names.get(shop_id, shop_id)} recorded no orders on {day:%Y-%m-%d}.")
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values("revenue", ascending=False).reset_index(drop=True)
        top = table.iloc[0]
        sec.lines.insert(0, f"Top store: {top['store']} with {fmt(top['revenue'], '$')} from {top['orders']:,} orders.")
        if len(table) > 1:
            movers = table.dropna(subset=["vs_last_week"])
            movers = movers[movers["orders"] > 0]
            if not movers.empty:
                worst = movers.sort_values("vs_last_week").iloc[0]
                if worst["vs_last_week"] < -0.1:
                    sec.lines.append(f"Biggest drop vs last week: {worst['store']} ({fmt_change(worst['vs_last_week'])}).")
    sec.table = table
    return sec


def operations_section(day: pd.Timestamp, inputs: dict, shops: pd.DataFrame, extras: dict) -> Section:
    sec = Section("Operational Health", links=("production-time", "anomalies"))
    prod = inputs.get("production")
    start = day - pd.Timedelta(days=30)
    if prod is not None and not prod.empty:
        p = prod.copy()
        p["date"] = pd.to_datetime(p["date"])
        p = p[p["date"] >= start]
        w50 = (p["p50"] * p["n"]).groupby(p["date"]).sum() / p.groupby("date")["n"].sum()
        w95 = (p["p95"] * p["n"]).groupby(p["date"]).sum() / p.groupby("date")["n"].sum()
        idx = pd.date_range(p["date"].min(), day)
        sec.figures += [_figure("Production time p50", w50.reindex(idx), day, "s", good=-1),
                        _figure("Production time p95", w95.reindex(idx), day, "s", good=-1)]
        bad = int(p.loc[p["date"] == day, "impossible"].sum())
        if bad:
            worst = p[p["date"] == day].sort_values("impossible", ascending=False).iloc[0]
            name = shops.set_index("shop_id")["shop_name"].get(worst["shop_id"], worst["shop_id"])
            sec.lines.append(f"{bad} productions had impossible durations (most at {name}).")
        if p[p["date"] == day].empty:
            sec.lines.append("No finished productions were recorded on this day.")
    else:
        sec.lines.append("No production data for this period.")
    try:
        dev = extras["devices"].result()
        if dev.empty:
            sec.lines.append("No machines are registered for these stores.")
        else:
            online = int((dev["status"] == 1).sum())
            sec.lines.append(f"Machines: {online} of {len(dev)} online now (current status; the fleet table keeps no history).")
    except LuckyError as exc:
        sec.lines.append(f"Machine status unavailable: {exc}")
    slow = slowing_devices(inputs.get("devices"), day)
    if slow:
        sec.lines.append(f"{len(slow)} machine(s) slowing: " + ", ".join(
            f"{d} (cycle {r:+.0%} vs ten weeks ago)" for d, r in slow[:5]) + ".")
    try:
        stock = extras["stock"].result()
        if stock.empty:
            sec.lines.append("No stock positions recorded on or before this day.")
        else:
            out = stock[stock["stock_qty"].astype(float) <= 0]
            low = stock[(stock["stock_qty"].astype(float) > 0) & (stock["stock_qty"].astype(float) < stock["safety_qty"].astype(float))]
            when = pd.Timestamp(stock["stock_date"].iloc[0])
            sec.lines.append(f"Stock-outs: {len(out)} goods out of stock and {len(low)} below safety stock "
                             f"(positions of {when:%Y-%m-%d}).")
            if len(out):
                sec.lines.append("Out of stock: " + ", ".join(sorted(set(out["goods_name"].astype(str)))[:5]) + ".")
    except LuckyError as exc:
        sec.lines.append(f"Stock positions unavailable: {exc}")
    return sec


def slowing_devices(devices: pd.DataFrame | None, day: pd.Timestamp) -> list[tuple[str, float]]:
    """Machines whose mean cycle over the last 7 days is 20%+ above their first four weeks in
    the window read (about ten weeks back)."""
    if devices is None or devices.empty:
        return []
    d = devices.assign(date=pd.to_datetime(devices["date"]))
    d = d[d["date"] <= day]
    first = d.groupby("device_no")["date"].transform("min")
    early = d[d["date"] < first + pd.Timedelta(days=28)].groupby("device_no")["cycle_s"].median()
    late = d[d["date"] > day - pd.Timedelta(days=7)].groupby("device_no")["cycle_s"].median()
    days = d.groupby("device_no")["date"].nunique()
    ratio = (late / early).dropna()
    ratio = ratio[(ratio >= SLOW_DEVICE) & (days.reindex(ratio.index) >= 35)]
    return [(str(k), float(v - 1)) for k, v in ratio.sort_values(ascending=False).items()]


def customers_section(day: pd.Timestamp, inputs: dict, first, extras: dict) -> Section:
    sec = Section("Customer Metrics", links=("customer-360",))
    start = day - pd.Timedelta(days=30)
    regs = inputs.get("registrations")
    sec.figures.append(_figure("New registrations", _daily(regs, "users", start, day, first), day))
    for label, key, col in (("Active customers", "active", "active_users"), ("Coupons redeemed", "coupons", "used")):
        try:
            sec.figures.append(_figure(label, _daily(extras[key].result(), col, start, day, first), day))
        except LuckyError as exc:
            sec.lines.append(f"{label} unavailable: {exc}")
    return sec


def alerts_section(day: pd.Timestamp, result: scan.Scan, extras: dict) -> Section:
    sec = Section("Alerts & Exceptions", links=("anomalies",))
    inc = result.incidents
    inc = inc[pd.to_datetime(inc["date"]) == day] if not inc.empty else inc
    if inc.empty:
        sec.lines.append("No Warning or Critical anomalies on this day.")
    else:
        crit = int((inc["severity"] == "Critical").sum())
        sec.lines.append(f"{len(inc)} incident(s), {crit} critical:")
        for r in inc.head(6).itertuples():
            sec.lines.append(f"{r.severity}: {r.shop_name}: {r.root_cause} ({r.metrics}).")
    sec.lines += extras["exceptions"].result()
    sec.table = inc.reset_index(drop=True) if not inc.empty else None
    return sec


def exception_lines(day: pd.Timestamp, currency: str, stores: tuple[int, ...], viewer: Viewer) -> list[str]:
    """Reconciliation and tax exceptions of the day, through the tools, as `viewer` may see them:
    a tool the viewer may not open adds nothing, and the stores filter carries over."""
    from lucky.tools import execute, registry

    lines = []
    for slug, label in (("reconciliation", "Reconciliation"), ("tax-gap", "Tax")):
        tool = registry().get(slug)
        if tool is None or not tool.allows(viewer):
            continue
        try:
            out = execute(slug, Filters(start=day.date(), end=day.date(), stores=stores, currency=currency), viewer)
        except Exception as exc:  # noqa: BLE001 - another tool's failure must not sink the briefing
            lines.append(f"{label} check could not run: {exc}")
            continue
        exc_table = out.tables.get("exceptions")
        if exc_table is None:
            continue
        if exc_table.empty:
            lines.append(f"{label}: no exceptions.")
        else:
            kinds = exc_table["kind"].value_counts() if "kind" in exc_table else pd.Series({"exceptions": len(exc_table)})
            lines.append(f"{label}: {len(exc_table)} exception(s) (" + ", ".join(f"{k} {v}" for k, v in kinds.items()) + ").")
    return lines


def outlook_section(day: pd.Timestamp, orders: pd.DataFrame, extras: dict) -> Section:
    sec = Section("7-Day Outlook", links=("forecast-accuracy",))
    try:
        pred = extras["predictions"].result()
    except LuckyError as exc:
        sec.lines.append(f"Demand predictions unavailable: {exc}")
        return sec
    if pred.empty:
        sec.lines.append("No demand predictions exist for the next 7 days.")
        return sec
    per_day = pred.groupby("date")["pred_orders"].sum()
    last = _daily(orders, "orders", day - pd.Timedelta(days=6), day)
    total, actual = float(per_day.sum()), float(last.sum())
    sec.figures.append(Figure("Predicted orders, next 7 days", total, week=actual if actual else None,
                              spark=[float(v) for v in per_day.values]))
    peak = per_day.idxmax()
    sec.lines.append(f"Busiest predicted day: {peak:%A} {peak:%Y-%m-%d} with {fmt(per_day.max())} orders.")
    if len(per_day) < 7:
        sec.lines.append(f"Predictions cover {len(per_day)} of the next 7 days.")
    sec.table = per_day.rename("predicted_orders").reset_index().rename(columns={"index": "date"})
    return sec


def build(day: date, viewer: Viewer, currency: str = "USD", stores: tuple[int, ...] = ()) -> Briefing:
    """The briefing for one store-local day as `viewer` may see it; outside the data it holds only
    the statement."""
    day = pd.Timestamp(day).normalize()
    brief = Briefing(day.date(), currency)
    start = day - pd.Timedelta(days=30)
    with ThreadPoolExecutor(max_workers=3) as pool:   # independent reads, one database each
        # what does not need the scan's stores starts first and runs beside the scan
        extras = {"exceptions": pool.submit(exception_lines, day, currency, stores, viewer),
                  "coupons": pool.submit(metrics.coupons_daily, start, day)}
        result = scan.run(day.date(), day.date(), stores, currency)   # the currency's real stores
        if result.start is None:   # before the data, after it, or no stores
            brief.notes = [t for _, t in result.notes]
            return brief
        brief.notes = [t for _, t in result.notes if "not scanned" not in t]
        shops, inputs, span = result.shops, result.inputs, result.span   # the scan read the span already
        first = span["first_day"].min()
        orders = inputs["orders"]
        extras.update({
            "devices": pool.submit(metrics.device_status, shops),
            "stock": pool.submit(metrics.stock_position, shops, day),
            "active": pool.submit(metrics.active_users, shops, start, day),
            "predictions": pool.submit(metrics.order_predictions, shops, day + pd.Timedelta(days=1),
                                       day + pd.Timedelta(days=7)),
        })
        brief.sections = [
            revenue_section(day, orders, shops, span),
            operations_section(day, inputs, shops, extras),
            customers_section(day, inputs, first, extras),
            alerts_section(day, result, extras),
            outlook_section(day, orders, extras),
        ]
    for sec in brief.sections:
        sec.link = deep_link(sec.links, viewer)
    brief.in_progress = day_in_progress(result, day)
    if brief.in_progress:
        brief.notes.insert(0, brief.in_progress)
        for sec in brief.sections:
            for fig in sec.figures:
                fig.judged = False
    return brief


def deep_link(candidates: tuple[str, ...], viewer: Viewer) -> str:
    """The first candidate page that exists (every registered tool has one: its own file or the
    generic page) and that the reader's role may open; '' when none does (no link then)."""
    from lucky import tools

    for slug in candidates:
        tool = tools.registry().get(slug)
        if tool is not None and tool.allows(viewer):
            return slug
    return ""


def day_in_progress(result: scan.Scan, day: pd.Timestamp) -> str:
    """A sentence when some store's `day` was still trading when the data ends, else ''."""
    trading, horizon = result.trading, result.horizon
    if trading is None or trading.empty or horizon is None:
        return ""
    open_now = [s for s, d in trading.items() if pd.Timestamp(d).normalize() == day]
    if not open_now:
        return ""
    latest = max(horizon[s] for s in open_now if s in horizon.index)
    return (f"{day:%A %Y-%m-%d} is still in progress ({len(open_now)} store(s) trading; data to "
            f"{latest:%H:%M} local time): its figures are partial and not judged against other days.")
