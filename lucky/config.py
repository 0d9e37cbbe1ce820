"""Where Lucky finds things: one place that reads environment variables and secrets.

The app, the CLI and the tests all resolve settings here, so `LUCKY_DATABASE_URL` means the same
thing to `streamlit run Home.py` and to `python -m lucky run`.
"""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Writable folder for the embedded demo and state (`LUCKY_DATA_DIR`, default ./data)."""
    path = Path(os.environ.get("LUCKY_DATA_DIR", ROOT / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_path() -> Path:
    """The embedded demo DuckDB file built on first use."""
    return Path(os.environ.get("LUCKY_DEMO_PATH", data_dir() / "demo.duckdb"))


def demo_scale() -> float:
    """Scale of the demo built on first use (`LUCKY_DEMO_SCALE`, default 1 = Luckin's size)."""
    return float(os.environ.get("LUCKY_DEMO_SCALE", "1"))


def secrets_path() -> Path:
    """`.streamlit/secrets.toml` of the working directory, as Streamlit reads it."""
    return Path(os.environ.get("LUCKY_SECRETS", Path.cwd() / ".streamlit" / "secrets.toml"))


@lru_cache(maxsize=4)
def _load_secrets(path: str, mtime: float) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def secrets() -> dict:
    """The secrets file as a dict ({} when absent); re-read when the file changes."""
    path = secrets_path()
    if not path.exists():
        return {}
    return _load_secrets(str(path), path.stat().st_mtime)


def setting(name: str, default: str | None = None) -> str | None:
    """An environment variable first, then a top-level key of the secrets file."""
    if name in os.environ:
        return os.environ[name]
    value = secrets().get(name)
    return str(value) if value is not None else default
