"""Campaign Performance Analyzer (partial: the A/B readout): a thin page over
`lucky.tools.execute("campaigns", ...)`."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "campaigns"
filters, viewer = frame.setup_page(SLUG)
st.title("Campaign Performance Analyzer")
st.caption("A/B experiments read out with a sequential test that stays valid when you look every day: "
           "an O'Brien-Fleming-type boundary |z| >= 2.24 / sqrt(information) on per-user conversion.")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.render_output(out, filters, SLUG)
