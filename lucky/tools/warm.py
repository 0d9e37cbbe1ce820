"""Precompute the heavy tools after new data: `python -m lucky warm`.

A tool that declares `precompute` keeps its expensive base once per data version
(`lucky.tools._memo`): for a DuckDB file on disk, so every server process finds it. Without this
step the first person to open such a page after new data waits for it (seconds to tens of seconds
at Luckin's size); with it, they get the page as fast as a cached one. Real replicas change under
the same URL: their bases live in the server's memory only, which another process cannot fill.

The app starts it by itself, in the background, whenever its DuckDB data (the embedded demo or a
file named by `LUCKY_DATABASE_URL`) has no complete warm-up for this code and data version
(`start_if_needed`: a first-run build, a rebuilt or replaced file, an upgraded Lucky whose code
digest no longer matches the files on disk). A complete warm-up leaves a marker (`marker()`), so a
restarted server does not redo it. Run it by hand to have the bases ready before anyone opens a
page (after a nightly copy, say).

Each tool runs for the page's default view (every day of the data, every real store, USD, default
options: the base the page will ask for) and as no particular person: the output is thrown away,
only the base is kept. A tool that fails is reported and the others still run.
"""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lucky import tools
from lucky.core import Filters, Viewer
from lucky.errors import LuckyError
from lucky.tools import _memo

log = logging.getLogger(__name__)
#: who the precomputation runs as: it sees everything, and nobody sees what it produced
SYSTEM = Viewer(role="admin", name="lucky warm-up")
_started: set[Path] = set()          # markers this process already started a warm-up for
_started_lock = threading.Lock()


def heavy() -> list[str]:
    """The tools that keep a base per data version, in the registry's order."""
    return [slug for slug, tool in tools.registry().items() if tool.precompute]


def default_filters() -> Filters:
    """The filters a page starts with: the data's whole span, every real store, USD."""
    from lucky.tools.cli import default_span

    start, end = default_span(None, None)
    return Filters(start=start, end=end)


def marker() -> Path | None:
    """The file a complete warm-up leaves for this code and data version; None when a heavy tool
    reads a database that is not a fixed DuckDB file (a server: another process cannot help)."""
    databases = sorted({db for slug in heavy() for db in tools.get(slug).sources})
    return _memo.on_disk("warm", _memo.source_key(*databases))


def warm(slugs: list[str] | None = None, say: Callable[[str], None] = log.info) -> dict[str, str]:
    """Run each tool once for the default view; returns slug -> "ok 3.2 s" or the failure. A
    complete run (every heavy tool, none failed) leaves the `marker()`."""
    filters, done = default_filters(), {}
    for slug in slugs or heavy():
        started = time.perf_counter()
        try:
            tools.execute(slug, filters, SYSTEM)
            done[slug] = f"ok {time.perf_counter() - started:.1f} s"
        except LuckyError as exc:
            done[slug] = f"failed: {exc}"
        except Exception as exc:  # noqa: BLE001 - one broken tool must not stop the others
            log.exception("warming %s failed", slug)
            done[slug] = f"failed: {type(exc).__name__}: {exc}"
        say(f"{slug}: {done[slug]}")
    if slugs is None and all(v.startswith("ok") for v in done.values()) and (path := marker()) \
            and not path.exists():
        _memo.keep(path, "warm", done)
    return done


def start_if_needed() -> subprocess.Popen | None:
    """Start the background warm-up when the heavy tools read existing DuckDB files (the embedded
    demo, or a file `LUCKY_DATABASE_URL` names) with no complete warm-up for this code and data
    version, once per version in this process (Home calls it on every run)."""
    if (path := marker()) is None:      # no demo file yet, or a server
        return None
    with _started_lock:
        if path in _started or path.exists():
            return None
        _started.add(path)
    return start_in_background()


def start_in_background() -> subprocess.Popen | None:
    """Start `python -m lucky warm --nice 10` as a child process, so the pages a person opens
    meanwhile keep the CPU (a thread would share this process's interpreter lock). The child
    lowers its own priority: a `preexec_fn` is unsafe in a threaded server (the child can
    deadlock before exec)."""
    root = Path(__file__).resolve().parents[2]     # where `lucky` imports from, whatever the cwd
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    try:
        return subprocess.Popen([sys.executable, "-m", "lucky", "warm", "--quiet", "--nice", "10"], cwd=root,
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:
        log.warning("could not start the warm-up (%s); first views will compute their bases", exc)
        return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tool", action="append", default=[], metavar="SLUG",
                        help=f"only these tools (default: every tool that keeps a base: {', '.join(heavy())})")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--nice", type=int, default=0, metavar="N",
                        help="lower this process's priority by N first (the app's background warm-up: 10)")


def run(args: argparse.Namespace) -> int:
    unknown = [s for s in args.tool if s not in tools.registry()]
    if unknown:
        print(f"unknown tool(s): {', '.join(unknown)}; known: {', '.join(tools.registry())}",
              file=sys.stderr)
        return 2
    if args.nice > 0 and hasattr(os, "nice"):
        os.nice(args.nice)
    say = (lambda _text: None) if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    done = warm(args.tool or None, say)
    return 1 if any(v.startswith("failed") for v in done.values()) else 0
