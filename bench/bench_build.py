"""Benchmark the demo build (a script, not a test): wall time, CPU time and peak RSS per target.

    python bench/bench_build.py                 # all cases below
    python bench/bench_build.py duckdb-1 pg-0.05

Each case runs in a fresh child process so its peak RSS is its own. Goals (issue 2): a full
`--scale 1` DuckDB build within 60 s and 4 GB peak RSS on the 2-core machine; `--scale 0.01`
within 5 s; loading `--scale 0.05` into MariaDB and PostgreSQL is measured. Results go to
stdout as a Markdown table and to bench/out/bench_build.json. The machine's load average is
printed with them: other processes inflate wall time, CPU time is the steadier figure.

The MariaDB case replaces the `luckyus_*` databases of 127.0.0.1:3306 (the schema names are
fixed), then puts back the tests' parity demo (scale 0.01, seed 0) under the tests' lock.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MARIADB = os.environ.get("LUCKY_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
POSTGRES = os.environ.get("LUCKY_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/lucky_bench")

CASES: dict[str, dict] = {
    "duckdb-1": {"target": "{tmp}/bench_1.duckdb", "scale": 1.0, "goal_s": 60, "goal_rss_mb": 4096},
    "duckdb-0.01": {"target": "{tmp}/bench_001.duckdb", "scale": 0.01, "goal_s": 5},
    "mariadb-0.05": {"target": MARIADB, "scale": 0.05},
    "pg-0.05": {"target": POSTGRES, "scale": 0.05},
}


def one(spec: dict) -> dict:
    """Child process: build once, report wall/CPU/peak RSS and the build's own timings."""
    sys.path.insert(0, str(ROOT))
    import warnings
    warnings.simplefilter("ignore")
    from lucky.demo.build import build

    started = time.perf_counter()
    report = build(spec["target"], scale=spec["scale"], seed=0, replace=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall_s": round(time.perf_counter() - started, 2), "user_s": round(usage.ru_utime, 2),
            "sys_s": round(usage.ru_stime, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "rows": report["total_rows"], "timings": report["timings"]}


def run_case(name: str, tmp: str) -> dict:
    spec = {**CASES[name], "target": CASES[name]["target"].format(tmp=tmp)}
    load_before = os.getloadavg()[0]
    proc = subprocess.run([sys.executable, __file__, "--one", json.dumps(spec)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        return {"case": name, "error": proc.stderr.strip().splitlines()[-1:]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"case": name, "scale": spec["scale"], "load_avg": round(load_before, 1), **result,
            "goal_s": spec.get("goal_s"), "goal_rss_mb": spec.get("goal_rss_mb")}


def restore_test_demo() -> None:
    """Put the tests' parity demo back on MariaDB (same lock and rule as tests/conftest.py)."""
    import fcntl
    sys.path.insert(0, str(ROOT))
    from lucky.demo.build import build
    with open(Path(tempfile.gettempdir()) / "lucky-test-server-demo.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        build(MARIADB, scale=0.01, seed=0, replace=True)


def table(results: list[dict]) -> str:
    lines = ["| case | rows | wall s | CPU s (user+sys) | peak RSS MB | slowest generator steps (s) | load s | load avg |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['case']} | error: {r['error']} |||||||")
            continue
        steps = sorted(r["timings"]["generate"].items(), key=lambda kv: -kv[1])[:3]
        lines.append(f"| {r['case']} | {r['rows']:,} | {r['wall_s']} | {r['user_s'] + r['sys_s']:.1f} | "
                     f"{r['peak_rss_mb']:,} | {', '.join(f'{k} {v:.1f}' for k, v in steps)} | "
                     f"{r['timings']['load']:.1f} | {r['load_avg']} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(one(json.loads(argv[1]))))
        return 0
    names = argv or list(CASES)
    with tempfile.TemporaryDirectory(prefix="lucky_bench_") as tmp:
        results = []
        for name in names:
            results.append(run_case(name, tmp))
            print(f"{name}: {json.dumps({k: v for k, v in results[-1].items() if k != 'timings'})}",
                  file=sys.stderr, flush=True)
    if "mariadb-0.05" in names:
        restore_test_demo()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_build.json").write_text(json.dumps(results, indent=1))
    print(f"{os.cpu_count()} CPUs; load average now {os.getloadavg()[0]:.1f}\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
