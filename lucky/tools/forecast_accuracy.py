"""Tool 18, Demand Forecasting Accuracy Monitor: the feedback loop on the replenishment system's
predictions. Daily demand predictions per shop × goods against sale consumption in the stock
ledger, hourly order-count predictions against completed orders; WAPE beside the report's MAPE,
bias, ±20% hit rate, and the naive baselines every forecast should beat."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import forecast_accuracy as fa
from lucky.models import shops as real_shops
from lucky.queries import forecast as fq
from lucky.queries import metrics
from lucky.queries import shops as shop_q
from lucky.tools import _memo

#: history read before the first target day: trailing 28-day mean up to a run 28 days ahead
HISTORY_DAYS = 2 * fa.TRAILING_DAYS
UNKNOWN_CATEGORY = "(not in goods master)"


def _shops(filters: Filters, include_test: bool = False) -> pd.DataFrame:
    """The filter's currency's shops: real ones, or those picked, or every one with `include_test`."""
    s = shop_q.shops()
    s = s[s["currency_code"] == filters.currency]
    return real_shops.in_scope(s, filters.stores, include_test).reset_index(drop=True)


@dataclass
class Scorable:
    """The predictions a run can score: those whose target day is up to `last` (the latest day
    with an actual, capped at the as-of date; None: no actual at all, everything was read), and
    the ones past it, only counted at the source: `later` rows, `later_bad` of them unusable."""
    pred: pd.DataFrame
    last: pd.Timestamp | None
    later: int = 0
    later_bad: int = 0


def _scorable(filters: Filters, shops: pd.DataFrame, stores: tuple[int, ...], hist_start) -> Scorable:
    """Read the predictions up to the last day with an actual; count the rest (about 40% of the
    table at the as-of date: the outlook) instead of handing millions of rows over to drop them."""
    last = metrics.consumption_last_day(shops, hist_start, filters.end)
    if filters.as_of is not None:
        last = min(last, pd.Timestamp(filters.as_of)) if last is not None else pd.Timestamp(filters.as_of)
    if last is None:
        return Scorable(fq.demand_predictions(filters.start, filters.end, stores, versions=False), None)
    end = min(last.date(), filters.end) if filters.end else last.date()
    after = max(end + timedelta(days=1), filters.start or end)      # the counted days: after `end`, in the range
    later, later_bad = (fq.demand_prediction_counts(after, filters.end, stores)
                        if filters.end is None or filters.end >= after else (0, 0))
    return Scorable(fq.demand_predictions(filters.start, end, stores, versions=False), last, later, later_bad)


def _reads(pool: ThreadPoolExecutor, filters: Filters, shops: pd.DataFrame) -> dict[str, Future]:
    """Every source read of the tool, started at once: each reads its own database (DuckDB and
    the drivers release the GIL), so the biggest (the scorable predictions of the range) overlaps
    the rest."""
    stores = tuple(int(s) for s in shops["shop_id"])
    hist_start = (filters.start - timedelta(days=HISTORY_DAYS)) if filters.start else None
    return {"pred": pool.submit(_scorable, filters, shops, stores, hist_start),
            "versions": pool.submit(fq.run_versions, filters.start, filters.end, stores),
            "actual": pool.submit(metrics.consumption_daily, shops, hist_start, filters.end),
            "order_pred": pool.submit(fq.order_predictions, filters.start, filters.end, stores),
            "order_hours": pool.submit(metrics.orders_hours, shops, filters.start, filters.end),
            "goods": pool.submit(fq.goods)}


def demand_rows(filters: Filters, reads: dict[str, Future], out: Output) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scored prediction rows (shop_id, goods_code, date, run_date, lead, pred, actual,
    model_version, naive_week, naive_mean) and the daily actuals; every row left out is counted
    in a message."""
    got: Scorable = reads["pred"].result()
    pred, last = got.pred, got.last
    actual = reads["actual"].result().rename(columns={"consumed": "actual"})
    if pred.empty and not got.later:
        return pd.DataFrame(), actual
    pred = pred.rename(columns={"pred_date": "date", "predict_run_date": "run_date", "pred_qty": "pred"})
    pred["date"], pred["run_date"] = pd.to_datetime(pred["date"]), pd.to_datetime(pred["run_date"])
    pred["pred"] = pred["pred"].astype(float)
    pred["lead"] = (pred["date"] - pred["run_date"]).dt.days
    bad = (pred["lead"] < 1) | pred["pred"].isna() | (pred["pred"] < 0)
    if bad.any() or got.later_bad:
        out.note("warning", f"{int(bad.sum()) + got.later_bad:,} predictions left out: no quantity, a negative quantity, "
                            "or a target day not after the run day.")
        pred = pred[~bad]
    future = pred["date"] > last if last is not None else pd.Series(True, index=pred.index)
    n_future = int(future.sum()) + got.later - got.later_bad
    if n_future:
        out.note("info", f"{n_future:,} predictions are for days after the latest actual "
                         f"({last.date() if last is not None else 'none'}): not scored yet.")
        pred = pred[~future]
    rows = fa.with_naive(pred, actual, fill_actual=True)
    never = ~rows.pop("sold_ever")
    if never.any():
        n_series = rows.loc[never, ["shop_id", "goods_code"]].drop_duplicates().shape[0]
        out.note("info", f"{n_series:,} predicted series had no sale consumption at all up to the end of the range: "
                         f"their {int(never.sum()):,} predictions count as zero actual demand.")
    in_range = actual if filters.start is None else actual[actual["date"] >= pd.Timestamp(filters.start)]
    missing = fa.unpredicted(rows, in_range[in_range["actual"] > 0])
    if missing:
        out.note("warning", f"{missing:,} shop × goods series with sale consumption in the range have no "
                            "predictions: not scored (no forecast to judge).")
    return rows, actual


def order_hours(reads: dict[str, Future], lead: int, out: Output) -> pd.DataFrame:
    """Hourly order-count predictions at `lead` against completed orders, per shop × local hour."""
    cols = ["shop_id", "hour", "n_hours", "actual", "predicted", "wape", "bias", "hit_rate"]
    p = reads["order_pred"].result()
    if p.empty:
        return pd.DataFrame(columns=cols)
    run = pd.to_datetime(p["create_time"]).dt.normalize()  # one nightly run for the chain (UTC day)
    p = p.assign(date=pd.to_datetime(p["pred_date"]), lead=(pd.to_datetime(p["pred_date"]) - run).dt.days)
    p = p[p["lead"] == lead]
    h = reads["order_hours"].result()
    last = pd.to_datetime(h["date"]).max() if len(h) else None
    p = p[p["date"] <= last] if last is not None else p.iloc[:0]
    if p.empty:
        out.note("info", f"No hourly order predictions made {lead} day(s) ahead for days with known orders "
                         "in this range: the order_hours table is empty.")
        return pd.DataFrame(columns=cols)
    j = p.merge(h[["shop_id", "date", "hour", "orders"]].assign(date=lambda f: pd.to_datetime(f["date"])),
                left_on=["shop_id", "date", "pred_hour"], right_on=["shop_id", "date", "hour"], how="left")
    j = j.assign(hour=j["pred_hour"].astype(int), actual=j["orders"].fillna(0).astype(float),
                 pred=j["pred_order_cnt"].astype(float))
    s = fa.summarize(j, ["shop_id", "hour"]).rename(columns={"n": "n_hours"})
    return s[cols]


def run(filters: Filters, viewer: Viewer, lead: int = 1, min_bias: float = fa.MIN_BIAS,
        include_test: bool = False) -> Output:
    out = Output()
    shops = _shops(filters, include_test)
    if shops.empty:
        out.note("info", f"No {filters.currency} stores in this selection"
                         + ("." if include_test else " (test and internal shops are left out unless included)."))
        return out
    key = _memo.source_key(*TOOL.sources) + (filters.start, filters.end, filters.as_of, filters.stores,
                                              filters.currency, include_test, lead)
    base = _memo.memo("forecast-accuracy.base", key, lambda: _base(filters, shops, lead))
    for level, text in base["notes"]:
        out.note(level, text)
    if base["at"] is None:
        out.note("info", "No demand predictions with a known actual in this date range and store selection.")
        return out
    _report(out, base, shops, min_bias)
    return real_shops.finish(out, shop_q.shops(), include_test)


def _base(filters: Filters, shops: pd.DataFrame, lead: int) -> dict:
    """What every min_bias shares, kept per data version (`_memo`): reading and scoring every
    prediction (millions of rows) is the tool's cost; what is kept is the rows at `lead` with
    their version and category (one lead: ~1/25 of them), the by-lead summary, the hourly table
    and the messages said on the way, in order (`order_notes` belong after the report's own)."""
    said = Output()
    with ThreadPoolExecutor(max_workers=5) as pool:
        reads = _reads(pool, filters, shops)
        rows, _ = demand_rows(filters, reads, said)
        if rows.empty:
            return {"notes": _said(said), "at": None}
        goods = reads["goods"].result().drop_duplicates("goods_code").set_index("goods_code")
        codes = [c for c in rows["goods_code"].unique() if c not in goods.index]
        if codes:
            said.note("warning", f"{len(codes):,} predicted goods codes are missing from the goods master "
                                 f"({', '.join(map(str, codes[:5]))}{' ...' if len(codes) > 5 else ''}): scored under "
                                 f"category '{UNKNOWN_CATEGORY}'.")
        at = rows[rows["lead"] == lead]
        if at.empty:
            leads = sorted(rows["lead"].unique())
            said.note("warning", f"No predictions made {lead} day(s) ahead in this range (leads present: "
                                 f"{', '.join(map(str, leads[:10]))}); showing lead {leads[0]}.")
            lead = int(leads[0])
            at = rows[rows["lead"] == lead]
        at = _with_versions(at.assign(category=at["goods_code"].map(goods["category_name"]).fillna(UNKNOWN_CATEGORY)),
                            reads["versions"].result(), said)
        hourly = Output()
        order_table = order_hours(reads, lead, hourly)
    return {"notes": _said(said), "at": at, "lead": lead, "goods": goods, "by_lead": fa.summarize(rows, ["lead"]),
            "order_hours": order_table, "order_notes": _said(hourly)}


def _said(out: Output) -> list[tuple[str, str]]:
    return [(m.level, m.text) for m in out.messages]


def _with_versions(at: pd.DataFrame, versions: pd.DataFrame, out: Output) -> pd.DataFrame:
    """The model version of each row's run (read per run of a series, not per prediction)."""
    v = versions.rename(columns={"predict_run_date": "run_date"})
    mixed = v[v["model_version"] != v["last_version"]]
    if len(mixed):
        out.note("info", f"{len(mixed):,} runs of a series mixed model versions across their target days: "
                         "counted under the first version name.")
    return at.merge(v.drop(columns="last_version"), on=["shop_id", "goods_code", "run_date"], how="left")


def _report(out: Output, base: dict, shops: pd.DataFrame, min_bias: float) -> None:
    """Every table, KPI and chart from the scored rows at the base's lead."""
    at, goods, lead = base["at"], base["goods"], base["lead"]

    series = fa.series_table(at, min_bias=min_bias)
    no_demand = at.groupby(["shop_id", "goods_code"])["actual"].sum()
    if (no_demand <= 0).any():
        out.note("info", f"{int((no_demand <= 0).sum()):,} series had zero actual demand on every scored day: "
                         "WAPE and bias are undefined for them, so they are not in the series table.")
    total = fa.summarize(at.assign(all=0), ["all"]).iloc[0]
    mape_value, zero_days = fa.mape(at["actual"], at["pred"])
    flagged = series[series["flag"] != "ok"]
    out.kpis = [
        Kpi(f"WAPE (lead {lead})", round(100 * float(total["wape"]), 2), "%",
            help="Σ|actual − forecast| / Σ actual over every scored shop × goods × day; defined with zero-demand days."),
        Kpi("MAPE (report's measure)", round(100 * mape_value, 2), "%",
            help=f"Mean of |A − F| / A over days with demand; {zero_days:,} zero-demand days left out (undefined there)."),
        Kpi("Bias", round(100 * float(total["bias"]), 2), "%", help="Σ(forecast − actual) / Σ actual; positive = over-forecast."),
        Kpi("Hit rate (±20%)", round(100 * float(total["hit_rate"]), 1), "%", help="Share of days with demand forecast within ±20%."),
        Kpi("MASE vs same weekday last week", round(float(total["mase"]), 3),
            help="Σ|A−F| / Σ|A − seasonal naive|; below 1 beats the naive forecast."),
        Kpi("vs trailing 28-day mean", round(float(total["vs_trailing"]), 3), help="Below 1 beats the trailing mean."),
        Kpi("Series scored", len(series)),
        Kpi("Series biased (over / under)", f"{(flagged['flag'] == 'over').sum()} / {(flagged['flag'] == 'under').sum()}"),
    ]
    if total["mase"] >= 1:
        out.note("warning", "The model does not beat the seasonal naive forecast (same weekday last week) here.")

    at = at.assign(weekday=at["date"].dt.day_name(), week=at["date"].dt.to_period("W").dt.start_time,
                   month=at["date"].dt.to_period("M").dt.start_time)
    p = fa.parts(at, ["shop_id", "category", "weekday", "week", "month", "model_version"])
    by_store = fa.summarize(p, ["shop_id"]).merge(shops[["shop_id", "shop_name"]], on="shop_id", how="left")
    by_category = fa.summarize(p, ["category"])
    by_weekday = fa.summarize(p, ["weekday"])
    by_weekday = by_weekday.set_index("weekday").reindex(
        [d for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
         if d in set(by_weekday["weekday"])]).reset_index()
    by_lead = base["by_lead"].copy()
    by_version = fa.summarize(p, ["model_version"])
    trend = fa.summarize(p, ["week"])
    trend["naive_wape"] = [fa.wape(g["actual"], g["naive_week"]) if g["naive_week"].notna().all()
                           else fa.wape(g.loc[g["naive_week"].notna(), "actual"], g["naive_week"].dropna())
                           for _, g in at.groupby("week")]
    heat = fa.summarize(p, ["category", "month"])
    versions = fa.versions_table(at)
    for _, v in versions.iterrows():
        out.note("info", f"Model {v['from_version']} → {v['to_version']} on {v['change_date']}: lead-{lead} WAPE "
                         f"{100 * v['wape_before']:.1f}% → {100 * v['wape_after']:.1f}% ({100 * v['wape_change']:+.1f} points, "
                         f"95% CI {100 * v['ci_low']:+.1f} to {100 * v['ci_high']:+.1f}): {v['verdict']}.")

    store_daily = at.groupby(["shop_id", "date"], as_index=False)[["actual", "pred"]].sum().rename(
        columns={"pred": "predicted"})
    daily = at.groupby("date", as_index=False)[["actual", "pred"]].sum()
    long = daily.melt("date", var_name="series", value_name="quantity").replace({"pred": "predicted"})
    out.charts["predicted-vs-actual"] = alt.Chart(long).mark_line().encode(
        x=alt.X("date:T", title="Target day"), y=alt.Y("quantity:Q", title=f"Quantity (all goods, lead {lead})"),
        color="series:N", tooltip=["date:T", "series:N", alt.Tooltip("quantity:Q", format=",.0f")])
    tl = trend.melt("week", ["wape", "naive_wape"], var_name="forecast", value_name="WAPE").replace(
        {"wape": "model", "naive_wape": "same weekday last week"})
    out.charts["accuracy-trend"] = alt.Chart(tl).mark_line(point=True).encode(
        x=alt.X("week:T", title="Week"), y=alt.Y("WAPE:Q", axis=alt.Axis(format="%")), color="forecast:N",
        tooltip=["week:T", "forecast:N", alt.Tooltip("WAPE:Q", format=".1%")])
    out.charts["wape-by-store"] = alt.Chart(by_store.assign(store=by_store["shop_id"].astype(str))).mark_bar().encode(
        x=alt.X("store:N", sort="-y", title="Store"), y=alt.Y("wape:Q", title="WAPE", axis=alt.Axis(format="%")),
        tooltip=["store:N", "shop_name:N", alt.Tooltip("wape:Q", format=".1%"), alt.Tooltip("bias:Q", format="+.1%")])
    out.charts["wape-by-category-and-month"] = alt.Chart(heat).mark_rect().encode(
        x=alt.X("yearmonth(month):O", title="Month"), y=alt.Y("category:N", title="Category"),
        color=alt.Color("wape:Q", title="WAPE", scale=alt.Scale(scheme="orangered"), legend=alt.Legend(format="%")),
        tooltip=["category:N", "yearmonth(month):O", alt.Tooltip("wape:Q", format=".1%"), alt.Tooltip("actual:Q", format=",.0f")])

    series = series.merge(goods[["goods_name", "category_name"]], left_on="goods_code", right_index=True, how="left")
    out.tables["series"] = series
    out.tables["versions"] = versions
    out.tables["by_store"] = by_store
    out.tables["by_category"] = by_category
    out.tables["by_weekday"] = by_weekday
    out.tables["by_lead"] = by_lead
    out.tables["by_version"] = by_version
    out.tables["trend"] = trend.assign(week=trend["week"].dt.date)
    out.tables["store_daily"] = store_daily.assign(date=store_daily["date"].dt.date)
    out.tables["order_hours"] = base["order_hours"].copy()
    for level, text in base["order_notes"]:
        out.note(level, text)


TOOL = Tool(
    slug="forecast-accuracy", number=18, title="Demand Forecasting Accuracy Monitor", department="Supply Chain",
    roles=frozenset({"supply_chain", "operations"}),
    sources=("luckyus_ireplenishment", "luckyus_scm_shopstock", "luckyus_scm_commodity", "luckyus_sales_order",
             "luckyus_opshop"),
    run=run, icon=":material/query_stats:",
    description="Predicted vs actual demand per shop × goods × day: WAPE beside MAPE, bias, ±20% hit rate, "
                "ratios against naive forecasts, biased series, and accuracy around model-version changes.",
    options=(
        Option("lead", int, 1, "lead time judged: days between the forecast run and the target day", range=(1, 28), step=1,
               label="Lead (days ahead)"),
        Option("min_bias", float, fa.MIN_BIAS, "smallest |bias| that flags a series (it must also be statistically clear)",
               range=(0.05, 0.5), step=0.01, label="Bias that matters"),
        real_shops.INCLUDE_TEST,
    ),
    precompute=True,
)
