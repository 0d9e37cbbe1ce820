"""One anomaly scan: shops -> daily metric inputs -> detection -> verdicts -> incidents.

The scan reads `HISTORY_DAYS` of history before the first day it reports, so every reported day
has its baseline; days outside the data, and stores too young for a baseline, become plain
statements in `notes` instead of errors or guesses.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from lucky.errors import StateError
from lucky.models import anomaly, intraday
from lucky.models.baselines import DEFAULT
from lucky.queries import metrics
from lucky.queries import shops as shop_queries
from lucky.tools import _memo

HISTORY_DAYS = 7 * DEFAULT.weekday_weeks + DEFAULT.level_days + 7
USAGE_HISTORY_DAYS = DEFAULT.spread_days + DEFAULT.level_days + 7   # a ratio: no weekday effect
#: every database the scan reads (the stores, then the metrics' own): the inputs' data version
DATABASES = ("luckyus_opshop", "luckyus_sales_order", "luckyus_sales_payment", "luckyus_opproduction",
             "luckyus_iot_platform", "luckyus_scm_shopstock", "luckyus_scm_commodity", "luckyus_sales_crm")


@dataclass
class Scan:
    anomalies: pd.DataFrame
    incidents: pd.DataFrame
    notes: list[tuple[str, str]] = field(default_factory=list)   # (level, text)
    start: date | None = None
    end: date | None = None
    shops: pd.DataFrame | None = None
    inputs: dict[str, pd.DataFrame] = field(default_factory=dict)
    horizon: pd.Series | None = None      # shop_id -> local time of the freshest data
    trading: pd.Series | None = None      # shop_id -> local day still in progress (not judged)
    span: pd.DataFrame | None = None      # `metrics.order_span` of `shops` (the briefing reuses it)


def _empty(notes, shops=None) -> Scan:
    cols = anomaly.COLUMNS + ["shop_name", "status", "by", "at"]
    return Scan(pd.DataFrame(columns=cols), anomaly.incidents(None), notes, shops=shops)


def _sensitivity(notes: list) -> dict:
    from lucky.anomaly import feedback
    try:
        return feedback.sensitivity()
    except StateError as exc:
        notes.append(("warning", f"Verdicts could not be read, so no learned sensitivity applies: {exc}"))
        return {}


def _attach(found: pd.DataFrame, notes: list) -> pd.DataFrame:
    from lucky.anomaly import feedback
    try:
        return feedback.attach(found)
    except StateError as exc:
        notes.append(("warning", f"Acknowledgements could not be read: {exc}"))
        return found.assign(status="open", by=None, at=None)


def young_store_notes(span: pd.DataFrame, names: pd.Series, end: pd.Timestamp) -> list[tuple[str, str]]:
    """Stores without enough history on `end` to be judged, named with their first day."""
    notes = []
    need = DEFAULT.min_history
    for row in span.itertuples():
        age = (end - row.first_day).days
        if 0 <= age < need:
            notes.append(("info", f"{names.get(row.shop_id, row.shop_id)} has traded for {age + 1} day(s) "
                                  f"(since {row.first_day:%Y-%m-%d}): too new for a baseline, so it is not judged "
                                  f"until {row.first_day + pd.Timedelta(days=need):%Y-%m-%d}."))
    return notes


def without_open_days(found: pd.DataFrame, trading: pd.Series, horizon: pd.Series, names: pd.Series,
                      notes: list) -> pd.DataFrame:
    """Drop store-days still in progress (and chain-wide rows from the first such day on): a
    half-day is not a collapse. Each such day is named in `notes` with how far the data goes."""
    if trading.empty or found.empty:
        return found
    day = pd.to_datetime(found["date"])
    open_day = found["shop_id"].map(lambda s: trading.get(s) if pd.notna(s) else None)
    drop = (pd.to_datetime(open_day) == day) | (found["shop_id"].isna() & (day >= trading.min()))
    for d, shops_open in trading.groupby(trading).groups.items():
        latest = horizon[list(shops_open)].idxmax()
        notes.append(("info", f"{d:%Y-%m-%d} is still in progress at {len(shops_open)} store(s) "
                              f"({', '.join(str(names.get(s, s)) for s in shops_open)}; the data reaches "
                              f"{horizon[latest]:%H:%M} local time at {names.get(latest, latest)}): "
                              "that day is judged once they close."))
    return found[~drop.to_numpy()]


def with_hours(found: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    """Say how each store-day's orders collapse went, hour by hour (all day, an early close, an
    outage in the middle), after its explanation. `profiles`: `anomaly.hour_profiles`."""
    rows = found.index[(found["metric"] == "orders") & found["shop_id"].notna()]
    if profiles.empty or rows.empty:
        return found
    wanted = pd.DataFrame({"shop_id": found.loc[rows, "shop_id"].astype("Int64"),
                           "date": pd.to_datetime(found.loc[rows, "date"])}).drop_duplicates()
    prof = profiles.assign(date=pd.to_datetime(profiles["date"])).merge(wanted, on=["shop_id", "date"])
    words = {key: intraday.shape(g) for key, g in prof.groupby(["shop_id", "date"])}
    found = found.copy()
    for i in rows:
        text = words.get((found.at[i, "shop_id"], pd.Timestamp(found.at[i, "date"])), "")
        if text:
            found.at[i, "explanation"] = f"{found.at[i, 'explanation']}; {text}"
    return found


def read_inputs(shops: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                usage_start: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """`metrics.daily_inputs`, kept once per data version and window (`_memo`: memory, and disk
    for a DuckDB demo). They are two thirds of a scan's cost and depend on nothing a person
    changes (verdicts and sensitivity apply after), so the feed and the briefing share them
    across viewers, options and a restarted server. The returned dict is the caller's own."""
    key = _memo.source_key(*DATABASES) + (tuple(shops["shop_id"]), tuple(shops["time_zone"]),
                                           start, end, usage_start)
    kept = _memo.memo("anomaly.inputs", key, lambda: metrics.daily_inputs(shops, start, end, usage_start))
    return dict(kept)


def select_shops(stores: tuple[int, ...] = (), currency: str | None = None) -> pd.DataFrame:
    """The stores to scan: real trading stores of `currency`, or with None every store of any
    currency (test and internal stores included; per-store counts and ratios need no
    conversion, and problems there are real problems of the systems)."""
    shops = shop_queries.shops() if currency is None else shop_queries.trading_shops(currency)
    if stores:
        shops = shops[shops["shop_id"].isin(stores)]
    return shops.reset_index(drop=True)


def run(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = (),
        currency: str | None = None) -> Scan:
    """Scan local days start..end (default: the whole history) of the stores with orders."""
    notes: list[tuple[str, str]] = []
    shops = select_shops(stores, currency)
    if shops.empty:
        return _empty([("warning", "No stores match the filter.")])
    span = metrics.order_span(shops)
    if span.empty:
        return _empty([("warning", "These stores have no orders at all: nothing to scan.")], shops)
    shops = shops[shops["shop_id"].isin(span["shop_id"])].reset_index(drop=True)
    first, last = span["first_day"].min(), span["last_day"].max()
    lo = pd.Timestamp(start) if start else first
    hi = pd.Timestamp(end) if end else last
    if hi < first:
        return _empty([("warning", f"The data starts on {first:%Y-%m-%d}; there is nothing to report "
                                   f"on or before {hi:%Y-%m-%d}.")], shops)
    if lo > last:
        return _empty([("warning", f"The data ends on {last:%Y-%m-%d}; there is nothing to report "
                                   f"on or after {lo:%Y-%m-%d}.")], shops)
    if lo < first:
        notes.append(("info", f"The data starts on {first:%Y-%m-%d}; days before it are not scanned."))
        lo = first
    if hi > last:
        notes.append(("info", f"The data ends on {last:%Y-%m-%d}; days after it are not scanned."))
        hi = last
    names = shops.set_index("shop_id")["shop_name"]
    notes += young_store_notes(span, names, hi)
    inputs = read_inputs(shops, max(first, lo - pd.Timedelta(days=HISTORY_DAYS)), hi,
                         max(first, lo - pd.Timedelta(days=USAGE_HISTORY_DAYS)))
    inputs["hour_profiles"] = anomaly.hour_profiles(inputs["hours"], hi)
    found = anomaly.detect(inputs, hi, _sensitivity(notes))
    found = found[(pd.to_datetime(found["date"]) >= lo) & (pd.to_datetime(found["date"]) <= hi)]
    horizon = span.set_index("shop_id")["horizon"]
    trading = intraday.in_progress(inputs["hours"], horizon)
    found = without_open_days(found, trading, horizon, names, notes)
    found = with_hours(found, inputs["hour_profiles"])
    found.insert(1, "shop_name", found["shop_id"].map(names).fillna("all stores").astype(str))
    found = _attach(found.reset_index(drop=True), notes)
    active = found[found["status"] != "dismissed"] if "status" in found else found
    inc = anomaly.incidents(active)
    if not inc.empty:
        inc.insert(1, "shop_name", inc["shop_id"].map(names).fillna("all stores").astype(str))
    return Scan(found, inc, notes, lo.date(), hi.date(), shops, inputs, horizon, trading, span)
