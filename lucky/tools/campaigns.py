"""Tool 5, Campaign Performance Analyzer -- PARTIAL: the A/B experiment readout only.

Table `experiments`: every experiment's arms (users and per-user conversion), lift (treatment
minus control conversion, in points of conversion) with a repeated confidence interval, z, a
sequential p-value and `significant`, from a test that stays valid however often people look
(an O'Brien-Fleming-type boundary for continuous monitoring, `lucky/models/sequential.py`).
Table `looks`: the daily readout behind it. The coupon-template leaderboard (`templates`,
incremental revenue against holdouts) is not built yet: the demo has no holdouts.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import altair as alt
import numpy as np
import pandas as pd

from lucky.core import Filters, Kpi, Output, Tool, Viewer
from lucky.models import sequential
from lucky.queries import experiments as q

CONTROL = "control"


def run(filters: Filters, viewer: Viewer) -> Output:
    out = Output()
    exps = q.experiments()
    before = datetime.combine(filters.as_of + timedelta(days=1), datetime.min.time()) if filters.as_of else None
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
    out.kpis = [Kpi("Experiments", len(table)), Kpi("Significant (sequential)", int(sig.sum())),
                Kpi("Boundary at full information", round(sequential.boundary(), 3),
                    help="|z| needed at the planned sample; earlier looks need |z| >= c / sqrt(t)")]
    out.note("info", "Partial tool: the A/B readout is done; the coupon-template leaderboard (incremental "
                     "revenue against holdouts) is not built yet.")
    return out


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
    roles=frozenset({"marketing"}), sources=(q.DB,), run=run, icon=":material/campaign:",
    description="A/B experiments read out with a sequential test valid under daily looks "
                "(partial: the coupon-template leaderboard is not built yet).",
)
