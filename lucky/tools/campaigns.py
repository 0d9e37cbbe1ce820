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

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import incrementality as inc
from lucky.models import sequential
from lucky.queries import coupons as qc
from lucky.queries import experiments as q

CONTROL = "control"


def run(filters: Filters, viewer: Viewer, template_id: int = 0) -> Output:
    out = Output()
    before = datetime.combine(filters.as_of + timedelta(days=1), datetime.min.time()) if filters.as_of else None
    _templates(out, filters, before, template_id)
    exps = q.experiments()
    firsts = q.user_firsts(before)
    if exps.empty:
        out.note("info", "No experiments in luckyus_isalesdatamarketing.t_experiment.")
        return out
    now = pd.Timestamp(before) if before else pd.to_datetime(firsts["first_hit"]).max().normalize() + pd.Timedelta(days=1)
    rows, looks = [], []
    for exp in exps.itertuples(index=False):
        mine = firsts[firsts["experiment_id"] == exp.experiment_id]
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
            rows.append(row | {"users_" + g: int((mine["group_name"] == g).sum()) for g in groups})
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
    tmpl = qc.templates()
    sends, held = qc.sends(before), qc.holdouts(before)
    orders = qc.user_orders(filters.currency, before).rename(columns={"paid_time": "time"})
    orders["time"] = pd.to_datetime(orders["time"])
    if tmpl.empty:
        out.note("info", "No coupon templates in luckyus_sales_marketing.t_coupon_template.")
        return
    end = pd.Timestamp(before) if before is not None else (orders["time"].max() if len(orders) else pd.Timestamp.now())
    sends, held = _in_range(sends, filters), _in_range(held, filters)
    sends["rev"], sends["pre"], sends["n"] = _window(sends, orders, end)
    held["rev"], held["pre"], held["n"] = _window(held, orders, end)
    pay = orders.drop_duplicates("order_no").set_index("order_no")["pay_money"]
    used = sends[sends["status"] == 2].copy()
    used["first"] = used["order_no"].isin(inc.first_orders(orders))
    used["paid"] = pay.reindex(used["order_no"]).fillna(0).to_numpy(dtype=float)
    used["discount_amount"] = used["discount_amount"].astype(float)
    rows = []
    by_s, by_h = dict(tuple(sends.groupby("template_id"))), dict(tuple(held.groupby("template_id")))
    by_u = dict(tuple(used.groupby("template_id")))
    for t in tmpl.itertuples(index=False):
        tid = int(t.template_id)
        g, h = by_s.get(tid, sends.iloc[:0]), by_h.get(tid, held.iloc[:0])
        u = by_u.get(tid, used.iloc[:0])
        cost = float(t.marketing_cost) if pd.notna(t.marketing_cost) else np.nan
        discount = float(u["discount_amount"].sum())
        acquired = int(u["first"].sum())
        row = {"template_id": tid, "name": t.template_name, "issued": len(g), "redeemed": len(u),
               "redemption_rate": len(u) / len(g) if len(g) else np.nan,
               "avg_discount": discount / len(u) if len(u) else np.nan, "discount": round(discount, 2),
               "revenue": round(float(u["paid"].sum()), 2),
               "marketing_cost": cost, "acquired": acquired,
               "cost_per_acquired": cost / acquired if acquired else np.nan}
        if not len(g):
            rows.append(row | {"holdout": len(h), "verdict": "never issued"})
            continue
        e = inc.estimate(g["rev"], h["rev"], g["pre"], h["pre"])
        c = inc.conversion(g["n"], h["n"])
        row |= {k: e[k] for k in ("holdout", "revenue_per_send", "holdout_revenue_per_send",
                                  "incremental_revenue", "ci_low", "ci_high")} | c
        row["roi"] = inc.roi(e["incremental_revenue"], cost)
        row["verdict"] = (inc.verdict(c["conversion_ci_low"], c["conversion_ci_high"], row["redemption_rate"], len(u))
                          if len(h) else "no holdout")
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=TEMPLATE_COLS)
    for c in ("redemption_rate", "avg_discount", "revenue_per_send", "holdout_revenue_per_send", "roi", "conversion",
              "holdout_conversion", "conversion_lift", "conversion_ci_low", "conversion_ci_high"):
        table[c] = table[c].astype(float).round(4)
    for c in ("incremental_revenue", "ci_low", "ci_high", "cost_per_acquired"):
        table[c] = table[c].astype(float).round(2)
    table = table.sort_values("incremental_revenue", ascending=False, na_position="last").reset_index(drop=True)
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
            x=alt.X("ci_low:Q", title="Incremental revenue, 95% interval ($)"), x2="ci_high:Q",
            y=alt.Y("template_id:N", sort=None, title="Template")) + alt.Chart(measured.head(40)).mark_point(
            filled=True).encode(x="incremental_revenue:Q", y=alt.Y("template_id:N", sort=None),
                                color=alt.Color("verdict:N", scale=alt.Scale(
                                    domain=[inc.INCREMENTAL, inc.CANNIBALIZING, inc.UNCLEAR],
                                    range=["#2e7d32", "#c62828", "#9e9e9e"])), tooltip=["template_id", "name", "incremental_revenue",
                                                                        "ci_low", "ci_high", "discount", "verdict"])
    _daily(out, table, sends, used, pay, template_id)


def _in_range(df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Sends (or held-out sends) made within the filter's days (UTC dates of create_time)."""
    df = df.assign(create_time=pd.to_datetime(df["create_time"]), expire_time=pd.to_datetime(df["expire_time"]))
    day = df["create_time"].dt.date
    keep = np.ones(len(df), bool)
    if filters.start:
        keep &= (day >= filters.start).to_numpy()
    if filters.end:
        keep &= (day <= filters.end).to_numpy()
    return df[keep].reset_index(drop=True)


def _window(df: pd.DataFrame, orders: pd.DataFrame, end: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Revenue and orders in each send's window (send to expiry, cut at the data's end), and the
    revenue in as long a window before."""
    start = df["create_time"]
    stop = df["expire_time"].clip(upper=end)
    stop = stop.where(stop > start, start)
    w = pd.DataFrame({"user_no": df["user_no"], "start": start, "end": stop})
    pre = pd.DataFrame({"user_no": df["user_no"], "start": start - (stop - start), "end": start})
    now = inc.window_revenue(w, orders)
    return now["revenue"].to_numpy(), inc.window_revenue(pre, orders)["revenue"].to_numpy(), now["orders"].to_numpy()


def _daily(out: Output, table: pd.DataFrame, sends: pd.DataFrame, used: pd.DataFrame, pay: pd.Series,
           template_id: int) -> None:
    """Table `template_daily` for the chosen template (default: the most redeemed)."""
    if not template_id:
        issued = table[table["issued"] > 0]
        if issued.empty:
            return
        template_id = int(issued.sort_values(["redeemed", "issued"], ascending=False)["template_id"].iloc[0])
    if template_id not in set(table["template_id"]):
        out.note("warning", f"Template {template_id} does not exist; choose one from the `templates` table.")
        return
    g, u = sends[sends["template_id"] == template_id], used[used["template_id"] == template_id]
    if g.empty:
        out.note("warning", f"Template {template_id} was never issued: no daily series.")
        return
    issued = g.groupby(g["create_time"].dt.floor("D")).size().rename("issued")
    use_day = pd.to_datetime(u["use_time"]).dt.floor("D")
    red = u.assign(day=use_day, revenue=pay.reindex(u["order_no"]).fillna(0).to_numpy(),
                   discount=u["discount_amount"].astype(float)).groupby("day").agg(
        redeemed=("order_no", "size"), discount=("discount", "sum"), revenue=("revenue", "sum"))
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
    """Cumulative users (n) and converted users (x) per arm at the end of each UTC day."""
    days = pd.date_range(start.normalize(), max(stop, start).normalize(), freq="D")
    out = {"day": days}
    ends = (days + pd.Timedelta(days=1)).to_numpy()
    for arm, mask in (("1", mine["group_name"] != CONTROL), ("0", mine["group_name"] == CONTROL)):
        hit = np.sort(pd.to_datetime(mine.loc[mask, "first_hit"]).to_numpy())
        conv = np.sort(pd.to_datetime(mine.loc[mask, "first_conversion"]).dropna().to_numpy())
        out["n" + arm] = np.searchsorted(hit, ends, side="left")
        out["x" + arm] = np.searchsorted(conv, ends, side="left")
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
)
