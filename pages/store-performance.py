"""Store Performance Command Center: a thin page over `lucky.tools.execute("store-performance", ...)`."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "store-performance"
K_STORE = "store"

filters, viewer = frame.setup_page(SLUG)
st.title("Store Performance Command Center")
st.caption("One row per trading store: orders and revenue (as in the landscape), orders per open hour, production "
           "time (done − accept, over 30 minutes counted apart), machine uptime, stock-out items and late opens, each "
           "with a traffic light against the thresholds below; a ranking that compares each store with what stores "
           "did at the same age, and its trend.")
picked = st.session_state.get(K_STORE) or st.query_params.get(K_STORE) or None
picked = int(picked) if picked not in (None, "") else None
out = frame.run_cached(SLUG, filters, viewer, store=picked)
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
    card = out.tables.get("scorecard")
    if card is not None and len(card):
        st.subheader("Store drill-down")
        options = [None] + [int(x) for x in card["shop_id"]]
        names = dict(zip(card["shop_id"].astype(int), card["shop_name"]))
        if K_STORE not in st.session_state or st.session_state[K_STORE] not in options:
            st.session_state[K_STORE] = picked if picked in options else None
        st.selectbox("Store", options, key=K_STORE, bind="query-params",
                     format_func=lambda s: "Pick a store…" if s is None else f"{names.get(s, s)} ({s})")
        if picked in options and picked is not None:
            if "store-hourly" in out.charts:
                st.caption("Orders by hour on the last day of the range against the same weekday of the 4 weeks before; "
                           "queue depth = tickets accepted and not yet done, averaged over the hour.")
                render.chart(out.charts["store-hourly"], "store-hourly")
            for name in ("store-hourly", "store-machines", "store-stock-outs", "store-late-opens"):
                if name in out.tables:
                    st.markdown(f"**{render.title_of(name)}**")
                    render.table(out.tables[name], name, filters, SLUG)
