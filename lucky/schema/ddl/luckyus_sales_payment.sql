-- luckyus_sales_payment: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_sales_payment` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_sales_payment.t_channel_fee (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	trade_no VARCHAR(32),
	order_no VARCHAR(32),
	channel_id INTEGER,
	amount BIGINT COMMENT 'cents',
	transaction_fee BIGINT COMMENT 'cents',
	merchant_service_fee BIGINT COMMENT 'cents',
	total_fee BIGINT COMMENT 'cents',
	currency_code VARCHAR(8),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_channel_fee_0 ON luckyus_sales_payment.t_channel_fee (order_no);
CREATE INDEX ix_t_channel_fee_1 ON luckyus_sales_payment.t_channel_fee (create_time);

CREATE TABLE luckyus_sales_payment.t_trade (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	trade_no VARCHAR(32) NOT NULL,
	order_no VARCHAR(32),
	channel_id INTEGER,
	amount BIGINT COMMENT 'cents',
	status SMALLINT COMMENT '1,2,3 success; 4 failed; 5 refunded',
	third_trade_no VARCHAR(64) COMMENT 'Stripe reference',
	fee BIGINT COMMENT 'cents',
	user_no VARCHAR(32),
	shop_id BIGINT,
	currency_code VARCHAR(8),
	pay_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_trade_0 ON luckyus_sales_payment.t_trade (order_no);
CREATE INDEX ix_t_trade_1 ON luckyus_sales_payment.t_trade (create_time);
CREATE UNIQUE INDEX ux_t_trade_0 ON luckyus_sales_payment.t_trade (trade_no);

CREATE TABLE luckyus_sales_payment.t_user (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	stripe_customer_id VARCHAR(64),
	email VARCHAR(128),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_sales_payment.t_user_channel (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	channel_id INTEGER,
	card_brand VARCHAR(32),
	card_last4 VARCHAR(8),
	is_default SMALLINT,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_user_channel_0 ON luckyus_sales_payment.t_user_channel (user_no);
