"""Load the demo into PostgreSQL: one schema per source database, in the URL's database.

The database is created when missing. A load fills staging schemas `<db>__building` with
`COPY ... FROM STDIN` (the text format: tab-separated, NULL as `\\N`), adds the indexes, then
swaps every schema in one transaction (`ALTER SCHEMA ... RENAME`): PostgreSQL's DDL is
transactional, so readers see the old demo or the new one, never a mix, and a failure leaves
the target as it was. `pg_advisory_lock` keeps two builds from sharing the staging schemas.
"""
from __future__ import annotations

import io

import pandas as pd
import psycopg2
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from lucky.demo.loaders import (
    META_SCHEMA,
    OLD_SUFFIX,
    STAGING_SUFFIX,
    Loader,
    meta_row,
    meta_table,
    staging_tables,
    to_tsv,
)
from lucky.errors import InputError
from lucky.schema import DATABASES

LOCK_KEY = 0x6C75636B79  # "lucky"
_DIALECT = postgresql.dialect()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _compile(ddl) -> str:
    return str(ddl.compile(dialect=_DIALECT)).strip()


class PostgresLoader(Loader):
    kind = "postgresql"

    def __init__(self, url: str):
        super().__init__(url)
        self.url = make_url(url)
        if not self.url.database:
            raise InputError(f"the PostgreSQL demo target {self.label} names no database: "
                             "add one, e.g. postgresql://postgres@127.0.0.1:5432/lucky_demo")
        self.conn = None
        self.locked = False
        self.staged: list[Table] = []

    # -- connection ------------------------------------------------------------------------
    def _connect(self):
        if self.conn is None:
            try:
                self.conn = self._open(self.url.database)
            except psycopg2.OperationalError as exc:
                if f'"{self.url.database}" does not exist' not in str(exc):
                    raise InputError(f"cannot connect to the demo target {self.label}: "
                                     f"{str(exc).strip().splitlines()[0]}") from None
                self._create_database()
                self.conn = self._open(self.url.database)
        return self.conn

    def _open(self, database: str):
        args = self.url.set(database=database).translate_connect_args(username="user", database="dbname")
        conn = psycopg2.connect(**args, **{"connect_timeout": 5, **dict(self.url.query)})
        conn.autocommit = True
        return conn

    def _create_database(self) -> None:
        admin = self._open("postgres")
        try:
            with admin.cursor() as cur:
                cur.execute(f"CREATE DATABASE {_q(self.url.database)}")
        finally:
            admin.close()

    def _run(self, *statements: str) -> None:
        with self._connect().cursor() as cur:
            for sql in statements:
                cur.execute(sql)

    def _rows(self, sql: str, args=None) -> list[tuple]:
        with self._connect().cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    # -- life of a build -------------------------------------------------------------------
    def holds_data(self) -> bool:
        existing = self._rows("SELECT table_schema, table_name FROM information_schema.tables "
                              "WHERE table_type = 'BASE TABLE' AND table_schema = ANY(%s)",
                              (list(DATABASES),))
        return any(self._rows(f"SELECT 1 FROM {_q(s)}.{_q(t)} LIMIT 1") for s, t in existing)

    def begin(self, tables: list[Table]) -> None:
        self._run(f"SELECT pg_advisory_lock({LOCK_KEY})")   # session-wide, outlives transactions
        self.locked = True   # from here on, staging is ours to drop
        self.staged = staging_tables(tables)
        self._connect().autocommit = False   # staging is built in one transaction, committed by finish()
        self._drop_schemas(STAGING_SUFFIX, OLD_SUFFIX)
        self._run(*(f"CREATE SCHEMA {_q(s)}" for s in sorted({t.schema for t in self.staged})))
        self._run(*(_compile(CreateTable(t)) for t in self.staged))

    def load(self, table: Table, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        cols = ", ".join(_q(c) for c in frame.columns)
        sql = f"COPY {_q(table.schema + STAGING_SUFFIX)}.{_q(table.name)} ({cols}) FROM STDIN"
        with self._connect().cursor() as cur:
            cur.copy_expert(sql, io.BytesIO(to_tsv(frame, table)))

    def finish(self, tables: list[Table], numbered: frozenset[str] = frozenset()) -> None:
        for table in self.staged:
            self._run(*(_compile(CreateIndex(ix)) for ix in sorted(table.indexes, key=lambda i: i.name)))
            self._run(f"ANALYZE {_q(table.schema)}.{_q(table.name)}")
        self.conn.commit()

    def commit(self, meta: dict) -> None:
        conn = self._connect()
        existing = {s for (s,) in self._rows(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ANY(%s)",
            ([*DATABASES, META_SCHEMA],))}
        row = meta_row(meta)
        try:   # one transaction (autocommit is off since begin): readers see old or new, never a mix
            with conn.cursor() as cur:
                for schema in sorted({t.schema.removesuffix(STAGING_SUFFIX) for t in self.staged}):
                    if schema in existing:
                        cur.execute(f"ALTER SCHEMA {_q(schema)} RENAME TO {_q(schema + OLD_SUFFIX)}")
                    cur.execute(f"ALTER SCHEMA {_q(schema + STAGING_SUFFIX)} RENAME TO {_q(schema)}")
                    if schema in existing:
                        cur.execute(f"DROP SCHEMA {_q(schema + OLD_SUFFIX)} CASCADE")
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(META_SCHEMA)}")
                cur.execute(f"DROP TABLE IF EXISTS {_q(META_SCHEMA)}.{_q(meta_table.name)}")
                cur.execute(_compile(CreateTable(meta_table)))
                cur.execute(f"INSERT INTO {_q(META_SCHEMA)}.{_q(meta_table.name)} ({', '.join(row)}) "
                            f"VALUES ({', '.join(['%s'] * len(row))})", list(row.values()))
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.autocommit = True

    def abort(self) -> None:
        try:
            if self.conn is not None and self.locked:   # never touch another build's staging
                self.conn.rollback()
                self.conn.autocommit = True
                self._drop_schemas(STAGING_SUFFIX, OLD_SUFFIX)
        finally:
            self.close()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()   # also releases the advisory lock
            finally:
                self.conn = None

    def _drop_schemas(self, *suffixes: str) -> None:
        self._run(*(f"DROP SCHEMA IF EXISTS {_q(db + s)} CASCADE" for db in DATABASES for s in suffixes))
