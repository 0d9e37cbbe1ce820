"""Machine status history for step 'iot': planted outages and the status log an IoT platform keeps.

An IoT platform (AWS IoT Core lifecycle events, Azure IoT Hub connection state) records each
machine's connection changes: a machine sends a heartbeat every minute; after three missed beats
the platform logs it offline (HB-LOST, as in the report's t_device_event) and logs it online again
when beats resume (HB-RESTORED). `t_device_status_log` holds those transitions, one row per change,
plus a REGISTERED row when the machine is installed; uptime over any window follows from it.

Planted: outages of store machines, most of 5 minutes to 2 hours, a few of 4 to 30 hours (never
on a store's first coffee machine, a degraded one, one that later goes offline for good or a
training-lab one; never overlapping and
over by the end of the data). While a machine is out the store's orders go to its other machines
(`production._assign_devices` asks `down`). Truth: `iot.outages` [{device_no, start, end}] (UTC
ISO, the log's offline and online times) and `iot.degraded_onset` {device_no: store-local date}.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lucky.demo.gen.production import END_S, to_dt, with_ids
from lucky.demo.world import TENANT, World
from lucky.models.timezones import to_local

DAY = 86400.0
MISSED_BEATS_S = 180.0  # three missed one-minute heartbeats before the platform logs HB-LOST


def plant(world: World, h: pd.DataFrame) -> pd.DataFrame:
    """Pick the outages (frame `device_outages`: device, start_s, end_s) and record the truth."""
    rng = world.rng("iot.status")
    ok = (np.isinf(h["onset_s"].to_numpy()) & np.isinf(h["off_s"].to_numpy()) & (h["rank"].to_numpy() != 99)
          & ~(h["makes_cups"].to_numpy() & (h["rank"].to_numpy() == 0)))
    lo = h["install_s"].to_numpy() + DAY
    hi = np.minimum(h["off_s"].to_numpy(), END_S) - 2 * DAY
    life = np.where(ok, np.maximum(hi - lo, 0), 0)
    k = rng.poisson(life / DAY / 40)
    dev = np.repeat(np.arange(len(h)), k)
    start = lo[dev] + rng.random(len(dev)) * life[dev]
    long_ = rng.random(len(dev)) < 0.12
    dur = np.where(long_, rng.uniform(4, 30, len(dev)) * 3600,
                   np.clip(rng.lognormal(np.log(25 * 60), 0.8, len(dev)), 300, 7200))
    start = np.floor(start)
    end = np.minimum(np.floor(start + dur), hi[dev] + DAY)
    o = pd.DataFrame({"device": dev, "start_s": start, "end_s": end}).sort_values(["device", "start_s"])
    prev_end = o.groupby("device")["end_s"].shift().fillna(-np.inf)
    o = o[(o["start_s"] > prev_end + 600) & (o["end_s"] > o["start_s"])].reset_index(drop=True)
    world.frames["device_outages"] = o
    nos = h["device_no"].to_numpy()
    iso = lambda s: pd.Timestamp(s, unit="s").strftime("%Y-%m-%dT%H:%M:%S")  # noqa: E731
    world.truth["iot"]["outages"] = [{"device_no": nos[d], "start": iso(a), "end": iso(b)}
                                     for d, a, b in zip(o["device"], o["start_s"], o["end_s"])]
    deg = np.flatnonzero(np.isfinite(h["onset_s"].to_numpy()))
    zones = pd.Series(h["shop_id"].to_numpy()[deg]).map(world.shops.set_index("id")["time_zone"])
    local = to_local(to_dt(h["onset_s"].to_numpy()[deg]), zones)
    world.truth["iot"]["degraded_onset"] = {nos[d]: day.strftime("%Y-%m-%d") for d, day in zip(deg, local)}
    return o


def down(world: World, dev: np.ndarray, t: np.ndarray) -> np.ndarray:
    """True where machine `dev` (index into device_health) is in a planted outage at time `t`."""
    o = world.frames.get("device_outages")
    if o is None or o.empty:
        return np.zeros(len(t), bool)
    key = o["device"].to_numpy(float) * 1e10 + o["start_s"].to_numpy(float)  # sorted by device, start
    i = np.searchsorted(key, np.asarray(dev, float) * 1e10 + t, side="right") - 1
    j = np.maximum(i, 0)
    return (i >= 0) & (o["device"].to_numpy()[j] == dev) & (t < o["end_s"].to_numpy()[j])


def status_log(world: World, h: pd.DataFrame) -> pd.DataFrame:
    """t_device_status_log: REGISTERED at install, HB-LOST / HB-RESTORED around every outage,
    HB-LOST when a machine went offline for good."""
    o = world.frames.get("device_outages", pd.DataFrame(columns=["device", "start_s", "end_s"]))
    n = len(h)
    off = np.flatnonzero(np.isfinite(h["off_s"].to_numpy()))
    dev = np.r_[np.arange(n), o["device"].to_numpy(int), o["device"].to_numpy(int), off].astype(int)
    t = np.r_[np.floor(h["install_s"].to_numpy()), o["start_s"].to_numpy(float), o["end_s"].to_numpy(float),
              np.floor(h["off_s"].to_numpy()[off])]
    kind = np.r_[np.zeros(n), np.ones(len(o)), np.full(len(o), 2), np.ones(len(off))].astype(int)
    order = np.lexsort((kind, t))
    dev, t, kind = dev[order], t[order], kind[order]
    beat = np.where(kind == 1, t - MISSED_BEATS_S, t)
    return with_ids(pd.DataFrame({
        "tenant": TENANT, "device_no": h["device_no"].to_numpy()[dev], "shop_id": h["shop_id"].to_numpy()[dev],
        "status": np.where(kind == 1, 0, 1).astype("int16"),
        "event_code": np.asarray(["REGISTERED", "HB-LOST", "HB-RESTORED"], object)[kind],
        "last_heartbeat_time": to_dt(beat), "create_time": to_dt(t), "update_time": to_dt(t)}))
