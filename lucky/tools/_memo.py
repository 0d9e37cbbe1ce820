"""A cache for a tool's heavy, option-independent base (a trained model, a per-send holdout
comparison), shared by every viewer and option value of the tool, kept once per data version.

The page cache (`lucky.ui.frame.run_cached`) keys on the options and the viewer too, so a new
drill-down choice or another role would redo seconds of work; this keeps the expensive part:
- in memory for `ttl` seconds (real sources change under the same URL), at most `size` keys a name;
- on disk (`<data dir>/precomputed/`) when every source is a DuckDB file: its key carries the
  file's mtime (`sources.Source.key`), so a file is one exact data version and a fresh server
  starts warm. A rebuilt demo has a new mtime, and changed code a new digest, hence new files;
  old files are pruned (`KEEP`).
The key must carry the sources' identity (`source_key`) and every filter the base depends on.
Processes sharing the disk (the server and its background warm-up) take a lock per name there
(`_across_processes`), so a base one of them is computing is read by the other, not computed twice.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from lucky import config, sources

log = logging.getLogger(__name__)
TTL_SECONDS = 600
KEEP = 4            # precomputed files kept per name on disk (newest first; ~70 MB each at scale 1)
_STORE: dict[str, OrderedDict[tuple, tuple[float, Any]]] = {}
_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def source_key(*databases: str) -> tuple[str, ...]:
    """The identity of the databases a base is read from (URL without password, demo mtime)."""
    return tuple(sources.resolve(db).key for db in databases)


def _exact(key: tuple) -> bool:
    """True when the key names only existing DuckDB files by mtime: a fixed data version, safe on
    disk (`@0` is a file not built yet: the embedded demo built on first use)."""
    names = [k for k in key if isinstance(k, str) and "://" in k]
    return bool(names) and all(k.startswith("duckdb:") and "@" in k and not k.endswith("@0") for k in names)


@lru_cache(maxsize=1)
def _code_version() -> str:
    """A digest of Lucky's own code: a file computed by other code (an upgrade) is never read."""
    digest = hashlib.sha1()
    for path in sorted(Path(__file__).resolve().parent.parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _path(name: str, key: tuple) -> Path:
    digest = hashlib.sha1(repr((key, _code_version())).encode()).hexdigest()[:20]
    return config.data_dir() / "precomputed" / f"{name}-{digest}.pkl"


def _load(path: Path) -> tuple[bool, Any]:
    try:
        with path.open("rb") as fh:
            return True, pickle.load(fh)
    except FileNotFoundError:
        return False, None
    except Exception as exc:  # noqa: BLE001 - a torn or stale file is recomputed, never fatal
        log.warning("precomputed %s unreadable (%s); recomputing", path.name, exc)
        return False, None


def on_disk(name: str, key: tuple) -> Path | None:
    """Where (name, key) is kept on disk; None when the key is not one exact data version."""
    return _path(name, key) if _exact(key) else None


def keep(path: Path, name: str, value: Any) -> None:
    """Write `value` where `on_disk` said (a marker or a base computed outside `memo`)."""
    _save(path, name, value)


def _save(path: Path, name: str, value: Any) -> None:
    """Write atomically (a reader sees the old file or the whole new one), then prune."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
        old = sorted(path.parent.glob(f"{name}-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP:]:
            stale.unlink(missing_ok=True)
    except Exception as exc:  # noqa: BLE001 - full disk, unpicklable value: keep it in memory only
        log.warning("could not keep %s on disk (%s); memory only", path.name, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


@contextlib.contextmanager
def _across_processes(name: str) -> Iterator[None]:
    """Hold `<precomputed>/<name>.lock` (an advisory lock, released when the holder exits or
    dies): on a 2-core server a page and the warm-up computing one base at once take twice as
    long each. Where the OS has no `fcntl`, the folder cannot be written or the file system has no
    locks, nothing is held."""
    try:
        import fcntl
        folder = config.data_dir() / "precomputed"
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / f"{name}.lock").open("a")
    except (ImportError, OSError):
        yield
        return
    with handle:
        with contextlib.suppress(OSError):    # a file system without locks: as if unlocked
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield                                 # closing the file releases the lock


def memo(name: str, key: tuple, compute: Callable[[], Any], ttl: float = TTL_SECONDS, size: int = 4) -> Any:
    """compute() once per (name, key); concurrent callers of one name wait for the first rather
    than computing the same base twice, in this process and (for a base kept on disk) in others.
    Callers must not modify what they get back."""
    with _GUARD:
        store = _STORE.setdefault(name, OrderedDict())
        lock = _LOCKS.setdefault(name, threading.Lock())
    with lock:
        hit = store.get(key)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            store.move_to_end(key)
            return hit[1]
        if _exact(key):
            with _across_processes(name):
                found, value = _load(_path(name, key))
                if not found:
                    value = compute()
                    _save(_path(name, key), name, value)
        else:
            value = compute()
        store[key] = (time.monotonic(), value)
        while len(store) > size:
            store.popitem(last=False)
        return value


def clear(disk: bool = False) -> None:
    """Forget every base in memory (and on disk with `disk`): benchmarks of a cold start."""
    with _GUARD:
        for store in _STORE.values():
            store.clear()
    if disk:
        for path in (config.data_dir() / "precomputed").glob("*.pkl"):
            path.unlink(missing_ok=True)
