"""Issue 17 timings: the compliance page (and the expansion page and Huff calibration where they
exist) cold and warm, plus the audit-log verification, on the embedded demo.

    python bench/bench_expansion.py [--scale 1] [--demo PATH] [--repeat 3]

Cold clears st.cache_data first (as bench_pages.py does); warm reruns at once. Targets (issue 17):
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
from bench_pages import demo_file, ensure, time_page  # noqa: E402

TARGETS = {"compliance": (2.0, 0.3), "expansion": (3.0, 0.3)}


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
    os.environ.pop("LUCKY_DATABASE_URL", None)
    os.environ["LUCKY_DEMO_PATH"] = str(path)
    os.environ["LUCKY_STATE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench_state.sqlite'}"
    from lucky import sources, tools

    sources.dispose_all()
    tools.registry()
    record: dict = {"scale": args.scale, "demo": str(path), "cpus": os.cpu_count(),
                    "load_avg_before": os.getloadavg(), "measured_at": time.strftime("%Y-%m-%d %H:%M:%S")}
    pages = [ROOT / "pages" / f"{slug}.py" for slug in TARGETS if (ROOT / "pages" / f"{slug}.py").exists()]
    time_page(pages[0], "admin")                     # first connection and lazy imports
    print(f"{'page':14s} {'cold s':>8s} {'warm s':>8s}  target")
    record["pages"] = []
    for page in pages:
        rounds = [time_page(page, "admin") for _ in range(args.repeat)]
        cold, warm = statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds)
        target = TARGETS[page.stem]
        ok = cold <= target[0] and warm <= target[1]
        print(f"{page.stem:14s} {cold:8.2f} {warm:8.2f}  ≤{target[0]:g}/≤{target[1]:g} {'ok' if ok else 'MISSED'}"
              f"{'  EXCEPTION' if rounds[-1][2] else ''}")
        record["pages"].append({"page": page.stem, "cold_s": round(cold, 3), "warm_s": round(warm, 3),
                                "target": target, "ok": ok, "exceptions": rounds[-1][2]})

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
