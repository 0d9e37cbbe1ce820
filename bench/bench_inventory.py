"""Speed of the inventory command center page (Tool 16) and of its tool (not a test: figures).

    python bench/bench_inventory.py --db data/s1.duckdb       # a demo built with --scale 1

The page runs through Streamlit's AppTest with the default filters (the whole history): "cold" is
the first run after every cache is cleared and every engine closed, "warm" the next run (served
from st.cache_data); measured as in bench/bench_supply.py (whose page timer it reuses). The tool
alone (`execute`, no cache) is timed as well, and the drill-down of one store × goods.
Goals (issue 13): page cold <= 2 s, warm <= 0.3 s at --scale 1.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="DuckDB demo file (default: the embedded demo)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    if args.db:
        os.environ["LUCKY_DATABASE_URL"] = str(Path(args.db).resolve())
    from bench_supply import COLD_GOAL, WARM_GOAL, page_times

    from lucky import sources, tools
    from lucky.core import Filters, Viewer

    print(f"on {os.environ.get('LUCKY_DATABASE_URL', 'the embedded demo')}; load average {os.getloadavg()}")
    best = []
    for _ in range(args.repeat):
        sources.dispose_all()
        t0 = time.perf_counter()
        out = tools.execute("inventory", Filters(), Viewer())
        best.append(time.perf_counter() - t0)
    pos = out.tables["positions"]
    print(f"  tool (execute, no cache): {min(best):.2f} s; {len(pos):,} positions, {len(out.tables['stockouts']):,} "
          f"stock-out days, {len(out.tables['waste']):,} waste rows")
    t0 = time.perf_counter()
    tools.execute("inventory", Filters(), Viewer(), store=int(pos["shop_id"].iloc[0]), goods=str(pos["goods_code"].iloc[0]))
    print(f"  tool with the drill-down: {time.perf_counter() - t0:.2f} s")
    cold, cpu, warm, failed = page_times("inventory", args.repeat)
    print(f"  page cold {cold:.2f} s (cpu {cpu:.2f} s, goal {COLD_GOAL} s)   warm {warm:.3f} s (goal {WARM_GOAL} s)"
          f"{'   EXCEPTION' if failed else ''}")
    print(f"  load average after: {os.getloadavg()}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
