"""Dynamic Staffing Optimizer: a thin page over `lucky.tools.execute("staffing", ...)`.

The what-if widgets (demand multiplier, service target) are bound to the URL and feed the tool;
the printable weekly schedule is built by the tool module's `print_html` from the tool's tables.
"""
import pandas as pd
import streamlit as st

from lucky.models import queueing
from lucky.tools.staffing import print_html
from lucky.ui import frame, render

SLUG = "staffing"
K_DEMAND, K_SL, K_SECONDS, K_STORE = "demand_pct", "target_sl_pct", "target_s", "print_store"

filters, viewer = frame.setup_page(SLUG)
st.title("Dynamic Staffing Optimizer")
st.caption("Baristas each store-hour needs from an Erlang C queue (arrivals = predicted orders, service = the "
           "store's mean production time), against the published rota and the store's learnt no-show rate. "
           "Schedule: the week after the date range. History: the range as it happened (staff on the floor from "
           "clock-ins).")
a, b, c = st.columns(3)
demand = a.slider("Demand what-if (% of predicted orders)", 50, 300, 100, step=5, key=K_DEMAND, bind="query-params",
                  help="A promotion expected to bring 20% more orders: 120.")
target_sl = b.slider("Target: % of orders started within the wait", 50, 99, int(queueing.TARGET_SL * 100), key=K_SL,
                     bind="query-params")
target_s = c.number_input("Target wait (seconds)", 10, 600, int(queueing.TARGET_SECONDS), step=10, key=K_SECONDS,
                          bind="query-params")
out = frame.run_cached(SLUG, filters, viewer, demand=demand / 100, target_sl=target_sl / 100, target_s=float(target_s))
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    if "week-ahead" in out.charts:
        st.subheader("Week ahead: predicted orders and staff")
        render.chart(out.charts["week-ahead"], "week-ahead")
    for name in ("schedule", "what-if", "history", "no-shows"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
    sched, rota = out.tables.get("schedule"), out.tables.get("weekly-schedule")
    if sched is not None and len(sched) and rota is not None:
        st.subheader("Printable weekly schedule")
        stores = sorted(int(s) for s in sched["shop_id"].unique())
        shop = st.selectbox("Store", stores, key=K_STORE, bind="query-params")
        page = print_html(sched.assign(date=pd.to_datetime(sched["date"])), rota, int(shop), f"store {shop}")
        st.download_button("Download the week (HTML, print to PDF)", page, file_name=f"schedule_{shop}_{filters.label()}.html",
                           mime="text/html", icon=":material/print:")
        with st.expander("Preview"):
            st.html(page)
