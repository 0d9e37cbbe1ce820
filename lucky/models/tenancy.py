"""Tenant isolation checks: unknown tenant values, currency contamination, test-store inflation.

Values are compared here, in Python, byte for byte: MySQL's default collations compare
case-insensitively and ignore trailing spaces, so `WHERE tenant = 'LKUS'` would pass `lkus` and
`'LKUS '`. The queries group by an exact hash of the value and leave the judging to this module.
"""
from __future__ import annotations

import pandas as pd

#: the currency of a market when the store row does not say (zone prefix -> ISO currency)
ZONE_CURRENCY: dict[str, str] = {"America/": "USD", "Pacific/Rarotonga": "NZD", "Pacific/Auckland": "NZD"}


def configured_tenants(setting: str | None) -> tuple[str, ...]:
    """Tenants from a comma-separated setting; `LKUS` (Luckin US) when unset."""
    values = tuple(v.strip() for v in (setting or "LKUS").split(",") if v.strip())
    return values or ("LKUS",)


def judge_tenants(dist: pd.DataFrame, configured: tuple[str, ...]) -> pd.DataFrame:
    """dist: database, table, tenant, rows (+ sampled). Adds `known` and a readable `shown` value
    (NULL, empty and whitespace made visible)."""
    out = dist.copy()
    out["known"] = out["tenant"].map(lambda v: isinstance(v, str) and v in configured)
    out["shown"] = out["tenant"].map(_visible)
    return out


def _visible(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "NULL"
    text = str(value)
    return repr(text) if text != text.strip() or not text else text


def store_currency(shops: pd.DataFrame) -> pd.Series:
    """shop_id -> the currency the store trades in: its own currency_code, else its zone's."""
    def one(row) -> str | None:
        code = row.get("currency_code")
        if isinstance(code, str) and code.strip():
            return code
        zone = row.get("time_zone")
        if isinstance(zone, str):
            for prefix, cur in ZONE_CURRENCY.items():
                if zone.startswith(prefix):
                    return cur
        return None
    return pd.Series([one(r) for r in shops.to_dict("records")], index=shops["shop_id"].values)


def currency_mismatch(groups: pd.DataFrame, shops: pd.DataFrame) -> pd.DataFrame:
    """groups: shop_id, currency_code, orders, revenue. Keeps the groups whose currency is not
    exactly the store's (a shop with no known currency is a mismatch for every order)."""
    expected = groups["shop_id"].map(store_currency(shops))
    out = groups.assign(store_currency=expected)
    bad = out["currency_code"].combine(out["store_currency"], lambda a, b: not (isinstance(a, str) and a == b))
    return out[bad.astype(bool)].reset_index(drop=True)


def test_shops(shops: pd.DataFrame) -> pd.DataFrame:
    """Stores flagged test or internal."""
    flag = (shops["test_flag"].fillna(0).astype(int) != 0) | (shops["internal"].fillna(0).astype(int) != 0)
    return shops[flag].reset_index(drop=True)


def inflation(per_shop: pd.DataFrame, shops: pd.DataFrame) -> dict:
    """How much test and internal stores inflate completed orders and revenue.

    per_shop: shop_id, currency_code, orders, revenue. Returns counts, shares of the total and the
    inflation over the real figure. Revenue is only comparable within one currency, so the
    revenue share is what a report summing every currency as dollars would overstate.
    """
    flagged = set(test_shops(shops)["shop_id"])
    is_test = per_shop["shop_id"].isin(flagged)
    test_orders, all_orders = int(per_shop.loc[is_test, "orders"].sum()), int(per_shop["orders"].sum())
    test_rev, all_rev = float(per_shop.loc[is_test, "revenue"].sum()), float(per_shop["revenue"].sum())
    real_orders, real_rev = all_orders - test_orders, all_rev - test_rev
    return {
        "test_orders": test_orders, "all_orders": all_orders,
        "orders_share": test_orders / all_orders if all_orders else 0.0,
        "orders_inflation": test_orders / real_orders if real_orders else 0.0,
        "test_revenue": test_rev, "all_revenue": all_rev,
        "revenue_share": test_rev / all_rev if all_rev else 0.0,
        "revenue_inflation": test_rev / real_rev if real_rev else 0.0,
    }


def checklist(tenants: pd.DataFrame, mismatches: pd.DataFrame, databases: list[str]) -> pd.DataFrame:
    """Pass/fail per database: every tenant value known, and (for the order database) no order in
    a currency its store does not use. tenants: judge_tenants output; mismatches: per-order rows
    with a `database` column."""
    rows = []
    for db in databases:
        t = tenants[tenants["database"] == db]
        unknown = t[~t["known"]]
        m = mismatches[mismatches["database"] == db] if "database" in mismatches else mismatches.iloc[0:0]
        problems = []
        if len(unknown):
            vals = ", ".join(sorted(set(unknown["shown"])))
            problems.append(f"{int(unknown['rows'].sum())} rows with unknown tenant ({vals}) in "
                            f"{unknown['table'].nunique()} table(s)")
        if len(m):
            problems.append(f"{len(m)} orders in a currency their store does not use")
        rows.append({
            "database": db, "status": "fail" if problems else "pass",
            "tables": int(t["table"].nunique()), "rows_checked": int(t["rows"].sum()),
            "sampled_tables": int(t.loc[t["sampled"], "table"].nunique()) if "sampled" in t else 0,
            "findings": "; ".join(problems) or "all tenant values are configured",
        })
    return pd.DataFrame(rows)
