"""Coupon templates, sends, holdouts (`luckyus_sales_marketing`) and the completed orders they are
measured on (`luckyus_sales_order`), for the Campaign Performance Analyzer (Tool 5). One database
per query; the join on user_no / order_no happens in pandas."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from lucky import sources
from lucky.schema import ORDER_COMPLETED

DB, ORDERS = "luckyus_sales_marketing", "luckyus_sales_order"
COMPLETED = ORDER_COMPLETED
EXAMPLES = {"sends": [{"before": datetime(2026, 1, 1)}], "holdouts": [{"before": datetime(2026, 1, 1)}],
            "user_orders": [{"currency": "USD", "before": datetime(2026, 1, 1)}]}


def templates() -> pd.DataFrame:
    """template_id, template_name, coupon_type, discount_value, threshold_amount, marketing_cost,
    valid_days, status, create_time."""
    return sources.read(DB, """
        SELECT template_id, template_name, coupon_type, discount_value, threshold_amount,
               marketing_cost, valid_days, status, create_time
        FROM luckyus_sales_marketing.t_coupon_template
        ORDER BY template_id""")


def sends(before: datetime | None = None) -> pd.DataFrame:
    """Every live coupon record (a send): template_id, user_no, status (2 = used), order_no,
    discount_amount, use_time, create_time, expire_time."""
    where, params = "", {}
    if before is not None:
        where, params = " WHERE create_time < :before", {"before": before}
    return sources.read_frame(DB, f"""
        SELECT template_id, user_no, status, order_no, discount_amount, use_time, create_time, expire_time
        FROM luckyus_sales_marketing.t_coupon_record{where}""", params, dates=("use_time", "create_time", "expire_time"))


def holdouts(before: datetime | None = None) -> pd.DataFrame:
    """Held-out users per send of a template: template_id, user_no, create_time, expire_time."""
    where, params = "", {}
    if before is not None:
        where, params = " WHERE create_time < :before", {"before": before}
    return sources.read_frame(DB, f"""
        SELECT template_id, user_no, create_time, expire_time
        FROM luckyus_sales_marketing.t_coupon_holdout{where}""", params, dates=("create_time", "expire_time"))


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
