"""Tool 22, compliance: the score and hash chain by hand, finding counts equal to the tax-gap and
reconciliation views (seeds 0 and 1) and to the planted truth, edited defects found, a source that
is down never passes, and an edited or deleted audit-log row is caught by `verify`."""
from __future__ import annotations

import json
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from lucky import sources, state, tools
from lucky.cli import main
from lucky.compliance import audit, checks, export
from lucky.core import Filters, Viewer
from lucky.errors import SourceError
from lucky.models import compliance as cm
from lucky.queries.landscape import data_span

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ hand-worked models
def test_verdict_never_passes_a_check_that_did_not_run():
    assert cm.verdict(0) == cm.PASS and cm.verdict(3) == cm.FAIL and cm.verdict(None) == cm.NOT_RUN


def test_monthly_score_by_hand():
    months = cm.months(date(2026, 1, 15), date(2026, 2, 3))
    assert months == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")]
    dated = pd.DataFrame({"business_date": pd.to_datetime(["2026-01-20", "2026-01-21"])})
    a = cm.monthly_findings(dated, months)                       # 2 in January, none in February
    b = cm.monthly_findings(pd.DataFrame({"table_name": ["t"]}), months)   # undated: every month
    per_month = pd.DataFrame({"a": a, "b": b * 0, "c": b})
    s = cm.monthly_score(per_month, {"a": 3, "b": 2, "c": 1})
    # January: only b passes -> 2 / 6; February: a and b pass -> 5 / 6
    assert s["score"].tolist() == [round(100 * 2 / 6, 1), round(100 * 5 / 6, 1)]
    assert s["checks_run"].tolist() == [3, 3]


def test_new_failures_only_when_not_failing_before():
    prev = {"a": cm.FAIL, "b": cm.PASS}
    cur = {"a": cm.FAIL, "b": cm.FAIL, "c": cm.FAIL, "d": cm.NOT_RUN}
    assert cm.new_failures(prev, cur) == ["b", "c"]


def _chain(n: int) -> list[dict]:
    rows, prev = [], cm.GENESIS
    for i in range(1, n + 1):
        row = {"seq": i, "at": pd.Timestamp("2026-01-01 10:00"), "actor": "x", "role": "admin",
               "check_id": f"c{i}", "period_start": date(2026, 1, 1), "period_end": date(2026, 1, 31),
               "status": "pass", "findings": 0, "detail": "{}"}
        row["prev_hash"], row["hash"] = prev, cm.entry_hash(prev, row)
        prev = row["hash"]
        rows.append(row)
    return rows


def test_chain_detects_alteration_deletion_and_truncation():
    rows = _chain(4)
    assert cm.verify_chain(rows).ok
    changed = [dict(r) for r in rows]
    changed[1]["findings"] = 5
    assert cm.verify_chain(changed).seq == 2
    assert cm.verify_chain(rows[:2] + rows[3:]).seq == 3                  # entry 3 missing
    head = rows[-1]["hash"]
    assert cm.verify_chain(rows, head).ok
    assert not cm.verify_chain(rows[:3], head).ok                        # last entry removed
    assert cm.verify_chain(rows, rows[1]["hash"]).ok                     # appended since the export


# ------------------------------------------------------------------ counts equal the views
def _span_filters() -> Filters:
    first, last = data_span()
    return Filters(start=first, end=last)


def _assert_counts_equal_views(truth: dict, viewer: Viewer = Viewer()) -> dict:
    filters = _span_filters()
    out = tools.execute("compliance", filters, viewer)
    got = out.tables["checklist"].set_index("check_id")["findings"]
    tax = tools.execute("tax-gap", filters, viewer).tables["exceptions"]
    rec = tools.execute("reconciliation", filters, viewer).tables["exceptions"]
    kinds = rec["kind"].value_counts()
    assert got["tax.statutory_rate"] == len(tax)
    assert got["payment.orphan_payments"] == kinds.get("orphan_payment", 0)
    assert got["finance.three_way_match"] == sum(kinds.get(k, 0) for k in checks.MATCH_KINDS)
    assert got["finance.income_bills"] == kinds.get("missing_income_bill", 0)
    # the planted truth behind them (USD only: the filter's currency)
    planted_tax = set().union(*(set(v) for v in truth["tax"].values()))
    assert set(out.tables["rows-tax.statutory_rate"]["order_no"]) == planted_tax
    assert got["tax.statutory_rate"] > 0 and got["finance.three_way_match"] > 0
    return {"out": out, "got": got}


def _assert_hold_time(out, truth: dict) -> None:
    """Every drink held over 30 minutes is on a store-day planted with impossible production times,
    and the count equals a direct count in the source."""
    planted = {(a["shop_id"], a["date"]) for a in truth["anomalies"] if a["metric"] == "production_time"}
    rows = out.tables.get("rows-food.hold_time", pd.DataFrame(columns=["shop_id", "business_date"]))
    found = {(int(s), str(d)) for s, d in zip(rows["shop_id"], rows["business_date"])}
    assert found and found <= planted
    n = sources.read("luckyus_opproduction", "SELECT COUNT(*) AS n FROM luckyus_opproduction.t_production "
                     "WHERE accept_time IS NOT NULL AND done_time > accept_time + INTERVAL 1800 SECOND")["n"].iloc[0]
    assert len(rows) == n


def test_counts_equal_views_seed0(demo, state_store):
    res = _assert_counts_equal_views(demo["truth"])
    _assert_hold_time(res["out"], demo["truth"])
    assert res["got"]["payment.fee_records"] == 0 and res["got"]["payment.card_data"] == 0


def test_counts_equal_views_seed1(shared_build, use_demo, state_store):
    path, truth = shared_build(0.01, 1)
    use_demo(path)
    res = _assert_counts_equal_views(truth)
    _assert_hold_time(res["out"], truth)


def test_store_manager_counts_equal_their_views(demo, state_store):
    shop = int(pd.Series([a["shop_id"] for a in demo["truth"]["anomalies"]]).mode()[0])
    viewer = Viewer("store_manager", (shop,), "manager")
    checklist = tools.execute("compliance", Filters(start=date(2025, 12, 1), end=date(2025, 12, 31)),
                              viewer).tables["checklist"].set_index("check_id")
    # a store manager may not open tax-gap or reconciliation: those checks could not run
    assert checklist.loc["tax.statutory_rate", "status"] == cm.NOT_RUN
    assert checklist.loc["finance.three_way_match", "status"] == cm.NOT_RUN
    assert "AccessDenied" in checklist.loc["finance.three_way_match", "reason"]
    finance = Viewer("finance", (), "fin")
    window = Filters(start=date(2025, 10, 1), end=date(2026, 1, 31)).with_stores((shop,))
    out = tools.execute("compliance", window, finance)
    rec = tools.execute("reconciliation", window, finance).tables["exceptions"]
    got = out.tables["checklist"].set_index("check_id")["findings"]
    assert got["finance.income_bills"] == (rec["kind"] == "missing_income_bill").sum()


# ------------------------------------------------------------------ defects edited in by hand
def test_edited_defects_are_found(edited, state_store):
    trade = sources.read("luckyus_sales_payment", "SELECT trade_no FROM luckyus_sales_payment.t_channel_fee "
                         "ORDER BY id LIMIT 1")["trade_no"].iloc[0]
    prod = int(sources.read("luckyus_opproduction", "SELECT id FROM luckyus_opproduction.t_production WHERE "
                            "done_time < accept_time + INTERVAL 600 SECOND ORDER BY id LIMIT 1")["id"].iloc[0])
    edited(f"DELETE FROM luckyus_sales_payment.t_channel_fee WHERE trade_no = '{trade}'",
           f"UPDATE luckyus_opproduction.t_production SET done_time = accept_time + INTERVAL 45 MINUTE "
           f"WHERE id = {prod}",
           "UPDATE luckyus_sales_payment.t_user_channel SET card_last4 = '4242424242424242' "
           "WHERE id = (SELECT MIN(id) FROM luckyus_sales_payment.t_user_channel)")
    out = tools.execute("compliance", _span_filters(), Viewer())
    assert set(out.tables["rows-payment.fee_records"]["trade_no"]) == {trade}
    assert prod in set(out.tables["rows-food.hold_time"]["production_id"])
    card = out.tables["rows-payment.card_data"]
    assert card["field"].tolist() == ["card_last4"] and "4242424242" not in card["value"].iloc[0]


def test_source_down_could_not_run_never_pass(demo, state_store, monkeypatch):
    from lucky.queries import compliance as q

    def down(*_a, **_k):
        raise SourceError("luckyus_opproduction", "LUCKY_DSN_OPPRODUCTION", "connection refused")
    monkeypatch.setattr(q, "long_productions", down)
    out = tools.execute("compliance", Filters(start=date(2025, 11, 1), end=date(2025, 11, 30)), Viewer())
    row = out.tables["checklist"].set_index("check_id").loc["food.hold_time"]
    assert row["status"] == cm.NOT_RUN and pd.isna(row["findings"]) and "connection refused" in row["reason"]
    assert any("Could not run food.hold_time" in m.text for m in out.messages)
    assert out.tables["checklist"]["status"].eq(cm.PASS).sum() >= 1          # the others still ran


def test_bad_and_empty_periods_are_messages(demo, state_store):
    from lucky.errors import InputError

    with pytest.raises(InputError, match="before it starts"):
        tools.execute("compliance", Filters(start=date(2026, 2, 1), end=date(2026, 1, 1)), Viewer())
    out = tools.execute("compliance", Filters(start=date(2020, 1, 1), end=date(2020, 1, 31)), Viewer())
    assert any("nothing to judge" in m.text for m in out.messages)


# ------------------------------------------------------------------ audit trail, alerts, export
def _state_file() -> Path:
    return Path(state.state_url().removeprefix("sqlite:///"))


def test_log_edit_or_delete_is_detected_by_verify(demo, state_store, capsys):
    f = Filters(start=date(2025, 10, 1), end=date(2025, 12, 31))
    tools.execute("compliance", f, Viewer())
    tools.execute("compliance", f, Viewer("finance", (), "fin"))
    n = len(checks.CHECKS)
    assert audit.verify().ok and audit.head()[0] == 2 * n
    assert main(["compliance", "verify"]) == 0
    head = audit.head()[1]
    con = sqlite3.connect(_state_file())
    con.execute("UPDATE compliance_log SET status = 'pass', findings = 0 WHERE seq = 5")
    con.commit()
    assert main(["compliance", "verify"]) == 1
    assert "entry 5" in capsys.readouterr().err
    con.execute("DELETE FROM compliance_log WHERE seq = 5")
    con.commit()
    assert main(["compliance", "verify"]) == 1
    assert "entry 5 is missing" in capsys.readouterr().err
    con.execute("DELETE FROM compliance_log WHERE seq >= 5")                  # truncate the tail
    con.commit()
    con.close()
    assert main(["compliance", "verify"]) == 0                               # a clean prefix...
    assert main(["compliance", "verify", "--head", head]) == 1               # ...but not the exported head


def test_alerts_only_on_new_failures(demo, state_store, monkeypatch):
    from lucky.monitor import notify

    sent = []
    monkeypatch.setattr(notify, "send", lambda transitions, conf: sent.append(transitions) or {})
    f = Filters(start=date(2025, 10, 1), end=date(2025, 12, 31))
    first = tools.execute("compliance", f, Viewer())
    failing = set(first.tables["checklist"].query("status == 'fail'")["check_id"])
    assert failing and {t.rule for t in sent[0]} == failing
    assert all(t.action == "opened" and t.instance == "compliance" for t in sent[0])
    tools.execute("compliance", f, Viewer())
    assert len(sent) == 1                                                    # nothing new: no alert


def test_export_bundle_carries_head_hash(demo, state_store):
    f = Filters(start=date(2025, 10, 1), end=date(2025, 12, 31))
    out = tools.execute("compliance", f, Viewer())
    data, head = export.bundle(out, f, Viewer(), "formula")
    assert head == audit.head()[1]
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        names = set(z.namelist())
        assert {"report.html", "HEAD_HASH.txt", "checklist.csv", "score.csv", "audit_log.csv"} <= names
        assert head in z.read("report.html").decode() and z.read("HEAD_HASH.txt").decode().startswith(head)
        assert "findings/tax.statutory_rate.csv" in names
        log = pd.read_csv(z.open("audit_log.csv"))
        assert len(log) == len(checks.CHECKS) and json.loads(log["detail"].iloc[0])["title"]


def test_cli_run_and_page(demo, state_store, tmp_path, capsys):
    assert main(["run", "compliance", "--start", "2025-11-01", "--end", "2025-11-30", "--table", "checklist",
                 "--format", "csv"]) == 0
    assert "tax.statutory_rate" in capsys.readouterr().out
    zpath = tmp_path / "bundle.zip"
    assert main(["compliance", "export", "--start", "2025-10-01", "--end", "2025-12-31", "--out", str(zpath)]) == 0
    assert zipfile.is_zipfile(zpath)
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "pages" / "compliance.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert len(at.tabs) == 4 and len(at.dataframe) >= 4
