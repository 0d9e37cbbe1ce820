"""Tool 5, Campaign Performance Analyzer: coupon templates against their holdouts, and A/B experiments.

Table `templates`: every coupon template's sends, redemptions, discount, revenue of redeemed
orders, incremental revenue against its holdout (t_coupon_holdout) with a 95% interval, cost,
ROI, cost per acquired customer and a verdict (`lucky/models/incrementality.py`). Table
`template_daily`: the daily series of one template (option template_id; default the most redeemed).

Table `experiments`: every experiment's arms (users and per-user conversion), lift (treatment
minus control conversion, in points of conversion) with a repeated confidence interval, z, a
sequential p-value and `significant`, from a test that stays valid however often people look
(an O'Brien-Fleming-type boundary for continuous monitoring, `lucky/models/sequential.py`).
Table `looks`: the daily readout behind it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import incrementality as inc
from lucky.models import keys, sequential
from lucky.queries import coupons as qc
from lucky.queries import experiments as q
from lucky.tools import _memo
from lucky.ui import formats

CONTROL = "control"


def run(filters: Filters, viewer: Viewer, template_id: int = 0) -> Output:
    out = Output()
    before = datetime.combine(filters.as_of + timedelta(days=1), datetime.min.time()) if filters.as_of else None
    _templates(out, filters, before, template_id)
    exp = _memo.memo("campaigns.experiments", _memo.source_key(q.DB) + (before,), lambda: _experiments(before))
    out.tables |= {name: table.copy() for name, table in exp.tables.items()}
    out.charts |= exp.charts
    out.kpis += exp.kpis
    out.messages += exp.messages
    return out


def _experiments(before: datetime | None) -> Output:
    """The A/B readout (tables `experiments` and `looks`, its chart and KPIs), once per data
    version (`_memo`): it does not depend on the range or the drill-down."""
    out = Output()
    exps = q.experiments()
    arms = q.arm_days(before)
    arms["hit_day"] = pd.to_datetime(arms["hit_day"])
    arms["conversion_day"] = pd.to_datetime(arms["conversion_day"])
    if exps.empty:
        out.note("info", "No experiments in luckyus_isalesdatamarketing.t_experiment.")
        return out
    now = pd.Timestamp(before) if before else arms["hit_day"].max() + pd.Timedelta(days=1)
    rows, looks = [], []
    for exp in exps.itertuples(index=False):
        mine = arms[arms["experiment_id"] == exp.experiment_id]
        row = {"experiment_id": int(exp.experiment_id), "experiment_name": exp.experiment_name,
               "metric_name": exp.metric_name, "status": "running" if exp.status == 1 else "ended"}
        groups = sorted(set(mine["group_name"]))
        if mine.empty:
            out.note("warning", f"Experiment {exp.experiment_id} ({exp.experiment_name}) has no exposures yet.")
            rows.append(row)
            continue
        if CONTROL not in groups or len(groups) < 2:
            out.note("warning", f"Experiment {exp.experiment_id} ({exp.experiment_name}) has one variant "
                                f"({', '.join(groups)}): nothing to compare, no test.")
            rows.append(row | {"users_" + g: int(mine.loc[mine["group_name"] == g, "users"].sum()) for g in groups})
            continue
        if len(groups) > 2:
            out.note("info", f"Experiment {exp.experiment_id}: {', '.join(g for g in groups if g != CONTROL)} "
                             "pooled as treatment against control.")
        daily = _looks(mine, pd.Timestamp(exp.start_time), min(pd.Timestamp(exp.end_time), now))
        planned = _planned(daily, pd.Timestamp(exp.start_time), pd.Timestamp(exp.end_time), now)
        verdict = sequential.readout(daily, planned)
        last = daily.iloc[-1]
        rows.append(row | {"users_control": int(last["n0"]), "users_treatment": int(last["n1"])} | verdict)
        c = sequential.boundary()
        t = np.clip((daily["n1"] + daily["n0"]) / planned, 1e-9, 1)
        looks.append(daily.assign(experiment_id=int(exp.experiment_id),
                                  z=sequential.z_pooled(daily["x1"], daily["n1"], daily["x0"], daily["n0"]),
                                  boundary=c / np.sqrt(t)))
    table = pd.DataFrame(rows)
    cols = ["experiment_id", "experiment_name", "metric_name", "status", "users_control", "users_treatment",
            "conversion_control", "conversion_treatment", "lift", "relative_lift", "ci_low", "ci_high", "z",
            "p_value", "significant", "significant_since", "information", "boundary_now"]
    table = table.reindex(columns=cols)
    out.tables["experiments"] = table
    readouts = pd.concat(looks, ignore_index=True) if looks else pd.DataFrame()
    if len(readouts):
        readouts = readouts[["experiment_id", "day", "n0", "x0", "n1", "x1", "z", "boundary"]]
        out.tables["looks"] = readouts
        ratio = readouts.assign(z_over_boundary=readouts["z"] / readouts["boundary"],
                                experiment=readouts["experiment_id"].astype(str))
        out.charts["sequential-readout"] = (
            alt.Chart(ratio).mark_line().encode(
                x=alt.X("day:T", title="Look (day)"), y=alt.Y("z_over_boundary:Q", title="z / boundary (|1| = significant)"),
                color=alt.Color("experiment:N"), tooltip=["experiment", "day", "z", "boundary"])
            + alt.Chart(pd.DataFrame({"y": [1.0, -1.0]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q"))
    sig = table["significant"].fillna(False).astype(bool)
    out.kpis += [Kpi("Experiments", len(table)), Kpi("Significant (sequential)", int(sig.sum())),
                Kpi("Boundary at full information", round(sequential.boundary(), 3),
                    help="|z| needed at the planned sample; earlier looks need |z| >= c / sqrt(t)")]
    return out


TEMPLATE_COLS = ["template_id", "name", "issued", "redeemed", "redemption_rate", "avg_discount", "discount",
                 "revenue", "holdout", "revenue_per_send", "holdout_revenue_per_send", "incremental_revenue",
                 "ci_low", "ci_high", "marketing_cost", "roi", "acquired", "cost_per_acquired", "conversion",
                 "holdout_conversion", "conversion_lift", "conversion_ci_low", "conversion_ci_high", "verdict"]


def _templates(out: Output, filters: Filters, before: datetime | None, template_id: int) -> None:
    """The coupon-template leaderboard (table `templates`) and one template's daily series."""
    key = _memo.source_key(qc.DB, qc.ORDERS) + (filters.currency, filters.start, filters.end, before)
    base = _memo.memo("campaigns.templates", key, lambda: _leaderboard(filters, before))
    if base is None:
        out.note("info", "No coupon templates in luckyus_sales_marketing.t_coupon_template.")
        return
    table = base["table"].copy()
    out.tables["templates"] = table
    never = table.loc[table["verdict"] == "never issued", "template_id"].tolist()
    if never:
        out.note("warning", f"{len(never)} template(s) never issued in this range (no sends, nothing to "
                            f"measure): {', '.join(map(str, never[:10]))}{' ...' if len(never) > 10 else ''}.")
    no_h = table.loc[table["verdict"] == "no holdout", "template_id"].tolist()
    if no_h:
        out.note("warning", f"{len(no_h)} template(s) sent without a holdout: incremental revenue cannot be "
                            f"measured: {', '.join(map(str, no_h[:10]))}.")
    counts = table["verdict"].value_counts()
    out.kpis += [Kpi("Templates", len(table)), Kpi("Incremental", int(counts.get(inc.INCREMENTAL, 0))),
                 Kpi("Cannibalizing", int(counts.get(inc.CANNIBALIZING, 0))),
                 Kpi("Incremental revenue", f"${table['incremental_revenue'].sum():,.0f}",
                     help="sum over templates of (revenue per send - holdout revenue per send) x sends")]
    measured = table[table["verdict"].isin([inc.INCREMENTAL, inc.CANNIBALIZING, inc.UNCLEAR])]
    if len(measured):
        out.charts["templates-incremental"] = alt.Chart(measured.head(40)).mark_errorbar().encode(
            x=alt.X("ci_low:Q", title=formats.money_title("Incremental revenue, 95% interval", filters.currency)), x2="ci_high:Q",
            y=alt.Y("template_id:N", sort=None, title="Template")) + alt.Chart(measured.head(40)).mark_point(
            filled=True).encode(x="incremental_revenue:Q", y=alt.Y("template_id:N", sort=None),
                                color=alt.Color("verdict:N", scale=alt.Scale(
                                    domain=[inc.INCREMENTAL, inc.CANNIBALIZING, inc.UNCLEAR],
                                    range=["#2e7d32", "#c62828", "#9e9e9e"])), tooltip=["template_id", "name", "incremental_revenue",
                                                                        "ci_low", "ci_high", "discount", "verdict"])
    _daily(out, table, base["issued"], base["redeemed"], template_id)


def _leaderboard(filters: Filters, before: datetime | None) -> dict | None:
    """The heavy part, kept per data version (`_memo`): every send's and held-out user's window
    revenue and orders, and the per-template table built from them; None without templates.

    Users and orders are matched as Arrow strings hashed once (integer codes: a user's row among
    the buyers, -1 for one who never ordered), and every window is two binary searches into the
    orders sorted by (buyer, second) (`incrementality.order_index`)."""
    tmpl = qc.templates()
    if tmpl.empty:
        return None
    span = (before, filters.start, filters.end)
    sends, held, used = qc.sends(*span), qc.holdouts(*span), qc.redemptions(*span)
    orders = qc.user_orders(filters.currency, before)
    end = pd.Timestamp(before) if before is not None else (orders["paid_time"].max() if len(orders) else pd.Timestamp.now())
    buyers = pc.unique(keys.text(orders["user_no"]))
    o_code = keys.codes(orders["user_no"], buyers)
    index = inc.order_index(o_code, orders["paid_time"], orders["pay_money"].to_numpy(dtype=float))
    sv = _outcomes(sends, keys.codes(sends["user_no"], buyers), index, end)
    hv = _outcomes(held, keys.codes(held["user_no"], buyers), index, end)
    used = _redeemed(used, orders.assign(user_no=o_code, time=orders["paid_time"]))
    by_s, by_h, by_u = _groups(sends), _groups(held), _groups(used)
    uv = {c: used[c].to_numpy() for c in ("discount_amount", "first", "paid")}
    rows = []
    for t in tmpl.itertuples(index=False):
        tid = int(t.template_id)
        g, h, u = by_s.get(tid, _EMPTY), by_h.get(tid, _EMPTY), by_u.get(tid, _EMPTY)
        n_g, n_u = len(g), len(u)
        cost = float(t.marketing_cost) if pd.notna(t.marketing_cost) else np.nan
        discount = float(uv["discount_amount"][u].sum())
        acquired = int(uv["first"][u].sum())
        row = {"template_id": tid, "name": t.template_name, "issued": n_g, "redeemed": n_u,
               "redemption_rate": n_u / n_g if n_g else np.nan,
               "avg_discount": discount / n_u if n_u else np.nan, "discount": round(discount, 2),
               "revenue": round(float(uv["paid"][u].sum()), 2),
               "marketing_cost": cost, "acquired": acquired,
               "cost_per_acquired": cost / acquired if acquired else np.nan}
        if not n_g:
            rows.append(row | {"holdout": len(h), "verdict": "never issued"})
            continue
        e = inc.estimate(sv["rev"][g], hv["rev"][h], sv["pre"][g], hv["pre"][h])
        c = inc.conversion(sv["n"][g], hv["n"][h])
        row |= {k: e[k] for k in ("holdout", "revenue_per_send", "holdout_revenue_per_send",
                                  "incremental_revenue", "ci_low", "ci_high")} | c
        row["roi"] = inc.roi(e["incremental_revenue"], cost)
        row["verdict"] = (inc.verdict(c["conversion_ci_low"], c["conversion_ci_high"], row["redemption_rate"], n_u)
                          if len(h) else "no holdout")
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=TEMPLATE_COLS)
    for c in ("redemption_rate", "avg_discount", "revenue_per_send", "holdout_revenue_per_send", "roi", "conversion",
              "holdout_conversion", "conversion_lift", "conversion_ci_low", "conversion_ci_high"):
        table[c] = table[c].astype(float).round(4)
    for c in ("incremental_revenue", "ci_low", "ci_high", "cost_per_acquired"):
        table[c] = table[c].astype(float).round(2)
    table = table.sort_values("incremental_revenue", ascending=False, na_position="last").reset_index(drop=True)
    issued = _issued_daily(sends)
    redeemed = used.assign(day=used["use_time"].dt.floor("D")).groupby(["template_id", "day"]).agg(
        redeemed=("paid", "size"), discount=("discount_amount", "sum"), revenue=("paid", "sum"))
    return {"table": table, "issued": issued, "redeemed": redeemed}


_EMPTY = np.zeros(0, dtype=np.int64)


def _redeemed(used: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """The redeemed sends with their order's pay_money (`paid`, 0 when the order is not a
    completed one of the currency) and whether it was the user's first order (`first`)."""
    pos = keys.codes(used["order_no"], orders["order_no"])
    money = orders["pay_money"].to_numpy(dtype=float)
    paid = np.where(pos >= 0, money[np.maximum(pos, 0)] if len(money) else 0.0, 0.0)
    firsts = keys.text(orders["order_no"]).take(pa.array(inc.first_orders(orders)))
    first = pc.is_in(keys.text(used["order_no"]), value_set=firsts).fill_null(False).to_numpy(zero_copy_only=False)
    return used.assign(first=first, paid=np.nan_to_num(paid, nan=0.0),
                       discount_amount=used["discount_amount"].astype(float))


def _groups(df: pd.DataFrame) -> dict[int, np.ndarray]:
    """template_id -> the row positions of its rows, in row order (what groupby gives, without
    building a frame per template). Templates are hashed to small codes first: a stable sort of
    16-bit codes is a radix sort, several times faster than one of the int64 ids."""
    code, keys = pd.factorize(df["template_id"].to_numpy(), sort=True)
    small = code.astype(np.uint16) if len(keys) < 2 ** 16 else code
    order = np.argsort(small, kind="stable")
    ends = np.cumsum(np.bincount(code, minlength=len(keys)))
    return dict(zip(np.asarray(keys).tolist(), np.split(order, ends[:-1]), strict=True)) if len(keys) else {}


def _issued_daily(sends: pd.DataFrame) -> pd.Series:
    """Coupons issued per template and UTC day (index template_id, create_time day), counted with
    one bincount over (template, day) cells: the sends are in memory already, a second scan at
    the source would cost more."""
    code, keys = pd.factorize(sends["template_id"].to_numpy(), sort=True)
    day = sends["create_time"].to_numpy().astype("datetime64[D]").astype(np.int64)
    first = int(day.min()) if len(day) else 0
    span = int(day.max()) - first + 1 if len(day) else 1
    counts = np.bincount(code * span + (day - first), minlength=len(keys) * span)
    cell = np.flatnonzero(counts)
    index = pd.MultiIndex.from_arrays([np.asarray(keys)[cell // span], pd.to_datetime(
        (cell % span + first).astype("datetime64[D]")).astype("datetime64[us]")], names=["template_id", "create_time"])
    return pd.Series(counts[cell], index=index, dtype=np.int64)


def _outcomes(df: pd.DataFrame, users: np.ndarray, index: inc.OrderIndex, end: pd.Timestamp) -> dict[str, np.ndarray]:
    """Per send: revenue (`rev`) and orders (`n`) in its window (send to expiry, cut at the data's
    end), and the revenue in as long a window before (`pre`). `users` are buyer codes (-1: never
    ordered, nothing to search)."""
    start = df["create_time"].to_numpy()
    stop = np.minimum(df["expire_time"].to_numpy(), pd.Timestamp(end).to_datetime64())
    stop = np.where(stop > start, stop, start)
    some = users >= 0
    start, stop, who = start[some], stop[some], users[some]
    rev, pre, n = np.zeros(len(df)), np.zeros(len(df)), np.zeros(len(df), dtype=np.int64)
    lo, hi, early = inc.positions(index, who, inc.seconds(start), inc.seconds(stop), inc.seconds(start - (stop - start)))
    rev[some], n[some] = inc.window_sums(index, lo, hi)
    pre[some] = inc.window_sums(index, early, lo)[0]
    return {"rev": rev, "pre": pre, "n": n}


def _daily(out: Output, table: pd.DataFrame, issued_by: pd.Series, redeemed_by: pd.DataFrame,
           template_id: int) -> None:
    """Table `template_daily` for the chosen template (default: the most redeemed), from the
    coupons issued and redeemed per template and UTC day."""
    if not template_id:
        issued = table[table["issued"] > 0]
        if issued.empty:
            return
        template_id = int(issued.sort_values(["redeemed", "issued"], ascending=False)["template_id"].iloc[0])
    if template_id not in set(table["template_id"]):
        out.note("warning", f"Template {template_id} does not exist; choose one from the `templates` table.")
        return
    if template_id not in set(issued_by.index.get_level_values(0)):
        out.note("warning", f"Template {template_id} was never issued: no daily series.")
        return
    issued = issued_by.loc[template_id].rename("issued")
    red = (redeemed_by.loc[template_id] if template_id in set(redeemed_by.index.get_level_values(0))
           else redeemed_by.iloc[:0].droplevel(0))
    daily = pd.concat([issued, red], axis=1, sort=True)
    daily = daily.reindex(pd.date_range(daily.index.min(), daily.index.max(), freq="D")).fillna(0)
    daily = daily.rename_axis("day").reset_index()
    daily[["issued", "redeemed"]] = daily[["issued", "redeemed"]].astype(int)
    daily[["discount", "revenue"]] = daily[["discount", "revenue"]].round(2)
    daily["template_id"] = template_id
    daily = daily[["template_id", "day", "issued", "redeemed", "discount", "revenue"]]
    out.tables["template_daily"] = daily
    out.charts["template-daily"] = alt.Chart(daily.melt(["template_id", "day"], ["issued", "redeemed"])).mark_line().encode(
        x=alt.X("day:T", title=f"Day (UTC), template {template_id}"), y=alt.Y("value:Q", title="Coupons"),
        color=alt.Color("variable:N", title=""))


def _looks(mine: pd.DataFrame, start: pd.Timestamp, stop: pd.Timestamp) -> pd.DataFrame:
    """Cumulative users (n) and converted users (x) per arm at the end of each UTC day, from the
    users per day of first exposure and of first conversion (`experiments.arm_days`)."""
    days = pd.date_range(start.normalize(), max(stop, start).normalize(), freq="D")
    out = {"day": days}
    for arm, mask in (("1", mine["group_name"] != CONTROL), ("0", mine["group_name"] == CONTROL)):
        for name, col in (("n", "hit_day"), ("x", "conversion_day")):
            counted = mine.loc[mask & mine[col].notna(), [col, "users"]].sort_values(col)
            cum = np.r_[0, np.cumsum(counted["users"].to_numpy(dtype=np.int64))]
            out[name + arm] = cum[np.searchsorted(counted[col].to_numpy(), days.to_numpy(), side="right")]
    daily = pd.DataFrame(out)
    return daily[(daily["n0"] + daily["n1"]) > 0].reset_index(drop=True)


def _planned(daily: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, now: pd.Timestamp) -> float:
    """Users the experiment will have at its end: the final count once ended, else the enrolment
    so far projected linearly over the planned days."""
    n = float(daily["n0"].iloc[-1] + daily["n1"].iloc[-1])
    if end <= now:
        return n
    elapsed = max((now - start).total_seconds(), 1.0)
    return n * max((end - start).total_seconds() / elapsed, 1.0)


TOOL = Tool(
    slug="campaigns", number=5, title="Campaign Performance Analyzer", department="Marketing",
    roles=frozenset({"marketing"}), sources=(qc.DB, qc.ORDERS, q.DB), run=run, icon=":material/campaign:",
    description="Coupon templates against their holdouts (incremental revenue with an interval, ROI, "
                "verdict) and A/B experiments read out with a sequential test valid under daily looks.",
    options=(Option("template_id", int, 0, "template for the daily drill-down (0 = the most redeemed)",
                    label="Template (drill-down)"),),
    precompute=True,
)
