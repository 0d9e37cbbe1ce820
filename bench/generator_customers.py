"""Time the customer and marketing generator steps (crm, marketing, experiments, misc) and
print their calibration table (target vs generated rows) for docs/notes/generator-customers.md.

    python bench/generator_customers.py [--scale 1] [--seed 0] [--bulk 0.1]

The core steps they read (catalog, users, orders) run first and are not timed. Wall time is
shown beside CPU time because the machine is shared; peak RSS is the process's.
"""
from __future__ import annotations

import argparse
import importlib
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script

from lucky.demo.world import World

CORE = ("catalog", "users", "orders")
MINE = ("crm", "marketing", "experiments", "misc")
TARGETS = {  # table: (full-size rows, scales with --bulk)
    "t_user_history": (498_000, False), "t_user_state": (980_000, False),
    "t_user_event_track": (168_000, False), "t_realtime_user_group_log": (2_300_000, True),
    "t_coupon_template": (1_262, False), "t_coupon_record": (2_600_000, False),
    "t_coupon_record_expired": (37_000_000, True), "t_market_activity_partake": (514_000, False),
    "t_user_group_label": (3_900_000, True), "t_user_hit_experiment_record": (6_400_000, True),
    "t_user_traffic_distribution": (2_300_000, True), "t_order_oper_history": (2_500_000, True),
    "t_shop_sale_remark": (820_000, True), "t_shop_opening_time": (135_000, False),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bulk", type=float, default=0.1)
    args = ap.parse_args()
    world = World(scale=args.scale, seed=args.seed, bulk=args.bulk)
    for step in CORE:
        for _ in importlib.import_module(f"lucky.demo.gen.{step}").generate(world):
            pass
    rows: dict[str, int] = {}
    keep: dict[str, list[pd.DataFrame]] = {"t_user_state": [], "t_coupon_record": [],
                                           "t_user_hit_experiment_record": []}
    print(f"scale {args.scale} seed {args.seed} bulk {args.bulk}")
    print("| step | wall s | CPU s |\n|---|---:|---:|")
    total_wall = total_cpu = 0.0
    for step in MINE:
        w0, c0 = time.perf_counter(), time.process_time()
        for _, name, df in importlib.import_module(f"lucky.demo.gen.{step}").generate(world):
            rows[name] = rows.get(name, 0) + len(df)
            if name in keep:
                keep[name].append(df)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        total_wall, total_cpu = total_wall + wall, total_cpu + cpu
        print(f"| {step} | {wall:.2f} | {cpu:.2f} |")
    print(f"| all four | {total_wall:.2f} | {total_cpu:.2f} |")
    print(f"\npeak RSS (incl. core steps) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB\n")
    print("| table | target | got | diff |\n|---|---:|---:|---:|")
    for name, (full, bulk) in TARGETS.items():
        target = full * args.scale * (args.bulk if bulk else 1)
        got = rows.get(name, 0)
        print(f"| {name}{' (bulk)' if bulk else ''} | {target:,.0f} | {got:,} | {100 * (got / target - 1):+.1f}% |")
    _shapes(world, keep)


def _shapes(world: World, keep: dict[str, list[pd.DataFrame]]) -> None:
    """The mixes the tools read: lifecycle stages, coupon statuses, experiment readouts."""
    states = pd.concat(keep["t_user_state"])
    stage = states[states["state_code"] == "lifecycle_stage"].set_index("user_no")["state_value"]
    print("\nlifecycle stages:", stage.value_counts().to_dict())
    churned = world.truth["churn"]["churned"]
    print("churned users' stages:", stage.reindex(churned).value_counts().to_dict())
    coupons = pd.concat(keep["t_coupon_record"])
    print("coupon statuses:", coupons["status"].value_counts().sort_index().to_dict())
    hits = pd.concat(keep["t_user_hit_experiment_record"])
    lift = world.truth["experiments"]["lift"][0]
    print("\n| experiment | control | treatment | z |\n|---|---:|---:|---:|")
    for exp, g in hits.groupby("experiment_id"):
        t = (g["group_name"] == "treatment").to_numpy()
        c = g["converted"].to_numpy(dtype=float)
        p = c.mean()
        z = (c[t].mean() - c[~t].mean()) / np.sqrt(p * (1 - p) * (1 / t.sum() + 1 / (~t).sum()))
        print(f"| {exp}{' (lift)' if exp == lift else ''} | {c[~t].mean():.3f} | {c[t].mean():.3f} | {z:.2f} |")


if __name__ == "__main__":
    main()
