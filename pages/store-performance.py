"""Store Performance Command Center: a thin page over `lucky.tools.execute("store-performance", ...)`;
store alerts are read, checked and acknowledged through `lucky.operations.alerts`."""
from datetime import date, timedelta

import streamlit as st

from lucky.errors import LuckyError
from lucky.operations import alerts
from lucky.ui import frame, render

SLUG = "store-performance"
K_STORE = "store"

filters, viewer = frame.setup_page(SLUG)
st.title("Store Performance Command Center")
st.caption("One row per trading store: orders and revenue (as in the landscape), orders per open hour, production "
           "time (done − accept, over 30 minutes counted apart), machine uptime, stock-out items and late opens, each "
           "with a traffic light against the thresholds below; a ranking that compares each store with what stores "
           "did at the same age, and its trend.")


def alert_panel(out) -> None:
    """The store alert timeline (live from the state store, so a verdict shows at once), the day's
    check against the alert limits, and acknowledge/dismiss per alert."""
    check = out.tables.get("alert-check")
    card = out.tables.get("scorecard")
    if check is None or card is None or check.empty:
        return
    st.subheader("Alerts")
    day = date.fromisoformat(check["date"].iloc[0])
    breach = check[check["alert"]]
    left, right = st.columns([4, 1])
    left.caption(f"On {day}: {len(breach)} KPI(s) past their alert limit (table `alert-check`). Checking records "
                 "them on the alert timeline (as the 15-minute `python -m lucky stores alerts --send` job does).")
    if right.button("Check this day", key="sp_check"):
        try:
            moved = alerts.check(day, check, actor=viewer.name)
            st.toast("A later day was checked already: nothing recorded." if moved is None
                     else f"{len(moved)} alert change(s) recorded.")
        except LuckyError as exc:
            st.error(f"Not recorded: {exc}", icon=":material/error:")
    try:
        live = alerts.current([int(s) for s in card["shop_id"]], day - timedelta(days=7))
    except LuckyError as exc:
        st.warning(f"Store alerts cannot be read: {exc}", icon=":material/database_off:")
        return
    names = dict(zip(card["shop_id"].astype(int), card["shop_name"]))
    firing = live[live["state"] == "firing"]
    if firing.empty:
        st.success("No store alert firing.", icon=":material/check_circle:")
    for row in firing.itertuples():
        with st.container(border=True):
            head, ack, dis = st.columns([5, 1, 1])
            badge = ":red-badge[critical]" if row.severity == "critical" else ":orange-badge[warning]"
            head.markdown(f"{badge} **{row.kpi.replace('_', ' ')}** at **{names.get(row.shop_id, row.shop_id)}** "
                          f"since {row.since}: {row.message}" + (f" · _{row.status} by {row.by}_" if isinstance(row.by, str) else ""))
            for col, label, action in ((ack, "Acknowledge", "acknowledge"), (dis, "Dismiss", "dismiss")):
                if col.button(label, key=f"sp_{action}_{row.shop_id}_{row.kpi}_{row.since}",
                              disabled=row.status == action + "d"):
                    try:
                        alerts.acknowledge(viewer, row.shop_id, row.kpi, row.since, action)
                        st.rerun()
                    except LuckyError as exc:
                        st.error(f"Not saved: {exc}", icon=":material/error:")
    render.table(live, "alerts", filters, SLUG)


picked = st.session_state.get(K_STORE) or st.query_params.get(K_STORE) or None
picked = int(picked) if picked not in (None, "") else None
out = frame.run_cached(SLUG, filters, viewer, store=picked)
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    if "store-grid" in out.charts:
        st.subheader("Traffic lights")
        render.chart(out.charts["store-grid"], "store-grid")
    alert_panel(out)
    for name in ("scorecard", "thresholds", "ranking", "late-opens", "stock-outs"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
    card = out.tables.get("scorecard")
    if card is not None and len(card):
        st.subheader("Store drill-down")
        options = [None] + [int(x) for x in card["shop_id"]]
        names = dict(zip(card["shop_id"].astype(int), card["shop_name"]))
        if K_STORE not in st.session_state or st.session_state[K_STORE] not in options:
            st.session_state[K_STORE] = picked if picked in options else None
        st.selectbox("Store", options, key=K_STORE, bind="query-params",
                     format_func=lambda s: "Pick a store…" if s is None else f"{names.get(s, s)} ({s})")
        if picked in options and picked is not None:
            if "store-hourly" in out.charts:
                st.caption("Orders by hour on the last day of the range against the same weekday of the 4 weeks before; "
                           "queue depth = tickets accepted and not yet done, averaged over the hour.")
                render.chart(out.charts["store-hourly"], "store-hourly")
            for name in ("store-hourly", "store-machines", "store-stock-outs", "store-late-opens"):
                if name in out.tables:
                    st.markdown(f"**{render.title_of(name)}**")
                    render.table(out.tables[name], name, filters, SLUG)
