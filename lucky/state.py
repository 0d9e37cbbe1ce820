"""Lucky's own writable store: everything the tools write, never a source database.

`LUCKY_STATE_URL` selects it (default: an embedded SQLite file beside the demo; PostgreSQL by
URL). Features declare their tables on `metadata` in their own modules and call `engine()`,
which creates missing tables on first use. SQLite rather than DuckDB because the collector, the
app and the CLI write from separate processes at once.
"""
from __future__ import annotations

import threading
from datetime import UTC

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, event
from sqlalchemy.engine import Engine

from lucky import config
from lucky.errors import StateError

metadata = MetaData()

#: Who did what, for the compliance trail (acknowledgements, exports, sent briefings...).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),           # UTC
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(255)),
    Column("detail", Text),
)

_engines: dict[str, Engine] = {}
_created: dict[str, int] = {}   # url -> number of tables known when create_all last ran
_lock = threading.Lock()


def state_url() -> str:
    return config.setting("LUCKY_STATE_URL") or f"sqlite:///{config.data_dir() / 'lucky_state.sqlite'}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")   # readers do not block the collector's writes
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def engine() -> Engine:
    """The state engine, with every declared table created. Import feature modules first."""
    url = state_url()
    with _lock:
        eng = _engines.get(url)
        if eng is None:
            try:
                eng = create_engine(url, pool_pre_ping=True)
                if eng.dialect.name == "sqlite":
                    event.listen(eng, "connect", _sqlite_pragmas)
            except Exception as exc:  # noqa: BLE001 - any driver error means the same to the user
                raise StateError(f"Lucky's state store is unavailable ({exc}); check LUCKY_STATE_URL") from exc
            _engines[url] = eng
        if _created.get(url) != len(metadata.tables):  # a feature imported later adds tables
            try:
                metadata.create_all(eng)
            except Exception as exc:  # noqa: BLE001
                raise StateError(f"Lucky's state store cannot be written ({exc}); check LUCKY_STATE_URL") from exc
            _created[url] = len(metadata.tables)
    return eng


def audit(actor: str, action: str, subject: str = "", detail: str = "") -> None:
    """Append one line to the audit log (UTC timestamp)."""
    from datetime import datetime

    with engine().begin() as conn:
        conn.execute(audit_log.insert().values(
            at=datetime.now(UTC).replace(tzinfo=None), actor=actor, action=action,
            subject=subject, detail=detail))


def dispose_all() -> None:
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _created.clear()
