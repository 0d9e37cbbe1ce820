-- luckyus_sales_order: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_sales_order` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_sales_order.t_order (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	order_no VARCHAR(32) NOT NULL,
	channel SMALLINT COMMENT '1=Android, 2=iOS, 3=delivery, 8/9/10=other',
	order_type SMALLINT COMMENT '1=pickup, 2=delivery',
	user_no VARCHAR(32),
	shop_id BIGINT,
	shop_name VARCHAR(128),
	status SMALLINT COMMENT '90=completed, 0=cancelled, 10/20/50 in progress, 70 refunded',
	total_money DECIMAL(12, 2),
	payable_money DECIMAL(12, 2),
	pay_money DECIMAL(12, 2),
	pay_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	finish_time DATETIME,
	currency_code VARCHAR(8),
	remark VARCHAR(255),
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_order_0 ON luckyus_sales_order.t_order (shop_id, create_time);
CREATE INDEX ix_t_order_1 ON luckyus_sales_order.t_order (user_no);
CREATE INDEX ix_t_order_2 ON luckyus_sales_order.t_order (create_time);
CREATE UNIQUE INDEX ux_t_order_0 ON luckyus_sales_order.t_order (order_no);

CREATE TABLE luckyus_sales_order.t_order_amount (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	order_no VARCHAR(32) NOT NULL,
	total_money DECIMAL(12, 2),
	coupon_deduct DECIMAL(12, 2),
	activity_deduct DECIMAL(12, 2),
	delivery_fee DECIMAL(12, 2),
	tax_amount DECIMAL(12, 2),
	gst_amount DECIMAL(12, 2),
	vat_amount DECIMAL(12, 2),
	pay_money DECIMAL(12, 2),
	currency_code VARCHAR(8),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE UNIQUE INDEX ux_t_order_amount_0 ON luckyus_sales_order.t_order_amount (order_no);

CREATE TABLE luckyus_sales_order.t_order_delivery_address (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	order_no VARCHAR(32),
	receiver_name VARCHAR(64),
	receiver_phone VARCHAR(32),
	address VARCHAR(255),
	longitude DECIMAL(10, 6),
	latitude DECIMAL(10, 6),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_sales_order.t_order_item (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	order_id BIGINT NOT NULL,
	order_no VARCHAR(32),
	spu_code VARCHAR(32),
	spu_name VARCHAR(128),
	one_category_name VARCHAR(64),
	two_category_name VARCHAR(64),
	three_category_name VARCHAR(64),
	sku_code VARCHAR(32),
	sku_name VARCHAR(128),
	quantity INTEGER,
	origin_price DECIMAL(12, 2),
	sale_price DECIMAL(12, 2),
	pay_money DECIMAL(12, 2),
	tax_rate DECIMAL(8, 5),
	tax DECIMAL(12, 2),
	tax_mode SMALLINT COMMENT '1=tax exclusive (US), 2=tax inclusive',
	tax_info TEXT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_order_item_0 ON luckyus_sales_order.t_order_item (order_id);
CREATE INDEX ix_t_order_item_1 ON luckyus_sales_order.t_order_item (spu_code);

CREATE TABLE luckyus_sales_order.t_order_oper_history (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	order_no VARCHAR(32),
	from_status SMALLINT,
	to_status SMALLINT,
	operator VARCHAR(64),
	oper_desc VARCHAR(255),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_order_oper_history_0 ON luckyus_sales_order.t_order_oper_history (order_no);
