-- luckyus_fi_tax: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_fi_tax` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_fi_tax.t_tax_declaration (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	declaration_no VARCHAR(32),
	period VARCHAR(16),
	jurisdiction VARCHAR(64),
	taxable_sales DECIMAL(14, 2),
	tax_due DECIMAL(14, 2),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_fi_tax.t_tax_invoice (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	invoice_no VARCHAR(32),
	order_no VARCHAR(32),
	shop_id BIGINT,
	business_date DATE,
	taxable_amount DECIMAL(12, 2),
	tax_amount DECIMAL(12, 2),
	tax_rate DECIMAL(8, 5),
	jurisdiction VARCHAR(64),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_fi_tax.t_tax_invoice_item (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	invoice_no VARCHAR(32),
	sku_code VARCHAR(32),
	taxable_amount DECIMAL(12, 2),
	tax_amount DECIMAL(12, 2),
	tax_rate DECIMAL(8, 5),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_fi_tax.t_tax_rate_config (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	jurisdiction VARCHAR(64),
	tax_rate DECIMAL(8, 5),
	effective_date DATE,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
