-- luckyus_opproduction: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_opproduction` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_opproduction.t_commodity (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	production_id BIGINT,
	order_no VARCHAR(32),
	spu_code VARCHAR(32),
	sku_code VARCHAR(32),
	commodity_name VARCHAR(128),
	quantity INTEGER,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_commodity_0 ON luckyus_opproduction.t_commodity (production_id);

CREATE TABLE luckyus_opproduction.t_print_receipt (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	order_no VARCHAR(32),
	shop_id BIGINT,
	receipt_type SMALLINT,
	print_status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_opproduction.t_production (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	order_no VARCHAR(32),
	shop_id BIGINT,
	device_no VARCHAR(32),
	status SMALLINT COMMENT '1=waiting, 2=making, 3=done, 4=cancelled',
	accept_time DATETIME,
	done_time DATETIME,
	cup_count INTEGER,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_production_0 ON luckyus_opproduction.t_production (order_no);
CREATE INDEX ix_t_production_1 ON luckyus_opproduction.t_production (shop_id, create_time);
