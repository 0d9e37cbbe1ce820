"""Tool 20, Executive Daily Briefing: the morning read for one store-local day.

The day is the `day` option, else the filters' as-of date, else their end date, else the last
day with data. Tables: `stores` (revenue and orders by store with comparisons), `incidents`,
`outlook`, `facts` (the fact sheet the narrative is checked against) and `documents` (the HTML
email, Markdown and the Slack message, for the preview page and the CLI).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky.briefing import compose, narrative, render
from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer


def _day(filters: Filters, day: date | str | None) -> date | None:
    if day:
        return pd.Timestamp(day).date()
    return filters.as_of or filters.end


def _latest_day(filters: Filters) -> date | None:
    from lucky.queries import metrics, shops
    span = metrics.order_span(shops.trading_shops(filters.currency))
    return None if span.empty else span["last_day"].max().date()


def run(filters: Filters, viewer: Viewer, day: date | str | None = None, use_llm: bool = True) -> Output:
    out = Output()
    chosen = _day(filters, day) or _latest_day(filters)
    if chosen is None:
        out.note("warning", "There are no orders at all, so there is nothing to brief.")
        return out
    brief = narrative.write(compose.build(chosen, viewer, filters.currency, filters.stores), use_llm=use_llm)
    for n in brief.notes:
        out.note("warning" if not brief.has_data else "info", n)
    if brief.narrative:
        out.note("info", brief.narrative)
    if brief.narrative_note:
        out.note("warning", brief.narrative_note)
    rev = brief.section("Revenue & Orders")
    if rev:
        out.kpis = [Kpi(f.label, f.value, f.unit, None if f.vs_week is None else round(f.vs_week * 100, 1),
                        help="change vs the same weekday last week (%)") for f in rev.figures]
        out.tables["stores"] = rev.table if rev.table is not None else pd.DataFrame()
    alerts = brief.section("Alerts & Exceptions")
    if alerts is not None and alerts.table is not None:
        out.tables["incidents"] = alerts.table
    outlook = brief.section("7-Day Outlook")
    if outlook is not None and outlook.table is not None:
        out.tables["outlook"] = outlook.table
    out.tables["facts"] = pd.DataFrame({"fact": brief.facts().splitlines()})
    out.tables["documents"] = pd.DataFrame({"format": ["html", "md", "slack"],
                                            "content": [render.to_html(brief), render.to_markdown(brief),
                                                        render.to_slack(brief)]})
    return out


TOOL = Tool(
    slug="briefing", number=20, title="Executive Daily Briefing", department="Company-wide",
    roles=frozenset({"finance", "operations", "marketing", "product", "supply_chain"}),
    # its own reads, then those of the reconciliation and tax-gap runs it makes for the reader
    sources=("luckyus_sales_order", "luckyus_sales_payment", "luckyus_opproduction", "luckyus_iot_platform",
             "luckyus_scm_shopstock", "luckyus_scm_commodity", "luckyus_sales_marketing", "luckyus_sales_crm",
             "luckyus_ireplenishment", "luckyus_opshop",
             "luckyus_ifiaccounting", "luckyus_iunifiedreconcile", "luckyus_fi_tax"),
    run=run, options=(
        Option("day", date, None, "the day to brief on (default: the filters' as-of, else the latest day)"),
        Option("use_llm", bool, True, "write the narrative with the configured LLM (falls back to a template)"),
    ), icon=":material/newspaper:", precompute=True,
    description="Yesterday's numbers, alerts and the week ahead, as an email and a Slack message.",
)
