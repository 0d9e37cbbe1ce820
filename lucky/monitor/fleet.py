"""The fleet as the tools see it: inventory joined with the last poll, health and traffic light.

Shared by db-health and redis-console so both classify an instance the same way. Reads only the
state store; `ensure_collected` runs one cycle when the store has never seen this inventory
(first run of the demo), so a fresh checkout shows something real rather than an empty grid.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd

from lucky.monitor import collector, store
from lucky.monitor.inventory import Inventory

LIGHTS = {"ok": "🟢", "warning": "🟡", "critical": "🔴", "down": "🔴", "unknown": "⚪"}
HEALTH_ORDER = {"down": 0, "critical": 1, "warning": 2, "unknown": 3, "ok": 4}


def ensure_collected(inv: Inventory, force: bool = False) -> str | None:
    """Collect once if forced or if no instance of the inventory was ever polled."""
    names = [i.name for i in inv.instances]
    if not force and not store.latest_polls(names).empty:
        return None
    result = collector.collect_once(inv)
    up = sum(r.status == "up" for r in result.readings)
    return f"Collected {len(result.readings)} instances just now ({up} up) in {result.duration_s:.1f} s."


def _health(row: pd.Series) -> str:
    if row["status"] == "down":
        return "down"
    if row["status"] != "up":
        return "unknown"
    if row["critical"] > 0:
        return "critical"
    return "warning" if row["warning"] > 0 else "ok"


def instances(inv: Inventory, now: datetime) -> pd.DataFrame:
    """One row per inventory instance: status, reason, health, light, firing alerts, last poll."""
    names = [i.name for i in inv.instances]
    base = pd.DataFrame([{"name": i.name, "kind": i.kind, "service": i.service,
                          "environment": i.environment} for i in inv.instances])
    polls = store.latest_polls(names).rename(columns={"instance": "name"})
    cols = ["name", "status", "reason", "at", "last_up", "duration_s", "version", "problems", "notes"]
    df = base.merge(polls[cols] if not polls.empty else pd.DataFrame(columns=cols), on="name", how="left")
    never = df["status"].isna()
    df.loc[never, "status"] = "unknown"
    df.loc[never, "reason"] = "never polled: run `python -m lucky collect` (or Collect now)"
    reached = df["last_up"].notna()
    df.loc[(df["status"] == "down") & ~reached, "reason"] = (
        "never reached: " + df.loc[(df["status"] == "down") & ~reached, "reason"].astype(str))
    df["problems"] = df["problems"].map(lambda p: "; ".join(json.loads(p)) if isinstance(p, str) else "")
    df["notes"] = df["notes"].map(lambda p: "; ".join(json.loads(p)) if isinstance(p, str) else "")
    firing = store.alert_log(now - timedelta(days=1))
    firing = firing[firing["state"] == "firing"] if not firing.empty else firing
    for sev in ("critical", "warning"):
        counts = firing[firing["severity"] == sev].groupby("instance").size() if not firing.empty else {}
        df[sev] = df["name"].map(counts).fillna(0).astype(int) if len(firing) else 0
    df["health"] = df.apply(_health, axis=1)
    df["light"] = df["health"].map(LIGHTS)
    df["reason"] = df["reason"].fillna("")
    df = df.rename(columns={"at": "last_poll", "duration_s": "poll_s"})
    return df


def latest_values(names: list[str]) -> pd.DataFrame:
    """instance x metric of the last successful poll (wide)."""
    latest = store.latest_metrics(names)
    return pd.DataFrame({n: m for n, (_, m) in latest.items()}).T.rename_axis("name").reset_index()


def summarise(out_note, rows: pd.DataFrame, level: str, text, limit: int = 5) -> None:
    """One message per row up to `limit`, then one line for the rest (the table has them all)."""
    for _, row in rows.head(limit).iterrows():
        out_note(level, text(row))
    if len(rows) > limit:
        out_note(level, f"... and {len(rows) - limit} more: see the instances table for each reason.")
