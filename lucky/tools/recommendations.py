"""Tool 11, Customer Taste Profile & Recommendation Engine: next-push recommendations from an
implicit-feedback item-item recommender blended with the user's own history and the season,
trained on completed orders before a cutoff and scored on the orders after it against the
popularity and "reorder your favourite" baselines; per-user taste profiles and lookalike segments.

The cutoff is a store-local date (00:00 in New York for USD, the Cook Islands for NZD); training
uses completed orders (status 90) before it, evaluation the completed orders from it on. The
sidebar's date range does not apply (the cutoff sets the split); currency and stores do.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import altair as alt
import numpy as np
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.errors import InputError
from lucky.models import recommend as rm
from lucky.queries import recommend as q
from lucky.tools import _memo

ZONES = {"USD": "America/New_York", "NZD": "Pacific/Rarotonga"}
HOLDOUT_DAYS = 28
EPOCH = datetime(1970, 1, 1)
FAR = datetime(2100, 1, 1)


def utc_midnight(day: date, currency: str) -> datetime:
    """Local midnight of `day` in the currency's main zone, as a naive UTC datetime."""
    local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(ZONES.get(currency, "UTC")))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def local_day(ts, currency: str) -> date:
    t = pd.Timestamp(ts).tz_localize("UTC").tz_convert(ZONES.get(currency, "UTC"))
    return t.date()


def default_cutoff(filters: Filters) -> tuple[date | None, date | None, date | None]:
    """(first local day with a completed order, last one, default cutoff = last − 28 days)."""
    sp = q.span(filters.currency, filters.stores)
    if sp.empty or pd.isna(sp["last"].iloc[0]):
        return None, None, None
    first, last = local_day(sp["first"].iloc[0], filters.currency), local_day(sp["last"].iloc[0], filters.currency)
    return first, last, last - timedelta(days=HOLDOUT_DAYS)


def train(filters: Filters, cutoff: date) -> dict:
    """Everything the page shows for one cutoff: interactions, season, recommendations,
    baselines, held-out orders, profiles.

    From the first read on, a user is their position in `users` (user_no sorted, so ties break
    as they would on the text): every join, sort and group below runs on integers, several times
    cheaper than on text; `rm.labelled` gives the tables shown their user_no back."""
    hi = utc_midnight(cutoff, filters.currency)
    inter = q.user_items(EPOCH, hi, filters.currency, filters.stores)
    recent = q.order_items(utc_midnight(cutoff - timedelta(days=rm.SEASON_DAYS), filters.currency), hi,
                           filters.currency, filters.stores)
    users, inter = rm.encode(inter)
    held = rm.coded(q.order_items(hi, FAR, filters.currency, filters.stores), users)
    uo = rm.coded(q.user_orders(EPOCH, hi, filters.currency, filters.stores), users)
    inter["orders"] = inter["orders"].astype(float)
    ids = pd.RangeIndex(len(users))
    counts, _, items = rm.matrix(inter, users=ids)
    n_recent = max(recent["order_id"].nunique(), 1)
    season = (recent.groupby("spu_name")["order_id"].nunique() / n_recent).reindex(items).fillna(0.0)
    candidates = season.to_numpy() > 0
    if not candidates.any():            # nothing sold in the last weeks: fall back to everything
        season = (inter.groupby("spu_name")["orders"].sum() / inter["orders"].sum()).reindex(items).fillna(0.0)
        candidates = season.to_numpy() > 0
    n_orders = uo.set_index("user_no")["orders"].reindex(ids).fillna(1).to_numpy(float)
    recs = rm.recommend(counts, n_orders, season.to_numpy(), ids, items, candidates)
    return dict(cutoff=cutoff, inter=inter, users=users, items=items, season=season, recs=recs,
                held=held, user_orders=uo, popular=rm.popularity_recs(ids, season[candidates]),
                favourite=rm.favourite_recs(inter))


def evaluation_table(t: dict) -> pd.DataFrame:
    rows = []
    for method, recs in (("model (item-item CF + own history + season)", t["recs"]),
                         ("popularity (the season's top 3)", t["popular"]),
                         ("favourite (the user's own most-ordered 3)", t["favourite"])):
        e = rm.evaluate(recs, t["held"])
        rows.append({"method": method, "hit_rate_at_3": e["hit_rate"], "ndcg_at_3": e["ndcg"],
                     "orders": e["orders"], "users": e["users"]})
    df = pd.DataFrame(rows)
    base = df["hit_rate_at_3"].iloc[1]
    df["lift_vs_popularity"] = df["hit_rate_at_3"] / base if base and base > 0 else np.nan
    return df


def _user_card(out: Output, user_no: str, t: dict, profiles: pd.DataFrame) -> None:
    user_no = str(user_no).strip()
    mine = profiles[profiles["user_no"].astype(str) == user_no]
    if mine.empty:
        out.note("warning", f"User '{user_no}' has no completed orders before the cutoff {t['cutoff']} in this "
                            "selection (unknown user, or a user who only ordered later): no profile or "
                            "recommendations. The rest of the page covers every user.")
        return
    n = int(mine["orders"].iloc[0])
    if n <= 1:
        out.note("info", f"User '{user_no}' has one order before the cutoff: too little history for a taste profile "
                         "to mean much; the recommendations lean on the season's popular products (shrinkage).")
    out.tables[f"user {user_no}: profile"] = mine.reset_index(drop=True)
    out.tables[f"user {user_no}: recommendations"] = t["recs"][t["recs"]["user_no"].astype(str) == user_no].reset_index(drop=True)
    code = t["users"].get_loc(mine["user_no"].iloc[0])     # inter and held keep the integer user
    hist = t["inter"][t["inter"]["user_no"] == code].sort_values("orders", ascending=False)
    out.tables[f"user {user_no}: history"] = hist[["spu_name", "category", "orders", "units", "pay"]].reset_index(drop=True)
    after = t["held"][t["held"]["user_no"] == code]
    if len(after):
        out.tables[f"user {user_no}: ordered after the cutoff"] = after.sort_values("create_time")[
            ["order_id", "create_time", "spu_name"]].reset_index(drop=True)


def _model(filters: Filters, cutoff: date) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """The trained model, profiles and evaluation for one cutoff: the heavy part, kept per data
    version (`_memo`) so a user card or another viewer does not retrain."""
    t = train(filters, cutoff)
    prof, ev = rm.profiles(t["inter"], t["user_orders"], q.attributes()), evaluation_table(t)
    kept = {k: t[k] for k in ("cutoff", "users", "season", "inter", "held")}   # what the page shows
    top = t["recs"][t["recs"]["rank"] == 1]["spu_name"].value_counts()
    kept["segments"] = segments_table(t["recs"], prof)
    kept["pushes"] = top.rename_axis("spu_name").reset_index(name="users_ranked_first")
    kept["recs"] = rm.labelled(t["recs"], t["users"])
    return kept, rm.labelled(prof, t["users"]), ev


def run(filters: Filters, viewer: Viewer, cutoff: date | None = None, user_no: str = "") -> Output:
    out = Output()
    first, last, default = default_cutoff(filters)
    if first is None:
        out.note("info", f"No completed {filters.currency} orders in this store selection: nothing to learn from.")
        return out
    cutoff = cutoff or default
    if cutoff <= first:
        raise InputError(f"The cutoff {cutoff} is on or before the first completed order ({first}): there is "
                         f"nothing to train on. Pick a date after {first} (default: {default}).")
    if cutoff > last:
        out.note("warning", f"The cutoff {cutoff} is after the last completed order ({last}): no held-out orders, "
                            "so no evaluation. Recommendations use all history.")
    key = _memo.source_key(*TOOL.sources) + (filters.currency, filters.stores, cutoff)
    t, prof, ev = _memo.memo("recommendations.model", key, lambda: _model(filters, cutoff))
    model, pop = ev.iloc[0], ev.iloc[1]
    out.kpis = [Kpi("Users with history", len(t["users"])), Kpi("Products on the menu", int((t["season"] > 0).sum())),
                Kpi("Held-out orders", int(model["orders"])),
                Kpi("Hit rate@3 (model)", round(float(model["hit_rate_at_3"]) * 100, 1) if model["orders"] else None, "%"),
                Kpi("Hit rate@3 (popularity)", round(float(pop["hit_rate_at_3"]) * 100, 1) if model["orders"] else None, "%"),
                Kpi("Hit rate@3 (favourite)", round(float(ev["hit_rate_at_3"].iloc[2]) * 100, 1) if model["orders"] else None, "%"),
                Kpi("Lift vs popularity", round(float(model["lift_vs_popularity"]), 2) if model["orders"] else None, "×")]
    out.note("info", f"Trained on completed orders before {cutoff} (local midnight), evaluated on the "
                     f"{int(model['orders']):,} completed orders from {cutoff} on of {int(model['users']):,} users "
                     "who ordered before it. Hit rate@3: share of those orders holding one of the user's 3 "
                     "recommendations; NDCG@3 rewards a hit at rank 1 most.")
    if user_no and str(user_no).strip():
        _user_card(out, user_no, t, prof)
    if model["orders"]:
        long = ev.assign(method=ev["method"].str.split(" ").str[0]).melt(
            id_vars="method", value_vars=["hit_rate_at_3", "ndcg_at_3"], var_name="metric")
        out.charts["evaluation on held-out orders"] = alt.Chart(long).mark_bar().encode(
            x=alt.X("value:Q", title=None, axis=alt.Axis(format="%")), y=alt.Y("method:N", title=None),
            color=alt.Color("method:N", legend=None), row=alt.Row("metric:N", title=None),
            tooltip=["method", "metric", alt.Tooltip("value:Q", format=".1%")]).properties(height=90)
    out.tables["recommendations"] = t["recs"].copy()
    out.tables["evaluation"] = ev.copy()
    out.tables["profiles"] = prof.copy()
    out.tables["segments"] = t["segments"].copy()
    out.tables["pushes"] = t["pushes"].copy()
    return out


def segments_table(recs: pd.DataFrame, prof: pd.DataFrame) -> pd.DataFrame:
    """Lookalike segments: users, averages and the product most often ranked first."""
    seg = prof.groupby("segment").agg(users=("user_no", "size"), avg_orders=("orders", "mean"),
                                      avg_spend=("avg_spend", "mean"), iced_share=("iced_share", "mean"))
    seg = seg.sort_values("users", ascending=False).reset_index()
    pushed = recs.merge(prof[["user_no", "segment"]], on="user_no").query("rank == 1")
    seg["top_push"] = seg["segment"].map(pushed.groupby("segment")["spu_name"].agg(lambda s: s.value_counts().index[0]))
    return seg


TOOL = Tool(
    slug="recommendations", number=11, title="Customer Taste Profile & Recommendation Engine",
    department="Product", roles=frozenset({"product", "marketing"}),
    sources=("luckyus_sales_order", "luckyus_scm_commodity"),
    run=run, icon=":material/recommend:",
    description="Per-user taste profiles, lookalike segments and next-push recommendations from an item-item "
                "recommender (implicit feedback, blended with own history and the season), evaluated on "
                "held-out orders against popularity and favourite baselines.",
    options=(Option("cutoff", date, None, "train on completed orders before this local date (default: 28 days "
                                          "before the data's last order)", label="Cutoff"),
             Option("user_no", str, "", "one user's card: profile, recommendations, history", label="User")),
    precompute=True,
)
