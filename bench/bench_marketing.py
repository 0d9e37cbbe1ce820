"""Marketing pages (issue 14): Customer 360 and Campaigns cold and warm, and a customer search.

    python bench/bench_marketing.py [--demo PATH] [--scale 1] [--repeat 3] [--truth TRUTH.json]

- page cold: AppTest run after clearing st.cache_data and the tool's own base cache (a fresh
  server); page warm: the same page rerun at once;
- search: `execute("customer-360", search=...)` with the page's base already loaded (what the
  page does when someone types a new user_no or masked phone), by user_no and by masked phone.
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
TARGETS = {"cold_s": 2.0, "warm_s": 0.3, "search_s": 0.5}


def time_page(slug: str, role: str) -> tuple[float, float, list[str]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from lucky.tools import customer_360

    st.cache_data.clear()
    customer_360._CACHE.clear()
    at = AppTest.from_file(str(ROOT / "pages" / f"{slug}.py"), default_timeout=600)
    at.session_state["role"] = role
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    started = time.perf_counter()
    at.run()
    warm = time.perf_counter() - started
    return cold, warm, [str(e.value)[:200] for e in at.exception]


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
        started = time.perf_counter()
        tools.execute("customer-360", Filters(), viewer, search=text)
        times[name] = time.perf_counter() - started
    return times


def time_campaigns(role: str, truth: str | None) -> dict:
    from lucky import tools
    from lucky.core import Filters, Viewer

    viewer = Viewer(role=role)
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
    args = parser.parse_args(argv)
    if args.demo:
        os.environ.pop("LUCKY_DATABASE_URL", None)
        os.environ["LUCKY_DEMO_PATH"] = str(Path(args.demo).resolve())
    from lucky import sources, tools

    sources.dispose_all()
    tools.registry()
    rounds, camp = [], []
    for _ in range(args.repeat):
        if args.only_campaigns:
            rounds.append({"cold_s": float("nan"), "warm_s": float("nan"), "search_user_no_s": float("nan"),
                           "search_masked_phone_s": float("nan"), "problems": []})
        else:
            cold, warm, problems = time_page("customer-360", args.role)
            rounds.append({"cold_s": cold, "warm_s": warm, **time_search(args.role), "problems": problems})
        cold, warm, more = time_page("campaigns", args.role)
        camp.append({"cold_s": cold, "warm_s": warm})
        rounds[-1]["problems"] += more
    result = {"page": "customer-360", "scale": args.scale, "role": args.role,
              "load_avg": round(os.getloadavg()[0], 1), "repeat": args.repeat}
    for key in ("cold_s", "warm_s", "search_user_no_s", "search_masked_phone_s"):
        result[key] = round(statistics.median(r[key] for r in rounds), 3)
    for key in ("cold_s", "warm_s"):
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
