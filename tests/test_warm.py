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
    done = warm.warm()
    assert set(done) == set(warm.heavy())
    assert all(v.startswith("ok") for v in done.values()), done
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
