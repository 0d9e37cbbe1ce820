"""Tool 8, Payment Channel Cost Optimizer: what each Stripe channel costs per dollar, how that
moves month by month, and what steering a share of volume to a cheaper channel would save."""
from __future__ import annotations

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import fees
from lucky.models import shops as real_shops
from lucky.queries import payments
from lucky.queries import shops as shop_q
from lucky.tools import _memo

#: The report's Tool 8 table names the likely method of six channel_ids; the rest are unnamed.
CHANNEL_NAMES = {53: "Apple Pay", 6: "Credit card", 51: "Google Pay", 3: "Debit card", 1: "Other card",
                 52: "Alt payment"}


def channel_name(channel_id: int) -> str:
    """`Apple Pay (53)`; `channel 91` when the report does not name it."""
    name = CHANNEL_NAMES.get(int(channel_id))
    return f"{name} ({int(channel_id)})" if name else f"channel {int(channel_id)}"


def _named(df: pd.DataFrame) -> pd.DataFrame:
    """The table with a `channel` name column right after `channel_id`."""
    if "channel_id" not in df.columns or "channel" in df.columns:
        return df
    out = df.copy()
    out.insert(list(out.columns).index("channel_id") + 1, "channel", out["channel_id"].map(channel_name))
    return out


#: the report's example: "shift 10% of Apple Pay (53) to debit (3)"
DEFAULT_FROM, DEFAULT_TO, DEFAULT_SHARE = 53, 3, 0.10


def _base(filters: Filters, include_test: bool) -> dict:
    """Everything but the what-if: the channel table, the monthly rates and the window's days
    (`table` None when the range has no charges in the currency). Kept once per data version and
    filters (`_memo`), so moving a what-if widget redoes one line of arithmetic, not the reads."""
    shops = shop_q.shops()
    filters = real_shops.scope(filters, shops, include_test)
    tr = payments.channel_parts(filters.start, filters.end, filters.stores, shops)
    fp = payments.fees(filters.start, filters.end, filters.stores, shops)
    unzoned = bool((tr["zone_ix"] == -1).any())
    tr, fp = tr[tr["currency_code"] == filters.currency], fp[fp["currency_code"] == filters.currency]
    if tr.empty and fp.empty:
        return {"shops": shops, "unzoned": unzoned, "table": None}
    table = fees.channel_table(tr, fp).merge(payments.user_channels(), on="channel_id", how="left")
    fp = fp.assign(month=fp["business_date"].dt.to_period("M").dt.to_timestamp())
    days = max(1.0, float((tr["business_date"].max() - tr["business_date"].min()).days + 1))
    return {"shops": shops, "unzoned": unzoned, "table": table, "monthly": fees.period_rates(fp, "month"),
            "days": days}


def run(filters: Filters, viewer: Viewer, from_channel: int | None = None, to_channel: int | None = None,
        share: float = DEFAULT_SHARE, include_test: bool = False) -> Output:
    out = Output()
    cur = filters.currency
    key = _memo.source_key(*TOOL.sources) + (filters, include_test)
    base = _memo.memo("payment-costs.base", key, lambda: _base(filters, include_test))
    shops, table = base["shops"], base["table"]
    if base["unzoned"]:
        out.note("warning", "Charges of stores without a usable time zone are placed on their UTC day.")
    if table is None:
        out.note("info", f"No {cur} charges in this date range and store selection.")
        return out
    monthly, days = base["monthly"], base["days"]

    channels = set(table["channel_id"])
    src = from_channel if from_channel is not None else (DEFAULT_FROM if DEFAULT_FROM in channels
                                                         else int(table.sort_values("revenue").iloc[-1]["channel_id"]))
    dst = to_channel if to_channel is not None else (DEFAULT_TO if DEFAULT_TO in channels
                                                     else int(table.sort_values("effective_rate").iloc[0]["channel_id"]))
    try:
        scenario = fees.what_if(table, int(src), int(dst), float(share), days)
        out.note("info", f"What-if: {scenario.arithmetic()}.")
        out.tables["what-if"] = pd.DataFrame([{
            "from_channel": scenario.from_channel, "to_channel": scenario.to_channel, "share": scenario.share,
            "window_days": scenario.days, "window_amount": scenario.volume, "yearly_amount": scenario.yearly_volume,
            "moved_amount_per_year": scenario.moved, "from_rate": scenario.rate_from, "to_rate": scenario.rate_to,
            "yearly_saving": scenario.saving}])
        saving = scenario.saving
    except (KeyError, ValueError) as exc:
        out.note("warning", f"What-if not computed: {str(exc).strip(chr(39))}.")
        saving = None

    total_fees, base = float(table["total_fees"].sum()), float(table["fee_base"].sum())
    out.kpis = [
        Kpi("Channels", len(table)),
        Kpi("Transactions", int(table["transactions"].sum())),
        Kpi("Revenue", float(table["revenue"].sum()), "$"),
        Kpi("Processing fees", total_fees, "$"),
        Kpi("Effective rate", round(total_fees / base * 100, 3) if base else None, "%"),
        Kpi("Fees per year (run rate)", total_fees * fees.DAYS_PER_YEAR / days, "$"),
        Kpi("What-if saving per year", saving, "$"),
    ]
    # 11 channels: tableau20 gives each its own colour (the default palette has 10)
    out.charts["monthly-fee-rate"] = alt.Chart(_named(monthly)).mark_line(point=True).encode(
        x=alt.X("yearmonth(month):T", title="Month"), y=alt.Y("effective_rate:Q", title="Effective rate", axis=alt.Axis(format=".1%")),
        color=alt.Color("channel:N", scale=alt.Scale(scheme="tableau20")),
        tooltip=["channel:N", "yearmonth(month):T", alt.Tooltip("effective_rate:Q", format=".3%")])
    out.tables["channels"] = _named(table)
    out.tables["monthly"] = _named(monthly.assign(month=monthly["month"].dt.strftime("%Y-%m")))
    return real_shops.finish(out, shops, include_test)


TOOL = Tool(
    slug="payment-costs", number=8, title="Payment Channel Cost Optimizer", department="Finance",
    roles=frozenset({"finance"}), sources=("luckyus_sales_payment", "luckyus_opshop"),
    run=run, options=(
        Option("from_channel", int, None, "channel_id to move volume away from (default Apple Pay, 53)"),
        Option("to_channel", int, None, "channel_id to move it to (default debit, 3)"),
        Option("share", float, DEFAULT_SHARE, "share of the from-channel's volume moved", range=(0.0, 1.0), step=0.05),
        real_shops.INCLUDE_TEST,
    ), icon=":material/credit_card:",
    description="Effective Stripe rate and cost rank per channel_id, monthly fee trend, and a "
                "what-if for steering volume between channels.",
)
