-- luckyus_ireplenishment: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_ireplenishment` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_ireplenishment.t_order_predict_alg_v2 (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	pred_date DATE,
	pred_hour SMALLINT,
	pred_order_cnt INTEGER,
	pred_cup_cnt INTEGER,
	model_version VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_t_order_predict_alg_v2_0 ON luckyus_ireplenishment.t_order_predict_alg_v2 (shop_id, pred_date);

CREATE TABLE luckyus_ireplenishment.wh_goods_daily_demand_pred (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	goods_code VARCHAR(32),
	pred_date DATE,
	predict_run_date DATE,
	pred_qty DECIMAL(14, 4),
	model_version VARCHAR(32),
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX ix_wh_goods_daily_demand_pred_0 ON luckyus_ireplenishment.wh_goods_daily_demand_pred (shop_id, pred_date);
