-- luckyus_scm_shopstock: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_scm_shopstock` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_scm_shopstock.t_shop_goods_stock (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	goods_name VARCHAR(128),
	stock_qty DECIMAL(14, 4),
	safety_qty DECIMAL(14, 4),
	unit VARCHAR(16),
	stock_date DATE,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_goods_stock_0 ON luckyus_scm_shopstock.t_shop_goods_stock (shop_id, goods_code);

CREATE TABLE luckyus_scm_shopstock.t_shop_goods_stock_change_fri (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	business_date DATE,
	change_type SMALLINT COMMENT '1=sale consumption, 2=receipt, 3=waste, 4=stocktake adjust',
	change_qty DECIMAL(14, 4),
	before_qty DECIMAL(14, 4),
	after_qty DECIMAL(14, 4),
	ref_no VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_goods_stock_change_fri_0 ON luckyus_scm_shopstock.t_shop_goods_stock_change_fri (shop_id, business_date);

CREATE TABLE luckyus_scm_shopstock.t_shop_goods_stock_change_mon (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	business_date DATE,
	change_type SMALLINT COMMENT '1=sale consumption, 2=receipt, 3=waste, 4=stocktake adjust',
	change_qty DECIMAL(14, 4),
	before_qty DECIMAL(14, 4),
	after_qty DECIMAL(14, 4),
	ref_no VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_goods_stock_change_mon_0 ON luckyus_scm_shopstock.t_shop_goods_stock_change_mon (shop_id, business_date);

CREATE TABLE luckyus_scm_shopstock.t_shop_goods_stock_change_sat (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	business_date DATE,
	change_type SMALLINT COMMENT '1=sale consumption, 2=receipt, 3=waste, 4=stocktake adjust',
	change_qty DECIMAL(14, 4),
	before_qty DECIMAL(14, 4),
	after_qty DECIMAL(14, 4),
	ref_no VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_goods_stock_change_sat_0 ON luckyus_scm_shopstock.t_shop_goods_stock_change_sat (shop_id, business_date);

CREATE TABLE luckyus_scm_shopstock.t_shop_goods_stock_change_sun (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	business_date DATE,
	change_type SMALLINT COMMENT '1=sale consumption, 2=receipt, 3=waste, 4=stocktake adjust',
	change_qty DECIMAL(14, 4),
	before_qty DECIMAL(14, 4),
	after_qty DECIMAL(14, 4),
	ref_no VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_goods_stock_change_sun_0 ON luckyus_scm_shopstock.t_shop_goods_stock_change_sun (shop_id, business_date);

CREATE TABLE luckyus_scm_shopstock.t_shop_goods_stock_change_thu (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	business_date DATE,
	change_type SMALLINT COMMENT '1=sale consumption, 2=receipt, 3=waste, 4=stocktake adjust',
	change_qty DECIMAL(14, 4),
	before_qty DECIMAL(14, 4),
	after_qty DECIMAL(14, 4),
	ref_no VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_goods_stock_change_thu_0 ON luckyus_scm_shopstock.t_shop_goods_stock_change_thu (shop_id, business_date);

CREATE TABLE luckyus_scm_shopstock.t_shop_goods_stock_change_tue (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	business_date DATE,
	change_type SMALLINT COMMENT '1=sale consumption, 2=receipt, 3=waste, 4=stocktake adjust',
	change_qty DECIMAL(14, 4),
	before_qty DECIMAL(14, 4),
	after_qty DECIMAL(14, 4),
	ref_no VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_goods_stock_change_tue_0 ON luckyus_scm_shopstock.t_shop_goods_stock_change_tue (shop_id, business_date);

CREATE TABLE luckyus_scm_shopstock.t_shop_goods_stock_change_wed (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	business_date DATE,
	change_type SMALLINT COMMENT '1=sale consumption, 2=receipt, 3=waste, 4=stocktake adjust',
	change_qty DECIMAL(14, 4),
	before_qty DECIMAL(14, 4),
	after_qty DECIMAL(14, 4),
	ref_no VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_shop_goods_stock_change_wed_0 ON luckyus_scm_shopstock.t_shop_goods_stock_change_wed (shop_id, business_date);
