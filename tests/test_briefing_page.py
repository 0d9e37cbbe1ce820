"""The briefing preview page in AppTest: any day, including one outside the data."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "briefing.py")


@pytest.fixture(autouse=True)
def _fresh_cache():
    import streamlit as st
    st.cache_data.clear()
    yield


def _page(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["role"] = "admin"
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def test_preview_of_the_latest_day(demo):
    at = _page(brief_llm=False)
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Email", "Slack", "Data"]
    assert "*Revenue & Orders*" in at.code[0].value
    stores = next(df.value for df in at.dataframe if "store" in df.value.columns)
    assert len(stores) > 0 and stores["orders"].sum() > 0


def test_preview_before_the_data_says_so(demo):
    at = _page(brief_day=date(2021, 3, 1), brief_llm=False)
    assert not at.exception
    assert any("The data starts on" in str(w.value) for w in at.warning)
