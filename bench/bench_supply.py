"""Speed of the supply-chain pages and of the accuracy computation over the whole prediction history
(not a test: figures).

    python bench/bench_supply.py --db data/s1.duckdb          # a demo built with --scale 1 --bulk 1
    python bench/bench_supply.py --db data/s1.duckdb --skip-pages

Pages run through Streamlit's AppTest with the default filters (the whole history): "cold" is the
first run after every cache is cleared and every engine closed, in a process that has already
imported the app (a fresh server: the forecast base precomputed on disk for this data version is
kept, `lucky.tools._memo`; the first view after new data computes it); "warm" is the next run,
served from st.cache_data; "first" is a cold run with the bases on disk deleted too (every
tool computes from the sources). The accuracy figure reads every row of wh_goods_daily_demand_pred
(2.5M at --scale 1) and the sale consumption it is judged against, then scores every lead: read,
model and whole-tool times are reported separately.
Goals (issue 13): pages cold <= 2 s, warm <= 0.3 s at --scale 1.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.bench_finance import page_times  # noqa: E402 - one page timer for every bench

SLUGS = ("forecast-accuracy", "suppliers", "inventory")
COLD_GOAL, WARM_GOAL = 2.0, 0.3


def accuracy_times() -> dict:
    """Read, model and tool time of the accuracy computation over the full prediction history."""
    from concurrent.futures import ThreadPoolExecutor

    from lucky import sources, tools
    from lucky.core import Filters, Output, Viewer
    from lucky.models import forecast_accuracy as fa
    from lucky.queries import forecast as fq
    from lucky.tools import forecast_accuracy as tool

    sources.dispose_all()
    t0 = time.perf_counter()
    n_pred = len(fq.demand_predictions())
    t_read = time.perf_counter() - t0
    shops = tool._shops(Filters())
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=5) as pool:
        reads = tool._reads(pool, Filters(), shops)
        rows, _ = tool.demand_rows(Filters(), reads, Output())
        versions = reads["versions"].result()
    t_rows = time.perf_counter() - t0
    t0 = time.perf_counter()
    fa.summarize(rows, ["lead"])
    lead1 = tool._with_versions(rows[rows["lead"] == 1], versions, Output())
    fa.series_table(lead1)
    fa.versions_table(lead1)
    t_model = time.perf_counter() - t0
    sources.dispose_all()
    t0 = time.perf_counter()
    tools.execute("forecast-accuracy", Filters(), Viewer())
    t_tool = time.perf_counter() - t0
    return {"prediction_rows": n_pred, "scored_rows": len(rows), "read_predictions_s": round(t_read, 2),
            "rows_with_actuals_and_naive_s": round(t_rows, 2), "model_s": round(t_model, 2),
            "tool_s": round(t_tool, 2)}


def first_times(slug: str, repeat: int) -> tuple[float, float]:
    """(best wall, its process CPU) of the first view after new data: every cache cleared, the
    bases precomputed on disk too (`_memo.clear(disk=True)`), in a process that has imported the app."""
    from streamlit.testing.v1 import AppTest

    from bench.bench_finance import _clear
    from lucky.tools import _memo
    runs = []
    for _ in range(repeat):
        _clear()
        _memo.clear(disk=True)
        at = AppTest.from_file(str(ROOT / "pages" / f"{slug}.py"), default_timeout=300)
        t0, c0 = time.perf_counter(), time.process_time()
        at.run()
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    return min(runs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="DuckDB demo file (default: the embedded demo)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-pages", action="store_true")
    ap.add_argument("--json", help="write the figures here as JSON")
    args = ap.parse_args(argv)
    from lucky import config
    db = args.db or str(config.demo_path())
    os.environ["LUCKY_DATABASE_URL"] = db
    from lucky import tools
    registry = tools.registry()
    results: dict = {"db": db, "load_before": round(os.getloadavg()[0], 1), "pages": {}}
    print(f"on {db}; load average {results['load_before']}")
    results["accuracy"] = accuracy_times()
    print("  full-history accuracy: " + ", ".join(f"{k} {v}" for k, v in results["accuracy"].items()))
    if not args.skip_pages:
        for slug in SLUGS:
            if slug not in registry or not (ROOT / "pages" / f"{slug}.py").exists():
                continue
            first, first_cpu = first_times(slug, args.repeat)
            cold, cpu, warm, failed = page_times(slug, args.repeat)
            ok = cold <= COLD_GOAL and warm <= WARM_GOAL and not failed
            results["pages"][slug] = {"first_s": round(first, 3), "first_cpu_s": round(first_cpu, 3),
                                      "cold_s": round(cold, 3), "cold_cpu_s": round(cpu, 3), "warm_s": round(warm, 3),
                                      "ok": ok, "exception": failed}
            print(f"  {slug:18s} first {first:6.2f} s (cpu {first_cpu:5.2f} s)   cold {cold:6.2f} s (cpu {cpu:5.2f} s)   "
                  f"warm {warm:6.3f} s   {'ok' if ok else 'MISSED'}" + ("  EXCEPTION" if failed else ""))
    results["load_after"] = round(os.getloadavg()[0], 1)
    print(f"  load average after: {results['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
