"""Page render times, cold (empty cache) and warm, on the embedded demo.

    python bench/bench_pages.py [--scale 1] [--demo PATH] [--page landscape ...] [--repeat 3]

Each page runs in Streamlit's AppTest: "cold" clears st.cache_data and the tools' in-memory bases
first (`frame.clear_caches`; the process and its engines stay up, as in a running server after
the TTL expires; bases precomputed on disk for this DuckDB file are kept, as a restarted server
finds them), "warm" reruns it at once. With `--first`, every round also deletes the bases on disk:
the first view after new data, before anything was precomputed. The
median over --repeat rounds is reported and written to bench/out/pages_scale<scale>.json, with the
cold run's CPU seconds (this process, DuckDB's threads included: load inflates wall, much less CPU),
the load average and each page's cold time over landscape's.
Targets: Data Landscape cold <= 3 s, warm <= 0.5 s (issue 3); every page cold <= 1.5x landscape's in
the same run, warm <= 0.3 s (issue 10).
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
TARGETS = {"landscape": (3.0, 0.5)}


def demo_file(scale: float, given: str | None) -> Path:
    """The demo to measure: --demo, or data/demo.duckdb at scale 1, or data/demo_s<scale>.duckdb."""
    from lucky import config

    if given:
        return Path(given)
    if scale == 1:
        return config.demo_path()
    return config.data_dir() / f"demo_s{scale:g}.duckdb"


def ensure(path: Path, scale: float) -> None:
    if path.exists():
        return
    from lucky.demo.build import build

    print(f"building the scale-{scale:g} demo at {path} (once)…", file=sys.stderr)
    build(str(path), scale=scale, progress=lambda step, f: print(f"  {f:4.0%} {step}", file=sys.stderr))


def use_demo(path: Path | str | None) -> None:
    """Point Lucky at this DuckDB file as the app's embedded demo (None: keep the configured
    sources), with fresh engines and every tool imported: imports are not part of a page's time."""
    if path is not None:
        os.environ.pop("LUCKY_DATABASE_URL", None)
        os.environ["LUCKY_DEMO_PATH"] = str(Path(path).resolve())
    from lucky import sources, tools

    sources.dispose_all()
    tools.registry()


def time_page(page: Path, role: str, first: bool = False) -> tuple[float, float, float, list[str]]:
    """Cold (or `first`) and warm wall seconds, cold CPU seconds of this process (load inflates
    wall, not CPU)."""
    from streamlit.testing.v1 import AppTest

    from lucky.tools import _memo
    from lucky.ui import frame

    frame.clear_caches()
    if first:
        _memo.clear(disk=True)
    at = AppTest.from_file(str(page), default_timeout=600)
    at.session_state["role"] = role
    started, cpu = time.perf_counter(), time.process_time()
    at.run()
    cold, cold_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    at.run()
    warm = time.perf_counter() - started
    problems = [str(e.value)[:200] for e in at.exception]
    return cold, warm, cold_cpu, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--demo", help="DuckDB demo file (built if missing)")
    parser.add_argument("--page", action="append", default=[], help="slug(s); default every page")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--role", default="admin")
    parser.add_argument("--first", action="store_true",
                        help="also delete the precomputed bases on disk: the first view after new data")
    args = parser.parse_args(argv)

    path = demo_file(args.scale, args.demo)
    ensure(path, args.scale)
    use_demo(path)                                   # the embedded demo, as the app uses it
    pages = sorted((ROOT / "pages").glob("*.py"))
    if args.page:
        pages = [p for p in pages if p.stem in args.page]
    time_page(pages[0], args.role)                   # first connection and lazy imports

    results, failed = [], False
    kind = "first" if args.first else "cold"
    print(f"{'page':22s} {kind + ' s':>8s} {'cpu s':>8s} {'warm s':>8s}  target")
    for page in pages:
        rounds = [time_page(page, args.role, args.first) for _ in range(args.repeat)]
        cold = statistics.median(r[0] for r in rounds)
        warm = statistics.median(r[1] for r in rounds)
        cpu = statistics.median(r[2] for r in rounds)
        problems = rounds[-1][3]
        target = TARGETS.get(page.stem)
        ok = target is None or (cold <= target[0] and warm <= target[1])
        failed |= not ok or bool(problems)
        verdict = "" if target is None else f"≤{target[0]:g}/≤{target[1]:g} {'ok' if ok else 'MISSED'}"
        print(f"{page.stem:22s} {cold:8.2f} {cpu:8.2f} {warm:8.2f}  {verdict}{'  EXCEPTION' if problems else ''}")
        results.append({"page": page.stem, "cold_s": round(cold, 3), "cold_cpu_s": round(cpu, 3),
                        "warm_s": round(warm, 3),
                        "rounds": [[round(c, 3), round(w, 3), round(u, 3)] for c, w, u, _ in rounds],
                        "target": target, "ok": ok, "exceptions": problems})
    base = next((r for r in results if r["page"] == "landscape"), None)
    if base and base["cold_s"] and base["cold_cpu_s"]:   # issue 10: every cold page within 1.5x landscape's
        for r in results:
            r["cold_vs_landscape"] = round(r["cold_s"] / base["cold_s"], 2)
            r["cpu_vs_landscape"] = round(r["cold_cpu_s"] / base["cold_cpu_s"], 2)
        print(f"{kind} / landscape, wall (CPU): " + ", ".join(
            f"{r['page']} {r['cold_vs_landscape']:.1f}x ({r['cpu_vs_landscape']:.1f}x)" for r in results))
    print(f"load average {os.getloadavg()[0]:.1f}")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    record = {"scale": args.scale, "demo": str(path), "role": args.role, "repeat": args.repeat, "mode": kind,
              "cpus": os.cpu_count(), "load_avg": os.getloadavg(), "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
              "pages": results}
    name = f"pages_scale{args.scale:g}{'_first' if args.first else ''}.json"
    (out / name).write_text(json.dumps(record, indent=1))
    print(f"written to {out / name}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
