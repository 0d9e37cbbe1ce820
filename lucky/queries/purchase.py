"""Procurement facts from `luckyus_scm_purchase`: suppliers, purchase orders and their lines,
shipments (with the PO's shop and expected date) and settlements. Joins stay inside the one
database; lead times, percentiles and lateness are computed in pandas (date arithmetic is not
portable). Dates are calendar days as the purchasing system keeps them."""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources

DB = "luckyus_scm_purchase"

EXAMPLES = {
    "order_lines": [{"start": date(2025, 10, 1), "end": date(2026, 2, 14)}],
    "shipments": [{"start": date(2025, 10, 1), "end": date(2026, 2, 14)}],
    "settlements": [{"start": date(2025, 10, 1), "end": date(2026, 2, 14)}],
    "shipment_lines": [{"start": date(2025, 10, 1), "end": date(2026, 2, 14)}],
}


def _range(column: str, start: date | None, end: date | None) -> tuple[str, dict]:
    where, params = [], {}
    if start is not None:
        where.append(f"{column} >= :start")
        params["start"] = start
    if end is not None:
        where.append(f"{column} <= :end")
        params["end"] = end
    return (" WHERE " + " AND ".join(where)) if where else "", params


def suppliers() -> pd.DataFrame:
    """Every supplier: supplier_code, supplier_name, category_name, payment_terms_days, status."""
    return sources.read(DB, """
        SELECT supplier_code, supplier_name, category_name, payment_terms_days, status
        FROM luckyus_scm_purchase.t_supplier ORDER BY supplier_code""")


def order_lines(start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Purchase-order lines of POs ordered in [start, end]: po_no, supplier_code, shop_id,
    order_date, expected_date, status, goods_code, quantity, unit_price, amount. A PO without
    lines comes back once with empty line columns."""
    where, params = _range("p.order_date", start, end)
    return sources.read(DB, f"""
        SELECT p.po_no, p.supplier_code, p.shop_id, p.order_date, p.expected_date, p.status,
               i.goods_code, i.quantity, i.unit_price, i.amount
        FROM luckyus_scm_purchase.t_purchase_order p
        LEFT JOIN luckyus_scm_purchase.t_purchase_order_item i ON i.po_no = p.po_no{where}
        ORDER BY p.order_date, p.po_no""", params)


def shipments(start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Shipments shipped in [start, end] with their PO's shop, order and expected dates (NULL
    when the PO is missing): ship_no, po_no, supplier_code, ship_date, arrive_date, shipped_qty,
    received_qty, status, shop_id, order_date, expected_date."""
    where, params = _range("s.ship_date", start, end)
    return sources.read(DB, f"""
        SELECT s.ship_no, s.po_no, s.supplier_code, s.ship_date, s.arrive_date, s.shipped_qty,
               s.received_qty, s.status, p.shop_id, p.order_date, p.expected_date
        FROM luckyus_scm_purchase.t_ship_order s
        LEFT JOIN luckyus_scm_purchase.t_purchase_order p ON p.po_no = s.po_no{where}
        ORDER BY s.ship_date, s.ship_no""", params)


def shipment_lines(start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Goods lines of shipments shipped in [start, end]: ship_no, po_no, supplier_code, goods_code,
    shipped_qty, received_qty (NULL until the shipment arrives)."""
    where, params = _range("s.ship_date", start, end)
    return sources.read(DB, f"""
        SELECT i.ship_no, i.po_no, s.supplier_code, i.goods_code, i.shipped_qty, i.received_qty
        FROM luckyus_scm_purchase.t_ship_order_item i
        JOIN luckyus_scm_purchase.t_ship_order s ON s.ship_no = i.ship_no{where}
        ORDER BY i.ship_no, i.goods_code""", params)


def settlements(start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Settlements due in [start, end]: settlement_no, supplier_code, po_no, amount, due_date,
    paid_date, status."""
    where, params = _range("due_date", start, end)
    return sources.read(DB, f"""
        SELECT settlement_no, supplier_code, po_no, amount, due_date, paid_date, status
        FROM luckyus_scm_purchase.t_supplier_settlement{where}""", params)
