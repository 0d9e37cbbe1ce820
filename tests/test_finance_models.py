"""Hand-worked examples for the finance models (tax, reconcile, fees, tenancy, markets)."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from lucky.models import fees, markets, reconcile, tax, tenancy

D = pd.Timestamp


# ------------------------------------------------------------------ tax
def test_round_cents_is_half_up_on_the_decimal_value():
    assert tax.round_cents(0.355) == 0.36        # binary 0.35499999... still a half cent
    assert tax.round_cents(0.354) == 0.35
    assert tax.round_cents(4.00 * 0.08875) == 0.36   # 0.355


def _items(rows):
    return pd.DataFrame(rows, columns=["order_no", "shop_id", "business_date", "pay_money", "tax_rate", "tax", "tax_mode"])


def test_classify_hand_worked():
    items = _items([
        ("A", 1, D("2026-01-05"), 3.20, 0.08875, 0.28, 1),   # 3.20 x 8.875% = 0.284 -> 0.28 ok
        ("B", 1, D("2026-01-05"), 4.00, 0.08875, 0.35, 1),   # 0.355: 0.35 or 0.36 both valid roundings
        ("C", 1, D("2026-01-05"), 4.00, 0.08875, 0.00, 1),   # missing
        ("D", 1, D("2026-01-05"), 4.00, None, None, 1),      # missing (NULL)
        ("E", 2, D("2026-01-06"), 5.00, 0.04, 0.20, 1),      # state rate only: wrong rate (due 0.44)
        ("F", 2, D("2026-01-06"), 5.00, 0.08875, 0.50, 1),   # right rate, wrong amount (due 0.44)
        ("G", 2, D("2026-01-06"), 0.00, 0.08875, 0.00, 1),   # free item: nothing due
        ("H", 2, D("2026-01-06"), 3.20, 0.08875, 0.29, 1),   # off by one cent: 0.29 vs 0.284
    ])
    got = tax.classify(items).set_index("order_no")
    assert got.loc[["A", "B", "G"], "kind"].isna().all()
    assert got.loc["C", "kind"] == "missing_tax" and got.loc["D", "kind"] == "missing_tax"
    assert got.loc["E", "kind"] == "wrong_rate"
    assert got.loc["F", "kind"] == "amount_error" and got.loc["H", "kind"] == "amount_error"
    assert got.loc["E", "expected"] == 0.44 and got.loc["E", "difference"] == -0.24
    assert got.loc["F", "difference"] == 0.06


def test_exceptions_one_row_per_order_and_kind():
    items = _items([
        ("C", 1, D("2026-01-05"), 4.00, 0.08875, 0.00, 1),
        ("C", 1, D("2026-01-05"), 2.00, 0.08875, 0.00, 1),
        ("C", 1, D("2026-01-05"), 3.20, 0.08875, 0.28, 1),
    ])
    exc = tax.exceptions(items)
    assert len(exc) == 1
    row = exc.iloc[0]
    assert (row["kind"], row["items"], row["expected"], row["recorded"]) == ("missing_tax", 2, 0.54, 0.0)
    assert row["difference"] == -0.54          # 0.36 + 0.18


def test_inclusive_mode_takes_tax_out_of_the_price():
    # 10.8875 inclusive of 8.875% holds exactly 0.8875 -> 0.89
    assert tax.expected_tax(pd.Series([10.8875]), mode=pd.Series([2])).iloc[0] == 0.89


@pytest.mark.parametrize("day,start,end,due", [
    ("2025-06-30", "2025-06-01", "2025-08-31", date(2025, 9, 20)),
    ("2025-12-01", "2025-12-01", "2026-02-28", date(2026, 3, 20)),
    ("2026-02-14", "2025-12-01", "2026-02-28", date(2026, 3, 20)),
    ("2024-02-29", "2023-12-01", "2024-02-29", date(2024, 3, 20)),
    ("2026-03-01", "2026-03-01", "2026-05-31", date(2026, 6, 20)),
])
def test_ny_sales_tax_quarters(day, start, end, due):
    assert tax.tax_quarter(D(day)) == (date.fromisoformat(start), date.fromisoformat(end))
    assert tax.filing_due(D(day)) == due


def test_summarize_and_ledger_split_by_jurisdiction():
    agg = pd.DataFrame({"quarter_start": [date(2025, 12, 1)] * 2, "shop_id": [1, 1], "shop_name": ["X", "X"],
                        "rate": [0.08875, 0.08875], "items": [10, 5], "taxable": [100.0, 40.0],
                        "collected": [8.88, 3.55]})
    exc = pd.DataFrame({"quarter_start": [date(2025, 12, 1)], "shop_id": [1], "shop_name": ["X"],
                        "rate": [0.08875], "difference": [-0.36]})
    s = tax.summarize(agg, exc, ["quarter_start", "shop_id", "shop_name", "rate"])
    assert s.iloc[0]["collected"] == 12.43 and s.iloc[0]["expected"] == 12.79 and s.iloc[0]["gap"] == 0.36
    led = tax.ledger(s)
    assert led.iloc[0]["period"] == "2025-12..2026-02" and led.iloc[0]["filing_due"] == date(2026, 3, 20)
    parts = led.iloc[0][[tax.component_column(k) for k in tax.COMPONENTS]]
    assert parts.tolist() == [5.76, 6.49, 0.54]    # 12.79 x 4/8.875, 4.5/8.875, 0.375/8.875


# ------------------------------------------------------------------ reconcile
def _orders():
    return pd.DataFrame({
        "order_no": ["o1", "o2", "o3", "o4", "o5", "o6"],
        "shop_id": [1, 1, 1, 2, 2, 2],
        "business_date": [D("2026-01-05")] * 3 + [D("2026-01-06")] * 3,
        "currency_code": ["USD"] * 6,
        "pay_money": [4.71, 3.30, 5.00, 2.50, 6.00, 0.0],
    })


def _trades():
    return pd.DataFrame({
        "trade_no": ["t1", "t3", "t4a", "t4b", "t5a", "t5b", "t9", "tf"],
        "order_no": ["o1", "o3", "o4", "o4", "o5", "o5", "zz", "o2"],
        "shop_id": [1, 1, 2, 2, 2, 2, 2, 1],
        "business_date": [D("2026-01-05")] * 2 + [D("2026-01-06")] * 6,
        "currency_code": ["USD"] * 8,
        "amount": [471, 520, 250, 250, 400, 200, 999, 330],
        "status": [1, 2, 3, 1, 1, 1, 1, 4],        # tf failed: o2 has no successful payment
        "create_time": pd.date_range("2026-01-05 12:00", periods=8, freq="min"),
    })


def test_match_finds_each_kind_once():
    exc = reconcile.match(_orders(), _trades(), known_orders={"o1", "o2", "o3", "o4", "o5", "o6"})
    kinds = dict(zip(exc["kind"], exc["order_no"].fillna(exc["trade_no"])))
    assert len(exc) == 4
    assert kinds["missing_payment"] == "o2"          # only a failed attempt
    assert kinds["amount_mismatch"] == "o3"          # 5.20 charged on 5.00
    assert kinds["duplicate_charge"] == "o4"         # 2.50 twice
    assert kinds["orphan_payment"] == "zz"           # no such order
    # o5: 4.00 + 2.00 = 6.00 is a split tender, o6 is free: no break
    dup = exc[exc["kind"] == "duplicate_charge"].iloc[0]
    assert dup["trade_no"] == "t4b" and dup["difference"] == 2.50
    mm = exc[exc["kind"] == "amount_mismatch"].iloc[0]
    assert mm["difference"] == pytest.approx(0.20)


def test_one_cent_is_within_tolerance():
    o = _orders().iloc[[0]]
    t = _trades().iloc[[0]].assign(amount=472)
    assert reconcile.match(o, t, {"o1"}).empty
    assert len(reconcile.match(o, t.assign(amount=473), {"o1"})) == 1


def test_daily_three_way_and_go_live():
    o = _orders()
    pay = reconcile.attribute_payments(o, _trades())
    bills = pd.DataFrame({"shop_id": [1], "business_date": [D("2026-01-05")], "currency_code": ["USD"],
                          "amount": [13.01]})
    days = reconcile.daily(o, pay, bills, D("2026-01-05"), D("2026-01-05"))
    d1 = days[days["shop_id"] == 1].iloc[0]
    assert d1["orders_total"] == 13.01 and d1["payments_total"] == 9.91 and d1["accounting_total"] == 13.01
    assert not d1["payments_match"] and d1["accounting_match"]
    d2 = days[days["shop_id"] == 2].iloc[0]
    assert pd.isna(d2["accounting_match"])          # after the last booked day: not judged
    assert reconcile.match_rate(days) == 0.0


def test_go_live_is_first_day_with_half_the_store_days_billed():
    od = pd.DataFrame({"shop_id": [1, 2, 1, 2, 1, 2], "business_date": [D("2026-01-01")] * 2 +
                       [D("2026-01-02")] * 2 + [D("2026-01-03")] * 2})
    bd = pd.DataFrame({"shop_id": [1, 1, 2], "business_date": [D("2026-01-02"), D("2026-01-03"), D("2026-01-03")]})
    assert reconcile.go_live(od, bd) == D("2026-01-02")
    od = od.assign(currency_code="USD", orders_total=10.0)
    miss = reconcile.missing_bills(od, bd, D("2026-01-02"), D("2026-01-03"))
    assert miss[["shop_id", "business_date"]].values.tolist() == [[2, D("2026-01-02")]]
    assert reconcile.go_live(od, bd.iloc[0:0]) is None


# ------------------------------------------------------------------ fees
def test_channel_table_and_what_if():
    trades = pd.DataFrame({"channel_id": [53, 3], "transactions": [100, 50], "amount": [50000, 25000]})
    fee = pd.DataFrame({"channel_id": [53, 3], "fee_rows": [100, 50], "amount": [50000, 25000],
                        "transaction_fee": [500, 250], "merchant_service_fee": [1350, 425],
                        "total_fee": [1850, 675]})
    t = fees.channel_table(trades, fee).set_index("channel_id")
    assert t.loc[53, "effective_rate"] == pytest.approx(0.037) and t.loc[3, "effective_rate"] == pytest.approx(0.027)
    assert t.loc[53, "cost_rank"] == 1 and t.loc[53, "avg_ticket"] == 5.0
    w = fees.what_if(t.reset_index(), 53, 3, 0.10, days=73)
    # $500 over 73 days -> $2,500/year; 10% = $250 moved; x 1.0 point = $2.50/year
    assert w.yearly_volume == pytest.approx(2500) and w.saving == pytest.approx(2.5)
    assert "$2.50/year saved" in w.arithmetic()
    with pytest.raises(KeyError):
        fees.what_if(t.reset_index(), 53, 99, 0.1, 73)


# ------------------------------------------------------------------ tenancy
def _shops():
    return pd.DataFrame({"shop_id": [1, 2, 3, 4], "currency_code": ["USD", "USD", "NZD", None],
                         "time_zone": ["America/New_York"] * 2 + ["Pacific/Rarotonga", "America/New_York"],
                         "test_flag": [0, 0, 1, 0], "internal": [0, 0, 0, 1]})


def test_tenant_values_are_compared_exactly():
    dist = pd.DataFrame({"database": ["a"] * 4, "table": ["t"] * 4, "tenant": ["LKUS", "lkus", "LKUS ", None],
                         "rows": [10, 1, 1, 1], "sampled": [False] * 4})
    j = tenancy.judge_tenants(dist, ("LKUS",))
    assert j["known"].tolist() == [True, False, False, False]
    assert j["shown"].tolist() == ["LKUS", "lkus", "'LKUS '", "NULL"]
    chk = tenancy.checklist(j, pd.DataFrame(columns=["database"]), ["a", "b"])
    assert chk["status"].tolist() == ["fail", "pass"] and "3 rows" in chk.iloc[0]["findings"]


def test_currency_mismatch_and_inflation():
    groups = pd.DataFrame({"shop_id": [1, 1, 3, 4, 2], "currency_code": ["USD", "NZD", "NZD", "USD", "usd"],
                           "orders": [90, 2, 5, 3, 1], "revenue": [450.0, 7.0, 17.5, 12.0, 4.0]})
    mm = tenancy.currency_mismatch(groups, _shops())
    assert mm[["shop_id", "currency_code"]].values.tolist() == [[1, "NZD"], [2, "usd"]]
    inf = tenancy.inflation(groups, _shops())
    assert inf["test_orders"] == 8 and inf["all_orders"] == 101
    assert inf["orders_share"] == pytest.approx(8 / 101) and inf["orders_inflation"] == pytest.approx(8 / 93)
    assert tenancy.configured_tenants(" LKUS, LKNZ ") == ("LKUS", "LKNZ")


# ------------------------------------------------------------------ markets
def test_markets_clocks_and_holidays():
    shops = _shops().assign(time_zone=["America/New_York", "America/New_York", "Pacific/Rarotonga", None])
    m = markets.markets(shops).set_index("market")
    assert m.loc["NYC", "stores"] == 2 and m.loc["Cook Islands", "country"] == "CK"
    assert "unknown (no time zone)" in m.index
    # 2026-02-14 12:00 UTC = 07:00 in New York (EST) and 02:00 in Rarotonga (UTC-10)
    now = datetime(2026, 2, 14, 12, 0)
    assert markets.local_now(now, "America/New_York").hour == 7
    assert markets.is_open(markets.local_now(now, "America/New_York"), "07:00", "20:00")
    assert not markets.is_open(markets.local_now(now, "Pacific/Rarotonga"), "07:00", "20:00")
    assert markets.is_open(datetime(2026, 1, 1, 1, 0), "18:00", "02:00")
    # New York's 2026-07-04 closes at 04:00 UTC next day (EDT); Rarotonga's at 10:00 UTC
    assert markets.day_close_utc(date(2026, 7, 4), "America/New_York") == D("2026-07-05 04:00")
    assert markets.day_close_utc(date(2026, 7, 4), "Pacific/Rarotonga") == D("2026-07-05 10:00")
    ny, note = markets.holiday_calendar("America/New_York", [2026])
    assert date(2026, 7, 3) in set(ny["date"]) and "US-NY" in note    # July 4th observed on Friday
    ck, note = markets.holiday_calendar("Pacific/Rarotonga", [2026])
    assert date(2026, 8, 4) in set(ck["date"])                       # Constitution Day
    empty, note = markets.holiday_calendar("Mars/Olympus", [2026])
    assert empty.empty and "unknown" in note


def test_holiday_fallback_when_the_library_lacks_a_country(monkeypatch):
    real = markets.holidays.country_holidays

    def without_ck(country, subdiv=None, years=None):
        if country == "CK":
            raise NotImplementedError(country)
        return real(country, subdiv=subdiv, years=years)
    monkeypatch.setattr(markets.holidays, "country_holidays", without_ck)
    cal, note = markets.holiday_calendar("Pacific/Rarotonga", [2026])
    assert "using NZ" in note and set(cal["calendar"]) == {"NZ"}
    assert date(2026, 2, 6) in set(cal["date"])                       # Waitangi Day


def test_coarser_buckets_equal_the_narrower_query():
    """Width-5 buckets summed to width 3, and to width 4 inside two width-3 buckets; a short
    order_no is its own bucket at every width, as RIGHT() gives it."""
    wide = pd.DataFrame({"bucket": ["00012", "10012", "00013", "99", ""], "n": [1, 2, 3, 4, 5],
                         "cents": [10, 20, 30, 40, 50]})
    assert reconcile.coarser(wide, 3).values.tolist() == [["", 5, 50], ["012", 3, 30], ["013", 3, 30], ["99", 4, 40]]
    assert reconcile.coarser(wide, 4, ["012", "99"]).values.tolist() == [["0012", 3, 30], ["99", 4, 40]]
