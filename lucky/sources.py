"""Which source database lives where, as read-only SQLAlchemy engines.

Resolution for a database, first match wins (the same for the app, the CLI and the tests):
1. `LUCKY_DATABASE_URL`: a DuckDB file path/URL or a MySQL/PostgreSQL server URL that holds every
   database (MySQL: one database per source; PostgreSQL and DuckDB: one schema per source);
2. `[connections.<database>] url = ...` in `.streamlit/secrets.toml` (one server per database,
   as in production);
3. the embedded demo DuckDB file (`LUCKY_DEMO_PATH`, built on first use).

Every engine is read-only for real: DuckDB opens the file `read_only`, MySQL sessions run
`SET SESSION TRANSACTION READ ONLY` with a statement time limit, PostgreSQL sessions start with
`default_transaction_read_only=on` and `statement_timeout`. Queries name tables as
`<database>.<table>` and never join two databases.
"""
from __future__ import annotations

import decimal
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import bindparam, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, ArgumentError

from lucky import config
from lucky.demo.schema import DATABASES
from lucky.errors import SourceError

STATEMENT_TIMEOUT_MS = int(os.environ.get("LUCKY_STATEMENT_TIMEOUT_MS", "30000"))
CONNECT_TIMEOUT_S = int(os.environ.get("LUCKY_CONNECT_TIMEOUT_S", "5"))


@dataclass(frozen=True)
class Source:
    """Where one database lives: its URL and the setting that chose it (for error messages)."""

    database: str
    url: str
    setting: str

    @property
    def kind(self) -> str:
        return make_url(self.url).get_backend_name()

    @property
    def key(self) -> str:
        """Identity for cache keys: the URL without its password, plus the demo file's mtime."""
        url = make_url(self.url)
        shown = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "duckdb" and url.database:
            path = Path(url.database)
            shown += f"@{path.stat().st_mtime_ns if path.exists() else 0}"
        return shown


def _as_url(value: str) -> str:
    """Accept a bare DuckDB path as well as a SQLAlchemy URL."""
    return value if "://" in value else f"duckdb:///{Path(value).expanduser().resolve()}"


def resolve(database: str) -> Source:
    """Where `database` lives, or SourceError naming the setting to fix."""
    if database not in DATABASES:
        raise SourceError(database, "the database name",
                          f"unknown database; Lucky knows {', '.join(DATABASES)}")
    env = os.environ.get("LUCKY_DATABASE_URL")
    if env:
        return Source(database, _as_url(env), "LUCKY_DATABASE_URL")
    conn = config.secrets().get("connections", {}).get(database, {})
    if isinstance(conn, dict) and conn.get("url"):
        return Source(database, _as_url(str(conn["url"])),
                      f"[connections.{database}] url in {config.secrets_path()}")
    return Source(database, _as_url(str(config.demo_path())), "LUCKY_DEMO_PATH (embedded demo)")


def is_demo() -> bool:
    """True when every database resolves to the embedded demo: the UI labels the data synthetic."""
    return all(resolve(db).setting.startswith("LUCKY_DEMO_PATH") for db in DATABASES)


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _read_only_mysql(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION TRANSACTION READ ONLY")
    try:  # MySQL names it max_execution_time (ms); MariaDB max_statement_time (s)
        cur.execute("SET SESSION max_execution_time = %s", (STATEMENT_TIMEOUT_MS,))
    except Exception:  # noqa: BLE001 - the other server flavour
        cur.execute("SET SESSION max_statement_time = %s", (STATEMENT_TIMEOUT_MS / 1000,))
    cur.close()


def _make_engine(url: str) -> Engine:
    backend = make_url(url).get_backend_name()
    if backend == "duckdb":
        path = make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            raise FileNotFoundError(path)
        return create_engine(url, connect_args={"read_only": True})
    if backend == "mysql":
        eng = create_engine(url, pool_pre_ping=True, pool_recycle=3600,
                            connect_args={"connect_timeout": CONNECT_TIMEOUT_S,
                                          "read_timeout": STATEMENT_TIMEOUT_MS // 1000 + 5})
        event.listen(eng, "connect", _read_only_mysql)
        return eng
    if backend == "postgresql":
        opts = f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS}"
        return create_engine(url, pool_pre_ping=True,
                             connect_args={"options": opts, "connect_timeout": CONNECT_TIMEOUT_S})
    raise ArgumentError(f"unsupported backend '{backend}' (use duckdb, mysql+pymysql, postgresql)")


def engine(database: str) -> Engine:
    """The shared read-only engine for `database`."""
    src = resolve(database)
    with _lock:
        eng = _engines.get(src.url)
        if eng is None:
            try:
                eng = _make_engine(src.url)
            except FileNotFoundError as exc:
                raise SourceError(database, src.setting, f"no DuckDB file at {exc}") from None
            except (ArgumentError, NoSuchModuleError, ValueError) as exc:
                raise SourceError(database, src.setting, f"bad URL: {exc}") from None
            _engines[src.url] = eng
    return eng


def dispose_all() -> None:
    """Close every engine (tests, and after the demo is rebuilt)."""
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Decimal columns to float so results compare equal across MySQL, PostgreSQL and DuckDB."""
    for col in df.columns:
        if df[col].dtype == object:
            first = df[col].dropna().head(1)
            if len(first) and isinstance(first.iloc[0], decimal.Decimal):
                df[col] = df[col].astype(float)
    return df


def _statement(sql: str, params: dict):
    """text() with list/tuple parameters marked expanding, for `IN :stores`."""
    stmt = text(sql)
    lists = [bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, (list, tuple))]
    return stmt.bindparams(*lists) if lists else stmt


def read(database: str, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run one parameterised SELECT against one database; SourceError names what failed."""
    src = resolve(database)
    try:
        with engine(database).connect() as conn:
            result = conn.execute(_statement(sql, params or {}), params or {})
            return _plain(pd.DataFrame(result.fetchall(), columns=list(result.keys())))
    except SourceError:
        raise
    except DBAPIError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        raise SourceError(database, src.setting, reason[:300]) from None


def ping(database: str) -> None:
    """Cheap liveness check used by the error panel and the landscape."""
    read(database, "SELECT 1 AS ok")
