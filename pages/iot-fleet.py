"""IoT Machine Fleet Manager: a thin page over `lucky.tools.execute("iot-fleet", ...)`.

The machine picker sits under the fleet view and feeds the next run (bound to the URL as
`machine`), so a link opens the same machine page; every figure comes from the tool.
"""
import streamlit as st

from lucky.ui import frame, render

SLUG = "iot-fleet"
K_DEVICE = "machine"

filters, viewer = frame.setup_page(SLUG)
st.title("IoT Machine Fleet Manager")
st.caption("Every connected machine: status from the platform's heartbeat log, uptime in the date range, "
           "production velocity against the machine's own weekday-hour baseline (degraded = more than 20% "
           "below, confirmed by a CUSUM over several days), maintenance and errors, and the revenue at risk "
           "while machines were down.")
picked = st.session_state.get(K_DEVICE) or st.query_params.get(K_DEVICE) or None
out = frame.run_cached(SLUG, filters, viewer, device=picked)
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    alerts = out.tables.get("alerts")
    if alerts is not None:
        st.subheader("Alerts")
        if alerts.empty:
            st.success("No machine is offline, degraded or due for maintenance.", icon=":material/check_circle:")
        else:
            render.table(alerts, "alerts", filters, SLUG)
    if "floor-plan" in out.charts:
        st.subheader("Floor plan")
        st.caption("Each row is a store's counter: coffee machines first, then peripherals. "
                   "Green online, yellow degraded, red offline. Hover a machine for its figures.")
        render.chart(out.charts["floor-plan"], "floor-plan")
    for name in ("devices", "fleet-summary"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
    devices = out.tables.get("devices")
    if devices is not None and len(devices):
        st.subheader("Machine page")
        options = [None] + list(devices["device_no"])
        labels = dict(zip(devices["device_no"], devices["device_no"] + " · " + devices["machine_type"]
                          + " · shop " + devices["shop_id"].astype(str) + " · " + devices["status"]))
        if K_DEVICE not in st.session_state or st.session_state[K_DEVICE] not in options:
            st.session_state[K_DEVICE] = picked if picked in options else None
        st.selectbox("Machine", options, key=K_DEVICE, bind="query-params",
                     format_func=lambda d: "Pick a machine…" if d is None else labels.get(d, d))
        if picked in set(devices["device_no"]):
            if "machine-cups" in out.charts:
                st.caption("Cups per store-local day (bars) and the cups its own baseline expected (line).")
                render.chart(out.charts["machine-cups"], "machine-cups")
            for name in ("machine-outages", "machine-events", "machine-history"):
                if name in out.tables:
                    st.markdown(f"**{render.title_of(name)}**")
                    render.table(out.tables[name], name, filters, SLUG)
