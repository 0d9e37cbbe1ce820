"""lucky.models.intraday by hand-worked examples: the usual per weekday-hour and the shape of a day."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from lucky.models import intraday

DAY = pd.Timestamp("2026-02-11")          # a Wednesday; the usual comes from the four before


def _rows(shop: int, day: pd.Timestamp, counts: dict[int, int]) -> list[dict]:
    return [{"shop_id": shop, "date": day, "hour": h, "orders": n} for h, n in counts.items()]


def _week(k: int) -> pd.Timestamp:
    return DAY - pd.Timedelta(weeks=k)


def _store(past: list[dict[int, int] | None], today: dict[int, int], shop: int = 1) -> list[dict]:
    rows = _rows(shop, DAY, today)
    for k, counts in enumerate(past, start=1):
        if counts is not None:              # None: the store did not trade that weekday
            rows += _rows(shop, _week(k), counts)
    return rows


def test_usual_is_the_median_of_same_weekday_hours_and_status_follows():
    past = [{8: 10, 9: 20, 10: 10, 11: 8}, {8: 12, 9: 20, 10: 10, 11: 8},
            {8: 14, 9: 20, 10: 10, 11: 8}, {8: 100, 9: 20, 10: 10, 11: 8}]
    prof = intraday.profile(pd.DataFrame(_store(past, {8: 13, 10: 4, 11: 30})), DAY).set_index("hour")
    assert prof.loc[8, "expected"] == 13 and prof.loc[8, "status"] == "usual"   # median(10, 12, 14, 100)
    assert prof.loc[9, "orders"] == 0 and prof.loc[9, "status"] == "no orders"  # P(0 | 20) ~ 2e-9
    # 4 where 10 are usual is 40%, but P(X <= 4 | 10) = 0.029: not rare enough to call
    assert prof.loc[10, "ratio"] == pytest.approx(0.4) and prof.loc[10, "status"] == "usual"
    assert prof.loc[11, "status"] == "high"                                        # 30 vs 8
    assert str(prof.loc[8, "date"]) == "2026-02-11"


def test_a_day_the_store_was_closed_is_not_a_zero_in_its_usual():
    past = [{8: 10}, {8: 20}, None, {8: 30}]
    prof = intraday.profile(pd.DataFrame(_store(past, {8: 20})), DAY)
    assert prof.loc[0, "expected"] == 20            # median(10, 20, 30), not median(0, 10, 20, 30)


def test_an_hour_without_orders_that_usually_has_none_is_zero_not_unknown():
    past = [{8: 10}, {8: 10}, {8: 10}, {8: 10}]
    prof = intraday.profile(pd.DataFrame(_store(past, {8: 10, 22: 2})), DAY).set_index("hour")
    assert prof.loc[22, "expected"] == 0 and math.isnan(prof.loc[22, "ratio"]) and prof.loc[22, "status"] == "usual"


def test_a_new_store_has_no_usual_yet():
    prof = intraday.profile(pd.DataFrame(_store([{8: 10}, {8: 10}], {8: 0, 9: 5})), DAY)
    assert set(prof["status"]) == {"no usual yet"} and prof["expected"].isna().all()


def test_chain_sums_stores():
    rows = _store([{8: 10}] * 4, {8: 9}, shop=1) + _store([{8: 6}] * 4, {8: 1}, shop=2)
    chain = intraday.chain(intraday.profile(pd.DataFrame(rows), DAY))
    assert chain.to_dict("records") == [{"hour": 8, "orders": 10, "expected": 16.0}]


BUSY = {h: 20 for h in range(7, 19)}        # 07:00-19:00, 20 orders an hour


def _shape(today: dict[int, int]) -> str:
    return intraday.shape(intraday.profile(pd.DataFrame(_store([BUSY] * 4, today)), DAY))


@pytest.mark.parametrize("today, words", [
    ({h: 2 for h in BUSY}, "below usual in 12 of 12 busy hours, all day (about 216 orders short in those hours)"),
    ({**BUSY, 15: 0, 16: 0, 17: 0, 18: 0}, "short from 15:00 to closing (closed early?), about 80 orders below usual"),
    ({**BUSY, 7: 0, 8: 1}, "short from opening to 09:00 (opened late?), about 39 orders below usual"),
    ({**BUSY, 11: 0, 12: 0, 16: 3}, "short in 11:00–13:00, 16:00–17:00 (about 57 orders below usual)"),
    (BUSY, "no single hour was far below its usual"),
    ({}, "no completed orders in any hour (about 240 usual over the day)"),
])
def test_shape_of_a_bad_day(today, words):
    assert _shape(today) == words


def test_closing_hour_and_days_still_in_progress():
    rows = []
    for k, last in zip(range(1, 6), (18, 19, 19, 20, 19)):     # last orders at 18-20h: usually 19
        rows += _rows(1, _week(k), {8: 5, last: 2})
    rows += _rows(2, _week(1), {9: 3, 15: 1})                  # store 2 closes at 15
    hours = pd.DataFrame(rows)
    assert intraday.closing_hours(hours).to_dict() == {1: 19.0, 2: 15.0}
    horizon = pd.Series({1: DAY + pd.Timedelta(hours=10, minutes=42), 2: DAY + pd.Timedelta(hours=16),
                         3: DAY + pd.Timedelta(hours=22)})   # store 3 has no history: closes at 23
    trading = intraday.in_progress(hours, horizon)
    assert trading.to_dict() == {1: DAY, 3: DAY}               # store 2 has closed for the day


def test_outages_are_runs_of_empty_busy_hours():
    today = {**BUSY, 11: 0, 12: 0, 13: 0, 16: 0}            # a 3-hour gap, and one lone empty hour
    prof = intraday.profile(pd.DataFrame(_store([BUSY] * 4, today)), DAY)
    runs = intraday.outages(prof)
    assert runs.to_dict("records") == [{"shop_id": 1, "date": DAY.date(), "first_hour": 11, "last_hour": 13,
                                        "hours": 3, "expected": 60.0}]
    quiet = intraday.profile(pd.DataFrame(_store([{h: 3 for h in BUSY}] * 4, {7: 3})), DAY)
    assert intraday.outages(quiet).empty                       # 3 usual an hour: an empty hour is no news
