"""Expansion Site Scoring Simulator: a thin page over `lucky.tools.execute("expansion", ...)`; the
model lives in `lucky.models.gravity`, the offline base map in `lucky.ui.basemap`."""
import streamlit as st

from lucky.ui import frame, render

SLUG = "expansion"

filters, viewer = frame.setup_page(SLUG)
st.title("Expansion Site Scoring Simulator")
st.caption("Huff gravity model of where members shop (calibrated by maximum likelihood on their first store "
           "choice), validated store by store against the mean of the others, scoring the candidate sites and "
           "your what-if points. The map draws Manhattan from data shipped with Lucky when there is no network.")
sites = st.text_input("What-if sites (lat,lon; lat,lon …)", key="expansion_sites", bind="query-params",
                      placeholder="40.7273,-74.0054; 40.7790,-73.9530",
                      help="Each point is scored alone; two or more are also scored opened together.")
out = frame.run_cached(SLUG, filters, viewer, sites=sites or "")
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    st.subheader("Map")
    st.caption("Stores: green above the model, blue as modelled, red below · sites from red (low score) to green · "
               "heat = members · grey dots competitors · blue dots subway entrances. Hover for the numbers.")
    render.chart(out.charts["map"], "map")
    st.subheader("Sites")
    render.table(out.tables["sites"], "sites", filters, SLUG)
    if "scenario" in out.tables:
        st.subheader("Opened together")
        render.table(out.tables["scenario"], "scenario", filters, SLUG)
    pick = st.selectbox("Site detail", out.tables["sites"]["site_id"] + " · " + out.tables["sites"]["site_name"],
                        key="expansion_site")
    if pick:
        sid = pick.split(" · ")[0]
        left, right = st.columns(2)
        with left:
            st.markdown("**Cannibalisation of each store**")
            c = out.tables["cannibalization"]
            render.table(c[c["site_id"] == sid].sort_values("revenue_lost", ascending=False), f"cannibalization-{sid}",
                         filters, SLUG)
        with right:
            st.markdown("**Factors: this site beside the stores**")
            f = out.tables["factors"]
            name = out.tables["sites"].set_index("site_id").loc[sid, "site_name"]
            render.table(f[(f["kind"] == "store") | (f["name"] == name)], f"factors-{sid}", filters, SLUG)
            st.markdown("**Ramp by month open (share of the mature run rate)**")
            render.table(out.tables["ramp"], "ramp", filters, SLUG)
    for name in ("calibration", "validation", "observed-cannibalization"):
        st.subheader(render.title_of(name))
        render.table(out.tables[name], name, filters, SLUG)
