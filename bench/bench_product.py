"""Product pages (issue 15): cold/warm render times at --scale 1 and the report's figures.

    python bench/bench_product.py --demo /tmp/s1.duckdb [--truth /tmp/s1.json] [--repeat 2]

Pages run in Streamlit's AppTest like bench/bench_pages.py, wall and CPU seconds: first = every
cache cleared, the tools' precomputed bases too (the first view after new data); cold = a fresh
server (st.cache_data and in-memory bases cleared, the bases precomputed on disk for this data
version kept, `lucky.tools._memo`); warm = rerun at once. For the whole data range (the pages' default) and for the report's window
2026-02-01..14. Also prints the Production Time Optimizer's chain mean for that window (the
report's 217.9 s) and, with --truth, the planted recipe changes beside the ones found.
Targets (issue 15): cold <= 2 s, warm <= 0.3 s. Writes bench/out/product_scale<scale>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PAGES = ("production-time", "menu")
TARGET = (2.0, 0.3)


def time_page(page: Path, state: dict, first: bool = False, role: str = "admin") -> dict:
    """One page run cold then warm: wall and CPU seconds (`cold_s`, `cold_cpu_s`, `warm_s`,
    `warm_cpu_s`) and the exceptions shown. Cold = a fresh server: st.cache_data and the tools'
    in-memory bases (`lucky.tools._memo`) cleared, the bases precomputed on disk for this data
    version kept; with `first`, those are deleted too (the first view after new data)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from lucky.tools import _memo

    st.cache_data.clear()
    _memo.clear(disk=first)
    at = AppTest.from_file(str(page), default_timeout=900)
    at.session_state["role"] = role
    for k, v in state.items():        # widget keys (the date range is "range")
        at.session_state[k] = v
    got = {}
    for run in ("cold", "warm"):
        t0, c0 = time.perf_counter(), time.process_time()
        at.run()
        got[f"{run}_s"], got[f"{run}_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
    return got | {"problems": [str(e.value)[:200] for e in at.exception]}


def summary(rounds: list[dict]) -> dict:
    """Medians over rounds of every timing, rounded; problems of the last round."""
    keys = [k for k in rounds[0] if k.endswith("_s")]
    return {k: round(statistics.median(r[k] for r in rounds), 3) for k in keys} | {"problems": rounds[-1]["problems"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", required=True)
    ap.add_argument("--truth")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    from bench_pages import use_demo

    use_demo(args.demo)
    from lucky import tools
    from lucky.core import Filters, Viewer

    record = {"scale": args.scale, "demo": args.demo, "cpus": os.cpu_count(), "load_before": os.getloadavg(),
              "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"), "pages": [], "figures": {}}
    feb = Filters(start=date(2026, 2, 1), end=date(2026, 2, 14))
    t0 = time.perf_counter()
    out = tools.execute("production-time", feb, Viewer())
    chain = out.tables["products"].iloc[0]
    record["figures"]["production_chain_feb"] = {k: (float(chain[k]) if k != "spu_name" else chain[k])
                                                 for k in ("spu_name", "n", "mean_s", "mean_trimmed_s", "outliers")}
    record["figures"]["production_tool_feb_s"] = round(time.perf_counter() - t0, 2)
    print(f"production-time, Feb 1-14: chain mean {chain['mean_s']:.2f} s over {int(chain['n']):,} tickets "
          f"(report 217.9 s); without {int(chain['outliers'])} tickets over 30 min: {chain['mean_trimmed_s']:.1f} s")
    full = tools.execute("production-time", Filters(), Viewer()).tables["changes"]
    record["figures"]["changes_found"] = full.assign(date=full["date"].astype(str)).to_dict("records")
    print("recipe changes found:", full[["spu_name", "date", "factor"]].to_dict("records"))
    if args.truth:
        planted = json.loads(Path(args.truth).read_text())["production"]["slowed"]
        record["figures"]["changes_planted"] = planted
        print("recipe changes planted:", planted)

    t0 = time.perf_counter()
    menu = tools.execute("menu", Filters(), Viewer()).tables
    record["figures"]["menu_tool_all_s"] = round(time.perf_counter() - t0, 2)
    record["figures"]["elasticity"] = menu["elasticity"][["spu_name", "elasticity", "ci_low", "ci_high"]].to_dict("records")
    record["figures"]["lifecycle"] = menu["lifecycle"].to_dict("records")
    print("elasticity found:", record["figures"]["elasticity"])
    print("launches/retirements found:", record["figures"]["lifecycle"])
    if args.truth:
        print("menu planted:", json.loads(Path(args.truth).read_text())["menu"])

    windows = {"all data": {}, "2026-02-01..14": {"range": (date(2026, 2, 1), date(2026, 2, 14))}}
    print(f"{'page':18s} {'window':16s} {'first s (cpu)':>14s} {'cold s (cpu)':>14s} {'warm s (cpu)':>14s}  target")
    for slug in PAGES:
        page = ROOT / "pages" / f"{slug}.py"
        for label, query in windows.items():
            firsts = summary([time_page(page, query, first=True) for _ in range(args.repeat)])
            got = summary([time_page(page, query) for _ in range(args.repeat)])
            ok = got["cold_s"] <= TARGET[0] and got["warm_s"] <= TARGET[1]
            print(f"{slug:18s} {label:16s} {firsts['cold_s']:6.2f} ({firsts['cold_cpu_s']:5.2f}) "
                  f"{got['cold_s']:6.2f} ({got['cold_cpu_s']:5.2f}) {got['warm_s']:6.2f} ({got['warm_cpu_s']:5.2f})  "
                  f"≤{TARGET[0]:g}/≤{TARGET[1]:g} {'ok' if ok else 'MISSED'}{'  EXCEPTION' if got['problems'] else ''}")
            record["pages"].append({"page": slug, "window": label, "ok": ok, "exceptions": got["problems"],
                                    **{k: v for k, v in got.items() if k != "problems"},
                                    **{"first_" + k: v for k, v in firsts.items() if k.startswith("cold")}})
    record["load_after"] = os.getloadavg()
    dest = ROOT / "bench" / "out"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"product_scale{args.scale:g}.json").write_text(json.dumps(record, indent=1, default=str))
    print(f"load average {record['load_before']} -> {record['load_after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
