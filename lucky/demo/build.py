"""Build the demo into a target: generate every table and bulk-load it, all or nothing.

`build()` is what `python -m lucky demo build` and the app's first start call. The target is a
DuckDB file (default `lucky.config.demo_path()`), a MySQL/MariaDB URL or a PostgreSQL URL; the
loaders (`lucky.demo.load_*`) stage the data and swap it in only when everything loaded, so a
failed build leaves the target as it was and the truth JSON is written only after success.
What was built (scale, seed, bulk, built_at, row counts) goes to `lucky_meta.lucky_demo_meta`
at the target, outside every Luckin database; `lucky.sources.demo_meta()` reads it back.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import queue
import resource
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from lucky import config
from lucky.demo.generate import generate
from lucky.demo.loaders import conform, open_loader, redact
from lucky.demo.world import World
from lucky.errors import InputError
from lucky.schema import get_table, metadata

#: `progress(message, fraction_done)`; the CLI prints it, the app feeds a progress bar.
Progress = Callable[[str, float], None]

GENERATE_SHARE = 0.92   # fraction of the bar spent generating and loading; the rest finishing


def build(target: str | os.PathLike | None = None, *, scale: float = 1.0, seed: int = 0,
          bulk: float = 0.1, truth: Path | str | None = None, replace: bool = False,
          progress: Progress | None = None) -> dict:
    """Generate the demo at `scale` (1 = Luckin US's size) and load it into `target`.

    Refuses (InputError) a scale <= 0, a bulk < 0 and a target already holding data unless
    `replace`. Returns the report: rows per table, total rows, seconds, per-step timings.
    """
    _check_numbers(scale, seed, bulk)
    target = str(target or config.demo_path())
    say = progress or (lambda _message, _fraction: None)
    loader = open_loader(target)
    started = time.perf_counter()
    try:
        if loader.holds_data() and not replace:
            raise InputError(f"{redact(target)} already holds the Luckin demo databases; "
                             "pass --replace (replace=True) to rebuild it")
        world = World(scale=scale, seed=int(seed), bulk=bulk)
        tables = list(metadata.tables.values())
        say(f"creating {len(tables)} tables at {loader.label}", 0.0)
        loader.begin(tables)
        report = _load_all(world, loader, say, started)
        say("indexes and key checks", GENERATE_SHARE)
        t0 = time.perf_counter()
        loader.finish(tables, frozenset(report.pop("numbered")))
        report["timings"]["finish"] = round(time.perf_counter() - t0, 3)
        truth_text = json.dumps(world.truth, indent=1, sort_keys=True, default=_jsonable)
        report.update(built_at=datetime.now(UTC).replace(tzinfo=None, microsecond=0),
                      seconds=round(time.perf_counter() - started, 3))
        say("swapping the new demo into place", 0.97)
        t0 = time.perf_counter()
        loader.commit(report)
        report["timings"]["commit"] = round(time.perf_counter() - t0, 3)
    except BaseException:
        try:
            loader.abort()
        except Exception:  # noqa: BLE001 - the original failure is the one to show
            pass
        raise
    finally:
        loader.close()
    if truth:
        _write_atomically(Path(truth), truth_text)
    report["seconds"] = round(time.perf_counter() - started, 3)
    _forget_engines()
    say(f"done: {report['total_rows']:,} rows in {report['seconds']:.1f} s", 1.0)
    return report


def _check_numbers(scale: float, seed: int, bulk: float) -> None:
    if not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise InputError(f"--scale must be a number above 0 (1 = Luckin US's size), got {scale!r}")
    if not isinstance(bulk, (int, float)) or not math.isfinite(bulk) or bulk < 0:
        raise InputError(f"--bulk must be a number >= 0 (0.1 by default, 1 = full size), got {bulk!r}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise InputError(f"--seed must be a whole number >= 0, got {seed!r}")


def _load_all(world: World, loader, say: Progress, started: float) -> dict:
    """Drain the generator into the loader; per-step generation and per-table load timings.

    Loading runs on a second thread (`_Feeder`) while the main thread generates the next chunk:
    DuckDB, the MySQL and PostgreSQL drivers release the GIL while they work, so on two cores
    generation and loading overlap. Progress is reported from the calling thread only (a
    Streamlit progress bar cannot be updated from another thread).
    """
    gen_s: dict[str, float] = defaultdict(float)
    state = {"step": "start", "fraction": 0.0}
    peak_mb: dict[str, int] = {}
    feeder = _Feeder(loader)

    def on_step(step: str, fraction: float) -> None:
        peak_mb[state["step"]] = _peak_rss_mb()
        state.update(step=step, fraction=fraction * GENERATE_SHARE)
        if step != "done":
            say(f"generating {step}", state["fraction"])

    def report_loaded() -> None:
        for table, n, rate in feeder.drain():
            say(f"{state['step']}: {table} +{n:,} rows ({rate:,.0f} rows/s; "
                f"{sum(feeder.rows.values()):,} rows in {time.perf_counter() - started:.1f} s)",
                state["fraction"])

    chunks = generate(world, on_step)
    try:
        while True:
            t0 = time.perf_counter()
            item = next(chunks, None)
            gen_s[state["step"]] += time.perf_counter() - t0
            if item is None:
                break
            database, name, frame = item
            try:
                table = get_table(database, name)
            except KeyError as exc:
                raise InputError(f"generator step '{state['step']}' yielded {exc.args[0]}") from None
            # a shallow copy under copy-on-write: later in-place edits by the generator (it may
            # yield a frame it keeps on world.frames) cannot reach a chunk still in the queue
            feeder.put(table, frame.copy(deep=False))
            report_loaded()
    except BaseException:
        feeder.close(raise_error=False)   # the generator's failure is the one to show
        raise
    feeder.close()
    report_loaded()
    rows = feeder.rows
    return {"target": loader.label, "kind": loader.kind, "scale": world.scale, "seed": world.seed,
            "bulk": world.bulk, "code": code_fingerprint(), "rows": rows,
            "total_rows": sum(rows.values()), "dropped_columns": feeder.dropped,
            "numbered": sorted(set(rows) - feeder.unproven_ids),
            "timings": {"generate": {k: round(v, 3) for k, v in gen_s.items()},
                        "load": round(sum(feeder.load_s.values()), 3),
                        "peak_rss_mb_after": peak_mb,
                        "load_by_table": {k: round(v, 3) for k, v in
                                          sorted(feeder.load_s.items(), key=lambda kv: -kv[1])[:10]}}}


class _Feeder:
    """Conform and load chunks on one background thread, in the order they were generated."""

    QUEUE_CHUNKS = 2   # chunks waiting at most: bounds the extra memory

    def __init__(self, loader):
        self.loader = loader
        self.rows: dict[str, int] = {key: 0 for key in metadata.tables}
        self.next_id: dict[str, int] = defaultdict(lambda: 1)
        self.load_s: dict[str, float] = defaultdict(float)
        self.dropped: dict[str, list[str]] = {}
        self.unproven_ids: set[str] = set()   # tables whose generated ids may repeat (checked later)
        self.error: BaseException | None = None
        self._done: deque[tuple[str, int, float]] = deque()   # appended by the thread, popped here
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUE_CHUNKS)
        self._thread = threading.Thread(target=self._run, name="lucky-demo-load", daemon=True)
        self._thread.start()

    def put(self, table, frame) -> None:
        while True:
            self._raise()
            try:
                self._queue.put((table, frame), timeout=0.2)
                return
            except queue.Full:
                continue

    def drain(self) -> list[tuple[str, int, float]]:
        return [self._done.popleft() for _ in range(len(self._done))]

    def close(self, raise_error: bool = True) -> None:
        """Wait for the queued chunks; re-raise the loading thread's error, if any."""
        if self._thread.is_alive():
            while True:
                try:
                    self._queue.put(None, timeout=0.2)
                    break
                except queue.Full:
                    if not self._thread.is_alive():
                        break
            self._thread.join()
        if raise_error:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is None:
                try:
                    self._load(*item)
                except BaseException as exc:  # noqa: BLE001 - handed to the generating thread
                    self.error = exc

    def _load(self, table, frame) -> None:
        key = table.fullname
        t0 = time.perf_counter()
        supplied = "id" in frame.columns and frame["id"].notna().any()
        frame, extra = conform(table, frame, self.next_id[key])
        if supplied and not _ascending_from(frame["id"], self.next_id[key]):
            self.unproven_ids.add(key)
        if extra:
            self.dropped[key] = sorted(set(self.dropped.get(key, [])) | set(extra))
        self.loader.load(table, frame)
        took = time.perf_counter() - t0
        self.load_s[key] += took
        if len(frame):
            self.rows[key] += len(frame)
            self.next_id[key] = int(frame["id"].max()) + 1
            self._done.append((key, len(frame), len(frame) / took if took > 0 else float("inf")))


def _ascending_from(ids, floor: int) -> bool:
    """True when every id is at least `floor` and strictly increasing: unique by construction
    across chunks, so the key check after the load can skip the table."""
    values = ids.to_numpy(dtype="int64", na_value=-1)
    return bool(len(values) == 0 or (values[0] >= floor and (np.diff(values) > 0).all()))


def _peak_rss_mb() -> int:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def code_fingerprint() -> str:
    """Hash of the generator's source: same fingerprint, seed, scale and bulk → same data."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _jsonable(value):
    """numpy scalars, dates and timestamps in the truth file as plain JSON."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, datetime):   # pandas Timestamps too; a midnight is a business day
        midnight = value.replace(hour=0, minute=0, second=0, microsecond=0)
        return value.strftime("%Y-%m-%d") if value == midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"truth value {value!r} ({type(value).__name__}) is not JSON")


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def _forget_engines() -> None:
    """Engines cached on a replaced DuckDB file would keep serving the old one."""
    from lucky import sources
    sources.dispose_all()


def ensure_demo(progress: Progress | None = None) -> Path:
    """The embedded demo file, built at `lucky.config.demo_scale()` if missing.

    Safe when several processes start at once: the first takes a file lock and builds, the
    others wait on the lock and then find the file (builds rename into place, so a file that
    exists is complete).
    """
    path = Path(config.demo_path())
    if _ready(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not _ready(path):
                build(str(path), scale=config.demo_scale(), progress=progress)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


def _ready(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0
