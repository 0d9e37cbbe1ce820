"""The source databases of Luckin Coffee USA as SQLAlchemy Core tables.

One definition serves every target: the MySQL DDL shipped in `lucky/schema/ddl/` is compiled from
it, and the demo loaders create the same tables in DuckDB (one schema per database), MariaDB (one
database per source) and PostgreSQL (one schema per source). Column names follow the report's
column reference (§7.4) verbatim where it gives them; the rest are the columns the Luckin
microservices carry.

Conventions that every query relies on (documented in README "Source schemas"):
- every DATETIME is stored in UTC (the servers' clock); the store-local business day comes from
  `luckyus_opshop.t_shop_info.time_zone`;
- money in orders and accounting is DECIMAL dollars; `t_trade.amount`, `t_trade.fee` and
  `t_channel_fee.*` are integer cents, as Stripe reports them;
- link columns the seed does not name: `t_order.order_no` is the unique business key referenced by
  `t_trade`, `t_channel_fee`, `t_order_amount`, `t_production`, `t_acc_income_bill`;
  `t_order_item.order_id` references `t_order.id`; `t_commodity.production_id` references
  `t_production.id`; `t_cup_order_info.device_no` references `t_device.device_no`.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
)

#: The report's business databases (§2.1): the landscape's inventory stays these 18.
REPORTED: tuple[str, ...] = (
    "luckyus_sales_order", "luckyus_sales_payment", "luckyus_opshop", "luckyus_scm_commodity",
    "luckyus_sales_crm", "luckyus_isales_cdp", "luckyus_sales_marketing", "luckyus_ifiaccounting",
    "luckyus_scm_shopstock", "luckyus_opproduction", "luckyus_iot_platform",
    "luckyus_ireplenishment", "luckyus_isalesdatamarketing", "luckyus_scm_purchase",
    "luckyus_fi_tax", "luckyus_isalesmembermarketing", "luckyus_iunifiedreconcile",
    "luckyus_opshopsale",
)
#: Databases the report names (server list) but does not describe: their tables are MODELLED on
#: what such a system keeps (HR, site selection), and say so in their comments.
MODELLED: frozenset[str] = frozenset({"luckyus_iehr", "luckyus_iopshopexpand"})
#: Every source database Lucky reads: the report's, then the modelled ones.
DATABASES: tuple[str, ...] = REPORTED + tuple(sorted(MODELLED))

#: MySQL server name of each database (inventory §2.1), used by the landscape and db-health.
SERVERS: dict[str, str] = {
    "luckyus_sales_order": "aws-luckyus-salesorder-rw",
    "luckyus_sales_payment": "aws-luckyus-salespayment-rw",
    "luckyus_opshop": "aws-luckyus-opshop-rw",
    "luckyus_scm_commodity": "aws-luckyus-scmcommodity-rw",
    "luckyus_sales_crm": "aws-luckyus-salescrm-rw",
    "luckyus_isales_cdp": "aws-luckyus-isalescdp-rw",
    "luckyus_sales_marketing": "aws-luckyus-salesmarketing-rw",
    "luckyus_ifiaccounting": "aws-luckyus-ifiaccounting-rw",
    "luckyus_scm_shopstock": "aws-luckyus-scm-shopstock-rw",
    "luckyus_opproduction": "aws-luckyus-opproduction-rw",
    "luckyus_iot_platform": "aws-luckyus-iotplatform-rw",
    "luckyus_ireplenishment": "aws-luckyus-ireplenishment-rw",
    "luckyus_isalesdatamarketing": "aws-luckyus-isalesdatamarketing-rw",
    "luckyus_scm_purchase": "aws-luckyus-scm-purchase-rw",
    "luckyus_fi_tax": "aws-luckyus-fitax-rw",
    "luckyus_isalesmembermarketing": "aws-luckyus-isalesmembermarketing-rw",
    "luckyus_iunifiedreconcile": "aws-luckyus-iunifiedreconcile-rw",
    "luckyus_opshopsale": "aws-luckyus-opshopsale-rw",
    "luckyus_iopshopexpand": "aws-luckyus-iopshopexpand-rw",
    "luckyus_iehr": "aws-luckyus-iehr-rw",
}

metadata = MetaData()

#: `t_order.status` codes: the one definition queries, models and the generator share.
ORDER_COMPLETED, ORDER_CANCELLED, ORDER_REFUNDED = 90, 0, 70
ORDER_IN_PROGRESS: tuple[int, ...] = (10, 20, 50)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _id() -> Column:
    return Column("id", BigInteger, primary_key=True, autoincrement=True)


def _tenant() -> Column:
    return Column("tenant", String(32), nullable=False)


def _audit() -> list[Column]:
    return [Column("create_time", DateTime, nullable=False), Column("update_time", DateTime)]


def S(name: str, n: int = 64, **kw) -> Column:  # noqa: N802 - reads like a type in the tables
    return Column(name, String(n), **kw)


def I(name: str, **kw) -> Column:  # noqa: N802,E743
    return Column(name, Integer, **kw)


def B(name: str, **kw) -> Column:  # noqa: N802
    return Column(name, BigInteger, **kw)


def T(name: str, **kw) -> Column:  # noqa: N802
    return Column(name, SmallInteger, **kw)


def M(name: str, p: int = 12, s: int = 2, **kw) -> Column:  # noqa: N802
    return Column(name, Numeric(p, s), **kw)


def DT(name: str, **kw) -> Column:  # noqa: N802
    return Column(name, DateTime, **kw)


def D(name: str, **kw) -> Column:  # noqa: N802
    return Column(name, Date, **kw)


def X(name: str, **kw) -> Column:  # noqa: N802
    return Column(name, Text, **kw)


def table(db: str, name: str, *cols, indexes: tuple[tuple[str, ...], ...] = (),
          unique: tuple[tuple[str, ...], ...] = ()) -> Table:
    """Declare `db.name`; index names are prefixed with the table so they stay unique per schema."""
    t = Table(name, metadata, *cols, schema=db)
    for i, idx in enumerate(indexes):
        Index(f"ix_{name}_{i}", *[t.c[c] for c in idx])
    for i, idx in enumerate(unique):
        Index(f"ux_{name}_{i}", *[t.c[c] for c in idx], unique=True)
    return t


# ---------------------------------------------------------------- luckyus_sales_order
db = "luckyus_sales_order"
table(db, "t_order", _id(), _tenant(), S("order_no", 32, nullable=False),
      T("channel", comment="1=Android, 2=iOS, 3=delivery, 8/9/10=other"),
      T("order_type", comment="1=pickup, 2=delivery"), S("user_no", 32), B("shop_id"),
      S("shop_name", 128), T("status", comment="90=completed, 0=cancelled, 10/20/50 in progress, 70 refunded"),
      M("total_money"), M("payable_money"), M("pay_money"), DT("pay_time"), *_audit(),
      DT("finish_time"), S("currency_code", 8), S("remark", 255),
      indexes=(("shop_id", "create_time"), ("user_no",), ("create_time",)), unique=(("order_no",),))
table(db, "t_order_item", _id(), _tenant(), B("order_id", nullable=False), S("order_no", 32),
      S("spu_code", 32), S("spu_name", 128), S("one_category_name"), S("two_category_name"),
      S("three_category_name"), S("sku_code", 32), S("sku_name", 128), I("quantity"),
      M("origin_price"), M("sale_price"), M("pay_money"), Column("tax_rate", Numeric(8, 5)),
      M("tax"), T("tax_mode", comment="1=tax exclusive (US), 2=tax inclusive"), X("tax_info"),
      *_audit(), indexes=(("order_id",), ("spu_code",)))
table(db, "t_order_amount", _id(), _tenant(), S("order_no", 32, nullable=False), M("total_money"),
      M("coupon_deduct"), M("activity_deduct"), M("delivery_fee"), M("tax_amount"),
      M("gst_amount"), M("vat_amount"), M("pay_money"), S("currency_code", 8), *_audit(),
      unique=(("order_no",),))
table(db, "t_order_oper_history", _id(), _tenant(), S("order_no", 32), T("from_status"),
      T("to_status"), S("operator", 64), S("oper_desc", 255), *_audit(), indexes=(("order_no",),))
table(db, "t_order_delivery_address", _id(), _tenant(), S("order_no", 32), S("receiver_name"),
      S("receiver_phone", 32), S("address", 255), Column("longitude", Numeric(10, 6)),
      Column("latitude", Numeric(10, 6)), *_audit())

# ---------------------------------------------------------------- luckyus_sales_payment
db = "luckyus_sales_payment"
table(db, "t_trade", _id(), _tenant(), S("trade_no", 32, nullable=False), S("order_no", 32),
      I("channel_id"), B("amount", comment="cents"), T("status", comment="1,2,3 success; 4 failed; 5 refunded"),
      S("third_trade_no", 64, comment="Stripe reference"), B("fee", comment="cents"),
      S("user_no", 32), B("shop_id"), S("currency_code", 8), DT("pay_time"), *_audit(),
      indexes=(("order_no",), ("create_time",)), unique=(("trade_no",),))
table(db, "t_channel_fee", _id(), _tenant(), S("trade_no", 32), S("order_no", 32), I("channel_id"),
      B("amount", comment="cents"), B("transaction_fee", comment="cents"),
      B("merchant_service_fee", comment="cents"), B("total_fee", comment="cents"),
      S("currency_code", 8), *_audit(), indexes=(("order_no",), ("create_time",)))
table(db, "t_user_channel", _id(), _tenant(), S("user_no", 32), I("channel_id"),
      S("card_brand", 32), S("card_last4", 8), T("is_default"), T("status"), *_audit(),
      indexes=(("user_no",),))
table(db, "t_user", _id(), _tenant(), S("user_no", 32), S("stripe_customer_id", 64),
      S("email", 128), T("status"), *_audit())

# ---------------------------------------------------------------- luckyus_opshop
db = "luckyus_opshop"
table(db, "t_shop_info", _id(), _tenant(), S("shop_no", 32), S("shop_name", 128),
      T("status", comment="1=open, 2=preparing, 3=closed"), T("operation_mode"),
      S("time_zone", 64), S("address", 255), Column("location_longitude", Numeric(10, 6)),
      Column("location_latitude", Numeric(10, 6)), D("set_up_time"), T("internal"),
      T("test_flag"), S("currency_code", 8), S("country_name"), S("administrative_area_name"),
      S("locality_name"), S("postal_code", 16), S("phone", 32), *_audit())
table(db, "t_shop_opening_time", _id(), _tenant(), B("shop_id"), D("business_date"),
      T("week_day"), S("open_time", 8), S("close_time", 8), T("status"), *_audit(),
      indexes=(("shop_id", "business_date"),))
table(db, "t_shop_business_record", _id(), _tenant(), B("shop_id"), D("business_date"),
      S("event_type", 16, comment="OPEN or CLOSE: the POS day opened/closed by the shift lead"),
      DT("event_time"), S("operator_no", 32), *_audit(), indexes=(("shop_id", "business_date"),))

# ---------------------------------------------------------------- luckyus_scm_commodity
db = "luckyus_scm_commodity"
table(db, "t_commodity_base_info", _id(), _tenant(), S("spu_code", 32), S("name", 128),
      S("one_category_name"), S("two_category_name"), T("status", comment="4=online, 5=offline"),
      T("mode", comment="0=fresh-made, 1=pre-packaged"), T("commodity_level", comment="1=S, 2=A, 3=B"),
      S("sugar_level", 16), S("nutrition_grade_code", 8), I("calories"), M("standard_price"),
      M("standard_cost"), T("is_iced"), *_audit())
table(db, "t_formula_spu", _id(), _tenant(), S("spu_code", 32), S("sku_code", 32),
      S("goods_code", 32), S("goods_name", 128), Column("quantity", Numeric(12, 4)), S("unit", 16),
      I("step_no"), T("status"), *_audit(), indexes=(("spu_code",),))
table(db, "t_mdm_goods", _id(), _tenant(), S("goods_code", 32), S("goods_name", 128),
      S("category_name"), S("unit", 16), M("unit_cost", 12, 4), I("shelf_life_days"),
      S("supplier_code", 32), T("status"), *_audit())

# ---------------------------------------------------------------- luckyus_sales_crm
db = "luckyus_sales_crm"
table(db, "t_user", _id(), _tenant(), S("user_no", 32), S("phone", 32), S("email", 128),
      T("origin", comment="registration source: 1=Android, 2=iOS, 3=delivery, 8/9/10=other"),
      S("time_zone", 64), T("status"), DT("register_time"), *_audit(),
      indexes=(("phone",),), unique=(("user_no",),))
table(db, "t_user_profile", _id(), _tenant(), S("user_no", 32), T("gender"), D("birthday"),
      S("age_range", 16), S("preferred_shop_id", 32), S("zip_code", 16), *_audit())
table(db, "t_user_history", _id(), _tenant(), S("user_no", 32), S("event_type", 32),
      S("event_desc", 255), *_audit(), indexes=(("user_no",),))

# ---------------------------------------------------------------- luckyus_isales_cdp
db = "luckyus_isales_cdp"
table(db, "t_user_state", _id(), _tenant(), S("user_no", 32), S("state_code", 32),
      S("state_value", 64), DT("state_time"), *_audit(), indexes=(("user_no",),))
# t_user_event_track: the report names the table (168K, first-touch events) but not its columns.
# anonymous_id is MODELLED (issue 14, Tool 6): the id the app's analytics SDK gives an install on
# first launch and sends with every event, as product-analytics trackers keep visitors before
# they sign up; user_no is filled from the registration on (NULL on a visitor's earlier events).
table(db, "t_user_event_track", _id(), _tenant(),
      S("anonymous_id", 64, comment="MODELLED: the install's analytics id, on every event"), S("user_no", 32),
      S("event_name"),
      S("page_name"), S("platform", 16), S("utm_source"), *_audit())
table(db, "t_realtime_user_group_log", _id(), _tenant(), S("user_no", 32), B("group_id"),
      T("action", comment="1=enter, 2=leave"), *_audit(), indexes=(("user_no",),))

# ---------------------------------------------------------------- luckyus_sales_marketing
db = "luckyus_sales_marketing"
table(db, "t_coupon_template", _id(), _tenant(), B("template_id"), S("template_name", 128),
      T("coupon_type", comment="1=amount off, 2=percent off, 3=free item"), M("discount_value"),
      M("threshold_amount"), M("marketing_cost"), I("valid_days"), T("status"), *_audit())
table(db, "t_coupon_record", _id(), _tenant(), S("coupon_no", 32), B("template_id"),
      S("user_no", 32), T("status", comment="1=unused, 2=used, 3=expired"), S("order_no", 32),
      M("discount_amount"), DT("use_time"), DT("expire_time"), *_audit(),
      indexes=(("template_id",), ("user_no",)))
table(db, "t_coupon_record_expired", _id(), _tenant(), S("coupon_no", 32), B("template_id"),
      S("user_no", 32), T("status"), DT("expire_time"), *_audit())
# t_coupon_holdout is not in the report's inventory: the eligible users a coupon send left out
# (one row per held-out user and send; create_time = the send, expire_time = the end of the window
# the coupon would have covered), as a marketing team measuring incrementality keeps them
# (MODELLED; issue 14, Tool 5).
table(db, "t_coupon_holdout", _id(), _tenant(), B("template_id"), S("user_no", 32),
      DT("expire_time"), *_audit(), indexes=(("template_id",),))
# t_channel_spend is not in the report's inventory: acquisition spend as a marketing team books it,
# one row per month, acquisition channel (iOS, Android, delivery, other) and paid utm_source
# (campaign_name = the budget line); organic sources cost nothing and have no row
# (MODELLED; issue 14, Tool 6).
table(db, "t_channel_spend", _id(), _tenant(), D("spend_month", comment="first day of the month"),
      S("channel", 16, comment="iOS, Android, delivery, other"), S("utm_source"),
      S("campaign_name", 128), M("spend_amount"), S("currency_code", 8), *_audit())
table(db, "t_market_activity", _id(), _tenant(), B("activity_id"), S("activity_name", 128),
      B("template_id"), DT("start_time"), DT("end_time"), M("budget"), T("status"), *_audit())
table(db, "t_market_activity_partake", _id(), _tenant(), B("activity_id"), S("user_no", 32),
      S("order_no", 32), M("reward_amount"), *_audit())
table(db, "t_user_group_label", _id(), _tenant(), S("user_no", 32), B("label_id"),
      S("label_name", 64), *_audit())

# ---------------------------------------------------------------- luckyus_ifiaccounting
db = "luckyus_ifiaccounting"
table(db, "t_acc_income_bill", _id(), _tenant(), S("bill_no", 32), S("order_no", 32), B("shop_id"),
      D("business_date"), S("income_type", 32), M("amount"), M("tax_amount"),
      S("currency_code", 8), T("status"), *_audit(), indexes=(("shop_id", "business_date"),))
table(db, "t_pre_voucher_entry_assist", _id(), _tenant(), S("voucher_no", 32), S("bill_no", 32),
      S("account_code", 32), S("account_name", 128), M("debit_amount"), M("credit_amount"),
      D("business_date"), B("shop_id"), *_audit())
table(db, "t_acc_cost_bill", _id(), _tenant(), S("bill_no", 32), B("shop_id"), D("business_date"),
      S("cost_type", 32), M("amount"), S("currency_code", 8), S("supplier_code", 32), *_audit())

# ---------------------------------------------------------------- luckyus_scm_shopstock
db = "luckyus_scm_shopstock"
table(db, "t_shop_goods_stock", _id(), _tenant(), B("shop_id"), S("goods_code", 32),
      S("goods_name", 128), Column("stock_qty", Numeric(14, 4)), Column("safety_qty", Numeric(14, 4)),
      S("unit", 16), D("stock_date"), *_audit(), indexes=(("shop_id", "goods_code"),))
for _wd in WEEKDAYS:
    table(db, f"t_shop_goods_stock_change_{_wd}", _id(), _tenant(), B("shop_id"),
          S("goods_code", 32), D("business_date"),
          T("change_type", comment="1=sale consumption, 2=receipt, 3=waste, 4=stocktake adjust"),
          Column("change_qty", Numeric(14, 4)), Column("before_qty", Numeric(14, 4)),
          Column("after_qty", Numeric(14, 4)), S("ref_no", 32), *_audit(),
          indexes=(("shop_id", "business_date"),))

# ---------------------------------------------------------------- luckyus_opproduction
db = "luckyus_opproduction"
table(db, "t_production", _id(), _tenant(), S("order_no", 32), B("shop_id"), S("device_no", 32),
      T("status", comment="1=waiting, 2=making, 3=done, 4=cancelled"), DT("accept_time"),
      DT("done_time"), I("cup_count"), *_audit(), indexes=(("order_no",), ("shop_id", "create_time")))
table(db, "t_commodity", _id(), _tenant(), B("production_id"), S("order_no", 32),
      S("spu_code", 32), S("sku_code", 32), S("commodity_name", 128), I("quantity"),
      T("status"), *_audit(), indexes=(("production_id",),))
table(db, "t_print_receipt", _id(), _tenant(), S("order_no", 32), B("shop_id"),
      T("receipt_type"), T("print_status"), *_audit())

# ---------------------------------------------------------------- luckyus_iot_platform
db = "luckyus_iot_platform"
table(db, "t_device", _id(), _tenant(), S("device_no", 32), S("device_name", 128),
      S("machine_type", 64), B("shop_id"), T("status", comment="1=online, 0=offline"),
      T("online_status"), S("firmware_version", 32), D("install_date"),
      D("last_maintenance_date"), *_audit())
table(db, "t_coffee_formula", _id(), _tenant(), S("formula_code", 32), S("spu_code", 32),
      S("machine_type", 64), I("step_count"), I("brew_seconds"), T("status"), *_audit())
table(db, "t_cup_order_info", _id(), _tenant(), S("order_no", 32), S("device_no", 32),
      B("shop_id"), S("formula_code", 32), DT("start_time"), DT("end_time"), T("status"),
      *_audit(), indexes=(("device_no", "start_time"),))
table(db, "t_device_event", _id(), _tenant(), S("device_no", 32), S("event_type", 32),
      S("event_code", 32), S("event_desc", 255), *_audit())
table(db, "t_device_status_log", _id(), _tenant(), S("device_no", 32), B("shop_id"),
      T("status", comment="1=online, 0=offline: connection state from this row on"),
      S("event_code", 32, comment="REGISTERED, HB-LOST (3 missed 1-min heartbeats), HB-RESTORED"),
      DT("last_heartbeat_time"), *_audit(), indexes=(("device_no", "create_time"),))

# ---------------------------------------------------------------- luckyus_ireplenishment
db = "luckyus_ireplenishment"
table(db, "wh_goods_daily_demand_pred", _id(), _tenant(), B("shop_id"), S("goods_code", 32),
      D("pred_date"), D("predict_run_date"), Column("pred_qty", Numeric(14, 4)),
      S("model_version", 32), *_audit(), indexes=(("shop_id", "pred_date"),))
table(db, "t_order_predict_alg_v2", _id(), _tenant(), B("shop_id"), D("pred_date"), T("pred_hour"),
      I("pred_order_cnt"), I("pred_cup_cnt"), S("model_version", 32), *_audit(),
      indexes=(("shop_id", "pred_date"),))

# ---------------------------------------------------------------- luckyus_isalesdatamarketing
db = "luckyus_isalesdatamarketing"
table(db, "t_experiment", _id(), _tenant(), B("experiment_id"), S("experiment_name", 128),
      S("metric_name"), DT("start_time"), DT("end_time"), T("status"), *_audit())
table(db, "t_user_hit_experiment_record", _id(), _tenant(), B("experiment_id"), S("user_no", 32),
      S("group_name", 32), T("converted"), DT("hit_time"), *_audit(),
      indexes=(("experiment_id",), ("user_no",)))
table(db, "t_user_traffic_distribution", _id(), _tenant(), B("experiment_id"), S("user_no", 32),
      I("bucket_no"), S("group_name", 32), *_audit())

# ---------------------------------------------------------------- luckyus_scm_purchase
db = "luckyus_scm_purchase"
table(db, "t_supplier", _id(), _tenant(), S("supplier_code", 32), S("supplier_name", 128),
      S("category_name"), I("payment_terms_days"), T("status"), *_audit())
table(db, "t_purchase_order", _id(), _tenant(), S("po_no", 32), S("supplier_code", 32),
      B("shop_id"), D("order_date"), D("expected_date"), M("total_amount", 14, 2),
      S("currency_code", 8), T("status"), *_audit())
table(db, "t_purchase_order_item", _id(), _tenant(), S("po_no", 32), S("goods_code", 32),
      Column("quantity", Numeric(14, 4)), M("unit_price", 12, 4), M("amount", 14, 2), *_audit())
table(db, "t_ship_order", _id(), _tenant(), S("ship_no", 32), S("po_no", 32),
      S("supplier_code", 32), D("ship_date"), D("arrive_date"),
      Column("shipped_qty", Numeric(14, 4)), Column("received_qty", Numeric(14, 4)), T("status"),
      *_audit())
# t_ship_order_item is not in the report's inventory: the goods lines a shipment carries, as a
# purchasing system keeps them (modelled; issue 13). Tools reading it say so when it is absent.
table(db, "t_ship_order_item", _id(), _tenant(), S("ship_no", 32), S("po_no", 32), S("goods_code", 32),
      Column("shipped_qty", Numeric(14, 4)), Column("received_qty", Numeric(14, 4)), *_audit(),
      indexes=(("ship_no",),))
table(db, "t_supplier_settlement", _id(), _tenant(), S("settlement_no", 32),
      S("supplier_code", 32), S("po_no", 32), M("amount", 14, 2), D("due_date"), D("paid_date"),
      T("status"), *_audit())

# ---------------------------------------------------------------- luckyus_fi_tax (empty)
db = "luckyus_fi_tax"
table(db, "t_tax_invoice", _id(), _tenant(), S("invoice_no", 32), S("order_no", 32), B("shop_id"),
      D("business_date"), M("taxable_amount"), M("tax_amount"), Column("tax_rate", Numeric(8, 5)),
      S("jurisdiction", 64), T("status"), *_audit())
table(db, "t_tax_invoice_item", _id(), _tenant(), S("invoice_no", 32), S("sku_code", 32),
      M("taxable_amount"), M("tax_amount"), Column("tax_rate", Numeric(8, 5)), *_audit())
table(db, "t_tax_declaration", _id(), _tenant(), S("declaration_no", 32), S("period", 16),
      S("jurisdiction", 64), M("taxable_sales", 14, 2), M("tax_due", 14, 2), T("status"), *_audit())
table(db, "t_tax_rate_config", _id(), _tenant(), S("jurisdiction", 64),
      Column("tax_rate", Numeric(8, 5)), D("effective_date"), *_audit())

# ---------------------------------------------------------------- luckyus_isalesmembermarketing (empty)
db = "luckyus_isalesmembermarketing"
table(db, "t_member", _id(), _tenant(), S("user_no", 32), I("level_id"), I("points"),
      DT("join_time"), *_audit())
table(db, "t_member_level", _id(), _tenant(), I("level_id"), S("level_name"), I("min_points"),
      *_audit())
table(db, "t_member_point_record", _id(), _tenant(), S("user_no", 32), S("order_no", 32),
      I("points"), S("reason"), *_audit())

# ---------------------------------------------------------------- luckyus_iunifiedreconcile
db = "luckyus_iunifiedreconcile"
table(db, "t_reconcile_rule", _id(), _tenant(), S("rule_code", 32), S("rule_name", 128),
      S("source_system", 64), S("target_system", 64), M("tolerance_amount"), T("status"), *_audit())
table(db, "t_reconcile_config", _id(), _tenant(), S("config_key", 64), S("config_value", 255),
      *_audit())

# ---------------------------------------------------------------- luckyus_opshopsale
db = "luckyus_opshopsale"
table(db, "t_shop_sale_remark", _id(), _tenant(), B("shop_id"), S("spu_code", 32),
      S("remark_type", 32), S("remark_text", 255), T("display_order"), T("status"), *_audit())

# ---------------------------------------------------------------- luckyus_iopshopexpand (MODELLED)
# The report lists the server aws-luckyus-iopshopexpand-rw but not its tables. Modelled as a
# site-selection team keeps them: a Manhattan demand grid (residential and daytime population per
# cell), subway entrances, competitor coffee shops, asking rent per area, candidate sites, the
# stores' physical profile, and where members order from (geocoded from delivery addresses and app
# location, kept as a grid cell: never a raw address).
db = "luckyus_iopshopexpand"
LL = Numeric(10, 6)
table(db, "t_rent_area", _id(), _tenant(), S("area_code", 16), S("area_name", 64),
      M("rent_psf_annual", 10, 2, comment="asking retail rent, $ per sq ft per year"), D("survey_date"),
      *_audit(), unique=(("area_code",),))
table(db, "t_demand_cell", _id(), _tenant(), S("cell_id", 16), Column("center_lat", LL),
      Column("center_lon", LL), S("area_code", 16), I("residential_pop"),
      I("daytime_pop", comment="office and visitor population on a weekday"), *_audit(),
      unique=(("cell_id",),))
table(db, "t_subway_entrance", _id(), _tenant(), S("entrance_id", 16), S("station_name", 64),
      S("line_names", 32, comment="subway lines served, e.g. 1 2 3"), Column("lat", LL), Column("lon", LL), *_audit())
table(db, "t_competitor", _id(), _tenant(), S("competitor_id", 16), S("brand", 64), S("name", 128),
      Column("lat", LL), Column("lon", LL), D("open_date"), T("status", comment="1=open, 0=closed"),
      *_audit())
table(db, "t_store_profile", _id(), _tenant(), B("shop_id"), I("sqft"), I("seats"),
      M("lease_rent_psf", 10, 2), *_audit(), unique=(("shop_id",),))
table(db, "t_candidate_site", _id(), _tenant(), S("site_id", 16), S("site_name", 128),
      S("address", 255), Column("lat", LL), Column("lon", LL), I("sqft"),
      T("status", comment="1=candidate, 2=approved, 3=signed, opening"), D("planned_open_date"),
      *_audit(), unique=(("site_id",),))
table(db, "t_member_location", _id(), _tenant(), S("user_no", 32), S("cell_id", 16),
      S("location_type", 8, comment="home or work: where the member orders from"), *_audit(),
      indexes=(("cell_id",),))
# ---------------------------------------------------------------- luckyus_iehr (MODELLED)
# The report lists the server aws-luckyus-iehr-rw (HR) but none of its tables: these are modelled
# on what a workforce system keeps (7shifts, Workday, Deputy). Times UTC, shift_date store-local.
db = "luckyus_iehr"
table(db, "t_employee", _id(), _tenant(), S("employee_no", 32), B("shop_id"),
      S("role", 32, comment="barista, shift_lead, store_manager"), M("hourly_wage", 8, 2),
      D("hire_date"), T("status", comment="1=active, 0=left"), *_audit(), unique=(("employee_no",),))
table(db, "t_schedule_shift", _id(), _tenant(), S("shift_no", 32), S("employee_no", 32), B("shop_id"),
      D("shift_date", comment="store-local day"), S("role", 32), DT("start_time"), DT("end_time"),
      T("status", comment="1=published, 2=cancelled"), *_audit(), indexes=(("shop_id", "shift_date"),))
table(db, "t_attendance", _id(), _tenant(), S("shift_no", 32), S("employee_no", 32), B("shop_id"),
      DT("clock_in_time"), DT("clock_out_time"),
      T("attendance_status", comment="1=on time, 2=late, 3=no-show (no clock-in)"), *_audit(),
      indexes=(("shop_id", "clock_in_time"),))

del db


def tables_of(database: str) -> list[Table]:
    """The tables of one source database, in declaration order."""
    return [t for t in metadata.sorted_tables if t.schema == database]


def get_table(database: str, name: str) -> Table:
    """`database.name` or KeyError naming both."""
    key = f"{database}.{name}"
    if key not in metadata.tables:
        raise KeyError(f"no table {key} in the Luckin US schema")
    return metadata.tables[key]
