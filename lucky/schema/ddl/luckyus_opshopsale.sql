-- luckyus_opshopsale: MySQL DDL compiled from lucky/schema/__init__.py.
-- Regenerate with `python -m lucky demo ddl`; tests/test_build.py checks it is current.
CREATE DATABASE IF NOT EXISTS `luckyus_opshopsale` DEFAULT CHARACTER SET utf8mb4;

CREATE TABLE luckyus_opshopsale.t_shop_sale_remark (
	id BIGINT NOT NULL AUTO_INCREMENT,
	tenant VARCHAR(32) NOT NULL,
	shop_id BIGINT,
	spu_code VARCHAR(32),
	remark_type VARCHAR(32),
	remark_text VARCHAR(255),
	display_order SMALLINT,
	status SMALLINT,
	create_time DATETIME NOT NULL,
	update_time DATETIME,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
