"""What every demo loader shares: the target kinds, frame conformance, and the text format.

A loader receives frames that already match their table exactly (`conform`), so DuckDB, MariaDB
and PostgreSQL store the same values: numbers rounded to the column's scale, DATETIMEs floored
to whole seconds (MySQL's DATETIME keeps none), strings checked against VARCHAR lengths (DuckDB
would accept what MySQL truncates and PostgreSQL refuses).

Life of a build (see `lucky.demo.build.build`): `holds_data()` → `begin()` (staging area, empty
tables) → `load(table, frame)` per chunk → `finish()` (indexes and key checks) →
`commit(meta)` (swap staging into place, write `lucky_meta.lucky_demo_meta`) or `abort()`.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Double,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import make_url

from lucky.errors import InputError

#: Where a build records what it built; never inside a Luckin database.
META_SCHEMA, META_TABLE = "lucky_meta", "lucky_demo_meta"
STAGING_SUFFIX, OLD_SUFFIX = "__building", "__old"

meta_metadata = MetaData()
meta_table = Table(
    META_TABLE, meta_metadata,
    Column("scale", Double), Column("seed", Integer), Column("bulk", Double),
    Column("built_at", DateTime), Column("seconds", Double), Column("total_rows", BigInteger),
    Column("code", String(64)), Column("report", Text),
    schema=META_SCHEMA,
)


class LoadError(RuntimeError):
    """A generated frame does not fit its table (the generator's bug, named precisely)."""


def redact(target: str) -> str:
    """The target as it may be shown: URLs without their password."""
    if "://" not in target:
        return target
    try:
        return make_url(target).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown by scheme only
        return target.split("://", 1)[0] + "://..."


def target_kind(target: str) -> str:
    """`duckdb`, `mysql` or `postgresql` for a path or URL; InputError otherwise."""
    if "://" not in target:
        return "duckdb"
    backend = target.split("://", 1)[0].split("+", 1)[0].lower()
    kinds = {"duckdb": "duckdb", "mysql": "mysql", "mariadb": "mysql",
             "postgresql": "postgresql", "postgres": "postgresql"}
    if backend not in kinds:
        raise InputError(f"unsupported demo target '{redact(target)}': give a DuckDB path, "
                         "mysql+pymysql://user@host:3306/ or postgresql://user@host:5432/dbname")
    return kinds[backend]


def server_url(target: str, kind: str) -> str:
    """The SQLAlchemy URL with the driver Lucky ships (pymysql, psycopg2)."""
    url = make_url(target)
    driver = {"mysql": "mysql+pymysql", "postgresql": "postgresql+psycopg2"}[kind]
    return url.set(drivername=driver).render_as_string(hide_password=False)


class Loader(ABC):
    """One build into one target. Subclasses implement the storage; build() drives the order."""

    kind: str = ""

    def __init__(self, target: str):
        self.target = target
        self.label = redact(target)

    @abstractmethod
    def holds_data(self) -> bool:
        """True when any Luckin table at the target has a row (a rebuild needs --replace)."""

    @abstractmethod
    def begin(self, tables: list[Table]) -> None:
        """Create the staging area holding every table, empty."""

    @abstractmethod
    def load(self, table: Table, frame: pd.DataFrame) -> None:
        """Append a conformed frame to `table` in staging, in bulk."""

    @abstractmethod
    def finish(self, tables: list[Table], numbered: frozenset[str] = frozenset()) -> None:
        """After the last row: indexes and key checks (`numbered`: tables whose ids are unique
        by construction, numbered by the build or strictly ascending across chunks)."""

    @abstractmethod
    def commit(self, meta: dict) -> None:
        """Put staging in place of the target in one step and record `meta`."""

    @abstractmethod
    def abort(self) -> None:
        """Remove staging; the target is left as it was."""

    def close(self) -> None:  # noqa: B027 - optional hook: most loaders hold nothing to release
        """Release connections."""


def open_loader(target: str) -> Loader:
    """The loader for a DuckDB path/URL, a MySQL/MariaDB URL or a PostgreSQL URL."""
    kind = target_kind(target)
    if kind == "duckdb":
        from lucky.demo.load_duckdb import DuckDBLoader
        path = make_url(target).database if "://" in target else target
        if not path or path == ":memory:":
            raise InputError("a DuckDB demo target must be a file path")
        return DuckDBLoader(str(Path(path).expanduser()))
    if kind == "mysql":
        from lucky.demo.load_mysql import MySQLLoader
        return MySQLLoader(server_url(target, kind))
    from lucky.demo.load_postgres import PostgresLoader
    return PostgresLoader(server_url(target, kind))


# ------------------------------------------------------------------ frame conformance

def conform(table: Table, frame: pd.DataFrame, next_id: int) -> tuple[pd.DataFrame, list[str]]:
    """`frame` with exactly `table`'s columns, in order, typed for loading; and dropped extras.

    Missing nullable columns become NULL; a missing or all-NULL `id` is numbered from `next_id`.
    Extra columns (helpers the generator keeps on `world.frames`, such as `local_date`) are
    dropped and returned so the build report can name them.
    """
    extra = [c for c in frame.columns if c not in table.c]
    n = len(frame)
    required = [c.name for c in table.columns
                if not c.nullable and c.name != "id" and c.name not in frame.columns]
    if required and n:
        raise LoadError(f"{table.fullname}: required column(s) {required} were not generated")
    out = {}
    for col in table.columns:
        if col.name == "id" and (col.name not in frame.columns or frame[col.name].isna().all()):
            out["id"] = pd.Series(np.arange(next_id, next_id + n, dtype="int64"))
            continue
        series = frame[col.name].reset_index(drop=True) if col.name in frame.columns else None
        try:
            out[col.name] = _typed(col, series, n)
        except (TypeError, ValueError) as exc:
            raise LoadError(f"{table.fullname}.{col.name}: {exc}") from None
    return pd.DataFrame(out), extra


def _typed(col: Column, s: pd.Series | None, n: int) -> pd.Series:
    """One column converted to the dtype its SQL type loads from, values exactly representable."""
    kind = col.type
    if isinstance(kind, Integer):
        if s is None:
            return pd.Series(pd.array([pd.NA] * n, dtype="Int64"))
        if s.dtype == bool or str(s.dtype) == "boolean":
            s = s.astype("Int64")
        if not pd.api.types.is_integer_dtype(s.dtype):
            num = pd.to_numeric(s)
            if (num.dropna() % 1 != 0).any():
                raise ValueError(f"non-integer values such as {num[num % 1 != 0].iloc[0]!r}")
            s = num
        return s.astype("Int64") if s.hasnans or not pd.api.types.is_integer_dtype(s.dtype) else s
    if isinstance(kind, Numeric):
        if s is None:
            return pd.Series(np.full(n, np.nan))
        values = pd.to_numeric(s).astype("float64")
        return values.round(kind.scale) if kind.scale is not None else values
    if isinstance(kind, DateTime):
        if s is None:
            return pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]")
        values = _datetimes(s)
        if values.dt.tz is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.dt.floor("s").astype("datetime64[us]")
    if isinstance(kind, Date):
        if s is None:
            return pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]")
        values = _datetimes(s)
        if values.dt.tz is not None:
            values = values.dt.tz_localize(None)
        return values.dt.normalize().astype("datetime64[us]")
    if isinstance(kind, (String, Text)):
        if s is None:
            return pd.Series([None] * n, dtype="str")
        values = s if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object else s.astype("str")
        if kind.length and n:
            too_long = values.str.len() > kind.length
            if too_long.any():
                raise ValueError(f"value longer than VARCHAR({kind.length}): "
                                 f"{values[too_long].iloc[0]!r}")
        return values
    raise TypeError(f"no loader conversion for SQL type {kind!r}")


def _datetimes(s: pd.Series) -> pd.Series:
    """Datetimes from datetimes, dates or ISO strings (a date-only string mixed with full ones too)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    try:
        return pd.to_datetime(s, format="ISO8601")
    except (ValueError, TypeError):
        return pd.to_datetime(s)


# ------------------------------------------------------------------ the text format

def to_tsv(frame: pd.DataFrame, table: Table | None = None) -> bytes:
    """Tab-separated rows in the text format MySQL LOAD DATA and PostgreSQL COPY both read.

    NULL is `\\N`; backslash, tab, newline and carriage return inside strings are escaped with a
    backslash, so no quoting is needed. Built with Arrow compute kernels (several times faster
    than `DataFrame.to_csv`); `table` marks the DATE columns, written without a time.
    """
    dates = {c.name for c in table.columns if isinstance(c.type, Date)} if table is not None else set()
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    text = pa.large_string()
    cols = []
    for name, col in zip(arrow.column_names, arrow.columns):
        kind = col.type
        if pa.types.is_timestamp(kind):
            col = pc.cast(col, pa.date32() if name in dates else pa.timestamp("s"))
        col = pc.cast(col, text)
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                col = pc.replace_substring(col, raw, escaped)
        cols.append(pc.fill_null(col, pa.scalar("\\N", text)))
    if not cols or not len(frame):
        return b""
    lines = pc.binary_join_element_wise(*cols, pa.scalar("\t", text))
    lines = pc.binary_join_element_wise(lines, pa.scalar("", text), pa.scalar("\n", text)).combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
    start, end = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return lines.buffers()[2][start:end].to_pybytes()


def plain_rows(frame: pd.DataFrame) -> list[tuple]:
    """Rows of Python values (None for NULL) for DB-API executemany."""
    obj = frame.astype(object)
    return list(obj.where(frame.notna(), None).itertuples(index=False, name=None))


def meta_row(meta: dict) -> dict:
    """`meta` as the one row of `lucky_meta.lucky_demo_meta`."""
    return {"scale": meta["scale"], "seed": meta["seed"], "bulk": meta["bulk"],
            "built_at": meta["built_at"], "seconds": meta["seconds"],
            "total_rows": meta["total_rows"], "code": meta["code"],
            "report": json.dumps(meta, default=str)}


def staging_tables(tables: list[Table], suffix: str = STAGING_SUFFIX) -> list[Table]:
    """Copies of `tables` living in `<schema><suffix>` (with their indexes)."""
    md = MetaData()
    return [t.to_metadata(md, schema=f"{t.schema}{suffix}") for t in tables]
