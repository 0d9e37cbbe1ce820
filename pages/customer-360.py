"""Customer 360: a thin page over `lucky.tools.execute("customer-360", ...)`.

The search box, the segment to export and the churn history length are bound to the URL like
the filters, so a link opens the same customer card. Contact columns arrive masked from
`execute` for every role but admin, in the tables and in their CSV downloads.
"""
import pandas as pd
import streamlit as st

from lucky.core import Kpi
from lucky.models.rfm import SEGMENTS
from lucky.ui import frame, render

SLUG = "customer-360"
CARD = ("profile", "matches", "profile_coupons", "profile_experiments", "profile_timeline")

filters, viewer = frame.setup_page(SLUG)
st.title("Customer 360")
st.caption("RFM segments, customers whose ordering is fading against their own rhythm, cohort "
           "retention and exportable segment lists, as of the sidebar's as-of day.")
a, b, c = st.columns([3, 2, 1])
search = a.text_input("Find a customer", key="c360_search", bind="query-params",
                      placeholder="user_no or phone, e.g. +1 212-***-**23")
segment = b.selectbox("Segment to export", SEGMENTS, index=SEGMENTS.index("at risk"), key="c360_segment",
                      bind="query-params")
min_orders = c.number_input("Min. orders for churn", 3, 50, 5, key="c360_min_orders", bind="query-params")
if search:   # the card: a separate, small run over the tool's cached base
    card = frame.run_cached(SLUG, filters, viewer, search=search, min_orders=int(min_orders))
    if card is not None:
        render.messages(card)
        profile = card.tables.get("profile")
        if profile is not None and len(profile):
            row = profile.iloc[0]
            st.subheader(f"Customer {row['user_no']}")
            contact = f"{row['phone']} · {row['email']}".replace("*", "\\*")   # not markdown emphasis
            st.caption(f"{contact} · registered {row['registered']} via {row['origin']} · "
                       f"top products: {row['top_products'] or 'none'}")
            render.kpis([Kpi("Orders", int(row["orders"])), Kpi("Lifetime value", row["lifetime_value"], "$"),
                         Kpi("Favourite store", row["favourite_store"] or "none"),
                         Kpi("Last order", str(row["last_order"] or "never")),
                         Kpi("RFM segment", row["rfm_segment"] or "none"),
                         Kpi("CDP segment", row["cdp_segment"] or "none"),
                         Kpi("p(churn)", "not scored" if pd.isna(row["p_churn"]) else f"{row['p_churn']:.2f}"),
                         Kpi("Active coupons", int(row["active_coupons"]))])
        for name in CARD:
            if name == "matches" and profile is not None and len(profile):
                continue
            if name in card.tables and len(card.tables[name]):
                st.subheader(render.title_of(name))
                render.table(card.tables[name], name, filters, SLUG)
out = frame.run_cached(SLUG, filters, viewer, segment=segment, min_orders=int(min_orders))
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    left, right = st.columns(2)
    with left:
        st.subheader("Cohort retention (registration month)")
        render.chart(out.charts["cohort-retention"], "cohort-retention")
    with right:
        st.subheader("RFM segments")
        render.chart(out.charts["rfm-segments"], "rfm-segments")
    for name in ("churn_risk", "segment_list", "segments", "rfm", "cohorts"):
        st.subheader(render.title_of(name) if name != "segment_list" else f"Segment list: {segment}")
        render.table(out.tables[name], name, filters, SLUG)
