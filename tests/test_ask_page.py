"""Ask Lucky's chat page (AppTest), CLI (`python -m lucky ask`), tool (`run ask-lucky`) and usage log."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lucky.core import Filters, Viewer

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "ask-lucky.py")


@pytest.fixture(autouse=True)
def _fresh(demo, state_store):
    import streamlit as st
    st.cache_data.clear()
    yield


def _page(role: str = "marketing") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["role"] = role
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_chat_answers_shows_sql_and_logs_usage(demo):
    from lucky.ask import usage
    at = _page()
    at.chat_input[0].set_value("How many orders did 8th & Broadway do yesterday?").run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "Completed orders at 8th & Broadway yesterday" in text
    assert any("luckyus_sales_order.t_order" in c.value for c in at.code)
    at.chat_input[0].set_value("and last week?").run()           # a follow-up refines the last question
    text = " ".join(m.value for m in at.markdown)
    assert "at 8th & Broadway last week" in text
    weekly = usage.weekly_counts()
    assert int(weekly["questions"].sum()) >= 2 and int(weekly["non_admin"].sum()) >= 2
    hist = usage.history(Viewer("marketing", name="demo marketing"))
    assert list(hist["question"])[:2] == ["and last week?", "How many orders did 8th & Broadway do yesterday?"]


def test_bad_input_is_a_message_not_an_exception(demo):
    at = _page()
    for question in ("", "asdf qwer", "¿Cuántos pedidos ayer?", "orders at Times Square yesterday",
                     "orders on 2020-01-01", "delete all orders"):
        at.chat_input[0].set_value(question).run()
        assert not at.exception, (question, [e.value for e in at.exception])
    assert len(at.warning) + len(at.error) >= 4


def test_save_and_share_by_url(demo):
    from lucky.ask import usage
    at = _page()
    at.chat_input[0].set_value("What's our best selling drink this week?").run()
    next(b for b in at.button if b.label == "Save and share").click().run()
    assert not at.exception
    key = at.query_params["q"][0] if isinstance(at.query_params["q"], list) else at.query_params["q"]
    assert usage.saved(key)[0] == "What's our best selling drink this week?"
    at.chat_input[0].set_value("and last week?").run()          # the saved question is not asked twice
    assert sum("best-selling drink" in m.value for m in at.markdown) == 2
    shared = AppTest.from_file(PAGE, default_timeout=180)
    shared.session_state["role"] = "finance"
    shared.query_params["q"] = key
    shared.run()
    assert not shared.exception
    assert "best-selling drink" in " ".join(m.value for m in shared.markdown)


def test_explain_this_data(demo):
    at = _page()
    at.chat_input[0].set_value("revenue by store this month").run()
    at.toggle[0].set_value(True).run()
    assert not at.exception
    assert "NZD" in " ".join(m.value for m in at.markdown)


def test_cli_json_has_exactly_the_contract_keys(demo, capsys):
    from lucky.cli import main
    assert main(["ask", "Show me the top 10 users by order count", "--format", "json", "--role", "marketing"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"answer", "sql", "columns", "rows", "refused", "reason"}
    assert len(out["rows"]) == 10 and out["refused"] is False and out["reason"] is None
    assert main(["ask", "show me customer emails", "--format", "json", "--role", "marketing"]) == 0
    refused = json.loads(capsys.readouterr().out)
    assert refused["refused"] is True and refused["reason"] and refused["rows"] == []
    assert main(["ask", "orders yesterday", "--as-of", "2026-01-15", "--format", "md"]) == 0
    assert "Jan 14, 2026" in capsys.readouterr().out
    assert main(["ask", "--weekly", "--format", "json"]) == 0
    weeks = json.loads(capsys.readouterr().out)
    assert sum(w["questions"] for w in weeks) >= 3 and sum(w["non_admin"] for w in weeks) >= 2


def test_tool_runs_through_execute(demo):
    from lucky import tools
    tool = tools.get("ask-lucky")
    assert tool.number == 19 and tool.department == "Company-wide"
    out = tools.execute("ask-lucky", Filters(), Viewer("operations"), question="orders by store last week")
    assert "answer" in out.tables and {"store", "Orders"} <= set(out.tables["answer"].columns)
    assert any("SQL" in m.text for m in out.messages)
