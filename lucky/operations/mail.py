"""The store mails of Tool 13: a daily summary for operations leadership and a weekly ranking
leaderboard, each written for one reader and sent through the briefing's delivery path.

Both run `store-performance` through `lucky.tools.execute` as the reader (a `Viewer`), so a store
manager's mail holds only their stores, exactly as their page would. HTML with inline styles (mail
clients drop <style> rules) plus a plain-text twin.
"""
from __future__ import annotations

import html
from datetime import date, timedelta

import pandas as pd

from lucky.core import Filters, Viewer

LIGHT = {"green": "#2e9e44", "yellow": "#e0a800", "red": "#d62728", "grey": "#bbbbbb"}
DAILY_KPIS = ("orders_per_open_hour", "avg_production_s", "uptime_pct", "stockout_items", "late_opens")


def _run(start: date, end: date, viewer: Viewer, currency: str):
    from lucky import tools

    return tools.execute("store-performance", Filters(start=start, end=end, currency=currency), viewer)


def _cell(value, light: str | None = None) -> str:
    text = html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else f"{value:,}"
                       if isinstance(value, int) else f"{value:,.2f}" if isinstance(value, float) else str(value))
    dot = f'<span style="color:{LIGHT.get(light, "#bbb")}">&#9679;</span> ' if light else ""
    return f'<td style="padding:4px 8px;border-bottom:1px solid #eee">{dot}{text}</td>'


def _table(df: pd.DataFrame, columns: list[str], lights: dict[str, str] | None = None) -> str:
    lights = lights or {}
    head = "".join(f'<th style="text-align:left;padding:4px 8px;border-bottom:2px solid #ccc">{html.escape(c)}</th>'
                   for c in columns)
    body = "".join("<tr>" + "".join(_cell(r[c], r.get(lights[c]) if c in lights else None) for c in columns) + "</tr>"
                   for r in df.to_dict("records"))
    return f'<table style="border-collapse:collapse;font-size:13px">{head and "<tr>" + head + "</tr>"}{body}</table>'


def _text(df: pd.DataFrame, columns: list[str]) -> str:
    return df[columns].to_string(index=False) if len(df) else "(none)"


def _page(title: str, parts: list[str]) -> str:
    return ('<html><body style="font-family:Arial,sans-serif;max-width:760px;margin:auto">'
            f'<h2 style="margin-bottom:4px">{html.escape(title)}</h2>' + "".join(parts) + "</body></html>")


def daily(day: date, viewer: Viewer, currency: str = "USD") -> tuple[str, str, str]:
    """(subject, html, text): the day's scorecard with its lights and the store alerts still open."""
    out = _run(day, day, viewer, currency)
    card = out.tables.get("scorecard", pd.DataFrame())
    alerts = out.tables.get("alerts", pd.DataFrame())
    open_alerts = alerts[alerts["state"] == "firing"] if len(alerts) else alerts
    cols = ["shop_name", "orders", "revenue", *DAILY_KPIS]
    title = f"Store performance {day:%a %Y-%m-%d}"
    notes = [m.text for m in out.messages]
    if card.empty:
        body = "<p>No store traded on this day.</p>"
        text = "No store traded on this day."
    else:
        body = (f"<p>{len(card)} store(s), {int(card['orders'].sum()):,} orders, "
                f"{currency} {card['revenue'].sum():,.2f}.</p>"
                + _table(card, cols, {k: f"{k}_status" for k in DAILY_KPIS}))
        text = (f"{len(card)} store(s), {int(card['orders'].sum()):,} orders, {currency} {card['revenue'].sum():,.2f}\n\n"
                + _text(card, cols))
    if len(open_alerts):
        acols = ["shop_id", "kpi", "since", "severity", "message", "status"]
        body += f"<h3>Open alerts ({len(open_alerts)})</h3>" + _table(open_alerts, acols)
        text += f"\n\nOpen alerts ({len(open_alerts)})\n" + _text(open_alerts, acols)
    else:
        body += "<p>No open store alerts.</p>"
        text += "\n\nNo open store alerts."
    body += "".join(f'<p style="color:#5f6368;font-size:12px">{html.escape(n)}</p>' for n in notes)
    return title, _page(title, [body]), f"{title}\n\n{text}\n"


def weekly(day: date, viewer: Viewer, currency: str = "USD") -> tuple[str, str, str]:
    """(subject, html, text): the age-normalised ranking as of `day` and the week's orders."""
    start = day - timedelta(days=6)
    out = _run(start, day, viewer, currency)
    rank = out.tables.get("ranking", pd.DataFrame())
    card = out.tables.get("scorecard", pd.DataFrame())
    title = f"Store leaderboard, week {start:%Y-%m-%d} to {day:%Y-%m-%d}"
    if rank.empty:
        return title, _page(title, ["<p>No store to rank.</p>"]), f"{title}\n\nNo store to rank.\n"
    board = rank.merge(card[["shop_id", "shop_name", "orders", "revenue"]], on="shop_id", how="left")
    cols = ["rank", "shop_name", "peer_group", "orders", "revenue", "ramp_index", "trend"]
    intro = ("Rank by ramp index: each store's last 28 days against what stores did at the same age "
             "(1.00 = the chain's usual ramp); trend = OLS slope of the weekly index over 8 weeks.")
    return (title, _page(title, [f"<p>{intro}</p>", _table(board, cols)]),
            f"{title}\n\n{intro}\n\n{_text(board, cols)}\n")
