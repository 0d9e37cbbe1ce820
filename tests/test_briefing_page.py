"""The briefing preview page in AppTest: any day, including one outside the data."""
from __future__ import annotations

from datetime import timedelta
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


def test_the_sidebar_as_of_is_the_briefing_day(demo):
    """One date for the page: the sidebar's "As of" (the briefing had its own picker beside it)."""
    from lucky.queries.landscape import data_span

    first, last = data_span()
    day = last - timedelta(days=3)
    at = _page(as_of=day, brief_llm=False)
    assert not at.exception
    assert [d.label for d in at.main.date_input] == []            # no second date picker
    assert [d.label for d in at.sidebar.date_input] == ["As of"]  # the range is not used here
    assert f"{day:%A}" in at.code[0].value and str(day) in at.code[0].value
