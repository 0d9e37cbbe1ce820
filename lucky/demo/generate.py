"""The demo generator: runs the steps in order and yields every table of every database.

`generate(world)` yields `(database, table, DataFrame)`; a big table may come in several chunks.
Every table of the schema is yielded at least once (possibly with zero rows), so an empty
database such as `luckyus_fi_tax` exists with its tables.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator

import pandas as pd

from lucky.demo.world import World
from lucky.schema import metadata

#: Generator steps, in dependency order. Each module defines `generate(world) -> Iterator[...]`.
STEPS: tuple[str, ...] = (
    "catalog",        # shops, products, skus, goods, recipes, formulas (opshop, scm_commodity)
    "users",          # CRM users and profiles, payment users and saved cards
    "orders",         # orders, items, amounts, delivery (sales_order) + tax/tenant defects
    "payments",       # trades, channel fees (sales_payment) + reconciliation defects
    "accounting",     # income bills, vouchers, cost bills (ifiaccounting)
    "iot",            # devices, formulas, cups (iot_platform) + degraded devices
    "production",     # productions, commodities, receipts (opproduction)
    "stock",          # stock positions and the seven change tables (scm_shopstock)
    "replenishment",  # demand and order predictions (ireplenishment) + biased series
    "purchase",       # suppliers, POs, shipments, settlements (scm_purchase)
    "crm",            # user history, CDP states and events, churn
    "marketing",      # coupons, templates, activities, labels (sales_marketing)
    "experiments",    # A/B experiments (isalesdatamarketing)
    "channels",       # MODELLED acquisition spend per channel and utm_source (sales_marketing)
    "misc",           # reconcile config, shop sale remarks, order history, empty databases
    "geography",      # modelled expansion db (iopshopexpand): demand grid, sites, member cells + Huff
    "staffing",       # MODELLED HR (iehr): employees, shifts, attendance + understaffed hours
    "store_events",   # actual open/close of every store-day (opshop) + late opens
)

Progress = Callable[[str, float], None]


def generate(world: World, progress: Progress | None = None) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield every table; `progress(step, fraction_done)` is called as steps finish."""
    seen: set[str] = set()
    for i, step in enumerate(STEPS):
        if progress:
            progress(step, i / len(STEPS))
        module = importlib.import_module(f"lucky.demo.gen.{step}")
        for database, name, frame in module.generate(world):
            seen.add(f"{database}.{name}")
            yield database, name, frame
    for key, table in metadata.tables.items():
        if key not in seen:  # declared but not generated: exists with zero rows
            yield table.schema, table.name, pd.DataFrame(columns=[c.name for c in table.columns])
    if progress:
        progress("done", 1.0)
