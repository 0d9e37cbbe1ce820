"""Erlang C for the bar: how many baristas keep the wait for a drink start short.

Anchors: offered load A = λ·AHT (Erlangs), the probability an order waits
C(c, A) = (A^c / c! · c/(c − A)) / (Σ_{k<c} A^k/k! + A^c/c! · c/(c − A)), the mean wait
Wq = C·AHT/(c − A), and the service level SL(t) = 1 − C·e^(−(c − A)·t/AHT): the share of orders
whose making starts within t seconds. With c ≤ A the queue grows without bound (C = 1, SL = 0).

Pure functions, vectorised over store-hours with numpy; `required_staff` is the smallest c that
meets the target service level, never below `minimum` (fixed positions: someone at the bar and
someone on the pass while a store is open).
"""
from __future__ import annotations

import math

import numpy as np

TARGET_SL = 0.80        # 80% of orders start within...
TARGET_SECONDS = 60.0   # ...60 seconds (the default target; changeable)
MAX_STAFF = 40


def erlang_c(c: int, a: float) -> float:
    """Probability an arrival waits with c servers and offered load a (Erlangs)."""
    if a <= 0:
        return 0.0
    if c <= a:
        return 1.0
    # Erlang B by the stable recursion, then C = B / (1 − (a/c)(1 − B))
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b / (1 - (a / c) * (1 - b))


def service_level(c: int, orders_per_hour: float, service_s: float, target_s: float = TARGET_SECONDS) -> float:
    """Share of orders whose making starts within target_s with c baristas."""
    if orders_per_hour <= 0:
        return 1.0
    a = orders_per_hour * service_s / 3600.0
    if c <= a:
        return 0.0
    return 1.0 - erlang_c(c, a) * math.exp(-(c - a) * target_s / service_s)


def mean_wait_s(c: int, orders_per_hour: float, service_s: float) -> float:
    """Mean wait before making starts (seconds); inf when c ≤ A."""
    a = orders_per_hour * service_s / 3600.0
    if a <= 0:
        return 0.0
    if c <= a:
        return math.inf
    return erlang_c(c, a) * service_s / (c - a)


def required_staff(orders_per_hour, service_s, target_sl: float = TARGET_SL,
                   target_s: float = TARGET_SECONDS, minimum: int = 1) -> np.ndarray:
    """Smallest c ≥ minimum with service_level(c) ≥ target_sl, per element (0 where no orders
    and minimum is 0), at most MAX_STAFF. NaN service times count as no information: the minimum.
    All elements at once: the Erlang B recursion steps c = 1, 2, ... over the whole array."""
    lam = np.atleast_1d(np.asarray(orders_per_hour, float))
    aht = np.broadcast_to(np.atleast_1d(np.asarray(service_s, float)), lam.shape)
    busy = (lam > 0) & (aht > 0)
    a = np.where(busy, lam * np.where(busy, aht, 1.0) / 3600.0, 0.0)
    first = np.where(busy, np.maximum(minimum, np.floor(a) + 1), minimum).astype(int)
    out = np.where(busy, np.maximum(first, MAX_STAFF), minimum).astype(int)   # not met below MAX_STAFF
    todo = busy.copy()
    b = np.ones(lam.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for c in range(1, MAX_STAFF):
            b = a * b / (c + a * b)
            if c < first.min(initial=MAX_STAFF) or not todo.any():
                continue
            erl_c = b / (1 - (a / c) * (1 - b))
            sl = np.where(c > a, 1.0 - erl_c * np.exp(-(c - a) * target_s / np.where(busy, aht, 1.0)), 0.0)
            done = todo & (c >= first) & (sl >= target_sl)
            out[done] = c
            todo &= ~done
    return out
