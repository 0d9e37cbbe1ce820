"""Rates and ratios from counter deltas between two polls, as Prometheus' rate() does.

A counter that went down means the server restarted; that interval yields no rate rather than
a negative or a huge one.
"""
from __future__ import annotations

#: kind -> (counter, derived metric, multiplier to the unit: 1 per second, 60 per minute)
RATES: dict[str, tuple[tuple[str, str, float], ...]] = {
    "mysql": (("questions", "qps", 1.0), ("slow_queries", "slow_per_min", 60.0),
              ("aborted_connects", "aborted_connects_per_min", 60.0)),
    "postgres": (("commits", "commits_per_s", 1.0), ("rollbacks", "rollbacks_per_s", 1.0),
                 ("deadlocks", "deadlocks_per_min", 60.0)),
    "redis": (("total_commands_processed", "ops_per_s", 1.0), ("keyspace_hits", "hits_per_s", 1.0),
              ("keyspace_misses", "misses_per_s", 1.0), ("evicted_keys", "evictions_per_s", 1.0)),
}

#: kind -> (derived ratio, numerator counter, other counter): num / (num + other) over the interval
RATIOS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "postgres": (("cache_hit_ratio", "blks_hit", "blks_read"), ("rollback_ratio", "rollbacks", "commits")),
    "redis": (("hit_ratio", "keyspace_hits", "keyspace_misses"),),
}


def _delta(prev: dict[str, float], cur: dict[str, float], name: str) -> float | None:
    if name not in prev or name not in cur or cur[name] < prev[name]:
        return None
    return cur[name] - prev[name]


def derive(kind: str, prev: dict[str, float], cur: dict[str, float], seconds: float) -> dict[str, float]:
    """Derived metrics for the interval `prev` -> `cur` (empty on the first poll or after a reset)."""
    if seconds <= 0 or not prev:
        return {}
    out: dict[str, float] = {}
    if "uptime_s" in prev and "uptime_s" in cur:
        out["restarted"] = float(cur["uptime_s"] < prev["uptime_s"])
    for counter, name, unit in RATES.get(kind, ()):
        d = _delta(prev, cur, counter)
        if d is not None:
            out[name] = d / seconds * unit
    for name, num, other in RATIOS.get(kind, ()):
        a, b = _delta(prev, cur, num), _delta(prev, cur, other)
        if a is not None and b is not None and a + b > 0:
            out[name] = a / (a + b)
    return out
