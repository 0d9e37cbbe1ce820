"""Capacity from the metric store: per-table and per-instance growth and days until a limit.

Per table the limits are the AUTO_INCREMENT column type's maximum (ids run out before disks do)
and, for size, the instance's `capacity_gb` from the inventory; per instance, data size against
`capacity_gb` (MySQL, PostgreSQL) and used_memory against maxmemory (Redis). The math is in
`lucky.models.capacity`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from lucky.models import capacity as model
from lucky.monitor import store
from lucky.monitor.inventory import Inventory


def tables(inv: Inventory, now: datetime, days: int = 30) -> pd.DataFrame:
    """Per-table size trend and AUTO_INCREMENT runway over the last `days` days."""
    hist = store.table_history(now - timedelta(days=days), [i.name for i in inv.instances])
    if hist.empty:
        return pd.DataFrame()
    cap = {i.name: i.capacity_gb * 2**30 for i in inv.instances if i.capacity_gb}
    hist["capacity"] = hist["instance"].map(cap)
    keys = ["instance", "database", "table"]
    size = model.project(hist, keys, "bytes", "capacity")
    ai = model.project(hist.dropna(subset=["auto_increment"]), keys, "auto_increment",
                       "auto_increment_max")[keys + ["current", "limit", "days_until_limit"]]
    ai.columns = keys + ["auto_increment", "auto_increment_max", "days_until_ids_run_out"]
    out = size.merge(ai, on=keys, how="left").rename(columns={
        "current": "bytes", "limit": "capacity_bytes", "days_until_limit": "days_until_full"})
    out["auto_increment_pct"] = 100 * out["auto_increment"] / out["auto_increment_max"]
    return out.sort_values("growth_pct_week", ascending=False, na_position="last").reset_index(drop=True)


def instances(inv: Inventory, now: datetime, days: int = 30) -> pd.DataFrame:
    """Per-instance data size (SQL) or used memory (Redis) trend and days until the limit."""
    names = [i.name for i in inv.instances]
    hist = store.metric_history(names, now - timedelta(days=days),
                                ["data_bytes", "used_memory", "maxmemory"])
    if hist.empty:
        return pd.DataFrame()
    wide = hist.pivot_table(index=["instance", "at"], columns="metric", values="value").reset_index()
    kinds = {i.name: i.kind for i in inv.instances}
    cap = {i.name: i.capacity_gb * 2**30 for i in inv.instances if i.capacity_gb}
    frames = []
    if "used_memory" in wide:
        redis = wide[wide["instance"].map(kinds) == "redis"].dropna(subset=["used_memory"]).copy()
        redis["value"] = redis["used_memory"]
        mm = redis["maxmemory"] if "maxmemory" in redis else pd.Series(0.0, index=redis.index)
        redis["limit"] = mm.where(mm > 0)
        redis["measure"] = "used_memory"
        frames.append(redis)
    if "data_bytes" in wide:
        sql = wide[wide["instance"].map(kinds) != "redis"].dropna(subset=["data_bytes"]).copy()
        sql["value"] = sql["data_bytes"]
        sql["limit"] = sql["instance"].map(cap)
        sql["measure"] = "data_bytes"
        frames.append(sql)
    if not frames:
        return pd.DataFrame()
    both = pd.concat(frames, ignore_index=True)[["instance", "measure", "at", "value", "limit"]]
    out = model.project(both, ["instance", "measure"], "value", "limit")
    return out.rename(columns={"limit": "limit_bytes"})
