"""`python -m lucky run landscape` in every format, in a subprocess like a user would run it."""
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


def lucky(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
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


def test_json_of_every_table_is_a_dict_of_records(demo):
    res = lucky("landscape", "--format", "json")
    assert res.returncode == 0, res.stderr
    tables = json.loads(res.stdout)
    assert list(tables) == TABLES
    checks = {r["check"]: r["severity"] for r in tables["quality"]}
    assert checks["empty_fi_tax"] == "CRITICAL"
    assert len({r["database"] for r in tables["inventory"]}) == 18


def test_csv_prints_every_table_under_a_header(demo):
    res = lucky("landscape", "--format", "csv")
    assert res.returncode == 0, res.stderr
    headers = [line[2:] for line in res.stdout.splitlines() if line.startswith("# ")]
    assert headers == TABLES
    one = lucky("landscape", "--table", "products", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(one.stdout)))
    assert rows and {"rank", "product", "orders", "revenue", "avg_price"} <= set(rows[0])
    assert float(rows[0]["orders"]) >= float(rows[-1]["orders"])


def test_markdown_is_a_table(demo):
    res = lucky("landscape", "--table", "quality", "--format", "md")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith("| check | issue | severity |")
    assert lines[1].startswith("|---|")
    assert len(lines) == 2 + 7
    every = lucky("landscape", "--format", "md")
    assert [l[3:] for l in every.stdout.splitlines() if l.startswith("## ")] == TABLES


def test_filters_and_roles_match_the_page(demo):
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
    res = lucky("landscape", "--start", "2026-02-01", "--store", "502", "503", "--table", "stores",
                "--format", "json")
    cli = json.loads(res.stdout)
    assert [r["orders"] for r in cli] == page.tables["stores"]["orders"].tolist()

    sm = lucky("landscape", "--role", "store_manager", "--manager-of", "504", "--table", "stores",
               "--format", "json")
    assert {r["shop_id"] for r in json.loads(sm.stdout)} == {"504"}     # identifiers are text


def test_usage_errors_say_what_is_wrong(demo):
    res = lucky("no-such-tool")
    assert res.returncode == 2 and "unknown tool" in res.stderr and "landscape" in res.stderr
    res = lucky("landscape", "--table", "nope")
    assert res.returncode == 2 and "kpis" in res.stderr
    res = lucky("landscape", "--role", "store_manager")
    assert res.returncode == 2 and "--manager-of" in res.stderr


def test_a_missing_source_is_reported_not_a_traceback(demo, tmp_path):
    res = lucky("landscape", "--table", "quality", "--format", "json",
                env_extra={"LUCKY_DATABASE_URL": str(tmp_path / "missing.duckdb")})
    assert "Traceback" not in res.stderr
    assert "LUCKY_DATABASE_URL" in res.stderr
    if res.returncode == 0:   # the landscape degrades: every check says it could not run
        assert {r["severity"] for r in json.loads(res.stdout)} == {"UNKNOWN"}
    else:
        assert res.returncode == 1
