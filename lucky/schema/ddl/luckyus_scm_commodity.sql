-- luckyus_scm_commodity: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_scm_commodity` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_scm_commodity.t_commodity_base_info (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	spu_code VARCHAR(32),
	name VARCHAR(128),
	one_category_name VARCHAR(64),
	two_category_name VARCHAR(64),
	status SMALLINT COMMENT '4=online, 5=offline',
	mode SMALLINT COMMENT '0=fresh-made, 1=pre-packaged',
	commodity_level SMALLINT COMMENT '1=S, 2=A, 3=B',
	sugar_level VARCHAR(16),
	nutrition_grade_code VARCHAR(8),
	calories INTEGER,
	standard_price DECIMAL(12, 2),
	standard_cost DECIMAL(12, 2),
	is_iced SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE luckyus_scm_commodity.t_formula_spu (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	spu_code VARCHAR(32),
	sku_code VARCHAR(32),
	goods_code VARCHAR(32),
	goods_name VARCHAR(128),
	quantity DECIMAL(12, 4),
	unit VARCHAR(16),
	step_no INTEGER,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_formula_spu_0 ON luckyus_scm_commodity.t_formula_spu (spu_code);

CREATE TABLE luckyus_scm_commodity.t_mdm_goods (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	goods_code VARCHAR(32),
	goods_name VARCHAR(128),
	category_name VARCHAR(64),
	unit VARCHAR(16),
	unit_cost DECIMAL(12, 4),
	shelf_life_days INTEGER,
	supplier_code VARCHAR(32),
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
