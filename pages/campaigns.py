"""Campaign Performance Analyzer: a thin page over `lucky.tools.execute("campaigns", ...)`."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "campaigns"
filters, viewer = frame.setup_page(SLUG)
st.title("Campaign Performance Analyzer")
st.caption("Coupon templates against their holdouts: incremental revenue = (revenue per send - holdout "
           "revenue per send) x sends, 95% interval (CUPED-adjusted Welch). Verdict from the conversion "
           "lift: incremental (interval above 0), cannibalizing (below half the redemption rate: most "
           "redemptions would have happened anyway) or unclear. "
           "A/B experiments read out with a sequential test that stays valid when you look every day: "
           "an O'Brien-Fleming-type boundary |z| >= 2.24 / sqrt(information) on per-user conversion.")
template_id = st.number_input("Template for the daily drill-down (0 = the most redeemed)", min_value=0,
                              step=1, key="template_id", bind="query-params")
out = frame.run_cached(SLUG, filters, viewer, template_id=int(template_id))
if out is not None:
    render.render_output(out, filters, SLUG)
