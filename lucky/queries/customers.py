"""Customer facts for Customer 360 (Tool 4): orders per user, CRM users, and one user's coupons,
CDP states, segment log and experiment exposures. One database per query; joins across
databases happen in pandas on user_no."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from lucky import sources
from lucky.schema import ORDER_COMPLETED

ORDERS, CRM, CDP, MKT, EXP = ("luckyus_sales_order", "luckyus_sales_crm", "luckyus_isales_cdp",
                              "luckyus_sales_marketing", "luckyus_isalesdatamarketing")
COMPLETED = ORDER_COMPLETED
EXAMPLES = {
    "completed_orders": [{"currency": "USD", "before": datetime(2026, 1, 1)}],
    "find_users": [{"user_no": "1200000007"}, {"phone_like": "+1 212-%"}],
    "user_orders": [{"user_no": "1200000007"}], "order_items": [{"order_ids": [1, 2, 3]}, {"order_ids": []}],
    "user_coupons": [{"user_no": "1200000007"}], "user_states": [{"user_no": "1200000007"}],
    "user_segments": [{"user_no": "1200000007"}], "user_experiments": [{"user_no": "1200000007"}],
    "user_labels": [{"user_no": "1200000007"}],
}


def completed_orders(currency: str = "USD", stores: tuple[int, ...] = (),
                     before: datetime | None = None) -> pd.DataFrame:
    """Completed orders with a user: user_no, shop_id, create_time (UTC), pay_money."""
    where, params = "", {"currency": currency}
    if stores:
        where += " AND shop_id IN :stores"
        params["stores"] = list(stores)
    if before is not None:
        where += " AND create_time < :before"
        params["before"] = before
    return sources.read_frame(ORDERS, f"""
        SELECT user_no, shop_id, create_time, pay_money
        FROM luckyus_sales_order.t_order
        WHERE status = {COMPLETED} AND currency_code = :currency AND user_no IS NOT NULL{where}""", params,
                              dates=("create_time",))


def users() -> pd.DataFrame:
    """Every CRM user: user_no, phone, email, register_time (in id order)."""
    return sources.read_frame(CRM, """
        SELECT user_no, phone, email, register_time
        FROM luckyus_sales_crm.t_user
        ORDER BY id""", dates=("register_time",))


def find_users(user_no: str | None = None, phone_like: str | None = None, limit: int = 50) -> pd.DataFrame:
    """Users by exact user_no or a phone LIKE pattern (at most `limit`): user_no, phone, email,
    origin, register_time."""
    clauses, params = [], {}
    if user_no:
        clauses.append("user_no = :user_no")
        params["user_no"] = user_no
    if phone_like:
        clauses.append("phone LIKE :phone_like")
        params["phone_like"] = phone_like
    if not clauses:
        return pd.DataFrame(columns=["user_no", "phone", "email", "origin", "register_time"])
    return sources.read(CRM, f"""
        SELECT user_no, phone, email, origin, register_time
        FROM luckyus_sales_crm.t_user
        WHERE {" OR ".join(clauses)}
        ORDER BY user_no
        LIMIT {int(limit)}""", params)


def user_orders(user_no: str) -> pd.DataFrame:
    """Every order of one user: id, order_no, shop_id, shop_name, status, channel, pay_money,
    currency_code, create_time."""
    return sources.read(ORDERS, """
        SELECT id, order_no, shop_id, shop_name, status, channel, pay_money, currency_code, create_time
        FROM luckyus_sales_order.t_order
        WHERE user_no = :user_no
        ORDER BY create_time""", {"user_no": user_no})


def order_items(order_ids: list[int]) -> pd.DataFrame:
    """Items of the given orders (`t_order.id`), per product: spu_name, quantity, orders.

    Keyed by order id rather than joined to t_order on user_no and status: each side is then a
    lookup by index (DuckDB scans a table for `user_no = :u AND status = 90`, two filters)."""
    if not order_ids:
        return pd.DataFrame(columns=["spu_name", "quantity", "orders"])
    return sources.read(ORDERS, """
        SELECT spu_name, SUM(quantity) AS quantity, COUNT(DISTINCT order_id) AS orders
        FROM luckyus_sales_order.t_order_item
        WHERE order_id IN :order_ids
        GROUP BY spu_name
        ORDER BY quantity DESC, spu_name""", {"order_ids": [int(i) for i in order_ids]})


def user_coupons(user_no: str) -> pd.DataFrame:
    """One user's coupons (not the expired archive) with their template: coupon_no, template_id,
    template_name, status, discount_value, expire_time, use_time."""
    return sources.read(MKT, """
        SELECT r.coupon_no, r.template_id, t.template_name, r.status, t.discount_value,
               r.expire_time, r.use_time, r.create_time
        FROM luckyus_sales_marketing.t_coupon_record r
        LEFT JOIN luckyus_sales_marketing.t_coupon_template t ON t.template_id = r.template_id
        WHERE r.user_no = :user_no
        ORDER BY r.create_time""", {"user_no": user_no})


def user_states(user_no: str) -> pd.DataFrame:
    """One user's CDP states: state_code, state_value, state_time."""
    return sources.read(CDP, """
        SELECT state_code, state_value, state_time
        FROM luckyus_isales_cdp.t_user_state
        WHERE user_no = :user_no
        ORDER BY state_time""", {"user_no": user_no})


def user_segments(user_no: str) -> pd.DataFrame:
    """One user's CDP segment log: group_id, action (1 enter, 2 leave), create_time."""
    return sources.read(CDP, """
        SELECT group_id, action, create_time
        FROM luckyus_isales_cdp.t_realtime_user_group_log
        WHERE user_no = :user_no
        ORDER BY create_time""", {"user_no": user_no})


def user_labels(user_no: str) -> pd.DataFrame:
    """Marketing labels of one user: label_id, label_name."""
    return sources.read(MKT, """
        SELECT label_id, label_name
        FROM luckyus_sales_marketing.t_user_group_label
        WHERE user_no = :user_no
        ORDER BY label_id""", {"user_no": user_no})


def user_experiments(user_no: str) -> pd.DataFrame:
    """One user's experiment exposures: experiment_id, experiment_name, group_name, converted, hit_time."""
    return sources.read(EXP, """
        SELECT h.experiment_id, e.experiment_name, h.group_name, h.converted, h.hit_time
        FROM luckyus_isalesdatamarketing.t_user_hit_experiment_record h
        LEFT JOIN luckyus_isalesdatamarketing.t_experiment e ON e.experiment_id = h.experiment_id
        WHERE h.user_no = :user_no
        ORDER BY h.hit_time""", {"user_no": user_no})


def segment_names() -> pd.DataFrame:
    """CDP segment ids and their names (the marketing labels share the ids): label_id, label_name."""
    return sources.read(MKT, """
        SELECT DISTINCT label_id, label_name
        FROM luckyus_sales_marketing.t_user_group_label
        ORDER BY label_id""")
