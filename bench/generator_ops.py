"""Time the operations steps of the demo generator and print their calibration (target vs got).

    python bench/generator_ops.py [--scale 1] [--seed 0]

Runs the core steps first (untimed), then iot, production, stock, replenishment, purchase, timing
each one (generation only: no loading) and checking the figures issue 2 sets. Peak RSS is of the
whole process. Writes nothing; the figures go into docs/notes/generator-ops.md by hand.
"""
from __future__ import annotations

import argparse
import importlib
import os
import resource
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script

from lucky.demo.world import World

CORE = ("catalog", "users", "orders", "payments", "accounting")
OPS = ("iot", "production", "stock", "replenishment", "purchase")
TARGETS = {  # table: full-size rows (scale 1)
    "t_device": 216, "t_coffee_formula": 217, "t_cup_order_info": 587_000, "t_production": 502_000,
    "t_commodity": 567_000, "t_shop_goods_stock": 150_000, "wh_goods_daily_demand_pred": 2_500_000,
    "t_order_predict_alg_v2": 124_000, "t_purchase_order": 694, "t_ship_order": 1_670,
    "t_supplier_settlement": 1_363,
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
    print(f"core steps done: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")
    rows: dict[str, int] = {}
    keep: dict[str, pd.DataFrame] = {}
    total = cpu_total = 0.0
    for step in OPS:
        t0, c0 = time.perf_counter(), time.process_time()
        for _db, name, frame in importlib.import_module(f"lucky.demo.gen.{step}").generate(world):
            rows[name] = rows.get(name, 0) + len(frame)
            if name == "t_production":
                keep[name] = frame
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        total, cpu_total = total + dt, cpu_total + cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        print(f"time {step:14s} {dt:6.2f} s wall {cpu:6.2f} s cpu   peak RSS so far {peak:6.0f} MB")
    print(f"time {'ops total':14s} {total:6.2f} s wall {cpu_total:6.2f} s cpu   "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB  load {os.getloadavg()[0]:.1f}")
    print(f"\n{'table':36s} {'target':>10s} {'got':>10s} {'diff':>7s}")
    for name, full in TARGETS.items():
        target = world.n(full)
        got = rows.get(name, 0)
        print(f"{name:36s} {target:10d} {got:10d} {100 * (got - target) / target:6.1f}%")
    for wd in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        name = f"t_shop_goods_stock_change_{wd}"
        print(f"{name:36s} {'>= ' + str(world.n(1_000_000)):>10s} {rows.get(name, 0):10d}")
    print(f"{'t_print_receipt (bulk)':36s} {world.n_bulk(2_000_000):10d} {rows.get('t_print_receipt', 0):10d}")
    p = keep["t_production"]
    d = (p["done_time"] - p["accept_time"]).dt.total_seconds()
    m = p["accept_time"].notna() & p["done_time"].notna() & (d > 0) & (p["create_time"] >= "2026-02-01")
    print(f"{'Feb 1-14 productions':36s} {world.n(36_696):10d} {int(m.sum()):10d}")
    print(f"{'Feb 1-14 mean accept->done s':36s} {217.9:10.1f} {d[m].mean():10.1f}")
    print(f"{'max accept->done s':36s} {9839:10d} {d[d > 0].max():10.0f}")
    t = world.truth
    print("\ntruth: degraded", len(t["iot"]["degraded"]), "biased", len(t["forecast"]["biased"]),
          "anomalies", pd.Series([a["metric"] for a in t["anomalies"]]).value_counts().to_dict())


if __name__ == "__main__":
    main()
