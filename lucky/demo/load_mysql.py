"""Load the demo into a MySQL/MariaDB server (one database per source) and compile its DDL.

The committed DDL in `lucky/schema/ddl/<database>.sql` and the tables a load creates come from the
same `mysql_ddl()`, compiled from `lucky/schema/__init__.py`.

A load fills staging databases `<db>__building` (tables with their primary key; secondary
indexes after the rows are in), then one atomic `RENAME TABLE` moves the old tables to
`<db>__old` and the new ones into `<db>`; a failure drops staging and leaves the target as it
was. Rows go in with `LOAD DATA LOCAL INFILE` from a temporary tab-separated file (NULL as
`\\N`); when the server has `local_infile` off, with batched `executemany` instead. A server-side
lock (`GET_LOCK`) keeps two builds from sharing the staging databases.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import pymysql
from sqlalchemy import Table
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from lucky.demo.loaders import (
    META_SCHEMA,
    OLD_SUFFIX,
    STAGING_SUFFIX,
    Loader,
    LoadError,
    meta_row,
    meta_table,
    plain_rows,
    staging_tables,
    to_tsv,
)
from lucky.errors import InputError
from lucky.schema import DATABASES, tables_of

DDL_DIR = Path(__file__).resolve().parent.parent / "schema" / "ddl"
TABLE_OPTIONS = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
LOCK_NAME, LOCK_WAIT_S = "lucky_demo_build", 600
BATCH_ROWS = 5000
_LOCAL_INFILE_OFF = {1148, 2068, 3948}   # server or client refuses LOCAL INFILE
_DIALECT = mysql.dialect()


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def create_table_sql(table: Table) -> str:
    """CREATE TABLE as a MySQL shop writes it: DECIMAL money, DATETIME, InnoDB, utf8mb4."""
    sql = "\n".join(line.rstrip() for line in str(CreateTable(table).compile(dialect=_DIALECT)).strip().splitlines())
    return re.sub(r"\bNUMERIC\(", "DECIMAL(", sql) + TABLE_OPTIONS


def index_sql(table: Table) -> list[str]:
    """CREATE [UNIQUE] INDEX statements of `table`, in a stable order."""
    return [str(CreateIndex(ix).compile(dialect=_DIALECT)).strip()
            for ix in sorted(table.indexes, key=lambda i: i.name)]


def mysql_ddl(database: str) -> str:
    """The MySQL DDL of one source database, as committed in `lucky/schema/ddl/<database>.sql`."""
    parts = [f"-- {database}: MySQL DDL compiled from lucky/schema/__init__.py.",
             "-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.",
             f"CREATE DATABASE IF NOT EXISTS {_q(database)} DEFAULT CHARACTER SET utf8mb4;", ""]
    for table in tables_of(database):
        parts.append(create_table_sql(table) + ";")
        parts += [s + ";" for s in index_sql(table)]
        parts.append("")
    return "\n".join(parts)


def write_ddl(folder: Path = DDL_DIR) -> list[Path]:
    """Write `<database>.sql` for every database; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for database in DATABASES:
        path = folder / f"{database}.sql"
        path.write_text(mysql_ddl(database), encoding="utf-8")
        paths.append(path)
    return paths


class MySQLLoader(Loader):
    kind = "mysql"
    use_infile = True   # False forces batched executemany (the path taken when local_infile is off)

    def __init__(self, url: str):
        super().__init__(url)
        self.url = make_url(url)
        self.conn = None
        self.infile = True
        self.locked = False
        self.staged: list[Table] = []

    # -- connection ------------------------------------------------------------------------
    def _cursor(self):
        if self.conn is None:
            try:
                options = {"connect_timeout": 5, "charset": "utf8mb4", **dict(self.url.query),
                           "local_infile": True, "autocommit": True}
                self.conn = pymysql.connect(
                    **self.url.translate_connect_args(username="user", database="database"), **options)
            except pymysql.err.MySQLError as exc:
                raise InputError(f"cannot connect to the demo target {self.label}: {exc}") from None
        return self.conn.cursor()

    def _run(self, *statements: str) -> None:
        with self._cursor() as cur:
            for sql in statements:
                cur.execute(sql)

    def _rows(self, sql: str, args=None) -> list[tuple]:
        with self._cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    # -- life of a build -------------------------------------------------------------------
    def holds_data(self) -> bool:
        existing = self._rows(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema IN %s", (list(DATABASES),))
        return any(self._rows(f"SELECT 1 FROM {_q(s)}.{_q(t)} LIMIT 1") for s, t in existing)

    def begin(self, tables: list[Table]) -> None:
        got = self._rows("SELECT GET_LOCK(%s, %s)", (LOCK_NAME, LOCK_WAIT_S))[0][0]
        if got != 1:
            raise InputError(f"another demo build holds {LOCK_NAME} on {self.label}; try again later")
        self.locked = True   # from here on, staging is ours to drop
        self.infile = self.use_infile and self._rows("SELECT @@local_infile")[0][0] in (1, "1", "ON")
        self.staged = staging_tables(tables)
        self._drop_schemas(STAGING_SUFFIX, OLD_SUFFIX)
        for schema in sorted({t.schema for t in self.staged}):
            self._run(f"CREATE DATABASE {_q(schema)} DEFAULT CHARACTER SET utf8mb4")
        self._run(*(create_table_sql(t) for t in self.staged))

    def load(self, table: Table, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        target = f"{_q(table.schema + STAGING_SUFFIX)}.{_q(table.name)}"
        if self.infile:
            try:
                return self._load_infile(target, table, frame)
            except pymysql.err.MySQLError as exc:
                if exc.args and exc.args[0] in _LOCAL_INFILE_OFF:
                    self.infile = False
                else:
                    raise
        self._load_batches(target, frame)

    def _load_infile(self, target: str, table: Table, frame: pd.DataFrame) -> None:
        fd, name = tempfile.mkstemp(suffix=".tsv", prefix="lucky_load_")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(to_tsv(frame, table))
            cols = ", ".join(_q(c) for c in frame.columns)
            with self._cursor() as cur:
                cur.execute(f"LOAD DATA LOCAL INFILE %s INTO TABLE {target} CHARACTER SET utf8mb4 "
                            "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
                            f"({cols})", (name,))
                loaded = cur.rowcount
                cur.execute("SHOW WARNINGS LIMIT 3")
                warnings = cur.fetchall()
            # LOCAL implies IGNORE: bad values become warnings, so treat them as the errors they are
            if warnings or loaded != len(frame):
                raise LoadError(f"{target}: loaded {loaded} of {len(frame)} rows; "
                                f"server warnings: {[w[2] for w in warnings]}")
        finally:
            Path(name).unlink(missing_ok=True)

    def _load_batches(self, target: str, frame: pd.DataFrame) -> None:
        cols = ", ".join(_q(c) for c in frame.columns)
        sql = f"INSERT INTO {target} ({cols}) VALUES ({', '.join(['%s'] * len(frame.columns))})"
        with self._cursor() as cur:
            for start in range(0, len(frame), BATCH_ROWS):
                cur.executemany(sql, plain_rows(frame.iloc[start:start + BATCH_ROWS]))

    def finish(self, tables: list[Table], numbered: frozenset[str] = frozenset()) -> None:
        for table in self.staged:
            self._run(*index_sql(table))

    def commit(self, meta: dict) -> None:
        moves = []
        for schema in sorted({t.schema.removesuffix(STAGING_SUFFIX) for t in self.staged}):
            self._run(f"CREATE DATABASE IF NOT EXISTS {_q(schema)} DEFAULT CHARACTER SET utf8mb4",
                      f"CREATE DATABASE {_q(schema + OLD_SUFFIX)}")
            old = self._rows("SELECT table_name FROM information_schema.tables "
                             "WHERE table_schema = %s AND table_type = 'BASE TABLE'", (schema,))
            moves += [f"{_q(schema)}.{_q(t)} TO {_q(schema + OLD_SUFFIX)}.{_q(t)}" for (t,) in old]
        moves += [f"{_q(t.schema)}.{_q(t.name)} TO "
                  f"{_q(t.schema.removesuffix(STAGING_SUFFIX))}.{_q(t.name)}" for t in self.staged]
        self._run("RENAME TABLE " + ", ".join(moves))   # one statement: all or nothing
        self._drop_schemas(STAGING_SUFFIX, OLD_SUFFIX)
        self._write_meta(meta)

    def _write_meta(self, meta: dict) -> None:
        row = meta_row(meta)
        self._run(f"CREATE DATABASE IF NOT EXISTS {_q(META_SCHEMA)}",
                  f"DROP TABLE IF EXISTS {_q(META_SCHEMA)}.{_q(meta_table.name)}",
                  str(CreateTable(meta_table).compile(dialect=_DIALECT)))
        with self._cursor() as cur:
            cur.execute(f"INSERT INTO {_q(META_SCHEMA)}.{_q(meta_table.name)} ({', '.join(row)}) "
                        f"VALUES ({', '.join(['%s'] * len(row))})", list(row.values()))

    def abort(self) -> None:
        try:
            if self.locked:   # never touch the staging of another build
                self._drop_schemas(STAGING_SUFFIX, OLD_SUFFIX)
        finally:
            self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()   # also releases GET_LOCK
            finally:
                self.conn = None

    def _drop_schemas(self, *suffixes: str) -> None:
        self._run(*(f"DROP DATABASE IF EXISTS {_q(db + s)}" for db in DATABASES for s in suffixes))
