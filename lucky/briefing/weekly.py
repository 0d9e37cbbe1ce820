"""`python -m lucky weekly channels|campaigns [--date YYYY-MM-DD] [--format md|html|slack] [--send]`.

Weekly marketing summaries (issue 14) sent through the briefing's delivery path
(`lucky.briefing.deliver`: email and Slack as configured, each channel reporting what happened):

- `channels`: channel health for the week ending `--date` (default: yesterday in New York):
  new users and first orders per acquisition channel this week against the week before, and
  each channel's 180-day value, CAC and LTV/CAC over every registration up to that day;
- `campaigns`: the campaign scorecard as of that day: verdict counts, the templates adding the
  most incremental revenue, the cannibalizing ones, and experiments with a significant lift.

Both run their tools through `lucky.tools.execute` as a viewer (`--role`, else
LUCKY_BRIEFING_ROLE, else admin), so recipients see only what that role may. Exit status as the
briefing's: 0 written (and delivered), 1 delivery failed or none configured, 2 bad usage, 3 denied.
"""
from __future__ import annotations

import argparse
import html
import sys
from datetime import date, timedelta

import pandas as pd

from lucky.briefing.cli import report_day, viewer_from
from lucky.core import ROLES, Filters, Viewer
from lucky.errors import LuckyError

SUMMARIES = ("channels", "campaigns")
LIST_MAX = 5          # templates named in a line; the rest are counted


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("summary", choices=SUMMARIES, help="which weekly summary")
    parser.add_argument("--date", help="last day of the week (default: yesterday in New York)")
    parser.add_argument("--format", choices=("html", "md", "slack"), default="md")
    parser.add_argument("--send", action="store_true", help="deliver by email and Slack as configured")
    parser.add_argument("--out", help="write to this file instead of standard output")
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--role", choices=ROLES, help="summarise as this role (default LUCKY_BRIEFING_ROLE, else admin)")
    parser.set_defaults(manager_of=[])


# ---------------------------------------------------------------- composition
class Summary:
    """A title, lines of text (bullets) and tables, rendered as Markdown, Slack mrkdwn or HTML."""

    def __init__(self, title: str) -> None:
        self.title, self.parts = title, []

    def line(self, text: str) -> None:
        self.parts.append(("line", text))

    def table(self, caption: str, df: pd.DataFrame) -> None:
        self.parts.append(("table", (caption, df)))

    def markdown(self) -> str:
        out = [f"*{self.title}*"]
        for kind, value in self.parts:
            if kind == "line":
                out.append(f"• {value}")
            else:
                out += [f"_{value[0]}_", "```", value[1].to_string(index=False, na_rep="-"), "```"]
        return "\n".join(out)

    def html(self) -> str:
        body = [f"<h2>{html.escape(self.title)}</h2>", "<ul>"]
        body += [f"<li>{html.escape(v)}</li>" for k, v in self.parts if k == "line"]
        body.append("</ul>")
        for kind, value in self.parts:
            if kind == "table":
                body += [f"<h3>{html.escape(value[0])}</h3>",
                         value[1].to_html(index=False, border=0, na_rep="-", escape=True)]
        return "<html><body style=\"font-family:sans-serif\">" + "".join(body) + "</body></html>"


def _money(v: float) -> str:
    return "-" if pd.isna(v) else f"${v:,.2f}"


def channels_summary(day: date, viewer: Viewer, currency: str = "USD") -> Summary:
    """Channel health for the week ending `day` (see the module notes)."""
    from lucky import tools

    full = tools.execute("channels", Filters(end=day, as_of=day, currency=currency), viewer)
    week = tools.execute("channels", Filters(start=day - timedelta(days=6), end=day, as_of=day, currency=currency), viewer)
    prev = tools.execute("channels", Filters(start=day - timedelta(days=13), end=day - timedelta(days=7),
                                             as_of=day - timedelta(days=7), currency=currency), viewer)
    s = Summary(f"Channel health, week ending {day:%a %Y-%m-%d}")
    table = full.tables.get("channels")
    if table is None:
        s.line("No registrations up to this day.")
        return s
    rows = table[table["level"] == "channel"].set_index("channel")
    this_w, last_w = _new_users(week), _new_users(prev)
    df = pd.DataFrame({"channel": rows.index,
                       "new_users": [int(this_w["users"].get(c, 0)) for c in rows.index],
                       "week_before": [int(last_w["users"].get(c, 0)) for c in rows.index],
                       "first_orders": [int(this_w["first_orders"].get(c, 0)) for c in rows.index],
                       "ltv_180": rows["ltv_180"].map(_money).to_numpy(),
                       "cac": rows["cac"].map(_money).to_numpy(),
                       "ltv_to_cac": rows["ltv_to_cac"].round(2).to_numpy()})
    new, before = df["new_users"].sum(), df["week_before"].sum()
    s.line(f"New users: {new:,} ({_change(new, before)} on the week before).")
    s.line(f"Highest 180-day value per user: {rows.index[0]} ({_money(rows['ltv_180'].iloc[0])}).")
    ratio = rows["ltv_to_cac"].dropna()
    if len(ratio):
        s.line(f"Best LTV/CAC: {ratio.idxmax()} ({ratio.max():.2f}); weakest: {ratio.idxmin()} ({ratio.min():.2f}).")
    for msg in full.messages:
        if msg.level in ("warning", "error"):
            s.line(msg.text)
    s.table("Per acquisition channel", df)
    return s


def _new_users(out) -> pd.DataFrame:
    t = out.tables.get("channels")
    if t is None:
        return pd.DataFrame({"users": [], "first_orders": []})
    return t[t["level"] == "channel"].set_index("channel")[["users", "first_orders"]]


def _change(now: float, before: float) -> str:
    return "n/a" if not before else f"{(now - before) / before:+.0%}"


def campaigns_scorecard(day: date, viewer: Viewer, currency: str = "USD") -> Summary:
    """The campaign scorecard as of `day` (see the module notes)."""
    from lucky import tools

    out = tools.execute("campaigns", Filters(end=day, as_of=day, currency=currency), viewer)
    s = Summary(f"Campaign scorecard, week ending {day:%a %Y-%m-%d}")
    t = out.tables.get("templates")
    if t is None or t.empty:
        s.line("No coupon templates.")
        return s
    counts = t["verdict"].value_counts()
    s.line(", ".join(f"{k}: {int(v)}" for k, v in counts.items()) + f" ({len(t)} templates).")
    s.line(f"Incremental revenue, all templates: {_money(t['incremental_revenue'].sum())}.")
    bad = t[t["verdict"] == "cannibalizing"]
    if len(bad):
        names = [f"{r.template_id} {r.name}" for r in bad.head(LIST_MAX).itertuples()]
        more = f" and {len(bad) - LIST_MAX} more" if len(bad) > LIST_MAX else ""
        s.line(f"Cannibalizing (discounting orders that would have happened): {'; '.join(names)}{more}.")
    e = out.tables.get("experiments")
    if e is not None and len(e):
        sig = e[e["significant"].fillna(False).astype(bool)]
        s.line(f"Experiments with a significant lift (sequential test): {len(sig)} of {len(e)}"
               + (": " + ", ".join(str(x) for x in sig["experiment_name"]) if len(sig) else "") + ".")
    top = t.dropna(subset=["incremental_revenue"]).head(5)
    s.table("Top templates by incremental revenue", top[["template_id", "name", "issued", "redeemed",
                                                          "incremental_revenue", "roi", "verdict"]])
    return s


# ---------------------------------------------------------------- CLI
def run(args: argparse.Namespace) -> int:
    from lucky.briefing import deliver
    from lucky.tools.cli import guarded

    try:
        day = report_day(args.date)
        viewer = viewer_from(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    make = channels_summary if args.summary == "channels" else campaigns_scorecard
    status, summary = guarded(lambda: make(day, viewer, args.currency), "The summary could not be built")
    if status:
        return status
    text = summary.html() if args.format == "html" else summary.markdown()
    deliver.write_out(text, args.out)
    if not args.send:
        return 0
    results = deliver.deliver(summary.title, summary.html(), summary.markdown())
    deliver.say_results(results)
    try:
        from lucky import state
        state.audit("weekly-cli", f"weekly.{args.summary}.send", str(day), "; ".join(s for _, s in results))
    except LuckyError:
        pass
    sent = [ok for ok, _ in results if ok]
    failed = [s for ok, s in results if not ok and "not configured" not in s]
    return 0 if sent and not failed else 1
