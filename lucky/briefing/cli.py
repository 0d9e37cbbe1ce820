"""`python -m lucky briefing --date YYYY-MM-DD [--format html|md] [--send] [--role R [--manager-of ID]]`.

Prints the briefing (HTML by default) or writes it to `--out`; `--send` also delivers it by
email and Slack. Without `--date` it briefs yesterday in America/New_York, which is what the
7 AM cron run wants. It runs the `briefing` tool through `lucky.tools.execute` as a viewer:
`--role`, else `LUCKY_BRIEFING_ROLE` (the role the scheduled briefing's recipients hold; admin
when unset), so recipients see only what that role may. Exit status: 0 when written (and, with
--send, every configured channel delivered), 1 when a delivery failed or none is configured,
2 bad usage, 3 the role may not read the briefing.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lucky import config
from lucky.core import ROLES, Filters, Viewer
from lucky.errors import LuckyError

CHAIN_ZONE = "America/New_York"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", help="store-local day to brief (default: yesterday in New York)")
    parser.add_argument("--format", choices=("html", "md", "slack"), default="html",
                        help="html (the email), md (Markdown), slack (Slack mrkdwn)")
    parser.add_argument("--send", action="store_true", help="deliver by email and Slack as configured")
    parser.add_argument("--out", help="write to this file instead of standard output")
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--no-llm", action="store_true", help="skip the language model; deterministic summary")
    parser.add_argument("--role", choices=ROLES, help="brief as this role (default LUCKY_BRIEFING_ROLE, else admin)")
    parser.add_argument("--manager-of", type=int, nargs="+", action="extend", default=[], metavar="ID",
                        dest="manager_of", help="with --role store_manager: the manager's shop ids")


def viewer_from(args: argparse.Namespace) -> Viewer:
    """Who the briefing is for; ValueError when the role or its shops are not usable."""
    role = args.role or (config.setting("LUCKY_BRIEFING_ROLE") or "admin").strip()
    if role not in ROLES:
        raise ValueError(f"LUCKY_BRIEFING_ROLE={role!r} is not a role; roles: {', '.join(ROLES)}")
    if role == "store_manager" and not args.manager_of:
        raise ValueError("--role store_manager needs --manager-of ID ...")
    return Viewer(role=role, shop_ids=tuple(args.manager_of), name="briefing-cli")


def report_day(text: str | None):
    """The day a scheduled report covers: the given YYYY-MM-DD, else yesterday in the chain's zone
    (a mail sent at 7am reports the last whole business day)."""
    if not text:
        return (datetime.now(ZoneInfo(CHAIN_ZONE)) - timedelta(days=1)).date()
    return datetime.strptime(text, "%Y-%m-%d").date()


def run(args: argparse.Namespace) -> int:
    from lucky import tools
    from lucky.briefing import deliver
    from lucky.tools.cli import guarded

    try:
        day = report_day(args.date)
    except ValueError:
        print(f"--date must be YYYY-MM-DD, not {args.date!r}", file=sys.stderr)
        return 2
    try:
        viewer = viewer_from(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    status, out = guarded(lambda: tools.execute(
        "briefing", Filters(start=day, end=day, as_of=day, currency=args.currency), viewer, day=day,
        use_llm=not args.no_llm), "The briefing could not be built")
    if status:
        return status
    documents = out.tables.get("documents")
    if documents is None or documents.empty:
        print("; ".join(m.text for m in out.messages) or "Nothing to brief.", file=sys.stderr)
        return 1
    docs = documents.set_index("format")["content"]
    html_body, slack = docs["html"], docs.get("slack", docs["md"])
    text = docs.get(args.format, html_body)
    deliver.write_out(text, args.out)
    if not args.send:
        return 0
    results = deliver.deliver(f"Daily Briefing {day:%a %Y-%m-%d}", html_body, slack)
    deliver.say_results(results)
    sent = [ok for ok, s in results if ok]
    failed = [s for ok, s in results if not ok and "not configured" not in s]
    try:
        from lucky import state
        state.audit("briefing-cli", "briefing.send", str(day), "; ".join(s for _, s in results))
    except LuckyError:
        pass
    return 0 if sent and not failed else 1
