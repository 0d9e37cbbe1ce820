-- luckyus_iunifiedreconcile: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_iunifiedreconcile` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_iunifiedreconcile.t_reconcile_config (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	config_key VARCHAR(64),
	config_value VARCHAR(255),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_iunifiedreconcile.t_reconcile_rule (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	rule_code VARCHAR(32),
	rule_name VARCHAR(128),
	source_system VARCHAR(64),
	target_system VARCHAR(64),
	tolerance_amount DECIMAL(12, 2),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
