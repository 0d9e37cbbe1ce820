-- luckyus_isales_cdp: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_isales_cdp` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_isales_cdp.t_realtime_user_group_log (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	group_id BIGINT,
	action SMALLINT COMMENT '1=enter, 2=leave',
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_realtime_user_group_log_0 ON luckyus_isales_cdp.t_realtime_user_group_log (user_no);

CREATE TABLE luckyus_isales_cdp.t_user_event_track (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	anonymous_id VARCHAR(64) COMMENT 'MODELLED: the install''s analytics id, on every event',
	user_no VARCHAR(32),
	event_name VARCHAR(64),
	page_name VARCHAR(64),
	platform VARCHAR(16),
	utm_source VARCHAR(64),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_isales_cdp.t_user_state (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	state_code VARCHAR(32),
	state_value VARCHAR(64),
	state_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_user_state_0 ON luckyus_isales_cdp.t_user_state (user_no);
