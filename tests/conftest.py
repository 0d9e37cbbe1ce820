"""Shared fixtures: one small demo per test session, and the servers on this machine.

A test that needs MariaDB, PostgreSQL or Redis asks for its fixture; where the server is absent
the test is skipped with the reason printed, unless LUCKY_REQUIRE_SERVICES=1 (CI), where the
absence is a failure.
"""
from __future__ import annotations

import json
import os
import socket
from datetime import date, datetime
from pathlib import Path

import pytest

REQUIRE = os.environ.get("LUCKY_REQUIRE_SERVICES") == "1"
MARIADB_URL = os.environ.get("LUCKY_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/")
POSTGRES_URL = os.environ.get("LUCKY_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("LUCKY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_SCALE = 0.01


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    """Skip (or fail under LUCKY_REQUIRE_SERVICES=1) when a server is not listening."""
    if _port_open(host, port):
        return
    reason = f"{name} is not listening on {host}:{port}"
    if REQUIRE:
        pytest.fail(f"{reason} and LUCKY_REQUIRE_SERVICES=1")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mariadb_url() -> str:
    need_service("MariaDB", "127.0.0.1", 3306)
    return MARIADB_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    need_service("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    need_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> dict:
    """The session's demo: scale 0.01, seed 0, in a temp DuckDB file; LUCKY_DATABASE_URL points at it.

    Returns {"path": Path, "truth": dict, "scale": float, "seed": int}.
    """
    from lucky import sources
    from lucky.demo.build import build

    folder = tmp_path_factory.mktemp("demo")
    path, truth_path = folder / "demo.duckdb", folder / "truth.json"
    build(str(path), scale=TEST_SCALE, seed=0, truth=truth_path)
    mp = pytest.MonkeyPatch()
    mp.setenv("LUCKY_DATABASE_URL", str(path))
    mp.setenv("LUCKY_DATA_DIR", str(folder))
    mp.setenv("LUCKY_STATE_URL", f"sqlite:///{folder / 'state.sqlite'}")
    sources.dispose_all()
    yield {"path": path, "truth": json.loads(truth_path.read_text()), "scale": TEST_SCALE, "seed": 0}
    mp.undo()
    sources.dispose_all()


@pytest.fixture(scope="session")
def shared_build(tmp_path_factory):
    """Demo builds shared by the whole session: `shared_build(scale, seed)` -> (path, truth).

    Truth tests on a second seed (or a larger scale) ask for the same build, so it is made once
    per session however many test modules use it. Point Lucky at it with `use_demo`.
    """
    from lucky.demo.build import build

    made: dict[tuple[float, int], tuple[Path, dict]] = {}

    def _get(scale: float = TEST_SCALE, seed: int = 1) -> tuple[Path, dict]:
        if (scale, seed) not in made:
            folder = tmp_path_factory.mktemp(f"shared_{seed}_{scale}")
            path, truth = folder / "demo.duckdb", folder / "truth.json"
            build(str(path), scale=scale, seed=seed, truth=truth)
            made[(scale, seed)] = (path, json.loads(truth.read_text()))
        return made[(scale, seed)]
    return _get


@pytest.fixture()
def use_demo(monkeypatch):
    """`use_demo(path)`: point Lucky's sources at another demo file for one test."""
    from lucky import sources

    def _use(path: Path) -> None:
        monkeypatch.setenv("LUCKY_DATABASE_URL", str(path))
        sources.dispose_all()
    yield _use
    sources.dispose_all()


# ----------------------------------------------------------------- the demo on the servers
PARITY_POSTGRES_DB = "lucky_test"


def _server_demo(url: str) -> str:
    """`url` holding the parity demo (scale 0.01, seed 0, current generator code).

    The server's schema names are fixed, so every test session shares one build: it is rebuilt
    (with replace) only when its recorded scale, seed, bulk or code fingerprint differ, under a
    lock so concurrent sessions on this machine do not build at once. LUCKY_TEST_REBUILD=1 forces it.
    """
    import fcntl
    import tempfile

    from lucky import sources
    from lucky.demo.build import build, code_fingerprint

    lock_path = Path(tempfile.gettempdir()) / "lucky-test-server-demo.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        meta = sources.demo_meta(url)
        wanted = {"scale": TEST_SCALE, "seed": 0, "bulk": 0.1, "code": code_fingerprint()}
        if os.environ.get("LUCKY_TEST_REBUILD") == "1" or meta is None or any(
                meta.get(k) != v for k, v in wanted.items()):
            build(url, scale=TEST_SCALE, seed=0, replace=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
    return url


@pytest.fixture(scope="session")
def mariadb_demo(mariadb_url) -> str:
    """MariaDB holding the parity demo (databases luckyus_* on the local dev server)."""
    return _server_demo(mariadb_url)


@pytest.fixture(scope="session")
def postgres_demo(postgres_url) -> str:
    """PostgreSQL database `lucky_test` holding the parity demo (one schema per source)."""
    from sqlalchemy.engine import make_url

    return _server_demo(make_url(postgres_url).set(database=PARITY_POSTGRES_DB)
                        .render_as_string(hide_password=False))


# ----------------------------------------------------------------- every public query function
def _query_calls() -> list:
    """(id, function, kwargs) for each public function of lucky/queries/*.py.

    Each function is called with its defaults, then with each parameter set of PARAM_SETS whose
    names it takes; a module may add its own cases as `EXAMPLES = {"fn": [{...}, ...]}`.
    Values that depend on the data (store ids) are `Lazy` and resolved against the backend.
    """
    import importlib
    import inspect
    import pkgutil

    import lucky.queries

    calls = []
    for info in sorted(pkgutil.iter_modules(lucky.queries.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"lucky.queries.{info.name}")
        examples = getattr(module, "EXAMPLES", {})
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = inspect.signature(fn).parameters
            required = {p for p, v in params.items() if v.default is inspect.Parameter.empty
                        and v.kind in (v.POSITIONAL_OR_KEYWORD, v.KEYWORD_ONLY)}
            cases = [] if required else [{}]
            for values in PARAM_SETS:
                case = {p: _by_type(v, params[p].annotation) for p, v in values.items() if p in params}
                if case and required <= set(case) and case not in cases:
                    cases.append(case)
            cases += [c for c in examples.get(name, []) if c not in cases]
            if not cases:
                calls.append((f"{info.name}.{name}[no-args-for-{'-'.join(sorted(required))}]", fn, None))
            for i, case in enumerate(cases):
                calls.append((f"{info.name}.{name}[{i}]", fn, case))
    return calls


def _by_type(value, annotation):
    """A `ByType` value picked by the parameter's annotation (`shops` is a frame or store ids)."""
    if not isinstance(value, ByType):
        return value
    text = str(annotation)
    return next((v for k, v in value.options.items() if k in text), value.options["default"])


class ByType:
    """Values of one parameter name that differ by annotation: {"DataFrame": ..., "default": ...}."""

    def __init__(self, **options):
        self.options = options


class Lazy:
    """A parameter value computed from the backend under test (e.g. two real store ids)."""

    def __init__(self, fn):
        self.fn = fn

    def __repr__(self) -> str:
        return f"Lazy({self.fn.__name__})"


def _two_stores() -> tuple[int, ...]:
    from lucky.queries.shops import trading_shops
    return tuple(int(s) for s in trading_shops("USD")["shop_id"].head(2))


def _one_store() -> int:
    return _two_stores()[0]


def _shops():
    from lucky.queries.shops import shops
    return shops()


def _some_order_nos() -> list[str]:
    from lucky import sources
    df = sources.read("luckyus_sales_order", "SELECT order_no FROM luckyus_sales_order.t_order "
                      "WHERE status = 90 ORDER BY order_no LIMIT 7")
    return [str(x) for x in df["order_no"]]


def _windows() -> list:
    return [(_two_stores(), datetime(2026, 2, 1, 5), datetime(2026, 2, 15, 5))]


def _zones():
    from lucky.queries.payments import zone_groups
    return zone_groups(_shops())[1]


def _pairs() -> list:
    """(shop, MD5 of currency) of the two smallest shop-currency groups, plus a NULL currency."""
    from lucky.queries.tenant import order_currency_groups
    groups = order_currency_groups().sort_values(["orders", "shop_id"]).head(2)
    return [(int(r.shop_id), r.h) for r in groups.itertuples()] + [(_one_store(), None)]


def _spans(db: str, tables: list[str]):
    def spans():
        from lucky.queries.tenant import id_spans
        return id_spans(db, tables)
    return spans


def _plan(db: str, tables: list[str]):
    def plan():
        from lucky.queries.tenant import sample_plan
        return sample_plan(_spans(db, tables)())
    return plan


#: Values by parameter name for the query functions (a name missing here and without a default
#: makes its function skip with the name in the test id: add it here or to the module's EXAMPLES).
PARAM_SETS: list[dict] = [
    {"start": date(2026, 2, 1), "end": date(2026, 2, 14), "stores": Lazy(_two_stores),
     "shops": ByType(DataFrame=Lazy(_shops), default=Lazy(_two_stores)),
     "shop_ids": Lazy(_two_stores), "shop_id": Lazy(_one_store), "currency": "USD", "statuses": (0, 70, 90), "database": "luckyus_sales_order",
     "db": "luckyus_sales_order", "table": "t_order", "windows": Lazy(_windows), "limit": 5,
     "as_of": date(2026, 2, 14), "day": date(2026, 2, 14), "lo": datetime(2026, 2, 1, 5),
     "hi": datetime(2026, 2, 15, 5), "edges": [4, 5, 10], "k": 2, "rate": 0.08875,
     "order_nos": Lazy(_some_order_nos), "zone": "America/New_York", "h": None,
     "column": "create_time", "zones": Lazy(_zones), "buckets": ["00", "3f", "a7"],
     "tolerance": 0.005, "tables": ["t_order", "t_order_item"], "pairs": Lazy(_pairs),
     "spans": Lazy(_spans("luckyus_sales_order", ["t_order", "t_order_item"])),
     "plan": Lazy(_plan("luckyus_sales_order", ["t_order", "t_order_item"])),
     "groups": Lazy(_zones)},
    {"start": date(2025, 12, 24), "end": date(2026, 1, 2), "stores": (), "shops": ByType(DataFrame=Lazy(_shops), default=()),
     "shop_ids": Lazy(_two_stores), "shop_id": Lazy(_one_store), "currency": "NZD",
     "statuses": (90,), "database": "luckyus_opshop", "db": "luckyus_sales_payment",
     "table": "t_trade", "windows": Lazy(_windows), "limit": 15, "day": date(2026, 1, 1),
     "lo": datetime(2025, 12, 31, 10), "hi": datetime(2026, 1, 1, 10), "edges": [5], "k": 1,
     "rate": 0.05, "order_nos": [], "zone": "Pacific/Rarotonga", "column": "pay_time",
     "zones": Lazy(_zones), "buckets": ["0", "7", "f"], "tolerance": 0.02, "tables": ["t_trade"],
     "pairs": [], "spans": Lazy(_spans("luckyus_sales_payment", ["t_trade"])),
     "plan": Lazy(_plan("luckyus_sales_payment", ["t_trade"])), "groups": []},
]


def resolve_lazy(kwargs: dict) -> dict:
    return {k: (v.fn() if isinstance(v, Lazy) else v) for k, v in kwargs.items()}


QUERY_CALLS = _query_calls()


#: Workers of a parallel run: one per CPU, at most four (each builds its own small demo and
#: imports the whole app; beyond four the shared-server group is the longest path anyway).
MAX_WORKERS = 4


def pytest_xdist_auto_num_workers(config) -> int:
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


#: Fixtures of the machine's shared servers: their schemas and keys have fixed names, so the tests
#: using them run in one worker of a parallel run (pytest-xdist's loadgroup), one after another.
SERVER_FIXTURES = {"mariadb_url", "postgres_url", "redis_url"}


def pytest_collection_modifyitems(config, items):
    """Under `-n` (pyproject's addopts), keep the tests of the shared servers in one worker and
    those of the browser suite's Streamlit server in another (it starts once per worker);
    everything else is spread over the workers as they free up."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if SERVER_FIXTURES & names:
            item.add_marker(pytest.mark.xdist_group("servers"))
        elif "server" in names:
            item.add_marker(pytest.mark.xdist_group("browser"))


def pytest_generate_tests(metafunc):
    """Tests taking `query_call` run once per (query function, parameter set)."""
    if "query_call" in metafunc.fixturenames:
        metafunc.parametrize("query_call", [c[1:] for c in QUERY_CALLS],
                             ids=[c[0] for c in QUERY_CALLS])


@pytest.fixture()
def edited(demo, tmp_path, monkeypatch):
    """Copy the session demo, apply SQL edits read-write, and point Lucky at the copy."""
    import shutil

    import duckdb

    from lucky import sources

    def _edit(*statements: str) -> Path:
        path = tmp_path / "edited.duckdb"
        shutil.copy(demo["path"], path)
        con = duckdb.connect(str(path))
        for sql in statements:
            con.execute(sql)
        con.close()
        monkeypatch.setenv("LUCKY_DATABASE_URL", str(path))
        sources.dispose_all()
        return path
    yield _edit
    sources.dispose_all()


@pytest.fixture()
def state_store(tmp_path, monkeypatch):
    """Lucky's own store in a fresh SQLite file (metrics, alerts, verdicts) for one test."""
    from lucky import state

    monkeypatch.setenv("LUCKY_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    state.dispose_all()
    yield
    state.dispose_all()


@pytest.fixture()
def cli(capsys, monkeypatch):
    """`cli(*argv, env=None)`: `python -m lucky *argv` in this process -> CompletedProcess.

    The CLI tests run in-process (a subprocess costs an interpreter start and every import, ~3 s);
    argparse's exit is caught so usage errors return their status like the real command.
    """
    import subprocess

    from lucky import sources
    from lucky.cli import main

    def _run(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        if env:
            sources.dispose_all()
        capsys.readouterr()
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out = capsys.readouterr()
        for key in env or {}:
            monkeypatch.delenv(key, raising=False)
        if env:
            monkeypatch.undo()
            sources.dispose_all()
        return subprocess.CompletedProcess(list(argv), code, out.out, out.err)
    return _run
