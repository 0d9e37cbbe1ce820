"""Hand-worked examples for the shared models every tool leans on: the one definition of a day
(timezones), quantiles from log-bucket histograms, and the §2.4 data-quality rules."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from lucky.models import quality, timezones
from lucky.models.histogram import histogram_quantile

NY, RARO = "America/New_York", "Pacific/Rarotonga"


# ------------------------------------------------------------------ timezones
def test_business_day_follows_each_stores_zone_and_dst():
    ts = pd.Series(pd.to_datetime(["2026-02-14 04:30", "2026-02-14 04:30", "2025-07-01 03:30",
                                   "2026-02-14 09:00", "2026-02-14 09:00"]))
    zones = pd.Series([NY, RARO, NY, None, "Mars/Olympus_Mons"])
    day = timezones.business_day(ts, zones)
    assert day[0] == pd.Timestamp("2026-02-13")      # 04:30 UTC = 23:30 EST the day before
    assert day[1] == pd.Timestamp("2026-02-13")      # UTC-10: 18:30 the day before
    assert day[2] == pd.Timestamp("2025-06-30")      # EDT (UTC-4): 23:30 on June 30
    assert pd.isna(day[3]) and pd.isna(day[4])       # NULL or unknown zone: no guess


def test_localize_adds_local_time_and_business_date_per_shop():
    shops = pd.DataFrame({"shop_id": [1, 2], "time_zone": [NY, RARO]})
    rows = pd.DataFrame({"shop_id": [1, 2], "utc_time": pd.to_datetime(["2026-02-14 15:00"] * 2)})
    out = timezones.localize(rows, shops)
    assert list(out["local_time"]) == [pd.Timestamp("2026-02-14 10:00"), pd.Timestamp("2026-02-14 05:00")]
    assert list(out["business_date"]) == [pd.Timestamp("2026-02-14")] * 2


def test_midnight_hours_are_the_utc_hours_local_days_start():
    # New York midnight is 05:00 UTC in winter and 04:00 in summer; Rarotonga's is 10:00
    assert timezones.midnight_hours([NY, RARO], "2025-06-30", "2026-02-14") == [0, 4, 5, 10]
    assert timezones.midnight_hours([RARO, None, "nowhere"]) == [0, 10]


def test_utc_bounds_cover_every_zone_and_in_days_keeps_the_inclusive_range():
    lo, hi = timezones.utc_bounds("2026-02-01", "2026-02-14")
    assert lo == pd.Timestamp("2026-01-31 09:00") and hi == pd.Timestamp("2026-02-15 15:00")
    df = pd.DataFrame({"business_date": pd.to_datetime(["2026-01-31", "2026-02-01", "2026-02-14", "2026-02-15"])})
    kept = timezones.in_days(df, pd.Timestamp("2026-02-01").date(), pd.Timestamp("2026-02-14").date())
    assert list(kept["business_date"].dt.day) == [1, 14]
    assert len(timezones.in_days(df, None, None)) == 4


def test_known_zone():
    assert timezones.known_zone(NY) and not timezones.known_zone("") and not timezones.known_zone(None)
    assert not timezones.known_zone("Not/AZone")


# ------------------------------------------------------------------ histogram quantiles
def test_histogram_quantile_interpolates_geometrically_inside_the_bucket():
    k = 10                                   # buckets per e: bucket b covers log(1+s) in [b/k, (b+1)/k)
    hist = pd.DataFrame({"shop_id": [1, 1, 1], "date": ["d"] * 3, "bucket": [50, 51, 52], "n": [2, 4, 4]})
    # median: cumulative 2, 6, 10 -> crosses 5 in bucket 51, 3 of its 4 -> log(1+s) = (51 + 0.75) / 10
    p50 = histogram_quantile(hist, 0.5, k).iloc[0]
    assert p50 == pytest.approx(math.exp(5.175) - 1)
    # p100 lands at the top edge of the last bucket
    assert histogram_quantile(hist, 1.0, k).iloc[0] == pytest.approx(math.exp(5.3) - 1)


def test_histogram_quantile_per_store_day():
    hist = pd.DataFrame({"shop_id": [1, 2], "date": ["d", "d"], "bucket": [40, 60], "n": [5, 5]})
    q = histogram_quantile(hist, 0.5, 10)
    assert q.loc[(1, "d")] == pytest.approx(math.exp(4.05) - 1)
    assert q.loc[(2, "d")] == pytest.approx(math.exp(6.05) - 1)


# ------------------------------------------------------------------ data-quality rules
def _counts(*rows: int) -> pd.DataFrame:
    return pd.DataFrame({"table_name": [f"t{i}" for i in range(len(rows))], "row_count": list(rows)})


def test_empty_tax_is_critical_until_the_tables_fill():
    assert quality.empty_tax(_counts(0, 0, 0)).severity == "CRITICAL"
    partial = quality.empty_tax(_counts(0, 5, 0))
    assert partial.severity == "HIGH" and partial.measured == 2 and "t0, t2" in partial.details
    assert quality.empty_tax(_counts(3, 5)).severity == "OK"


def test_null_geo_counts_only_shops_with_an_address():
    shops = pd.DataFrame({"address": ["1 Main St", "2 Main St", None],
                          "country_name": [None, "US", None], "administrative_area_name": [None, "NY", None],
                          "locality_name": [None, "New York", None]})
    f = quality.null_geo(shops)
    assert f.severity == "MEDIUM" and f.measured == pytest.approx(0.5)
    all_null = shops.assign(country_name=None, administrative_area_name=None, locality_name=None)
    assert quality.null_geo(all_null).severity == "HIGH"


def test_nzd_share_is_the_share_of_completed_orders():
    per_store = pd.DataFrame({"shop_id": [1, 2, 3], "currency_code": ["USD", "NZD", "NZD"],
                              "orders": [950, 30, 20], "revenue": [4500.0, 100.0, 50.0]})
    shops = pd.DataFrame({"shop_id": [1, 2, 3], "test_flag": [0, 1, 0]})
    f = quality.nzd_share(per_store, shops)
    assert f.severity == "MEDIUM" and f.measured == pytest.approx(0.05)
    assert "50 NZD" in f.details and "NZ$150" in f.details and "1 flagged as test" in f.details
    assert quality.nzd_share(per_store[per_store["currency_code"] == "USD"], shops).severity == "OK"


def test_delivery_address_coverage_thresholds():
    by_type = pd.DataFrame({"order_type": [1, 2], "orders": [900, 100]})
    assert quality.missing_delivery_addresses(by_type, 0).severity == "MEDIUM"      # 0% < 50%
    assert quality.missing_delivery_addresses(by_type, 60).severity == "LOW"        # 60%
    assert quality.missing_delivery_addresses(by_type, 99).severity == "OK"         # 99%
    assert quality.missing_delivery_addresses(by_type[by_type["order_type"] == 1], 0).severity == "OK"


def test_production_outliers_report_negative_and_longest():
    out = pd.DataFrame({"accept_time": pd.to_datetime(["2026-02-01 08:00", "2026-02-01 09:00"]),
                        "done_time": pd.to_datetime(["2026-02-01 10:44", "2026-02-01 08:59"])})
    f = quality.production_outliers(out, 1000, 3600)
    assert f.severity == "LOW" and f.measured == 9840 and "end before they start (1)" in f.details
    assert quality.production_outliers(out.iloc[:0], 1000, 3600).severity == "OK"


def test_duplicate_spu_and_findings_order():
    dupes = pd.DataFrame({"spu_code": ["A", "B"], "n_rows": [2, 3], "statuses": [2, 1]})
    dup = quality.duplicate_spu(dupes)
    assert dup.severity == "LOW" and "(1 with different statuses" in dup.details
    frame = quality.findings_frame([dup, quality.empty_loyalty(_counts(0, 0)), quality.empty_tax(_counts(0)),
                                    quality.unavailable("x", "X", "db", "down"), quality.empty_loyalty(_counts(4))])
    assert list(frame["severity"]) == ["CRITICAL", "MEDIUM", "LOW", "UNKNOWN", "OK"]
    assert list(frame["status"]) == ["fail", "fail", "fail", "unknown", "pass"]
    assert np.isnan(frame.loc[frame["severity"] == "UNKNOWN", "measured"].iloc[0])


def test_on_business_days_places_parts_rows_and_zone_groups_then_trims():
    """The one date-window path: day parts, UTC timestamps and zone-grouped rows all land on the
    store-local day; a shop without a usable zone falls on its UTC day, never out of the total."""
    shops = pd.DataFrame({"shop_id": [1, 2, 3], "time_zone": [NY, RARO, None]})
    parts = pd.DataFrame({"shop_id": [1, 1, 2, 3], "utc_day": pd.to_datetime(["2026-02-01"] * 3 + ["2026-02-02"]),
                          "part": [0, 5, 10, 0], "orders": [1, 2, 3, 4]})
    placed = timezones.on_business_days(parts, shops, None, None)
    assert [d.day for d in placed["business_date"]] == [31, 1, 1, 2]   # NY 00:00 UTC is Jan 31 19:00
    kept = timezones.on_business_days(parts, shops, pd.Timestamp("2026-02-01").date(), pd.Timestamp("2026-02-01").date())
    assert list(kept["orders"]) == [2, 3]
    rows = pd.DataFrame({"shop_id": [1], "t": pd.to_datetime(["2026-02-14 04:30"])})
    one = timezones.on_business_days(rows, shops, None, None, ts_col="t")
    assert one["local_time"].iloc[0] == pd.Timestamp("2026-02-13 23:30") and one["business_date"].iloc[0].day == 13
    zoned = pd.DataFrame({"zone_ix": [0, 1, -1], "utc_day": pd.to_datetime(["2026-02-01"] * 3), "part": [4, 4, 4]})
    z = timezones.on_business_days(zoned, shops, None, None, zone_names=[NY, RARO])
    assert [d.day for d in z["business_date"]] == [31, 31, 1]


def test_zone_windows_are_exact_local_days_per_zone():
    shops = pd.DataFrame({"shop_id": [1, 2, 3], "time_zone": [NY, NY, "Mars/Olympus"]})
    windows = {w[0]: w[1:] for w in timezones.zone_windows(shops, pd.Timestamp("2026-02-01").date(),
                                                           pd.Timestamp("2026-02-14").date())}
    assert windows[(1, 2)] == (datetime(2026, 2, 1, 5), datetime(2026, 2, 15, 5))
    assert windows[(3,)] == (datetime(2026, 1, 31, 9), datetime(2026, 2, 15, 15))
