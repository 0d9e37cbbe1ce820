"""db-health and redis-console end to end: inventory -> collector -> store -> tool, CLI and pages."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import redis

from lucky import config, state, tools
from lucky.access import AccessDenied
from lucky.core import Filters, Viewer
from lucky.monitor import fleet, localfleet

ROOT = Path(config.ROOT)


@pytest.fixture(scope="module")
def local_fleet(tmp_path_factory, mariadb_url, postgres_url):
    localfleet.LocalFleet.require()
    folder = tmp_path_factory.mktemp("monitor")
    with localfleet.LocalFleet() as fleet:
        cache = fleet.start_redis("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lfu")
        redis.Redis(port=cache.port).mset({f"order:{i}": "x" * 50 for i in range(3000)})
        hung = fleet.hung_server()
        path = folder / "fleet.toml"
        path.write_text(f"""
[collector]
timeout = 1
grace = 0.2

[[instances]]
name = "maria"
kind = "mysql"
url = "{mariadb_url}"
tags = {{ service = "demo", environment = "local" }}

[[instances]]
name = "pg"
kind = "postgres"
url = "{postgres_url}"

[[instances]]
name = "cache"
kind = "redis"
url = "{cache.url}"

[[instances]]
name = "gone"
kind = "redis"
url = "redis://127.0.0.1:{localfleet.free_port()}/0"

[[instances]]
name = "frozen"
kind = "mysql"
url = "mysql+pymysql://root@127.0.0.1:{hung.port}/"
""")
        mp = pytest.MonkeyPatch()
        mp.setenv("LUCKY_INVENTORY", str(path))
        mp.setenv("LUCKY_STATE_URL", f"sqlite:///{folder / 'state.sqlite'}")
        state.dispose_all()
        yield {"path": path, "state": folder / "state.sqlite"}
        mp.undo()
        state.dispose_all()


def test_db_health_first_run_collects_and_explains_down(local_fleet):
    out = tools.execute("db-health", Filters(), Viewer(role="it"))
    df = out.tables["instances"].set_index("name")
    assert list(df.loc[["maria", "pg", "cache"], "status"]) == ["up"] * 3
    assert df.loc["gone", "status"] == "down" and df.loc["gone", "reason"].startswith("never reached")
    assert "refused" in df.loc["gone", "reason"].lower()
    assert "hung" in df.loc["frozen", "reason"] or "timed out" in df.loc["frozen", "reason"].lower()
    assert set(df.loc[["gone", "frozen"], "light"]) == {"🔴"}
    assert any("Collected 5 instances" in m.text for m in out.messages)
    tiles = chart_rows(out.charts["heatmap"]).set_index("name")
    assert set(tiles.index) == set(df.index)                    # one tile per instance
    assert tiles.loc["gone", "health"] == "down" and tiles.loc["maria", "health"] == "ok"
    drawn = chart_rows(out.charts["heatmap"])                   # worst first, row by row
    assert drawn["health"].map(fleet.HEALTH_ORDER).is_monotonic_increasing
    detail = tools.execute("db-health", Filters(), Viewer(), instance="pg", collect_now=True)
    assert {"metrics", "activity", "statements", "tables"} <= set(detail.tables)
    assert set(detail.tables["metrics"]["metric"]) >= {"connections_pct", "commits_per_s"}


def chart_rows(chart) -> pd.DataFrame:
    """The rows an Altair chart draws (its first inline dataset)."""
    spec = chart.to_dict()
    return pd.DataFrame(next(iter(spec["datasets"].values())))


def test_access_is_for_it(local_fleet):
    with pytest.raises(AccessDenied):
        tools.execute("db-health", Filters(), Viewer(role="marketing"))
    assert tools.get("redis-console").number == 3 and tools.get("db-health").department == "IT / DevOps"


def test_redis_console_scan_and_right_sizing(local_fleet):
    out = tools.execute("redis-console", Filters(), Viewer(), instance="cache", scan_now=True)
    grid = out.tables["instances"].set_index("name")
    assert grid.loc["cache", "right_sizing"] == "over-provisioned"
    assert grid.loc["gone", "status"] == "down"
    prefixes = out.tables["prefixes"].set_index("prefix")
    assert prefixes.loc["order", "est_keys"] == 3000            # small keyspace: walked in full
    assert any("SCAN sample of 3,000 of 3,000 keys" in m.text for m in out.messages)
    assert "hot_keys" in out.tables                              # allkeys-lfu: OBJECT FREQ works
    assert out.tables["keyspace"]["keys_without_ttl"].sum() == 3000
    bars = chart_rows(out.charts["memory_by_prefix"]).set_index("prefix")
    assert bars.loc["order", "est_keys"] == 3000                 # the chart draws the table's numbers
    ttl = chart_rows(out.charts["ttl_histogram"])
    assert len(ttl) == len(out.tables["ttl"]) and ttl["est_keys"].sum() == out.tables["ttl"]["est_keys"].sum() > 0


def test_cli_lists_name_kind_status_reason(local_fleet, demo, capsys):
    from lucky.cli import main

    assert main(["run", "db-health", "--table", "instances"]) == 0
    header, *rows = capsys.readouterr().out.strip().splitlines()
    assert header.split(",")[:4] == ["name", "kind", "status", "reason"]
    assert any(r.startswith("gone,redis,down,") for r in rows)
    assert main(["collect", "--once"]) == 0
    printed = capsys.readouterr().out
    assert "polled 5 instances" in printed and "gone: down" in printed


@pytest.mark.parametrize("page", ["db-health", "redis-console"])
def test_pages_render(local_fleet, demo, page):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.dataframe, "the instances table is shown"
    if page == "db-health":
        at.selectbox(key="dbh_instance").select("maria").run()
        assert not at.exception, at.exception
        assert any("Statements in the last" in m.value for m in at.markdown)
    else:
        assert any("SCAN sample" in i.value for i in at.info) or at.selectbox(key="rc_instance").value
