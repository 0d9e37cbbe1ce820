"""Tool 6, Customer Acquisition Channel Tracker: which acquisition channels bring customers worth
what they cost.

Table `channels`: one row per acquisition channel (level `channel`: iOS, Android, delivery,
other, from t_user.origin) and below it one row per utm_source the CDP recorded for its tracked
users (level `utm_source`): users, first_orders, aov, retention_30, retention_90, ltv_180
(observed plus a projection for young users, `lucky/models/channels.py`), spend (the MODELLED
t_channel_spend), cac, ltv_to_cac. A utm_source's users are the tracked ones, so its cac is
spend / (users / tracked_share): its registrations estimated from the channel's tracked share.

Table `funnel`: per channel, tracked app installs (visitors, `anonymous_id`) first opened in the
range, from app open to registration, first order, repeat (2+ orders) and loyal (`loyal_orders`+
completed orders); an install that never registered takes the channel of the registered installs
with its platform and utm_source (`lucky/models/channels.py`). Table `mix`: new users and completed
orders per month and channel since launch (order channel from t_order.channel).

The cohort is the users registered in the filter's range (New York days); their orders count up
to the end of the as-of day (or the range's last day). A store selection counts only orders at
those stores (users and spend stay chain-wide).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import channels as m
from lucky.models import keys
from lucky.queries import channels as q
from lucky.queries import customers
from lucky.tools import _memo

ZONE = "America/New_York"      # the chain's business day for registrations and months
COLUMNS = ["level", "channel", "utm_source", "users", "first_orders", "aov", "retention_30", "retention_90",
           "ltv_180", "spend", "cac", "ltv_to_cac", "tracked_share"]


def run(filters: Filters, viewer: Viewer, loyal_orders: int = m.LOYAL_ORDERS) -> Output:
    out = Output()
    key = _memo.source_key(*TOOL.sources) + (filters,)
    base = _memo.memo("channels.base", key, lambda: _base(filters))
    data = base["data"]
    if data["cohort"].empty:
        out.note("info", f"No users registered between {filters.start or 'the start'} and {data['as_of']}.")
        return out
    out.messages += base["notes"]
    table = out.tables["channels"] = base["table"].copy()
    out.tables["funnel"] = _funnel(out, data, loyal_orders)
    out.tables["mix"] = base["mix"].copy()
    _kpis(out, table, data)
    _charts(out)
    if data["unknown_orders"]:
        out.note("warning", f"{data['unknown_orders']} completed order(s) belong to user_no values missing from "
                            "t_user: left out (no acquisition channel).")
    if filters.stores:
        out.note("info", "Store selection: value, AOV and retention count orders at these stores only; "
                         "users and spend are chain-wide.")
    return out


# ---------------------------------------------------------------- data
def _base(filters: Filters) -> dict:
    """What depends on the filters only, not on `loyal_orders`: the loaded data, the channels
    table with its notes and the mix. Kept per data version and filters (`_memo`; precomputed
    for the default view), so the page's first view and a new funnel threshold reuse it."""
    data = _load(filters)
    if data["cohort"].empty:
        return {"data": data}
    notes = Output()
    table = _channel_table(notes, data)
    mix = m.mix(data["registered"], data["order_days"])
    return {"data": data, "table": table, "notes": notes.messages, "mix": mix.assign(month=mix["month"].dt.date)}


def _load(filters: Filters) -> dict:
    """The cohort (users registered in range, with channel and utm_source), their orders up to now,
    every registration (for the development curves), tracked users, spend and the order mix.

    User numbers are factorised to integer codes (their row in t_user) once: grouping and
    matching integers is many times faster than Arrow strings at 275K users and 500K orders.
    Channels stay categorical and days are compared as UTC instants, so no text or time zone is
    worked out per user."""
    last = filters.as_of or filters.end
    before = _end_of_day(last) if last is not None else None
    raw = q.registrations()
    universe = keys.text(raw["user_no"])
    channel = m.channel_codes(raw["origin"])
    regs = pd.DataFrame({"user_no": np.arange(len(raw)), "register": raw["register_time"].to_numpy(),
                         "channel": channel})
    raw_orders = customers.completed_orders(filters.currency, filters.stores, before)
    raw_installs = q.visitors(before)
    code, install_code = _codes(universe, raw_orders["user_no"], raw_installs["user_no"])
    known = code >= 0
    orders = pd.DataFrame({"user_no": code[known], "time": raw_orders["create_time"].to_numpy()[known],
                           "money": raw_orders["pay_money"].to_numpy(dtype=float)[known]})
    now = pd.Timestamp(before) if before is not None else pd.Timestamp(
        _end_of_day(orders["time"].max().date() if len(orders) else date.today()))
    as_of = (now - pd.Timedelta(hours=12)).date()
    regs = regs[regs["register"] < now]
    installs = _installs(raw_installs, install_code, channel)
    cohort = regs[_in_range(regs["register"], filters)]
    cohort = cohort.assign(utm_source=_tracked_utm(installs, len(raw))[cohort["user_no"].to_numpy()])
    mix_orders = q.order_mix(filters.currency, before)
    mix_orders["channel"] = m.channel_name(mix_orders["channel"])
    if filters.start:
        mix_orders = mix_orders[pd.to_datetime(mix_orders["day"]) >= pd.Timestamp(filters.start)]
    return {"now": now, "as_of": as_of, "users": len(raw), "cohort": cohort, "orders": orders, "regs": regs,
            "installs": _opened_in(installs, filters, now), "unlinked": installs.attrs,
            "registered": cohort[["channel", "register"]], "order_days": mix_orders,
            "unknown_orders": int((~known).sum()), "spend": _spend(q.spend(), filters, as_of)}


def _codes(universe: pa.Array, *user_nos: pd.Series) -> list[np.ndarray]:
    """`keys.codes` of several user_no columns in one lookup (the universe is hashed once)."""
    found = keys.codes(pa.concat_arrays([keys.text(u) for u in user_nos]), universe)
    return np.split(found, np.cumsum([len(u) for u in user_nos])[:-1])


def _installs(raw: pd.DataFrame, code: np.ndarray, channel_of: pd.Categorical) -> pd.DataFrame:
    """One row per tracked app install: user_no (row in t_user; -1 if it never registered),
    platform, utm_source, first_open, registered and its channel (`channels.visitor_channels`).
    What cannot be placed is counted in `attrs`: installs whose user_no is not in t_user
    (`orphans`), events with neither id (`anonymous_events`) and installs without a tracked app
    open (`unopened`: tracking began after their first launch)."""
    named = raw["user_no"].notna().to_numpy()
    orphan = named & (code < 0)
    no_id = raw["anonymous"].to_numpy() > 0
    keep = ~orphan & ~no_id
    out = raw.loc[keep, ["platform", "utm_source", "first_open"]].reset_index(drop=True)
    user = code[keep]
    out["user_no"] = user
    out["registered"] = (raw["registered"].to_numpy()[keep] > 0) & (user >= 0)
    registered = pd.Categorical.from_codes(np.where(user >= 0, channel_of.codes[np.maximum(user, 0)], -1),
                                           channel_of.categories)
    out["channel"] = m.visitor_channels(out.assign(channel=registered))
    out.attrs = {"orphans": int(orphan.sum()), "anonymous_events": int(raw.loc[no_id, "events"].sum()),
                 "unopened": int(out["first_open"].isna().sum())}
    return out


def _tracked_utm(installs: pd.DataFrame, users: int) -> pd.Categorical:
    """utm_source per t_user row (NaN where the CDP tracked no install of the user): its first
    tracked install's."""
    tracked = installs.loc[installs["user_no"] >= 0, ["user_no", "utm_source"]].drop_duplicates("user_no")
    utm, names = pd.factorize(tracked["utm_source"])
    code = np.full(users, -1)
    code[tracked["user_no"].to_numpy()] = utm
    return pd.Categorical.from_codes(code, names)


def _in_range(times: pd.Series, filters: Filters) -> np.ndarray:
    """Whether each UTC instant falls on the filter's New York days (one comparison per end: the
    chain's day `d` is [end of d - 1, end of d) in UTC)."""
    keep = np.ones(len(times), bool)
    if filters.start:
        keep &= (times >= _end_of_day(filters.start - timedelta(days=1))).to_numpy()
    if filters.end:
        keep &= (times < _end_of_day(filters.end)).to_numpy()
    return keep


def _opened_in(installs: pd.DataFrame, filters: Filters, now: pd.Timestamp) -> pd.DataFrame:
    """The funnel's cohort: installs whose first app open falls on the filter's days (New York)
    and before now."""
    opened = installs[installs["first_open"].notna() & (installs["first_open"] < now)]
    return opened[_in_range(opened["first_open"], filters)]


def _end_of_day(day: date) -> datetime:
    """The UTC instant the chain's business day `day` ends."""
    end = pd.Timestamp(datetime.combine(day + timedelta(days=1), datetime.min.time())).tz_localize(ZONE)
    return end.tz_convert("UTC").tz_localize(None).to_pydatetime()


def _spend(spend: pd.DataFrame, filters: Filters, as_of: date) -> pd.DataFrame:
    """Spend rows of the filter's currency in the months the range touches."""
    s = spend.assign(month=pd.to_datetime(spend["spend_month"]))
    s = s[s["currency_code"] == filters.currency]
    if filters.start:
        s = s[s["month"] >= pd.Timestamp(filters.start).to_period("M").to_timestamp()]
    return s[s["month"] <= pd.Timestamp(as_of)].assign(spend_amount=lambda d: d["spend_amount"].astype(float))


# ---------------------------------------------------------------- the channels table
def _channel_table(out: Output, data: dict) -> pd.DataFrame:
    """Channel rows (by ltv_180, highest first), each followed by its utm_source rows."""
    now, cohort = data["now"], data["cohort"]
    facts = m.user_facts(cohort, data["orders"], now)
    curves = _curves(data)
    if _mature(data).empty:
        out.note("info", f"No user registered {m.HORIZON} days or more before {data['now']:%Y-%m-%d}: "
                         f"ltv_{m.HORIZON} is what users spent so far, with no projection for the young ones "
                         "(the projection learns from users at least that old).")
    spend = data["spend"]
    unknown = sorted(set(spend["channel"]) - set(m.ORDER))
    if unknown:
        out.note("warning", f"Spend booked to unknown channel(s) {', '.join(map(str, unknown))} is not attributed "
                            f"(${spend[spend['channel'].isin(unknown)]['spend_amount'].sum():,.0f}).")
    chan, names = pd.factorize(cohort["channel"])
    utm, sources_ = pd.factorize(cohort["utm_source"])               # -1: not tracked
    ltv = np.zeros(len(facts))                            # facts rows are the cohort's, in order
    for i, ch in enumerate(names):
        ltv = np.where(chan == i, m.projected_ltv(facts, curves.get(ch, curves["*"])).to_numpy(), ltv)
    ltv = pd.Series(ltv, index=facts.index)
    rows = []
    by_channel, by_source = _runs(chan, facts, ltv), _runs(chan * (len(sources_) + 1) + utm + 1, facts, ltv)
    for i, ch in enumerate(names):
        f, v = by_channel[i]
        share = float((utm[chan == i] >= 0).mean())
        rows.append(_row(ch, None, f, v, spend[spend["channel"] == ch], share, 1.0))
        for j in np.unique(utm[(chan == i) & (utm >= 0)]):
            f, v = by_source[i * (len(sources_) + 1) + j + 1]
            cost = spend[(spend["channel"] == ch) & (spend["utm_source"] == sources_[j])]
            rows.append(_row(ch, sources_[j], f, v, cost, share, share))
    table = pd.DataFrame(rows)
    table["ltv_to_cac"] = [m.ltv_to_cac(a, b) for a, b in zip(table["ltv_180"], table["cac"])]
    _no_spend(out, table)
    rank = table[table["level"] == "channel"].set_index("channel")["ltv_180"].rank(ascending=False, method="first")
    table["_rank"] = table["channel"].map(rank)
    table["_sub"] = (table["level"] == "utm_source").astype(int)
    table = table.sort_values(["_rank", "_sub", "users"], ascending=[True, True, False], kind="stable")
    table = table.drop(columns=["_rank", "_sub"]).reset_index(drop=True).reindex(columns=COLUMNS)
    for c in ("aov", "ltv_180", "spend", "cac"):
        table[c] = table[c].astype(float).round(2)
    for c in ("retention_30", "retention_90", "ltv_to_cac", "tracked_share"):
        table[c] = table[c].astype(float).round(4)
    return table


def _runs(group: np.ndarray, facts: pd.DataFrame, ltv: pd.Series) -> dict[int, tuple[pd.DataFrame, pd.Series]]:
    """The facts and ltv of each group, as slices of one stable sort: every group keeps the
    cohort's order (so its sums add in the same order) without a boolean mask per table row."""
    order = np.argsort(group, kind="stable")
    facts, ltv, group = facts.iloc[order], ltv.iloc[order], group[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else np.array([], int)
    ends = np.r_[starts[1:], len(group)]
    return {int(group[a]): (facts.iloc[a:b], ltv.iloc[a:b]) for a, b in zip(starts, ends)}


def _row(channel: str, source: str | None, facts: pd.DataFrame, ltv: pd.Series, spend: pd.DataFrame,
         tracked_share: float, seen_share: float) -> dict:
    """One row of `channels`; users seen are `seen_share` of its registrations (1 for a channel,
    the tracked share for a utm_source), so cac = spend / (users / seen_share)."""
    cost = float(spend["spend_amount"].sum())
    row = {"level": "utm_source" if source else "channel", "channel": channel, "utm_source": source,
           **m.summarize(facts, ltv), "spend": cost if cost > 0 else np.nan, "tracked_share": tracked_share}
    row["cac"] = m.cac(cost, row["users"] / seen_share if seen_share else 0)
    return row


def _mature(data: dict) -> pd.DataFrame:
    """Users registered at least the horizon (180 days) before the as-of day: the ones whose
    spending so far shows how a young user's will develop."""
    regs = data["regs"]
    return regs[regs["register"] <= data["now"] - pd.Timedelta(days=m.HORIZON)]


def _curves(data: dict) -> dict[str, np.ndarray]:
    """Development curve per channel from its mature users (all registrations, not only the
    range's), and the pooled one under '*'. User codes are t_user rows: an order's channel is
    looked up by position."""
    mature = _mature(data)
    channel = np.full(data["users"], -1)
    channel[mature["user_no"].to_numpy()] = mature["channel"].cat.codes.to_numpy()
    orders = data["orders"]
    of_order = channel[orders["user_no"].to_numpy()]
    names = mature["channel"].cat.categories
    curves = {names[k]: m.development(g, orders[of_order == k]) for k, g in mature.groupby(channel[mature["user_no"]])}
    curves["*"] = m.development(mature, orders[of_order >= 0])
    return curves


def _no_spend(out: Output, table: pd.DataFrame) -> None:
    chans = table[(table["level"] == "channel") & table["spend"].isna()]
    for ch in chans["channel"]:
        out.note("warning", f"Channel {ch} has no acquisition spend booked in this range (t_channel_spend): "
                            "CAC and LTV/CAC are left empty.")
    srcs = table[(table["level"] == "utm_source") & table["spend"].isna() & ~table["channel"].isin(chans["channel"])]
    if len(srcs):
        names = sorted({f"{c}/{s}" for c, s in zip(srcs["channel"], srcs["utm_source"])})
        out.note("info", f"No spend booked for {', '.join(names)} (organic or unpaid sources): CAC left empty.")


# ---------------------------------------------------------------- funnel, KPIs, charts
def _funnel(out: Output, data: dict, loyal_orders: int) -> pd.DataFrame:
    """Tracked app installs first opened in the range, through the funnel (`lucky.models.channels.funnel`)."""
    lost = data["unlinked"]
    if lost.get("orphans"):
        out.note("warning", f"{lost['orphans']} tracked install(s) in t_user_event_track registered as a user_no "
                            "missing from t_user: left out of the funnel.")
    if lost.get("anonymous_events"):
        out.note("warning", f"{lost['anonymous_events']} event(s) in t_user_event_track carry neither anonymous_id "
                            "nor user_no: left out of the funnel.")
    if lost.get("unopened"):
        out.note("info", f"{lost['unopened']} tracked install(s) have no app_open event (tracking began after their "
                         "first launch): not in the funnel, which starts at the app open.")
    installs = data["installs"].assign(app_open=1)
    per_user = pd.Series(np.bincount(data["orders"]["user_no"]))         # completed orders per user code
    table = m.funnel(installs, per_user, loyal_orders)
    table["channel"] = pd.Categorical(table["channel"], m.ORDER, ordered=True)
    table = table.sort_values("channel").reset_index(drop=True)
    table["channel"] = table["channel"].astype(str)
    rates = [c for c in table.columns if c.endswith("_rate")]
    table[rates] = table[rates].astype(float).round(4)
    return table


def _kpis(out: Output, table: pd.DataFrame, data: dict) -> None:
    ch = table[table["level"] == "channel"]
    spend = float(ch["spend"].sum())
    best = ch.dropna(subset=["ltv_to_cac"]).sort_values("ltv_to_cac", ascending=False)
    out.kpis += [Kpi("Users (cohort)", int(ch["users"].sum())),
                 Kpi("Highest LTV (180 d)", f"{ch['channel'].iloc[0]} ${ch['ltv_180'].iloc[0]:,.2f}"),
                 Kpi("Best LTV/CAC", f"{best['channel'].iloc[0]} {best['ltv_to_cac'].iloc[0]:.2f}" if len(best) else "-"),
                 Kpi("Acquisition spend", f"${spend:,.0f}"),
                 Kpi("Blended CAC", f"${spend / ch['users'].sum():,.2f}" if spend > 0 else "-"),
                 Kpi("As of", str(data["as_of"]))]


def _charts(out: Output) -> None:
    mix = out.tables["mix"]
    if len(mix):
        long = mix.melt(["month", "channel"], ["new_user_share", "order_share"], var_name="measure", value_name="share")
        out.charts["channel-mix"] = alt.Chart(long).mark_line(point=True).encode(
            x=alt.X("month:T", title="Month"), y=alt.Y("share:Q", title="Share", axis=alt.Axis(format="%")),
            color=alt.Color("channel:N", sort=list(m.ORDER)), strokeDash=alt.StrokeDash("measure:N", title=""),
            tooltip=["month", "channel", "measure", alt.Tooltip("share:Q", format=".1%")])
    f = out.tables["funnel"]
    if len(f):
        steps = ["app_open", "registration", "first_order", "repeat", "loyal"]
        long = f.melt("channel", steps, var_name="step", value_name="users")
        long["share_of_app_opens"] = long["users"] / long["channel"].map(f.set_index("channel")["app_open"]).replace(0, np.nan)
        out.charts["funnel"] = alt.Chart(long).mark_bar().encode(
            x=alt.X("step:N", sort=steps, title=None), y=alt.Y("share_of_app_opens:Q", title="Share of app opens",
                                                                 axis=alt.Axis(format="%")),
            color=alt.Color("channel:N", sort=list(m.ORDER)), xOffset=alt.XOffset("channel:N", sort=list(m.ORDER)),
            tooltip=["channel", "step", "users", alt.Tooltip("share_of_app_opens:Q", format=".1%")])


TOOL = Tool(
    slug="channels", number=6, title="Customer Acquisition Channel Tracker", department="Marketing",
    roles=frozenset({"marketing"}), sources=(q.CRM, q.CDP, q.ORDERS, q.MKT), run=run, icon=":material/hub:",
    precompute=True,
    description="Acquisition channels (iOS, Android, delivery, other, and utm_source where tracked) side by side: "
                "180-day value per user, retention, AOV, spend, CAC and LTV/CAC; the funnel from app open to "
                "loyal customer; the channel mix since launch.",
    options=(Option("loyal_orders", int, m.LOYAL_ORDERS, "completed orders that make a customer loyal (funnel)",
                    range=(2, 50), label="Loyal from (orders)"),),
)
