"""A/B experiments (`luckyus_isalesdatamarketing`): the experiments, and per assigned user their
group, first exposure and first conversion, aggregated at the source."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from lucky import sources

DB = "luckyus_isalesdatamarketing"
EXAMPLES = {"user_firsts": [{"before": datetime(2026, 1, 1)}]}


def experiments() -> pd.DataFrame:
    """experiment_id, experiment_name, metric_name, start_time, end_time, status (1 running, 2 ended)."""
    return sources.read(DB, """
        SELECT experiment_id, experiment_name, metric_name, start_time, end_time, status
        FROM luckyus_isalesdatamarketing.t_experiment
        ORDER BY experiment_id""")


def user_firsts(before: datetime | None = None) -> pd.DataFrame:
    """Per experiment, group and user: first_hit and first_conversion (NULL if none), exposures."""
    where, params = "", {}
    if before is not None:
        where, params = " WHERE hit_time < :before", {"before": before}
    return sources.read(DB, f"""
        SELECT experiment_id, group_name, user_no, MIN(hit_time) AS first_hit,
               MIN(CASE WHEN converted = 1 THEN hit_time END) AS first_conversion, COUNT(*) AS exposures
        FROM luckyus_isalesdatamarketing.t_user_hit_experiment_record{where}
        GROUP BY experiment_id, group_name, user_no""", params)
