"""Ask Lucky's usage log, history and saved questions in Lucky's state store.

Every question is logged (question, role, engine, outcome, time), so the report's success metric
("50+ weekly questions by non-technical staff") can be read with `weekly_counts()`; the chat
page shows each user's history from the same table and saves questions to share by URL.
"""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Column, DateTime, Float, Integer, String, Table, Text, select

from lucky import state
from lucky.core import Viewer

ask_log = Table(
    "ask_log", state.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),            # UTC
    Column("actor", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("question", Text, nullable=False),
    Column("engine", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("seconds", Float),
    Column("source", String(16)),                       # page or cli
)

ask_saved = Table(
    "ask_saved", state.metadata,
    Column("id", String(16), primary_key=True),          # short hash, used in the share URL
    Column("at", DateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("question", Text, nullable=False),
    Column("as_of", String(10)),
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record(question: str, viewer: Viewer, answer, source: str = "page") -> None:
    """Log one question; a state store that cannot be written never stops an answer."""
    try:
        with state.engine().begin() as conn:
            conn.execute(ask_log.insert().values(
                at=_now(), actor=viewer.name, role=viewer.role, question=(question or "")[:2000],
                engine=answer.engine, outcome=answer.outcome, seconds=float(answer.seconds), source=source))
    except Exception:  # noqa: BLE001 - logging is best effort
        pass


def history(viewer: Viewer, limit: int = 20) -> pd.DataFrame:
    """The viewer's latest questions, newest first."""
    with state.engine().connect() as conn:
        rows = conn.execute(select(ask_log.c.at, ask_log.c.question, ask_log.c.outcome, ask_log.c.engine)
                            .where(ask_log.c.actor == viewer.name).order_by(ask_log.c.id.desc()).limit(limit)).fetchall()
    return pd.DataFrame(rows, columns=["at", "question", "outcome", "engine"])


def weekly_counts() -> pd.DataFrame:
    """Questions per ISO week (from Monday): week, questions, answered, non_admin (the report's metric)."""
    with state.engine().connect() as conn:
        rows = conn.execute(select(ask_log.c.at, ask_log.c.role, ask_log.c.outcome)).fetchall()
    df = pd.DataFrame(rows, columns=["at", "role", "outcome"])
    if df.empty:
        return pd.DataFrame(columns=["week", "questions", "answered", "non_admin"])
    at = pd.to_datetime(df["at"])
    df["week"] = (at.dt.normalize() - pd.to_timedelta(at.dt.day_of_week, unit="D")).dt.date
    return df.groupby("week").agg(questions=("role", "size"),
                                  answered=("outcome", lambda s: int((s == "answered").sum())),
                                  non_admin=("role", lambda s: int((s != "admin").sum()))).reset_index()


def save(question: str, viewer: Viewer, as_of: str | None = None) -> str:
    """Save a question; returns the id that `?q=<id>` shares."""
    key = hashlib.sha1(f"{question}|{as_of}".encode()).hexdigest()[:12]
    with state.engine().begin() as conn:
        if conn.execute(select(ask_saved.c.id).where(ask_saved.c.id == key)).first() is None:
            conn.execute(ask_saved.insert().values(id=key, at=_now(), actor=viewer.name, question=question, as_of=as_of))
    return key


def saved(key: str) -> tuple[str, str | None] | None:
    with state.engine().connect() as conn:
        row = conn.execute(select(ask_saved.c.question, ask_saved.c.as_of).where(ask_saved.c.id == key)).first()
    return (row[0], row[1]) if row else None


def saved_by(viewer: Viewer) -> pd.DataFrame:
    with state.engine().connect() as conn:
        rows = conn.execute(select(ask_saved.c.id, ask_saved.c.question, ask_saved.c.at)
                            .where(ask_saved.c.actor == viewer.name).order_by(ask_saved.c.at.desc())).fetchall()
    return pd.DataFrame(rows, columns=["id", "question", "at"])
