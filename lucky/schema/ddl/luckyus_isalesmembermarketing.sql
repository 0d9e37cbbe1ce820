-- luckyus_isalesmembermarketing: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_isalesmembermarketing` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_isalesmembermarketing.t_member (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	level_id INTEGER,
	points INTEGER,
	join_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_isalesmembermarketing.t_member_level (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	level_id INTEGER,
	level_name VARCHAR(64),
	min_points INTEGER,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_isalesmembermarketing.t_member_point_record (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	order_no VARCHAR(32),
	points INTEGER,
	reason VARCHAR(64),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
