"""The same demo (seed 0, scale 0.01) gives the same answers on DuckDB, MariaDB and PostgreSQL.

Every public function of lucky/queries/*.py (discovered, see `query_call` in conftest.py) runs
against each backend through `LUCKY_DATABASE_URL`; results are compared after normalising what
legitimately differs between drivers (int vs Decimal vs float, date vs datetime, row order).
The raw tables are compared too: row counts and the sums of every money column.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math

import numpy as np
import pandas as pd
import pytest
from conftest import resolve_lazy
from sqlalchemy import BigInteger, Numeric

from lucky import sources
from lucky.schema import metadata

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def backends(demo, mariadb_demo, postgres_demo) -> dict[str, str]:
    return {"duckdb": str(demo["path"]), "mariadb": mariadb_demo, "postgresql": postgres_demo}


def _on(url: str, monkeypatch, fn, *args, **kwargs):
    """Call fn with every source pointing at `url`."""
    monkeypatch.setenv("LUCKY_DATABASE_URL", url)
    sources.dispose_all()
    try:
        return fn(*args, **kwargs)
    finally:
        sources.dispose_all()


# ----------------------------------------------------------------- normalisation

def _is_number(v) -> bool:
    return isinstance(v, (int, float, decimal.Decimal, np.integer, np.floating)) and not isinstance(v, bool)


def _is_time(v) -> bool:
    return isinstance(v, (dt.date, dt.datetime, pd.Timestamp, np.datetime64))


def _column(s: pd.Series) -> pd.Series:
    """Numbers → float, dates/datetimes → Timestamp, the rest as text (NULL stays NULL)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(float)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return pd.to_datetime(s).dt.tz_localize(None) if getattr(s.dt, "tz", None) else pd.to_datetime(s)
    values = s.dropna()
    if len(values) and all(_is_number(v) for v in values):
        return pd.to_numeric(s.astype(object), errors="coerce").astype("float64")
    if len(values) and all(_is_time(v) for v in values):
        return pd.to_datetime(s.astype(object))
    return s.astype(object).where(s.notna(), None).map(lambda v: v if v is None else str(v))


def normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Comparable form of a query result: typed columns, rows sorted on every column."""
    out = pd.DataFrame({c: _column(df[c]) for c in df.columns})
    if out.empty or not len(out.columns):
        return out.reset_index(drop=True)
    keys = pd.DataFrame({c: out[c].map(lambda v: "\x00" if v is None or v is pd.NaT or (
        isinstance(v, float) and math.isnan(v)) else f"{v:.6f}" if isinstance(v, float) else str(v))
        for c in out.columns})
    return out.loc[keys.sort_values(list(keys.columns), kind="stable").index].reset_index(drop=True)


def assert_same(a, b, where: str) -> None:
    """Deep comparison of query results (frames, series, dicts, sequences, scalars)."""
    if isinstance(a, pd.Series):
        a, b = a.to_frame(), b.to_frame() if isinstance(b, pd.Series) else b
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame), f"{where}: {type(b).__name__} instead of a DataFrame"
        assert list(a.columns) == list(b.columns), f"{where}: columns {list(a.columns)} vs {list(b.columns)}"
        assert len(a) == len(b), f"{where}: {len(a)} rows vs {len(b)}"
        pd.testing.assert_frame_equal(normalise(a), normalise(b), check_dtype=False,
                                      check_exact=False, rtol=TOLERANCE, atol=TOLERANCE,
                                      obj=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {sorted(a)} vs {sorted(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)) and not (a and all(_is_number(v) or _is_time(v) or v is None
                                                          or isinstance(v, str) for v in a)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, (list, tuple)):
        assert_same(pd.DataFrame({"v": list(a)}), pd.DataFrame({"v": list(b)}), where)
    elif _is_number(a) and _is_number(b):
        assert math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE), f"{where}: {a} vs {b}"
    elif _is_time(a) and _is_time(b):
        assert pd.Timestamp(a) == pd.Timestamp(b), f"{where}: {a} vs {b}"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


# ----------------------------------------------------------------- the tests

def test_query_parity(query_call, backends, monkeypatch):
    fn, kwargs = query_call
    if kwargs is None:
        pytest.skip(f"{fn.__module__}.{fn.__name__}: no test values for its required parameters "
                    "(add them to PARAM_SETS in tests/conftest.py or EXAMPLES in the module)")
    results = {name: _on(url, monkeypatch, lambda: fn(**resolve_lazy(kwargs)))
               for name, url in backends.items()}
    base = results.pop("duckdb")
    for name, result in results.items():
        assert_same(base, result, f"{fn.__module__}.{fn.__name__}({kwargs}) duckdb vs {name}")


def _table_sums_sql(table) -> str | None:
    """COUNT(*) and the SUM of every money column (DECIMAL, and integer cents)."""
    money = [c.name for c in table.columns if isinstance(c.type, Numeric)
             or (isinstance(c.type, BigInteger) and "cents" in (c.comment or ""))]
    parts = ["COUNT(*) AS n"] + [f"SUM({c}) AS s_{c}" for c in money]
    return f"SELECT {', '.join(parts)} FROM {table.schema}.{table.name}"


def test_raw_tables_parity(backends, monkeypatch):
    """Every table: same row count and same money totals on all three backends."""
    def snapshot():
        rows = []
        for key, table in sorted(metadata.tables.items()):
            df = sources.read(table.schema, _table_sums_sql(table))
            rows.append(df.iloc[0].rename(key))
        return rows

    shots = {name: _on(url, monkeypatch, snapshot) for name, url in backends.items()}
    base = shots.pop("duckdb")
    assert sum(float(s["n"]) for s in base) > 0, "the demo is empty"
    for name, shot in shots.items():
        for a, b in zip(base, shot):
            for col in a.index:
                x, y = a[col], b[col]
                if pd.isna(x) or pd.isna(y):
                    assert pd.isna(x) and pd.isna(y), f"{a.name}.{col}: duckdb {x} vs {name} {y}"
                else:
                    assert math.isclose(float(x), float(y), rel_tol=0, abs_tol=1e-6), \
                        f"{a.name}.{col}: duckdb {x} vs {name} {y}"


def test_normalise_is_order_and_type_blind():
    a = pd.DataFrame({"d": [dt.date(2026, 2, 1), dt.date(2026, 1, 1)], "n": [decimal.Decimal("1.10"), 2],
                      "s": ["b", None]})
    b = pd.DataFrame({"d": pd.to_datetime(["2026-01-01", "2026-02-01"]), "n": [2.0, 1.1], "s": [None, "b"]})
    assert_same(a, b, "normalise")
    with pytest.raises(AssertionError):
        assert_same(a, b.assign(n=[2.0, 1.2]), "normalise")
