"""`python -m lucky run <slug> ...`: a tool's tables on stdout, from the same `execute` as the page.

Configuration is the app's (`LUCKY_DATABASE_URL` first, then secrets, then the embedded demo).
Dates default like the app's sidebar: the whole history up to the latest day in the data.
Exit codes: 0 ok, 1 a source or input error (message on stderr), 2 bad usage, 3 access denied.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import TextIO, TypeVar

import pandas as pd

from lucky.core import ROLES, Filters, Viewer

FORMATS = ("csv", "json", "md")


T = TypeVar("T")


def guarded(call: Callable[[], T], failed: str = "error") -> tuple[int, T | None]:
    """`call()` as every command runs a tool: (0, its result), or the exit status with the reason on
    standard error: 3 when the viewer's role may not open it, 1 when a source or an input failed."""
    from lucky.access import AccessDenied
    from lucky.errors import LuckyError

    try:
        return 0, call()
    except AccessDenied as exc:
        print(f"denied: {exc}", file=sys.stderr)
        return 3, None
    except LuckyError as exc:
        print(f"{failed}: {exc}", file=sys.stderr)
        return 1, None


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _option(text: str) -> tuple[str, str]:
    """`KEY=VALUE` as text: the tool's declaration parses and checks the value."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"'{text}' is not KEY=VALUE")
    return key.replace("-", "_"), value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("slug", help="the tool's slug, e.g. landscape, tax-gap, reconciliation")
    parser.add_argument("--start", type=_day, help="first store-local business day (default: first in the data)")
    parser.add_argument("--end", type=_day, help="last business day, inclusive (default: latest in the data)")
    parser.add_argument("--as-of", type=_day, dest="as_of", help="the view's as-of day (default: --end)")
    parser.add_argument("--store", type=int, nargs="+", action="extend", default=[], metavar="ID",
                        help="shop ids (default: all the role may see)")
    parser.add_argument("--currency", choices=("USD", "NZD"), default="USD")
    parser.add_argument("--table", help="print only this table")
    parser.add_argument("--format", choices=FORMATS, default="csv")
    parser.add_argument("--role", choices=ROLES, default="admin", help="view as this role (default admin)")
    parser.add_argument("--manager-of", type=int, nargs="+", action="extend", default=[], metavar="ID",
                        dest="manager_of", help="with --role store_manager: the manager's shop ids")
    parser.add_argument("--option", type=_option, action="append", default=[], metavar="KEY=VALUE",
                        help="a tool option (what-if knob) as the tool declares it; "
                             "an unknown key or bad value lists what is allowed")


def default_span(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """Fill missing ends from the data, as the app's sidebar does."""
    if start and end:
        return start, end
    from lucky.errors import LuckyError
    from lucky.queries.landscape import data_span

    try:
        first, last = data_span()
    except LuckyError:
        return start, end  # the tool itself will report the unreachable source
    return start or first, end or last


def filters_from(args: argparse.Namespace, needs_data: bool = True) -> Filters:
    """Filters from the flags; the default span comes from the data only for tools that read it."""
    start, end = default_span(args.start, args.end) if needs_data else (args.start, args.end)
    return Filters(start=start, end=end, stores=tuple(sorted(set(args.store))),
                   currency=args.currency, as_of=args.as_of or end)


def _records(df: pd.DataFrame) -> list[dict]:
    """JSON rows with the export conventions of `lucky.ui.formats` (ids as strings, counts as
    integers, money to the cent, no float noise)."""
    from lucky.ui import formats

    return formats.json_records(df)


def _cell(value: object) -> str:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency), values as in the CSV."""
    from lucky.ui import formats

    df = formats.export_frame(df)
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def _csv(df: pd.DataFrame) -> str:
    from lucky.ui import formats

    return formats.to_csv(df)


def write(tables: dict[str, pd.DataFrame], fmt: str, out: TextIO, single: bool) -> None:
    """One table bare, or every table under its name (a dict for JSON)."""
    if fmt == "json":
        payload = (_records(next(iter(tables.values()))) if single
                   else {name: _records(df) for name, df in tables.items()})
        json.dump(payload, out, indent=1, default=str)
        out.write("\n")
        return
    for i, (name, df) in enumerate(tables.items()):
        if not single:
            out.write(("\n" if i else "") + (f"## {name}\n\n" if fmt == "md" else f"# {name}\n"))
        out.write(markdown(df) + "\n" if fmt == "md" else _csv(df))


def run(args: argparse.Namespace) -> int:
    from lucky import tools
    from lucky.errors import InputError

    try:
        tool = tools.get(args.slug)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.role == "store_manager" and not args.manager_of:
        print("error: --role store_manager needs --manager-of ID ...", file=sys.stderr)
        return 2
    viewer = Viewer(role=args.role, shop_ids=tuple(args.manager_of), name="cli")
    try:
        options = tool.parse_options(dict(args.option))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    status, output = guarded(lambda: tools.execute(args.slug, filters_from(args, bool(tool.sources)), viewer, **options))
    if status:
        return status
    for msg in output.messages:
        if msg.level in ("warning", "error"):
            print(f"{msg.level}: {msg.text}", file=sys.stderr)
    tables = output.tables
    if args.table:
        if args.table not in tables:
            print(f"error: {args.slug} has no table '{args.table}'; it has: {', '.join(tables)}",
                  file=sys.stderr)
            return 2
        tables = {args.table: tables[args.table]}
    write(tables, args.format, sys.stdout, single=bool(args.table))
    return 0
