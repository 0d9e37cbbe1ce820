-- luckyus_opshop: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_opshop` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_opshop.t_shop_business_record (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	business_date DATE,
	event_type VARCHAR(16) COMMENT 'OPEN or CLOSE: the POS day opened/closed by the shift lead',
	event_time DATETIME,
	operator_no VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_business_record_0 ON luckyus_opshop.t_shop_business_record (shop_id, business_date);

CREATE TABLE luckyus_opshop.t_shop_info (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_no VARCHAR(32),
	shop_name VARCHAR(128),
	status SMALLINT COMMENT '1=open, 2=preparing, 3=closed',
	operation_mode SMALLINT,
	time_zone VARCHAR(64),
	address VARCHAR(255),
	location_longitude DECIMAL(10, 6),
	location_latitude DECIMAL(10, 6),
	set_up_time DATE,
	internal SMALLINT,
	test_flag SMALLINT,
	currency_code VARCHAR(8),
	country_name VARCHAR(64),
	administrative_area_name VARCHAR(64),
	locality_name VARCHAR(64),
	postal_code VARCHAR(16),
	phone VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_opshop.t_shop_opening_time (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	business_date DATE,
	week_day SMALLINT,
	open_time VARCHAR(8),
	close_time VARCHAR(8),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_opening_time_0 ON luckyus_opshop.t_shop_opening_time (shop_id, business_date);
