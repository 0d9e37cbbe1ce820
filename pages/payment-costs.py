"""Payment Channel Cost Optimizer: a thin page over `lucky.tools.execute("payment-costs", ...)`.

The what-if widgets sit below the results. Their keys are the tool's declared options
(`opt_payment_costs_from_channel`, `..._to_channel`, `..._share`), bound to the URL, so a link
reproduces the what-if; the run reads them first (`options.current`). The arithmetic comes back
from the tool, never from the page.
"""
import streamlit as st

from lucky import tools
from lucky.tools.payment_costs import DEFAULT_FROM, DEFAULT_TO, channel_name
from lucky.ui import frame, options, render

SLUG = "payment-costs"

filters, viewer = frame.setup_page(SLUG)
tool = tools.get(SLUG)
st.title("Payment Channel Cost Optimizer")
st.caption("What each Stripe channel costs per dollar (sum of total_fee / sum of amount), how it moves "
           "month by month, and what steering volume to a cheaper channel would save per year.")
chosen = {name: options.current(tool, name) for name in ("from_channel", "to_channel", "share")}
out = frame.run_cached(SLUG, filters, viewer, **chosen)
if out is not None:
    render.kpis(out.kpis, currency=filters.currency)
    render.messages(out)
    channels, what_if = out.tables.get("channels"), out.tables.get("what-if")
    if channels is not None and len(channels):
        ids = [int(c) for c in channels["channel_id"]]
        # the channels the tool used (its defaults when none were given); a bad one stays pickable
        used = what_if.iloc[0].to_dict() if what_if is not None and len(what_if) else chosen
        st.subheader("What-if: steer volume between channels")
        a, b, c = st.columns(3)
        for box, name, label, usual in ((a, "from_channel", "Move volume from channel", DEFAULT_FROM),
                                        (b, "to_channel", "to channel", DEFAULT_TO)):
            value = used.get(name) if used.get(name) in ids else usual
            box.selectbox(label, ids, index=ids.index(value) if value in ids else 0, format_func=channel_name,
                          key=options.key_of(SLUG, tool.option(name)), bind="query-params")
        share = tool.option("share")
        c.slider("Share of its volume", 0.0, 1.0, value=float(used.get("share") or share.default), step=share.step,
                 format="%.2f", key=options.key_of(SLUG, share), bind="query-params", help=share.help)
        if what_if is not None:
            render.table(what_if, "what-if", filters, SLUG)
    for name, chart in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(chart, name)
    for name in ("channels", "monthly"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
