-- luckyus_scm_purchase: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_scm_purchase` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_scm_purchase.t_purchase_order (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	po_no VARCHAR(32),
	supplier_code VARCHAR(32),
	shop_id BIGINT,
	order_date DATE,
	expected_date DATE,
	total_amount DECIMAL(14, 2),
	currency_code VARCHAR(8),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_scm_purchase.t_purchase_order_item (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	po_no VARCHAR(32),
	goods_code VARCHAR(32),
	quantity DECIMAL(14, 4),
	unit_price DECIMAL(12, 4),
	amount DECIMAL(14, 2),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_scm_purchase.t_ship_order (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	ship_no VARCHAR(32),
	po_no VARCHAR(32),
	supplier_code VARCHAR(32),
	ship_date DATE,
	arrive_date DATE,
	shipped_qty DECIMAL(14, 4),
	received_qty DECIMAL(14, 4),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_scm_purchase.t_supplier (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	supplier_code VARCHAR(32),
	supplier_name VARCHAR(128),
	category_name VARCHAR(64),
	payment_terms_days INTEGER,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_scm_purchase.t_supplier_settlement (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	settlement_no VARCHAR(32),
	supplier_code VARCHAR(32),
	po_no VARCHAR(32),
	amount DECIMAL(14, 2),
	due_date DATE,
	paid_date DATE,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
