"""The five finance tools on the session demo: tables and KPIs present, bad input answered with a
message (never an exception), and the pages render without exception."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lucky import tools
from lucky.core import Filters, Viewer

SLUGS = ("tax-gap", "reconciliation", "payment-costs", "tenant-audit", "timezones")
ROOT = Path(__file__).resolve().parent.parent


def messages(out) -> str:
    return " | ".join(m.text for m in out.messages)


@pytest.mark.parametrize("slug", SLUGS)
def test_tool_runs_with_tables_and_kpis(demo, slug):
    test_too = {"include_test": True} if any(o.name == "include_test" for o in tools.get(slug).options) else {}
    out = tools.execute(slug, Filters(), Viewer(), **test_too)   # the Cook Islands test market too
    assert out.kpis and out.tables
    expected = {"tax-gap": {"exceptions", "monthly", "quarterly-ledger", "fi-tax"},
                "reconciliation": {"exceptions", "daily", "fees-daily", "fees-monthly"},
                "payment-costs": {"channels", "monthly", "what-if"},
                "tenant-audit": {"checklist", "currency-mismatch", "tenant-distribution", "test-stores"},
                "timezones": {"markets", "holidays", "report-nyc", "report-cook-islands"}}[slug]
    assert expected <= set(out.tables)


NO_DATA = {   # slug -> (the sentence that says so, the tables that must then be empty)
    "tax-gap": ("No completed USD order items in this date range.", ("exceptions", "monthly")),
    "reconciliation": ("No completed USD orders or charges in this date range and store selection.",
                       ("exceptions", "daily", "fees-daily")),
    "payment-costs": ("No USD charges in this date range and store selection.", ("channels", "monthly")),
    "timezones": ("No completed orders in this date range", ("report-nyc", "report-cook-islands")),
}
NO_STORE = dict(NO_DATA, **{"tax-gap": ("No USD store matches the store filter: nothing to audit.",
                                        ("exceptions", "monthly")),
                             "timezones": ("No store matches the store filter: nothing to compare.",
                                           ("report-nyc", "report-cook-islands"))})


def _says_and_shows_nothing(out, sentence: str, empty: tuple[str, ...]) -> None:
    """The tool says why there is nothing, at info level, and shows no rows (never a zero row)."""
    assert any(m.level == "info" and m.text.startswith(sentence) for m in out.messages), messages(out)
    for name in empty:
        assert name not in out.tables or out.tables[name].empty, name


@pytest.mark.parametrize("slug", sorted(NO_DATA))
def test_range_with_no_data_is_a_message(demo, slug):
    out = tools.execute(slug, Filters(start=date(2020, 1, 1), end=date(2020, 1, 31)), Viewer())
    _says_and_shows_nothing(out, *NO_DATA[slug])


@pytest.mark.parametrize("slug", sorted(NO_STORE))
def test_store_with_no_orders_is_a_message(demo, slug):
    out = tools.execute(slug, Filters(stores=(987654,)), Viewer())
    _says_and_shows_nothing(out, *NO_STORE[slug])


def test_tax_daily_figures_are_store_local_days(demo, edited):
    """An order stamped 2026-02-01 03:00 UTC was sold on January 31st in New York: its tax
    belongs to January's month (and the Dec-Feb quarter), not February's."""
    from lucky import sources

    order_no, shop, tax = sources.read("luckyus_sales_order", """
        SELECT o.order_no, o.shop_id, SUM(i.tax) FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_order.t_order_item i ON i.order_id = o.id
        WHERE o.status = 90 AND o.currency_code = 'USD' AND o.create_time >= TIMESTAMP '2026-02-03'
        GROUP BY o.order_no, o.shop_id HAVING SUM(i.tax) > 0 ORDER BY o.order_no LIMIT 1""").iloc[0]
    window = Filters(start=date(2026, 1, 1), end=date(2026, 2, 28), stores=(shop,))

    def month_tax(month: str) -> float:
        monthly = tools.execute("tax-gap", window, Viewer()).tables["monthly"]
        return float(monthly.loc[monthly["month"] == month, "tax_collected"].sum())

    before = {m: month_tax(m) for m in ("2026-01", "2026-02")}
    edited(f"UPDATE luckyus_sales_order.t_order SET create_time = TIMESTAMP '2026-02-01 03:00:00' "
           f"WHERE order_no = '{order_no}'")
    assert month_tax("2026-01") == pytest.approx(before["2026-01"] + float(tax))
    assert month_tax("2026-02") == pytest.approx(before["2026-02"] - float(tax))
    ledger = tools.execute("tax-gap", Filters(), Viewer()).tables["quarterly-ledger"]
    assert set(ledger["period"]) <= {"2025-06..2025-08", "2025-09..2025-11", "2025-12..2026-02"}
    assert {"tax_due_new_york_state", "tax_due_new_york_city", "tax_due_mctd"} <= set(ledger.columns)


def test_fi_tax_watch_empty_then_live(demo, edited):
    assert "still empty" in messages(tools.execute("tax-gap", Filters(), Viewer()))
    edited("INSERT INTO luckyus_fi_tax.t_tax_invoice (id, tenant, invoice_no, create_time) "
           "VALUES (1, 'LKUS', 'INV1', TIMESTAMP '2026-02-15 10:00:00')")
    out = tools.execute("tax-gap", Filters(), Viewer())
    assert "Integration live" in messages(out)
    assert out.tables["fi-tax"].set_index("table_name").loc["t_tax_invoice", "row_count"] == 1


def test_nzd_never_in_usd_totals(demo):
    usd = tools.execute("reconciliation", Filters(currency="USD"), Viewer()).tables["daily"]
    nzd = tools.execute("reconciliation", Filters(currency="NZD"), Viewer()).tables["daily"]
    assert set(usd["currency_code"]) == {"USD"} and set(nzd["currency_code"]) <= {"NZD"}
    assert len(nzd) and not {470, 471} & set(usd["shop_id"])        # the Cook Islands test stores
    assert {470, 471} <= set(nzd["shop_id"])


def test_what_if_shows_its_arithmetic(demo):
    out = tools.execute("payment-costs", Filters(), Viewer(), from_channel=53, to_channel=3, share=0.2)
    row = out.tables["what-if"].iloc[0]
    assert row["yearly_saving"] == pytest.approx(row["moved_amount_per_year"] * (row["from_rate"] - row["to_rate"]))
    assert row["moved_amount_per_year"] == pytest.approx(0.2 * row["yearly_amount"])
    assert "What-if:" in messages(out)
    bad = tools.execute("payment-costs", Filters(), Viewer(), from_channel=53, to_channel=12345)
    assert "not computed" in messages(bad)


def test_unknown_and_null_time_zones_are_reported(demo, edited):
    edited("UPDATE luckyus_opshop.t_shop_info SET time_zone = NULL WHERE id = 501",
           "UPDATE luckyus_opshop.t_shop_info SET time_zone = 'Mars/Olympus' WHERE id = 502")
    for slug in ("timezones", "reconciliation", "tax-gap"):
        out = tools.execute(slug, Filters(), Viewer())
        assert "time zone" in messages(out), slug
    hub = tools.execute("timezones", Filters(), Viewer(), include_test=True).tables["markets"]
    assert set(hub["time_zone"]) == {"America/New_York", "Pacific/Rarotonga"}
    real = tools.execute("timezones", Filters(), Viewer())       # default: real trading shops only
    assert set(real.tables["markets"]["time_zone"]) == {"America/New_York"}
    assert "Cook Islands" in messages(real) and "Include test and internal shops" in messages(real)


def test_trade_in_a_currency_the_store_does_not_use(demo, edited):
    edited("""UPDATE luckyus_sales_payment.t_trade SET currency_code = 'NZD'
              WHERE id = (SELECT MIN(id) FROM luckyus_sales_payment.t_trade WHERE shop_id = 503 AND status = 3)""")
    out = tools.execute("reconciliation", Filters(), Viewer())
    assert "currency their store does not use" in messages(out)


def test_roles_are_enforced(demo):
    from lucky.access import AccessDenied
    with pytest.raises(AccessDenied):
        tools.execute("tax-gap", Filters(), Viewer(role="store_manager", shop_ids=(501,)))
    out = tools.execute("timezones", Filters(), Viewer(role="operations"))
    assert len(out.tables["markets"])


def test_timezone_hub_open_now_and_close(demo):
    from datetime import datetime
    out = tools.execute("timezones", Filters(), Viewer(), now=datetime(2026, 2, 13, 15, 0),   # 10:00 in New York
                        include_test=True)
    hub = out.tables["markets"].set_index("market")
    assert bool(hub.loc["NYC", "open_now"]) and not bool(hub.loc["Cook Islands", "open_now"])  # 05:00 there
    assert str(hub.loc["NYC", "today_closes_utc"]) == "2026-02-14 05:00:00"
    assert "Cook Islands" in hub.index and hub.loc["Cook Islands", "holiday_calendar"].startswith("CK")


@pytest.mark.parametrize("slug", SLUGS)
def test_page_renders_without_exception(demo, slug):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "pages" / f"{slug}.py"), default_timeout=120)
    at.run()
    assert not at.exception
    assert at.title[0].value
    assert len(at.dataframe) >= 1
