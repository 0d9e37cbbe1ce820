"""Marketing pages (issue 14): Customer 360 and Campaigns cold and warm, and a customer search.

    python bench/bench_marketing.py [--demo PATH] [--scale 1] [--repeat 3] [--truth TRUTH.json]

- page first / cold / warm (bench_product.time_page, wall and CPU): first = every cache cleared,
  the tools' bases precomputed on disk too (the first view of new data); cold = a fresh server
  (st.cache_data and in-memory bases cleared, disk kept); warm = the same page rerun at once;
- search: `execute("customer-360", search=...)` with the page's base already loaded (what the
  page does when someone types a new user_no or masked phone), by user_no and by masked phone;
  `--only-search` measures just that, --repeat rounds in one process (medians to
  bench/out/marketing_search_scale<scale>.json).
- campaigns: `execute("campaigns")` (the whole tool, templates and experiments), and a change of
  the drill-down template (the page reruns the tool with the new option: no cache hit); with
  --truth, the template verdicts against campaigns.incremental / .cannibalizing.
Targets: pages cold <= 2 s, warm <= 0.3 s; a search <= 0.5 s (scale 1). The median over
--repeat rounds goes to bench/out/marketing_scale<scale>.json with the machine's load average.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
TARGETS = {"cold_s": 2.0, "warm_s": 0.3, "search_s": 0.5}


def time_page(slug: str, role: str, first: bool = False) -> dict:
    """bench_product.time_page on pages/<slug>.py: cold (fresh server, bases precomputed on disk),
    or with `first` the first view of new data; wall and CPU seconds."""
    from bench_product import time_page as timed

    return timed(ROOT / "pages" / f"{slug}.py", {}, first=first, role=role)


def time_search(role: str) -> dict[str, float]:
    from lucky import sources, tools
    from lucky.core import Filters, Viewer

    viewer = Viewer(role=role)
    out = tools.execute("customer-360", Filters(), viewer)          # the base, as the page has it
    rfm = out.tables["rfm"]
    user = str(rfm.sort_values("frequency").iloc[-1]["user_no"])
    phone = sources.read("luckyus_sales_crm", "SELECT phone FROM luckyus_sales_crm.t_user "
                         "WHERE user_no = :u", {"u": user}).iloc[0, 0]
    masked = f"{phone[:7]}***-**{phone[-2:]}"
    times = {}
    for name, text in (("search_user_no_s", user), ("search_masked_phone_s", masked)):
        started, cpu = time.perf_counter(), time.process_time()
        tools.execute("customer-360", Filters(), viewer, search=text)
        times[name] = time.perf_counter() - started
        times[name.replace("_s", "_cpu_s")] = time.process_time() - cpu
    return times


def search_only(args: argparse.Namespace) -> int:
    """The search alone: --repeat rounds of time_search (the base loaded once), medians, load."""
    rounds = [time_search(args.role) for _ in range(args.repeat)]
    result = {"scale": args.scale, "role": args.role, "repeat": args.repeat}
    result |= {key: round(statistics.median(r[key] for r in rounds), 3) for key in rounds[0]}
    result |= {"load_avg": round(os.getloadavg()[0], 1), "target_s": TARGETS["search_s"]}
    out = ROOT / "bench" / "out" / f"marketing_search_scale{args.scale:g}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


def time_campaigns(role: str, truth: str | None) -> dict:
    from lucky import tools
    from lucky.core import Filters, Viewer
    from lucky.tools import _memo

    viewer = Viewer(role=role)
    _memo.clear(disk=True)
    started, cpu = time.perf_counter(), time.process_time()
    out = tools.execute("campaigns", Filters(), viewer)
    result = {"campaigns_tool_s": time.perf_counter() - started, "campaigns_tool_cpu_s": time.process_time() - cpu}
    table = out.tables["templates"].set_index("template_id")
    other = int(table[table["issued"] > 0]["issued"].idxmin())
    started = time.perf_counter()
    tools.execute("campaigns", Filters(), viewer, template_id=other)
    result["campaigns_drilldown_s"] = time.perf_counter() - started
    result["templates"] = len(table)
    result["verdicts"] = table["verdict"].value_counts().to_dict()
    if truth:
        planted = json.loads(Path(truth).read_text())["campaigns"]
        for key, ids in planted.items():
            result[f"truth_{key}"] = f"{int((table.loc[ids, 'verdict'] == key).sum())}/{len(ids)}"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", help="DuckDB demo file (default: the embedded demo)")
    parser.add_argument("--scale", type=float, default=1.0, help="the demo's scale, for the report")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--role", default="marketing")
    parser.add_argument("--truth", help="the build's truth JSON: score the template verdicts")
    parser.add_argument("--only-campaigns", action="store_true", help="skip the Customer 360 page and search")
    parser.add_argument("--only-search", action="store_true", help="only the customer search (no pages)")
    args = parser.parse_args(argv)
    from bench_pages import use_demo

    use_demo(args.demo)
    if args.only_search:
        return search_only(args)
    rounds, camp = [], []
    nan = float("nan")
    for _ in range(args.repeat):
        if args.only_campaigns:
            rounds.append({"first_cold_s": nan, "first_cold_cpu_s": nan, "cold_s": nan, "cold_cpu_s": nan,
                           "warm_s": nan, "warm_cpu_s": nan, "search_user_no_s": nan, "search_user_no_cpu_s": nan,
                           "search_masked_phone_s": nan, "search_masked_phone_cpu_s": nan, "problems": []})
        else:
            first = time_page("customer-360", args.role, first=True)
            got = time_page("customer-360", args.role)
            rounds.append(got | {"first_cold_s": first["cold_s"], "first_cold_cpu_s": first["cold_cpu_s"],
                                 **time_search(args.role)})
        first = time_page("campaigns", args.role, first=True)
        got = time_page("campaigns", args.role)
        camp.append(got | {"first_cold_s": first["cold_s"], "first_cold_cpu_s": first["cold_cpu_s"]})
        rounds[-1]["problems"] = rounds[-1]["problems"] + first["problems"] + got["problems"]
    result = {"page": "customer-360", "scale": args.scale, "role": args.role,
              "load_avg": round(os.getloadavg()[0], 1), "repeat": args.repeat}
    timings = ("first_cold_s", "first_cold_cpu_s", "cold_s", "cold_cpu_s", "warm_s", "warm_cpu_s")
    for key in (*timings, "search_user_no_s", "search_user_no_cpu_s", "search_masked_phone_s",
                "search_masked_phone_cpu_s"):
        result[key] = round(statistics.median(r[key] for r in rounds), 3)
    for key in timings:
        result["campaigns_" + key] = round(statistics.median(r[key] for r in camp), 3)
    runs = [time_campaigns(args.role, args.truth) for _ in range(args.repeat)]
    for key in ("campaigns_tool_s", "campaigns_tool_cpu_s", "campaigns_drilldown_s"):
        result[key] = round(statistics.median(r[key] for r in runs), 3)
    result |= {k: v for k, v in runs[-1].items() if not k.endswith("_s")}
    result["problems"] = sorted({p for r in rounds for p in r["problems"]})
    result["targets"] = TARGETS
    out = ROOT / "bench" / "out" / f"marketing_scale{args.scale:g}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
