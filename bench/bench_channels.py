"""Customer Acquisition Channel Tracker (Tool 6, issue 14): the page cold and warm, the tool alone,
and the weekly summary.

    python bench/bench_channels.py [--demo PATH] [--scale 1] [--repeat 3] [--truth TRUTH.json]

- page cold / warm: as bench_marketing.py (AppTest after clearing st.cache_data, then rerun);
- tool: `execute("channels")` wall and CPU (what a cold page spends in Lucky's code);
- weekly: the channels weekly summary (three runs of the tool: all, this week, last week);
- with --truth: the channel order by ltv_180 against channels.ltv_rank.
Targets: cold <= 2 s, warm <= 0.3 s at scale 1. Medians over --repeat go to
bench/out/channels_scale<scale>.json with the load average.
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
TARGETS = {"cold_s": 2.0, "warm_s": 0.3}


def time_tool(role: str) -> dict:
    from lucky import tools
    from lucky.core import Filters, Viewer

    started, cpu = time.perf_counter(), time.process_time()
    out = tools.execute("channels", Filters(), Viewer(role=role))
    return {"tool_s": time.perf_counter() - started, "tool_cpu_s": time.process_time() - cpu, "out": out}


def time_weekly(role: str, day: date) -> dict:
    from lucky.briefing import weekly
    from lucky.core import Viewer

    started, cpu = time.perf_counter(), time.process_time()
    weekly.channels_summary(day, Viewer(role=role))
    return {"weekly_s": time.perf_counter() - started, "weekly_cpu_s": time.process_time() - cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", help="DuckDB demo file (default: the embedded demo)")
    parser.add_argument("--scale", type=float, default=1.0, help="the demo's scale, for the report")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--role", default="marketing")
    parser.add_argument("--truth", help="the build's truth JSON: check the channel order")
    parser.add_argument("--week-ending", default="2026-02-14", help="the weekly summary's last day")
    args = parser.parse_args(argv)
    from bench_marketing import time_page
    from bench_pages import use_demo

    use_demo(args.demo)
    rounds = []
    for _ in range(args.repeat):
        r = time_page("channels", args.role)          # cold_s, cold_cpu_s, warm_s, warm_cpu_s, problems
        r |= time_tool(args.role)
        r |= time_weekly(args.role, date.fromisoformat(args.week_ending))
        rounds.append(r)
    result = {"page": "channels", "scale": args.scale, "role": args.role,
              "load_avg": round(os.getloadavg()[0], 1), "repeat": args.repeat}
    for key in ("cold_s", "cold_cpu_s", "warm_s", "warm_cpu_s", "tool_s", "tool_cpu_s", "weekly_s", "weekly_cpu_s"):
        result[key] = round(statistics.median(r[key] for r in rounds), 3)
    table = rounds[-1]["out"].tables["channels"]
    rows = table[table["level"] == "channel"]
    result["ltv_order"] = rows.sort_values("ltv_180", ascending=False)["channel"].tolist()
    if args.truth:
        result["truth_ltv_rank"] = json.loads(Path(args.truth).read_text())["channels"]["ltv_rank"]
        result["truth_match"] = result["ltv_order"] == result["truth_ltv_rank"]
    result["problems"] = sorted({p for r in rounds for p in r["problems"]})
    result["targets"] = TARGETS
    out = ROOT / "bench" / "out" / f"channels_scale{args.scale:g}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
