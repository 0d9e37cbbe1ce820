"""Multi-Tenant Data Isolation Auditor: a thin page over `lucky.tools.execute("tenant-audit", ...)`; the logic lives in the tool."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "tenant-audit"

filters, viewer = frame.setup_page(SLUG)
st.title("Multi-Tenant Data Isolation Auditor")
st.caption("Tenant values of every table in all 18 databases checked against the configuration, orders in the wrong "
           "currency, and test-store inflation; a pass/fail checklist per database.")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.render_output(out, filters, SLUG)
