"""Demand Forecasting Accuracy Monitor: a thin page over `lucky.tools.execute("forecast-accuracy", ...)`.

The lead and the bias threshold are bound to the URL; everything else (accuracy, flags, version
comparisons) comes back from the tool."""
import altair as alt
import streamlit as st

from lucky.models.forecast_accuracy import MIN_BIAS
from lucky.ui import frame, render

SLUG = "forecast-accuracy"
PERCENT = ("wape", "bias", "mape", "hit_rate", "bias_se", "wape_before", "wape_after", "wape_change", "ci_low",
           "ci_high", "bias_before", "bias_after", "hit_rate_before", "hit_rate_after", "naive_wape")

filters, viewer = frame.setup_page(SLUG)
st.title("Demand Forecasting Accuracy Monitor")
st.caption("Predicted demand (wh_goods_daily_demand_pred) against sale consumption in the stock ledger, per "
           "store × goods × day. WAPE = Σ|A−F|/ΣA is defined on zero-demand days, MAPE is not; bias = Σ(F−A)/ΣA; "
           "MASE below 1 beats the naive forecast (same weekday last week).")
left, right = st.columns(2)
lead = int(left.number_input("Lead (days between the forecast run and the target day)", min_value=1, max_value=28,
                             value=1, step=1, key="fa_lead", bind="query-params"))
min_bias = right.slider("Bias that matters (a flagged series must also be statistically clear)", 0.05, 0.5,
                        MIN_BIAS, 0.01, key="fa_min_bias", bind="query-params")
out = frame.run_cached(SLUG, filters, viewer, lead=lead, min_bias=float(min_bias))
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    fmt = render.as_percent(PERCENT)

    def show(name: str, caption: str = "") -> None:
        if name in out.tables:
            st.subheader(render.title_of(name))
            if caption:
                st.caption(caption)
            render.table(out.tables[name], name, filters, SLUG, column_config_overrides=fmt)

    show("series", "Per store × goods, worst first within each flag. A series is over/under only when |bias| is "
                   "at least the threshold AND at least 2.5 standard errors from zero.")
    show("versions", "Accuracy in the 28 run days before and after each model-version change; the interval "
                     "resamples whole series.")
    for name, chart in out.charts.items():
        st.subheader(render.title_of(name))
        render.chart(chart, name)
    daily = out.tables.get("store_daily")
    if daily is not None and len(daily):
        st.subheader("Store drill-down")
        store = st.selectbox("Store", sorted(daily["shop_id"].unique()), key="fa_store")
        one = daily[daily["shop_id"] == store].melt(["shop_id", "date"], ["actual", "predicted"],
                                                    var_name="series", value_name="quantity")
        st.altair_chart(alt.Chart(one).mark_line().encode(
            x=alt.X("date:T", title="Target day"), y=alt.Y("quantity:Q", title="Quantity (all goods)"),
            color="series:N", tooltip=["date:T", "series:N", alt.Tooltip("quantity:Q", format=",.1f")]),
            width="stretch")
    for name in ("by_store", "by_category", "by_weekday", "by_lead", "by_version", "trend", "order_hours"):
        show(name)
