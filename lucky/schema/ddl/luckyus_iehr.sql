-- luckyus_iehr: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_iehr` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_iehr.t_attendance (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shift_no VARCHAR(32),
	employee_no VARCHAR(32),
	shop_id BIGINT,
	clock_in_time DATETIME,
	clock_out_time DATETIME,
	attendance_status SMALLINT COMMENT '1=on time, 2=late, 3=no-show (no clock-in)',
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_attendance_0 ON luckyus_iehr.t_attendance (shop_id, clock_in_time);

CREATE TABLE luckyus_iehr.t_employee (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	employee_no VARCHAR(32),
	shop_id BIGINT,
	`role` VARCHAR(32) COMMENT 'barista, shift_lead, store_manager',
	hourly_wage DECIMAL(8, 2),
	hire_date DATE,
	status SMALLINT COMMENT '1=active, 0=left',
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE UNIQUE INDEX ux_t_employee_0 ON luckyus_iehr.t_employee (employee_no);

CREATE TABLE luckyus_iehr.t_schedule_shift (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shift_no VARCHAR(32),
	employee_no VARCHAR(32),
	shop_id BIGINT,
	shift_date DATE COMMENT 'store-local day',
	`role` VARCHAR(32),
	start_time DATETIME,
	end_time DATETIME,
	status SMALLINT COMMENT '1=published, 2=cancelled',
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_schedule_shift_0 ON luckyus_iehr.t_schedule_shift (shop_id, shift_date);
