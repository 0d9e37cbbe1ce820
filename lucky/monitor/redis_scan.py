"""Memory by key prefix from a SCAN sample, the way RedisInsight's database analysis does it.

Never KEYS: SCAN with a bounded COUNT walks the keyspace in hash order (effectively random per
key), stopping at `sample` keys or when the `budget_s` time budget runs out, whichever is first.
For each sampled key MEMORY USAGE (SAMPLES 0), TYPE and PTTL are pipelined; per-prefix figures
are scaled by DBSIZE / sampled, and the sample size is always reported with them.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field

#: RedisInsight's TTL buckets: (label, upper bound in seconds).
TTL_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<1h", 3600), ("1-4h", 4 * 3600), ("4-12h", 12 * 3600), ("12-24h", 24 * 3600),
    ("1-7d", 7 * 86400), ("7-30d", 30 * 86400), (">30d", float("inf")))
NO_EXPIRY = "No expiry"


def ttl_bucket(pttl_ms: int) -> str:
    """Bucket of a PTTL reply (-1: no expiry)."""
    if pttl_ms < 0:
        return NO_EXPIRY
    seconds = pttl_ms / 1000
    return next(label for label, top in TTL_BUCKETS if seconds < top)


def prefix_of(key: bytes, separator: bytes = b":") -> str:
    """The namespace before the first separator; keys without one form their own group '(none)'."""
    head, sep, _ = key.partition(separator)
    return head.decode("utf-8", "replace") if sep else "(none)"


@dataclass
class ScanResult:
    """Scaled estimates and the sample they rest on."""

    total_keys: int = 0
    sampled: int = 0
    duration_s: float = 0.0
    complete: bool = False            # the whole keyspace was walked
    budget_hit: bool = False
    prefixes: list[dict] = field(default_factory=list)
    ttl: list[dict] = field(default_factory=list)
    biggest: list[dict] = field(default_factory=list)
    hot: list[dict] = field(default_factory=list)
    hot_note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _dbs(client) -> dict[int, int]:
    info = client.info("keyspace")
    return {int(k[2:]): int(v["keys"]) for k, v in info.items() if k.startswith("db")}


def _walk(client, want: int, count: int, deadline: float) -> tuple[list[bytes], bool, bool]:
    """SCAN until `want` distinct keys, the end of the keyspace, or the deadline."""
    seen: dict[bytes, None] = {}
    cursor = 0
    while True:
        cursor, keys = client.scan(cursor=cursor, count=count)
        for key in keys:
            seen.setdefault(key)
        if cursor == 0:
            return list(seen), True, False
        if len(seen) >= want:
            return list(seen)[:want], False, False
        if time.monotonic() > deadline:
            return list(seen), False, True


def _measure(client, keys: list[bytes], lfu: bool, batch: int = 500) -> list[tuple]:
    """Pipelined MEMORY USAGE, TYPE, PTTL (and OBJECT FREQ under LFU) per key."""
    out: list[tuple] = []
    for i in range(0, len(keys), batch):
        chunk = keys[i:i + batch]
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.memory_usage(key, samples=0)
            pipe.type(key)
            pipe.pttl(key)
            if lfu:
                pipe.object("freq", key)
        replies = pipe.execute(raise_on_error=False)
        step = 4 if lfu else 3
        for j, key in enumerate(chunk):
            mem, kind, pttl, *freq = replies[j * step:(j + 1) * step]
            if mem is None or isinstance(mem, Exception):   # deleted between SCAN and now
                continue
            out.append((key, int(mem), kind.decode() if isinstance(kind, bytes) else str(kind),
                        int(pttl) if not isinstance(pttl, Exception) else -1,
                        int(freq[0]) if freq and not isinstance(freq[0], Exception) else None))
    return out


def sample(client, sample: int = 10_000, count: int = 100, budget_s: float = 3.0,
           separator: str = ":", top: int = 20) -> ScanResult:
    """Sample up to `sample` keys across all databases within `budget_s` seconds."""
    started = time.monotonic()
    deadline = started + budget_s
    sizes = _dbs(client)
    total = sum(sizes.values())
    policy = str(client.info("memory").get("maxmemory_policy", ""))
    lfu = policy.endswith("lfu")
    result = ScanResult(total_keys=total, complete=True)
    rows: list[tuple] = []   # (db, key, mem, type, pttl, freq, weight)
    for db, n in sizes.items():
        client.execute_command("SELECT", db)
        want = max(1, round(sample * n / total)) if total else 0
        keys, complete, hit = _walk(client, want, count, deadline)
        measured = _measure(client, keys, lfu)
        weight = n / len(measured) if measured else 0.0
        rows += [(db, *m, weight) for m in measured]
        result.complete &= complete
        result.budget_hit |= hit
    client.execute_command("SELECT", 0)
    result.sampled = len(rows)
    result.duration_s = time.monotonic() - started
    _summarise(result, rows, separator.encode(), top, lfu, policy)
    return result


def _summarise(result: ScanResult, rows: list[tuple], sep: bytes, top: int, lfu: bool,
               policy: str) -> None:
    groups: dict[tuple[int, str], dict] = defaultdict(lambda: defaultdict(float))
    ttl: dict[str, float] = defaultdict(float)
    ttl_n: dict[str, int] = defaultdict(int)
    for db, key, mem, kind, pttl, _freq, w in rows:
        g = groups[(db, prefix_of(key, sep))]
        g["sampled"] += 1
        g["est_keys"] += w
        g["est_bytes"] += w * mem
        g["no_ttl_est"] += w if pttl < 0 else 0
        g[f"type_{kind}"] += 1
        bucket = ttl_bucket(pttl)
        ttl[bucket] += w
        ttl_n[bucket] += 1
    total_bytes = sum(g["est_bytes"] for g in groups.values()) or 1.0
    result.prefixes = sorted(
        ({"db": db, "prefix": p, "sampled": int(g["sampled"]), "est_keys": round(g["est_keys"]),
          "est_bytes": round(g["est_bytes"]), "share_pct": 100 * g["est_bytes"] / total_bytes,
          "no_ttl_est": round(g["no_ttl_est"]),
          "types": ", ".join(k[5:] for k in sorted(g) if k.startswith("type_"))}
         for (db, p), g in groups.items()), key=lambda r: -r["est_bytes"])
    order = [NO_EXPIRY] + [label for label, _ in TTL_BUCKETS]
    result.ttl = [{"bucket": b, "sampled": ttl_n.get(b, 0), "est_keys": round(ttl.get(b, 0.0))}
                  for b in order]
    biggest = sorted(rows, key=lambda r: -r[2])[:top]
    result.biggest = [{"db": r[0], "key": r[1].decode("utf-8", "replace"), "bytes": r[2],
                       "type": r[3], "ttl_s": r[4] / 1000 if r[4] >= 0 else None} for r in biggest]
    if lfu:
        hot = sorted((r for r in rows if r[5] is not None), key=lambda r: -r[5])[:top]
        result.hot = [{"db": r[0], "key": r[1].decode("utf-8", "replace"), "freq": r[5]} for r in hot]
    else:
        result.hot_note = (f"Hot keys need an LFU eviction policy (maxmemory-policy is '{policy}'); "
                           "OBJECT FREQ is not available. Use allkeys-lfu or volatile-lfu to see them.")
