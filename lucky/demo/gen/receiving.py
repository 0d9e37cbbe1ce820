"""Receipts of supplier shipments in the stock ledger (issue 13): the link between t_ship_order_item
and the change tables' receipts.

Stores are replenished from the distribution centre: a receipt (change_type 2) carries the
store-day delivery note `DN<shop>-<yyyymmdd>`. The suppliers' direct-store shipments
(luckyus_scm_purchase) are booked in at the store's receiving slots (a receipt of at least
MIN_RECEIPT units of that store × goods). Each arrived shipment line (one goods of one shipment to
the PO's store; arrival store-local, a store not open yet at its opening) is booked at:

1. the first slot on or after its arrival day, within MAX_WAIT_DAYS, not taken by another line;
2. else, all of those taken (several shipments of a busy goods in one week), the one of them
   shared by the fewest lines (the earliest of equals): the store books both delivery notes;
3. else (a slow mover with no slot that week) the first slot after the window;
4. else (arrived in the last days, before the store's next slot) a receipt of its own on its
   arrival day, of the quantity the purchase step drew: the ledger's stock rises by it from
   that day to the end (no receipt follows to even it out).

Each receipt row under a shipment has `ref_no` = its `ship_no`; a slot shared by k lines becomes k
receipt rows whose quantities split the slot's receipt in proportion to what the lines drew (4
decimals, the largest line taking the rounding). What the store booked is the line's received
quantity; the supplier shipped that much, or more on a planted short line (received = 70–95% of
shipped). So every arrived line carries a real quantity; the ledger's stock-outs and sales stay
what the stock step made them (case 4 raises the stock of the last days; the stock step records
the stock-out truth after this, from the final ledger; in the builds checked no position was out
on those days, so the truth did not change); the purchase data take their received quantities
from the ledger. Lines of shipments not arrived keep the
quantities the purchase step drew.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: days a shipment line waits for a free receiving slot of its goods before sharing a taken one
MAX_WAIT_DAYS = 7
#: the smallest receipt (units of the goods) a shipment can be booked into: smaller ones are rounding
MIN_RECEIPT = 1.0


@dataclass
class Booking:
    """Shipment lines booked into the ledger, sorted by (pair, day): the receipt rows under ship_nos."""
    pair: np.ndarray
    day: np.ndarray
    line: np.ndarray
    qty: np.ndarray
    ship_no: np.ndarray

    def per_cell(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """(first booking, number of bookings) of every ledger cell; -1 / 0 where none."""
        first = np.full(shape, -1, "int64")
        count = np.zeros(shape, "int64")
        np.add.at(count, (self.pair, self.day), 1)
        new = np.r_[True, (np.diff(self.pair) != 0) | (np.diff(self.day) != 0)] if len(self.pair) else np.zeros(0, bool)
        first[self.pair[new], self.day[new]] = np.flatnonzero(new)
        return first, count


def link(L, shop: np.ndarray, goods: np.ndarray, arrive: np.ndarray, cut: np.ndarray, ship_no: np.ndarray,
         drawn: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Book shipment lines into the ledger `L` (sets `L.booking`; may add receipts, case 4).

    Per line: store, goods, arrival day (datetime64, NaT if not arrived), planted short?, ship_no,
    the quantity the purchase step drew. Returns (booked?, shipped_qty, received_qty) of every
    line; a line not arrived is not booked (NaN)."""
    pair = pd.MultiIndex.from_frame(L.pairs).get_indexer(pd.MultiIndex.from_arrays([shop, goods]))
    day = L.days.get_indexer(pd.DatetimeIndex(arrive).normalize())
    ok = (pair >= 0) & (day >= 0)
    day = np.where(ok, np.maximum(day, L.open_day[np.maximum(pair, 0)]), day)   # a store not open yet: at its opening
    weight = np.maximum(np.nan_to_num(np.asarray(drawn, float)), 1.0)
    at = _slots(L, pair, day, ok, weight)
    L.booking = _split(L, pair, at, ok, weight, np.asarray(ship_no, dtype=object))
    received = np.full(len(pair), np.nan)
    received[L.booking.line] = L.booking.qty
    share = rng.uniform(0.7, 0.95, len(pair))
    shipped = np.where(cut, np.ceil(received / share), received)
    return ok, shipped, received


def _slots(L, pair: np.ndarray, day: np.ndarray, ok: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The receipt day of every arrived line (rules 1–4 of the module doc); -1 for the others.
    Rule 4 adds the line's own receipt to L.R and L.E."""
    n_days = len(L.days)
    slot = L.R >= MIN_RECEIPT
    load: dict[tuple[int, int], int] = {}
    at = np.full(len(pair), -1, "int64")
    for i in np.lexsort((np.arange(len(pair)), day, pair)):
        if not ok[i]:
            continue
        p, d = int(pair[i]), int(day[i])
        near = d + np.flatnonzero(slot[p, d:min(d + MAX_WAIT_DAYS + 1, n_days)])
        later = d + MAX_WAIT_DAYS + 1 + np.flatnonzero(slot[p, d + MAX_WAIT_DAYS + 1:])
        if len(near):
            taken = np.array([load.get((p, int(s)), 0) for s in near])
            at[i] = near[int(np.argmin(taken))]      # a free one (0) first, else the least shared
        elif len(later):
            at[i] = later[0]
        else:
            at[i] = d
            L.R[p, d] = np.round(L.R[p, d] + weight[i], 4)
            L.E[p, d:] = np.round(L.E[p, d:] + weight[i], 4)
        load[(p, int(at[i]))] = load.get((p, int(at[i])), 0) + 1
    return at


def _split(L, pair: np.ndarray, at: np.ndarray, ok: np.ndarray, weight: np.ndarray, ship_no: np.ndarray) -> Booking:
    """Each slot's receipt split over the lines booked there, in proportion to their weights."""
    line = np.flatnonzero(ok)
    line = line[np.lexsort((line, at[line], pair[line]))]
    p, d, w = pair[line], at[line], weight[line]
    cell = pd.factorize(p * (len(L.days) + 1) + d)[0]
    total = L.R[p, d]
    qty = np.floor(total * w / np.bincount(cell, weights=w)[cell] * 1e4) / 1e4
    qty = np.maximum(qty, 1e-4)
    big = pd.Series(w).groupby(cell).idxmax().to_numpy()        # the largest line of each cell
    rest = np.bincount(cell, weights=qty) - qty[big]
    qty[big] = np.round(total[big] - rest, 4)
    return Booking(pair=p, day=d, line=line, qty=qty, ship_no=ship_no[line])
