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
    and minimum is 0). NaN service times count as no information: the minimum."""
    lam = np.atleast_1d(np.asarray(orders_per_hour, float))
    aht = np.broadcast_to(np.atleast_1d(np.asarray(service_s, float)), lam.shape)
    out = np.empty(lam.shape, dtype=int)
    for i, (l, s) in enumerate(zip(lam, aht)):
        if not (l > 0) or not (s > 0):
            out[i] = minimum
            continue
        c = max(minimum, int(math.floor(l * s / 3600.0)) + 1)
        while c < MAX_STAFF and service_level(c, l, s, target_s) < target_sl:
            c += 1
        out[i] = c
    return out
