"""`python -m lucky ask "QUESTION" [--as-of D] [--role R] [--format json|md]`."""
from __future__ import annotations

import argparse
import json
from datetime import date

from lucky.core import ROLES, Viewer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="a question in plain English, in quotes")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                        help="the day relative dates count from (default: the latest business day in the data)")
    parser.add_argument("--role", choices=ROLES, default="admin", help="answer as this role")
    parser.add_argument("--stores", default="", help="store manager's shop ids, comma separated")
    parser.add_argument("--format", choices=("json", "md"), default="md")
    parser.add_argument("--no-llm", action="store_true", help="offline engine only, even when an LLM is configured")


def run(args: argparse.Namespace) -> int:
    from lucky.ask import engine, usage

    shops = tuple(int(s) for s in args.stores.split(",") if s.strip())
    viewer = Viewer(role=args.role, shop_ids=shops, name=f"cli {args.role}")
    answer = engine.ask(args.question, viewer, as_of=args.as_of, use_llm=False if args.no_llm else None)
    usage.record(args.question, viewer, answer, source="cli")
    if args.format == "json":
        print(json.dumps(answer.as_json(), default=str))
    else:
        print(to_markdown(answer))
    return 0


def to_markdown(answer) -> str:
    lines = [answer.answer, ""]
    if answer.rows:
        lines.append("| " + " | ".join(answer.columns) + " |")
        lines.append("|" + "---|" * len(answer.columns))
        for row in answer.as_json()["rows"][:50]:
            lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
        lines.append("")
    if answer.sql:
        lines += ["```sql", answer.sql, "```"]
    return "\n".join(lines)
