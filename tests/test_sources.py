"""The data layer: where each database resolves, read-only engines, and errors a person can act on."""
from __future__ import annotations

import multiprocessing
import socket
from pathlib import Path

import duckdb
import pytest
from conftest import resolve_lazy
from sqlalchemy import text

from lucky import sources
from lucky.errors import SourceError
from lucky.schema import DATABASES, tables_of

DB = "luckyus_sales_order"
SECRET = "Sup3rSecretPw"


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def env(monkeypatch, tmp_path):
    """No LUCKY_DATABASE_URL, an empty secrets file of our own, a demo path that does not exist."""
    monkeypatch.delenv("LUCKY_DATABASE_URL", raising=False)
    monkeypatch.setenv("LUCKY_SECRETS", str(tmp_path / "secrets.toml"))
    monkeypatch.setenv("LUCKY_DEMO_PATH", str(tmp_path / "no-demo.duckdb"))
    sources.dispose_all()
    yield monkeypatch
    sources.dispose_all()


def _secrets(tmp_path: Path, urls: dict[str, str]) -> None:
    (tmp_path / "secrets.toml").write_text(
        "".join(f'[connections.{db}]\nurl = "{url}"\n\n' for db, url in urls.items()))


# ----------------------------------------------------------------- resolution

def test_resolution_order(env, tmp_path):
    assert sources.resolve(DB).setting == sources.DEMO_SETTING and sources.is_demo()
    _secrets(tmp_path, {DB: "mysql://reader@db1:3306/"})
    src = sources.resolve(DB)
    assert src.url == "mysql+pymysql://reader@db1:3306/" and "[connections.luckyus_sales_order]" in src.setting
    assert not sources.is_demo() and sources.resolve("luckyus_opshop").setting == sources.DEMO_SETTING
    env.setenv("LUCKY_DATABASE_URL", "postgresql://u@h/db")
    assert sources.resolve(DB).url == "postgresql+psycopg2://u@h/db"
    assert sources.resolve(DB).setting == "LUCKY_DATABASE_URL"


def test_key_hides_password(env):
    env.setenv("LUCKY_DATABASE_URL", f"mysql+pymysql://reader:{SECRET}@db1:3306/")
    assert SECRET not in sources.resolve(DB).key and "***" in sources.resolve(DB).key


# ----------------------------------------------------------------- bad input

def test_unknown_database():
    with pytest.raises(SourceError, match="luckyus_nope: unknown database") as err:
        sources.read("luckyus_nope", "SELECT 1")
    assert err.value.setting == "the database name"


@pytest.mark.parametrize("scheme", ["mysql+pymysql", "postgresql"])
def test_unreachable_server(env, scheme):
    port = _closed_port()
    env.setenv("LUCKY_DATABASE_URL", f"{scheme}://u:{SECRET}@127.0.0.1:{port}/x")
    with pytest.raises(SourceError) as err:
        sources.read(DB, "SELECT 1")
    message = str(err.value)
    assert message.startswith(f"{DB}: cannot reach the server 127.0.0.1:{port}")
    assert "(check LUCKY_DATABASE_URL)" in message and SECRET not in message


def test_wrong_credentials_mariadb(env, tmp_path, mariadb_url):
    _secrets(tmp_path, {DB: f"mysql+pymysql://lucky_no_such_user:{SECRET}@127.0.0.1:3306/"})
    with pytest.raises(SourceError) as err:
        sources.ping(DB)
    message = str(err.value)
    assert "refused the credentials" in message and "lucky_no_such_user" in message
    assert f"[connections.{DB}] url in {tmp_path / 'secrets.toml'}" in message
    assert SECRET not in message and SECRET not in repr(err.value.__dict__)


def test_wrong_credentials_postgres(env, postgres_url):
    env.setenv("LUCKY_DATABASE_URL", f"postgresql://lucky_no_such_user:{SECRET}@127.0.0.1:5432/postgres")
    with pytest.raises(SourceError, match="refused the credentials") as err:
        sources.ping(DB)
    assert SECRET not in str(err.value)


def test_missing_duckdb_file_and_bad_url(env, tmp_path):
    env.setenv("LUCKY_DATABASE_URL", str(tmp_path / "absent.duckdb"))
    with pytest.raises(SourceError, match="no DuckDB file"):
        sources.ping(DB)
    env.setenv("LUCKY_DATABASE_URL", f"oracle://u:{SECRET}@h/x")
    with pytest.raises(SourceError) as err:
        sources.ping(DB)
    assert SECRET not in str(err.value) and "LUCKY_DATABASE_URL" in str(err.value)


def test_unknown_table_names_the_database(demo):
    with pytest.raises(SourceError, match=f"^{DB}: .*t_nope"):
        sources.read(DB, "SELECT * FROM luckyus_sales_order.t_nope")


# ----------------------------------------------------------------- read-only for real

INSERT_SHOP = ("INSERT INTO luckyus_opshop.t_shop_info (id, tenant, create_time) "
               "VALUES (999999, 'LKUS', '2026-01-01 00:00:00')")


def _insert_fails(monkeypatch, url: str) -> None:
    monkeypatch.setenv("LUCKY_DATABASE_URL", url)
    sources.dispose_all()
    try:
        with pytest.raises(Exception, match="(?i)read.only|read-only"):
            with sources.engine("luckyus_opshop").begin() as conn:
                conn.execute(text(INSERT_SHOP))
        with pytest.raises(SourceError, match="read-only"):
            sources.read("luckyus_opshop", INSERT_SHOP)
    finally:
        sources.dispose_all()


def test_insert_fails_duckdb(demo, monkeypatch):
    _insert_fails(monkeypatch, str(demo["path"]))


def test_insert_fails_mariadb(mariadb_demo, monkeypatch):
    _insert_fails(monkeypatch, mariadb_demo)


def test_insert_fails_postgres(postgres_demo, monkeypatch):
    _insert_fails(monkeypatch, postgres_demo)


def test_statement_limits_are_set(mariadb_demo, postgres_demo, monkeypatch):
    monkeypatch.setenv("LUCKY_DATABASE_URL", mariadb_demo)
    sources.dispose_all()
    limit = sources.read(DB, "SELECT @@max_statement_time AS s")["s"].iloc[0]
    assert float(limit) == sources.STATEMENT_TIMEOUT_MS / 1000
    monkeypatch.setenv("LUCKY_DATABASE_URL", postgres_demo)
    sources.dispose_all()
    assert sources.read(DB, "SHOW statement_timeout").iloc[0, 0] == f"{sources.STATEMENT_TIMEOUT_MS // 1000}s"
    sources.dispose_all()


@pytest.mark.parametrize("server, sleep", [("mariadb_demo", "SELECT SLEEP(5) AS s"),
                                           ("postgres_demo", "SELECT pg_sleep(5) AS s")])
def test_slow_statement_is_cut(server, sleep, request, monkeypatch):
    monkeypatch.setenv("LUCKY_DATABASE_URL", request.getfixturevalue(server))
    monkeypatch.setattr(sources, "STATEMENT_TIMEOUT_MS", 300)
    sources.dispose_all()
    try:
        with pytest.raises(SourceError, match="ran longer than LUCKY_STATEMENT_TIMEOUT_MS"):
            sources.read(DB, sleep)
    finally:
        sources.dispose_all()


# ----------------------------------------------------------------- demo metadata, first use

def test_demo_meta(demo):
    meta = sources.demo_meta()
    assert meta["scale"] == demo["scale"] and meta["seed"] == 0 and meta["rows"]
    assert meta["total_rows"] == sum(meta["rows"].values())


def test_demo_built_on_first_use(env, tmp_path, monkeypatch):
    from test_build import synthetic_generate

    import lucky.demo.build as build_mod

    monkeypatch.setattr(build_mod, "generate", synthetic_generate)
    env.setenv("LUCKY_DEMO_PATH", str(tmp_path / "first.duckdb"))
    env.setenv("LUCKY_DEMO_SCALE", "0.01")
    assert sources.read("luckyus_opshop", "SELECT COUNT(*) AS n FROM luckyus_opshop.t_shop_info")["n"][0] == 2


def _race(log: str) -> None:
    from test_build import synthetic_generate

    import lucky.demo.build as build_mod

    real = build_mod.build

    def counted(*a, **k):
        with open(log, "a") as fh:
            fh.write("built\n")
        return real(*a, **k)
    build_mod.generate = synthetic_generate
    build_mod.build = counted
    build_mod.ensure_demo()


def test_ensure_demo_two_processes_build_once(env, tmp_path):
    env.setenv("LUCKY_DEMO_PATH", str(tmp_path / "raced.duckdb"))
    env.setenv("LUCKY_DEMO_SCALE", "0.01")
    log = str(tmp_path / "builds.log")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_race, args=(log,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert Path(log).read_text() == "built\n" and (tmp_path / "raced.duckdb").exists()


# ----------------------------------------------------------------- no query joins two databases

@pytest.fixture(scope="module")
def split_demo(demo, tmp_path_factory) -> Path:
    """Every database of the session demo in its own DuckDB file; a secrets file naming them."""
    folder = tmp_path_factory.mktemp("split")
    sources.dispose_all()   # the demo file must not be open read-only in this process with another config
    lines = []
    for db in DATABASES:
        path = folder / f"only_{db}.duckdb"   # a file named like its schema makes `db.table` ambiguous
        con = duckdb.connect(str(path))
        con.execute(f"ATTACH '{demo['path']}' AS src (READ_ONLY)")
        con.execute(f"CREATE SCHEMA {db}")
        for table in tables_of(db):
            con.execute(f"CREATE TABLE {db}.{table.name} AS SELECT * FROM src.{db}.{table.name}")
        con.close()
        lines.append(f'[connections.{db}]\nurl = "duckdb:///{path}"\n')
    (folder / "secrets.toml").write_text("\n".join(lines))
    return folder


def test_each_query_reads_one_database(query_call, split_demo, monkeypatch):
    """Each database on its own 'server': a query naming a second database fails here."""
    fn, kwargs = query_call
    if kwargs is None:
        pytest.skip(f"{fn.__name__}: no test values for its required parameters")
    monkeypatch.delenv("LUCKY_DATABASE_URL", raising=False)
    monkeypatch.setenv("LUCKY_SECRETS", str(split_demo / "secrets.toml"))
    monkeypatch.setenv("LUCKY_DEMO_PATH", str(split_demo / "never-used.duckdb"))
    sources.dispose_all()
    try:
        assert not sources.is_demo()
        fn(**resolve_lazy(kwargs))
    finally:
        sources.dispose_all()
