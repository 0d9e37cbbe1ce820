"""Which source database lives where, as read-only SQLAlchemy engines.

Resolution for a database, first match wins (the same for the app, the CLI and the tests):
1. `LUCKY_DATABASE_URL`: a DuckDB file path/URL or a MySQL/PostgreSQL server URL that holds every
   database (MySQL: one database per source; PostgreSQL and DuckDB: one schema per source);
2. `[connections.<database>] url = ...` in `.streamlit/secrets.toml` (one server per database,
   as in production);
3. the embedded demo DuckDB file (`LUCKY_DEMO_PATH`), built on first use
   (`lucky.demo.build.ensure_demo`, at `LUCKY_DEMO_SCALE`).

Every engine is read-only for real: DuckDB opens the file `read_only`; MySQL/MariaDB sessions run
`SET SESSION TRANSACTION READ ONLY` with a statement time limit (MySQL `max_execution_time` in
ms, MariaDB `max_statement_time` in s); PostgreSQL sessions start with
`default_transaction_read_only=on` and `statement_timeout`. Queries name tables as
`<database>.<table>` and never join two databases.

Every failure reaches the caller as one `SourceError(database, setting, reason)`: the database,
the setting to fix and a reason a person can act on, never a password.
"""
from __future__ import annotations

import decimal
import json
import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import bindparam, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from lucky import config
from lucky.errors import SourceError
from lucky.schema import DATABASES

STATEMENT_TIMEOUT_MS = int(os.environ.get("LUCKY_STATEMENT_TIMEOUT_MS", "30000"))
CONNECT_TIMEOUT_S = int(os.environ.get("LUCKY_CONNECT_TIMEOUT_S", "5"))
DEMO_SETTING = "LUCKY_DEMO_PATH (embedded demo)"


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
    def shown(self) -> str:
        """The URL as it may be displayed: no password."""
        return make_url(self.url).render_as_string(hide_password=True)

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
    """Accept a bare DuckDB path as well as a SQLAlchemy URL; plain mysql:// gets pymysql."""
    if "://" not in value:
        return f"duckdb:///{Path(value).expanduser().resolve()}"
    scheme, rest = value.split("://", 1)
    drivers = {"mysql": "mysql+pymysql", "mariadb": "mysql+pymysql",
               "postgres": "postgresql+psycopg2", "postgresql": "postgresql+psycopg2"}
    return f"{drivers.get(scheme, scheme)}://{rest}"


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
    return Source(database, _as_url(str(config.demo_path())), DEMO_SETTING)


def is_demo() -> bool:
    """True when every database resolves to the embedded demo: the UI labels the data synthetic."""
    return all(resolve(db).setting == DEMO_SETTING for db in DATABASES)


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _read_only_mysql(dbapi_conn, _record) -> None:
    """Session guards on every new MySQL/MariaDB connection: read-only, bounded statements."""
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION TRANSACTION READ ONLY")
    if "mariadb" in dbapi_conn.get_server_info().lower():
        cur.execute("SET SESSION max_statement_time = %s", (STATEMENT_TIMEOUT_MS / 1000,))
    else:
        cur.execute("SET SESSION max_execution_time = %s", (STATEMENT_TIMEOUT_MS,))
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
    raise ArgumentError(f"unsupported backend '{backend}' (use a DuckDB path, mysql+pymysql://, "
                        "postgresql://)")


def _engine_for(src: Source) -> Engine:
    with _lock:
        eng = _engines.get(src.url)
        if eng is None:
            try:
                eng = _make_engine(src.url)
            except FileNotFoundError as exc:
                raise SourceError(src.database, src.setting, f"no DuckDB file at {exc}") from None
            except (ArgumentError, NoSuchModuleError, ValueError) as exc:
                raise SourceError(src.database, src.setting, f"bad URL: {_scrub(str(exc), src)}") from None
            _engines[src.url] = eng
    return eng


def engine(database: str) -> Engine:
    """The shared read-only engine for `database` (building the embedded demo on first use)."""
    src = resolve(database)
    if src.setting == DEMO_SETTING and not Path(make_url(src.url).database).exists():
        from lucky.demo.build import ensure_demo
        try:
            ensure_demo()
        except Exception as exc:  # noqa: BLE001 - any build failure is the demo's setting
            raise SourceError(database, src.setting, f"could not build the embedded demo: {exc}") from exc
    return _engine_for(src)


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


#: (pattern in the driver's message, what to tell the person); first match wins.
_REASONS: tuple[tuple[str, str], ...] = (
    (r"\(2003|connection refused|could not connect|can't connect|timeout expired|"
     r"name or service not known|could not translate host", "cannot reach the server {where}"),
    (r"\(1045|password authentication failed|role \".*\" does not exist|access denied",
     "the server {where} refused the credentials"),
    (r"\(1049|unknown database|database \".*\" does not exist", "the server {where} has no such database"),
    (r"\(1792|read.only transaction|read-only|read only", "the source is read-only; Lucky never writes to it"),
    (r"\(1969|\(3024|max_statement_time|maximum statement execution time|statement timeout|"
     r"INTERRUPT Error",
     "the query ran longer than LUCKY_STATEMENT_TIMEOUT_MS"),
)


def _scrub(message: str, src: Source) -> str:
    """`message` with the source's password removed, wherever the driver echoed it."""
    password = make_url(src.url).password
    return message.replace(password, "***") if password else message


def _reason(exc: BaseException, src: Source) -> str:
    """One line a person can act on, then the driver's own first line."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = detail[0] if detail else type(exc).__name__
    url = make_url(src.url)
    where = f"{url.host}:{url.port}" if url.host else src.shown
    for pattern, reason in _REASONS:
        if re.search(pattern, detail, re.IGNORECASE):
            return _scrub(f"{reason.format(where=where)} ({detail})", src)[:400]
    return _scrub(detail, src)[:400]


@contextmanager
def _time_limit(conn, seconds: float | None):
    """Bound the statements run on `conn` to `seconds` (None: the engine's session default).

    MySQL/MariaDB set the session limit and restore the default afterwards (pooled connections
    outlive the call); PostgreSQL uses SET LOCAL, which ends with the transaction; DuckDB has no
    statement timeout, so a timer interrupts the connection.
    """
    if seconds is None:
        yield
        return
    backend = conn.dialect.name
    timer = None
    if backend == "duckdb":
        timer = threading.Timer(seconds, conn.connection.dbapi_connection.interrupt)
        timer.daemon = True
        timer.start()
    elif backend == "mysql":
        mariadb = bool(getattr(conn.dialect, "is_mariadb", False))
        setting, value, default = (("max_statement_time", seconds, STATEMENT_TIMEOUT_MS / 1000) if mariadb
                                   else ("max_execution_time", int(seconds * 1000), STATEMENT_TIMEOUT_MS))
        conn.exec_driver_sql(f"SET SESSION {setting} = {float(value) if mariadb else int(value)}")
    elif backend == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
        elif backend == "mysql":
            try:
                conn.exec_driver_sql(f"SET SESSION {setting} = {float(default) if mariadb else int(default)}")
            except (DBAPIError, SQLAlchemyError):
                conn.invalidate()   # never hand a connection with the short limit back to the pool


def read(database: str, sql: str, params: dict | None = None,
         timeout_s: float | None = None) -> pd.DataFrame:
    """Run one parameterised SELECT against one database; SourceError names what failed.

    `timeout_s` bounds this one call more tightly than the session default (Ask Lucky's 10 s).
    """
    src = resolve(database)
    try:
        with engine(database).connect() as conn, _time_limit(conn, timeout_s):
            result = conn.execute(_statement(sql, params or {}), params or {})
            rows = [tuple(row) for row in result.fetchall()]  # plain tuples: 5x faster in pandas
            return _plain(pd.DataFrame.from_records(rows, columns=list(result.keys())))
    except SourceError:
        raise
    except (DBAPIError, SQLAlchemyError) as exc:
        raise SourceError(database, src.setting, _reason(exc, src)) from None


def read_frame(database: str, sql: str, params: dict | None = None, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    """`read` for large results (millions of rows): DuckDB hands its result to pandas column by
    column instead of row tuples (about 10x faster); other backends go through `read`. Either
    way `dates` columns come back as datetime64, decimals as float and text as pandas strings."""
    src = resolve(database)
    if src.kind != "duckdb":
        df = read(database, sql, params)
    else:
        try:
            with engine(database).connect() as conn:
                df = conn.execute(_statement(sql, params or {}), params or {}).cursor.df()
        except SourceError:
            raise
        except (DBAPIError, SQLAlchemyError) as exc:
            raise SourceError(database, src.setting, _reason(exc, src)) from None
    for col in dates:
        df[col] = pd.to_datetime(df[col])
    return df


def ping(database: str) -> None:
    """Cheap liveness check used by the error panel and the landscape."""
    read(database, "SELECT 1 AS ok")


def demo_meta(target: str | None = None) -> dict | None:
    """What the demo at `target` (default: where the sources point) was built with, or None.

    Reads `lucky_meta.lucky_demo_meta`, written by `lucky.demo.build.build`; real sources have no
    such table, so None also means "not a Lucky demo".
    """
    src = resolve("luckyus_sales_order")
    if target is not None:
        src = Source(src.database, _as_url(str(target)), "--target")
    if src.kind == "duckdb" and not Path(make_url(src.url).database or "").exists():
        return None
    try:
        with _engine_for(src).connect() as conn:
            row = conn.execute(text("SELECT * FROM lucky_meta.lucky_demo_meta")).mappings().first()
    except (SourceError, SQLAlchemyError):
        return None
    if row is None:
        return None
    meta = json.loads(row["report"]) if row.get("report") else {}
    meta.update({k: row[k] for k in ("scale", "seed", "bulk", "built_at", "total_rows", "code")})
    return meta
