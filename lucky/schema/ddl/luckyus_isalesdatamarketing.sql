-- luckyus_isalesdatamarketing: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_isalesdatamarketing` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_isalesdatamarketing.t_experiment (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	experiment_id BIGINT,
	experiment_name VARCHAR(128),
	metric_name VARCHAR(64),
	start_time DATETIME,
	end_time DATETIME,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_isalesdatamarketing.t_user_hit_experiment_record (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	experiment_id BIGINT,
	user_no VARCHAR(32),
	group_name VARCHAR(32),
	converted SMALLINT,
	hit_time DATETIME,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_user_hit_experiment_record_0 ON luckyus_isalesdatamarketing.t_user_hit_experiment_record (experiment_id);
CREATE INDEX ix_t_user_hit_experiment_record_1 ON luckyus_isalesdatamarketing.t_user_hit_experiment_record (user_no);

CREATE TABLE luckyus_isalesdatamarketing.t_user_traffic_distribution (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	experiment_id BIGINT,
	user_no VARCHAR(32),
	bucket_no INTEGER,
	group_name VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
