"""Acknowledge and dismiss, stored in Lucky's own writable store (`LUCKY_STATE_URL`).

An anomaly is identified by (shop_id, date, metric, dimension); shop_id is NULL for chain-wide
ones. Every verdict is a new row with the person and the UTC time (nothing is overwritten), and
the latest verdict per anomaly is its status. Dismissals are the learning signal: each distinct
dismissed day of a store x metric raises that pair's thresholds by 25%, up to twice the default,
so a metric that keeps crying wolf at one store needs a stronger signal there.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import BigInteger, Column, Date, DateTime, Integer, String, Table, Text, select

from lucky import state
from lucky.errors import InputError

ACTIONS = ("acknowledge", "dismiss", "reopen")
STEP, CAP = 0.25, 2.0

anomaly_feedback = Table(
    "anomaly_feedback", state.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("shop_id", BigInteger),
    Column("date", Date, nullable=False),
    Column("metric", String(64), nullable=False),
    Column("dimension", String(128), nullable=False, default=""),
    Column("action", String(16), nullable=False),
    Column("note", Text),
)


def record(shop_id: int | None, day: date, metric: str, action: str, actor: str,
           dimension: str = "", note: str = "") -> None:
    """Store one verdict (and a line in the audit log)."""
    if action not in ACTIONS:
        raise InputError(f"unknown action '{action}'; use one of {', '.join(ACTIONS)}")
    if not actor:
        raise InputError("a verdict needs the name of the person giving it")
    shop = None if shop_id is None or pd.isna(shop_id) else int(shop_id)
    day = pd.Timestamp(day).date()
    now = datetime.now(UTC).replace(tzinfo=None)
    with state.engine().begin() as conn:
        conn.execute(anomaly_feedback.insert().values(
            at=now, actor=actor, shop_id=shop, date=day, metric=metric,
            dimension=dimension or "", action=action, note=note or None))
    state.audit(actor, f"anomaly.{action}", f"{shop if shop is not None else 'chain'}/{day}/{metric}/{dimension}", note)


def history() -> pd.DataFrame:
    """Every verdict, oldest first."""
    with state.engine().connect() as conn:
        rows = conn.execute(select(anomaly_feedback).order_by(anomaly_feedback.c.id)).fetchall()
    df = pd.DataFrame(rows, columns=[c.name for c in anomaly_feedback.columns])
    if not df.empty:
        df["shop_id"] = df["shop_id"].astype("Int64")
        df["date"] = pd.to_datetime(df["date"]).dt.date
    return df


def latest() -> pd.DataFrame:
    """The current verdict per anomaly: shop_id, date, metric, dimension, status, by, at."""
    h = history()
    cols = ["shop_id", "date", "metric", "dimension", "status", "by", "at"]
    if h.empty:
        return pd.DataFrame(columns=cols)
    last = h.groupby(["shop_id", "date", "metric", "dimension"], dropna=False).tail(1)
    last = last.rename(columns={"action": "status", "actor": "by"})
    last["status"] = last["status"].map({"acknowledge": "acknowledged", "dismiss": "dismissed", "reopen": "open"})
    return last[cols].reset_index(drop=True)


def sensitivity() -> dict[tuple[int | None, str], float]:
    """Threshold factor per (shop_id, metric): 1 + 0.25 per distinct dismissed day, at most 2."""
    cur = latest()
    dis = cur[cur["status"] == "dismissed"]
    if dis.empty:
        return {}
    days = dis.groupby(["shop_id", "metric"], dropna=False)["date"].nunique()
    return {(None if pd.isna(s) else int(s), m): min(CAP, 1.0 + STEP * n) for (s, m), n in days.items()}


def attach(anoms: pd.DataFrame) -> pd.DataFrame:
    """Add `status` (open / acknowledged / dismissed), `by` and `at` to the anomaly rows."""
    cur = latest()
    out = anoms.copy()
    if cur.empty or out.empty:
        return out.assign(status="open", by=None, at=None)
    out["_key"] = _keys(out)
    cur["_key"] = _keys(cur)
    out = out.merge(cur[["_key", "status", "by", "at"]], on="_key", how="left").drop(columns="_key")
    out["status"] = out["status"].fillna("open")
    return out


def _keys(df: pd.DataFrame) -> pd.Series:
    shop = df["shop_id"].astype("Int64").astype("string").fillna("chain")
    return shop + "|" + df["date"].astype(str) + "|" + df["metric"] + "|" + df["dimension"].fillna("").astype(str)
