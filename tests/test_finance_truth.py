"""Planted defects are found by business logic: precision and recall >= 0.99 per kind on demos of
two seeds and scales, and defects made afterwards by editing source rows are found the same way.
The truth file is read here, by the test, never by the app."""
from __future__ import annotations

import shutil

import duckdb
import pandas as pd

from lucky import sources, tools
from lucky.core import Filters, Viewer

GOAL = 0.99


def _pr(found, planted) -> tuple[float, float]:
    found, planted = set(found), set(planted)
    hit = len(found & planted)
    return (hit / len(found) if found else 1.0), (hit / len(planted) if planted else 1.0)


def findings() -> dict[str, set]:
    """Every finding of the three tools, keyed like the truth file."""
    tax = tools.execute("tax-gap", Filters(), Viewer()).tables["exceptions"]
    rec = pd.concat([tools.execute("reconciliation", Filters(currency=c), Viewer()).tables["exceptions"] for c in ("USD", "NZD")])
    ten = tools.execute("tenant-audit", Filters(), Viewer()).tables
    got = {f"tax.{k}": set(tax.loc[tax["kind"] == k, "order_no"]) for k in ("missing_tax", "wrong_rate", "amount_error")}
    for kind in ("missing_payment", "amount_mismatch", "duplicate_charge"):
        got[f"reconciliation.{kind}"] = set(rec.loc[rec["kind"] == kind, "order_no"])
    got["reconciliation.orphan_payment"] = set(rec.loc[rec["kind"] == "orphan_payment", "trade_no"])
    mib = rec[rec["kind"] == "missing_income_bill"]
    got["reconciliation.missing_income_bill"] = {(int(s), pd.Timestamp(d).strftime("%Y-%m-%d"))
                                                 for s, d in zip(mib["shop_id"], mib["business_date"])}
    got["tenant.currency_mismatch"] = set(ten["currency-mismatch"]["order_no"])
    u = ten["unknown-tenants"]
    got["tenant.unknown_tenant"] = {(f"{d}.{t}", v) for d, t, v in zip(u["database"], u["table"], u["tenant"])}
    return got


def planted(truth: dict) -> dict[str, set]:
    out = {}
    for area in ("tax", "reconciliation", "tenant"):
        for kind, ids in truth[area].items():
            out[f"{area}.{kind}"] = {tuple(i) if isinstance(i, list) else i for i in ids}
    return out


def assert_found(truth: dict, label: str) -> dict:
    got, want = findings(), planted(truth)
    report = {}
    for key, ids in want.items():
        p, r = _pr(got.get(key, set()), ids)
        report[key] = (round(p, 4), round(r, 4), len(ids))
        assert p >= GOAL and r >= GOAL, f"{label} {key}: precision {p:.3f} recall {r:.3f} over {len(ids)} planted"
    return report


def test_truth_seed0_scale001(demo):
    assert_found(demo["truth"], "seed 0 scale 0.01")


def test_truth_seed1(shared_build, monkeypatch):
    path, truth = shared_build(0.01, 1)
    monkeypatch.setenv("LUCKY_DATABASE_URL", str(path))
    sources.dispose_all()
    try:
        assert_found(truth, "seed 1 scale 0.01")
    finally:
        sources.dispose_all()


def test_edits_after_the_build_are_found(demo, tmp_path, monkeypatch):
    """Delete a trade, change an amount, change a tax and a rate, duplicate a charge, insert a
    charge with no order, change a currency, drop a day's income bills: each is found."""
    path = tmp_path / "edited.duckdb"
    shutil.copy(demo["path"], path)
    con = duckdb.connect(str(path))
    truth = planted(demo["truth"])
    taken = set().union(*[v for v in truth.values()])
    clean = con.execute("""
        SELECT o.order_no, MIN(t.trade_no) AS trade_no
        FROM luckyus_sales_order.t_order o
        JOIN luckyus_sales_payment.t_trade t ON t.order_no = o.order_no AND t.status IN (1, 2, 3)
        WHERE o.status = 90 AND o.currency_code = 'USD' AND o.shop_id BETWEEN 501 AND 510 AND o.pay_money > 1
        GROUP BY o.order_no HAVING COUNT(*) = 1 ORDER BY o.order_no""").fetchall()
    pool = [(o, t) for o, t in clean if o not in taken][:8]
    (o_del, t_del), (o_amt, t_amt), (o_dup, t_dup), (o_cur, _), (o_tax, _), (o_rate, _), (o_zero, _) = pool[:7]
    con.execute("DELETE FROM luckyus_sales_payment.t_trade WHERE trade_no = ?", [t_del])
    con.execute("UPDATE luckyus_sales_payment.t_trade SET amount = amount + 37 WHERE trade_no = ?", [t_amt])
    con.execute("""INSERT INTO luckyus_sales_payment.t_trade
                   SELECT id + 10000000, tenant, 'TRDUP' || trade_no, order_no, channel_id, amount, status,
                          third_trade_no, fee, user_no, shop_id, currency_code, pay_time,
                          create_time + INTERVAL 3 MINUTE, update_time
                   FROM luckyus_sales_payment.t_trade WHERE trade_no = ?""", [t_dup])
    con.execute("""INSERT INTO luckyus_sales_payment.t_trade
                   SELECT id + 20000000, tenant, 'TRORPHAN1', 'NO-SUCH-ORDER', channel_id, amount, status,
                          third_trade_no, fee, user_no, shop_id, currency_code, pay_time, create_time, update_time
                   FROM luckyus_sales_payment.t_trade WHERE trade_no = ?""", [t_amt])
    con.execute("UPDATE luckyus_sales_order.t_order SET currency_code = 'NZD' WHERE order_no = ?", [o_cur])
    item = ("(SELECT MIN(i.id) FROM luckyus_sales_order.t_order_item i JOIN luckyus_sales_order.t_order o "
            "ON o.id = i.order_id WHERE o.order_no = ? AND i.pay_money > 1)")
    con.execute(f"UPDATE luckyus_sales_order.t_order_item SET tax = tax + 0.25 WHERE id = {item}", [o_tax])
    con.execute(f"UPDATE luckyus_sales_order.t_order_item SET tax_rate = 0.045, tax = ROUND(pay_money * 0.045, 2) WHERE id = {item}", [o_rate])
    con.execute(f"UPDATE luckyus_sales_order.t_order_item SET tax = 0 WHERE id = {item}", [o_zero])
    bill_day = con.execute("""SELECT shop_id, business_date FROM luckyus_ifiaccounting.t_acc_income_bill
                              WHERE shop_id = 501 ORDER BY business_date DESC LIMIT 1 OFFSET 3""").fetchall()
    if bill_day:
        con.execute("DELETE FROM luckyus_ifiaccounting.t_acc_income_bill WHERE shop_id = ? AND business_date = ?",
                    list(bill_day[0]))
    con.close()

    monkeypatch.setenv("LUCKY_DATABASE_URL", str(path))
    sources.dispose_all()
    try:
        got = findings()
    finally:
        sources.dispose_all()
    assert o_del in got["reconciliation.missing_payment"]
    assert o_amt in got["reconciliation.amount_mismatch"]
    assert o_dup in got["reconciliation.duplicate_charge"]
    assert "TRORPHAN1" in got["reconciliation.orphan_payment"]
    assert o_cur in got["tenant.currency_mismatch"]
    assert o_tax in got["tax.amount_error"]
    assert o_rate in got["tax.wrong_rate"]
    assert o_zero in got["tax.missing_tax"]
    if bill_day:
        assert (501, pd.Timestamp(bill_day[0][1]).strftime("%Y-%m-%d")) in got["reconciliation.missing_income_bill"]
    # and nothing planted was lost on the way
    for key, ids in truth.items():
        assert ids <= got.get(key, set()) | {o_cur}, key
