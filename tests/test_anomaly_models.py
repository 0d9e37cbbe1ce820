"""The anomaly engine on synthetic series whose answer is known by construction."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lucky.models import anomaly, baselines

DAYS = pd.date_range("2025-09-01", "2026-01-31", freq="D")
WEEKDAY = np.array([1.0, 1.05, 1.0, 1.02, 0.95, 0.45, 0.4])   # Mon..Sun


def orders_frame(seed: int = 0, shops: int = 5, base: float = 300.0, ramp_shop: int | None = 4) -> pd.DataFrame:
    """Orders per store-day with weekday seasonality, Poisson noise and one ramping store."""
    rng = np.random.default_rng(seed)
    rows = []
    for shop in range(1, shops + 1):
        for i, d in enumerate(DAYS):
            level = base * (0.5 + 0.2 * shop)
            if shop == ramp_shop:
                if i < 60:
                    continue                           # opens on day 60
                level *= min(1.0, 0.3 + 0.7 * (i - 60) / 40)  # ramps up over 40 days
            placed = rng.poisson(level * WEEKDAY[d.weekday()])
            refunded = rng.binomial(placed, 0.01)
            cancelled = rng.binomial(placed, 0.03)
            orders = placed - refunded - cancelled
            rows.append((shop, d, placed, orders, orders * rng.normal(4.7, 0.05), cancelled, refunded))
    df = pd.DataFrame(rows, columns=["shop_id", "date", "placed", "orders", "revenue", "cancelled", "refunded"])
    return df.astype({c: float for c in ("placed", "orders", "revenue", "cancelled", "refunded")})


def warnings(found: pd.DataFrame) -> pd.DataFrame:
    return found[found["severity"] != "Info"]


def test_weekday_pattern_and_ramp_give_no_warnings():
    found = anomaly.detect({"orders": orders_frame()})
    assert len(warnings(found)) <= 2, warnings(found)


def test_collapse_is_found_on_its_store_day():
    df = orders_frame()
    hit = (df["shop_id"] == 2) & (df["date"] == pd.Timestamp("2025-12-10"))
    df.loc[hit, ["placed", "orders", "revenue"]] = df.loc[hit, ["placed", "orders", "revenue"]] * 0.2
    found = warnings(anomaly.detect({"orders": df}))
    row = found[(found["shop_id"] == 2) & (found["date"] == pd.Timestamp("2025-12-10").date())]
    assert "orders" in set(row["metric"])
    assert row.loc[row["metric"] == "orders", "severity"].iloc[0] == "Critical"
    # revenue follows orders: context, not a second alarm
    assert "revenue" not in set(row["metric"])


def test_day_with_no_orders_is_a_collapse_not_an_error():
    df = orders_frame()
    df = df[~((df["shop_id"] == 3) & (df["date"] == pd.Timestamp("2026-01-14")))]
    found = warnings(anomaly.detect({"orders": df}))
    row = found[(found["shop_id"] == 3) & (found["metric"] == "orders")]
    assert pd.Timestamp("2026-01-14").date() in set(row["date"])
    assert "0 orders" in row["explanation"].iloc[0]


def test_refund_spike():
    df = orders_frame()
    hit = (df["shop_id"] == 1) & (df["date"] == pd.Timestamp("2026-01-20"))
    df.loc[hit, "refunded"] = (df.loc[hit, "placed"] * 0.12).round()
    found = warnings(anomaly.detect({"orders": df}))
    assert ((found["shop_id"] == 1) & (found["metric"] == "refund_rate")
            & (found["date"] == pd.Timestamp("2026-01-20").date())).any()


def test_store_opened_yesterday_is_not_judged():
    df = orders_frame()
    new = pd.DataFrame({"shop_id": [9], "date": [DAYS[-1]], "placed": [3], "orders": [3],
                        "revenue": [12.0], "cancelled": [0], "refunded": [0]})
    found = anomaly.detect({"orders": pd.concat([df, new])})
    assert 9 not in set(found["shop_id"].dropna())


def test_fee_jump_on_one_channel_chain_wide():
    rng = np.random.default_rng(1)
    rows = []
    for d in DAYS:
        for shop in (1, 2, 3):
            for ch, rate in ((1, 0.027), (2, 0.029)):
                amount = rng.integers(40000, 60000)
                r = rate + (0.006 if ch == 2 and d >= pd.Timestamp("2026-01-05") else 0)
                rows.append((shop, d, ch, 120, amount, int(amount * r + 120 * 5)))
    fees = pd.DataFrame(rows, columns=["shop_id", "date", "channel_id", "trades", "amount_cents", "fee_cents"])
    found = warnings(anomaly.detect({"fees": fees}))
    chain = found[found["shop_id"].isna()]
    assert pd.Timestamp("2026-01-05").date() in set(chain["date"])
    assert set(chain["dimension"]) == {"channel 2"}
    assert found["shop_id"].notna().sum() == 0   # per-store echoes are context


def test_production_impossible_durations_and_incident_root_cause():
    rng = np.random.default_rng(2)
    rows = []
    for d in DAYS:
        for shop in (1, 2):
            n = int(rng.poisson(250))
            rows.append((shop, d, n, rng.normal(180, 5), rng.normal(420, 15), int(rng.poisson(0.2))))
    prod = pd.DataFrame(rows, columns=["shop_id", "date", "n", "p50", "p95", "impossible"])
    hit = (prod["shop_id"] == 2) & (prod["date"] == pd.Timestamp("2025-11-11"))
    prod.loc[hit, "impossible"] = 25
    found = anomaly.detect({"production": prod})
    flagged = warnings(found)
    assert ((flagged["shop_id"] == 2) & (flagged["metric"] == "production_time")
            & (flagged["date"] == pd.Timestamp("2025-11-11").date())).any()
    inc = anomaly.incidents(found)
    assert "impossible" in inc.iloc[0]["root_cause"] or "production" in inc.iloc[0]["root_cause"]


def test_root_cause_chain_device_production_orders():
    cause, steps = anomaly.root_cause({"cups_per_hour", "production_time", "orders"})
    assert cause.startswith("a machine slowing down -> production time up -> orders down")
    assert "maintenance" in steps


def test_dismissal_sensitivity_raises_the_bar():
    df = orders_frame()
    hit = (df["shop_id"] == 2) & (df["date"] == pd.Timestamp("2025-12-10"))
    df.loc[hit, ["placed", "orders", "revenue"]] = (df.loc[hit, ["placed", "orders", "revenue"]] * 0.2).round()
    base = anomaly.detect({"orders": df})
    row = base[(base["shop_id"] == 2) & (base["metric"] == "orders") & (base["date"] == pd.Timestamp("2025-12-10").date())]
    score = row["score"].iloc[0]
    assert row["severity"].iloc[0] != "Info"
    damped = anomaly.detect({"orders": df}, sensitivity={(2, "orders"): score / anomaly.SPECS["orders"].warn + 0.5})
    row = damped[(damped["shop_id"] == 2) & (damped["metric"] == "orders") & (damped["date"] == pd.Timestamp("2025-12-10").date())]
    assert row["severity"].iloc[0] == "Info"


def test_seasonal_baseline_hand_worked():
    # a flat weekly pattern: expected equals the value once 8 weeks exist
    s = pd.Series(np.tile([10.0, 10, 10, 10, 10, 4, 4], 10), index=pd.date_range("2025-01-06", periods=70))
    b = baselines.seasonal(s).series()
    assert b["expected"].iloc[-1] == pytest.approx(4.0)
    assert b["expected"].iloc[-3] == pytest.approx(10.0)
    assert b["history"].iloc[-1] == 69   # calendar days since the first observation


def test_rate_baseline_shrinks_small_stores_to_chain_rate():
    idx = pd.date_range("2025-01-01", periods=40)
    b = baselines.rate_baseline(pd.Series(0.0, index=idx), pd.Series(2.0, index=idx), prior_rate=0.05).series()
    # 56 trials of history with zero events against a prior weight of 200 at 5% (+ half an event)
    assert b["expected"].iloc[-1] == pytest.approx((0.05 * 200 + 0.5) / (200 + 56 + 1), rel=1e-6)


def test_pricing_baseline_ignores_ticket_mix_and_sees_a_price_change():
    rng = np.random.default_rng(5)
    idx = pd.date_range("2025-10-01", periods=60)
    n = pd.Series(rng.integers(1, 6, 60), index=idx).astype(float)
    amount = n * pd.Series(rng.uniform(300, 900, 60), index=idx)        # the mix moves a lot
    fee = (0.029 * amount + 30 * n).round()
    fee.iloc[-1] = round(0.039 * amount.iloc[-1] + 50 * n.iloc[-1])   # 3.9% + 50c on the last day
    b = baselines.pricing_baseline(amount, n, fee).series()
    assert b["z"].iloc[20:-1].abs().max() < 2
    assert b["z"].iloc[-1] > 10
    assert b["expected"].iloc[-1] == pytest.approx((0.029 * amount.iloc[-1] + 30 * n.iloc[-1]) / amount.iloc[-1], rel=0.02)


def test_count_baseline_is_on_the_poisson_scale():
    idx = pd.date_range("2025-10-01", periods=70)
    b = baselines.count_baseline(pd.Series(4.0, index=idx)).series()
    # a flat 4 a day: the spread is the Poisson unit, 0 orders is 2*(sqrt(4.375)-sqrt(0.375)) below
    assert b["expected"].iloc[-1] == pytest.approx(4.0)
    low = baselines.count_baseline(pd.Series([4.0] * 69 + [0.0], index=idx)).series()
    assert low["z"].iloc[-1] == pytest.approx(-2 * (np.sqrt(4.375) - np.sqrt(0.375)))


def test_inventory_shrink_on_a_young_store_uses_the_chain_ratio():
    rng = np.random.default_rng(3)
    rows = []
    for d in DAYS:
        for shop in (1, 2):
            if shop == 2 and d < DAYS[-5]:
                continue                                   # store 2 opened five days ago
            for g in range(8):
                implied = rng.uniform(100, 1000)
                ratio = 1 + rng.normal(0, 0.008)
                if shop == 2 and d == DAYS[-2] and g < 6:
                    ratio = 1.3
                rows.append((shop, d, f"G{g}", implied * ratio, implied))
    usage = pd.DataFrame(rows, columns=["shop_id", "date", "goods_code", "consumed", "implied"])
    found = warnings(anomaly.detect({"usage": usage}))
    assert list(zip(found["shop_id"], found["date"], found["metric"])) == [(2, DAYS[-2].date(), "inventory_shrink")]


def test_root_cause_follows_the_worst_metric_not_a_side_signal():
    # a production failure with a fee blip beside it: the fee rule comes first in the list,
    # but the incident's lead metric is production_time
    cause, _ = anomaly.root_cause({"production_time", "fee_rate"}, lead="production_time")
    assert "production" in cause and "processor" not in cause
    assert "processor" in anomaly.root_cause({"production_time", "fee_rate"}, lead="fee_rate")[0]


def test_a_few_empty_busy_hours_are_an_outage_the_daily_total_hides():
    days = pd.date_range("2025-11-05", periods=5, freq="7D")          # five Wednesdays
    busy = {h: 30 for h in range(7, 19)}                             # 360 orders a day
    rows = [{"shop_id": 7, "date": d, "hour": h, "orders": n} for d in days for h, n in busy.items()]
    hit = days[-1]
    rows = [r for r in rows if not (r["date"] == hit and r["hour"] in (11, 12, 13))]   # 90 orders gone
    found = anomaly.detect({"hours": pd.DataFrame(rows)})
    out = found[found["metric"] == "outage"]
    assert len(out) == 1 and out["severity"].iloc[0] == "Critical"
    row = out.iloc[0]
    assert row["date"] == hit.date() and row["dimension"] == "11:00–14:00" and row["expected"] == 90
    assert row["score"] == pytest.approx(2 * (math.sqrt(90.375) - math.sqrt(0.375)), abs=0.01)
    assert "no orders from 11:00 to 14:00" in row["explanation"]
    assert anomaly.root_cause({"outage"}, "outage")[0].startswith("ordering stopped for part of the day")


def test_an_outage_inside_a_whole_day_collapse_is_context():
    anoms = pd.DataFrame({"shop_id": [7, 7], "date": ["2025-12-03"] * 2, "metric": ["orders", "outage"],
                          "severity": ["Critical", "Critical"], "explanation": ["x", "y"]})
    out = anomaly.demote_followers(anoms)
    assert list(out["severity"]) == ["Critical", "Info"]


def test_past_median_is_the_median_of_the_days_before():
    """By hand: day 2 sees days 0-1 (1, 5): 3; day 3 sees 1, 5, 3: 3; day 4 sees 5, 3 and a
    missing day: 4; with min_periods 2 the first two days have too few; and it equals pandas' rolling median on
    gappy data, also with a window longer than the data."""
    import numpy as np
    import pandas as pd

    from lucky.models.baselines import past_median

    x = pd.DataFrame({"a": [1.0, 5.0, 3.0, np.nan, 7.0], "b": [2.0, 2.0, np.nan, np.nan, 4.0]})
    got = past_median(x, 3, 2)
    assert got["a"].tolist()[2:] == [3.0, 3.0, 4.0]
    assert got["a"].isna().tolist()[:2] == [True, True]
    assert np.isnan(got.at[4, "b"])                  # days 1-3 hold one value of b: too few
    rng = np.random.default_rng(3)
    big = pd.DataFrame(rng.normal(size=(60, 7)))
    big[big > 1.2] = np.nan
    for days, least in ((28, 7), (7, 1), (90, 3)):
        want = big.shift(1).rolling(days, min_periods=least).median()
        pd.testing.assert_frame_equal(past_median(big, days, least), want)
    assert past_median(big.iloc[:0], 28, 7).empty
