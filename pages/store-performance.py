"""Store Performance Command Center: a thin page over `lucky.tools.execute("store-performance", ...)`."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "store-performance"

filters, viewer = frame.setup_page(SLUG)
st.title("Store Performance Command Center")
st.caption("One row per trading store: orders and revenue (as in the landscape), orders per open hour, production "
           "time (done − accept, over 30 minutes counted apart), machine uptime, stock-out items and late opens, each "
           "with a traffic light against the thresholds below; a ranking that compares each store with what stores "
           "did at the same age, and its trend.")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    if "store-grid" in out.charts:
        st.subheader("Traffic lights")
        render.chart(out.charts["store-grid"], "store-grid")
    for name in ("scorecard", "thresholds", "ranking", "late-opens", "stock-outs"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
