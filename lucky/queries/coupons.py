"""Coupon templates, sends, redemptions, holdouts (`luckyus_sales_marketing`) and the completed
orders they are measured on (`luckyus_sales_order`), for the Campaign Performance Analyzer
(Tool 5). One database per query; the join on user_no / order_no happens in pandas/Arrow.

The per-send reads (millions of rows at scale 1) carry only what the holdout comparison needs
(template, user, window) and go through `sources.read_frame`; what a redeemed coupon adds
(order_no, discount, use time) is read for the redeemed ones only. `start`/`end` keep the sends made on those UTC days
(create_time), `before` cuts the data at the as-of instant."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd

from lucky import sources
from lucky.schema import ORDER_COMPLETED

DB, ORDERS = "luckyus_sales_marketing", "luckyus_sales_order"
COMPLETED = ORDER_COMPLETED
USED = 2   # t_coupon_record.status of a redeemed coupon
EXAMPLES = {"sends": [{"before": datetime(2026, 1, 1)}], "holdouts": [{"before": datetime(2026, 1, 1)}],
            "redemptions": [{"before": datetime(2026, 1, 1)}],
            "user_orders": [{"currency": "USD", "before": datetime(2026, 1, 1)}]}


def templates() -> pd.DataFrame:
    """template_id, template_name, coupon_type, discount_value, threshold_amount, marketing_cost,
    valid_days, status, create_time."""
    return sources.read(DB, """
        SELECT template_id, template_name, coupon_type, discount_value, threshold_amount,
               marketing_cost, valid_days, status, create_time
        FROM luckyus_sales_marketing.t_coupon_template
        ORDER BY template_id""")


def _sent_in(before: datetime | None, start: date | None, end: date | None) -> tuple[list[str], dict]:
    """WHERE terms on create_time: before the as-of instant, on the UTC days start..end."""
    terms, params = [], {}
    if before is not None:
        terms, params = ["create_time < :before"], {"before": before}
    if start is not None:
        terms, params = terms + ["create_time >= :first"], params | {"first": datetime.combine(start, time.min)}
    if end is not None:
        terms, params = terms + ["create_time < :after"], params | {
            "after": datetime.combine(end + timedelta(days=1), time.min)}
    return terms, params


def _where(terms: list[str]) -> str:
    return f" WHERE {' AND '.join(terms)}" if terms else ""


def sends(before: datetime | None = None, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Every live coupon record (a send): template_id, user_no, create_time, expire_time."""
    terms, params = _sent_in(before, start, end)
    return sources.read_frame(DB, f"""
        SELECT template_id, user_no, create_time, expire_time
        FROM luckyus_sales_marketing.t_coupon_record{_where(terms)}""", params, dates=("create_time", "expire_time"))


def redemptions(before: datetime | None = None, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """The redeemed sends (status 2), in the sends' order: template_id, order_no, discount_amount, use_time."""
    terms, params = _sent_in(before, start, end)
    return sources.read_frame(DB, f"""
        SELECT template_id, order_no, discount_amount, use_time
        FROM luckyus_sales_marketing.t_coupon_record{_where([f"status = {USED}", *terms])}""", params,
                              dates=("use_time",))


def holdouts(before: datetime | None = None, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Held-out users per send of a template: template_id, user_no, create_time, expire_time."""
    terms, params = _sent_in(before, start, end)
    return sources.read_frame(DB, f"""
        SELECT template_id, user_no, create_time, expire_time
        FROM luckyus_sales_marketing.t_coupon_holdout{_where(terms)}""", params, dates=("create_time", "expire_time"))


def user_orders(currency: str = "USD", before: datetime | None = None) -> pd.DataFrame:
    """Completed orders with a user: user_no, order_no, paid_time (pay_time, else create_time), pay_money."""
    where, params = "", {"currency": currency}
    if before is not None:
        where, params = " AND create_time < :before", params | {"before": before}
    return sources.read_frame(ORDERS, f"""
        SELECT user_no, order_no, COALESCE(pay_time, create_time) AS paid_time, pay_money
        FROM luckyus_sales_order.t_order
        WHERE status = {COMPLETED} AND currency_code = :currency AND user_no IS NOT NULL{where}""", params,
                              dates=("paid_time",))
