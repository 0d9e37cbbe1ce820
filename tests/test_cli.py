"""`python -m lucky run landscape` in every format: once in a subprocess as a user runs it, else in-process."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLES = ["kpis", "stores", "products", "inventory", "quality"]


def lucky(*args: str) -> subprocess.CompletedProcess:
    """The real command in a subprocess: the entry point, imports and exit status as a user sees them."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "lucky", "run", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_json_of_one_table_is_a_list_of_records(demo):
    res = lucky("landscape", "--table", "stores", "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert isinstance(rows, list)
    assert set(rows[0]) >= {"shop_id", "shop_name", "opened", "orders", "revenue", "aov"}
    selling = [r for r in rows if r["orders"] > 0]
    assert len(selling) == 10
    assert all(isinstance(r["revenue"], float) for r in selling)


def test_json_of_every_table_is_a_dict_of_records(demo, cli):
    res = cli("run", "landscape", "--format", "json")
    assert res.returncode == 0, res.stderr
    tables = json.loads(res.stdout)
    assert list(tables) == TABLES
    checks = {r["check"]: r["severity"] for r in tables["quality"]}
    assert checks["empty_fi_tax"] == "CRITICAL"
    assert len({r["database"] for r in tables["inventory"]}) == 18


def test_csv_prints_every_table_under_a_header(demo, cli):
    res = cli("run", "landscape", "--format", "csv")
    assert res.returncode == 0, res.stderr
    headers = [line[2:] for line in res.stdout.splitlines() if line.startswith("# ")]
    assert headers == TABLES
    one = cli("run", "landscape", "--table", "products", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(one.stdout)))
    assert rows and {"rank", "product", "orders", "revenue", "avg_price"} <= set(rows[0])
    assert float(rows[0]["orders"]) >= float(rows[-1]["orders"])


def test_markdown_is_a_table(demo, cli):
    res = cli("run", "landscape", "--table", "quality", "--format", "md")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("| check | issue | severity |")
    assert lines[1].startswith("|---|")
    assert len(lines) == 2 + 7
    every = cli("run", "landscape", "--format", "md")
    assert [l[3:] for l in every.stdout.splitlines() if l.startswith("## ")] == TABLES


def test_filters_and_roles_match_the_page(demo, cli):
    import argparse
    from datetime import date

    from lucky import tools
    from lucky.core import Viewer
    from lucky.tools.cli import add_arguments, filters_from

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["landscape", "--start", "2026-02-01", "--store", "502", "503"])
    f = filters_from(args)
    assert f.start == date(2026, 2, 1) and f.stores == (502, 503) and f.end is not None
    page = tools.execute("landscape", f, Viewer())
    res = cli("run", "landscape", "--start", "2026-02-01", "--store", "502", "503", "--table", "stores",
                "--format", "json")
    rows = json.loads(res.stdout)
    assert [r["orders"] for r in rows] == page.tables["stores"]["orders"].tolist()

    sm = cli("run", "landscape", "--role", "store_manager", "--manager-of", "504", "--table", "stores",
               "--format", "json")
    assert {r["shop_id"] for r in json.loads(sm.stdout)} == {"504"}     # identifiers are text


def test_usage_errors_say_what_is_wrong(demo, cli):
    res = cli("run", "no-such-tool")
    assert res.returncode == 2 and "unknown tool" in res.stderr and "landscape" in res.stderr
    res = cli("run", "landscape", "--table", "nope")
    assert res.returncode == 2 and "kpis" in res.stderr
    res = cli("run", "landscape", "--role", "store_manager")
    assert res.returncode == 2 and "--manager-of" in res.stderr


def test_a_missing_source_is_reported_not_a_traceback(demo, tmp_path, cli):
    res = cli("run", "landscape", "--table", "quality", "--format", "json",
                env={"LUCKY_DATABASE_URL": str(tmp_path / "missing.duckdb")})
    assert "Traceback" not in res.stderr
    assert "LUCKY_DATABASE_URL" in res.stderr
    if res.returncode == 0:   # the landscape degrades: every check says it could not run
        assert {r["severity"] for r in json.loads(res.stdout)} == {"UNKNOWN"}
    else:
        assert res.returncode == 1
