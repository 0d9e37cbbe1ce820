-- luckyus_ifiaccounting: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_ifiaccounting` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_ifiaccounting.t_acc_cost_bill (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	bill_no VARCHAR(32),
	shop_id BIGINT,
	business_date DATE,
	cost_type VARCHAR(32),
	amount DECIMAL(12, 2),
	currency_code VARCHAR(8),
	supplier_code VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_ifiaccounting.t_acc_income_bill (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	bill_no VARCHAR(32),
	order_no VARCHAR(32),
	shop_id BIGINT,
	business_date DATE,
	income_type VARCHAR(32),
	amount DECIMAL(12, 2),
	tax_amount DECIMAL(12, 2),
	currency_code VARCHAR(8),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_acc_income_bill_0 ON luckyus_ifiaccounting.t_acc_income_bill (shop_id, business_date);

CREATE TABLE luckyus_ifiaccounting.t_pre_voucher_entry_assist (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	voucher_no VARCHAR(32),
	bill_no VARCHAR(32),
	account_code VARCHAR(32),
	account_name VARCHAR(128),
	debit_amount DECIMAL(12, 2),
	credit_amount DECIMAL(12, 2),
	business_date DATE,
	shop_id BIGINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
