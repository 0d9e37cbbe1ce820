"""Benchmark and truth check of the anomaly engine and the briefing.

    python bench/bench_anomaly.py --scale 1 [--seed 0] [--target PATH] [--date YYYY-MM-DD] [--outage]

Builds (or reuses) a demo DuckDB, times the full-history anomaly scan and one briefing (wall
clock and process CPU time, with the load average: on a shared machine the CPU time is the
figure that does not depend on what else runs), and
scores the scan against the demo's truth file (recall over the planted anomalies, false
positives per day over what the scan flags at Warning or above). The truth file is read here,
for measuring only; the app never reads it. `--outage` also deletes 8th & Broadway's orders
from 11:00 to 14:00 New York time on 2026-02-10 in a copy and reports what the scan says of
that store-day (the hourly outage rule needs busy hours, so this runs at scale 1, not in tests).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def score(anoms, truth: dict) -> dict:
    """Recall of the planted anomalies and false positives (Warning+) per scanned day."""
    import pandas as pd

    planted = {(None if a["shop_id"] is None else int(a["shop_id"]), a["date"], a["metric"]) for a in truth["anomalies"]}
    flagged = anoms[anoms["severity"].isin(["Critical", "Warning"])]
    keys = {(None if pd.isna(s) else int(s), str(d), m) for s, d, m in zip(flagged["shop_id"], flagged["date"], flagged["metric"])}
    # a chain-wide planted fee jump (shop_id null) may be found chain-wide only
    hits = planted & keys
    fp = keys - planted
    days = pd.to_datetime(anoms["date"]).nunique() if not anoms.empty else 0
    span = (pd.to_datetime(anoms["date"]).max() - pd.to_datetime(anoms["date"]).min()).days + 1 if days else 1
    by_metric = {}
    for m in sorted({p[2] for p in planted}):
        tot = [p for p in planted if p[2] == m]
        by_metric[m] = f"{sum(p in hits for p in tot)}/{len(tot)}"
    return {"planted": len(planted), "found": len(hits), "recall": round(len(hits) / max(len(planted), 1), 3),
            "false_positives": len(fp), "days": span, "fp_per_day": round(len(fp) / span, 3),
            "by_metric": by_metric, "missed": sorted(planted - hits, key=str),
            "fp_metrics": pd.Series([k[2] for k in fp]).value_counts().to_dict() if fp else {}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", help="DuckDB file (built when missing)")
    ap.add_argument("--date", help="briefing day (default: the last day of data)")
    ap.add_argument("--outage", action="store_true", help="also check a constructed 3-hour outage")
    args = ap.parse_args()
    target = Path(args.target or f"/tmp/lucky_bench_{args.seed}_{args.scale}.duckdb")
    truth_path = target.with_suffix(".truth.json")
    if not target.exists() or not truth_path.exists():
        from lucky.demo.build import build
        t0 = time.perf_counter()
        build(str(target), scale=args.scale, seed=args.seed, truth=truth_path, replace=True)
        print(f"built {target} in {time.perf_counter() - t0:.1f}s")
    os.environ["LUCKY_DATABASE_URL"] = str(target)
    os.environ.setdefault("LUCKY_STATE_URL", f"sqlite:///{target.with_suffix('.state.sqlite')}")
    os.environ.pop("LUCKY_LLM_BASE_URL", None)

    from lucky.anomaly import scan
    from lucky.briefing import compose, narrative, render
    from lucky.core import Viewer

    t0, c0 = time.perf_counter(), time.process_time()
    result = scan.run()
    t_scan, c_scan = time.perf_counter() - t0, time.process_time() - c0
    s = score(result.anomalies, json.loads(truth_path.read_text()))
    day = args.date or str(result.end)
    t0, c0 = time.perf_counter(), time.process_time()
    brief = narrative.write(compose.build(pd_date(day), Viewer()), use_llm=False)
    html_doc, md = render.to_html(brief), render.to_markdown(brief)
    t_brief, c_brief = time.perf_counter() - t0, time.process_time() - c0
    words = len(md.split())
    print(json.dumps({"scale": args.scale, "seed": args.seed, "load_avg_1m": os.getloadavg()[0],
                      "scan_seconds": round(t_scan, 2), "scan_cpu_seconds": round(c_scan, 2),
                      "briefing_cpu_seconds": round(c_brief, 2),
                      "scanned": f"{result.start}..{result.end}", "rows": len(result.anomalies),
                      "warning_plus": int(result.anomalies["severity"].isin(["Critical", "Warning"]).sum()),
                      "briefing_day": day, "briefing_seconds": round(t_brief, 2), "briefing_words": words,
                      "html_bytes": len(html_doc), **s}, indent=1, default=str))
    if args.outage:
        print(json.dumps(outage_check(target), indent=1, default=str))
    return 0


def outage_check(target: Path) -> dict:
    """Delete 8th & Broadway's (501) orders of 11:00-14:00 New York time on 2026-02-10 (16:00-19:00
    UTC) in a copy and list what the scan flags for that store-day."""
    import shutil

    import duckdb

    from lucky import sources
    from lucky.anomaly import scan

    copy = target.with_suffix(".outage.duckdb")
    shutil.copy(target, copy)
    con = duckdb.connect(str(copy))
    con.execute("DELETE FROM luckyus_sales_order.t_order WHERE shop_id = 501 AND create_time >= "
                "TIMESTAMP '2026-02-10 16:00:00' AND create_time < TIMESTAMP '2026-02-10 19:00:00'")
    con.close()
    os.environ["LUCKY_DATABASE_URL"] = str(copy)
    sources.dispose_all()
    try:
        found = scan.run(pd_date("2026-02-09"), pd_date("2026-02-11")).anomalies
    finally:
        sources.dispose_all()
        copy.unlink(missing_ok=True)
    day = found[(found["shop_id"] == 501) & (found["date"].astype(str) == "2026-02-10")]
    return {"outage_check": day[["metric", "severity", "score", "explanation"]].to_dict("records")}


def pd_date(text: str):
    import pandas as pd
    return pd.Timestamp(text).date()


if __name__ == "__main__":
    raise SystemExit(main())
