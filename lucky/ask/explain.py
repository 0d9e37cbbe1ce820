"""'Explain this data': what an answer's columns mean, where they come from, and the caveats."""
from __future__ import annotations

from lucky.ask.semantic import fact_for

CAVEATS = (
    "Days are store-local business days (from `t_shop_info.time_zone`); the sources store UTC.",
    "NZD (Cook Islands test stores) is never added to USD: each answer is in one currency (USD unless you ask for NZD).",
    "Orders and revenue count completed orders (status 90) only; refunds are status 70.",
    "Weeks start on Monday; 'this week' and 'this month' run up to the as-of day.",
)


def explain(answer) -> str:
    """Markdown for the page's 'Explain this data'."""
    spec = answer.spec
    fact, metric, _ = fact_for(spec)
    lines = [f"**{metric.label}**: {metric.definition}.",
             f"**Source**: `{fact.database}` ({fact.source.split(' ')[0]}), time column `{fact.ts.split('.')[-1]}`"
             + (", store names from `luckyus_opshop.t_shop_info`" if fact.shop else "") + "."]
    if answer.columns:
        lines.append("**Columns**: " + "; ".join(f"`{c}`" for c in answer.columns) + ".")
    lines += [f"- {c}" for c in CAVEATS]
    if metric.name in ("coupons", "new_users"):
        lines.append("- This figure carries no store: it is chain-wide.")
    return "\n".join(lines)
