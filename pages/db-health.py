"""Database Health Monitor: a thin page over `lucky.tools.execute("db-health", ...)`.

Fleet heatmap with traffic lights for everyone; server detail with trends and statement digests
for engineers; the alert timeline; capacity. The collector fills the store; "Collect now" runs
one cycle from the page.
"""
from datetime import UTC, datetime

import streamlit as st

from lucky.ui import frame, render

SLUG = "db-health"

filters, viewer = frame.setup_page(SLUG)
st.title("Database Health Monitor")
st.caption("Every MySQL, PostgreSQL and Redis instance in the inventory (`LUCKY_INVENTORY`), from "
           "the metrics `python -m lucky collect` stores. Green: healthy; yellow: a warning alert is "
           "firing; red: down or a critical alert; grey: not polled yet.")

top = st.columns([2, 1, 1])
hours = top[1].selectbox("Trend window", [1, 6, 24, 72, 168], index=2,
                         format_func=lambda h: f"last {h} h", key="dbh_hours")
collect = top[2].button("Collect now", icon=":material/refresh:",
                        help="Poll every instance once (read-only) and store the result.")
now = datetime.now(UTC)
tick = now.isoformat() if collect else now.strftime("%Y-%m-%dT%H:%M")   # fresh each minute
fleet_out = frame.run_cached(SLUG, filters, viewer, collect_now=collect, tick=tick)
if fleet_out is not None:
    names = fleet_out.tables["instances"]["name"].tolist()
    chosen = top[0].selectbox("Server detail", names, index=None, placeholder="Pick an instance",
                              key="dbh_instance")
    out = (frame.run_cached(SLUG, filters, viewer, instance=chosen, hours=float(hours), tick=tick)
           if chosen else fleet_out)
    if out is not None:
        render.kpis(out.kpis)
        render.messages(out)
        fleet_tab, detail_tab, alert_tab, capacity_tab = st.tabs(
            ["Fleet", "Server detail", "Alerts and events", "Capacity"])
        with fleet_tab:
            render.chart(out.charts["heatmap"], "fleet")
            render.table(out.tables["instances"], "instances", filters, SLUG)
        with detail_tab:
            if not chosen:
                st.info("Pick an instance above to see its trends, sessions and statements.",
                        icon=":material/touch_app:")
            else:
                if "trends" in out.charts:
                    render.chart(out.charts["trends"], "trends")
                st.markdown("**Sessions now** (processlist / pg_stat_activity by state and wait event)")
                render.table(out.tables["activity"], "activity", filters, SLUG)
                st.markdown(f"**Statements in the last {hours} h** (digest deltas between polls)")
                render.table(out.tables["statements"], "statements", filters, SLUG,
                             empty_text="No statement digests: performance_schema / pg_stat_statements "
                                        "is off on this server, or nothing ran.")
                st.markdown("**Tables** (latest size snapshot)")
                render.table(out.tables["tables"], "tables", filters, SLUG)
        with alert_tab:
            if "alert_timeline" in out.charts:
                render.chart(out.charts["alert_timeline"], "alert timeline")
            render.table(out.tables["alerts"], "alerts", filters, SLUG, empty_text="No alerts.")
            st.markdown("**New databases and tables**")
            render.table(out.tables["events"], "events", filters, SLUG,
                         empty_text="No new databases or tables in the last 30 days.")
        with capacity_tab:
            st.caption("Least-squares trend over the last 30 days; days until full against "
                       "`capacity_gb` (inventory) or maxmemory, ids against the column type.")
            render.table(out.tables["capacity_instances"], "capacity_instances", filters, SLUG,
                         empty_text="Not enough history yet.")
            render.table(out.tables["capacity_tables"], "capacity_tables", filters, SLUG,
                         empty_text="No table sizes yet (read every `tables_every` seconds).")
