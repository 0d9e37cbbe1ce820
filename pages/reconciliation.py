"""Daily Revenue Reconciliation: a thin page over `lucky.tools.execute("reconciliation", ...)`; the logic lives in the tool."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "reconciliation"

filters, viewer = frame.setup_page(SLUG)
st.title("Daily Revenue Reconciliation")
st.caption("Orders vs Stripe payments vs accounting income bills per store-local business day, the record-level breaks, "
           "and processing fees per channel. Each currency is reconciled on its own.")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.render_output(out, filters, SLUG)
