"""`python -m lucky collect [--inventory PATH] [--once | --every 60]`: the collector service."""
from __future__ import annotations

import argparse
import time

from lucky.monitor import collector, inventory


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inventory", help="TOML inventory (default: LUCKY_INVENTORY or "
                                            "inventories/local.toml)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="poll once and exit (for cron)")
    mode.add_argument("--every", type=float, metavar="SECONDS",
                      help="poll forever at this interval (default 60)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _report(result: collector.CycleResult) -> None:
    up = sum(r.status == "up" for r in result.readings)
    print(f"{result.at:%Y-%m-%d %H:%M:%S}Z polled {len(result.readings)} instances in "
          f"{result.duration_s:.2f} s: {up} up, {len(result.readings) - up} down, "
          f"{len(result.transitions)} alert change(s)")
    for r in result.readings:
        if r.status != "up":
            print(f"  {r.name}: down ({r.reason})")
        for p in r.problems:
            print(f"  {r.name}: {p}")
    for t in result.transitions:
        print(f"  alert {t.action}: {t.rule} {t.instance} {t.subject} {t.message}")


def run(args: argparse.Namespace) -> int:
    inv = inventory.load(args.inventory)
    every = None if args.once else (args.every or 60.0)
    while True:
        started = time.monotonic()
        result = collector.collect_once(inv)
        if not args.quiet:
            _report(result)
        if every is None:
            return 0
        # sleep to the next tick, not a fixed pause, so polls don't drift
        time.sleep(max(0.0, every - (time.monotonic() - started)))
