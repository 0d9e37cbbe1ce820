"""Receipts of supplier shipments in the stock ledger (issue 13): the link between t_ship_order_item
and the change tables' receipts.

Stores are replenished from the distribution centre: a receipt (change_type 2) carries the
store-day delivery note `DN<shop>-<yyyymmdd>`. The suppliers' direct-store shipments
(luckyus_scm_purchase) are booked in at the store's receiving slots: each arrived shipment line
(one goods of one shipment to the PO's store) is the receipt of that store × goods on the first
receiving slot on or after the shipment's arrival day (store-local; its opening day for a store
not open yet) not already taken by an
earlier shipment line of the same goods; that receipt row's `ref_no` is the shipment's `ship_no`,
and what the store booked in (the receipt's quantity, which the order-up-to rule of the ledger
set) is the line's received quantity. The supplier shipped that much, or more on a planted short
line (received = 70–95% of shipped). So the ledger's stock, stock-outs and sales stay exactly what
the stock step made them; only the reference of the receipts changes, and the purchase data take
their received quantities from the ledger (shipped vs received is computable from either side).

A line that finds no free receiving slot within MAX_WAIT_DAYS of its arrival (the store needed
none of that goods: a slow mover, a store not open yet) was left out by the supplier: shipped and
received 0, booked nowhere. Lines of shipments not arrived keep the quantities the purchase step drew.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: days a shipment line may wait for a free receiving slot of its goods; past that it was left out
MAX_WAIT_DAYS = 7


def link(L, shop: np.ndarray, goods: np.ndarray, arrive: np.ndarray, cut: np.ndarray, ship_no: np.ndarray,
         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Book shipment lines into the ledger `L` (sets `L.ship_ref`, `L.ship_nos`).

    Per line: store, goods, arrival day (datetime64, NaT if not arrived), planted short?, ship_no.
    Returns (arrived?, shipped_qty, received_qty) of every line: a line arrived but booked
    nowhere was left out of the shipment (0, 0); one not arrived is not booked (NaN)."""
    n_days = len(L.days)
    pair = pd.MultiIndex.from_frame(L.pairs).get_indexer(pd.MultiIndex.from_arrays([shop, goods]))
    day = L.days.get_indexer(pd.DatetimeIndex(arrive).normalize())
    L.ship_nos = np.asarray(ship_no, dtype=object)
    L.ship_ref = np.full(L.R.shape, -1, dtype="int32")
    slot = L.R > 0
    ok = (pair >= 0) & (day >= 0)
    day = np.where(ok, np.maximum(day, L.open_day[np.maximum(pair, 0)]), day)   # a store not open yet: at its opening
    order = np.lexsort((np.arange(len(pair)), day, pair))
    booked = np.zeros(len(pair), bool)
    at = np.full(len(pair), -1, "int64")
    free_from: dict[int, int] = {}
    for i in order[ok[order]]:
        p = int(pair[i])
        start = max(int(day[i]), free_from.get(p, 0))
        hit = np.flatnonzero(slot[p, start:min(int(day[i]) + MAX_WAIT_DAYS + 1, n_days)])
        if len(hit) == 0:
            continue
        d = start + int(hit[0])
        booked[i], at[i] = True, d
        L.ship_ref[p, d] = i
        free_from[p] = d + 1
    received = np.where(ok, 0.0, np.nan)
    received[booked] = L.R[pair[booked], at[booked]]
    share = rng.uniform(0.7, 0.95, len(pair))
    shipped = np.where(cut, np.ceil(received / share), received)
    return ok, shipped, received
