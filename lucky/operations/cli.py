"""`python -m lucky stores alerts|daily|weekly [--date D] [--role R --manager-of ID] [--to ADDR] [--send]`.

`alerts` checks the day's store KPIs against their alert limits, records the transitions in Lucky's
state store and sends them through the monitor's channels (cron it every 15 minutes, or daily).
`daily` and `weekly` write the store mails for one reader (`--role`, default operations; a store
manager with `--manager-of`) and with `--send` deliver them to `--to` (default LUCKY_BRIEFING_TO)
by the briefing's delivery path. `--date` defaults to yesterday in New York. Exit status: 0 done,
1 a delivery or the check failed, 2 bad usage, 3 the role may not read the scorecard.
"""
from __future__ import annotations

import argparse
import sys

from lucky.briefing.cli import report_day
from lucky.core import ROLES, Filters, Viewer
from lucky.tools.cli import guarded


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=("alerts", "daily", "weekly"))
    parser.add_argument("--date", help="store-local day (default: yesterday in New York)")
    parser.add_argument("--role", choices=ROLES, default="operations", help="the reader's role (mails)")
    parser.add_argument("--manager-of", type=int, nargs="+", action="extend", default=[], metavar="ID",
                        dest="manager_of", help="with --role store_manager: the manager's shop ids")
    parser.add_argument("--to", action="append", default=[], help="recipient address (mails; repeatable)")
    parser.add_argument("--send", action="store_true", help="deliver the mail, or notify the alert changes")
    parser.add_argument("--currency", default="USD")


def _alerts(day, args) -> int:
    from lucky import tools
    from lucky.operations import alerts

    out = tools.execute("store-performance", Filters(start=day, end=day, currency=args.currency),
                        Viewer(name="store-alerts"))
    moved = alerts.check(day, out.tables.get("alert-check"))
    if moved is None:
        print(f"{day} is before the last day checked ({alerts.last_checked()}): nothing recorded", file=sys.stderr)
        return 1
    for t in moved:
        print(f"{t.action}: store {t.instance} {t.rule}: {t.message}")
    if args.send:
        for channel, result in alerts.notify(moved).items():
            print(f"{channel}: {result}", file=sys.stderr)
    return 0


def _mail(day, args) -> int:
    from lucky.briefing import deliver
    from lucky.operations import mail

    if args.role == "store_manager" and not args.manager_of:
        print("error: --role store_manager needs --manager-of ID ...", file=sys.stderr)
        return 2
    viewer = Viewer(role=args.role, shop_ids=tuple(args.manager_of), name=f"stores-{args.action}")
    subject, html_body, text = getattr(mail, args.action)(day, viewer, args.currency)
    sys.stdout.write(text)
    if not args.send:
        return 0
    results = deliver.deliver(subject, html_body, text, to=args.to or None, slack=False)
    deliver.say_results(results)
    return 0 if all(ok for ok, _ in results) else 1


def run(args: argparse.Namespace) -> int:
    try:
        day = report_day(args.date)
    except ValueError:
        print(f"--date must be YYYY-MM-DD, not {args.date!r}", file=sys.stderr)
        return 2
    status, code = guarded(lambda: _alerts(day, args) if args.action == "alerts" else _mail(day, args))
    return status or code
