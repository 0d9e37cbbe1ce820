"""Payment processing cost per channel: effective rates, ranks, trends and the steering what-if.

Effective rate = sum(total_fee) / sum(amount) over `t_channel_fee` (both in cents), the report's
formula. Stripe prices a charge as a percentage plus a fixed fee (online 2.9% + 30c, in person
2.7% + 5c), so the effective rate already folds the fixed part in at each channel's own ticket
size; the what-if uses it as the marginal cost of a dollar moved between channels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.0


def rate(fee: pd.Series | float, amount: pd.Series | float):
    """fee / amount, NaN where the amount is zero."""
    if isinstance(amount, pd.Series):
        return fee / amount.where(amount != 0)
    return fee / amount if amount else float("nan")


def channel_table(trades: pd.DataFrame, fees: pd.DataFrame) -> pd.DataFrame:
    """Per channel_id: transactions, revenue ($), fee volume ($), total fees ($), effective rate,
    average ticket, cost rank (1 = most expensive per dollar).

    trades: channel_id, transactions, amount (cents, successful trades).
    fees: channel_id, fee_rows, amount (cents), transaction_fee, merchant_service_fee, total_fee (cents).
    """
    t = trades.groupby("channel_id")[["transactions", "amount"]].sum()
    f = fees.groupby("channel_id")[["fee_rows", "amount", "transaction_fee", "merchant_service_fee", "total_fee"]].sum()
    out = t.rename(columns={"amount": "revenue_c"}).join(
        f.rename(columns={"amount": "fee_base_c"}), how="outer").fillna(0).reset_index()
    res = pd.DataFrame({
        "channel_id": out["channel_id"].astype(int),
        "transactions": out["transactions"].astype(int),
        "revenue": out["revenue_c"] / 100,
        "fee_base": out["fee_base_c"] / 100,
        "transaction_fees": out["transaction_fee"] / 100,
        "merchant_service_fees": out["merchant_service_fee"] / 100,
        "total_fees": out["total_fee"] / 100,
    })
    res["effective_rate"] = rate(res["total_fees"], res["fee_base"])
    res["avg_ticket"] = rate(res["revenue"], res["transactions"])
    res["cost_rank"] = res["effective_rate"].rank(ascending=False, method="min").astype("Int64")
    return res.sort_values(["cost_rank", "channel_id"]).reset_index(drop=True)


def period_rates(fees: pd.DataFrame, period: str = "month") -> pd.DataFrame:
    """Effective rate per channel and period (`month` or `business_date`): fees: channel_id,
    period column, fee_rows, amount, total_fee (cents) -> charges, fee_base, total_fees ($), rate."""
    g = fees.groupby(["channel_id", period])[["amount", "total_fee", "fee_rows"]].sum().reset_index()
    g["charges"] = g["fee_rows"].astype(int)
    g["fee_base"] = g["amount"] / 100
    g["total_fees"] = g["total_fee"] / 100
    g["effective_rate"] = rate(g["total_fees"], g["fee_base"])
    return g[["channel_id", period, "charges", "fee_base", "total_fees", "effective_rate"]]


@dataclass(frozen=True)
class WhatIf:
    """The steering scenario and its arithmetic, so the page can show how the number came about."""

    from_channel: int
    to_channel: int
    share: float
    days: float
    volume: float             # $ through from_channel in the window
    yearly_volume: float      # annualised
    moved: float              # $ per year moved
    rate_from: float
    rate_to: float
    saving: float             # $ per year (negative: costs more)

    def arithmetic(self) -> str:
        return (f"${self.volume:,.2f} over {self.days:.0f} days x {DAYS_PER_YEAR:.0f}/{self.days:.0f} "
                f"= ${self.yearly_volume:,.2f}/year through channel {self.from_channel}; "
                f"moving {self.share:.0%} = ${self.moved:,.2f}/year; "
                f"x ({self.rate_from:.3%} - {self.rate_to:.3%}) = ${self.saving:,.2f}/year saved")


def what_if(channels: pd.DataFrame, from_channel: int, to_channel: int, share: float, days: float) -> WhatIf:
    """Yearly saving from moving `share` of `from_channel`'s dollar volume to `to_channel`:
    share x annual volume x (rate_from - rate_to). Raises KeyError for an unknown channel and
    ValueError for a share outside 0..1 or an empty window."""
    if not 0 <= share <= 1:
        raise ValueError(f"share must be between 0 and 1, got {share}")
    if days <= 0:
        raise ValueError("the window holds no days")
    idx = channels.set_index("channel_id")
    for ch in (from_channel, to_channel):
        if ch not in idx.index:
            raise KeyError(f"channel {ch} has no transactions in this window")
    src, dst = idx.loc[from_channel], idx.loc[to_channel]
    volume = float(src["fee_base"] or src["revenue"])
    yearly = volume * DAYS_PER_YEAR / days
    moved = yearly * share
    r_from = float(np.nan_to_num(src["effective_rate"]))
    r_to = float(np.nan_to_num(dst["effective_rate"]))
    return WhatIf(from_channel, to_channel, share, days, volume, yearly, moved, r_from, r_to,
                  moved * (r_from - r_to))
