"""Tax Compliance Gap Tracker: a thin page over `lucky.tools.execute("tax-gap", ...)`; the logic lives in the tool."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "tax-gap"

filters, viewer = frame.setup_page(SLUG)
st.title("Tax Compliance Gap Tracker")
st.caption("Every completed USD order item audited against NYC's 8.875% (NYS 4% + NYC 4.5% + MCTD 0.375%), the NY "
           "sales-tax-quarter ledger for filing, and the luckyus_fi_tax integration watch.")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.render_output(out, filters, SLUG)
