"""AI-Powered Anomaly Detection: the feed of anomaly cards (a thin page over
`lucky.tools.execute("anomalies", ...)`); acknowledge/dismiss go to `lucky.anomaly.feedback`."""
import hashlib

import pandas as pd
import streamlit as st

from lucky.anomaly import feedback
from lucky.errors import LuckyError
from lucky.ui import frame, render

SLUG = "anomalies"
ICON = {"Critical": ":material/error:", "Warning": ":material/warning:", "Info": ":material/info:"}
COLOUR = {"Critical": "red", "Warning": "orange", "Info": "blue"}

filters, viewer = frame.setup_page(SLUG)
st.title("AI-Powered Anomaly Detection")
st.caption("Every store-day's orders, refunds, cancellations, fees per payment channel, production times, "
           "machine cycles and stock consumption against recipes, judged against the store's own weekday "
           "baseline. Warning and Critical need a material change; dismissing an anomaly makes that metric "
           "less sensitive at that store.")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.kpis(out.kpis, currency=filters.currency)
    render.messages(out)
    anoms, incidents = out.tables["anomalies"], out.tables["incidents"]
    try:   # verdicts given since the scan was cached
        anoms = feedback.attach(anoms.drop(columns=["status", "by", "at"], errors="ignore"))
    except LuckyError as exc:
        st.warning(f"Acknowledgements cannot be read: {exc}", icon=":material/database_off:")
        anoms = anoms.assign(status="open")
    left, mid, right, last = st.columns([2, 2, 2, 1])
    severity = left.multiselect("Severity", ["Critical", "Warning", "Info"], default=["Critical", "Warning"],
                                key="an_severity")
    metric = mid.multiselect("Metric", sorted(anoms["metric"].unique()), key="an_metric", placeholder="All metrics")
    status = right.multiselect("Status", ["open", "acknowledged", "dismissed"], default=["open", "acknowledged"],
                               key="an_status")
    limit = int(last.number_input("Cards", min_value=5, max_value=200, value=20, step=5, key="an_limit"))
    view = anoms[anoms["severity"].isin(severity) & anoms["status"].isin(status)]
    if metric:
        view = view[view["metric"].isin(metric)]
    causes = {(None if pd.isna(r.shop_id) else int(r.shop_id), str(r.date)): (r.root_cause, r.steps)
              for r in incidents.itertuples()}
    st.subheader(f"Feed ({len(view):,} anomalies)")
    if view.empty:
        st.info("No anomalies match these filters.", icon=":material/check_circle:")
    for row in view.head(limit).itertuples():
        shop = None if pd.isna(row.shop_id) else int(row.shop_id)
        key = hashlib.md5(f"{shop}|{row.date}|{row.metric}|{row.dimension}".encode()).hexdigest()[:10]
        with st.container(border=True):
            head, score = st.columns([5, 1])
            what = row.metric.replace("_", " ") + (f" · {row.dimension}" if row.dimension else "")
            head.markdown(f":{COLOUR[row.severity]}-badge[{ICON[row.severity]} {row.severity}] **{what}** at "
                          f"**{row.shop_name}** on {row.date} · _{row.system}_")
            score.metric("Score (robust z)", f"{row.score:.1f}",
                         help="How many typical deviations this day is from the store's usual for "
                              "that weekday (robust z-score, in the harmful direction); 5+ is a "
                              "Warning, 8+ Critical when the change is material too.")
            st.write(row.explanation)
            cause = causes.get((shop, str(row.date)))
            if cause:
                st.caption(f"Likely cause: {cause[0]}. Next: {cause[1]}")
            if row.status != "open":
                st.caption(f"{row.status.capitalize()} by {row.by} at {row.at} UTC")
            ack, dis, _ = st.columns([1, 1, 4])
            for col, label, action in ((ack, "Acknowledge", "acknowledge"), (dis, "Dismiss", "dismiss")):
                if col.button(label, key=f"{action}_{key}", disabled=row.status == action + "d"):
                    try:
                        feedback.record(shop, row.date, row.metric, action, viewer.name, row.dimension)
                        st.rerun()
                    except LuckyError as exc:
                        st.error(f"Not saved: {exc}", icon=":material/error:")
    for name, obj in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(obj, name)
    st.subheader("Incidents")
    render.table(incidents, "incidents", filters, SLUG)
    st.subheader("Anomalies")
    # value and expected are counts, rates, seconds or dollars depending on the metric
    render.table(view, "anomalies", filters, SLUG, column_config_overrides={
        c: st.column_config.NumberColumn(c, format="%.4g") for c in ("value", "expected")})
    st.subheader("Hour by hour")
    st.caption("The last day of the range, each store's local hours against the median of the same weekday-hour "
               "over the four weeks before. Low, no orders and high need a Poisson tail below 0.1% as well.")
    render.table(out.tables["hourly"], "hourly", filters, SLUG, column_config_overrides={
        "expected": st.column_config.NumberColumn("usual", format="%.1f")})
