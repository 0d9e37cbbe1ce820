-- luckyus_sales_marketing: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_sales_marketing` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_sales_marketing.t_channel_spend (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	spend_month DATE COMMENT 'first day of the month',
	channel VARCHAR(16) COMMENT 'iOS, Android, delivery, other',
	utm_source VARCHAR(64),
	campaign_name VARCHAR(128),
	spend_amount DECIMAL(12, 2),
	currency_code VARCHAR(8),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_sales_marketing.t_coupon_holdout (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	template_id BIGINT,
	user_no VARCHAR(32),
	expire_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_coupon_holdout_0 ON luckyus_sales_marketing.t_coupon_holdout (template_id);

CREATE TABLE luckyus_sales_marketing.t_coupon_record (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	coupon_no VARCHAR(32),
	template_id BIGINT,
	user_no VARCHAR(32),
	status SMALLINT COMMENT '1=unused, 2=used, 3=expired',
	order_no VARCHAR(32),
	discount_amount DECIMAL(12, 2),
	use_time DATETIME,
	expire_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_coupon_record_0 ON luckyus_sales_marketing.t_coupon_record (template_id);
CREATE INDEX ix_t_coupon_record_1 ON luckyus_sales_marketing.t_coupon_record (user_no);

CREATE TABLE luckyus_sales_marketing.t_coupon_record_expired (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	coupon_no VARCHAR(32),
	template_id BIGINT,
	user_no VARCHAR(32),
	status SMALLINT,
	expire_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_sales_marketing.t_coupon_template (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	template_id BIGINT,
	template_name VARCHAR(128),
	coupon_type SMALLINT COMMENT '1=amount off, 2=percent off, 3=free item',
	discount_value DECIMAL(12, 2),
	threshold_amount DECIMAL(12, 2),
	marketing_cost DECIMAL(12, 2),
	valid_days INTEGER,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_sales_marketing.t_market_activity (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	activity_id BIGINT,
	activity_name VARCHAR(128),
	template_id BIGINT,
	start_time DATETIME,
	end_time DATETIME,
	budget DECIMAL(12, 2),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_sales_marketing.t_market_activity_partake (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	activity_id BIGINT,
	user_no VARCHAR(32),
	order_no VARCHAR(32),
	reward_amount DECIMAL(12, 2),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_sales_marketing.t_user_group_label (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	label_id BIGINT,
	label_name VARCHAR(64),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
