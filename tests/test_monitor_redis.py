"""Key sampling on a seeded keyspace: per-prefix estimates within 10% of the truth, TTL buckets,
hot keys only under LFU, and the time budget."""
from __future__ import annotations

from collections import defaultdict

import pytest
import redis

from lucky.monitor import localfleet, redis_scan

#: prefix -> (keys, how each key is written): known sizes and TTLs per prefix
SEED = {"user": 12_000, "cart": 6_000, "session": 9_000, "feature": 3_000}


def _seed(client: redis.Redis) -> None:
    pipe = client.pipeline(transaction=False)
    for i in range(SEED["user"]):
        pipe.set(f"user:{i}", "u" * 40)
    for i in range(SEED["cart"]):
        pipe.hset(f"cart:{i}", mapping={f"sku{j}": j for j in range(12)})
    for i in range(SEED["session"]):
        pipe.set(f"session:{i}", "s" * 300, ex=1800)           # < 1 h
    for i in range(SEED["feature"]):
        pipe.set(f"feature:{i}", "f" * 10, ex=3 * 86400)       # 1-7 d
    pipe.execute()


def _truth(client: redis.Redis) -> dict[str, float]:
    sizes: dict[str, float] = defaultdict(float)
    keys = list(client.scan_iter(count=5000))
    pipe = client.pipeline(transaction=False)
    for k in keys:
        pipe.memory_usage(k, samples=0)
    for k, mem in zip(keys, pipe.execute()):
        sizes[redis_scan.prefix_of(k)] += mem
    return sizes


@pytest.fixture(scope="module")
def seeded():
    localfleet.LocalFleet.require()
    with localfleet.LocalFleet() as fleet:
        plain = fleet.start_redis()
        lfu = fleet.start_redis("--maxmemory", "200mb", "--maxmemory-policy", "allkeys-lfu")
        _seed(redis.Redis(port=plain.port))
        redis.Redis(port=lfu.port).mset({f"user:{i}": i for i in range(2000)})
        yield plain, lfu


def test_prefix_estimates_within_10_percent(seeded):
    plain, _ = seeded
    client = redis.Redis(port=plain.port)
    truth = _truth(client)
    result = redis_scan.sample(localfleet_client(plain), sample=8_000, count=1000, budget_s=10)
    assert result.sampled == 8_000 and result.total_keys == sum(SEED.values())
    est = {p["prefix"]: p for p in result.prefixes}
    assert set(est) == set(SEED)
    for prefix, n in SEED.items():
        assert est[prefix]["est_keys"] == pytest.approx(n, rel=0.10), prefix
        assert est[prefix]["est_bytes"] == pytest.approx(truth[prefix], rel=0.10), prefix
    # keys without TTL per prefix: user and cart have none, session and feature all expire
    assert est["user"]["no_ttl_est"] == est["user"]["est_keys"] and est["session"]["no_ttl_est"] == 0
    ttl = {b["bucket"]: b["est_keys"] for b in result.ttl}
    assert ttl["No expiry"] == pytest.approx(SEED["user"] + SEED["cart"], rel=0.10)
    assert ttl["<1h"] == pytest.approx(SEED["session"], rel=0.10)
    assert ttl["1-7d"] == pytest.approx(SEED["feature"], rel=0.15)
    largest = max(SEED, key=lambda p: truth[p] / SEED[p])      # the prefix with the largest keys
    assert redis_scan.prefix_of(result.biggest[0]["key"].encode()) == largest
    assert "LFU" in result.hot_note and not result.hot


def test_hot_keys_under_lfu(seeded):
    _, lfu = seeded
    client = redis.Redis(port=lfu.port)
    client.set("hot:one", 1)
    pipe = client.pipeline(transaction=False)
    for key, hits in (("user:7", 100), ("hot:one", 3000)):     # LFU counters are logarithmic
        for _ in range(hits):
            pipe.get(key)
    pipe.execute()
    result = redis_scan.sample(localfleet_client(lfu), sample=40_000, budget_s=10)
    assert result.complete and result.sampled == client.dbsize()
    assert [h["key"] for h in result.hot[:2]] == ["hot:one", "user:7"]


def test_time_budget_bounds_the_scan(seeded):
    plain, _ = seeded
    result = redis_scan.sample(localfleet_client(plain), sample=30_000, count=10, budget_s=0.05)
    assert result.budget_hit and not result.complete
    assert 0 < result.sampled < 30_000


def localfleet_client(server):
    from lucky.monitor.probes import redis_client
    return redis_client(server.url, 5.0)
