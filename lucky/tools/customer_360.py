"""Tool 4, Customer 360: every customer's RFM score and segment, who is drifting away (churn
risk against their own ordering history), cohort retention, exportable segment lists, and one
customer's profile card found by user_no or masked phone.

Everything is as of the filters' as-of day: orders after it are ignored, so a past as-of date
back-tests the churn model. Phone and email columns keep those names so `execute` masks them
for every role but admin, in tables, search results and the CSV exports alike.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import altair as alt
import numpy as np
import pandas as pd

from lucky.access import mask_phone
from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import churn, cohorts, keys, rfm
from lucky.models.timezones import business_day
from lucky.queries import customers as q
from lucky.queries import shops as shop_q
from lucky.tools import _memo

SLUG = "customer-360"
LAPSED_DAYS = 90        # silent longer than this: already lapsed, not "at risk" (a KPI, not a row)
ORIGINS = {1: "Android", 2: "iOS", 3: "delivery", 8: "other", 9: "other", 10: "other"}
STATUS = {90: "completed", 0: "cancelled", 70: "refunded", 10: "in progress", 20: "in progress", 50: "in progress"}
COUPON_STATUS = {1: "unused", 2: "used", 3: "expired"}


def run(filters: Filters, viewer: Viewer, search: str = "", segment: str = "at risk",
        min_orders: int = churn.MIN_ORDERS) -> Output:
    """With `search`: the customer card only (matches, profile, coupons, experiments, timeline),
    so a search answers from the cached base without rebuilding the big tables; without it:
    rfm, churn_risk, segments, segment_list, cohorts."""
    out = Output()
    data = base(filters)
    as_of = data["as_of"]
    if data["orders"].empty:
        out.note("info", f"No completed {filters.currency} orders up to {as_of} in this store selection.")
    if search.strip():
        _profile(out, search.strip(), viewer, data, min_orders)
        return out
    scores = data["rfm"]
    risk = risk_table(data, min_orders)
    lapsed = risk[risk["silence_days"] > LAPSED_DAYS]
    at_risk = risk[risk["flagged"] & (risk["silence_days"] <= LAPSED_DAYS)]
    out.tables["rfm"] = scores
    out.tables["churn_risk"] = at_risk.drop(columns="flagged").sort_values(   # newest flags first
        ["flagged_on", "p_churn"], ascending=False, kind="stable").reset_index(drop=True)
    out.tables["segments"] = _segments(scores)
    out.tables["segment_list"] = _segment_list(scores, data, segment)
    out.tables["cohorts"] = data["cohorts"]
    out.kpis = [
        Kpi("Customers with orders", len(scores)),
        Kpi("Champions", int((scores["segment"] == "champions").sum())),
        Kpi("At risk of churn", len(at_risk), help=f"p_churn >= {churn.THRESHOLD}, silent <= {LAPSED_DAYS} days, "
            f">= {min_orders} orders"),
        Kpi("Lapsed (> 90 days silent)", len(lapsed)),
        Kpi("As of", str(as_of)),
    ]
    out.charts["cohort-retention"] = _heatmap(data["cohorts"])
    out.charts["rfm-segments"] = alt.Chart(out.tables["segments"]).mark_bar().encode(
        x=alt.X("users:Q", title="Customers"), y=alt.Y("segment:N", sort="-x", title=None),
        tooltip=["segment", "users", "avg_recency_days", "avg_frequency", "avg_monetary"])
    return out


def risk_table(data: dict, min_orders: int) -> pd.DataFrame:
    """churn.score over the base's orders (kept in the base per min_orders), user_no as text."""
    memo = data.setdefault("risk", {})
    if min_orders not in memo:
        risk = churn.score(data["orders"], data["as_of"], min_orders=min_orders)
        risk["user_no"] = data["names"][risk["user_no"].to_numpy(dtype=np.int64)]
        memo[min_orders] = risk
    return memo[min_orders]


# ---------------------------------------------------------------- the shared base (cached)
def base(filters: Filters) -> dict:
    """Orders (user code, shop_id, day, money) up to the as-of day, users, RFM and cohorts.

    Kept per data version and filter set (`_memo`: memory, and disk for a DuckDB file), so a
    profile search answers without re-reading every order (the page cache keys on the search
    text too) and a fresh server starts warm; the default churn table is part of it. User numbers
    are factorised to integer codes (`names[code]` is the user_no): grouping and mapping on
    integers is several times faster than on strings at 450K orders."""
    key = _memo.source_key(q.ORDERS, q.CRM, "luckyus_opshop") + (filters.currency, filters.stores, filters.as_of)
    return _memo.memo("customer-360.base", key, lambda: _build(filters))


def _build(filters: Filters) -> dict:
    shops = shop_q.shops()
    as_of = filters.as_of
    before = datetime.combine(as_of + timedelta(days=2), datetime.min.time()) if as_of else None
    raw = q.completed_orders(filters.currency, filters.stores, before)
    users = q.users()
    names = users["user_no"].astype(str).to_numpy(dtype=object)
    index = pd.Index(names)
    code = keys.codes(raw["user_no"], users["user_no"])   # hashed in Arrow, no Python string per order
    zones = raw["shop_id"].map(shops.set_index("shop_id")["time_zone"])
    day = business_day(raw["create_time"], zones)
    orders = pd.DataFrame({"user_no": code, "shop_id": raw["shop_id"].to_numpy(),
                           "day": day.to_numpy(), "money": raw["pay_money"].to_numpy(dtype=float)})
    orders = orders[(orders["user_no"] >= 0) & orders["day"].notna()]
    if as_of is None:
        as_of = orders["day"].max().date() if len(orders) else date.today()
    orders = orders[orders["day"] <= pd.Timestamp(as_of)].sort_values(["user_no", "day"], kind="stable")
    orders = orders.reset_index(drop=True)
    scores = rfm.rfm(orders, as_of)
    rfm_codes = scores["user_no"].to_numpy(dtype=np.int64)         # sorted
    scores["user_no"] = names[rfm_codes]
    shop_names = shops.set_index("shop_id")["shop_name"]
    first = orders.drop_duplicates("user_no")          # sorted by user, day: each user's first order
    reg = pd.to_datetime(users["register_time"])
    by_month = pd.Series((reg.dt.year * 100 + reg.dt.month).to_numpy())          # index = user code: yyyymm
    first_store = pd.Series(first["shop_id"].map(shop_names).fillna(first["shop_id"].astype(str)).to_numpy(),
                            index=first["user_no"].to_numpy())
    months = cohorts.retention(orders, by_month, pd.Timestamp(as_of))
    months["cohort"] = [f"{int(v) // 100}-{int(v) % 100:02d}" for v in months["cohort"]]
    parts = [months.assign(by="registration month"),
             cohorts.retention(orders, first_store, pd.Timestamp(as_of)).assign(by="first store")]
    table = pd.concat(parts, ignore_index=True)[["by", "cohort", "users", "month", "retention_rate"]]
    bounds = np.searchsorted(orders["user_no"].to_numpy(), np.arange(len(names) + 1))
    data = {"as_of": as_of, "orders": orders, "users": users, "names": names,
              "index": index, "bounds": bounds, "rfm": scores, "rfm_codes": rfm_codes, "cohorts": table, "shop_names": shop_names}
    risk_table(data, churn.MIN_ORDERS)
    return data


def _segments(scores: pd.DataFrame) -> pd.DataFrame:
    g = scores.groupby("segment").agg(users=("user_no", "size"), avg_recency_days=("recency_days", "mean"),
                                      avg_frequency=("frequency", "mean"), avg_monetary=("monetary", "mean"))
    g = g.reindex([s for s in rfm.SEGMENTS if s in g.index]).reset_index()
    g["share"] = (g["users"] / max(len(scores), 1)).round(4)
    return g.round(2)


def _segment_list(scores: pd.DataFrame, data: dict, segment: str) -> pd.DataFrame:
    """The chosen segment's customers with contact columns (masked by execute for non-admins)."""
    seg = scores[scores["segment"] == segment]
    rows = data["rfm_codes"][(scores["segment"] == segment).to_numpy()]
    users = data["users"]
    out = seg.assign(phone=users["phone"].to_numpy(dtype=object)[rows],
                     email=users["email"].to_numpy(dtype=object)[rows])
    return out[["user_no", "phone", "email", "segment", "recency_days", "frequency", "monetary", "r", "f", "m"]]


def _heatmap(table: pd.DataFrame) -> alt.Chart:
    data = table[table["by"] == "registration month"]
    return alt.Chart(data).mark_rect().encode(
        x=alt.X("month:O", title="Months since first order"), y=alt.Y("cohort:N", title="Registration month"),
        color=alt.Color("retention_rate:Q", title="retention", scale=alt.Scale(scheme="blues"), legend=alt.Legend(format="%")),
        tooltip=["cohort", "users", "month", alt.Tooltip("retention_rate:Q", format=".1%")])


# ---------------------------------------------------------------- search and profile card
PHONE = re.compile(r"^\+?[\d\s\-\*\(\)]+$")


def phone_pattern(text: str, viewer: Viewer) -> str | None:
    """A LIKE pattern for a phone typed in full or in its masked form (`+1 212-***-**23`).

    For everyone but admins a full number is reduced to its masked form first, so a search
    never tells a non-admin more than the masked column already shows."""
    if not PHONE.match(text) or sum(ch.isdigit() or ch == "*" for ch in text) < 10:
        return None
    shown = text if viewer.is_admin or "*" in text else str(mask_phone(text))
    digits = "".join(ch for ch in shown if ch.isdigit() or ch == "*")
    if len(digits) == 10:
        digits = "1" + digits
    if len(digits) != 11:
        return None
    # stored as "+1 AAA-BBB-CCCC"
    fmt = f"+{digits[0]} {digits[1:4]}-{digits[4:7]}-{digits[7:]}"
    return fmt.replace("*", "_")


def _profile(out: Output, text: str, viewer: Viewer, data: dict, min_orders: int) -> None:
    pattern = phone_pattern(text, viewer)
    user_no = text if text.isdigit() else None
    if user_no is None and pattern is None:
        out.note("warning", f"Search '{text}': type a user_no (digits) or a phone such as +1 212-***-**23.")
        return
    found = q.find_users(user_no=user_no, phone_like=pattern)
    if found.empty:
        out.note("warning", f"No customer matches '{text}'.")
        return
    found["user_no"] = found["user_no"].astype(str)
    code = data["index"].get_indexer(found["user_no"].to_numpy(dtype=object))
    bounds = data["bounds"]
    found["orders"] = np.where(code >= 0, bounds[code + 1] - bounds[code], 0)
    found["origin"] = found["origin"].map(ORIGINS).fillna("other")
    out.tables["matches"] = found[["user_no", "phone", "email", "origin", "register_time", "orders"]]
    exact = np.flatnonzero(found["user_no"].to_numpy() == text)
    if len(found) > 1 and not len(exact):
        out.note("info", f"{len(found)} customers match '{text}'; open one by its user_no.")
        return
    i = exact[0] if len(exact) else 0
    _card(out, found.iloc[i], int(code[i]), data, min_orders)


def _card(out: Output, user: pd.Series, code: int, data: dict, min_orders: int) -> None:
    no = str(user["user_no"])
    as_of = pd.Timestamp(data["as_of"])
    bounds = data["bounds"]
    mine = data["orders"].iloc[bounds[code]:bounds[code + 1]] if code >= 0 else data["orders"].iloc[:0]
    row = int(np.searchsorted(data["rfm_codes"], code)) if code >= 0 else -1
    rfm_segment = data["rfm"]["segment"].iloc[row] if 0 <= row < len(data["rfm_codes"]) \
        and data["rfm_codes"][row] == code else None
    risk = churn.score(mine, data["as_of"], min_orders=min_orders)
    states = q.user_states(no)
    stage = states[states["state_code"] == "lifecycle_stage"]["state_value"]
    coupons = q.user_coupons(no)
    active = coupons[(coupons["status"] == 1) & (pd.to_datetime(coupons["expire_time"]) > as_of)]
    history = q.user_orders(no)
    completed = history.loc[history["status"] == q.COMPLETED, "id"].tolist() if len(mine) else []
    items = q.order_items(completed)
    fav = mine["shop_id"].mode()
    out.tables["profile"] = pd.DataFrame([{
        "user_no": no, "phone": user["phone"], "email": user["email"],
        "registered": pd.Timestamp(user["register_time"]).date(), "origin": user["origin"],
        "orders": len(mine), "lifetime_value": round(float(mine["money"].sum()), 2),
        "first_order": mine["day"].min().date() if len(mine) else None,
        "last_order": mine["day"].max().date() if len(mine) else None,
        "favourite_store": data["shop_names"].get(int(fav.iloc[0]), int(fav.iloc[0])) if len(fav) else None,
        "top_products": ", ".join(items["spu_name"].head(3).astype(str)),
        "active_coupons": len(active),
        "cdp_segment": stage.iloc[-1] if len(stage) else None,
        "rfm_segment": rfm_segment,
        "p_churn": float(risk["p_churn"].iloc[0]) if len(risk) else None,
    }])
    if mine.empty:
        out.note("info", f"Customer {no} has no completed orders up to {data['as_of']} in this selection: "
                         "the card shows registration, coupons, segments and experiments only.")
    out.tables["profile_coupons"] = active.assign(status=active["status"].map(COUPON_STATUS))
    exps = q.user_experiments(no)
    out.tables["profile_experiments"] = exps[pd.to_datetime(exps["hit_time"]) <= as_of + pd.Timedelta(days=1)]
    out.tables["profile_timeline"] = _timeline(no, history, as_of)


def _timeline(no: str, orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Orders (`q.user_orders`) and CDP segment transitions of one customer, newest first (UTC)."""
    seg = q.user_segments(no)
    names = segment_names()
    rows = [pd.DataFrame({"time": orders["create_time"], "event": "order " + orders["status"].map(STATUS).fillna("other"),
                          "detail": orders["shop_name"].astype(str) + " $" + orders["pay_money"].round(2).astype(str)}),
            pd.DataFrame({"time": seg["create_time"], "event": seg["action"].map({1: "entered segment", 2: "left segment"}),
                          "detail": seg["group_id"].map(names).fillna(seg["group_id"].astype(str))})]
    t = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(len(r) for r in rows) \
        else pd.DataFrame(columns=["time", "event", "detail"])
    t = t[pd.to_datetime(t["time"]) < as_of + pd.Timedelta(days=1, hours=15)]
    return t.sort_values("time", ascending=False, kind="stable").reset_index(drop=True)


def segment_names() -> pd.Series:
    """CDP segment name by group_id, read once per data version: the names come from a DISTINCT
    over every user's labels, too big a read to repeat for each customer searched."""
    return _memo.memo("customer-360.segment-names", _memo.source_key(q.MKT),
                      lambda: q.segment_names().set_index("label_id")["label_name"])


TOOL = Tool(
    slug=SLUG, number=4, title="Customer 360", department="Marketing", roles=frozenset({"marketing"}),
    sources=(q.ORDERS, q.CRM, q.CDP, q.MKT, q.EXP, "luckyus_opshop"), run=run,
    icon=":material/person_search:",
    description="RFM segments, churn risk against each customer's own rhythm, cohort retention, "
                "exportable segment lists (masked contact) and a profile card by user_no or masked phone.",
    options=(
        Option("search", str, "", "a user_no, or a phone (masked form like +1 212-***-**23 works)", label="Find a customer"),
        Option("segment", str, "at risk", "the RFM segment to list for export", choices=rfm.SEGMENTS),
        Option("min_orders", int, churn.MIN_ORDERS, "orders a customer needs before churn is scored",
               range=(3, 50), step=1),
    ),
    precompute=True,
)
