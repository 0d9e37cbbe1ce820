"""Command-line entry: each subcommand lives with the code it drives and is imported lazily.

A subcommand module exposes `add_arguments(parser)` and `run(args) -> int`.
"""
from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("lucky.demo.cli", "build the embedded demo or load it into a server"),
    "run": ("lucky.tools.cli", "print a tool's tables as CSV, JSON or Markdown"),
    "warm": ("lucky.tools.warm", "precompute the heavy tools after new data, so first views open fast"),
    "collect": ("lucky.monitor.cli", "poll the database fleet into Lucky's state store"),
    "briefing": ("lucky.briefing.cli", "write or send the executive daily briefing"),
    "weekly": ("lucky.briefing.weekly", "write or send a weekly marketing summary (channels, campaigns)"),
    "stores": ("lucky.operations.cli", "check store KPI alerts; write or send the daily and weekly store mails"),
    "compliance": ("lucky.compliance.cli", "verify the compliance audit log or export an auditor's bundle"),
    "ask": ("lucky.ask.cli", "ask Lucky a question in plain English"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m lucky", description="Lucky, the analyst suite")
    subs = parser.add_subparsers(dest="command", required=True)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    for name, (module, help_text) in SUBCOMMANDS.items():
        sub = subs.add_parser(name, help=help_text)
        if name == command:
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name and exc.name.startswith("lucky"):
                    parser.error(f"'{name}' is not available in this build ({exc.name} missing)")
                raise
            mod.add_arguments(sub)
            sub.set_defaults(_run=mod.run)
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130
