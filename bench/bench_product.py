"""Product pages (issue 15): cold/warm render times at --scale 1 and the report's figures.

    python bench/bench_product.py --demo /tmp/s1.duckdb [--truth /tmp/s1.json] [--repeat 2]

Pages run in Streamlit's AppTest like bench/bench_pages.py (cold = st.cache_data cleared, warm =
rerun at once), for the whole data range (the pages' default) and for the report's window
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


def time_page(page: Path, state: dict) -> tuple[float, float, list[str]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    at = AppTest.from_file(str(page), default_timeout=900)
    at.session_state["role"] = "admin"
    for k, v in state.items():        # widget keys (the date range is "range")
        at.session_state[k] = v
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t0
    return cold, warm, [str(e.value)[:200] for e in at.exception]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", required=True)
    ap.add_argument("--truth")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    os.environ.pop("LUCKY_DATABASE_URL", None)
    os.environ["LUCKY_DEMO_PATH"] = str(Path(args.demo).resolve())
    from lucky import sources, tools
    from lucky.core import Filters, Viewer

    sources.dispose_all()
    tools.registry()
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
    print(f"{'page':18s} {'window':16s} {'cold s':>8s} {'warm s':>8s}  target")
    for slug in PAGES:
        page = ROOT / "pages" / f"{slug}.py"
        for label, query in windows.items():
            rounds = [time_page(page, query) for _ in range(args.repeat)]
            cold, warm = statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds)
            ok = cold <= TARGET[0] and warm <= TARGET[1]
            print(f"{slug:18s} {label:16s} {cold:8.2f} {warm:8.2f}  ≤{TARGET[0]:g}/≤{TARGET[1]:g} "
                  f"{'ok' if ok else 'MISSED'}{'  EXCEPTION' if rounds[-1][2] else ''}")
            record["pages"].append({"page": slug, "window": label, "cold_s": round(cold, 3), "warm_s": round(warm, 3),
                                    "ok": ok, "exceptions": rounds[-1][2]})
    record["load_after"] = os.getloadavg()
    dest = ROOT / "bench" / "out"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"product_scale{args.scale:g}.json").write_text(json.dumps(record, indent=1, default=str))
    print(f"load average {record['load_before']} -> {record['load_after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
