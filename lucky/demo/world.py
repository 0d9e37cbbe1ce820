"""The state shared by the generator steps while one demo is built.

Steps run in order (see `lucky.demo.generate.STEPS`); each yields finished tables and leaves on
the world what later steps need (orders for production, items for stock consumption, ...).
Every step draws from its own random stream, so changing one step never reshuffles another.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

START = date(2025, 6, 30)   # first store opens
END = date(2026, 2, 14)     # the report's as-of date (last business day in the data)
TENANT = "LKUS"             # the one configured tenant of Luckin US


def empty_truth() -> dict:
    """The truth file's shape (issue 2): natural ids of every planted defect."""
    return {
        "tax": {"missing_tax": [], "wrong_rate": []},
        "reconciliation": {"missing_payment": [], "orphan_payment": [], "amount_mismatch": [],
                           "duplicate_charge": [], "missing_income_bill": []},
        "tenant": {"currency_mismatch": [], "unknown_tenant": []},
        "anomalies": [],            # {shop_id, date (store-local YYYY-MM-DD), metric}
        "iot": {"degraded": [], "degraded_onset": {}, "outages": []},
        "forecast": {"biased": [],  # [shop_id, goods_code]
                     "bias_factor": [],  # [shop_id, goods_code, factor]
                     "version_effect": {}},  # {from, to, date, wape_change}
        "suppliers": {"late_prone": [],  # [supplier_code]
                      "short_shipments": [],  # [ship_no]
                      "price_steps": []},  # {supplier_code, goods_code, date, pct}
        "experiments": {"lift": [], "null": []},
        "campaigns": {"incremental": [], "cannibalizing": []},   # [template_id] (issue 14)
        "channels": {"ltv_rank": [],    # acquisition channels, highest 180-day value per user first
                     "funnel": {}},     # {channel: {"app_open": installs, "registration": of them registered}}
        "expansion": {"huff": {}, "cannibalization": []},   # {alpha, lambda}; [{new_shop, affected_shop, share}]
        "production": {"slowed": []},   # {spu_name, date (store-local), factor} (issue 15)
        "menu": {"elasticity": {}, "launches": [], "retired": []},  # issue 15
        "churn": {"churned": [], "timeline": {}},   # timeline: {user_no: {decline_start, last_order}}
        "staffing": {"no_show_rate": {}, "understaffed": []},
        "stores": {"late_open": []},
        "inventory": {"stockouts": [],  # {shop_id, goods_code, date (store-local)}: positions at zero
                      "waste": [],      # {shop_id, goods_code, date, qty}: perishables written off at expiry
                      "lost_sales": []},  # {shop_id, goods_code, date, items}: completed dependent items moved off a whole day out
    }


@dataclass
class World:
    """Parameters of the build plus the frames later steps read.

    Frames (set by the step named in brackets; columns are the source table's unless noted):
    - shops [catalog]: t_shop_info rows
    - products [catalog]: t_commodity_base_info rows (+ `price` list price, `weight` popularity)
    - skus [catalog]: spu_code, sku_code, sku_name, price (sale variants of each product)
    - goods [catalog]: t_mdm_goods rows; recipes [catalog]: t_formula_spu rows
    - users [users]: t_user (CRM) rows
    - orders [orders]: t_order rows + `local_date` (store-local business day, datetime64[D])
    - items [orders]: t_order_item rows
    - trades [payments]: t_trade rows
    - devices [iot]: t_device rows
    """

    scale: float = 1.0
    seed: int = 0
    bulk: float = 0.1
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth: dict = field(default_factory=empty_truth)
    #: objects one step hands to a later one (the orders step's stock ledger for the stock step)
    carry: dict[str, object] = field(default_factory=dict)

    def rng(self, step: str) -> np.random.Generator:
        """An independent, reproducible random stream per step and seed."""
        return np.random.default_rng([self.seed, zlib.crc32(step.encode())])

    def n(self, full_size: float, minimum: int = 1) -> int:
        """A row count that scales with `--scale`."""
        return max(minimum, int(round(full_size * self.scale)))

    def n_bulk(self, full_size: float, minimum: int = 1) -> int:
        """A row count for the huge tables, which scale with `--scale` times `--bulk`."""
        return max(minimum, int(round(full_size * self.scale * self.bulk)))

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(f"world has no frame '{name}' yet (steps run in order)")
