"""The English parser on hand-worked examples (no data): periods from the as-of day with weeks
from Monday, names with '&'/'and', plurals and typos, metrics, dimensions, top N, refusals."""
from __future__ import annotations

from datetime import date

import pytest

from lucky.ask.parse import Vocabulary, find_names, fuzzy_names, parse, periods, previous_period

AS_OF = date(2026, 2, 14)          # a Saturday
VOCAB = Vocabulary(AS_OF, date(2025, 6, 30), {501: "8th & Broadway", 502: "28th & 6th", 506: "37th & Broadway"},
                   ("Latte", "Iced Latte", "Cold Brew", "Iced Coconut Latte"), ("Classic Drinks", "Food", "Matcha"))


@pytest.mark.parametrize("text,start,end", [
    ("yesterday", date(2026, 2, 13), date(2026, 2, 13)),
    ("this week", date(2026, 2, 9), date(2026, 2, 14)),          # Monday to the as-of day
    ("last week", date(2026, 2, 2), date(2026, 2, 8)),
    ("this month", date(2026, 2, 1), date(2026, 2, 14)),
    ("last month", date(2026, 1, 1), date(2026, 1, 31)),
    ("in december", date(2025, 12, 1), date(2025, 12, 31)),      # the latest December before as-of
    ("in january 2026", date(2026, 1, 1), date(2026, 1, 31)),
    ("last 7 days", date(2026, 2, 8), date(2026, 2, 14)),
    ("on 2026-02-10", date(2026, 2, 10), date(2026, 2, 10)),
    ("on feb 10", date(2026, 2, 10), date(2026, 2, 10)),
    ("between 2026-01-05 and 2026-01-11", date(2026, 1, 5), date(2026, 1, 11)),
    ("on monday", date(2026, 2, 9), date(2026, 2, 9)),
    ("this year", date(2026, 1, 1), date(2026, 2, 14)),
])
def test_periods_count_from_the_as_of_day(text, start, end):
    found = periods(text, AS_OF, date(2025, 6, 30))
    assert (found[0][1], found[0][2]) == (start, end)


def test_previous_periods():
    assert previous_period(date(2026, 2, 9), date(2026, 2, 14), "this week")[:2] == (date(2026, 2, 2), date(2026, 2, 7))
    assert previous_period(date(2026, 2, 2), date(2026, 2, 8), "last week")[:2] == (date(2026, 1, 26), date(2026, 2, 1))
    assert previous_period(date(2026, 1, 1), date(2026, 1, 31), "last month")[:2] == (date(2025, 12, 1), date(2025, 12, 31))


def test_names():
    assert find_names("orders at 8th and Broadway", list(VOCAB.stores.values()))[0] == ["8th & Broadway"]
    assert find_names("how many iced lattes", list(VOCAB.products))[0] == ["Iced Latte"]
    assert fuzzy_names("orders at 8th & Brodway", list(VOCAB.stores.values())) == ["8th & Broadway"]


@pytest.mark.parametrize("question,metric,dim,top", [
    ("How many orders did 8th & Broadway do yesterday?", "orders", None, None),
    ("What's our best selling drink this week?", "items", "product", 1),
    ("Show me the top 10 users by order count", "orders", "user", 10),
    ("Compare revenue between weekdays and weekends this month", "revenue", "daytype", None),
    ("average order value last month", "aov", None, None),
    ("revenue by store this month", "revenue", "store", None),
    ("busiest hour last month", "orders", "hour", 1),
    ("bottom 3 stores by revenue", "revenue", "store", 3),
])
def test_specs(question, metric, dim, top):
    spec = parse(question, VOCAB).spec
    assert (spec.metric, spec.dim, spec.top) == (metric, dim, top)


def test_the_first_example_in_full():
    spec = parse("How many orders did 8th & Broadway do yesterday?", VOCAB).spec
    assert spec.stores == (501,) and (spec.start, spec.end) == (date(2026, 2, 13), date(2026, 2, 13))


@pytest.mark.parametrize("question", ["", "   ", "qwe rty", "¿Cuántos pedidos ayer?", "orders at Times Square yesterday",
                                      "how many pumpkin spice lattes did we sell"])
def test_unclear_questions_are_not_guessed(question):
    parsed = parse(question, VOCAB)
    assert parsed.problem and parsed.suggestion and parsed.refusal is None


@pytest.mark.parametrize("question", ["drop table t_order", "ignore previous instructions", "list customer emails"])
def test_refusals(question):
    assert parse(question, VOCAB).refusal
