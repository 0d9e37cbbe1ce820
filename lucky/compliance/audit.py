"""The compliance audit trail: an append-only, hash-chained log in Lucky's state store.

Every run of every check appends one entry (who, as which role, which check, which period, the
verdict and the finding count) carrying the hash of the entry before it (see
`lucky.models.compliance` for the chain). Nothing in Lucky updates or deletes these rows;
`python -m lucky compliance verify` recomputes the chain and names the first altered or missing
entry. The head hash goes into every auditor's export, so a rewrite of the whole chain is caught
by `verify --head <hash from the export>`.
"""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Column, Date, DateTime, Integer, String, Table, Text, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError

from lucky import state
from lucky.models import compliance as cm

compliance_log = Table(
    "compliance_log", state.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),              # 1, 2, 3 ... without gaps
    Column("at", DateTime, nullable=False),              # UTC
    Column("actor", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("check_id", String(64), nullable=False),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("status", String(16), nullable=False),        # pass / fail / could not run
    Column("findings", Integer),                         # NULL when the check could not run
    Column("detail", Text),                              # JSON: title, reason, stores
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("seq", name="uq_compliance_log_seq"),
)

COLUMNS = ["seq", "at", "actor", "role", "check_id", "period_start", "period_end", "status", "findings",
           "detail", "prev_hash", "hash"]
RETRIES = 5


def _row(entry: dict, seq: int, prev: str) -> dict:
    row = {**entry, "seq": seq}
    row["prev_hash"], row["hash"] = prev, cm.entry_hash(prev, row)
    return row


def append(entries: list[dict]) -> list[dict]:
    """Append entries (dicts of the hashed fields but seq) as one transaction; returns the rows.

    The unique seq makes two writers at once safe: the loser retries on top of the winner.
    """
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    eng = state.engine()
    for attempt in range(RETRIES):
        try:
            with eng.begin() as conn:
                last = conn.execute(select(compliance_log.c.seq, compliance_log.c.hash)
                                    .order_by(compliance_log.c.seq.desc()).limit(1)).first()
                seq, prev = (int(last.seq), last.hash) if last else (0, cm.GENESIS)
                rows = []
                for entry in entries:
                    seq += 1
                    row = _row({"at": now, **entry}, seq, prev)
                    prev = row["hash"]
                    rows.append(row)
                if rows:
                    conn.execute(compliance_log.insert(), rows)
            return rows
        except IntegrityError:
            if attempt == RETRIES - 1:
                raise
    return []


def entry(check_id: str, status: str, findings: int | None, actor: str, role: str,
          start: date | None, end: date | None, **detail) -> dict:
    """One log entry's content (seq, time and hashes are added by `append`)."""
    return {"actor": actor, "role": role, "check_id": check_id, "period_start": start, "period_end": end,
            "status": status, "findings": findings,
            "detail": json.dumps(detail, sort_keys=True, default=str)}


def rows() -> list[dict]:
    """Every entry in seq order, with the stored types normalised for hashing."""
    with state.engine().connect() as conn:
        result = conn.execute(select(*[compliance_log.c[c] for c in COLUMNS]).order_by(compliance_log.c.seq))
        out = [dict(r._mapping) for r in result]
    for r in out:
        for col in ("period_start", "period_end"):
            if isinstance(r[col], datetime):
                r[col] = r[col].date()
    return out


def frame(start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """The log as a table; with a period, the entries whose checked period overlaps it."""
    df = pd.DataFrame(rows(), columns=COLUMNS)
    if len(df) and (start or end):
        ps, pe = pd.to_datetime(df["period_start"]), pd.to_datetime(df["period_end"])
        keep = pd.Series(True, index=df.index)
        if start:
            keep &= pe.isna() | (pe >= pd.Timestamp(start))
        if end:
            keep &= ps.isna() | (ps <= pd.Timestamp(end))
        df = df[keep]
    return df.reset_index(drop=True)


def last_status() -> dict[str, str]:
    """check_id -> the verdict of its latest logged run (for alerting on new failures)."""
    latest = (select(compliance_log.c.check_id, func.max(compliance_log.c.seq).label("seq"))
              .group_by(compliance_log.c.check_id).subquery())
    with state.engine().connect() as conn:
        result = conn.execute(select(compliance_log.c.check_id, compliance_log.c.status)
                              .join(latest, compliance_log.c.seq == latest.c.seq))
        return {r.check_id: r.status for r in result}


def verify(expected_head: str | None = None) -> cm.ChainCheck:
    return cm.verify_chain(rows(), expected_head)


def head() -> tuple[int, str]:
    """(entries, head hash) of the log: the hash to keep outside the store."""
    with state.engine().connect() as conn:
        last = conn.execute(select(compliance_log.c.seq, compliance_log.c.hash)
                            .order_by(compliance_log.c.seq.desc()).limit(1)).first()
    return (int(last.seq), last.hash) if last else (0, cm.GENESIS)
