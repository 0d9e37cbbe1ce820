"""Predictions of the replenishment system (`luckyus_ireplenishment`) and the goods master.

Prediction dates (pred_date, predict_run_date) are store-local days, like the stock ledger's
business_date, so they compare with actual consumption without a time-zone step. The lead
(pred_date − predict_run_date) is computed in pandas: date arithmetic is not portable.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from lucky import sources
from lucky.queries.finance import day_clause

DB = "luckyus_ireplenishment"

EXAMPLES = {
    "demand_predictions": [{"start": date(2026, 2, 1), "end": date(2026, 2, 14), "stores": ()},
                           {"start": date(2026, 2, 1), "end": date(2026, 2, 14), "stores": (), "versions": False}],
    "run_versions": [{"start": date(2026, 2, 1), "end": date(2026, 2, 14), "stores": ()}],
    "latest_predictions": [{"start": date(2026, 2, 8), "end": date(2026, 2, 14), "run_by": date(2026, 2, 7),
                            "stores": ()}],
    "demand_prediction_counts": [{"start": date(2026, 2, 10), "end": None, "stores": ()}],
    "order_predictions": [{"start": date(2026, 2, 1), "end": date(2026, 2, 14), "stores": ()}],
}


def demand_predictions(start: date | None = None, end: date | None = None,
                       stores: tuple[int, ...] = (), versions: bool = True) -> pd.DataFrame:
    """Every daily demand prediction whose target day is in [start, end]: shop_id, goods_code,
    pred_date, predict_run_date, pred_qty, model_version (one row per run × target; dates as
    datetime64). `versions=False` leaves model_version out: a text column on millions of rows
    costs more to hand over than the rest; `run_versions` gives it per run of a series."""
    where, params = day_clause("pred_date", start, end, stores)
    return sources.read_frame(DB, f"""
        SELECT shop_id, goods_code, pred_date, predict_run_date, pred_qty{', model_version' if versions else ''}
        FROM luckyus_ireplenishment.wh_goods_daily_demand_pred WHERE 1 = 1{where}""", params,
        dates=("pred_date", "predict_run_date"))


def latest_predictions(start: date, end: date, run_by: date, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """The daily demand predictions for target days in [start, end] of each series' (shop ×
    goods) latest run on or before `run_by`: shop_id, goods_code, pred_date (datetime64),
    pred_qty. The latest run is picked at the source, so only its rows (about a series per
    position and day) are read, not every run's."""
    where, params = day_clause("pred_date", start, end, stores)
    params["run_by"] = run_by
    return sources.read_frame(DB, f"""
        SELECT p.shop_id, p.goods_code, p.pred_date, p.pred_qty
        FROM luckyus_ireplenishment.wh_goods_daily_demand_pred p
        JOIN (SELECT shop_id, goods_code, MAX(predict_run_date) AS run_date
              FROM luckyus_ireplenishment.wh_goods_daily_demand_pred
              WHERE predict_run_date <= :run_by{where}
              GROUP BY shop_id, goods_code) l
          ON p.shop_id = l.shop_id AND p.goods_code = l.goods_code AND p.predict_run_date = l.run_date
        WHERE p.pred_date >= :start AND p.pred_date <= :end
        ORDER BY p.pred_date, p.shop_id, p.goods_code""", params, dates=("pred_date",))


def demand_prediction_counts(start: date | None = None, end: date | None = None,
                             stores: tuple[int, ...] = ()) -> tuple[int, int]:
    """(predictions, unusable ones) among the daily demand predictions whose target day is in
    [start, end], counted at the source: unusable = no quantity, a negative one, or a target day
    not after the run day. For predictions that are only counted (days with no actual yet), so
    they need not be read."""
    where, params = day_clause("pred_date", start, end, stores)
    df = sources.read(DB, f"""
        SELECT COUNT(*) AS n, SUM(CASE WHEN pred_qty IS NULL OR pred_qty < 0 OR pred_date <= predict_run_date
                                  THEN 1 ELSE 0 END) AS bad
        FROM luckyus_ireplenishment.wh_goods_daily_demand_pred WHERE 1 = 1{where}""", params)
    if df.empty:
        return 0, 0
    n, bad = df["n"].iloc[0], df["bad"].iloc[0]
    return int(n or 0), int(0 if bad is None or pd.isna(bad) else bad)


def run_versions(start: date | None = None, end: date | None = None, stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """The model version of each run of each series (shop × goods) over predictions whose target
    day is in [start, end]: shop_id, goods_code, predict_run_date, model_version (the least when a
    run mixed versions), last_version (the greatest: differs when it mixed)."""
    where, params = day_clause("pred_date", start, end, stores)
    return sources.read_frame(DB, f"""
        SELECT shop_id, goods_code, predict_run_date, MIN(model_version) AS model_version,
               MAX(model_version) AS last_version
        FROM luckyus_ireplenishment.wh_goods_daily_demand_pred WHERE 1 = 1{where}
        GROUP BY shop_id, goods_code, predict_run_date""", params, dates=("predict_run_date",))


def order_predictions(start: date | None = None, end: date | None = None,
                      stores: tuple[int, ...] = ()) -> pd.DataFrame:
    """Hourly order-count predictions for target days in [start, end]: shop_id, pred_date,
    pred_hour, pred_order_cnt, model_version, create_time (UTC; the run's time)."""
    where, params = day_clause("pred_date", start, end, stores)
    return sources.read_frame(DB, f"""
        SELECT shop_id, pred_date, pred_hour, pred_order_cnt, model_version, create_time
        FROM luckyus_ireplenishment.t_order_predict_alg_v2 WHERE 1 = 1{where}""", params, dates=("pred_date", "create_time"))


def goods() -> pd.DataFrame:
    """The goods master (t_mdm_goods): goods_code, goods_name, category_name, unit,
    shelf_life_days, supplier_code, unit_cost, status."""
    return sources.read("luckyus_scm_commodity", """
        SELECT goods_code, goods_name, category_name, unit, shelf_life_days, supplier_code, unit_cost, status
        FROM luckyus_scm_commodity.t_mdm_goods""")
