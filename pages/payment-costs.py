"""Payment Channel Cost Optimizer: a thin page over `lucky.tools.execute("payment-costs", ...)`.

The what-if widgets sit below the results and feed the next run through session state, so a page
load costs one (cached) tool run; the arithmetic comes back from the tool, never from the page.
"""
import streamlit as st

from lucky.tools.payment_costs import DEFAULT_FROM, DEFAULT_SHARE, DEFAULT_TO, channel_name
from lucky.ui import frame, render

SLUG = "payment-costs"
K_FROM, K_TO, K_SHARE = "pc_from_channel", "pc_to_channel", "pc_share_pct"

filters, viewer = frame.setup_page(SLUG)
st.title("Payment Channel Cost Optimizer")
st.caption("What each Stripe channel costs per dollar (sum of total_fee / sum of amount), how it moves "
           "month by month, and what steering volume to a cheaper channel would save per year.")
state = st.session_state
state.setdefault(K_FROM, DEFAULT_FROM)
state.setdefault(K_TO, DEFAULT_TO)
state.setdefault(K_SHARE, int(DEFAULT_SHARE * 100))
out = frame.run_cached(SLUG, filters, viewer, from_channel=int(state[K_FROM]), to_channel=int(state[K_TO]),
                       share=state[K_SHARE] / 100)
if out is not None:
    render.kpis(out.kpis, currency=filters.currency)
    render.messages(out)
    channels = out.tables.get("channels")
    if channels is not None and len(channels):
        ids = [int(c) for c in channels["channel_id"]]
        for key in (K_FROM, K_TO):
            if state[key] not in ids:
                state[key] = ids[0]
        st.subheader("What-if: steer volume between channels")
        a, b, c = st.columns(3)
        a.selectbox("Move volume from channel", ids, key=K_FROM, format_func=channel_name)
        b.selectbox("to channel", ids, key=K_TO, format_func=channel_name)
        c.slider("Share of its volume (%)", 0, 100, step=5, key=K_SHARE)
        if "what-if" in out.tables:
            render.table(out.tables["what-if"], "what-if", filters, SLUG)
    for name, chart in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(chart, name)
    for name in ("channels", "monthly"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
