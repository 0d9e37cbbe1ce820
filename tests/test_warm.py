"""`python -m lucky warm`: the heavy tools' bases computed once after new data, found on disk by
every later run (a restarted server, the page), and nothing recomputed when they are there."""
from __future__ import annotations

import pytest

from lucky.tools import _memo, warm


@pytest.fixture
def saves(monkeypatch, tmp_path):
    """Precompute into an empty folder; record every base written to disk."""
    monkeypatch.setenv("LUCKY_DATA_DIR", str(tmp_path))
    _memo.clear()
    written: list[str] = []
    real = _memo._save

    def spy(path, name, value):
        written.append(name)
        real(path, name, value)

    monkeypatch.setattr(_memo, "_save", spy)
    yield written
    _memo.clear()


def test_the_heavy_tools_are_the_ones_that_keep_a_base():
    heavy = warm.heavy()
    assert {"campaigns", "recommendations", "production-time", "customer-360"} <= set(heavy)
    assert "landscape" not in heavy and "db-health" not in heavy


def test_warm_computes_each_base_once_and_then_reads_it(demo, saves, tmp_path):
    assert not warm.marker().exists()
    done = warm.warm()
    assert set(done) == set(warm.heavy())
    assert all(v.startswith("ok") for v in done.values()), done
    assert warm.marker().exists()                  # complete: a restarted server need not redo it
    first = set(saves)
    assert len(first) >= len(done)                 # every heavy tool kept at least one base
    assert len(list((tmp_path / "precomputed").glob("*.pkl"))) == len(saves)
    saves.clear()
    _memo.clear()                                  # a new process: memory empty, disk kept
    assert all(v.startswith("ok") for v in warm.warm().values())
    assert saves == []                             # all read back, none recomputed


def test_the_page_default_view_uses_the_warm_base(demo, saves):
    """The page asks for the whole span, all stores, USD: the same key as the warm-up."""
    from lucky import tools
    from lucky.core import Filters, Viewer
    from lucky.queries.landscape import data_span

    warm.warm(["menu"])
    saves.clear()
    _memo.clear()
    first, last = data_span()
    tools.execute("menu", Filters(start=first, end=last), Viewer(role="product"))
    assert saves == []


def test_cli_warms_the_named_tool_and_rejects_unknown_ones(demo, saves, cli):
    done = cli("warm", "--tool", "menu")
    assert done.returncode == 0, done.stderr
    assert "menu: ok" in done.stderr
    bad = cli("warm", "--tool", "nonsense")
    assert bad.returncode == 2
    assert "unknown tool(s): nonsense" in bad.stderr and "landscape" in bad.stderr


def test_the_background_warm_up_runs_from_anywhere(demo, saves, tmp_path, monkeypatch):
    """Home starts it from the server's working directory, which need not be the checkout."""
    monkeypatch.chdir(tmp_path)
    proc = warm.start_in_background()
    assert proc is not None
    assert proc.wait(timeout=300) == 0
    assert list((tmp_path / "precomputed").glob("*.pkl"))   # the child wrote the bases here


def test_the_app_starts_the_warm_up_once_per_version_until_one_completes(demo, saves, monkeypatch):
    """Home calls `start_if_needed` on every run: DuckDB data (the embedded demo, or a file named by
    LUCKY_DATABASE_URL) without a complete warm-up for this code and data version gets one
    background warm-up, not one per page view; a completed one (its marker) is not redone by a
    restarted server; real servers get none."""
    started = []
    monkeypatch.setattr(warm, "start_in_background", lambda: started.append("warm-up"))
    monkeypatch.setattr(warm, "_started", set())
    monkeypatch.delenv("LUCKY_DATABASE_URL")
    monkeypatch.setenv("LUCKY_DEMO_PATH", str(demo["path"]))   # the app's own embedded demo
    path = warm.marker()
    assert path is not None and not path.exists()
    warm.start_if_needed()
    warm.start_if_needed()
    assert started == ["warm-up"]
    _memo.keep(path, "warm", {"menu": "ok"})       # it completed
    monkeypatch.setattr(warm, "_started", set())   # a restarted server
    warm.start_if_needed()
    assert started == ["warm-up"]
    path.unlink()
    monkeypatch.setenv("LUCKY_DATABASE_URL", str(demo["path"]))   # a DuckDB file of one's own
    assert warm.marker() == path
    warm.start_if_needed()
    assert started == ["warm-up", "warm-up"]
    monkeypatch.setenv("LUCKY_DATABASE_URL", "mysql+pymysql://lucky@replica:3306/")
    assert warm.marker() is None and warm.start_if_needed() is None
    assert started == ["warm-up", "warm-up"]
