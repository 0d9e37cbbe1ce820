"""Dynamic Staffing Optimizer: a thin page over `lucky.tools.execute("staffing", ...)`.

The what-if widgets (demand multiplier, service target) are bound to the URL and feed the tool;
the printable weekly schedule is built by the tool module's `print_html` from the tool's tables.
"""
import pandas as pd
import streamlit as st

from lucky.errors import LuckyError
from lucky.models import queueing
from lucky.models import staffing as sm
from lucky.operations import staff_entries
from lucky.tools.staffing import print_html
from lucky.ui import frame, render

SLUG = "staffing"
K_DEMAND, K_SL, K_SECONDS, K_STORE = "demand_pct", "target_sl_pct", "target_s", "print_store"
K_ENTRY_STORE, K_ENTRY_DAY = "entry_store", "entry_day"


def live_entries(sched: pd.DataFrame) -> pd.DataFrame:
    """The schedule with the entries as they are now (one saved since the run was cached shows at once)."""
    try:
        days = sorted(sched["date"].unique())
        entries = staff_entries.latest([int(s) for s in sched["shop_id"].unique()], days[0], days[-1])
    except LuckyError as exc:
        st.warning(f"Entered staff cannot be read: {exc}", icon=":material/database_off:")
        return sched
    return sm.with_actual(sched, entries)


def entry_form(sched: pd.DataFrame) -> None:
    """Actual staff per hour for one store and day of the week ahead: edit, then save (newest counts)."""
    st.subheader("Enter actual staff")
    st.caption("The staff you have lined up for an hour, where it differs from the published rota. Saved in Lucky's "
               "own store (the HR system is not changed); the lights above then judge what you entered.")
    left, right = st.columns(2)
    shop = left.selectbox("Store", sorted(int(s) for s in sched["shop_id"].unique()), key=K_ENTRY_STORE)
    day = right.selectbox("Day", sorted(sched["date"].unique()), key=K_ENTRY_DAY)
    rows = sched[(sched["shop_id"] == shop) & (sched["date"] == day)][
        ["hour", "predicted_orders", "required_staff", "recommended_staff", "scheduled_staff", "actual_staff"]]
    edited = st.data_editor(rows.reset_index(drop=True), key=f"entry_{shop}_{day}", hide_index=True,
                            disabled=["hour", "predicted_orders", "required_staff", "recommended_staff", "scheduled_staff"],
                            column_config={"hour": "Hour", "predicted_orders": "Predicted orders",
                                           "required_staff": "Required", "recommended_staff": "Recommended",
                                           "scheduled_staff": "On the rota",
                                           "actual_staff": st.column_config.NumberColumn(
                                               "Actual staff (enter)", min_value=0, max_value=staff_entries.MAX_STAFF,
                                               step=1)})
    before = rows.set_index("hour")["actual_staff"]
    after = edited.set_index("hour")["actual_staff"]
    changed = after[after.notna() & (after.astype("Float64") != before.reindex(after.index).astype("Float64")).fillna(True)]
    if st.button(f"Save {len(changed)} hour(s)", key="entry_save", disabled=changed.empty):
        try:
            staff_entries.record(viewer, pd.DataFrame({"shop_id": shop, "date": day, "hour": changed.index,
                                                       "staff": changed.to_numpy()}))
            st.rerun()
        except LuckyError as exc:
            st.error(f"Not saved: {exc}", icon=":material/error:")

filters, viewer = frame.setup_page(SLUG)
st.title("Dynamic Staffing Optimizer")
st.caption("Baristas each store-hour needs from an Erlang C queue (arrivals = predicted orders, service = the "
           "store's mean production time), against the published rota and the store's learnt no-show rate. "
           "Schedule: the week after the date range. History: the range as it happened (staff on the floor from "
           "clock-ins).")
a, b, c = st.columns(3)
demand = a.slider("Demand what-if (% of predicted orders)", 50, 300, 100, step=5, key=K_DEMAND, bind="query-params",
                  help="A promotion expected to bring 20% more orders: 120.")
target_sl = b.slider("Target: % of orders started within the wait", 50, 99, int(queueing.TARGET_SL * 100), key=K_SL,
                     bind="query-params")
target_s = c.number_input("Target wait (seconds)", 10, 600, int(queueing.TARGET_SECONDS), step=10, key=K_SECONDS,
                          bind="query-params")
out = frame.run_cached(SLUG, filters, viewer, demand=demand / 100, target_sl=target_sl / 100, target_s=float(target_s))
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    if "week-ahead" in out.charts:
        st.subheader("Week ahead: predicted orders and staff")
        render.chart(out.charts["week-ahead"], "week-ahead")
    if "schedule" in out.tables and len(out.tables["schedule"]):
        out.tables["schedule"] = live_entries(out.tables["schedule"])
    for name in ("schedule", "what-if", "history", "no-shows"):
        if name in out.tables:
            st.subheader(render.title_of(name))
            render.table(out.tables[name], name, filters, SLUG)
    sched, rota = out.tables.get("schedule"), out.tables.get("weekly-schedule")
    if sched is not None and len(sched) and rota is not None:
        st.subheader("Printable weekly schedule")
        stores = sorted(int(s) for s in sched["shop_id"].unique())
        shop = st.selectbox("Store", stores, key=K_STORE, bind="query-params")
        page = print_html(sched.assign(date=pd.to_datetime(sched["date"])), rota, int(shop), f"store {shop}")
        st.download_button("Download the week (HTML, print to PDF)", page, file_name=f"schedule_{shop}_{filters.label()}.html",
                           mime="text/html", icon=":material/print:")
        with st.expander("Preview"):
            st.html(page)
        entry_form(sched)
