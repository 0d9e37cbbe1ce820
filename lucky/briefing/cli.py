"""`python -m lucky briefing --date YYYY-MM-DD [--format html|md] [--send]`.

Prints the briefing (HTML by default) or writes it to `--out`; `--send` also delivers it by
email and Slack. Without `--date` it briefs yesterday in America/New_York, which is what the
7 AM cron run wants. Exit status: 0 when written (and, with --send, every configured channel
delivered), 1 when a delivery failed or none is configured.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from lucky.errors import LuckyError

CHAIN_ZONE = "America/New_York"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", help="store-local day to brief (default: yesterday in New York)")
    parser.add_argument("--format", choices=("html", "md"), default="html")
    parser.add_argument("--send", action="store_true", help="deliver by email and Slack as configured")
    parser.add_argument("--out", help="write to this file instead of standard output")
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--no-llm", action="store_true", help="skip the language model; deterministic summary")


def _day(text: str | None):
    if not text:
        return (datetime.now(ZoneInfo(CHAIN_ZONE)) - timedelta(days=1)).date()
    return datetime.strptime(text, "%Y-%m-%d").date()


def run(args: argparse.Namespace) -> int:
    from lucky.briefing import compose, deliver, narrative, render

    try:
        day = _day(args.date)
    except ValueError:
        print(f"--date must be YYYY-MM-DD, not {args.date!r}", file=sys.stderr)
        return 2
    try:
        brief = narrative.write(compose.build(day, args.currency), use_llm=not args.no_llm)
    except LuckyError as exc:
        print(f"The briefing could not be built: {exc}", file=sys.stderr)
        return 1
    html_body, md = render.to_html(brief), render.to_markdown(brief)
    text = html_body if args.format == "html" else md
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    if not args.send:
        return 0
    results = deliver.deliver(f"Daily Briefing {day:%a %Y-%m-%d}", html_body, md)
    for ok, statement in results:
        print(("sent: " if ok else "not sent: ") + statement, file=sys.stderr)
    sent = [ok for ok, s in results if ok]
    failed = [s for ok, s in results if not ok and "not configured" not in s]
    try:
        from lucky import state
        state.audit("briefing-cli", "briefing.send", str(day), "; ".join(s for _, s in results))
    except LuckyError:
        pass
    return 0 if sent and not failed else 1
