"""Supplier Performance Tracker: a thin page over `lucky.tools.execute("suppliers", ...)`.

The price-alert threshold is bound to the URL; scores, flags and alerts come back from the tool."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "suppliers"

filters, viewer = frame.setup_page(SLUG)
st.title("Supplier Performance Tracker")
st.caption("On-time delivery (arrival on or before the PO's expected date), lead time (order to arrival, mean and "
           "p90), fill rate (received / shipped), price change over the range, settlement speed, and a stated score.")
pct = st.slider("Price alert: smallest rise between consecutive purchases (%)", 0.5, 20.0, 1.0, 0.5,
                key="sp_price_alert_pct", bind="query-params")
out = frame.run_cached(SLUG, filters, viewer, price_alert_pct=float(pct))
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    fmt = {}    # rates and pcts: render formats them by name (a fraction shown ×100 once)
    for col in ("prev_price", "unit_price", "avg_unit_price"):
        fmt[col] = st.column_config.NumberColumn(col.replace("_", " "), format="$%.4f")
    fmt["score"] = st.column_config.ProgressColumn("score", min_value=0, max_value=100, format="%.1f")

    def show(name: str, caption: str = "") -> None:
        if name in out.tables:
            st.subheader(render.title_of(name))
            if caption:
                st.caption(caption)
            render.table(out.tables[name], name, filters, SLUG, column_config_overrides=fmt)

    show("suppliers", "Ranked by score; flag 'late' marks a late-prone supplier.")
    show("price_alerts", "Unit-price rises between consecutive purchases of the same goods from the same supplier.")
    show("open_orders", "Shipments not yet arrived; overdue once the PO's expected date has passed.")
    for name, chart in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(chart, name)
    table = out.tables.get("shipments")
    if table is not None and len(table):
        st.subheader("Supplier drill-down")
        codes = sorted(table["supplier_code"].dropna().unique())
        code = st.selectbox("Supplier", codes, key="sp_supplier")
        render.table(table[table["supplier_code"] == code], "shipments", filters, SLUG)
    show("short_lines", "Goods received short, line by line.")
    show("shipment_receipts", "Each arrived shipment line against what the store booked into its stock ledger under the "
                              "ship_no (receipts' ref_no); short first.")
    for name in ("spend_by_category", "monthly_spend", "shared_goods"):
        show(name)
