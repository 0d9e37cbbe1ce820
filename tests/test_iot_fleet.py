"""Tool 14 (iot-fleet): the fleet models by hand, the tool against the planted truth on two seeds,
and against outages edited into the status log by hand.

Degradation needs about ten cups a machine a day to be seen, so the truth runs use scale 0.1
(`shared_build(0.1, seed)`); the session demo (0.01) serves the edits and the bad input.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from lucky import sources, tools
from lucky.core import Filters, Viewer
from lucky.models import fleet

SCALE = 0.1


# ------------------------------------------------------------------ models, worked by hand
def _ts(*values):
    return pd.to_datetime(list(values), format="ISO8601")


def test_offline_spells_and_uptime_by_hand():
    log = pd.DataFrame({"device_no": ["a", "a", "a", "a", "b", "b"], "status": [1, 0, 0, 1, 1, 0],
                        "create_time": _ts("2026-01-01 00:00", "2026-01-02 00:00", "2026-01-02 01:00",
                                           "2026-01-02 06:00", "2026-01-01 00:00", "2026-01-03 00:00")})
    spells = fleet.offline_intervals(log, pd.Timestamp("2026-01-05"))
    # a: one spell 00:00-06:00 (the second HB-LOST is inside it); b: offline from Jan 3 to the end
    assert spells.values.tolist() == [["a", pd.Timestamp("2026-01-02"), pd.Timestamp("2026-01-02 06:00")],
                                      ["b", pd.Timestamp("2026-01-03"), pd.Timestamp("2026-01-05")]]
    inst = pd.DataFrame({"device_no": ["a", "b"], "install_time": _ts("2025-01-01", "2026-01-01 12:00")})
    up = fleet.uptime(inst, spells, pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-05")).set_index("device_no")
    assert up.loc["a", "window_h"] == 96 and up.loc["a", "offline_h"] == 6
    assert up.loc["a", "uptime_pct"] == pytest.approx(100 * 90 / 96)
    # b installed at noon: 84 h window, 48 h offline
    assert up.loc["b", "uptime_pct"] == pytest.approx(100 * 36 / 84)
    hours = fleet.offline_hours(spells.iloc[:1])
    assert len(hours) == 6 and hours["utc_hour"].min() == pd.Timestamp("2026-01-02")


def test_cusum_confirms_a_persistent_drop_not_one_slow_day():
    days = pd.date_range("2026-01-01", periods=30, freq="D")
    ratio = [1.0, 1.05, 0.95] * 10
    slow = [0.1 if i == 10 else r for i, r in enumerate(ratio)]
    one_slow = pd.DataFrame({"device_no": "a", "date": days, "cups": [10 * r for r in slow], "expected": 10.0,
                             "ratio": slow})
    scored = fleet.cusum(one_slow)
    # a day's step is cups x ln 0.7 + expected x 0.3 (dispersion 1: the days swing less than chance),
    # at most 0.9 x h = 1.8; the slow day: 1 x -0.357 + 3 = 2.64, capped at 1.8 < h = 2, and days at
    # expected step down by 0.57
    assert not scored["alarm"].any() and scored["s"].max() == pytest.approx(1.8)
    low = [r if i < 20 else 0.6 for i, r in enumerate(ratio)]
    drop = pd.DataFrame({"device_no": "b", "date": days, "cups": [10 * r for r in low], "expected": 10.0,
                         "ratio": low})
    s = fleet.cusum(drop)
    # each day at 6 cups adds 6 x -0.357 + 3 = 0.860: 0.86, 1.72, 2.58 > 2 on the third low day
    assert s.loc[s["alarm"], "date"].min() == days[22]
    assert s["s"].iloc[22] == pytest.approx(3 * (6 * np.log(0.7) + 3))
    bad = fleet.degraded(s, days[-1])
    assert bad["device_no"].tolist() == ["b"] and bad["first_flagged"].iloc[0] == days[22]
    assert bad["onset"].iloc[0] == days[20]          # the excursion began on the first low day
    assert fleet.degraded(scored, days[-1]).empty


def test_first_flagged_is_when_the_alarm_still_sounding_began():
    """A chance dip alarms and falls silent without the statistic reaching zero; the real drop
    alarms later: first_flagged is the later alarm, the onset estimate the dip's start."""
    days = pd.date_range("2026-01-01", periods=30, freq="D")
    cups = [10.0] * 5 + [6.0] * 3 + [11.0] + [5.0] * 21   # dip, one good day, drop
    d = pd.DataFrame({"device_no": "c", "date": days, "cups": cups, "expected": 10.0})
    s = fleet.cusum(d.assign(ratio=d["cups"] / 10))
    # 2.58 after the dip (alarm), 11 cups step -0.92 to 1.66 (silent), 5 cups step +1.22 to 2.88
    assert s["alarm"].iloc[7] and not s["alarm"].iloc[8] and s["alarm"].iloc[9:].all()
    bad = fleet.degraded(s, days[-1])
    assert bad["first_flagged"].iloc[0] == days[9] and bad["onset"].iloc[0] == days[5]


def test_velocity_uses_the_machines_own_share():
    """Two machines share a store 50/50 for six weeks; then machine b makes a quarter of the cups."""
    rows = []
    for day in pd.date_range("2025-12-22", periods=49, freq="D"):
        b = 5 if day >= pd.Timestamp("2026-02-02") else 10
        for dev, n in (("a", 20 - b), ("b", b)):
            rows.append({"shop_id": 1, "device_no": dev, "utc_hour": day + pd.Timedelta(hours=13),
                         "date": day, "hour": 8, "cups": n})
    daily = fleet.daily_velocity(pd.DataFrame(rows), pd.DataFrame(columns=["device_no", "utc_hour"]))
    late = daily[daily["date"] >= pd.Timestamp("2026-02-02")].set_index("device_no")
    # load = 20 cups / 2 machines = 10; b's baseline share is 10/10 = 1, so expected 10, made 5
    assert late.loc["b", "ratio"].tolist() == pytest.approx([0.5] * 7)
    assert late.loc["a", "ratio"].tolist() == pytest.approx([1.5] * 7)


# ------------------------------------------------------------------ the planted truth
def _implied_uptime(truth: dict, devices: pd.DataFrame, start: date, end: date) -> dict[str, float]:
    """Uptime each device's planted outages imply over the tool's window (its own arithmetic):
    from local midnight of `start` (or the install) to local midnight after `end`."""
    out: dict[str, float] = {}
    o = pd.DataFrame(truth["iot"]["outages"])
    info = devices.set_index("device_no")
    for dev, grp in o.groupby("device_no"):
        zone = info.loc[dev, "time_zone"]
        lo, hi = (pd.Timestamp(d).tz_localize(zone).tz_convert("UTC").tz_localize(None)
                  for d in (start, end + timedelta(days=1)))
        w_lo = max(pd.Timestamp(info.loc[dev, "create_time"]), lo)
        off = sum(max((min(pd.Timestamp(e), hi) - max(pd.Timestamp(s), w_lo)).total_seconds(), 0)
                  for s, e in zip(grp["start"], grp["end"]))
        out[dev] = 100 * (1 - off / (hi - w_lo).total_seconds())
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_truth(seed, shared_build, use_demo):
    path, truth = shared_build(SCALE, seed)
    use_demo(path)
    from lucky.queries import landscape
    start, end = landscape.data_span()
    outs = [tools.execute("iot-fleet", Filters(currency=c), Viewer(), include_test=True) for c in ("USD", "NZD")]
    dev = pd.concat([o.tables["devices"] for o in outs if "devices" in o.tables]).set_index("device_no")
    alerts = pd.concat([o.tables["alerts"] for o in outs if "alerts" in o.tables])
    # every planted outage device: uptime within 1 point of what its outages imply
    t_device = sources.read("luckyus_iot_platform", "SELECT device_no, shop_id, create_time FROM luckyus_iot_platform.t_device")
    zones = sources.read("luckyus_opshop", "SELECT id AS shop_id, time_zone FROM luckyus_opshop.t_shop_info")
    t_device = t_device.merge(zones, on="shop_id")
    implied = _implied_uptime(truth, t_device, start, end)
    assert len(implied) >= 3
    for d, want in implied.items():
        assert dev.loc[d, "uptime_pct"] == pytest.approx(want, abs=1.0), d
    assert (dev.loc[list(implied), "offline_hours"] > 0).all()
    # every degraded device flagged, first flagged close to its onset; at most one false one
    deg = alerts[alerts["kind"] == "degraded"].set_index("device_no")
    planted = truth["iot"]["degraded"]
    assert set(planted) == set(truth["iot"]["degraded_onset"])
    for d in planted:
        assert d in deg.index, f"seed {seed}: degraded {d} not flagged"
        lag = (pd.Timestamp(deg.loc[d, "first_flagged"]) - pd.Timestamp(truth["iot"]["degraded_onset"][d])).days
        assert 0 <= lag <= 7, f"seed {seed}: {d} flagged {lag} days after its onset"
        assert dev.loc[d, "status"] == "degraded"
        assert dev.loc[d, "velocity_change_pct"] < -20
    assert len(set(deg.index) - set(planted)) <= 1


# ------------------------------------------------------------------ defects edited by hand
def _healthy_device() -> tuple[str, int]:
    out = tools.execute("iot-fleet", Filters(), Viewer())
    d = out.tables["devices"]
    row = d[(d["status"] == "online") & (d["uptime_pct"] == 100) & d["cups_per_open_hour"].notna()].iloc[0]
    return row["device_no"], int(row["shop_id"])


def test_edited_outage_and_offline_device_are_found(demo, edited):
    from lucky.queries import landscape
    device, shop = _healthy_device()
    start, end = landscape.data_span()
    # a 12-hour outage inside the range, and a second machine losing its heartbeat for good
    day = pd.Timestamp(end) - pd.Timedelta(days=10)
    out0 = tools.execute("iot-fleet", Filters(), Viewer()).tables["devices"]
    other = out0[(out0["device_no"] != device) & (out0["status"] == "online")].iloc[-1]
    edited(
        f"INSERT INTO luckyus_iot_platform.t_device_status_log (id, tenant, device_no, shop_id, status, event_code, "
        f"last_heartbeat_time, create_time, update_time) VALUES "
        f"(900001, 'LKUS', '{device}', {shop}, 0, 'HB-LOST', TIMESTAMP '{day:%Y-%m-%d} 13:57:00', "
        f"TIMESTAMP '{day:%Y-%m-%d} 14:00:00', TIMESTAMP '{day:%Y-%m-%d} 14:00:00'), "
        f"(900002, 'LKUS', '{device}', {shop}, 1, 'HB-RESTORED', NULL, TIMESTAMP '{day:%Y-%m-%d} 02:00:00' + INTERVAL 1 DAY, "
        f"TIMESTAMP '{day:%Y-%m-%d} 02:00:00' + INTERVAL 1 DAY), "
        f"(900003, 'LKUS', '{other['device_no']}', {int(other['shop_id'])}, 0, 'HB-LOST', NULL, "
        f"TIMESTAMP '{end:%Y-%m-%d} 15:00:00', TIMESTAMP '{end:%Y-%m-%d} 15:00:00')")
    out = tools.execute("iot-fleet", Filters(), Viewer())
    d = out.tables["devices"].set_index("device_no")
    assert d.loc[device, "offline_hours"] == pytest.approx(12.0)
    assert d.loc[device, "status"] == "online"
    assert d.loc[other["device_no"], "status"] == "offline"
    a = out.tables["alerts"]
    assert ((a["device_no"] == other["device_no"]) & (a["kind"] == "offline")).any()
    assert not ((a["device_no"] == device) & (a["kind"] == "offline")).any()


# ------------------------------------------------------------------ bad input
def test_bad_input_gives_messages_and_keeps_the_rest(demo):
    from lucky.queries import shops
    s = shops.shops()
    d = tools.execute("iot-fleet", Filters(), Viewer()).tables["devices"]
    bare = sorted(set(s.loc[s["currency_code"] == "USD", "shop_id"]) - set(d["shop_id"]))
    with_machines = int(d["shop_id"].iloc[-1])
    out = tools.execute("iot-fleet", Filters(stores=(bare[0], with_machines)), Viewer())
    assert any("No connected machines at store" in m.text for m in out.messages)
    assert set(out.tables["devices"]["shop_id"]) == {with_machines}
    out = tools.execute("iot-fleet", Filters(stores=(bare[0],)), Viewer())
    assert out.messages and not out.tables.get("devices", pd.DataFrame()).shape[0]
    out = tools.execute("iot-fleet", Filters(start=date(2024, 1, 1), end=date(2024, 2, 1)), Viewer())
    assert any("installed" in m.text for m in out.messages)
    out = tools.execute("iot-fleet", Filters(), Viewer(), device="NOPE")
    assert any("NOPE" in m.text for m in out.messages) and len(out.tables["devices"])
    dev = out.tables["devices"]["device_no"].iloc[0]
    out = tools.execute("iot-fleet", Filters(), Viewer(), device=dev)
    assert "machine-events" in out.tables and "machine-outages" in out.tables
