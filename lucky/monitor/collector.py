"""Poll the fleet concurrently, one thread and one connection per instance, each with a deadline.

A hung or dead server costs its own thread at most `timeout` seconds (the drivers' socket
timeouts, and a join deadline behind them); the others are collected on time. Abandoned threads
are daemons, so they never keep the process alive. `collect_once` runs a whole cycle: poll,
store, alert, notify, prune.
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lucky.monitor import alerts, notify, store
from lucky.monitor.inventory import Instance, Inventory
from lucky.monitor.probes import PROBES, Reading, reason_of

DEFAULTS = {"timeout": 5.0, "tables_every": 3600.0, "retention_days": 14.0, "grace": 0.5,
            "scan_sample": 10_000, "scan_budget": 3.0}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def probe_one(inst: Instance, timeout: float, slow: bool, scan_options: dict | None = None) -> Reading:
    """Probe one instance in the calling thread; never raises."""
    reading = Reading(inst.name, inst.kind)
    started, cpu = time.perf_counter(), time.thread_time()
    try:
        url = inst.resolve_url()
        if inst.kind == "redis":
            PROBES["redis"](reading, url, timeout, slow, scan_options)
        else:
            PROBES[inst.kind](reading, url, timeout, slow)
    except Exception as exc:  # noqa: BLE001 - whatever failed, the instance is down for that reason
        if reading.status == "up":      # failed after connecting: keep what was read
            reading.problems.append(f"poll cut short: {reason_of(exc)}")
        else:
            reading.reason = reason_of(exc)
    reading.duration_s = time.perf_counter() - started
    reading.cpu_s = time.thread_time() - cpu
    return reading


def poll(instances: list[Instance], timeout: float = DEFAULTS["timeout"], slow: set[str] | bool = True,
         grace: float = DEFAULTS["grace"], scan_options: dict | None = None) -> list[Reading]:
    """Probe every instance at once; those not done by their deadline are marked hung.

    `slow`: True/False for all, or the set of instance names due for slow-cadence reads. An
    instance due for them gets its key-sample budget (Redis) or one more timeout (SQL: the
    information_schema reads) on top of its deadline.
    """
    done: dict[str, Reading] = {}
    lock = threading.Lock()
    budget = (scan_options or {}).get("budget_s", DEFAULTS["scan_budget"])

    def due(inst: Instance) -> bool:
        return slow if isinstance(slow, bool) else inst.name in slow

    def limit(inst: Instance) -> float:
        base = inst.timeout or timeout
        return base + grace + ((budget if inst.kind == "redis" else base) if due(inst) else 0.0)

    def work(inst: Instance) -> None:
        r = probe_one(inst, inst.timeout or timeout, due(inst), scan_options)
        with lock:
            done.setdefault(inst.name, r)

    started = time.perf_counter()
    threads = [(inst, threading.Thread(target=work, args=(inst,), daemon=True,
                                       name=f"probe-{inst.name}")) for inst in instances]
    for _, t in threads:
        t.start()
    out: list[Reading] = []
    for inst, t in threads:
        t.join(max(0.0, started + limit(inst) - time.perf_counter()))
        with lock:
            r = done.setdefault(inst.name, Reading(
                inst.name, inst.kind, reason=f"no answer within {inst.timeout or timeout:g} s (hung)",
                duration_s=time.perf_counter() - started))
        out.append(r)
    return out


@dataclass
class CycleResult:
    at: datetime
    readings: list[Reading]
    transitions: list[alerts.Transition] = field(default_factory=list)
    notified: dict[str, str] = field(default_factory=dict)
    duration_s: float = 0.0


def slow_due(inv: Inventory, at: datetime) -> set[str]:
    every = timedelta(seconds=inv.setting("tables_every", DEFAULTS["tables_every"]))
    due = set()
    for inst in inv.instances:
        last = store.last_slow(inst.name, inst.kind)
        if last is None or at - last >= every:
            due.add(inst.name)
    return due


def collect_once(inv: Inventory, at: datetime | None = None, slow: set[str] | bool | None = None,
                 instances: list[Instance] | None = None) -> CycleResult:
    """Poll, store, evaluate alerts, notify, prune: one collector cycle."""
    at = at or utcnow()
    started = time.perf_counter()
    chosen = list(instances or inv.instances)
    scan = {"sample": int(inv.setting("scan_sample", DEFAULTS["scan_sample"])),
            "budget_s": inv.setting("scan_budget", DEFAULTS["scan_budget"])}
    readings = poll(chosen, inv.setting("timeout", DEFAULTS["timeout"]),
                    slow_due(inv, at) if slow is None else slow,
                    inv.setting("grace", DEFAULTS["grace"]), scan)
    stored = store.write(readings, at)
    rs = alerts.rules(inv.alerts)
    transitions = alerts.advance(alerts.evaluate(readings, stored, at, rs), at, rs)
    notified = notify.send(transitions, inv.notify)
    for channel, result in notified.items():
        if result != "sent":
            print(f"lucky collect: {channel} notification failed: {result}", file=sys.stderr)
    store.prune(inv.setting("retention_days", DEFAULTS["retention_days"]), at)
    return CycleResult(at, readings, transitions, notified, time.perf_counter() - started)
