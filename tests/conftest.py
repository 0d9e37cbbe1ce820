"""Shared fixtures: one small demo per test session, and the servers on this machine.

A test that needs MariaDB, PostgreSQL or Redis asks for its fixture; where the server is absent
the test is skipped with the reason printed, unless LUCKY_REQUIRE_SERVICES=1 (CI), where the
absence is a failure.
"""
from __future__ import annotations

import json
import os
import socket
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


@pytest.fixture()
def build_demo(tmp_path):
    """Build an extra demo (other seed/scale) into a temp file: returns (path, truth)."""
    from lucky.demo.build import build

    def _build(scale: float = TEST_SCALE, seed: int = 1, **kw) -> tuple[Path, dict]:
        path, truth = tmp_path / f"demo_{seed}_{scale}.duckdb", tmp_path / f"truth_{seed}_{scale}.json"
        build(str(path), scale=scale, seed=seed, truth=truth, **kw)
        return path, json.loads(truth.read_text())
    return _build
