"""Tool 3, Redis Cluster Intelligence Console: instances by memory use, then one instance in depth.

Per instance: memory by key prefix and TTL histogram from the SCAN sample (sample size always
shown), keys without TTL (exact per db from INFO keyspace, per prefix from the sample), biggest
keys, hot keys (OBJECT FREQ, LFU policies only), hit/miss trend and a right-sizing
recommendation from peak used memory against maxmemory. `scan_now=True` samples the chosen
instance at once (through the collector, so the result is stored like any other).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import InputError
from lucky.models.capacity import right_size
from lucky.monitor import collector, fleet, store
from lucky.monitor import inventory as fleet_inventory
from lucky.tools.db_health import FLEET_OPTIONS

GRID_METRICS = ["memory_pct", "used_memory", "used_memory_peak", "maxmemory", "keys",
                "keys_without_ttl", "hit_ratio", "ops_per_s", "connected_clients", "evictions_per_s"]


def grid(inv: fleet_inventory.Inventory, now: datetime, days: float) -> pd.DataFrame:
    """Redis instances sorted by memory utilisation (unlimited ones by used memory after them)."""
    redis = fleet_inventory.Inventory(inv.path, tuple(i for i in inv.instances if i.kind == "redis"))
    df = fleet.instances(redis, now)
    values = fleet.latest_values(df["name"].tolist())
    df = df.merge(values.reindex(columns=["name"] + GRID_METRICS), on="name", how="left")
    peaks = store.metric_history(df["name"].tolist(), now - timedelta(days=days), ["used_memory"])
    peak = peaks.groupby("instance")["value"].max() if not peaks.empty else pd.Series(dtype=float)
    df["peak_used_memory"] = df["name"].map(peak).combine_first(df["used_memory_peak"])
    sizing = [right_size(p, m or 0.0) if pd.notna(p) else {} for p, m in
              zip(df["peak_used_memory"], df["maxmemory"])]
    df["right_sizing"] = [s.get("verdict", "") for s in sizing]
    df["recommended_bytes"] = [s.get("recommended_bytes") for s in sizing]
    df["advice"] = [s.get("advice", "") for s in sizing]
    return df.sort_values(["memory_pct", "used_memory"], ascending=False, na_position="last")\
        .reset_index(drop=True)


def _scan_tables(out: Output, scan: dict, at: object) -> None:
    if not scan["total_keys"]:
        out.note("info", f"The keyspace was empty at the last key sample ({at} UTC).")
        return
    pct = 100 * scan["sampled"] / scan["total_keys"] if scan["total_keys"] else 100.0
    how = "the whole keyspace" if scan["complete"] else (
        "stopped by the time budget" if scan["budget_hit"] else "a bounded sample")
    out.note("info", f"Key analysis from a SCAN sample of {scan['sampled']:,} of {scan['total_keys']:,} keys "
                     f"({pct:.1f}%, {how}) in {scan['duration_s']:.2f} s at {at} UTC; "
                     "per-prefix keys and bytes are scaled by DBSIZE / sampled.")
    prefixes = pd.DataFrame(scan["prefixes"])
    out.tables["prefixes"] = prefixes
    out.tables["ttl"] = pd.DataFrame(scan["ttl"])
    out.tables["biggest_keys"] = pd.DataFrame(scan["biggest"])
    if scan["hot"]:
        out.tables["hot_keys"] = pd.DataFrame(scan["hot"])
    else:
        out.note("info", scan["hot_note"] or "No hot keys in the sample.")
    if not prefixes.empty:
        out.charts["memory_by_prefix"] = alt.Chart(prefixes.head(25)).mark_bar().encode(
            x=alt.X("est_bytes:Q", title="estimated bytes"), y=alt.Y("prefix:N", sort="-x", title=None),
            tooltip=["db", "prefix", "est_keys", "est_bytes", "no_ttl_est", "sampled", "types"],
        ).properties(title="Memory by key prefix (estimated)")
    out.charts["ttl_histogram"] = alt.Chart(out.tables["ttl"]).mark_bar().encode(
        x=alt.X("bucket:N", sort=None, title="TTL"), y=alt.Y("est_keys:Q", title="keys (estimated)"),
        tooltip=["bucket", "est_keys", "sampled"]).properties(title="TTL distribution")


def _detail(out: Output, inv: fleet_inventory.Inventory, name: str, now: datetime, hours: float) -> None:
    hist = store.metric_history([name], now - timedelta(hours=hours),
                                ["hit_ratio", "hits_per_s", "misses_per_s", "used_memory", "connected_clients"])
    out.tables["trend"] = hist
    if not hist.empty:
        out.charts["hit_miss"] = alt.Chart(hist[hist["metric"].isin(["hits_per_s", "misses_per_s"])])\
            .mark_line().encode(x=alt.X("at:T", title="UTC"), y=alt.Y("value:Q", title="per second"),
                                color="metric:N").properties(title=f"{name}: hits and misses")
    latest = store.latest_metrics([name]).get(name, (None, {}))[1]
    dbs = sorted({k.rsplit("_", 1)[0] for k in latest if k.startswith("db") and k.endswith("_keys")})
    out.tables["keyspace"] = pd.DataFrame(
        [{"db": d, "keys": latest[f"{d}_keys"], "expires": latest.get(f"{d}_expires", 0.0),
          "keys_without_ttl": latest[f"{d}_keys"] - latest.get(f"{d}_expires", 0.0)} for d in dbs],
        columns=["db", "keys", "expires", "keys_without_ttl"])
    scans = store.latest_rows(store.redis_scans, name)
    if scans.empty:
        out.note("info", f"No key sample for {name} yet: use Scan now, or wait for the collector's "
                         "slow cadence (tables_every).")
    else:
        _scan_tables(out, store.latest_scan(name), scans["at"].iloc[0])


def run(filters: Filters, viewer: Viewer, inventory: str | None = None, instance: str | None = None,
        hours: float = 24.0, scan_now: bool = False, collect_now: bool = False,
        now: datetime | None = None) -> Output:
    """`instance` defaults to the most utilised one."""
    del filters, viewer
    inv = fleet_inventory.load(inventory)
    out = Output()
    note = fleet.ensure_collected(inv, force=collect_now)
    if note:
        out.note("info", note)
    names = {i.name: i for i in inv.instances if i.kind == "redis"}
    if instance and instance not in names:
        raise InputError(f"no Redis instance {instance!r} in {inv.path}")
    if scan_now and instance:
        collector.collect_once(inv, slow=True, instances=[names[instance]])
    now = now or collector.utcnow()
    df = grid(inv, now, days=max(hours / 24, 7))
    out.tables["instances"] = df[["name", "status", "reason", "light", "memory_pct", "used_memory",
                                  "peak_used_memory", "maxmemory", "keys", "keys_without_ttl",
                                  "hit_ratio", "ops_per_s", "connected_clients", "evictions_per_s",
                                  "right_sizing", "recommended_bytes", "advice", "problems"]]
    up = df[df["status"] == "up"]
    out.kpis += [Kpi("Redis instances", len(df)), Kpi("Up", len(up)),
                 Kpi("Over 85% of maxmemory", int((up["memory_pct"] > 85).sum())),
                 Kpi("Without maxmemory", int((up["maxmemory"] == 0).sum())),
                 Kpi("Keys without TTL", float(up["keys_without_ttl"].sum()))]
    fleet.summarise(out.note, df[df["status"] != "up"], "error",
                    lambda row: f"{row['name']}: {row['status']} — {row['reason']}")
    chosen = instance or (up["name"].iloc[0] if len(up) else None)
    if chosen:
        out.note("info", f"Detail for {chosen}.")
        _detail(out, inv, chosen, now, hours)
    return out


TOOL = Tool(
    slug="redis-console", number=3, title="Redis Cluster Intelligence Console",
    department="IT / DevOps", roles=frozenset({"it"}), sources=(), run=run, options=FLEET_OPTIONS + (
        Option("scan_now", bool, False, "sample the instance's keyspace now (SCAN, bounded)"),), icon=":material/memory:",
    description="Redis instances by memory use; per instance memory by key prefix, TTL histogram, "
                "biggest and hot keys, hit/miss trend and right-sizing.")
