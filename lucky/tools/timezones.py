"""Tool 23, Cross-Timezone Operations Hub: each market on its own clock. Where every store-local
business day starts and closes, KPIs side by side (each in its own currency), which markets are
open right now, public holidays per market, and a daily report per market.

This tool shows the rule every other tool uses: a "day" is the store-local business day from
`t_shop_info.time_zone` (`lucky.models.timezones`).
"""
from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Option, Output, Tool, Viewer
from lucky.models import markets
from lucky.models import shops as real_shops
from lucky.models.timezones import known_zone
from lucky.queries import finance
from lucky.queries import markets as market_q
from lucky.queries import shops as shop_q


def _slug(market: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in market.lower()).strip("-")


def _open_now(hours: pd.DataFrame, shop_ids: tuple[int, ...], zone: str, now_utc: datetime) -> tuple[int, str]:
    """Stores open at this instant, from each store's latest hours for today's weekday."""
    local = markets.local_now(now_utc, zone)
    h = hours[hours["shop_id"].isin(shop_ids)].copy()
    if h.empty:
        open_ = markets.is_open(local, *markets.DEFAULT_HOURS)
        return (len(shop_ids) if open_ else 0), f"no opening hours on file; assumed {'-'.join(markets.DEFAULT_HOURS)}"
    h["weekday"] = pd.to_datetime(h["business_date"]).dt.day_of_week
    today = h[h["weekday"] == local.weekday()].sort_values("business_date").groupby("shop_id").tail(1)
    today = today[today["status"].fillna(1).astype(int) == 1]
    n = sum(markets.is_open(local, r.open_time, r.close_time) for r in today.itertuples())
    return int(n), "from t_shop_opening_time (latest week on file)"


def run(filters: Filters, viewer: Viewer, now: datetime | None = None, include_test: bool = False) -> Output:
    out = Output()
    now_utc = now or datetime.now(UTC)
    every = shop_q.shops()
    shops = real_shops.in_scope(every, filters.stores, include_test).reset_index(drop=True)
    hidden = sorted(set(every["time_zone"].dropna().map(markets.market_name))
                    - set(shops["time_zone"].dropna().map(markets.market_name)))
    if hidden and not filters.stores:
        out.note("info", f"{', '.join(hidden)}: test or internal shops only, so not in this default view; "
                         "switch on 'Include test and internal shops' to compare "
                         f"{'it' if len(hidden) == 1 else 'them'} (flagged).")
    if shops.empty:
        out.note("info", "No store matches the store filter: nothing to compare.")
        return out
    mk = markets.markets(shops)
    bad = shops[~shops["time_zone"].map(known_zone)]
    if len(bad):
        out.note("warning", f"{len(bad)} stores have a NULL or unknown time zone ("
                            + ", ".join(f"{r.shop_id} {r.shop_name!s}: {r.time_zone!s}" for r in bad.head(10).itertuples())
                            + "); their orders are placed on their UTC day until t_shop_info.time_zone is fixed.")
    daily = finance.completed_parts(filters.start, filters.end, filters.stores, shops)
    daily["time_zone"] = daily["shop_id"].map(shops.set_index("shop_id")["time_zone"])
    hours = market_q.latest_hours(tuple(int(s) for s in shops["shop_id"]))
    years = sorted({d.year for d in pd.to_datetime(daily["business_date"])} | {now_utc.year}) if len(daily) else [now_utc.year]

    rows, holiday_frames, reports = [], [], {}
    for m in mk.itertuples():
        zone = m.time_zone
        if not known_zone(zone):
            continue
        d_all = daily[daily["time_zone"] == zone]
        own = set(m.currencies.split(", ")) if m.currencies else set(d_all["currency_code"].dropna())
        d = d_all[d_all["currency_code"].isin(own)]
        foreign = d_all[~d_all["currency_code"].isin(own)]
        if len(foreign):
            out.note("warning", f"{m.market}: {int(foreign['orders'].sum())} orders in "
                                f"{', '.join(sorted(map(str, foreign['currency_code'].unique())))}, which its stores do not "
                                "use, are kept out of its KPIs (listed per day in its report; see tenant-audit).")
        currencies = sorted(own)
        local = markets.local_now(now_utc, zone)
        open_n, hours_note = _open_now(hours, m.shop_ids, zone, now_utc)
        last_day = d["business_date"].max() if len(d) else None
        cal, cal_note = markets.holiday_calendar(zone, years)
        if len(cal):
            holiday_frames.append(cal.assign(market=m.market, time_zone=zone))
        upcoming = cal[cal["date"] >= local.date()].head(1) if len(cal) else cal
        orders, revenue = int(d["orders"].sum()), float(d["pay_money"].sum())
        store_days = d.groupby(["shop_id", "business_date"]).ngroups
        rows.append({
            "market": m.market, "time_zone": zone, "country": m.country, "currency_code": ", ".join(currencies) or m.currencies,
            "stores": m.stores, "test_stores": m.test_stores, "local_time_now": local.strftime("%Y-%m-%d %H:%M"),
            "utc_offset_hours": markets.utc_offset_hours(zone, now_utc), "open_stores_now": open_n,
            "open_now": open_n > 0, "hours_source": hours_note,
            "today_closes_utc": markets.day_close_utc(local.date(), zone),
            "latest_business_day": last_day, "latest_day_closed_utc": markets.day_close_utc(last_day.date(), zone) if last_day is not None else None,
            "orders": orders, "revenue": revenue, "aov": revenue / orders if orders else None,
            "orders_per_store_day": orders / store_days if store_days else None,
            "next_holiday": f"{upcoming.iloc[0]['date']} {upcoming.iloc[0]['holiday']}" if len(upcoming) else "",
            "holiday_calendar": cal_note,
        })
        report = d_all.groupby(["business_date", "currency_code"])[["orders", "pay_money"]].sum().reset_index()
        report["aov"] = report["pay_money"] / report["orders"].where(report["orders"] > 0)
        report["stores_trading"] = d_all.groupby(["business_date", "currency_code"])["shop_id"].nunique().values
        hol = dict(zip(cal["date"], cal["holiday"])) if len(cal) else {}
        report["weekday"] = report["business_date"].dt.day_name()
        report["holiday"] = report["business_date"].dt.date.map(hol).fillna("")
        report["day_closes_utc"] = report["business_date"].map(lambda x, z=zone: markets.day_close_utc(x.date(), z))
        report["business_date"] = report["business_date"].dt.date
        reports[f"report-{_slug(m.market)}"] = report.rename(columns={"pay_money": "revenue"})
        if "CK" == m.country and "instead" in cal_note:
            out.note("info", cal_note)

    side = pd.DataFrame(rows)
    if side.empty:
        out.note("info", "No store has a usable time zone, so no market can be shown.")
        return out
    if daily.empty:
        out.note("info", "No completed orders in this date range: the clocks and calendars below still apply.")
    out.kpis = [Kpi("Markets", len(side)), Kpi("Open now", int(side["open_now"].sum()),
                    help=f"at {now_utc:%Y-%m-%d %H:%M} UTC")]
    for r in side.itertuples():
        unit = "$" if r.currency_code == "USD" else f"{str(r.currency_code)[:2]}$" if len(str(r.currency_code)) == 3 else ""
        out.kpis.append(Kpi(f"{r.market} orders", r.orders, help=f"latest business day {r.latest_business_day}"))
        out.kpis.append(Kpi(f"{r.market} revenue", r.revenue, unit, help=f"in {r.currency_code}, never added across markets"))
    gap = side["utc_offset_hours"].max() - side["utc_offset_hours"].min()
    if len(side) > 1:
        out.note("info", f"The markets are {gap:g} hours apart right now: a business day in "
                         f"{side.iloc[side['utc_offset_hours'].argmin()]['market']} closes {gap:g} hours after "
                         f"{side.iloc[side['utc_offset_hours'].argmax()]['market']}'s. Revenue is shown in each "
                         "market's own currency and never added across markets.")
    out.tables["markets"] = side
    out.tables.update(reports)
    out.tables["holidays"] = (pd.concat(holiday_frames, ignore_index=True)[["market", "time_zone", "date", "holiday", "calendar"]]
                              if holiday_frames else pd.DataFrame(columns=["market", "time_zone", "date", "holiday", "calendar"]))
    out.tables["stores"] = shops[["shop_id", "shop_name", "time_zone", "currency_code", "test_flag", "internal", "status"]].assign(
        market=shops["time_zone"].map(markets.market_name)).sort_values(   # trading stores first, closed last
        ["status", "shop_id"], key=lambda c: c.map({1: 0, 2: 1}).fillna(2) if c.name == "status" else c)
    if len(daily):
        by_day = daily.groupby(["business_date", "time_zone"])["orders"].sum().reset_index()
        by_day["market"] = by_day["time_zone"].map(markets.market_name)
        out.charts["orders-per-business-day"] = alt.Chart(by_day).mark_line().encode(
            x=alt.X("business_date:T", title="Store-local business day"), y=alt.Y("orders:Q", title="Completed orders"),
            color="market:N", tooltip=["market:N", "business_date:T", "orders:Q"])
    return real_shops.finish(out, shops, include_test)


TOOL = Tool(
    slug="timezones", number=23, title="Cross-Timezone Operations Hub", department="Company-wide",
    roles=frozenset({"admin", "finance", "operations", "it", "marketing", "product", "supply_chain"}),
    sources=("luckyus_sales_order", "luckyus_opshop"), run=run, icon=":material/schedule:",
    options=(Option("now", datetime, None, "evaluate store hours as of this UTC time (default: now)"),
             real_shops.INCLUDE_TEST),
    description="Markets by time zone: business-day close, KPIs side by side, open now, holidays, "
                "and a report per market.",
)
