"""Intelligent Inventory Command Center: a thin page over `lucky.tools.execute("inventory", ...)`.

The service level, overstock threshold, trailing window and the drill-down's store × goods are
bound to the URL; positions, suggestions, stock-outs, anomalies and waste come back from the tool."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "inventory"

filters, viewer = frame.setup_page(SLUG)
st.title("Intelligent Inventory Command Center")
st.caption("Stock positions (latest snapshot) against use: days of supply = stock / forecast use (trailing use "
           "when there is no forecast); reorder point = supplier lead time × use + z·σ·√lead for the service level; "
           "suggested order = up to the reorder point plus three days of use.")
a, b, c = st.columns(3)
service = a.slider("Service level", 0.5, 0.999, 0.95, 0.005, key="inv_service_level", bind="query-params")
over = b.slider("Overstock above (days of supply)", 3.0, 90.0, 14.0, 1.0, key="inv_overstock_days", bind="query-params")
trailing = int(c.number_input("Trailing days of use", min_value=7, max_value=90, value=28, step=1,
                              key="inv_trailing_days", bind="query-params"))
opts = dict(service_level=float(service), overstock_days=float(over), trailing_days=trailing)
out = frame.run_cached(SLUG, filters, viewer, **opts)
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)

    def show(name: str, caption: str = "") -> None:
        if name in out.tables:
            st.subheader(render.title_of(name))
            if caption:
                st.caption(caption)
            render.table(out.tables[name], name, filters, SLUG)

    if "days_of_supply" in out.charts:
        st.subheader("Days of supply, store × goods")
        st.caption("Red: under 3 days; green: about two weeks; blue: a month or more (capped at 30). "
                   "Goods without use in the window are left out.")
        render.chart(out.charts["days_of_supply"], "days_of_supply")
    show("positions", "Exceptions first: out of stock, at risk (at or below the reorder point), ok, overstock.")
    show("replenishment", "Today's suggested order (download as CSV): one line per position at or below its "
                          "reorder point.")
    show("stockouts", "Every store-local day a position was at zero in the range (ledger row that emptied it, or a "
                      "closing snapshot at zero).")
    show("stockout_spells")
    show("lost_sales", "Items of the products that need the goods, on each day it was out, against the same weekday "
                       "of the four weeks before. A day at zero whose sales did not fall (sales_fell false) is a count "
                       "or an entry to check.")
    if "lost_sales" in out.charts:
        render.chart(out.charts["lost_sales"], "lost_sales")
    show("consumption_anomalies", "Store-days whose consumption ran far above what the day's sales imply through "
                                  "the recipes (median over goods ≥ 110%): theft, unbooked waste, entry errors.")
    if "waste_by_goods_and_store" in out.charts:
        st.subheader("Waste by goods and store")
        render.chart(out.charts["waste_by_goods_and_store"], "waste_by_goods_and_store")
    show("waste_by_goods")
    show("waste_by_store")
    show("waste", "Every write-off (change type 3) in the range.")

    pos = out.tables.get("positions")
    if pos is not None and len(pos):
        st.subheader("Drill-down: one store × goods")
        l, r = st.columns(2)
        store = l.selectbox("Store", sorted(int(s) for s in pos["shop_id"].unique()), index=None,
                            key="inv_store", bind="query-params")
        goods_opts = sorted(pos.loc[pos["shop_id"] == store, "goods_code"]) if store is not None else []
        names = dict(zip(pos["goods_code"], pos["goods_name"]))
        goods = r.selectbox("Goods", goods_opts, index=None, format_func=lambda g: f"{g} {names.get(g, '')}",
                            key="inv_goods", bind="query-params")
        if store is not None and goods:
            drill = frame.run_cached(SLUG, filters, viewer, store=int(store), goods=str(goods), **opts)
            if drill is not None:
                render.messages(drill) if "drill" not in drill.tables else None
                if "drill" in drill.charts:
                    render.chart(drill.charts["drill"], "drill")
                for name in ("drill", "pending_deliveries"):
                    if name in drill.tables:
                        st.caption(render.title_of(name))
                        render.table(drill.tables[name], name, filters, SLUG)
