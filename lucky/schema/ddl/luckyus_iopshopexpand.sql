-- luckyus_iopshopexpand: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_iopshopexpand` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_iopshopexpand.t_candidate_site (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	site_id VARCHAR(16),
	site_name VARCHAR(128),
	address VARCHAR(255),
	lat DECIMAL(10, 6),
	lon DECIMAL(10, 6),
	sqft INTEGER,
	status SMALLINT COMMENT '1=candidate, 2=approved, 3=signed, opening',
	planned_open_date DATE,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE UNIQUE INDEX ux_t_candidate_site_0 ON luckyus_iopshopexpand.t_candidate_site (site_id);

CREATE TABLE luckyus_iopshopexpand.t_competitor (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	competitor_id VARCHAR(16),
	brand VARCHAR(64),
	name VARCHAR(128),
	lat DECIMAL(10, 6),
	lon DECIMAL(10, 6),
	open_date DATE,
	status SMALLINT COMMENT '1=open, 0=closed',
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_iopshopexpand.t_demand_cell (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	cell_id VARCHAR(16),
	center_lat DECIMAL(10, 6),
	center_lon DECIMAL(10, 6),
	area_code VARCHAR(16),
	residential_pop INTEGER,
	daytime_pop INTEGER COMMENT 'office and visitor population on a weekday',
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE UNIQUE INDEX ux_t_demand_cell_0 ON luckyus_iopshopexpand.t_demand_cell (cell_id);

CREATE TABLE luckyus_iopshopexpand.t_member_location (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	user_no VARCHAR(32),
	cell_id VARCHAR(16),
	location_type VARCHAR(8) COMMENT 'home or work: where the member orders from',
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_member_location_0 ON luckyus_iopshopexpand.t_member_location (cell_id);

CREATE TABLE luckyus_iopshopexpand.t_rent_area (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	area_code VARCHAR(16),
	area_name VARCHAR(64),
	rent_psf_annual DECIMAL(10, 2) COMMENT 'asking retail rent, $ per sq ft per year',
	survey_date DATE,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE UNIQUE INDEX ux_t_rent_area_0 ON luckyus_iopshopexpand.t_rent_area (area_code);

CREATE TABLE luckyus_iopshopexpand.t_store_profile (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	sqft INTEGER,
	seats INTEGER,
	lease_rent_psf DECIMAL(10, 2),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE UNIQUE INDEX ux_t_store_profile_0 ON luckyus_iopshopexpand.t_store_profile (shop_id);

CREATE TABLE luckyus_iopshopexpand.t_subway_entrance (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	entrance_id VARCHAR(16),
	station_name VARCHAR(64),
	line_names VARCHAR(32) COMMENT 'subway lines served, e.g. 1 2 3',
	lat DECIMAL(10, 6),
	lon DECIMAL(10, 6),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
