"""`python -m lucky compliance verify [--head HASH]` and `python -m lucky compliance export`.

verify recomputes the audit log's hash chain and exits 1 naming the first altered or missing
entry (0 when intact). export runs the checklist for a period as a role and writes the auditor's
bundle (HTML report, CSVs, head hash) to a zip.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from lucky.core import ROLES, Filters, Viewer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    subs = parser.add_subparsers(dest="action", required=True)
    v = subs.add_parser("verify", help="check the audit log's hash chain")
    v.add_argument("--head", help="the head hash from an auditor's export: also catches a rewritten chain")
    e = subs.add_parser("export", help="write the auditor's bundle (zip) for a period")
    e.add_argument("--start", type=date.fromisoformat, required=True)
    e.add_argument("--end", type=date.fromisoformat, required=True)
    e.add_argument("--currency", default="USD", choices=("USD", "NZD"))
    e.add_argument("--role", default="admin", choices=ROLES)
    e.add_argument("--out", type=Path, required=True, help="zip file to write")


def run(args: argparse.Namespace) -> int:
    from lucky.compliance import audit
    from lucky.errors import LuckyError

    try:
        if args.action == "verify":
            result = audit.verify(args.head)
            if not result.ok:
                print(f"audit log BROKEN at entry {result.seq}: {result.problem}", file=sys.stderr)
                return 1
            extra = f" ({result.problem})" if result.problem else ""
            print(f"audit log intact: {result.entries} entries, head {result.head}{extra}")
            return 0
        from lucky import tools
        from lucky.compliance import export
        from lucky.tools.compliance import SCORE_FORMULA

        filters, viewer = Filters(start=args.start, end=args.end, currency=args.currency), Viewer(args.role, name="cli")
        out = tools.execute("compliance", filters, viewer)
        data, head = export.bundle(out, filters, viewer, SCORE_FORMULA)
        args.out.write_bytes(data)
        print(f"wrote {args.out} ({len(data):,} bytes); audit log head {head}")
        return 0
    except LuckyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
