"""Payment Channel Cost Optimizer: a thin page over `lucky.tools.execute("payment-costs", ...)`.

The what-if widgets sit below the results and feed the next run through session state, so a page
load costs one (cached) tool run; the arithmetic comes back from the tool, never from the page.
"""
import streamlit as st

from lucky.ui import frame, render

SLUG = "payment-costs"
K_FROM, K_TO, K_SHARE = "pc_from_channel", "pc_to_channel", "pc_share_pct"

filters, viewer = frame.setup_page(SLUG)
st.title("Payment Channel Cost Optimizer")
st.caption("What each Stripe channel costs per dollar (sum of total_fee / sum of amount), how it moves "
           "month by month, and what steering volume to a cheaper channel would save per year.")
options = {"from_channel": st.session_state.get(K_FROM), "to_channel": st.session_state.get(K_TO),
           "share": st.session_state.get(K_SHARE, 10) / 100}
out = frame.run_cached(SLUG, filters, viewer, **{k: v for k, v in options.items() if v is not None})
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    channels = out.tables.get("channels")
    if channels is not None and len(channels):
        ids = [int(c) for c in channels["channel_id"]]
        what = out.tables.get("what-if")
        st.subheader("What-if: steer volume between channels")
        a, b, c = st.columns(3)
        default_from = int(what["from_channel"].iloc[0]) if what is not None and len(what) else ids[0]
        default_to = int(what["to_channel"].iloc[0]) if what is not None and len(what) else ids[-1]
        a.selectbox("Move volume from channel", ids, index=ids.index(default_from) if default_from in ids else 0, key=K_FROM)
        b.selectbox("to channel", ids, index=ids.index(default_to) if default_to in ids else 0, key=K_TO)
        c.slider("Share of its volume (%)", 0, 100, 10, step=5, key=K_SHARE)
        if what is not None:
            render.table(what, "what-if", filters, SLUG)
    for name, chart in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(chart, name)
    for name in ("channels", "monthly"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
