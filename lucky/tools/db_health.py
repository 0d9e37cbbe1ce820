"""Tool 1, Database Health Monitor: fleet heatmap, server detail, alert timeline, capacity.

Reads only Lucky's state store, which `python -m lucky collect` fills; `collect_now=True` (the
page's button) runs one collector cycle first. Instances never reached say so, with the reason.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import InputError
from lucky.monitor import capacity, collector, fleet, store
from lucky.monitor import inventory as fleet_inventory

HEALTH_COLOURS = alt.Scale(domain=["ok", "warning", "critical", "down", "unknown"],
                           range=["#2e7d32", "#f9a825", "#e65100", "#c62828", "#9e9e9e"])
#: Metrics shown as trends in the server detail, per kind.
TRENDS = {
    "mysql": ["connections_pct", "threads_running", "qps", "slow_per_min", "processes_active",
              "replica_lag_s"],
    "postgres": ["connections_pct", "connections_active", "commits_per_s", "rollback_ratio",
                 "cache_hit_ratio", "longest_transaction_s", "deadlocks_per_min"],
    "redis": ["memory_pct", "used_memory", "ops_per_s", "hit_ratio", "connected_clients",
              "evictions_per_s", "keys"],
}
HEATMAP_COLUMNS = 12


def heatmap(df: pd.DataFrame) -> alt.LayerChart:
    """All instances as tiles in a grid, worst first, coloured by health; hover for the reason."""
    order = df["health"].map(fleet.HEALTH_ORDER)
    tiles = df.assign(_order=order).sort_values(["_order", "name"]).reset_index(drop=True)
    tiles["col"] = tiles.index % HEATMAP_COLUMNS
    tiles["row"] = tiles.index // HEATMAP_COLUMNS
    tiles["short"] = tiles["name"].str.replace("aws-luckyus-", "").str.replace("luckyus-", "").str[:12]
    tiles = tiles[["name", "short", "kind", "service", "status", "health", "reason", "col", "row"]]
    rows = int(tiles["row"].max()) + 1 if len(tiles) else 1
    base = alt.Chart(tiles).encode(
        x=alt.X("col:O", axis=None, scale=alt.Scale(domain=list(range(HEATMAP_COLUMNS)))),
        y=alt.Y("row:O", axis=None))
    rect = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("health:N", scale=HEALTH_COLOURS, legend=alt.Legend(title="Health")),
        tooltip=["name", "kind", "service", "status", "health", "reason"])
    text = base.mark_text(fontSize=9, color="white").encode(text="short:N")
    # the height includes the title (Streamlit autosizes to fit): leave it room above the tiles
    return (rect + text).properties(height=max(48 * rows + 60, 200), title="Fleet health (worst first)")


def trend_chart(hist: pd.DataFrame, instance: str) -> alt.Chart:
    return alt.Chart(hist).mark_line(point=True).encode(
        x=alt.X("at:T", title="UTC"), y=alt.Y("value:Q", title=None),
        tooltip=["at:T", "metric", alt.Tooltip("value:Q", format=",.3f")],
    ).properties(height=120, width=320).facet(facet="metric:N", columns=3).resolve_scale(
        y="independent").properties(title=f"{instance}: trends")


def timeline_chart(alerts: pd.DataFrame, now: datetime) -> alt.Chart:
    """Gantt of alerts: pending from pending_since, firing from opened_at, until resolved or now."""
    bars = alerts.assign(start=alerts["opened_at"].fillna(alerts["pending_since"]),
                         end=alerts["resolved_at"].fillna(now),
                         what=alerts["instance"] + " " + alerts["rule"] + " " + alerts["subject"].fillna(""))
    return alt.Chart(bars).mark_bar().encode(
        x=alt.X("start:T", title="UTC"), x2="end:T", y=alt.Y("what:N", title=None, sort="-x"),
        color=alt.Color("state:N", scale=alt.Scale(domain=["pending", "firing", "resolved"],
                                                   range=["#f9a825", "#c62828", "#9e9e9e"])),
        tooltip=["instance", "rule", "subject", "state", "severity", "message", "start:T", "end:T"],
    ).properties(title="Alert timeline")


def _detail(out: Output, inv: fleet_inventory.Inventory, name: str, now: datetime, hours: float) -> None:
    """Server detail: trends, activity, statement digests (query-level drill-down), tables."""
    inst = inv.by_name()[name]
    since = now - timedelta(hours=hours)
    hist = store.metric_history([name], since, TRENDS[inst.kind])
    out.tables["metrics"] = hist
    if not hist.empty:
        out.charts["trends"] = trend_chart(hist, name)
    out.tables["activity"] = store.latest_rows(store.activity, name).drop(columns=["instance"])
    out.tables["statements"] = store.statement_window(name, since).assign(
        avg_ms=lambda d: 1000 * d["total_s"] / d["calls"].where(d["calls"] > 0))
    out.tables["tables"] = store.latest_rows(store.table_sizes, name).drop(columns=["instance"])

FLEET_OPTIONS = (
    Option("inventory", str, None, "fleet inventory file (default LUCKY_INVENTORY, else inventories/local.toml)"),
    Option("instance", str, None, "the instance to show in detail (default: the most utilised)"),
    Option("hours", float, 24.0, "hours of history in the trends", range=(1.0, 24.0 * 90), step=1.0),
    Option("collect_now", bool, False, "poll the fleet before answering (else the collector's last poll)"),
    Option("now", datetime, None, "evaluate as of this UTC time (default: now)"),
)


def run(filters: Filters, viewer: Viewer, inventory: str | None = None, instance: str | None = None,
        hours: float = 24.0, collect_now: bool = False, now: datetime | None = None) -> Output:
    del filters, viewer     # fleet health has no store/date filter
    inv = fleet_inventory.load(inventory)
    out = Output()
    collected = fleet.ensure_collected(inv, force=collect_now)
    now = now or collector.utcnow()
    if collected:
        out.note("info", collected)
    df = fleet.instances(inv, now)
    values = fleet.latest_values(df["name"].tolist())
    keep = [c for c in ("connections_pct", "memory_pct", "qps", "ops_per_s", "uptime_s")
            if c in values.columns]
    df = df.merge(values[["name"] + keep], on="name", how="left") if keep else df
    out.tables["instances"] = df[["name", "kind", "status", "reason", "light", "health", "service",
                                  "environment", "last_poll", "last_up", "poll_s", *keep,
                                  "critical", "warning", "problems", "notes", "version"]]
    out.charts["heatmap"] = heatmap(df)
    counts = df["health"].value_counts()
    out.kpis += [Kpi("Instances", len(df)), Kpi("Up", int((df["status"] == "up").sum())),
                 Kpi("Down", int((df["status"] == "down").sum())),
                 Kpi("Critical", int(counts.get("critical", 0))),
                 Kpi("Warning", int(counts.get("warning", 0)))]
    if counts.get("unknown", 0):
        out.kpis.append(Kpi("Not polled yet", int(counts["unknown"])))
    fleet.summarise(out.note, df[df["status"] == "down"], "error",
                    lambda row: f"{row['name']} is down: {row['reason']}")
    fleet.summarise(out.note, df[df["problems"] != ""], "warning",
                    lambda row: f"{row['name']} answered, but not everything could be read: {row['problems']}")
    alerts = store.alert_log(now - timedelta(hours=max(hours, 24 * 7)))
    out.tables["alerts"] = alerts
    if not alerts.empty:
        out.charts["alert_timeline"] = timeline_chart(alerts, now)
    out.tables["events"] = store.event_log(now - timedelta(days=30))
    out.tables["capacity_instances"] = capacity.instances(inv, now)
    out.tables["capacity_tables"] = capacity.tables(inv, now)
    if instance:
        if instance not in inv.by_name():
            raise InputError(f"no instance {instance!r} in {inv.path}")
        _detail(out, inv, instance, now, hours)
    return out


TOOL = Tool(
    slug="db-health", number=1, title="Database Health Monitor", department="IT / DevOps",
    roles=frozenset({"it"}), sources=(), run=run, options=FLEET_OPTIONS, icon=":material/monitor_heart:",
    description="Fleet heatmap of every MySQL, PostgreSQL and Redis instance, server detail with "
                "query-level drill-down, alert timeline and 30/60/90-day capacity.")
