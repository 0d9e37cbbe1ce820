-- luckyus_iot_platform: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_iot_platform` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_iot_platform.t_coffee_formula (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	formula_code VARCHAR(32),
	spu_code VARCHAR(32),
	machine_type VARCHAR(64),
	step_count INTEGER,
	brew_seconds INTEGER,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_iot_platform.t_cup_order_info (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	order_no VARCHAR(32),
	device_no VARCHAR(32),
	shop_id BIGINT,
	formula_code VARCHAR(32),
	start_time DATETIME,
	end_time DATETIME,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_cup_order_info_0 ON luckyus_iot_platform.t_cup_order_info (device_no, start_time);

CREATE TABLE luckyus_iot_platform.t_device (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	device_no VARCHAR(32),
	device_name VARCHAR(128),
	machine_type VARCHAR(64),
	shop_id BIGINT,
	status SMALLINT COMMENT '1=online, 0=offline',
	online_status SMALLINT,
	firmware_version VARCHAR(32),
	install_date DATE,
	last_maintenance_date DATE,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_iot_platform.t_device_event (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	device_no VARCHAR(32),
	event_type VARCHAR(32),
	event_code VARCHAR(32),
	event_desc VARCHAR(255),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_iot_platform.t_device_status_log (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	device_no VARCHAR(32),
	shop_id BIGINT,
	status SMALLINT COMMENT '1=online, 0=offline: connection state from this row on',
	event_code VARCHAR(32) COMMENT 'REGISTERED, HB-LOST (3 missed 1-min heartbeats), HB-RESTORED',
	last_heartbeat_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_device_status_log_0 ON luckyus_iot_platform.t_device_status_log (device_no, create_time);
