"""`python -m lucky demo <action>`: build the demo, write its MySQL DDL, show what was built.

    python -m lucky demo build [--target PATH|URL] [--scale F] [--seed N] [--bulk F]
                               [--truth PATH] [--replace]
    python -m lucky demo ddl [--check]
    python -m lucky demo info [--target PATH|URL]

Progress goes to stderr (step, rows, rows/s); the report goes to stdout as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from lucky import config
from lucky.errors import LuckyError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    b = actions.add_parser("build", help="generate the demo and load it into a DuckDB file or a server")
    b.add_argument("--target", help="DuckDB file path, mysql+pymysql://user@host:3306/ or "
                   "postgresql://user@host:5432/db (default: the embedded demo, "
                   f"LUCKY_DEMO_PATH={config.demo_path()})")
    b.add_argument("--scale", type=float, default=1.0, help="1 = Luckin US's size (default 1)")
    b.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    b.add_argument("--bulk", type=float, default=0.1,
                   help="extra factor for the huge log tables (default 0.1; 1 = full size)")
    b.add_argument("--truth", type=Path, help="write the planted defects as JSON here (tests only)")
    b.add_argument("--replace", action="store_true", help="rebuild a target that already holds data")
    b.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    d = actions.add_parser("ddl", help="write lucky/schema/ddl/<database>.sql from the schema")
    d.add_argument("--check", action="store_true", help="only check the files are current (exit 1 if not)")
    i = actions.add_parser("info", help="show the scale, seed and build time of a demo target")
    i.add_argument("--target", help="DuckDB file path or server URL (default: the embedded demo)")


def run(args: argparse.Namespace) -> int:
    try:
        return {"build": _build, "ddl": _ddl, "info": _info}[args.action](args)
    except LuckyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _build(args: argparse.Namespace) -> int:
    from lucky.demo.build import build

    report = build(args.target, scale=args.scale, seed=args.seed, bulk=args.bulk,
                   truth=args.truth, replace=args.replace,
                   progress=None if args.quiet else _printer())
    print(json.dumps(report, indent=1, default=str))
    if not args.quiet and not args.target:
        print("next: `python -m lucky warm` precomputes the heavy pages for this data (15 s at "
              "scale 1; the app starts it by itself after a first-run build)", file=sys.stderr)
    return 0


def _printer():
    """A progress callback printing elapsed time, percent and the step to stderr."""
    started = time.perf_counter()

    def show(message: str, fraction: float) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s {fraction:4.0%}] {message}",
              file=sys.stderr, flush=True)
    return show


def _ddl(args: argparse.Namespace) -> int:
    from lucky.demo.load_mysql import DDL_DIR, mysql_ddl, write_ddl
    from lucky.schema import DATABASES

    if args.check:
        stale = [db for db in DATABASES if not (DDL_DIR / f"{db}.sql").exists()
                 or (DDL_DIR / f"{db}.sql").read_text(encoding="utf-8") != mysql_ddl(db)]
        for db in stale:
            print(f"stale: {DDL_DIR / db}.sql", file=sys.stderr)
        return 1 if stale else 0
    for path in write_ddl():
        print(path)
    return 0


def _info(args: argparse.Namespace) -> int:
    from lucky import sources

    meta = sources.demo_meta(args.target)
    if meta is None:
        print("no demo metadata at the target (not a Lucky demo, or not built yet)", file=sys.stderr)
        return 1
    print(json.dumps(meta, indent=1, default=str))
    return 0
