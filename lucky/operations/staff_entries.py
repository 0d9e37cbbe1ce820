"""Staff a store manager enters per store-hour (Tool 15's "actual staff" input), kept in Lucky's own
state store: the HR database is a source and is never written.

Every entry is a new row with the person and the UTC time, so nothing is overwritten; the newest
entry per store-hour is the one that counts. A store manager may enter only for their own stores.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, String, Table, select

from lucky import state
from lucky.access import AccessDenied
from lucky.core import Viewer
from lucky.errors import InputError

MAX_STAFF = 30

staff_entry = Table(
    "staff_entry", state.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),            # UTC
    Column("actor", String(128), nullable=False),
    Column("shop_id", BigInteger, nullable=False),
    Column("date", Date, nullable=False),               # store-local
    Column("hour", Integer, nullable=False),            # store-local 0-23
    Column("staff", Integer, nullable=False),
    Index("ix_staff_entry_shop_date", "shop_id", "date"),
)
COLUMNS = ["shop_id", "date", "hour", "actual_staff", "entered_by", "entered_at"]


def record(viewer: Viewer, rows: pd.DataFrame) -> int:
    """Store entries (`rows`: shop_id, date, hour, staff); returns how many. Checked whole first."""
    if rows.empty:
        return 0
    if not viewer.name:
        raise InputError("an entry needs the name of the person making it")
    shops = {int(s) for s in rows["shop_id"]}
    if viewer.role == "store_manager" and not shops <= set(viewer.shop_ids):
        raise AccessDenied(f"store(s) {', '.join(map(str, sorted(shops - set(viewer.shop_ids))))} are not yours")
    staff = pd.to_numeric(rows["staff"], errors="coerce")
    hours = pd.to_numeric(rows["hour"], errors="coerce")
    if staff.isna().any() or (staff < 0).any() or (staff > MAX_STAFF).any() or (staff % 1 != 0).any():
        raise InputError(f"staff must be a whole number from 0 to {MAX_STAFF}")
    if hours.isna().any() or not hours.between(0, 23).all():
        raise InputError("hour must be 0 to 23 (store-local)")
    now = datetime.now(UTC).replace(tzinfo=None)
    values = [{"at": now, "actor": viewer.name, "shop_id": int(s), "date": pd.Timestamp(d).date(), "hour": int(h),
               "staff": int(n)} for s, d, h, n in zip(rows["shop_id"], rows["date"], hours, staff)]
    with state.engine().begin() as conn:
        conn.execute(staff_entry.insert(), values)
    state.audit(viewer.name, "staffing.actual", ",".join(map(str, sorted(shops))), f"{len(values)} store-hour(s)")
    return len(values)


def latest(shop_ids: list[int], start: date, end: date) -> pd.DataFrame:
    """The newest entry per store-hour in [start, end]: shop_id, date ('YYYY-MM-DD'), hour,
    actual_staff, entered_by, entered_at."""
    t = staff_entry.c
    stmt = select(staff_entry).where(t.shop_id.in_([int(s) for s in shop_ids]), t.date >= start, t.date <= end)
    with state.engine().connect() as conn:
        rows = pd.DataFrame(conn.execute(stmt.order_by(t.id)).fetchall(), columns=[c.name for c in staff_entry.columns])
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = rows.groupby(["shop_id", "date", "hour"], as_index=False).tail(1)
    rows = rows.rename(columns={"staff": "actual_staff", "actor": "entered_by", "at": "entered_at"})
    rows["date"] = pd.to_datetime(rows["date"]).dt.strftime("%Y-%m-%d")
    return rows[COLUMNS].reset_index(drop=True)
