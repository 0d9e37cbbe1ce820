"""Tool 24, AI-Powered Anomaly Detection: the company-wide anomaly feed.

Tables: `anomalies` (shop_id, date (store-local), metric, severity, score, explanation, then
context: shop_name, dimension, value, expected, system, sensitivity, status, by, at),
`incidents` (anomalies on one store-day grouped, with a root-cause suggestion and steps) and
`hourly` (the last day of the range hour by hour per store against the usual for that
weekday-hour, `lucky.models.intraday`).
`score` is a robust z-score in the metric's harmful direction; see `lucky.models.anomaly` for
the severity rules and `lucky.anomaly.feedback` for how dismissals lower sensitivity.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from lucky.anomaly import scan
from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import intraday
from lucky.models import shops as real_shops
from lucky.models.anomaly import SEVERITY_RANK
from lucky.queries import shops as shop_q

ORDER = ["shop_id", "date", "metric", "severity", "score", "explanation", "shop_name", "dimension",
         "value", "expected", "system", "sensitivity", "status", "by", "at"]


def _chart(anoms: pd.DataFrame):
    flagged = anoms[anoms["severity"] != "Info"]
    if flagged.empty:
        return None
    per_day = flagged.groupby(["date", "severity"]).size().reset_index(name="anomalies")
    per_day["date"] = pd.to_datetime(per_day["date"])
    return alt.Chart(per_day).mark_bar().encode(
        x=alt.X("date:T", title="store-local day"), y=alt.Y("anomalies:Q", title="anomalies"),
        color=alt.Color("severity:N", scale=alt.Scale(domain=["Critical", "Warning"], range=["#c0392b", "#e67e22"])),
        tooltip=["date:T", "severity:N", "anomalies:Q"]).properties(height=180)


STATUS_COLOURS = alt.Scale(domain=["usual", "high", "low", "no orders", "no usual yet"],
                           range=["#9ec5a8", "#4a7fb0", "#e67e22", "#c0392b", "#d5d8dc"])


def _hour_charts(hourly: pd.DataFrame, day) -> dict:
    """The chain's hours against the usual, and every store's hours coloured by status."""
    if hourly.empty:
        return {}
    chain = intraday.chain(hourly)
    base = alt.Chart(chain).encode(x=alt.X("hour:O", title=f"local hour on {day}"))
    line = base.mark_bar(color="#4a7fb0", opacity=0.8).encode(
        y=alt.Y("orders:Q", title="orders, all stores"), tooltip=["hour:O", "orders:Q", alt.Tooltip("expected:Q", format=".0f")])
    usual = base.mark_line(color="#34495e", strokeDash=[4, 3], point=True).encode(y="expected:Q")
    grid = alt.Chart(hourly).mark_rect().encode(
        x=alt.X("hour:O", title="local hour"),
        y=alt.Y("shop_name:N", title=None, axis=alt.Axis(labelOverlap=False, labelLimit=220)),
        color=alt.Color("status:N", scale=STATUS_COLOURS, title="hour"),
        tooltip=["shop_name:N", "hour:O", "orders:Q", alt.Tooltip("expected:Q", format=".1f"), "status:N"])
    when = f"{pd.Timestamp(day):%a %b %d %Y}"
    return {f"hours of {when}: all stores against the usual (dashed)": (line + usual).properties(height=200),
            f"hours of {when} by store": grid.properties(height=alt.Step(22))}


def run(filters: Filters, viewer: Viewer, min_severity: str = "Info", include_dismissed: bool = True,
        all_currencies: bool = True, include_test: bool = False) -> Output:
    """Scan the filtered stores and days; `min_severity` hides weaker anomalies.

    The feed covers the real shops of every currency (`lucky.models.shops.is_real`; test and
    internal shops only with `include_test`, flagged) unless `all_currencies` is False, when
    only the filters' currency's real stores are scanned."""
    shop_df = shop_q.shops()
    filters = real_shops.scope(filters, shop_df, include_test)
    result = scan.run(filters.start, filters.end, filters.stores,
                      None if all_currencies else filters.currency)
    out = Output()
    for level, text in result.notes:
        out.note(level, text)
    anoms = result.anomalies
    anoms = anoms[anoms["severity"].map(SEVERITY_RANK) <= SEVERITY_RANK.get(min_severity, 2)]
    if not include_dismissed and "status" in anoms:
        anoms = anoms[anoms["status"] != "dismissed"]
    anoms = anoms[[c for c in ORDER if c in anoms.columns]].reset_index(drop=True)
    out.tables["anomalies"] = anoms
    out.tables["incidents"] = result.incidents
    counts = anoms["severity"].value_counts()
    days = (pd.Timestamp(result.end) - pd.Timestamp(result.start)).days + 1 if result.start else 0
    out.kpis = [
        Kpi("Critical", int(counts.get("Critical", 0)), help="robust score >= 8 and a material change"),
        Kpi("Warning", int(counts.get("Warning", 0)), help="robust score >= 5 and a material change"),
        Kpi("Info", int(counts.get("Info", 0)), help="weaker or secondary signals (context)"),
        Kpi("Incidents", len(result.incidents), help="store-days with a Warning or Critical anomaly"),
        Kpi("Warnings+ per day", round((counts.get("Critical", 0) + counts.get("Warning", 0)) / days, 2) if days else None,
            help="target: fewer than 5 a day across the chain"),
    ]
    if result.start is not None:
        out.note("info", f"Scanned {result.start} to {result.end} (store-local days) across "
                         f"{len(result.shops)} stores.")
        if anoms.empty:
            out.note("success", "No anomalies in this range.")
    chart = _chart(anoms)
    if chart is not None:
        out.charts["anomalies per day"] = chart
    hourly = _hourly(result)
    out.tables["hourly"] = hourly
    if result.end is not None:
        out.charts.update(_hour_charts(hourly, result.end))
    return real_shops.finish(out, shop_df, include_test)


def _hourly(result: scan.Scan) -> pd.DataFrame:
    profiles = result.inputs.get("hour_profiles")
    if result.end is None or profiles is None or profiles.empty:
        return pd.DataFrame(columns=["shop_name", *intraday.COLUMNS])
    prof = profiles[profiles["date"] == result.end].reset_index(drop=True)   # computed by the scan
    if result.trading is not None and not result.trading.empty:   # hours not yet lived are not empty
        today = pd.Timestamp(result.end)
        upto = prof["shop_id"].map(lambda s: result.horizon[s].hour if result.trading.get(s) == today else 23)
        prof = prof[prof["hour"] <= upto.astype(int)].reset_index(drop=True)
    names = result.shops.set_index("shop_id")["shop_name"]
    prof.insert(1, "shop_name", prof["shop_id"].map(names).astype(str))
    return prof


TOOL = Tool(
    slug="anomalies", number=24, title="AI-Powered Anomaly Detection", department="Company-wide",
    roles=frozenset({"finance", "operations", "supply_chain", "it", "product", "marketing", "store_manager"}),
    sources=scan.DATABASES,
    run=run, options=(
        Option("min_severity", str, "Info", "hide anomalies weaker than this", choices=("Info", "Warning", "Critical")),
        Option("include_dismissed", bool, True, "list anomalies someone dismissed (marked as such)"),
        Option("all_currencies", bool, True, "scan stores of every currency (real shops only unless include_test)"),
        real_shops.INCLUDE_TEST,
    ), icon=":material/crisis_alert:", precompute=True,
    description="Statistical anomalies per store-day with severity, root cause and acknowledge/dismiss.",
)
