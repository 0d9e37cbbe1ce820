"""Recommendations (issue 15, Tool 11): training time and peak memory at --scale 1, the held-out
evaluation, and the page cold/warm.

    python bench/bench_recommend.py --demo /tmp/s1.duckdb [--repeat 2]

Training = `lucky.tools.recommendations.train` (the four source reads, the user × item matrix,
item cosine, scoring every user in chunks, top 3) timed with perf_counter, and the model alone
(matrix to top 3 from the frames already read); its peak memory is the
tracemalloc peak of Python allocations (numpy included) during the call, and the process's max
RSS is printed beside it. The page runs in Streamlit's AppTest (bench_product.time_page: first
view of new data, cold = fresh server with the model precomputed on disk, warm = rerun at once). Targets (issue 15): cold <= 2 s, warm <= 0.3 s.
Writes bench/out/recommend_scale<scale>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
TARGET = (2.0, 0.3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    from bench_pages import use_demo
    from bench_product import summary, time_page

    use_demo(args.demo)
    from lucky import tools
    from lucky.core import Filters, Viewer
    from lucky.models import recommend as rm
    from lucky.tools import _memo
    from lucky.tools import recommendations as rec

    record = {"scale": args.scale, "demo": args.demo, "cpus": os.cpu_count(), "load_before": os.getloadavg(),
              "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"), "figures": {}, "pages": []}
    filters = Filters()
    _first, _last, cutoff = rec.default_cutoff(filters)
    tracemalloc.start()
    t0 = time.perf_counter()
    t = rec.train(filters, cutoff)
    train_s = time.perf_counter() - t0
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    t0 = time.perf_counter()
    ev = rec.evaluation_table(t)
    eval_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts, users, items = rm.matrix(t["inter"])
    n = t["user_orders"].set_index("user_no")["orders"].reindex(users).fillna(1).to_numpy(float)
    tracemalloc.start()
    rm.recommend(counts, n, t["season"].to_numpy(), users, items, t["season"].to_numpy() > 0)
    _cur, fit_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    fit_s = time.perf_counter() - t0
    record["figures"] = {"cutoff": str(cutoff), "users": len(users), "items": len(items),
                         "nonzeros": int(counts.nnz), "train_s": round(train_s, 2), "eval_s": round(eval_s, 2),
                         "train_peak_mb": round(peak / 2**20, 1), "fit_s": round(fit_s, 2),
                         "fit_peak_mb": round(fit_peak / 2**20, 1),
                         "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                         "evaluation": ev.to_dict("records")}
    print(f"training (cutoff {cutoff}): {train_s:.2f} s for {len(users):,} users × {len(items)} products "
          f"({counts.nnz:,} non-zeros); peak {peak / 2**20:.0f} MB traced, max RSS "
          f"{record['figures']['max_rss_mb']:.0f} MB; evaluation {eval_s:.2f} s")
    print(f"model alone (matrix, cosine, scoring, top 3 from frames in memory): {fit_s:.2f} s, peak "
          f"{fit_peak / 2**20:.0f} MB traced")
    print(ev.to_string(index=False))
    _memo.clear(disk=True)
    t0, c0 = time.perf_counter(), time.process_time()
    tools.execute("recommendations", filters, Viewer())
    record["figures"]["tool_s"] = round(time.perf_counter() - t0, 2)
    record["figures"]["tool_cpu_s"] = round(time.process_time() - c0, 2)
    print(f"whole tool (train + profiles + segments): {record['figures']['tool_s']:.2f} s "
          f"({record['figures']['tool_cpu_s']:.2f} s CPU)")
    page = ROOT / "pages" / "recommendations.py"
    firsts = summary([time_page(page, {}, first=True) for _ in range(args.repeat)])
    got = summary([time_page(page, {}) for _ in range(args.repeat)])
    problems = got["problems"]
    ok = got["cold_s"] <= TARGET[0] and got["warm_s"] <= TARGET[1]
    record["pages"].append({"page": "recommendations", "target": TARGET, "met": ok, "problems": problems[:3],
                            **{k: v for k, v in got.items() if k != "problems"},
                            **{"first_" + k: v for k, v in firsts.items() if k.startswith("cold")}})
    print(f"page recommendations: first view of new data {firsts['cold_s']:.2f} s ({firsts['cold_cpu_s']:.2f} s CPU); "
          f"cold (fresh server, precomputed) {got['cold_s']:.2f} s ({got['cold_cpu_s']:.2f} s CPU), warm "
          f"{got['warm_s']:.2f} s (target {TARGET[0]} / {TARGET[1]} s: "
          f"{'met' if ok else 'NOT met'}){'; problems: ' + '; '.join(problems[:3]) if problems else ''}")
    record["load_after"] = os.getloadavg()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"recommend_scale{args.scale:g}.json").write_text(json.dumps(record, indent=1, default=str))
    print(f"load before {record['load_before']}, after {record['load_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
