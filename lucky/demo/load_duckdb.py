"""Load the demo into a DuckDB file: one schema per source database, built beside the target.

The build writes `.<name>.building-<pid>` in the target's folder and renames it over the target
only when everything loaded, so a reader never sees half a demo and a failed build leaves the
old file untouched. Frames go in whole (DuckDB scans the registered pandas frame, whose columns
are numpy/Arrow arrays: `INSERT ... BY NAME SELECT * FROM chunk`), never row by row, each chunk
committed every ~1M rows (one transaction over the build held every row in memory; one commit
per small chunk cost a log flush each). No key constraints are created: `finish()` checks the keys
the MySQL DDL declares unique instead, so a DuckDB build refuses the duplicates MariaDB would.
Indexes: only the declared ones on a point-lookup column (`POINT_KEYS`: user_no, an item's
order_id) become ART indexes, after the load (4.3 s CPU and +20% file size at scale 1). Rows
arrive in time order, so zone maps already skip row groups for the shop/date ranges the other
indexes serve; a user's rows are spread over every row group, and without an index the customer
card's `WHERE user_no = :user_no` scanned all 2.6M coupon records at scale 1. DuckDB uses an
index only for a lone equality or IN filter, decided when the query runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
from duckdb_engine import Dialect
from sqlalchemy import Table

from lucky.demo.loaders import META_SCHEMA, Loader, LoadError, meta_row, meta_table
from lucky.errors import InputError

_DIALECT = Dialect()
MEMORY_LIMIT = os.environ.get("LUCKY_BUILD_DUCKDB_MEMORY", "1GB")
COMMIT_ROWS = 1_000_000
POINT_KEYS = frozenset({("user_no",), ("order_id",)})   # declared index columns that become ART indexes


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_sql(table: Table, schema: str | None = None) -> str:
    """CREATE TABLE for DuckDB from the SQLAlchemy table: same types, NOT NULL, no serial/keys."""
    cols = ",\n  ".join(
        f"{_q(c.name)} {c.type.compile(dialect=_DIALECT)}{'' if c.nullable else ' NOT NULL'}"
        for c in table.columns)
    return f"CREATE TABLE {_q(schema or table.schema)}.{_q(table.name)} (\n  {cols}\n)"


def lookup_indexes(table: Table) -> list[str]:
    """CREATE INDEX for the declared indexes of `table` on a point-lookup key (`POINT_KEYS`)."""
    return [f"CREATE INDEX {_q(ix.name)} ON {_q(table.schema)}.{_q(table.name)} "
            f"({', '.join(_q(c.name) for c in ix.columns)})"
            for ix in sorted(table.indexes, key=lambda ix: ix.name)
            if tuple(c.name for c in ix.columns) in POINT_KEYS]


def unique_keys(table: Table) -> list[tuple[str, ...]]:
    """The primary key and the unique indexes of `table`, as column-name tuples."""
    keys = [tuple(c.name for c in table.primary_key.columns)] if table.primary_key.columns else []
    keys += [tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique]
    return keys


class DuckDBLoader(Loader):
    kind = "duckdb"

    def __init__(self, path: str):
        super().__init__(path)
        self.path = Path(path).resolve()
        self.temp = self.path.with_name(f".{self.path.name}.building-{os.getpid()}")
        self.con: duckdb.DuckDBPyConnection | None = None
        self.pending = 0   # rows inserted since the last commit

    def holds_data(self) -> bool:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return False
        if self.path.is_dir():
            raise InputError(f"{self.path} is a folder, not a DuckDB file")
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.ConnectionException:
            return True  # open in this process with another configuration: it is a live database
        except duckdb.Error as exc:
            raise InputError(f"{self.path} exists and is not a DuckDB database ({exc}); "
                             "refusing to overwrite it: choose another --target") from None
        try:
            tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                 "WHERE schema_name LIKE 'luckyus_%'").fetchall()
            return any(con.execute(f"SELECT 1 FROM {_q(s)}.{_q(t)} LIMIT 1").fetchone()
                       for s, t in tables)
        finally:
            con.close()

    def begin(self, tables: list[Table]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_temp()
        # DuckDB would cache up to 80% of RAM; the generator's frames need it more (peak RSS goal 4 GB)
        self.con = duckdb.connect(str(self.temp), config={"memory_limit": MEMORY_LIMIT})
        self.con.execute("BEGIN TRANSACTION")
        for schema in sorted({t.schema for t in tables}):
            self.con.execute(f"CREATE SCHEMA {_q(schema)}")
        for table in tables:
            self.con.execute(create_sql(table))
        self.con.execute("COMMIT")

    def load(self, table: Table, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        if not self.pending:
            self.con.execute("BEGIN TRANSACTION")
        self.con.register("chunk", frame)
        try:
            self.con.execute(f"INSERT INTO {_q(table.schema)}.{_q(table.name)} BY NAME "
                             "SELECT * FROM chunk")
        finally:
            self.con.unregister("chunk")
        self.pending += len(frame)
        if self.pending >= COMMIT_ROWS:
            self._commit_pending()

    def _commit_pending(self) -> None:
        """Commit every ~COMMIT_ROWS rows: one commit per small chunk costs a log flush each,
        one transaction over the whole build kept every row in memory."""
        if self.pending:
            self.con.execute("COMMIT")
            self.pending = 0

    def finish(self, tables: list[Table], numbered: frozenset[str] = frozenset()) -> None:
        self._commit_pending()
        for table in tables:
            for key in unique_keys(table):
                if key == ("id",) and table.fullname in numbered:
                    continue
                cols = ", ".join(_q(c) for c in key)
                dup = self.con.execute(
                    f"SELECT {cols}, COUNT(*) FROM {_q(table.schema)}.{_q(table.name)} "
                    f"GROUP BY {cols} HAVING COUNT(*) > 1 LIMIT 1").fetchone()
                if dup:
                    raise LoadError(f"{table.fullname}: duplicate key {dict(zip(key, dup))} "
                                    f"({dup[-1]} rows); ({', '.join(key)}) must be unique")
        for table in tables:
            for sql in lookup_indexes(table):
                self.con.execute(sql)

    def commit(self, meta: dict) -> None:
        self.con.execute(f"CREATE SCHEMA {_q(META_SCHEMA)}")
        self.con.execute(create_sql(meta_table))
        row = pd.DataFrame([meta_row(meta)])
        self.con.register("meta_row", row)
        self.con.execute(f"INSERT INTO {_q(META_SCHEMA)}.{_q(meta_table.name)} BY NAME "
                         "SELECT * FROM meta_row")
        self.con.execute("CHECKPOINT")
        self.con.close()
        self.con = None
        Path(f"{self.path}.wal").unlink(missing_ok=True)  # an old file's log must not replay on ours
        os.replace(self.temp, self.path)
        Path(f"{self.temp}.wal").unlink(missing_ok=True)

    def abort(self) -> None:
        self.close()
        self._remove_temp()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def _remove_temp(self) -> None:
        for p in (self.temp, Path(f"{self.temp}.wal")):
            p.unlink(missing_ok=True)
