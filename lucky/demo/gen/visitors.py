"""App visitors who never register, for t_user_event_track (issue 14, Tool 6), called from the crm step.

A product-analytics SDK tracks an install from its first launch, long before (or without) a
sign-up: each install gets an `anonymous_id` (MODELLED column) and a visitor who never registers
leaves an `app_open` with no user_no. Visitors are drawn as twins of a tracked registered
visitor of the same acquisition channel: same platform and utm_source (the ad or store listing
that brought them), their launch within days of the twin's (NOISE_DAYS), so the never-registered
follow the registrations' mix over time. VISITORS_PER_SIGNUP[group] per registered visitor on
average (Poisson), group = the registration origin grouped as the crm step's UTM (1 Android, 2
iOS, 3 delivery, 0 other): the planted registration rate of app opens is 1 / (1 + that).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: never-registering visitors per registered one, by origin group (rates 45%, 38%, 30%, 22%)
VISITORS_PER_SIGNUP = {2: 0.55 / 0.45, 1: 0.62 / 0.38, 3: 0.70 / 0.30, 0: 0.78 / 0.22}
NOISE_DAYS = 3.0


def per_signup(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """How many never-registering twins each registered visitor (origin group) gets."""
    lam = np.select([group == g for g in VISITORS_PER_SIGNUP], list(VISITORS_PER_SIGNUP.values()), 0.0)
    return rng.poisson(lam)


def launches(rng: np.random.Generator, twin_opened: np.ndarray, floor: int, ceiling: int) -> np.ndarray:
    """Launch instants (Unix seconds) of the visitors, near their twins' (normal, NOISE_DAYS),
    reflected at the data's first launch and the snapshot (no pile-up at either edge)."""
    t = twin_opened + rng.normal(0.0, NOISE_DAYS * 86_400, len(twin_opened))
    t = np.where(t < floor, 2 * floor - t, t)
    t = np.where(t > ceiling, 2 * ceiling - t, t)
    return np.clip(t, floor, ceiling).astype(np.int64)


def anonymous_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n install ids as an SDK makes them (32 random hex digits)."""
    hi, lo = rng.integers(0, np.iinfo(np.int64).max, (2, n), dtype=np.int64)
    return np.char.add(np.char.mod("%016x", hi), np.char.mod("%016x", lo)).astype(object)


def funnel_truth(channel: pd.Series, registered: np.ndarray) -> dict[str, dict[str, int]]:
    """Per channel name: visitors who opened the app and those of them who registered."""
    counts = pd.DataFrame({"channel": channel.to_numpy(), "reg": registered.astype(int)}).groupby("channel")["reg"]
    return {str(ch): {"app_open": int(n), "registration": int(r)}
            for ch, n, r in zip(counts.size().index, counts.size(), counts.sum(), strict=True)}
