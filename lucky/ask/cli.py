"""`python -m lucky ask "QUESTION" [--as-of D] [--role R] [--format json|md]`."""
from __future__ import annotations

import argparse
import json
from datetime import date

from lucky.core import ROLES, Viewer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", nargs="?", default="", help="a question in plain English, in quotes")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                        help="the day relative dates count from (default: the latest business day in the data)")
    parser.add_argument("--role", choices=ROLES, default="admin", help="answer as this role")
    parser.add_argument("--stores", default="", help="store manager's shop ids, comma separated")
    parser.add_argument("--format", choices=("json", "md"), default="md")
    parser.add_argument("--no-llm", action="store_true", help="offline engine only, even when an LLM is configured")
    parser.add_argument("--weekly", action="store_true",
                        help="print questions per week from the usage log instead (the report's 50+/week metric)")


def run(args: argparse.Namespace) -> int:
    from lucky.ask import engine, usage

    if args.weekly:
        weekly = usage.weekly_counts()
        print(weekly.to_json(orient="records", date_format="iso") if args.format == "json"
              else _md_table([str(c) for c in weekly.columns], weekly.astype(str).values.tolist())
              if len(weekly) else "No questions logged yet.")
        return 0
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
        lines += [_md_table(answer.columns, answer.as_json()["rows"][:50]), ""]
    if answer.sql:
        lines += ["```sql", answer.sql, "```"]
    return "\n".join(lines)


def _md_table(columns: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
