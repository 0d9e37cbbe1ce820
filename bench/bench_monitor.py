"""Collector and key-sampling figures on this machine (numbers go to docs/notes/monitoring.md).

    python bench/bench_monitor.py [--polls 5] [--timeout 5]

1. One poll of a 20-instance local fleet (MariaDB, PostgreSQL, the shared Redis, 16 extra
   redis-servers, 1 hung listener): wall time against timeout + 2 s, CPU time per instance.
2. A production-shaped 143-entry inventory (62 MySQL entries on the local MariaDB, 3 PostgreSQL,
   78 Redis entries over 8 extra redis-servers): wall time and CPU per instance, so the 60 s
   interval can be judged.
3. A 10,000-key prefix sample on a 200,000-key Redis: duration, and the server's latency while
   it runs (PING round trips from a second client, and INFO commandstats usec_per_call).
Everything binds 127.0.0.1, keeps nothing on disk and is stopped at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

from lucky import state  # noqa: E402
from lucky.monitor import collector, localfleet, redis_scan  # noqa: E402
from lucky.monitor.inventory import Instance, Inventory  # noqa: E402
from lucky.monitor.probes import redis_client  # noqa: E402

MARIADB = os.environ.get("LUCKY_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
POSTGRES = os.environ.get("LUCKY_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("LUCKY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def timed_polls(instances: list[Instance], timeout: float, polls: int, slow: bool) -> dict:
    walls, cpus, per = [], [], []
    for _ in range(polls):
        w, c = time.perf_counter(), time.process_time()
        readings = collector.poll(instances, timeout=timeout, slow=slow)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
        per += [r.duration_s for r in readings if r.status == "up"]
    down = sorted({r.name for r in readings if r.status != "up"})
    return {"instances": len(instances), "wall_median_s": statistics.median(walls), "wall_max_s": max(walls),
            "cpu_per_instance_ms": 1000 * statistics.median(cpus) / len(instances),
            "up_poll_median_ms": 1000 * statistics.median(per), "up_poll_max_ms": 1000 * max(per),
            "down": down}


def store_cycle(instances: list[Instance], timeout: float) -> float:
    """A whole cycle (poll + store + alerts) into a temp SQLite store."""
    inv = Inventory(None, tuple(instances), {"timeout": timeout})
    collector.collect_once(inv, slow=True)          # first cycle creates tables and baselines
    return collector.collect_once(inv, slow=False).duration_s


def fleet20(fleet: localfleet.LocalFleet, timeout: float, polls: int) -> dict:
    hung = fleet.hung_server()
    instances = [Instance("maria", "mysql", MARIADB), Instance("pg", "postgres", POSTGRES),
                 Instance("shared-redis", "redis", REDIS)]
    instances += [localfleet.redis_instance(f"r{i}", fleet.start_redis()) for i in range(16)]
    instances.append(localfleet.hung_instance("hung", hung, "mysql"))
    out = timed_polls(instances, timeout, polls, slow=False)
    out["limit_s"] = timeout + 2
    out["within_limit"] = out["wall_max_s"] <= out["limit_s"]
    out["cycle_with_store_s"] = store_cycle(instances, timeout)
    return out


def fleet143(fleet: localfleet.LocalFleet, timeout: float, polls: int) -> dict:
    servers = [fleet.start_redis() for _ in range(8)]
    instances = [Instance(f"mysql-{i}", "mysql", MARIADB) for i in range(62)]
    instances += [Instance(f"pg-{i}", "postgres", POSTGRES) for i in range(3)]
    instances += [localfleet.redis_instance(f"redis-{i}", servers[i % 8]) for i in range(78)]
    return timed_polls(instances, timeout, polls, slow=False)


PINGER = """
import json, sys, threading, time, redis
client, samples, done = redis.Redis(port=int(sys.argv[1])), [], threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
print("ready", flush=True)
while not done.is_set():
    t = time.perf_counter(); client.ping(); samples.append(1000 * (time.perf_counter() - t))
s = sorted(samples)
print(json.dumps({"pings": len(s), "p50_ms": s[len(s) // 2], "p99_ms": s[int(len(s) * 0.99)],
                  "max_ms": s[-1]}))
"""


class PingSampler:
    """PING round trips from a separate process (no GIL shared with the scanner) until exit."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.result: dict = {}

    def __enter__(self) -> PingSampler:
        self.proc = subprocess.Popen([sys.executable, "-c", PINGER, str(self.port)], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdout.readline().strip() == "ready"
        return self

    def __exit__(self, *exc) -> None:
        out, _ = self.proc.communicate("", timeout=30)
        self.result = json.loads(out.strip().splitlines()[-1])


def redis_cli_latency(port: int) -> str:
    """`redis-cli --latency --raw`: min max avg (ms) and samples over one second."""
    run = subprocess.run(["redis-cli", "-p", str(port), "--latency", "--raw"], capture_output=True,
                         text=True, timeout=10)
    return run.stdout.strip()


def scan_impact(fleet: localfleet.LocalFleet, count: int, keys: int = 200_000, sample: int = 10_000) -> dict:
    server = fleet.start_redis()
    client = redis.Redis(port=server.port)
    pipe = client.pipeline(transaction=False)
    for i in range(keys):
        pipe.set(f"{('user', 'cart', 'session', 'coupon')[i % 4]}:{i}", "v" * (20 + i % 200))
        if i % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()
    with PingSampler(server.port) as idle:
        time.sleep(1.0)                               # an idle baseline of the same length
    cli_idle = redis_cli_latency(server.port)
    client.config_resetstat()
    with ThreadPoolExecutor(1) as pool:
        with PingSampler(server.port) as busy:
            cli = pool.submit(redis_cli_latency, server.port)
            started = time.perf_counter()
            result = redis_scan.sample(redis_client(server.url, 5.0), sample=sample, count=count,
                                       budget_s=10)
            duration = time.perf_counter() - started
        cli_busy = cli.result()
    stats = client.info("commandstats")
    per_call = {k.replace("cmdstat_", ""): round(v["usec_per_call"], 2) for k, v in stats.items()
                if k.replace("cmdstat_", "") in ("scan", "memory|usage", "type", "pttl", "ping")}
    longest = max(((k, v["usec"] / max(v["calls"], 1)) for k, v in stats.items()), key=lambda kv: kv[1])
    return {"keys": keys, "scan_count": count, "sampled": result.sampled, "duration_s": duration,
            "ping_idle": idle.result, "ping_during_scan": busy.result,
            "redis_cli_latency_idle(min max avg n)": cli_idle,
            "redis_cli_latency_1s_from_scan_start": cli_busy,
            "usec_per_call": per_call, "slowest_command": longest[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, localfleet.LocalFleet() as fleet:
        os.environ["LUCKY_STATE_URL"] = f"sqlite:///{tmp}/state.sqlite"
        state.dispose_all()
        results = {"fleet20": fleet20(fleet, args.timeout, args.polls)}
        results["fleet143"] = fleet143(fleet, args.timeout, max(1, args.polls // 2))
        for count in (100, 1000):
            results[f"scan10k_count{count}"] = scan_impact(fleet, count)
        state.dispose_all()
    for name, figures in results.items():
        print(f"## {name}")
        for key, value in figures.items():
            print(f"  {key}: {round(value, 3) if isinstance(value, float) else value}")
    return 0 if results["fleet20"]["within_limit"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
