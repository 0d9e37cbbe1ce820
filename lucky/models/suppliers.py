"""Supplier scorecards (anchors: OTIF, lead-time mean and p90, fill rate, price index against the
first purchase, score as a stated weighted sum).

- on time: a shipment that arrived on or before its PO's expected date; shipments still on the
  way are not judged (they are open, or overdue once the expected date has passed);
- lead days: PO order date to arrival; fill rate: Σ received / Σ shipped over arrived shipments;
- price change: per goods, last unit price over first in the range, averaged weighted by spend;
- settlement days: days from a PO's last arrival to payment; on terms: paid by the due date;
- late flag (needs at least LATE_MIN_SHIPMENTS judged shipments: one bad week is not a pattern):
  late on at least half of them (LATE_RATE), or on-time rate at least LATE_GAP below the other
  suppliers' pooled rate with a one-sided binomial test against that rate below LATE_P;
- received per the stores (`booked_lines`): each arrived shipment line against the receipts in
  the stock ledger that reference its shipment (`ref_no` = ship_no) for that goods; a line the
  stores booked less of than the supplier shipped (or not at all) is short by
  short_pct = 100 × (shipped − received) / shipped;
- score = 100 × (0.45 on_time_rate + 0.30 fill_rate + 0.15 price_stability + 0.10 on_terms_rate),
  price_stability = clip(1 − price_change_pct / 10, 0, 1): a supplier 10% dearer scores 0 there.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest

WEIGHTS = {"on_time_rate": 0.45, "fill_rate": 0.30, "price_stability": 0.15, "on_terms_rate": 0.10}
PRICE_SCALE_PCT = 10.0
LATE_GAP, LATE_P = 0.15, 0.05
LATE_MIN_SHIPMENTS, LATE_RATE = 3, 0.5
SCORE_FORMULA = ("score = 100 × (0.45 × on-time rate + 0.30 × fill rate + 0.15 × price stability + "
                 "0.10 × settlements paid on terms); price stability = 1 − price change % / 10, kept in 0..1")


def judge_shipments(ship: pd.DataFrame, as_of) -> pd.DataFrame:
    """Add arrived, on_time, lead_days, late_days, short, overdue (expected date passed, not arrived)."""
    s = ship.copy()
    for col in ("ship_date", "arrive_date", "order_date", "expected_date"):
        s[col] = pd.to_datetime(s[col])
    s["arrived"] = s["arrive_date"].notna()
    s["on_time"] = np.where(s["arrived"] & s["expected_date"].notna(), s["arrive_date"] <= s["expected_date"], np.nan)
    s["lead_days"] = (s["arrive_date"] - s["order_date"]).dt.days
    s["late_days"] = (s["arrive_date"] - s["expected_date"]).dt.days.clip(lower=0)
    s["short"] = s["arrived"] & (s["received_qty"].astype(float) < s["shipped_qty"].astype(float) - 1e-9)
    s["overdue"] = ~s["arrived"] & s["expected_date"].notna() & (s["expected_date"] < pd.Timestamp(as_of))
    return s


def price_changes(lines: pd.DataFrame, min_pct: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per supplier price_change_pct, price alerts).

    Alerts: consecutive purchases of one supplier × goods (by order date) where the unit price
    rose by at least `min_pct` percent: supplier_code, goods_code, prev_date, date, prev_price,
    unit_price, pct. The change per supplier is the spend-weighted mean over its goods of
    last / first unit price − 1, in percent."""
    cols = ["supplier_code", "goods_code", "prev_date", "date", "prev_price", "unit_price", "pct"]
    ln = lines.dropna(subset=["goods_code", "unit_price"]).copy()
    if ln.empty:
        return pd.DataFrame(columns=["supplier_code", "price_change_pct"]), pd.DataFrame(columns=cols)
    ln["order_date"] = pd.to_datetime(ln["order_date"])
    ln["unit_price"] = ln["unit_price"].astype(float)
    ln["amount"] = ln["amount"].astype(float)
    per_day = (ln.groupby(["supplier_code", "goods_code", "order_date"], as_index=False)
               .agg(unit_price=("unit_price", "max"), amount=("amount", "sum")))
    per_day = per_day.sort_values(["supplier_code", "goods_code", "order_date"])
    g = per_day.groupby(["supplier_code", "goods_code"])
    per_day["prev_price"] = g["unit_price"].shift()
    per_day["prev_date"] = g["order_date"].shift()
    per_day["pct"] = (per_day["unit_price"] / per_day["prev_price"] - 1) * 100
    alerts = per_day[per_day["pct"] >= min_pct].rename(columns={"order_date": "date"})
    ends = g.agg(first=("unit_price", "first"), last=("unit_price", "last"), spend=("amount", "sum")).reset_index()
    ends["chg"] = (ends["last"] / ends["first"] - 1) * 100
    change = (ends.assign(w=ends["chg"] * ends["spend"]).groupby("supplier_code")[["w", "spend"]].sum())
    change = (change["w"] / change["spend"].where(change["spend"] > 0)).rename("price_change_pct").reset_index()
    alerts = alerts.assign(prev_date=alerts["prev_date"].dt.date, date=alerts["date"].dt.date)
    return change, alerts[cols].sort_values(["date", "supplier_code", "goods_code"]).reset_index(drop=True)


def settlement_stats(settle: pd.DataFrame, ship: pd.DataFrame) -> pd.DataFrame:
    """Per supplier: settlement_days (mean days from the PO's last arrival to payment) and
    on_terms_rate (paid settlements paid by their due date)."""
    st = settle.copy()
    st["paid_date"], st["due_date"] = pd.to_datetime(st["paid_date"]), pd.to_datetime(st["due_date"])
    last = pd.to_datetime(ship.groupby("po_no")["arrive_date"].max())
    st["days"] = (st["paid_date"] - st["po_no"].map(last)).dt.days
    paid = st[st["paid_date"].notna()]
    out = paid.groupby("supplier_code").agg(settlement_days=("days", "mean"),
                                            on_terms_rate=("paid_date", lambda d: float((d <= paid.loc[d.index, "due_date"]).mean())))
    return out.reset_index()


def scorecard(ship: pd.DataFrame, lines: pd.DataFrame, settle: pd.DataFrame, sup: pd.DataFrame,
              price_change: pd.DataFrame) -> pd.DataFrame:
    """The `suppliers` table: one row per supplier with orders or shipments in the range."""
    arrived = ship[ship["arrived"] & ship["expected_date"].notna()]
    per = ship.groupby("supplier_code").agg(shipments=("ship_no", "size"), overdue=("overdue", "sum"))
    judged = arrived.groupby("supplier_code").agg(
        arrived=("ship_no", "size"), on_time=("on_time", "sum"), avg_lead_days=("lead_days", "mean"),
        p90_lead_days=("lead_days", lambda d: float(np.quantile(d, 0.9))),
        received=("received_qty", "sum"), shipped=("shipped_qty", "sum"))
    orders = lines.groupby("supplier_code").agg(orders=("po_no", "nunique"), spend=("amount", "sum"))
    t = sup.set_index("supplier_code")[["supplier_name", "category_name"]].join(orders, how="outer")
    t = t.join(per, how="outer").join(judged, how="left")
    t = t.join(price_change.set_index("supplier_code"), how="left")
    t = t.join(settlement_stats(settle, ship).set_index("supplier_code"), how="left")
    t = t[(t["orders"].fillna(0) > 0) | (t["shipments"].fillna(0) > 0)].copy()
    t["on_time_rate"] = t["on_time"] / t["arrived"].where(t["arrived"] > 0)
    t["fill_rate"] = t["received"].astype(float) / t["shipped"].astype(float).where(t["shipped"] > 0)
    t["price_stability"] = (1 - t["price_change_pct"].fillna(0) / PRICE_SCALE_PCT).clip(0, 1)
    # a part with no data in the range (e.g. no settlement) can come back untyped: score it as missing
    parts = pd.DataFrame({k: t[k] if pd.api.types.is_numeric_dtype(t[k]) else pd.Series(np.nan, index=t.index)
                          for k in WEIGHTS})
    t["score"] = 100 * sum(parts[k].fillna(parts[k].mean()) * w for k, w in WEIGHTS.items())
    t["flag"] = _late_flags(t)
    t = t.reset_index().rename(columns={"index": "supplier_code"})
    for col in ("orders", "shipments", "arrived", "overdue"):
        t[col] = t[col].fillna(0).astype("int64")
    cols = ["supplier_code", "supplier_name", "category_name", "orders", "shipments", "arrived", "on_time_rate",
            "avg_lead_days", "p90_lead_days", "fill_rate", "price_change_pct", "settlement_days", "on_terms_rate",
            "spend", "overdue", "score", "flag"]
    return t[cols].sort_values("score", ascending=False).reset_index(drop=True)


def _late_flags(t: pd.DataFrame) -> pd.Series:
    flags = pd.Series("ok", index=t.index, dtype=object)
    n, k = t["arrived"].fillna(0).astype(int), t["on_time"].fillna(0).astype(int)
    for code in t.index:
        if n[code] < LATE_MIN_SHIPMENTS:
            continue
        rate = k[code] / n[code]
        others_n, others_k = n.sum() - n[code], k.sum() - k[code]
        pooled = others_k / others_n if others_n else 1.0
        clear = rate <= pooled - LATE_GAP and binomtest(int(k[code]), int(n[code]), pooled, alternative="less").pvalue < LATE_P
        if rate <= 1 - LATE_RATE or clear:
            flags[code] = "late"
    return flags


def booked_lines(lines: pd.DataFrame, receipts: pd.DataFrame) -> pd.DataFrame:
    """Arrived shipment lines (ship_no, supplier_code, goods_code, shipped_qty, received_qty not
    NULL) against the ledger's receipts (ref_no, goods_code, qty): ship_no, supplier_code,
    goods_code, shipped_qty, received_qty (Σ booked in the ledger), supplier_received_qty (what
    the shipment says), short_pct, status (short, not booked, over, ok). A line shipped 0 and
    booked nowhere is ok: the supplier left it out."""
    arrived = lines[lines["received_qty"].notna()]
    booked = receipts.groupby(["ref_no", "goods_code"])["qty"].sum().rename("booked")
    t = arrived.join(booked, on=["ship_no", "goods_code"])
    shipped = t["shipped_qty"].astype(float)
    got = t["booked"].astype(float).fillna(0.0)
    short = got < shipped - 1e-9
    status = np.select([short & t["booked"].isna(), short, got > shipped + 1e-9], ["not booked", "short", "over"], "ok")
    return pd.DataFrame({
        "ship_no": t["ship_no"], "supplier_code": t["supplier_code"], "goods_code": t["goods_code"],
        "shipped_qty": shipped, "received_qty": got, "supplier_received_qty": t["received_qty"].astype(float),
        "short_pct": np.where(shipped > 0, 100 * (shipped - got) / shipped.where(shipped > 0), 0.0).round(2),
        "status": status}).reset_index(drop=True)
