"""Sales-tax audit of order items: what NYC tax should have been, what was recorded, and the gap.

NYC combined rate 8.875% = New York State 4% + New York City 4.5% + MCTD 0.375%, applied to the
taxable amount (the item's pay_money) and rounded to the cent. A recorded tax is correct when it
is *a* valid rounding of the exact product (within half a cent), so half-cent ties rounded either
way are not exceptions. Filing periods are New York's sales-tax quarters (Mar-May, Jun-Aug,
Sep-Nov, Dec-Feb), each due on the 20th of the month after it ends.
"""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

NYC_RATE = 0.08875
COMPONENTS: dict[str, float] = {"New York State": 0.04, "New York City": 0.045, "MCTD": 0.00375}
#: a recorded tax within this distance of taxable x rate is a valid rounding (half a cent + float noise)
TOLERANCE = 0.00501
RATE_EPS = 1e-6
KINDS = ("missing_tax", "wrong_rate", "amount_error")


def round_cents(value: float) -> float:
    """Round half up to the cent, on the decimal value (not the binary float)."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_tax(taxable: pd.Series, rate: float = NYC_RATE, mode: pd.Series | None = None) -> pd.Series:
    """Tax due per item. Mode 1 (exclusive, US): taxable x rate. Mode 2 (inclusive): the tax part
    of a price that already contains it, pay x rate / (1 + rate)."""
    amount = pd.to_numeric(taxable, errors="coerce").fillna(0.0)
    exact = amount * rate
    if mode is not None:
        inclusive = pd.to_numeric(mode, errors="coerce").fillna(1).eq(2)
        exact = exact.where(~inclusive, amount * rate / (1 + rate))
    return exact.map(round_cents)


def classify(items: pd.DataFrame, rate: float = NYC_RATE) -> pd.DataFrame:
    """Label each item: missing_tax, wrong_rate, amount_error, or None (correct).

    Input columns: pay_money (taxable), tax, tax_rate, tax_mode (optional).
    - missing_tax: tax due but the recorded tax is NULL or zero;
    - wrong_rate: a tax was recorded at a rate other than the statutory one;
    - amount_error: the rate is right (or absent) but the amount is not a rounding of taxable x rate.
    Adds `expected`, `recorded`, `difference` (recorded - expected) and `kind`.
    """
    out = items.copy()
    mode = out["tax_mode"] if "tax_mode" in out else None
    out["expected"] = expected_tax(out["pay_money"], rate, mode)
    recorded = pd.to_numeric(out["tax"], errors="coerce")
    rec_rate = pd.to_numeric(out["tax_rate"], errors="coerce")
    out["recorded"] = recorded.fillna(0.0)
    out["difference"] = (out["recorded"] - out["expected"]).round(2)
    amount = pd.to_numeric(out["pay_money"], errors="coerce").fillna(0.0)
    exact = amount * rate
    if mode is not None:
        exact = exact.where(~pd.to_numeric(mode, errors="coerce").fillna(1).eq(2), amount * rate / (1 + rate))
    off = (out["recorded"] - exact).abs() > TOLERANCE
    due = out["expected"] > 0
    missing = due & (recorded.isna() | (recorded == 0))
    wrong = ~missing & recorded.notna() & (recorded != 0) & rec_rate.notna() & ((rec_rate - rate).abs() > RATE_EPS)
    amount_error = ~missing & ~wrong & off
    kind = pd.Series(None, index=out.index, dtype=object)
    for name, mask in zip(KINDS, (missing, wrong, amount_error)):
        kind[mask] = name
    out["kind"] = kind
    return out


def exceptions(items: pd.DataFrame, rate: float = NYC_RATE) -> pd.DataFrame:
    """One row per order and kind: kind, order_no, shop_id, shop_name, business_date, items,
    recorded_rate, taxable, expected, recorded, difference. Sorted by the largest gap first."""
    cols = ["kind", "order_no", "shop_id", "shop_name", "business_date", "items", "recorded_rate",
            "taxable", "expected", "recorded", "difference"]
    if items.empty:
        return pd.DataFrame(columns=cols)
    labelled = classify(items, rate)
    bad = labelled[labelled["kind"].notna()].copy()
    if bad.empty:
        return pd.DataFrame(columns=cols)
    if "shop_name" not in bad:
        bad["shop_name"] = None
    bad["rate_text"] = pd.to_numeric(bad["tax_rate"], errors="coerce").map(
        lambda r: "" if pd.isna(r) else f"{r:.5f}".rstrip("0").rstrip("."))
    grouped = bad.groupby(["kind", "order_no"], sort=False, dropna=False).agg(
        shop_id=("shop_id", "first"), shop_name=("shop_name", "first"),
        business_date=("business_date", "first"), items=("pay_money", "size"),
        recorded_rate=("rate_text", lambda s: ", ".join(sorted({x for x in s if x}))),
        taxable=("pay_money", "sum"), expected=("expected", "sum"), recorded=("recorded", "sum"),
    ).reset_index()
    grouped["difference"] = (grouped["recorded"] - grouped["expected"]).round(2)
    for col in ("taxable", "expected", "recorded"):
        grouped[col] = grouped[col].round(2)
    order = grouped["difference"].abs().sort_values(ascending=False, kind="stable").index
    return grouped.loc[order, cols].reset_index(drop=True)


def tax_quarter(day: date | pd.Timestamp) -> tuple[date, date]:
    """First and last day of the New York sales-tax quarter containing `day`."""
    ts = pd.Timestamp(day)
    start_month = {3: 3, 4: 3, 5: 3, 6: 6, 7: 6, 8: 6, 9: 9, 10: 9, 11: 9, 12: 12, 1: 12, 2: 12}[ts.month]
    start_year = ts.year - 1 if ts.month in (1, 2) else ts.year
    start = pd.Timestamp(start_year, start_month, 1)
    end = start + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    return start.date(), end.date()


def quarter_label(day: date | pd.Timestamp) -> str:
    """`2025-06..2025-08`: the quarter as its first and last month (NY names periods by dates)."""
    start, end = tax_quarter(day)
    return f"{start:%Y-%m}..{end:%Y-%m}"


def filing_due(day: date | pd.Timestamp) -> date:
    """Quarterly ST-100 returns are due on the 20th of the month after the quarter ends."""
    _, end = tax_quarter(day)
    nxt = pd.Timestamp(end) + pd.Timedelta(days=1)
    return date(nxt.year, nxt.month, 20)


def summarize(agg: pd.DataFrame, exc: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Collected vs expected per `keys`.

    agg: aggregated items (keys + items, taxable, collected); exc: item-level exceptions with the
    same keys and `difference` (recorded - expected). expected = collected - sum(difference);
    gap = expected - collected (positive: tax under-collected).
    """
    cols = keys + ["items", "taxable", "collected", "expected", "gap", "effective_rate"]
    if agg.empty:
        return pd.DataFrame(columns=cols)
    out = agg.groupby(keys, dropna=False)[["items", "taxable", "collected"]].sum().reset_index()
    if not exc.empty:
        diff = exc.groupby(keys, dropna=False)["difference"].sum().rename("diff").reset_index()
        out = out.merge(diff, on=keys, how="left")
    else:
        out["diff"] = 0.0
    out["diff"] = out["diff"].fillna(0.0)
    out["expected"] = (out["collected"] - out["diff"]).round(2)
    out["collected"] = out["collected"].round(2)
    out["taxable"] = out["taxable"].round(2)
    out["gap"] = (out["expected"] - out["collected"]).round(2)
    out["effective_rate"] = np.where(out["taxable"] > 0, out["collected"] / out["taxable"].where(out["taxable"] > 0), np.nan)
    return out[cols]


def component_column(name: str) -> str:
    """`tax_due_new_york_state`: the ledger column of one jurisdiction's share of the tax due."""
    return "tax_due_" + name.lower().replace(" ", "_")


def ledger(by_quarter: pd.DataFrame) -> pd.DataFrame:
    """Filing-preparation ledger: per quarter, store and recorded rate, the taxable sales, the tax
    collected, the tax due at the statutory rate split into its jurisdictions, and the gap.

    Input: summarize(...) keyed by quarter_start, shop_id, shop_name, rate.
    """
    out = by_quarter.copy()
    out["period"] = out["quarter_start"].map(quarter_label).astype(object)
    out["filing_due"] = out["quarter_start"].map(filing_due).astype(object)
    for name, part in COMPONENTS.items():
        out[component_column(name)] = (out["expected"] * part / NYC_RATE).round(2)
    lead = ["period", "quarter_start", "filing_due", "shop_id", "shop_name", "rate"]
    rest = [c for c in out.columns if c not in lead]
    return out[lead + rest].sort_values(["quarter_start", "shop_id", "rate"]).reset_index(drop=True)
