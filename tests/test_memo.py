"""The tools' precomputed bases (`lucky.tools._memo`): once per data version, on disk only for an
exact version (a DuckDB file by mtime), recomputed when the data change."""
from __future__ import annotations

from lucky.tools import _memo


def test_a_duckdb_version_is_kept_on_disk_and_a_new_version_recomputes(tmp_path, monkeypatch):
    monkeypatch.setenv("LUCKY_DATA_DIR", str(tmp_path))
    calls = []

    def compute(value):
        return lambda: calls.append(value) or value

    v1 = ("duckdb:////data/demo.duckdb@100", "USD")
    assert _memo.memo("t", v1, compute(1)) == 1
    _memo.clear()                                   # a fresh server: memory gone, disk kept
    assert _memo.memo("t", v1, compute(99)) == 1 and calls == [1]
    assert _memo.memo("t", ("duckdb:////data/demo.duckdb@200", "USD"), compute(2)) == 2   # rebuilt file
    assert not _memo._exact(("duckdb:////data/demo.duckdb@0",))   # not built yet: its version is unknown
    server = ("mysql+pymysql://lucky@db:3306/luckyus_sales_order", "USD")
    assert _memo.memo("t", server, compute(3)) == 3
    _memo.clear()
    assert _memo.memo("t", server, compute(4)) == 4   # a server's data move under one URL: memory only
    assert calls == [1, 2, 3, 4]
    assert len(list((tmp_path / "precomputed").glob("t-*.pkl"))) == 2
    _memo.clear(disk=True)
    assert not list((tmp_path / "precomputed").glob("*.pkl"))


def test_tools_served_from_disk_say_what_a_fresh_run_says(demo, state_store):
    """Tools read from their precomputed output or base (reconciliation, tax-gap, forecast-accuracy,
    anomalies, the briefing, expansion, payment costs, channels): the same tables, KPIs and
    messages as the run that computed it, from memory (a second viewer: nothing the first run did
    changed the kept base) and from disk, and the options that are not in the key (min_bias,
    loyal_orders) still apply."""
    from lucky import tools
    from lucky.core import Filters, Viewer

    f = Filters(start=None, end=None)
    cases = (("reconciliation", {}), ("tax-gap", {}), ("forecast-accuracy", {"min_bias": 0.05}),
             ("anomalies", {}), ("briefing", {"use_llm": False}), ("expansion", {}), ("payment-costs", {}),
             ("channels", {"loyal_orders": 3}))
    for slug, opts in cases:
        _memo.clear(disk=True)
        fresh = tools.execute(slug, f, Viewer(), **opts)
        in_memory = tools.execute(slug, f, Viewer(), **opts)
        _memo.clear()                               # a fresh server: read from disk
        for kept in (in_memory, tools.execute(slug, f, Viewer(), **opts)):
            assert fresh.messages == kept.messages and fresh.kpis == kept.kpis, slug
            assert fresh.tables.keys() == kept.tables.keys() and fresh.charts.keys() == kept.charts.keys(), slug
            for name, table in fresh.tables.items():
                assert table.equals(kept.tables[name]), (slug, name)
    strict = tools.execute("forecast-accuracy", f, Viewer(), min_bias=0.5).tables["series"]
    loose = tools.execute("forecast-accuracy", f, Viewer(), min_bias=0.05).tables["series"]
    assert (strict["flag"] != "ok").sum() < (loose["flag"] != "ok").sum()


def test_a_base_another_process_is_computing_is_read_not_computed_again(tmp_path, monkeypatch):
    """The server and its background warm-up share the disk: while one holds a base's lock (here
    this test, through its own file handle, as another process would), the other waits for the
    file instead of computing the same base on the same 2 cores."""
    import fcntl
    import threading

    monkeypatch.setenv("LUCKY_DATA_DIR", str(tmp_path))
    _memo.clear()
    key = ("duckdb:////data/demo.duckdb@100", "USD")
    calls, got = [], []
    with _memo._across_processes("shared"):                       # creates the folder and lock file
        pass
    other = (tmp_path / "precomputed" / "shared.lock").open("a")   # "the warm-up" starts computing
    fcntl.flock(other, fcntl.LOCK_EX)
    page = threading.Thread(target=lambda: got.append(_memo.memo("shared", key, lambda: calls.append(1) or "mine")))
    page.start()
    page.join(timeout=1.0)
    assert page.is_alive() and not calls                          # waiting, not computing
    _memo._save(_memo._path("shared", key), "shared", "theirs")    # "the warm-up" finishes
    other.close()                                                  # and releases the lock
    page.join(timeout=30)
    assert got == ["theirs"] and calls == []
    _memo.clear()
