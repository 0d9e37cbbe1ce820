-- luckyus_sales_crm: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_sales_crm` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_sales_crm.t_user (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	phone VARCHAR(32),
	email VARCHAR(128),
	origin SMALLINT COMMENT 'registration source: 1=Android, 2=iOS, 3=delivery, 8/9/10=other',
	time_zone VARCHAR(64),
	status SMALLINT,
	register_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_user_0 ON luckyus_sales_crm.t_user (phone);
CREATE UNIQUE INDEX ux_t_user_0 ON luckyus_sales_crm.t_user (user_no);

CREATE TABLE luckyus_sales_crm.t_user_history (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	event_type VARCHAR(32),
	event_desc VARCHAR(255),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_user_history_0 ON luckyus_sales_crm.t_user_history (user_no);

CREATE TABLE luckyus_sales_crm.t_user_profile (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	gender SMALLINT,
	birthday DATE,
	age_range VARCHAR(16),
	preferred_shop_id VARCHAR(32),
	zip_code VARCHAR(16),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
