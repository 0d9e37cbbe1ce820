"""Building the demo into DuckDB, MariaDB and PostgreSQL: contract, safety, bad input.

Most tests replace the generator with `synthetic_generate`: small frames carrying the values that
break loaders (tabs, newlines, backslashes, quotes, NULL in every type, time zones, fractions of
a second and of a cent, Decimals, helper columns), so the loaders are tested whatever state the
real generator steps are in. The real generator is built by the session fixtures (`demo`,
`mariadb_demo`, `postgres_demo`) that the server tests here and tests/test_parity.py use.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd
import pytest

from lucky.demo import build as build_mod
from lucky.demo.load_mysql import DDL_DIR, mysql_ddl
from lucky.demo.loaders import conform, to_tsv
from lucky.errors import InputError
from lucky.schema import DATABASES, get_table, metadata

NASTY = ["plain", "tab\there", "new\nline", "back\\slash", 'quo"te', "caf\u00e9 \u2615", "", None]


def synthetic_generate(world, progress=None):
    """A stand-in for lucky.demo.generate.generate: awkward values, two chunks for t_order."""
    n = len(NASTY)
    if progress:
        progress("synthetic", 0.0)
    yield "luckyus_opshop", "t_shop_info", pd.DataFrame({
        "id": [1, 2], "tenant": ["LKUS", "LKUS"], "shop_no": ["US001", "CK001"],
        "shop_name": ["8th & Broadway", "Rarotonga test"], "time_zone": ["America/New_York", "Pacific/Rarotonga"],
        "location_longitude": [Decimal("-73.991234"), None], "set_up_time": ["2025-06-30", None],
        "test_flag": [0, 1], "currency_code": ["USD", "NZD"],
        "create_time": pd.to_datetime(["2025-06-01 12:00:00", "2025-06-01 12:00:00"])})
    for part in range(2):   # a table may come in several chunks; ids continue
        yield "luckyus_sales_order", "t_order", pd.DataFrame({
            "tenant": ["LKUS"] * n,
            "order_no": [f"O{part}{i:04d}" for i in range(n)],
            "channel": np.arange(n) % 3 + 1,
            "shop_id": [1.0] * (n - 1) + [np.nan],                # float with NaN → BIGINT NULL
            "status": [90] * n,
            "pay_money": [4.705, 4.71, 0.285, 1e6, Decimal("3.10"), np.nan, 0.1 + 0.2, 5],
            "create_time": pd.to_datetime(["2026-02-01 13:00:00.900"] * n, utc=True),
            "pay_time": [datetime(2026, 2, 1, 8, 0, tzinfo=UTC)] * (n - 1) + [None],
            "remark": NASTY,
            "local_date": pd.to_datetime(["2026-02-01"] * n),   # a helper column: dropped
        })
    if progress:
        progress("done", 1.0)
    world.truth["tax"]["missing_tax"] = [np.str_("O00001")]
    world.truth["anomalies"] = [{"shop_id": np.int64(1), "date": pd.Timestamp("2026-02-01"),
                                 "metric": "orders"}]
    for key, table in metadata.tables.items():
        if key not in ("luckyus_opshop.t_shop_info", "luckyus_sales_order.t_order"):
            yield table.schema, table.name, pd.DataFrame(columns=[c.name for c in table.columns])


@pytest.fixture()
def synthetic(monkeypatch):
    monkeypatch.setattr(build_mod, "generate", synthetic_generate)


def _duck(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- contract

def test_conform_types_and_rounding():
    table = get_table("luckyus_sales_order", "t_order")
    frame = next(f for db, t, f in synthetic_generate(type("W", (), {"truth": {"tax": {}}})())
                 if t == "t_order")
    out, dropped = conform(table, frame, next_id=10)
    assert list(out.columns) == [c.name for c in table.columns] and dropped == ["local_date"]
    assert out["id"].tolist() == list(range(10, 10 + len(frame)))
    assert out["pay_money"].tolist()[:5] == [4.7, 4.71, 0.28, 1e6, 3.1]   # half-even on the double
    assert out["create_time"].iloc[0] == pd.Timestamp("2026-02-01 13:00:00")   # UTC, whole seconds
    assert out["shop_id"].isna().iloc[-1] and str(out["shop_id"].dtype) == "Int64"


def test_conform_refuses_what_mysql_would_refuse():
    table = get_table("luckyus_sales_order", "t_order")
    base = {"tenant": ["LKUS"], "order_no": ["x"], "create_time": [pd.Timestamp("2026-01-01")]}
    with pytest.raises(Exception, match="VARCHAR"):
        conform(table, pd.DataFrame({**base, "order_no": ["x" * 33]}), 1)
    with pytest.raises(Exception, match="non-integer"):
        conform(table, pd.DataFrame({**base, "status": [1.5]}), 1)
    with pytest.raises(Exception, match="required"):
        conform(table, pd.DataFrame({"order_no": ["x"]}), 1)


def test_tsv_escapes_and_nulls():
    frame = pd.DataFrame({"s": pd.Series(NASTY, dtype="str"), "i": pd.array([1] * 7 + [None], dtype="Int64")})
    lines = to_tsv(frame).decode().split("\n")
    assert lines[1] == "tab\\there\t1" and lines[2] == "new\\nline\t1" and lines[3] == "back\\\\slash\t1"
    assert lines[7] == "\\N\t\\N"


def test_ddl_files_match_schema():
    for database in DATABASES:
        path = DDL_DIR / f"{database}.sql"
        assert path.exists(), f"missing {path}: run `python -m lucky demo ddl`"
        assert path.read_text(encoding="utf-8") == mysql_ddl(database), \
            f"{path} is stale: run `python -m lucky demo ddl`"
    assert sorted(p.stem for p in DDL_DIR.glob("*.sql")) == sorted(DATABASES)


def test_ddl_is_mysql():
    ddl = mysql_ddl("luckyus_sales_payment")
    assert "AUTO_INCREMENT" in ddl and "ENGINE=InnoDB" in ddl and "DATETIME" in ddl
    assert "CREATE UNIQUE INDEX ux_t_trade_0 ON luckyus_sales_payment.t_trade (trade_no);" in ddl
    assert "DECIMAL(12, 2)" in mysql_ddl("luckyus_sales_order")


# --------------------------------------------------------------------------- DuckDB

def test_duckdb_build_report_meta_truth(tmp_path, synthetic):
    seen = []
    path, truth = tmp_path / "d.duckdb", tmp_path / "sub" / "truth.json"
    report = build_mod.build(str(path), scale=0.01, seed=3, bulk=0.2, truth=truth,
                             progress=lambda m, f: seen.append((m, f)))
    assert report["rows"]["luckyus_sales_order.t_order"] == 2 * len(NASTY)
    assert report["rows"]["luckyus_fi_tax.t_tax_invoice"] == 0 and report["seconds"] > 0
    assert report["dropped_columns"] == {"luckyus_sales_order.t_order": ["local_date"]}
    assert [f for _, f in seen] == sorted(f for _, f in seen) and seen[-1][1] == 1.0
    assert any("rows/s" in m for m, _ in seen)
    assert _duck(path, "SELECT COUNT(*), COUNT(DISTINCT id), MAX(id) FROM luckyus_sales_order.t_order") \
        == [(16, 16, 16)]
    remarks = [r for (r,) in _duck(path, "SELECT remark FROM luckyus_sales_order.t_order ORDER BY id LIMIT 8")]
    assert remarks == NASTY
    n_tables = _duck(path, "SELECT COUNT(*) FROM duckdb_tables() WHERE schema_name LIKE 'luckyus_%'")
    assert n_tables == [(len(metadata.tables),)]
    meta = _duck(path, "SELECT scale, seed, bulk FROM lucky_meta.lucky_demo_meta")
    assert meta == [(0.01, 3, 0.2)]
    indexed = _duck(path, "SELECT table_name FROM duckdb_indexes() WHERE expressions = '[user_no]'")
    assert {"t_order", "t_coupon_record", "t_user_state"} <= {t for (t,) in indexed}   # point lookups
    with duckdb.connect(str(path)) as con:     # the card's lookup of one user is an index scan
        con.execute("UPDATE luckyus_sales_order.t_order SET user_no = 'U' || id")
        plan = con.execute("EXPLAIN ANALYZE SELECT order_no FROM luckyus_sales_order.t_order WHERE user_no = ?",
                           ["U3"]).fetchall()
    assert "Index Scan" in plan[0][1]
    written = json.loads(truth.read_text())
    assert written["tax"]["missing_tax"] == ["O00001"]
    assert written["anomalies"] == [{"shop_id": 1, "date": "2026-02-01", "metric": "orders"}]
    assert not list(tmp_path.glob(".*building*"))


def test_refuses_existing_data_without_replace(tmp_path, synthetic):
    path = tmp_path / "d.duckdb"
    build_mod.build(str(path), scale=0.01, seed=0)
    before = path.stat().st_mtime_ns
    with pytest.raises(InputError, match=r"already holds.*--replace") as err:
        build_mod.build(str(path), scale=0.01, seed=1)
    assert str(path) in str(err.value) and path.stat().st_mtime_ns == before
    build_mod.build(str(path), scale=0.01, seed=1, replace=True)
    assert _duck(path, "SELECT seed FROM lucky_meta.lucky_demo_meta") == [(1,)]


@pytest.mark.parametrize("kw, match", [({"scale": 0}, "scale"), ({"scale": -1}, "scale"),
                                        ({"scale": float("nan")}, "scale"), ({"bulk": -0.1}, "bulk"),
                                        ({"seed": -1}, "seed")])
def test_refuses_bad_numbers(tmp_path, kw, match):
    with pytest.raises(InputError, match=match):
        build_mod.build(str(tmp_path / "d.duckdb"), **kw)
    assert not list(tmp_path.iterdir())


def test_refuses_a_file_that_is_not_duckdb(tmp_path, synthetic):
    path = tmp_path / "notes.txt"
    path.write_text("my notes")
    with pytest.raises(InputError, match="not a DuckDB"):
        build_mod.build(str(path), scale=0.01, replace=True)
    assert path.read_text() == "my notes"


def _failing_generate(world, progress=None):
    yield from (item for item in synthetic_generate(world, progress) if item[1] == "t_order")
    raise RuntimeError("generator step exploded")


def test_failed_build_leaves_target_as_it_was(tmp_path, synthetic, monkeypatch):
    path, truth = tmp_path / "d.duckdb", tmp_path / "truth.json"
    build_mod.build(str(path), scale=0.01, seed=5)
    monkeypatch.setattr(build_mod, "generate", _failing_generate)
    with pytest.raises(RuntimeError, match="exploded"):
        build_mod.build(str(path), scale=0.01, seed=6, replace=True, truth=truth)
    assert _duck(path, "SELECT seed FROM lucky_meta.lucky_demo_meta") == [(5,)]
    assert not truth.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb"]


def test_duplicate_keys_refused_like_mysql(tmp_path, monkeypatch):
    def dup(world, progress=None):
        for db, name, frame in synthetic_generate(world, progress):
            yield db, name, frame.assign(order_no="SAME") if name == "t_order" else frame
    monkeypatch.setattr(build_mod, "generate", dup)
    with pytest.raises(Exception, match="order_no"):
        build_mod.build(str(tmp_path / "d.duckdb"), scale=0.01)
    assert not list(tmp_path.iterdir())


def test_repeated_generated_ids_refused(tmp_path, monkeypatch):
    def same_ids(world, progress=None):
        for db, name, frame in synthetic_generate(world, progress):
            yield db, name, frame.assign(id=range(1, len(frame) + 1)) if name == "t_order" else frame
    monkeypatch.setattr(build_mod, "generate", same_ids)   # both t_order chunks carry ids 1..8
    with pytest.raises(Exception, match=r"t_order: duplicate key \{'id': 1\}"):
        build_mod.build(str(tmp_path / "d.duckdb"), scale=0.01)


def test_unknown_table_from_generator_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(build_mod, "generate",
                        lambda world, progress=None: iter([("luckyus_sales_order", "t_nope", pd.DataFrame())]))
    with pytest.raises(InputError, match="luckyus_sales_order.t_nope"):
        build_mod.build(str(tmp_path / "d.duckdb"), scale=0.01)


def test_ensure_demo_builds_once(tmp_path, synthetic, monkeypatch):
    monkeypatch.setenv("LUCKY_DEMO_PATH", str(tmp_path / "demo.duckdb"))
    monkeypatch.setenv("LUCKY_DEMO_SCALE", "0.01")
    calls = []
    real = build_mod.build
    monkeypatch.setattr(build_mod, "build", lambda *a, **k: calls.append(k) or real(*a, **k))
    assert build_mod.ensure_demo() == tmp_path / "demo.duckdb"
    assert build_mod.ensure_demo() == tmp_path / "demo.duckdb"
    assert [c["scale"] for c in calls] == [0.01]


def test_cli_build_and_info(tmp_path, synthetic, capsys):
    from lucky.cli import main

    path = tmp_path / "c.duckdb"
    assert main(["demo", "build", "--target", str(path), "--scale", "0.01", "--seed", "2"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["seed"] == 2 and "rows/s" in err and "%]" in err
    assert main(["demo", "build", "--target", str(path), "--scale", "0.01"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["demo", "build", "--target", str(tmp_path / "x.duckdb"), "--scale", "0"]) == 2
    assert main(["demo", "info", "--target", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 2
    assert main(["demo", "ddl", "--check"]) == 0


# --------------------------------------------------------------------------- servers
# The server demos (`mariadb_demo`, `postgres_demo`) hold the parity build; these tests only try
# to damage it and check they could not, so they never change what other tests read.

def _staging_left(url: str) -> list[str]:
    from sqlalchemy import create_engine, text
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return [s for (s,) in conn.execute(text(
                "SELECT DISTINCT table_schema FROM information_schema.tables "
                "WHERE table_schema LIKE '%\\_\\_building' OR table_schema LIKE '%\\_\\_old'"))]
    finally:
        eng.dispose()


@pytest.mark.parametrize("server", ["mariadb_demo", "postgres_demo"])
def test_server_target_refused_and_failed_rebuild_rolled_back(server, request, monkeypatch):
    from lucky import sources

    url = request.getfixturevalue(server)
    before = sources.demo_meta(url)
    assert before is not None and before["seed"] == 0
    with pytest.raises(InputError, match="--replace"):
        build_mod.build(url, scale=0.01, seed=8)
    monkeypatch.setattr(build_mod, "generate", _failing_generate)
    with pytest.raises(RuntimeError, match="exploded"):
        build_mod.build(url, scale=0.01, seed=9, replace=True)
    assert sources.demo_meta(url) == before
    assert _staging_left(url) == []


def test_mysql_executemany_fallback(mariadb_url):
    """With local_infile off, rows go in with batched executemany and read back the same."""
    from sqlalchemy import create_engine, text

    from lucky.demo.load_mysql import MySQLLoader

    table = get_table("luckyus_sales_order", "t_order")
    frame = next(f for _, t, f in synthetic_generate(type("W", (), {"truth": {"tax": {}}})())
                 if t == "t_order")
    loader = MySQLLoader(mariadb_url)
    loader.use_infile = False
    try:
        loader.begin([table])
        loader.load(table, conform(table, frame, 1)[0])
        eng = create_engine(mariadb_url)
        with eng.connect() as conn:
            rows = conn.execute(text("SELECT remark, pay_money FROM "
                                     "luckyus_sales_order__building.t_order ORDER BY id")).fetchall()
        eng.dispose()
    finally:
        loader.abort()
    assert [r for r, _ in rows] == NASTY
    assert [float(m) for _, m in rows[:3]] == [4.7, 4.71, 0.28]
    assert _staging_left(mariadb_url) == []
