"""Issue 17 timings: the compliance page (and the expansion page and Huff calibration where they
exist) cold and warm, plus the audit-log verification, on the embedded demo.

    python bench/bench_expansion.py [--scale 1] [--demo PATH] [--repeat 3]

Cold clears st.cache_data, the expansion model's cache and the tools' in-memory bases first (a
fresh server: bases precomputed on disk for this data version are kept, `lucky.tools._memo`);
warm reruns at once; wall and CPU seconds (load shared: compare CPU). Also the cost of one what-if point (a map click) once the
model is fitted. Targets (issue 17):
pages cold <= 2 s (map <= 3 s), warm <= 0.3 s at --scale 1. Written to bench/out/expansion_scale<s>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_pages import demo_file, ensure, use_demo  # noqa: E402

TARGETS = {"compliance": (2.0, 0.3), "expansion": (3.0, 0.3)}


def time_page(page: Path, role: str, query: dict | None = None) -> dict:
    """Cold (every cache in memory cleared: Streamlit's and the tools' bases, the expansion model
    among them) then warm, wall and CPU seconds of this process (the script runs on AppTest's
    thread; DuckDB's threads count too)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from lucky.tools import _memo

    st.cache_data.clear()
    _memo.clear()               # memory only: bases precomputed on disk for this data are kept
    at = AppTest.from_file(str(page), default_timeout=600)
    at.session_state["role"] = role
    for key, value in (query or {}).items():
        at.query_params[key] = value
    times = []
    for _ in range(2):
        wall, cpu = time.perf_counter(), time.process_time()
        at.run()
        times += [time.perf_counter() - wall, time.process_time() - cpu]
    return {"cold_s": times[0], "cold_cpu_s": times[1], "warm_s": times[2], "warm_cpu_s": times[3],
            "exceptions": [str(e.value)[:200] for e in at.exception]}


def what_if(points: str = "40.7590,-73.9845") -> dict:
    """A map click's cost: the tool with one new what-if point once the model is fitted (the page's
    own cache misses, since the point is new)."""
    from lucky import tools
    from lucky.core import Filters, Viewer

    tools.execute("expansion", Filters(), Viewer())
    wall, cpu = time.perf_counter(), time.process_time()
    tools.execute("expansion", Filters(), Viewer(), sites=points)
    return {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3)}


def huff_on_demo() -> dict:
    """Read the members' first choices and cells, build the counts and calibrate, each timed."""
    import pandas as pd

    from lucky.models import gravity as g
    from lucky.queries import expansion as q
    from lucky.queries import shops as shop_q
    from lucky.tools import expansion as tool

    started = time.perf_counter()
    shops = shop_q.shops()
    public = shops[(shops["currency_code"] == "USD") & (shops["internal"].fillna(0) == 0)
                   & (shops["test_flag"].fillna(0) == 0)]
    ids = tuple(int(s) for s in public["shop_id"])
    first, located, cells = q.first_choices(ids), q.member_cells(), q.cells()
    daily = tool._daily(shops, ids)
    read = time.perf_counter() - started
    cells = cells.assign(lat=cells["lat"].astype(float), lon=cells["lon"].astype(float))
    st = tool._stores(public, q.store_profiles(), daily.groupby("shop_id")["business_date"].min())
    started = time.perf_counter()
    counts, dist, avail, _ = tool._choices(st, cells, daily["business_date"].max() + pd.Timedelta(days=1),
                                           first, located)
    prep = time.perf_counter() - started
    fit = g.calibrate(counts, dist, st["sqft"].to_numpy(), avail)
    return {"choices": fit.choices, "origin_groups": int(len(counts)), "read_s": round(read, 3),
            "prepare_s": round(prep, 3), "calibrate_s": round(fit.seconds, 4), "alpha": round(fit.alpha, 4),
            "lambda": round(fit.lam, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--demo")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    path = demo_file(args.scale, args.demo)
    ensure(path, args.scale)
    os.environ["LUCKY_STATE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench_state.sqlite'}"
    use_demo(path)
    record: dict = {"scale": args.scale, "demo": str(path), "cpus": os.cpu_count(),
                    "load_avg_before": os.getloadavg(), "measured_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    pages = [ROOT / "pages" / f"{slug}.py" for slug in TARGETS if (ROOT / "pages" / f"{slug}.py").exists()]
    time_page(pages[0], "admin")                     # first connection and lazy imports
    print(f"{'page':14s} {'cold s':>8s} {'cpu':>6s} {'warm s':>8s} {'cpu':>6s}  target")
    record["pages"] = []
    for page in pages:
        rounds = [time_page(page, "admin") for _ in range(args.repeat)]
        med = {k: round(statistics.median(r[k] for r in rounds), 3)
               for k in ("cold_s", "cold_cpu_s", "warm_s", "warm_cpu_s")}
        target = TARGETS[page.stem]
        ok = med["cold_s"] <= target[0] and med["warm_s"] <= target[1]
        print(f"{page.stem:14s} {med['cold_s']:8.2f} {med['cold_cpu_s']:6.2f} {med['warm_s']:8.2f} "
              f"{med['warm_cpu_s']:6.2f}  ≤{target[0]:g}/≤{target[1]:g} {'ok' if ok else 'MISSED'}"
              f"{'  EXCEPTION' if rounds[-1]['exceptions'] else ''}")
        record["pages"].append({"page": page.stem, **med, "target": target, "ok": ok,
                                "exceptions": rounds[-1]["exceptions"], "load_avg": os.getloadavg()})
    record["what_if"] = what_if()
    print(f"expansion what-if point (a map click), model fitted: {record['what_if']}")

    from lucky.compliance import audit
    started = time.perf_counter()
    check = audit.verify()
    record["verify"] = {"entries": check.entries, "ok": check.ok, "seconds": round(time.perf_counter() - started, 4)}
    print(f"compliance verify: {check.entries} entries in {record['verify']['seconds']:.3f} s ({'ok' if check.ok else 'BROKEN'})")

    record["huff"] = huff_on_demo()
    print(f"Huff calibration on the demo: {record['huff']}")
    record["load_avg_after"] = os.getloadavg()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"expansion_scale{args.scale:g}.json").write_text(json.dumps(record, indent=1, default=str))
    print(f"load average {record['load_avg_after']}; written to {out / f'expansion_scale{args.scale:g}.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
