"""Data Landscape: the report's §2 map, computed live from the sources (thin page, see the tool)."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "landscape"

filters, viewer = frame.setup_page(SLUG, uses=(frame.K_ASOF, frame.K_RANGE, frame.K_STORES, frame.K_CURRENCY))
st.title("Data Landscape")
st.caption("Luckin Coffee USA's data, live: the business at a glance, the stores, what sells, "
           "where the data lives, what is wrong with it, and how the tables link.")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.kpis(out.kpis, currency=filters.currency)
    render.messages(out)
    tables, charts = out.tables, out.charts

    st.subheader("Store network")
    render.table(tables["stores"], "stores", filters, SLUG,
                 empty_text=f"No {filters.currency} stores in this selection.")
    left, right = st.columns([2, 3])
    with left:
        if "store_map" in charts:
            render.chart(charts["store_map"])
        else:
            st.info("No store has GPS coordinates to map.", icon=":material/location_off:")
    with right:
        if "daily_orders" in charts:
            st.markdown("**Completed orders per business day** (weekends lighter)")
            render.chart(charts["daily_orders"])

    st.subheader("Top products")
    left, right = st.columns([1, 1])
    with left:
        if "top_products" in charts:
            render.chart(charts["top_products"])
    with right:
        render.table(tables["products"], "products", filters, SLUG,
                     empty_text="No product sales in this selection.",
                     column_order=("rank", "product", "category", "orders", "revenue", "avg_price"))

    st.subheader("Data quality")
    st.caption("Each finding is a check run on the data now; OK means the check passes.")
    render.table(tables["quality"], "quality", filters, SLUG)

    st.subheader("Server inventory")
    st.caption("Live row counts per database and table; each database lives on its own MySQL "
               "server in production.")
    left, right = st.columns([2, 3])
    with left:
        if "inventory" in charts:
            render.chart(charts["inventory"])
    with right:
        render.table(tables["inventory"], "inventory", filters, SLUG, height=420,
                     column_order=("database", "table_name", "row_count", "status"))

    st.subheader("How the tables link")
    st.caption("Drawn from the link columns in the schema (order_no, order_id, user_no, trade_no, "
               "production_id, device_no); dashed links cross databases and are joined in Python.")
    if "entity_relationships" in charts:
        render.chart(charts["entity_relationships"])

    with st.expander("Metric definitions"):
        render.table(tables["kpis"], "kpis", filters, SLUG)
