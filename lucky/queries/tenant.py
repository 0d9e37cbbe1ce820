"""Tenant values of every table with a `tenant` column, in every source database.

Values are grouped by `MD5(tenant)`, an exact byte-wise key in MySQL, PostgreSQL and DuckDB alike:
MySQL's case-insensitive collations would otherwise merge `lkus` into `LKUS` in a GROUP BY. Big
tables are sampled on primary-key ranges (cheap everywhere, unlike ORDER BY RANDOM or TABLESAMPLE,
which are not portable); the result says which tables were sampled and how.
"""
from __future__ import annotations

import pandas as pd

from lucky import sources
from lucky.errors import SourceError
from lucky.schema import ORDER_COMPLETED, tables_of

SAMPLE_ABOVE = 200_000     # id span above which a table is sampled
SAMPLE_WINDOWS = 4
SAMPLE_WINDOW_ROWS = 25_000
FULL_SCAN = 5_000_000      # sampled tables up to this id span still get a full search for unknown values


def tenant_tables(db: str) -> list[str]:
    """Tables of `db` that have a tenant column, from information_schema (standard in all three
    engines); the declared schema when the catalogue cannot be read."""
    try:
        df = sources.read(db, """
            SELECT DISTINCT table_name FROM information_schema.columns
            WHERE table_schema = :db AND column_name = 'tenant'""", {"db": db})
        names = sorted(str(n) for n in df.iloc[:, 0])
        if names:
            return names
    except SourceError:
        pass
    return [t.name for t in tables_of(db) if "tenant" in t.c]


def id_spans(db: str, tables: list[str]) -> pd.DataFrame:
    """MIN(id) and MAX(id) per table (primary-key lookups), one query per database."""
    parts = [f"SELECT '{t}' AS table_name, MIN(id) AS min_id, MAX(id) AS max_id FROM {db}.{t}" for t in tables]
    return sources.read(db, " UNION ALL ".join(parts))


def sample_plan(spans: pd.DataFrame) -> dict[str, list[tuple[int, int]]]:
    """table -> id ranges to read ([] = the whole table)."""
    plan: dict[str, list[tuple[int, int]]] = {}
    for row in spans.itertuples():
        if pd.isna(row.min_id) or row.max_id - row.min_id + 1 <= SAMPLE_ABOVE:
            plan[row.table_name] = []
            continue
        lo, hi = int(row.min_id), int(row.max_id)
        step = (hi - lo + 1) // SAMPLE_WINDOWS
        plan[row.table_name] = [(lo + i * step, lo + i * step + SAMPLE_WINDOW_ROWS - 1) for i in range(SAMPLE_WINDOWS)]
    return plan


def distribution(db: str, plan: dict[str, list[tuple[int, int]]], configured: tuple[str, ...] = ()) -> pd.DataFrame:
    """table_name, tenant, h (md5), row_count, scan ('sample' or 'full') per exact tenant value, in
    one query per database. Sampled tables up to FULL_SCAN ids are also searched in full for rows
    whose tenant is not a configured one (a plain comparison: cheap, and MD5 only on those rows)."""
    parts, params = [], {f"cfg{i}": c for i, c in enumerate(configured)}
    other = " AND ".join(f"tenant <> :cfg{i}" for i in range(len(configured))) or "1 = 1"
    for i, (table, ranges) in enumerate(plan.items()):
        where, scan = "", "full"
        if ranges:
            conds = []
            for j, (a, b) in enumerate(ranges):
                params[f"a{i}_{j}"], params[f"b{i}_{j}"] = a, b
                conds.append(f"id BETWEEN :a{i}_{j} AND :b{i}_{j}")
            where, scan = " WHERE " + " OR ".join(conds), "sample"
            if ranges[-1][1] - ranges[0][0] <= FULL_SCAN:
                parts.append(f"SELECT '{table}' AS table_name, MIN(tenant) AS tenant, MD5(tenant) AS h, "
                             f"COUNT(*) AS row_count, 'full' AS scan FROM {db}.{table} "
                             f"WHERE ({other}) OR tenant IS NULL GROUP BY MD5(tenant)")
        parts.append(f"SELECT '{table}' AS table_name, MIN(tenant) AS tenant, MD5(tenant) AS h, "
                     f"COUNT(*) AS row_count, '{scan}' AS scan FROM {db}.{table}{where} GROUP BY MD5(tenant)")
    if not parts:
        return pd.DataFrame(columns=["table_name", "tenant", "h", "row_count", "scan"])
    return sources.read(db, " UNION ALL ".join(parts), params)


def rows_with_tenant(db: str, table: str, h: str | None, limit: int = 200) -> pd.DataFrame:
    """Drill-down: up to `limit` rows of `table` whose tenant is exactly the value hashing to h."""
    cond = "tenant IS NULL" if h is None else "MD5(tenant) = :h"
    return sources.read(db, f"SELECT * FROM {db}.{table} WHERE {cond} ORDER BY id LIMIT {int(limit)}",
                        {} if h is None else {"h": h})


def order_currency_groups() -> pd.DataFrame:
    """Orders (any status) per shop and exact currency value: shop_id, currency_code, h, orders,
    completed, revenue (completed pay_money)."""
    return sources.read("luckyus_sales_order", f"""
        SELECT shop_id, MIN(currency_code) AS currency_code, MD5(currency_code) AS h,
               COUNT(*) AS orders, SUM(CASE WHEN status = {ORDER_COMPLETED} THEN 1 ELSE 0 END) AS completed,
               SUM(CASE WHEN status = {ORDER_COMPLETED} THEN pay_money ELSE 0 END) AS revenue
        FROM luckyus_sales_order.t_order
        GROUP BY shop_id, MD5(currency_code)""")


def orders_with_currency(pairs: list[tuple[int, str | None]]) -> pd.DataFrame:
    """Orders whose (shop, exact currency) is one of `pairs` (hash None = NULL currency), in one scan."""
    cols = ["order_no", "shop_id", "shop_name", "currency_code", "status", "pay_money", "create_time"]
    if not pairs:
        return pd.DataFrame(columns=cols)
    conds, params = [], {}
    for i, (shop, h) in enumerate(pairs):
        params[f"s{i}"] = int(shop)
        if h is None:
            conds.append(f"(shop_id = :s{i} AND currency_code IS NULL)")
        else:
            conds.append(f"(shop_id = :s{i} AND MD5(currency_code) = :h{i})")
            params[f"h{i}"] = h
    return sources.read("luckyus_sales_order", f"""
        SELECT {', '.join(cols)} FROM luckyus_sales_order.t_order
        WHERE shop_id IN :shops AND ({' OR '.join(conds)})""", {**params, "shops": sorted({p[0] for p in pairs})})
