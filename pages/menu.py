"""Product Performance & Menu Analytics Engine: a thin page over `lucky.tools.execute("menu", ...)`.

One option (a product for its page) is a widget bound to the URL; everything shown comes back
from the tool: KPIs, the thresholds as a message, the matrix chart, category trend, sparklines,
then the tables with CSV export.
"""
import streamlit as st

from lucky.ui import frame, render

SLUG = "menu"

filters, viewer = frame.setup_page(SLUG)
st.title("Product Performance & Menu Analytics Engine")
st.caption("Menu engineering after Kasavana & Smith (popular: menu mix ≥ 70% of 1/N; high margin: contribution "
           "margin ≥ the mix-weighted mean), named beside the report's BCG quadrants; price elasticity of the "
           "products whose list price moved; category trends, launches and retirements. Completed orders in the "
           "selected currency; price = mean price paid per unit, cost = standard_cost.")
product = st.text_input("Product page (spu_name)", key="mn_product", bind="query-params",
                        placeholder="e.g. Iced Latte: daily units, list price, stores, production time")
out = frame.run_cached(SLUG, filters, viewer, product=(product or "").strip())
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    for name in [n for n in out.tables if n.startswith(f"{product}: ")] if product else []:
        st.subheader(render.title_of(name))
        render.table(out.tables[name], name, filters, SLUG)
    for name, chart in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(chart, name)
    for name in ("matrix", "elasticity", "lifecycle", "price-history"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG,
                         empty_text="No product's list price changed in this range." if name in ("elasticity", "price-history") else None)
