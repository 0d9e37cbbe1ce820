"""Tool 17 against the planted truth (seeds 0 and 1) and against defects edited in by hand.
The truth file is read here, by the test, never by the app."""
from __future__ import annotations

import pandas as pd

from lucky import sources, tools
from lucky.core import Filters, Viewer
from lucky.schema import WEEKDAYS

SLUG = "suppliers"


def _independent_on_time() -> pd.Series:
    """On-time rate per supplier straight from the tables: arrive_date <= the PO's expected_date."""
    with sources.engine("luckyus_scm_purchase").connect() as con:
        rows = con.exec_driver_sql("""
            SELECT s.supplier_code, SUM(CASE WHEN s.arrive_date <= p.expected_date THEN 1 ELSE 0 END) AS ok, COUNT(*) AS n
            FROM luckyus_scm_purchase.t_ship_order s JOIN luckyus_scm_purchase.t_purchase_order p ON p.po_no = s.po_no
            WHERE s.arrive_date IS NOT NULL GROUP BY s.supplier_code""").fetchall()
    return pd.Series({code: ok / n for code, ok, n in rows})


def _step_found(alerts: pd.DataFrame, step: dict) -> bool:
    a = alerts[(alerts["supplier_code"] == step["supplier_code"]) & (alerts["goods_code"] == step["goods_code"])]
    day = pd.Timestamp(step["date"])
    return bool(((pd.to_datetime(a["prev_date"]) < day) & (pd.to_datetime(a["date"]) >= day)).any())


def check(truth: dict, label: str) -> None:
    out = tools.execute(SLUG, Filters(), Viewer())
    t = out.tables["suppliers"].set_index("supplier_code")
    planted = truth["suppliers"]
    assert planted["late_prone"], label
    lowest = t["on_time_rate"].sort_values().index[: len(planted["late_prone"]) + 1]
    for code in planted["late_prone"]:
        assert t.loc[code, "flag"] == "late", f"{label}: {code} not flagged"
        assert code in lowest, f"{label}: {code} not among the lowest on-time rates"
    assert set(t.index[t["flag"] == "late"]) == set(planted["late_prone"])
    missed = [s for s in planted["price_steps"] if not _step_found(out.tables["price_alerts"], s)]
    assert not missed, f"{label}: price steps without an alert: {missed}"
    ind = _independent_on_time()
    assert (t["on_time_rate"].dropna() - ind.reindex(t["on_time_rate"].dropna().index)).abs().max() < 1e-9
    ship = out.tables["shipments"]
    assert set(ship.loc[ship["short"], "ship_no"]) == set(planted["short_shipments"])
    assert set(out.tables["short_lines"]["ship_no"]) == set(planted["short_shipments"])
    booked = out.tables["shipment_receipts"]       # the stores' receipts (stock ledger) under each ship_no
    assert len(booked) and booked["ship_no"].isin(ship.loc[ship["arrive_date"].notna(), "ship_no"]).all()
    found = set(booked.loc[booked["status"].isin(["short", "not booked"]), "ship_no"])
    assert found == set(planted["short_shipments"]), f"{label}: short from the ledger {sorted(found)}"


def test_truth_seed0(demo):
    check(demo["truth"], "seed 0 scale 0.01")


def test_truth_seed1(shared_build, use_demo):
    path, truth = shared_build(0.01, 1)
    use_demo(path)
    check(truth, "seed 1 scale 0.01")


def test_hand_edited_late_supplier_price_rise_and_bad_input(demo, edited):
    """An ordinary supplier's deliveries all arrive a week late: flagged. A later purchase 12%
    dearer: alerted. A shipment of a PO that does not exist and an order line of an unknown goods
    code are counted in messages."""
    base = tools.execute(SLUG, Filters(), Viewer()).tables["suppliers"]
    ok = base[(base["flag"] == "ok") & (base["arrived"] >= 1)].sort_values("arrived", ascending=False)
    # the ordinary supplier's latest order is repeated a week later, 12% dearer
    code = str(ok["supplier_code"].iloc[0])
    po = sources.read("luckyus_scm_purchase", """SELECT po_no FROM luckyus_scm_purchase.t_purchase_order
        WHERE supplier_code = :code ORDER BY order_date DESC, po_no DESC LIMIT 1""", {"code": code})["po_no"].iloc[0]
    edited(
        "UPDATE luckyus_scm_purchase.t_ship_order s SET arrive_date = (SELECT p.expected_date + 7 FROM "
        "luckyus_scm_purchase.t_purchase_order p WHERE p.po_no = s.po_no) "
        f"WHERE s.supplier_code = '{code}' AND s.arrive_date IS NOT NULL",
        "INSERT INTO luckyus_scm_purchase.t_purchase_order SELECT * REPLACE (id + 900000000 AS id, 'PO-RISE' AS po_no, "
        f"order_date + 7 AS order_date, expected_date + 7 AS expected_date) FROM luckyus_scm_purchase.t_purchase_order "
        f"WHERE po_no = '{po}'",
        "INSERT INTO luckyus_scm_purchase.t_purchase_order_item SELECT * REPLACE (id + 900000000 AS id, 'PO-RISE' AS po_no, "
        "unit_price * 1.12 AS unit_price, amount * 1.12 AS amount) FROM luckyus_scm_purchase.t_purchase_order_item "
        f"WHERE po_no = '{po}'",
        "INSERT INTO luckyus_scm_purchase.t_ship_order (id, tenant, ship_no, po_no, supplier_code, ship_date, arrive_date, "
        "shipped_qty, received_qty, status, create_time) VALUES (999999, 'LKUS', 'SHX0001', 'PO-NOPE', "
        f"'{code}', DATE '2026-01-05', DATE '2026-01-07', 10, 10, 3, TIMESTAMP '2026-01-05 14:00:00')",
        "INSERT INTO luckyus_scm_purchase.t_purchase_order_item (id, tenant, po_no, goods_code, quantity, unit_price, "
        f"amount, create_time) VALUES (999999, 'LKUS', '{po}', 'GZZ999', 1, 1.0, 1.0, TIMESTAMP '2026-01-05 14:00:00')")
    out = tools.execute(SLUG, Filters(), Viewer())
    t = out.tables["suppliers"].set_index("supplier_code")
    assert t.loc[code, "flag"] == "late" and t.loc[code, "on_time_rate"] == 0
    alerts = out.tables["price_alerts"]
    rises = alerts[alerts["supplier_code"] == code]
    assert (rises["pct"] >= 11).any(), rises
    text = " ".join(m.text for m in out.messages)
    assert "1 shipments reference a purchase order that does not exist (SHX0001)" in text
    assert "1 order lines name goods codes missing from the goods master (GZZ999)" in text
    ship = out.tables["shipments"].set_index("ship_no")
    assert ship.loc["SHX0001", "on_time"] == "not judged"


def test_hand_edited_receipt_booked_short(demo, edited):
    """A store books one unit less of a complete shipment line into its stock ledger: that
    shipment turns short from the ledger, the supplier's own record still says complete."""
    base = tools.execute(SLUG, Filters(), Viewer()).tables["shipment_receipts"]
    ok = base[(base["status"] == "ok") & (base["received_qty"] > 2)].iloc[0]
    edited(*[f"UPDATE luckyus_scm_shopstock.t_shop_goods_stock_change_{wd} SET change_qty = change_qty - 1, "
             f"after_qty = after_qty - 1 WHERE change_type = 2 AND ref_no = '{ok['ship_no']}' "
             f"AND goods_code = '{ok['goods_code']}'" for wd in WEEKDAYS])
    out = tools.execute(SLUG, Filters(), Viewer())
    t = out.tables["shipment_receipts"].set_index(["ship_no", "goods_code"])
    row = t.loc[(ok["ship_no"], ok["goods_code"])]
    assert row["status"] == "short" and abs(row["received_qty"] - (ok["received_qty"] - 1)) < 1e-6
    assert abs(row["short_pct"] - round(100 / ok["shipped_qty"], 2)) < 0.011
    assert row["supplier_received_qty"] == ok["supplier_received_qty"]
    assert any("booked in short by the stores" in m.text for m in out.messages)
