"""The briefing on demo data: sections, bad dates, a young store, a day with no orders, the CLI."""
from __future__ import annotations

import pandas as pd
import pytest

from lucky import cli
from lucky.briefing import compose, narrative, render
from lucky.briefing.compose import SECTIONS
from lucky.core import Filters, Viewer
from lucky.queries import metrics, shops
from lucky.tools import execute


@pytest.fixture(scope="module")
def span(demo):
    return metrics.order_span(shops.trading_shops("USD"))


@pytest.fixture(scope="module")
def brief(demo, span):
    day = span["last_day"].max() - pd.Timedelta(days=3)
    return narrative.write(compose.build(day.date(), Viewer()), use_llm=False)


def test_sections_and_numbers_come_from_the_data(brief, span):
    assert [s.title for s in brief.sections] == list(SECTIONS)
    rev = brief.section("Revenue & Orders")
    orders = metrics.orders_daily(shops.trading_shops("USD"), brief.day, brief.day)
    assert rev.figures[0].value == orders["orders"].sum()
    assert rev.figures[1].value == pytest.approx(orders["revenue"].sum())
    assert rev.figures[0].week is not None and rev.figures[0].avg30 is not None
    assert set(rev.table["shop_id"]) <= set(span["shop_id"])
    assert narrative.unsupported(brief.narrative, brief.facts()) == []
    assert brief.section("7-Day Outlook").lines or brief.section("7-Day Outlook").figures


def test_html_and_markdown(brief):
    page, md, slack = render.to_html(brief), render.to_markdown(brief), render.to_slack(brief)
    assert "<svg" in page and "Deep dive" in page
    assert all(title.replace("&", "&amp;") in page for title in SECTIONS)
    assert all(f"*{title}*" in slack for title in SECTIONS)
    assert all(f"## {title}" in md for title in SECTIONS)
    assert ":red_circle:" not in md and ":large_green_circle:" not in md and "|Deep dive" not in md
    assert len(slack.split()) < 700


@pytest.mark.parametrize("day, words", [("2020-01-01", "The data starts on"), ("2031-06-01", "The data ends on")])
def test_dates_outside_the_data_are_a_statement(demo, day, words):
    b = narrative.write(compose.build(pd.Timestamp(day).date(), Viewer()))
    assert not b.sections
    assert words in " ".join(b.notes) and not b.narrative
    assert words in render.to_html(b) and words in render.to_markdown(b)


def test_store_opened_yesterday(demo, span):
    young = span.sort_values("first_day").iloc[-1]
    day = (young["first_day"] + pd.Timedelta(days=1)).date()
    b = compose.build(day, Viewer())
    lines = " ".join(b.section("Revenue & Orders").lines + b.notes)
    assert "opened 1 day(s) before" in lines and "too new for a baseline" in lines


def test_day_with_no_orders_at_a_store(demo, span):
    daily = metrics.orders_daily(shops.trading_shops("USD"))
    daily["date"] = pd.to_datetime(daily["date"])
    empty = None
    for row in span.itertuples():
        have = set(daily.loc[daily["shop_id"] == row.shop_id, "date"])
        days = pd.date_range(row.first_day + pd.Timedelta(days=20), row.last_day)
        missing = [d for d in days if d not in have]
        if missing:
            empty = (int(row.shop_id), missing[0])
            break
    if empty is None:
        pytest.skip("every store of this demo has orders every day")
    b = narrative.write(compose.build(empty[1].date(), Viewer(), stores=(empty[0],)), use_llm=False)
    assert "No completed orders were recorded" in b.narrative
    assert b.section("Revenue & Orders").figures[0].value == 0


def test_tool_output(demo, span):
    out = execute("briefing", Filters(as_of=span["last_day"].max().date()), Viewer(), use_llm=False)
    docs = out.tables["documents"].set_index("format")["content"]
    assert docs["html"].startswith("<!DOCTYPE html>") and docs["slack"].startswith("*Luckin")
    assert docs["md"].startswith("# Luckin")
    assert [k.label for k in out.kpis] == ["Orders", "Revenue", "Average order"]


def test_cli_prints_markdown_and_refuses_bad_dates(demo, span, capsys, monkeypatch):
    for name in ("LUCKY_LLM_BASE_URL", "LUCKY_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    day = span["last_day"].max().date()
    assert cli.main(["briefing", "--date", str(day), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Luckin Coffee USA") and "## Alerts & Exceptions" in out
    assert ":red_circle:" not in out and ":white_circle:" not in out     # Markdown, not Slack markup
    assert cli.main(["briefing", "--date", str(day), "--format", "slack"]) == 0
    assert capsys.readouterr().out.startswith("*Luckin Coffee USA")
    assert cli.main(["briefing", "--date", "14/02/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_cli_send_without_channels_says_so(demo, span, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("LUCKY_SECRETS", str(tmp_path / "none.toml"))
    for name in ("LUCKY_SMTP_HOST", "LUCKY_BRIEFING_TO", "LUCKY_SLACK_WEBHOOK", "LUCKY_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    target = tmp_path / "brief.html"
    code = cli.main(["briefing", "--date", str(span["last_day"].max().date()), "--send", "--out", str(target)])
    assert code == 1 and target.read_text().startswith("<!DOCTYPE html>")
    assert "not configured" in capsys.readouterr().err
