"""Expansion Site Scoring Simulator: a thin page over `lucky.tools.execute("expansion", ...)`; the
model lives in `lucky.models.gravity`, the offline base map in `lucky.ui.basemap`, what a map click
means in `lucky.ui.site_picker`. The what-if points and the site shown are in the URL."""
import altair as alt
import streamlit as st

from lucky.core import Kpi
from lucky.tools.expansion import MAP_HEIGHT
from lucky.ui import frame, render, site_picker

SLUG = "expansion"
K_SITES, K_SITE, K_MAP, K_NOTE = "expansion_sites", "expansion_site", "expansion_map", "expansion_map_note"


def _on_click() -> None:
    """The map's selection callback: runs before the rerun, so the widgets below get the new values."""
    pick = site_picker.apply(st.session_state[K_MAP].get("selection"), st.session_state.get(K_SITES, ""))
    st.session_state[K_SITES] = pick.sites
    if pick.site_id:
        st.session_state[K_SITE] = pick.site_id
    st.session_state[K_NOTE] = pick.note


def _clear() -> None:
    st.session_state[K_SITES] = ""


filters, viewer = frame.setup_page(SLUG)
st.title("Expansion Site Scoring Simulator")
st.caption("Huff gravity model of where members shop (calibrated by maximum likelihood on their first store "
           "choice), validated store by store against the mean of the others, scoring the candidate sites and "
           "your what-if points. The map draws Manhattan from data shipped with Lucky when there is no network.")
left, right = st.columns([5, 1], vertical_alignment="bottom")
sites = left.text_input("What-if sites (lat,lon; lat,lon …) — or click anywhere on land in the map",
                        key=K_SITES, bind="query-params", placeholder="40.7273,-74.0054; 40.7790,-73.9530",
                        help="Each point is scored alone; two or more are also scored opened together.")
right.button("Clear what-if sites", on_click=_clear, disabled=not sites, width="stretch", key="expansion_clear")
out = frame.run_cached(SLUG, filters, viewer, sites=sites or "")
if out is not None and "sites" in out.tables:
    render.kpis(out.kpis)
    render.messages(out)
    table = out.tables["sites"]
    st.subheader("Map")
    st.caption("Click a site for its detail below, or anywhere on Manhattan's land to score a new site there. "
               "Stores: green above the model, blue as modelled, red below · sites from red (low score) to green · "
               "heat = members · grey dots competitors · blue dots subway entrances. Hover for the numbers.")
    st.pydeck_chart(out.charts["map"], on_select=_on_click, selection_mode="single-object", key=K_MAP,
                    width="stretch", height=MAP_HEIGHT)
    if st.session_state.get(K_NOTE):
        st.info(st.session_state[K_NOTE], icon=":material/storefront:")
    st.subheader("Sites")
    render.table(table, "sites", filters, SLUG)
    if "scenario" in out.tables:
        st.subheader("Opened together")
        render.table(out.tables["scenario"], "scenario", filters, SLUG)
    ids = list(table["site_id"])
    if K_SITE in st.session_state and st.session_state[K_SITE] not in ids:   # cleared, or in the river
        del st.session_state[K_SITE]
    names = dict(zip(table["site_id"], table["site_name"]))
    st.subheader("Site detail")
    sid = st.selectbox("Site (or click it on the map)", ids, key=K_SITE, bind="query-params",
                       help=" · ".join(f"{k} {v}" for k, v in names.items()))
    if sid:
        row = table.set_index("site_id").loc[sid]
        st.markdown(f"**{sid} · {names[sid]}** ({row['lat']:.5f}, {row['lon']:.5f}, {row['source']})")
        render.kpis([
            Kpi("Predicted monthly revenue", row["predicted_monthly_revenue"], "$",
                help="run rate once mature; 95% interval from the stores' leave-one-out errors"),
            Kpi("95% interval", f"${row['revenue_low']:,.0f} – ${row['revenue_high']:,.0f}"),
            Kpi("Taken from existing stores", row["cannibalized_revenue"], "$"),
            Kpi("Score (0–100)", row["score"], help=f"interval {row['score_low']}–{row['score_high']}"),
        ])
        ramp = out.tables["site-ramp"]
        ramp = ramp[ramp["site_id"] == sid]
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Ramp: expected revenue by month open**")
            base = alt.Chart(ramp).encode(x=alt.X("age_month:O", title="Month open"))
            st.altair_chart(base.mark_area(opacity=0.2).encode(y=alt.Y("revenue_low:Q", title="$ / month"),
                                                                y2="revenue_high:Q")
                            + base.mark_line(point=True).encode(
                                y="predicted_revenue:Q",
                                tooltip=["age_month", "ramp_share", "predicted_revenue", "revenue_low",
                                         "revenue_high"]), width="stretch")
            st.markdown("**Comparable stores (most alike on the factors)**")
            comp = out.tables["comparables"]
            render.table(comp[comp["site_id"] == sid], f"comparables-{sid}", filters, SLUG,
                         column_order=("rank", "shop_name", "factor_distance", "distance_km", "actual_revenue"))
        with c2:
            st.markdown("**Cannibalisation of each store**")
            c = out.tables["cannibalization"]
            render.table(c[c["site_id"] == sid].sort_values("revenue_lost", ascending=False), f"cannibalization-{sid}",
                         filters, SLUG, column_order=("shop_id", "shop_name", "lost_share", "revenue_lost"))
        st.markdown("**Factors: this site beside the stores**")
        f = out.tables["factors"]
        shown = f[(f["kind"] == "store") | (f["name"] == names[sid])].sort_values("kind", key=lambda k: k == "store")
        render.table(shown, f"factors-{sid}", filters, SLUG)
    for name in ("calibration", "validation", "factor-model", "factor-effects", "ramp", "observed-cannibalization"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
elif out is not None:
    render.messages(out)
