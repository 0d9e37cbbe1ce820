"""The anomaly feed page in AppTest: cards sorted by severity, filters, dismiss stored with the person."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "anomalies.py")


@pytest.fixture(autouse=True)
def _fresh_cache():
    import streamlit as st
    st.cache_data.clear()
    yield


def test_feed_cards_and_dismiss(demo):
    from lucky.anomaly import feedback

    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["role"] = "admin"
    at.run()
    assert not at.exception
    cards = [m.value for m in at.markdown if "-badge[" in m.value]
    assert cards, "no anomaly cards"
    ranks = [0 if "Critical" in c.split("]")[0] else 1 for c in cards]
    assert ranks == sorted(ranks)
    assert any(set(df.value.columns) >= {"shop_id", "date", "metric", "severity", "score", "explanation"}
               for df in at.dataframe)
    before = len(feedback.history())
    dismiss = next(b for b in at.button if b.label == "Dismiss")
    dismiss.click().run()
    assert not at.exception
    hist = feedback.history()
    assert len(hist) == before + 1
    assert hist.iloc[-1]["action"] == "dismiss" and hist.iloc[-1]["actor"] == "demo admin"


def test_store_manager_sees_the_feed_of_their_store(demo):
    """Only their store's rows in every table and only their store's name on the cards, while
    the same feed as admin has other stores."""
    from lucky.queries.shops import trading_shops

    shops = trading_shops("USD").set_index("shop_id")["shop_name"]
    admin = AppTest.from_file(PAGE, default_timeout=180)
    admin.session_state["role"] = "admin"
    admin.run()
    busiest = pd.concat([df.value for df in admin.dataframe if "shop_id" in df.value.columns])
    ids = pd.to_numeric(busiest["shop_id"], errors="coerce").dropna().astype(int)   # '' = chain-wide
    mine = int(ids.value_counts().index[0])
    assert ids.nunique() > 1

    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state["role"] = "store_manager"
    at.session_state["my_stores"] = [mine]
    at.run()
    assert not at.exception
    tables = [df.value for df in at.dataframe if "shop_id" in df.value.columns]
    assert tables and all(set(t["shop_id"].astype(int)) == {mine} for t in tables if len(t))
    cards = " ".join(m.value for m in at.markdown if "-badge[" in m.value)
    assert cards and shops[mine] in cards
    assert not [name for sid, name in shops.items() if sid != mine and name in cards]
