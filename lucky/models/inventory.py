"""Inventory arithmetic for Tool 16: trailing use, reorder points, status, stock-outs, shrink.

Pure functions on DataFrames. The method (also in docs/notes/supply-chain.md):
- daily_use = mean sale consumption per store-local day over the trailing window (days without a
  sale count as zero), σ the SD of each day around its weekday's mean in the window (the weekly
  pattern is predictable, the rest is what safety stock covers);
- reorder_point = L × use + z × σ × √L, L = the supplier's mean lead time in days (order date →
  arrival), z = Φ⁻¹(service level) — the classic safety stock for a cycle service level with
  demand uncertain and lead time fixed;
- planning use = the forecast (mean of the latest run's predictions for the next days) when
  there is one, else the trailing use; days_of_supply = stock / planning use;
- status: stockout (stock ≤ 0), at_risk (stock ≤ reorder point), overstock (days of supply above
  the overstock threshold), ok otherwise; suggested_qty brings an at-risk or out position up to
  reorder point + one review period of use (order-up-to), rounded up to a whole unit.
"""
from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from lucky.models import keys

KEYS = ["shop_id", "goods_code"]
REVIEW_DAYS = 3          # deliveries every 2–3 days: one review period of use on top of the reorder point
SHRINK_RATIO = 1.10      # store-day consumption ≥ 110% of what recipes × sales imply (median over goods)
MIN_GOODS = 3            # a store-day is judged on at least this many goods with recipe usage
LOST_WEEKS = 4           # the usual sales of a stock-out day: the same weekday of the 4 weeks before


def z_value(service_level: float) -> float:
    """z for a cycle service level (0.95 -> 1.645)."""
    return NormalDist().inv_cdf(service_level)


def trailing_use(use: pd.DataFrame, end, days: int, open_from: pd.Series | None = None) -> pd.DataFrame:
    """Mean and weekday-adjusted SD of daily consumption per shop × goods over the `days` days ending `end`.

    `use`: shop_id, goods_code, date, consumed. Missing days count as zero, except days before a
    pair's first day in `open_from` (its store's first ledger day), which are not counted at all.
    Returns shop_id, goods_code, daily_use, use_sd, use_days.
    """
    cols = KEYS + ["daily_use", "use_sd", "use_days"]
    end = pd.Timestamp(end)
    lo = end - pd.Timedelta(days=days - 1)
    u = use[(use["date"] >= lo) & (use["date"] <= end)]
    if u.empty:
        return pd.DataFrame(columns=cols)
    wide = u.pivot_table(index=KEYS, columns="date", values="consumed", aggfunc="sum")
    wide = wide.reindex(columns=pd.date_range(lo, end, freq="D")).fillna(0.0)
    if open_from is not None:
        first = pd.to_datetime(pd.Series(wide.index.get_level_values("shop_id")).map(open_from)).fillna(lo).to_numpy()
        wide = wide.where(wide.columns.to_numpy()[None, :] >= first[:, None])
    # σ of the day-to-day noise around each weekday's mean: the weekly pattern is predictable
    # (the forecast carries it), so it is not uncertainty the safety stock has to cover
    weekday = wide.columns.day_of_week
    resid = wide - wide.T.groupby(weekday).transform("mean").T
    dof = (wide.notna().sum(axis=1) - wide.notna().T.groupby(weekday).any().sum()).clip(lower=1)
    sd = np.sqrt((resid ** 2).sum(axis=1) / dof)
    out = pd.DataFrame({"daily_use": wide.mean(axis=1), "use_sd": sd.fillna(0.0),
                        "use_days": wide.notna().sum(axis=1)}).reset_index()
    return out[cols]


def reorder_point(daily_use, use_sd, lead_days, service_level: float):
    """L × use + z × σ × √L (element-wise)."""
    lead = np.asarray(lead_days, dtype=float)
    return np.asarray(daily_use, float) * lead + z_value(service_level) * np.asarray(use_sd, float) * np.sqrt(lead)


def positions_table(pos: pd.DataFrame, use: pd.DataFrame, forecast: pd.DataFrame, lead: pd.Series,
                    default_lead: float, service_level: float, overstock_days: float) -> pd.DataFrame:
    """One row per position: the issue's columns plus lead_days and the as-of stock_date.

    pos: shop_id, goods_code, goods_name, stock_qty, stock_date; use: trailing_use(); forecast:
    shop_id, goods_code, forecast_use; lead: lead days per goods_code, default_lead for the others.
    """
    t = pos.merge(use, on=KEYS, how="left").merge(forecast, on=KEYS, how="left")
    t["daily_use"] = t["daily_use"].fillna(0.0)
    t["use_sd"] = t["use_sd"].fillna(0.0)
    t["lead_days"] = t["goods_code"].map(lead).astype(float).fillna(default_lead)
    plan = t["forecast_use"].where(t["forecast_use"].notna() & (t["forecast_use"] > 0), t["daily_use"])
    t["days_of_supply"] = (t["stock_qty"].clip(lower=0) / plan.where(plan > 0)).round(1)
    t["reorder_point"] = np.round(reorder_point(plan, t["use_sd"], t["lead_days"], service_level), 2)
    stock = t["stock_qty"].astype(float)
    t["status"] = np.select(
        [stock <= 0, (plan > 0) & (stock <= t["reorder_point"]), t["days_of_supply"] > overstock_days],
        ["stockout", "at_risk", "overstock"], "ok")
    target = t["reorder_point"] + plan * REVIEW_DAYS
    need = t["status"].isin(["stockout", "at_risk"])
    t["suggested_qty"] = np.where(need, np.ceil((target - stock.clip(lower=0)).clip(lower=0)), 0.0)
    t["daily_use"] = t["daily_use"].round(3)
    t["forecast_use"] = t["forecast_use"].round(3)
    return t[KEYS + ["goods_name", "stock_qty", "daily_use", "forecast_use", "days_of_supply", "reorder_point",
                     "suggested_qty", "status", "lead_days", "stock_date"]]


def stockout_days(zero_changes: pd.DataFrame, zero_positions: pd.DataFrame) -> pd.DataFrame:
    """Store-local days a position was at zero: from ledger rows that left it at or below zero
    (the day it ran out) and from closing snapshots at or below zero (every day it stayed out).
    Returns shop_id, goods_code, date, seen_in ('ledger', 'snapshot' or 'both'), sorted."""
    a = zero_changes.rename(columns={"business_date": "date"})[KEYS + ["date"]].assign(ledger=True)
    b = zero_positions.rename(columns={"stock_date": "date"})[KEYS + ["date"]].assign(snapshot=True)
    both = a.drop_duplicates(KEYS + ["date"]).merge(b.drop_duplicates(KEYS + ["date"]), on=KEYS + ["date"], how="outer")
    both["seen_in"] = np.select([both["ledger"].eq(True) & both["snapshot"].eq(True), both["ledger"].eq(True)],
                                ["both", "ledger"], "snapshot")
    both["date"] = pd.to_datetime(both["date"])
    return both[KEYS + ["date", "seen_in"]].sort_values(KEYS + ["date"]).reset_index(drop=True)


def runs(days: pd.DataFrame) -> pd.DataFrame:
    """Consecutive stock-out days of one position collapsed into spells: shop_id, goods_code,
    first_day, last_day, days."""
    if days.empty:
        return pd.DataFrame(columns=KEYS + ["first_day", "last_day", "days"])
    d = days.sort_values(KEYS + ["date"])
    new = (d[KEYS].ne(d[KEYS].shift()).any(axis=1)) | (d["date"].diff().dt.days != 1)
    d = d.assign(spell=new.cumsum())
    g = d.groupby("spell").agg(shop_id=("shop_id", "first"), goods_code=("goods_code", "first"),
                               first_day=("date", "min"), last_day=("date", "max"), days=("date", "size"))
    return g.reset_index(drop=True)


def lost_sales(days: pd.DataFrame, usage: pd.DataFrame, weeks: int = LOST_WEEKS) -> pd.DataFrame:
    """Sales of the products that need a goods, on each day it was out, against the usual.

    days: stock-out days (shop_id, goods_code, date); usage: shop_id, goods_code, date, items
    (completed items of products whose recipe needs the goods; a store-day missing counts zero
    from the pair's first day in `usage` on). usual_items = mean of the same weekday over the
    `weeks` weeks before, leaving out weeks that were themselves out or before the pair's first
    day (NaN when none is left); lost_items = expected − actual, at least 0. whole_day: the
    position was also at zero at the day before's close, so out from opening (on the day it ran
    out it sold until the shelf was empty); sales_fell (whole days only) when the actual is at
    most half the expected: a whole day at zero whose sales did not fall is a count or an entry
    to check, not an empty shelf. Returns shop_id, goods_code, date, whole_day, usual_items,
    actual_items, lost_items, lost_pct, sales_fell.
    """
    cols = KEYS + ["date", "whole_day", "usual_items", "actual_items", "lost_items", "lost_pct", "sales_fell"]
    if days.empty:
        return pd.DataFrame(columns=cols)
    usage = usage.merge(days[KEYS].drop_duplicates(), on=KEYS)   # only the pairs that ran out: a few rows
    sold = usage.groupby(KEYS + ["date"])["items"].sum()
    first = usage.groupby(KEYS)["date"].min()
    out_set = pd.MultiIndex.from_frame(days[KEYS + ["date"]])
    d = days[KEYS + ["date"]].reset_index(drop=True)
    d["whole_day"] = pd.MultiIndex.from_arrays([d["shop_id"], d["goods_code"], d["date"] - pd.Timedelta(days=1)]
                                               ).isin(out_set)
    start = d.merge(first.rename("first").reset_index(), on=KEYS, how="left")["first"].to_numpy()
    past = []
    for w in range(1, weeks + 1):
        key = pd.MultiIndex.from_arrays([d["shop_id"], d["goods_code"], d["date"] - pd.Timedelta(weeks=w)])
        v = pd.Series(sold.reindex(key).fillna(0.0).to_numpy())
        ok = (key.get_level_values(2).to_numpy() >= start) & ~key.isin(out_set)
        past.append(v.where(ok))
    d["usual_items"] = pd.concat(past, axis=1).mean(axis=1).round(1)
    d["actual_items"] = sold.reindex(pd.MultiIndex.from_frame(d[KEYS + ["date"]])).fillna(0.0).to_numpy()
    d["lost_items"] = (d["usual_items"] - d["actual_items"]).clip(lower=0).round(1)
    d["lost_pct"] = (100 * d["lost_items"] / d["usual_items"].where(d["usual_items"] > 0)).round(1)
    d["sales_fell"] = d["whole_day"] & (d["actual_items"] <= 0.5 * d["usual_items"])
    return d[cols]


def consumption_anomalies(usage: pd.DataFrame, ratio: float = SHRINK_RATIO, min_goods: int = MIN_GOODS) -> pd.DataFrame:
    """Store-days whose consumption runs far above what the day's sales imply through recipes.

    usage: shop_id, date, goods_code, consumed, implied. Per store-day the median over goods of
    consumed / implied (units differ between goods; the ratio does not) — theft, waste booked as
    sales, or an entry error lift most goods of the day, measurement noise (±3%) does not. Returns
    shop_id, date, goods, goods_over (goods at or above the ratio), median_ratio, excess_pct.
    """
    cols = ["shop_id", "date", "goods", "goods_over", "median_ratio", "excess_pct"]
    if usage.empty:
        return pd.DataFrame(columns=cols)
    u = usage[usage["implied"] > 0].assign(r=lambda f: f["consumed"] / f["implied"])
    u = u.assign(over=(u["r"] >= ratio).astype("int64"))     # a column, not a Python lambda per store-day
    g = u.groupby(["shop_id", "date"]).agg(goods=("r", "size"), goods_over=("over", "sum"), median_ratio=("r", "median"))
    g = g[(g["goods"] >= min_goods) & (g["median_ratio"] >= ratio)].reset_index()
    g["excess_pct"] = ((g["median_ratio"] - 1) * 100).round(1)
    g["median_ratio"] = g["median_ratio"].round(3)
    return g[cols].sort_values(["date", "shop_id"]).reset_index(drop=True)


def lead_days(ship: pd.DataFrame) -> pd.Series:
    """Mean lead time in days (PO order date → arrival) per supplier over arrived shipments."""
    s = ship.dropna(subset=["order_date", "arrive_date"])
    if s.empty:
        return pd.Series(dtype=float)
    days = (pd.to_datetime(s["arrive_date"]) - pd.to_datetime(s["order_date"])).dt.days.clip(lower=0)
    return days.groupby(s["supplier_code"]).mean()


def usage(consumed: pd.DataFrame, items: pd.DataFrame, recipes: pd.DataFrame) -> pd.DataFrame:
    """Per store-day and goods: stock consumed by sales against what the day's completed sales
    imply through the recipes (actual vs theoretical usage), and `items`, the units sold of
    products that need the goods. `consumed`: shop_id, date, goods_code, consumed (positive);
    items and recipes as for `implied_usage`. Store-days with no consumption or no implied use
    are left out. Returns shop_id, date, goods_code, consumed, implied, items."""
    cols = ["shop_id", "date", "goods_code", "consumed", "implied", "items"]
    if consumed.empty or items.empty or recipes.empty:
        return pd.DataFrame(columns=cols)
    both = consumed.merge(implied_usage(items, recipes), on=["shop_id", "date", "goods_code"], how="inner")
    return both[(both["implied"] > 0) & (both["consumed"] > 0)][cols].reset_index(drop=True)


def implied_usage(items: pd.DataFrame, recipes: pd.DataFrame) -> pd.DataFrame:
    """What sales imply through the recipes, per shop × date × goods: shop_id, date, goods_code,
    implied, and `items`, the units sold of products that need the goods.

    `items`: shop_id, date, spu_code, sku_code, quantity sold; `recipes`: spu_code, sku_code,
    goods_code, quantity per unit. An item uses its sku's recipe lines; an item whose sku has no
    recipe uses its product's (the lines of the spu's first sku that has one); an item with
    neither implies nothing. Computed as a sparse product (store-days × recipe keys) @ (recipe
    keys × goods): merging every item with every recipe line and summing cost several times more
    at scale 1 (200K item rows × their recipe lines)."""
    from scipy import sparse

    cols = ["shop_id", "date", "goods_code", "implied", "items"]
    by_sku = recipes[recipes["sku_code"].notna()]
    if items.empty or by_sku.empty:
        return pd.DataFrame(columns=cols)
    first_sku = by_sku.drop_duplicates("spu_code")[["spu_code", "sku_code"]]
    by_spu = by_sku.merge(first_sku, on=["spu_code", "sku_code"])
    # recipe keys: every sku with lines, then every spu (its first sku's lines) after them
    skus, spus = pd.Index(by_sku["sku_code"].unique()), pd.Index(by_spu["spu_code"].unique())
    goods_codes, goods = pd.factorize(pd.concat([by_sku["goods_code"], by_spu["goods_code"]]), use_na_sentinel=False)
    line_keys = np.concatenate([skus.get_indexer(by_sku["sku_code"]), len(skus) + spus.get_indexer(by_spu["spu_code"])])
    line_qty = pd.concat([by_sku["quantity"], by_spu["quantity"]]).astype(float).fillna(0.0).to_numpy()
    by_own = keys.codes(items["sku_code"], skus.to_series())          # Arrow hashing: no Python strings
    by_product = keys.codes(items["spu_code"], spus.to_series())
    key_of_item = np.where(by_own >= 0, by_own, np.where(by_product >= 0, len(skus) + by_product, -1))
    known = key_of_item >= 0
    it = items[known]
    day = pd.to_datetime(it["date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    day_codes, days = pd.factorize(it["shop_id"].to_numpy(dtype=np.int64) * 1_000_000 + day)  # one int per store-day
    n_keys = len(skus) + len(spus)
    sold = sparse.csr_matrix((it["quantity"].astype(float).fillna(0.0).to_numpy(), (day_codes, key_of_item[known])),
                             shape=(len(days), n_keys))
    recipe = sparse.csr_matrix((line_qty, (line_keys, goods_codes)), shape=(n_keys, len(goods)))
    needs = sparse.csr_matrix((np.ones(len(line_keys)), (line_keys, goods_codes)), shape=(n_keys, len(goods)))
    needs.data[:] = 1.0                                    # a key with two lines of one goods needs it once
    implied, dependent = (sold @ recipe).tocsr(), (sold @ needs).tocoo()
    store_day = days[dependent.row]
    out = pd.DataFrame({"shop_id": store_day // 1_000_000,
                        "date": (store_day % 1_000_000).astype("datetime64[D]").astype("datetime64[ns]"),
                        "goods_code": np.asarray(goods, dtype=object)[dependent.col],
                        "implied": np.asarray(implied[dependent.row, dependent.col]).ravel(), "items": dependent.data})
    return out.sort_values(cols[:3], ignore_index=True)
