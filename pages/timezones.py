"""Cross-Timezone Operations Hub: a thin page over `lucky.tools.execute("timezones", ...)`; the logic lives in the tool."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "timezones"

filters, viewer = frame.setup_page(SLUG)
st.title("Cross-Timezone Operations Hub")
st.caption("Each market on its own clock: business-day close, KPIs side by side in each market's currency, which markets "
           "are open now, public holidays, and a daily report per market.")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.render_output(out, filters, SLUG)
