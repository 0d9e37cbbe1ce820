"""Customer Taste Profile & Recommendation Engine: a thin page over
`lucky.tools.execute("recommendations", ...)`.

Two options are widgets bound to the URL: the cutoff (train before it, evaluate after it; empty =
28 days before the last order) and a user for their card. Everything shown comes back from the
tool: KPIs, the method as a message, the evaluation chart, then the tables with CSV export.
"""
import streamlit as st

from lucky.ui import frame, render

SLUG = "recommendations"

filters, viewer = frame.setup_page(SLUG, uses=(frame.K_STORES, frame.K_CURRENCY))
st.title("Customer Taste Profile & Recommendation Engine")
st.caption("Next-push recommendations from an implicit-feedback item-item recommender (cosine on log-confidence "
           "order counts) blended with the user's own history and the season's popularity, trained on completed "
           "orders before the cutoff and scored on the orders after it against the popularity and "
           "'reorder your favourite' baselines. Taste profiles and lookalike segments from the same history.")
left, right = st.columns(2)
cutoff = left.date_input("Cutoff (train before, evaluate from)", value=None, key="rc_cutoff", bind="query-params",
                         help="Empty: 28 days before the last completed order.")
user = right.text_input("User card (user_no)", key="rc_user", bind="query-params",
                        placeholder="e.g. 1200000010: profile, recommendations, history")
out = frame.run_cached(SLUG, filters, viewer, cutoff=cutoff, user_no=(user or "").strip())
if out is not None:
    render.kpis(out.kpis, currency=filters.currency)
    render.messages(out)
    for name in [n for n in out.tables if n.startswith("user ")]:
        st.subheader(render.title_of(name))
        render.table(out.tables[name], name, filters, SLUG)
    for name, chart in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(chart, name)
    for name in ("evaluation", "segments", "pushes", "recommendations", "profiles"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG,
                         empty_text="No users with completed orders before the cutoff." if name != "evaluation" else None)
