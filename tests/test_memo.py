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
