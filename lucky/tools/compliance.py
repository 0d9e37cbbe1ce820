"""Tool 22, Unified Compliance & Audit Platform: the checklist of automated checks in four
categories (Tax, Payment, Food Safety, Financial Controls), the monthly compliance score, alerts on
new failures, and every run written to the hash-chained audit log.

The checks reuse the tax-gap and reconciliation tools (run as the viewer), so a finding count here
is the count on those pages for the same range; see `lucky.compliance.checks`.
"""
from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd

from lucky.compliance import audit, checks
from lucky.core import Filters, Kpi, Output, Tool, Viewer
from lucky.errors import InputError, LuckyError
from lucky.models import compliance as cm
from lucky.models.timezones import utc_bounds

SCORE_FORMULA = ("score(month) = 100 × Σ weight of checks that passed in the month ÷ Σ weight of checks "
                 "that ran (critical 3, major 2, minor 1; a check passes in a month when none of its "
                 "findings falls in it; findings without a date count in every month; checks that could "
                 "not run are left out and listed)")


def _checklist(results: list[checks.Result]) -> pd.DataFrame:
    return pd.DataFrame([{
        "category": r.check.category, "check_id": r.check.check_id, "check": r.check.title,
        "status": r.status, "findings": r.findings, "severity": r.check.severity,
        "weight": cm.WEIGHTS[r.check.severity], "source": r.check.source, "reason": r.reason,
    } for r in results])


def _per_month(results: list[checks.Result], month_list: list[pd.Timestamp]) -> pd.DataFrame:
    """month × check finding counts (checks that could not run are absent)."""
    cols = {r.check.check_id: cm.monthly_findings(r.rows, month_list) for r in results if r.rows is not None}
    return pd.DataFrame(cols, index=pd.DatetimeIndex(month_list, name="month"))


def _alerts(results: list[checks.Result], previous: dict[str, str], viewer: Viewer, out: Output) -> None:
    """Notify new failures through the monitor's channels (the inventory's [notify.*])."""
    from lucky.monitor import inventory, notify
    from lucky.monitor.alerts import Transition

    current = {r.check.check_id: r.status for r in results}
    fresh = cm.new_failures(previous, current)
    if not fresh:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    found = {r.check.check_id: r for r in results}
    transitions = [Transition("opened", "compliance", c, found[c].check.category, found[c].check.severity,
                              float(found[c].findings or 0), 0.0,
                              f"{found[c].check.title}: {found[c].findings} finding(s) (run by {viewer.name})", now)
                   for c in fresh]
    try:
        conf = inventory.load().notify
    except InputError:
        conf = {}
    sent = notify.send(transitions, conf)
    where = ", ".join(f"{k}: {v}" for k, v in sent.items()) or "no notification channel configured"
    out.note("warning", f"New compliance failure(s) since the last run: {', '.join(fresh)} ({where}).")


def _trend(per_month: pd.DataFrame, checklist: pd.DataFrame) -> pd.DataFrame:
    cat = checklist.set_index("check_id")["category"]
    long = per_month.reset_index().melt("month", var_name="check_id", value_name="findings")
    long["category"] = long["check_id"].map(cat)
    return long.groupby(["month", "category"], as_index=False)["findings"].sum()


def _period_has_orders(filters: Filters, out: Output) -> None:
    """Warn when the period holds no completed order: a pass would then mean "nothing to check"."""
    from lucky.queries import orders

    try:
        span = orders.per_store(filters.currency)
    except LuckyError:
        return              # the checks that need orders will say they could not run
    lo, hi = utc_bounds(filters.start, filters.end)
    inside = (pd.to_datetime(span["first_order"]) < hi) & (pd.to_datetime(span["last_order"]) >= lo)
    if not inside.any():
        out.note("warning", f"No completed {filters.currency} orders between {filters.start} and {filters.end}: "
                            "the checks below had nothing to judge, so a pass here proves nothing. "
                            "Pick a period with trading.")


def run(filters: Filters, viewer: Viewer) -> Output:
    out = Output()
    if filters.start is None or filters.end is None:
        raise InputError("Pick a period (start and end business days): compliance is judged per month.")
    if filters.end < filters.start:
        raise InputError(f"The period ends ({filters.end}) before it starts ({filters.start}).")
    _period_has_orders(filters, out)
    results = checks.run_all(filters, viewer)
    checklist = _checklist(results)
    month_list = cm.months(filters.start, filters.end)
    per_month = _per_month(results, month_list)
    weights = dict(zip(checklist["check_id"], checklist["weight"]))
    score = cm.monthly_score(per_month, weights)
    not_run = checklist[checklist["status"] == cm.NOT_RUN]

    try:
        previous = audit.last_status()
        logged = audit.append([audit.entry(r.check.check_id, r.status, r.findings, viewer.name, viewer.role,
                                           filters.start, filters.end, title=r.check.title,
                                           reason=r.reason, stores=list(filters.stores),
                                           currency=filters.currency) for r in results])
        _alerts(results, previous, viewer, out)
        out.note("info", f"Logged {len(logged)} check runs to the audit trail (entries {logged[0]['seq']}–"
                         f"{logged[-1]['seq']}; head hash {logged[-1]['hash'][:16]}…).")
    except Exception as exc:  # noqa: BLE001 - the checklist is still worth showing
        out.note("error", f"The audit trail could not be written ({type(exc).__name__}: {exc}); "
                          "these results are not logged.")

    ran = checklist[checklist["status"] != cm.NOT_RUN]
    if not ran["findings"].fillna(0).sum() and len(ran):
        out.note("success", "Every check that ran passed.")
    for _, r in not_run.iterrows():
        out.note("warning", f"Could not run {r['check_id']} ({r['check']}): {r['reason']}")
    if not (per_month.sum().sum() or len(ran)):
        out.note("info", "No check could run for this period.")
    latest = score.dropna(subset=["score"]).tail(1)
    out.kpis = [
        Kpi("Compliance score (last month)", float(latest["score"].iloc[0]) if len(latest) else None, "%",
            help=SCORE_FORMULA),
        Kpi("Checks passed", int((checklist["status"] == cm.PASS).sum())),
        Kpi("Checks failing", int((checklist["status"] == cm.FAIL).sum())),
        Kpi("Could not run", len(not_run)),
        Kpi("Open findings", int(ran["findings"].sum()) if len(ran) else 0),
    ]
    trend = _trend(per_month, checklist) if len(per_month.columns) else pd.DataFrame(
        columns=["month", "category", "findings"])
    out.tables["checklist"] = checklist
    out.tables["score"] = score.assign(month=score["month"].dt.strftime("%Y-%m"))
    out.tables["trend"] = trend.assign(month=pd.to_datetime(trend["month"]).dt.strftime("%Y-%m"))
    for r in results:
        if r.rows is not None and len(r.rows):
            rows = r.rows.copy()
            if "business_date" in rows:
                rows["business_date"] = pd.to_datetime(rows["business_date"]).dt.date
            out.tables[f"rows-{r.check.check_id}"] = rows
    if len(trend):
        out.charts["trend"] = _chart(trend)
    return out


def _chart(trend: pd.DataFrame) -> alt.Chart:
    return alt.Chart(trend).mark_bar().encode(
        x=alt.X("month:N", title="Month"), y=alt.Y("findings:Q", title="Findings"),
        color=alt.Color("category:N", title="Category"),
        tooltip=["month:N", "category:N", "findings:Q"])


TOOL = Tool(
    slug="compliance", number=22, title="Unified Compliance & Audit Platform", department="Company-wide",
    roles=frozenset({"finance", "operations", "store_manager"}),
    sources=("luckyus_sales_order", "luckyus_sales_payment", "luckyus_opshop", "luckyus_fi_tax",
             "luckyus_opproduction", "luckyus_iot_platform", "luckyus_ifiaccounting",
             "luckyus_iunifiedreconcile"),
    run=run, icon=":material/verified_user:",
    description="Tax, payment, food-safety and financial-control checks with a monthly score, alerts on "
                "new failures and a tamper-evident audit trail with an auditor's export.",
)
