"""Production Time Optimizer: a thin page over `lucky.tools.execute("production-time", ...)`.

The two options (a product to break down, how many products the distribution chart shows) are
widgets bound to the URL; everything on the page comes back from the tool.
"""
import streamlit as st

from lucky.ui import frame, render

SLUG = "production-time"

filters, viewer = frame.setup_page(SLUG)
st.title("Production Time Optimizer")
st.caption("Production time as the report measures it (done_time − accept_time over tickets done after "
           "their accept, long ones included), with tickets over 30 minutes counted apart and a mean without "
           "them beside it. Per product the time is each item's own make time on its ticket (t_commodity "
           "finish minus the previous item's finish). Store-local business days; the currency filter does not "
           "apply to times.")
left, right = st.columns([3, 1])
product = left.text_input("Product to break down per store and machine type (spu_name)", key="pt_product",
                          bind="query-params", placeholder="e.g. Iced Coconut Latte")
top = right.number_input("Products in the distribution chart", min_value=3, max_value=30, value=12, step=1,
                         key="pt_top", bind="query-params")
out = frame.run_cached(SLUG, filters, viewer, product=(product or "").strip(), top=int(top))
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    for name in [n for n in out.tables if ": per " in n]:
        st.subheader(render.title_of(name))
        render.table(out.tables[name], name, filters, SLUG)
    for name, chart in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(chart, name)
    for name in ("products", "stores", "changes", "machines", "outliers"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG,
                         empty_text="No product's make time shifted in this range." if name == "changes" else None)
