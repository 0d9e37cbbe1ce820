"""A/B experiments (`luckyus_isalesdatamarketing`): the experiments, and per experiment and group
how many assigned users were first exposed and first converted on each day, aggregated at the source."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from lucky import sources

DB = "luckyus_isalesdatamarketing"
EXAMPLES = {"arm_days": [{"before": datetime(2026, 1, 1)}]}


def experiments() -> pd.DataFrame:
    """experiment_id, experiment_name, metric_name, start_time, end_time, status (1 running, 2 ended)."""
    return sources.read(DB, """
        SELECT experiment_id, experiment_name, metric_name, start_time, end_time, status
        FROM luckyus_isalesdatamarketing.t_experiment
        ORDER BY experiment_id""")


def arm_days(before: datetime | None = None) -> pd.DataFrame:
    """Per experiment, group, day of a user's first exposure and day of the user's first
    conversion (NULL if none): `users`, the number of assigned users with that pair of UTC days.

    Aggregated at the source (per user first, then per day pair): a sequential readout only needs
    how many users had been exposed and had converted by the end of each day, not who they were,
    so hundreds of rows cross the wire instead of one per assigned user."""
    where, params = "", {}
    if before is not None:
        where, params = " WHERE hit_time < :before", {"before": before}
    return sources.read(DB, f"""
        SELECT experiment_id, group_name, CAST(first_hit AS DATE) AS hit_day,
               CAST(first_conversion AS DATE) AS conversion_day, COUNT(*) AS users
        FROM (SELECT experiment_id, group_name, user_no, MIN(hit_time) AS first_hit,
                     MIN(CASE WHEN converted = 1 THEN hit_time END) AS first_conversion
              FROM luckyus_isalesdatamarketing.t_user_hit_experiment_record{where}
              GROUP BY experiment_id, group_name, user_no) firsts
        GROUP BY experiment_id, group_name, CAST(first_hit AS DATE), CAST(first_conversion AS DATE)""", params)
