"""Tool 2, Multi-Tenant Data Isolation Auditor: the tenant values of every table in every source
database checked against the configuration, orders in a currency their store does not use, the
test and internal stores, and how much they inflate the totals; a pass/fail checklist per database
with drill-down rows."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from lucky import config
from lucky.core import Filters, Kpi, Output, Tool, Viewer
from lucky.errors import SourceError
from lucky.models import shops as real_shops
from lucky.models import tenancy
from lucky.models.timezones import localize
from lucky.queries import orders as order_q
from lucky.queries import payments
from lucky.queries import shops as shop_q
from lucky.queries import tenant as tenant_q
from lucky.schema import DATABASES

DRILL_ROWS = 50
WORKERS = 6


def _audit_db(db: str, configured: tuple[str, ...]) -> pd.DataFrame:
    """One database: its tenant tables, the sampling plan, and the exact value counts."""
    tables = tenant_q.tenant_tables(db)
    plan = tenant_q.sample_plan(tenant_q.id_spans(db, tables)) if tables else {}
    dist = tenant_q.distribution(db, plan, configured)
    dist["database"] = db
    dist["ranges"] = dist["table_name"].map(lambda t: plan.get(t, []))
    empty = [t for t in plan if t not in set(dist["table_name"])]
    if empty:
        dist = pd.concat([dist, pd.DataFrame({"database": db, "table_name": empty, "tenant": None, "h": None,
                                              "row_count": 0, "scan": "full", "ranges": [[]] * len(empty)})],
                         ignore_index=True)
    return dist


def _distributions(out: Output, configured: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Tenant distribution of every database, several databases at a time (in production each is
    its own server); an unreachable database is reported, not fatal."""
    frames, failures = [], {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {db: pool.submit(_audit_db, db, configured) for db in DATABASES}
        for db, fut in futures.items():
            try:
                frames.append(fut.result())
            except SourceError as exc:
                failures[db] = exc.reason
    if failures:
        out.note("error", "Could not audit " + "; ".join(f"{db} ({why})" for db, why in failures.items()))
    cols = ["database", "table", "tenant", "h", "rows", "scan", "sampled", "coverage"]
    if not frames:
        return pd.DataFrame(columns=cols), failures
    dist = _merge_scans(pd.concat(frames, ignore_index=True))
    dist["sampled"] = dist["ranges"].map(bool)
    dist["coverage"] = [_coverage(r, scan) for r, scan in zip(dist["ranges"], dist["scan"])]
    return dist.rename(columns={"table_name": "table", "row_count": "rows"})[cols], failures


def _merge_scans(dist: pd.DataFrame) -> pd.DataFrame:
    """A value counted both in a sample and in the full search keeps the full count."""
    if dist.empty:
        return dist
    dist = dist.assign(full=dist["scan"] == "full").sort_values("full", ascending=False, kind="stable")
    return dist.drop_duplicates(["database", "table_name", "h"]).drop(columns="full").reset_index(drop=True)


def _coverage(ranges: list[tuple[int, int]], scan: str) -> str:
    if not ranges:
        return "full table"
    if scan == "full":
        return "unknown value: counted over the full table"
    return f"sampled {len(ranges)} id ranges of {ranges[0][1] - ranges[0][0] + 1:,} ids"


def _currency(shops: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    groups = tenant_q.order_currency_groups()
    bad = tenancy.currency_mismatch(groups, shops)
    cols = ["order_no", "shop_id", "shop_name", "currency_code", "store_currency", "status", "pay_money",
            "utc_time", "local_time", "business_date"]
    pairs = [(int(r.shop_id), None if pd.isna(r.h) else str(r.h)) for r in bad.itertuples()]
    rows = tenant_q.orders_with_currency(pairs)
    if rows.empty:
        return pd.DataFrame(columns=cols), groups
    rows["store_currency"] = rows["shop_id"].map(tenancy.store_currency(shops))
    rows = localize(rows, shops, "create_time").rename(columns={"create_time": "utc_time"})
    rows["business_date"] = rows["business_date"].dt.date
    return rows[cols].sort_values("utc_time").reset_index(drop=True), groups


def run(filters: Filters, viewer: Viewer) -> Output:
    out = Output()
    configured = tenancy.configured_tenants(config.setting("LUCKY_TENANTS"))
    shops = shop_q.shops()
    dist, failures = _distributions(out, configured)
    judged = tenancy.judge_tenants(dist[dist["rows"] > 0], configured)
    unknown = judged[~judged["known"]]

    mismatch, groups = _currency(shops)
    if filters.stores:
        mismatch = mismatch[mismatch["shop_id"].isin(filters.stores)]
    trade_groups = payments.currency_groups()
    trade_bad = tenancy.currency_mismatch(trade_groups.rename(columns={"trades": "orders"}), shops)

    drill = []
    for r in unknown.itertuples():
        rows = tenant_q.rows_with_tenant(r.database, r.table, None if pd.isna(r.h) else r.h, DRILL_ROWS)
        keep = [c for c in ("id", "tenant", "order_no", "shop_id", "user_no", "create_time") if c in rows]
        drill.append(rows[keep].assign(database=r.database, table=r.table))
    drill_df = pd.concat(drill, ignore_index=True) if drill else pd.DataFrame(columns=["database", "table", "id", "tenant"])

    mism_db = mismatch.assign(database="luckyus_sales_order")
    if len(trade_bad):
        mism_db = pd.concat([mism_db, pd.DataFrame({"database": ["luckyus_sales_payment"] * int(trade_bad["orders"].sum())})],
                            ignore_index=True)
    checks = tenancy.checklist(judged.assign(sampled=judged["sampled"].astype(bool)), mism_db, list(DATABASES))
    for db, why in failures.items():
        checks.loc[checks["database"] == db, ["status", "findings"]] = ["fail", f"unreachable: {why}"]

    test = tenancy.test_shops(shops)
    per_shop = order_q.per_store(None)
    inf = tenancy.inflation(per_shop, shops) if len(per_shop) else tenancy.inflation(
        pd.DataFrame(columns=["shop_id", "orders", "revenue"]), shops)
    test_table = test[["shop_id", "shop_name", "time_zone", "currency_code", "test_flag", "internal", "status"]].merge(
        per_shop.groupby("shop_id")[["orders", "revenue"]].sum().reset_index(), on="shop_id", how="left")

    out.kpis = [
        Kpi("Databases failing", int((checks["status"] == "fail").sum()), help=f"of {len(checks)}"),
        Kpi("Tables audited", int(dist["table"].nunique()) if len(dist) else 0),
        Kpi("Unknown tenant values", int(unknown[["database", "table", "shown"]].drop_duplicates().shape[0])),
        Kpi("Currency-mismatched orders", len(mismatch)),
        Kpi("Test/internal stores", len(test)),
        Kpi("Test-store share of orders", round(inf["orders_share"] * 100, 2), "%",
            help=f"{inf['test_orders']:,} of {inf['all_orders']:,} completed orders come from test or internal "
                 f"stores; they inflate real counts by {inf['orders_inflation']:.1%}"),
        Kpi("Test-store share of revenue", round(inf["revenue_share"] * 100, 2), "%",
            help="What a report summing every store and currency as one figure would overstate"),
    ]
    out.note("info", f"Configured tenant(s): {', '.join(configured)} (setting LUCKY_TENANTS). Values are compared "
                     "exactly, byte for byte: `lkus` or `LKUS ` are unknown even where MySQL would call them equal.")
    sampled = dist[dist["sampled"].astype(bool)]["table"].unique() if len(dist) else []
    if len(sampled):
        out.note("info", f"{len(sampled)} big tables were sampled on primary-key ranges "
                         f"({', '.join(sorted(sampled)[:6])}{'...' if len(sampled) > 6 else ''}); those up to "
                         f"{tenant_q.FULL_SCAN:,} ids were also searched in full for values other than the configured "
                         "tenant (on MySQL that search is case-insensitive, so case variants are exact only in the "
                         "sample). The coverage column says how each count was made.")
    if len(unknown):
        out.note("error", "Unknown tenant values: " + "; ".join(
            f"{r.database}.{r.table} = {r.shown} ({int(r.rows):,} rows)" for r in unknown.itertuples()))
    if len(mismatch):
        out.note("error", f"{len(mismatch)} orders carry a currency their store does not use; they are listed in "
                          "currency-mismatch and must be excluded from financial reports.")
    if len(trade_bad):
        out.note("warning", f"{int(trade_bad['orders'].sum())} charges in t_trade are in a currency their store "
                            "does not use.")
    only_test = tenancy.inflation(per_shop, shops.assign(internal=0)) if len(per_shop) else inf
    out.note("info", f"Test and internal stores add {inf['test_orders']:,} completed orders "
                     f"({inf['orders_share']:.1%} of all, +{inf['orders_inflation']:.1%} over real stores); the test "
                     f"stores alone (test_flag, e.g. the Cook Islands NZD stores) {only_test['test_orders']:,} "
                     f"({only_test['orders_share']:.1%} of all completed orders; the report measured ~4.4%).")

    out.tables["checklist"] = checks
    out.tables["currency-mismatch"] = mismatch
    out.tables["unknown-tenants"] = unknown[["database", "table", "shown", "rows", "coverage"]].rename(
        columns={"shown": "tenant"}).reset_index(drop=True)
    out.tables["unknown-tenant-rows"] = drill_df
    out.tables["test-stores"] = test_table
    out.tables["tenant-distribution"] = judged[["database", "table", "shown", "rows", "known", "coverage"]].rename(
        columns={"shown": "tenant"}).reset_index(drop=True)
    return real_shops.finish(out, shops)   # the audit covers every shop by design; test ones flagged


TOOL = Tool(
    slug="tenant-audit", number=2, title="Multi-Tenant Data Isolation Auditor", department="IT / DevOps",
    roles=frozenset({"it", "finance"}), sources=DATABASES, run=run, icon=":material/policy:",
    description="Tenant values across all 18 databases, currency contamination, test-store inflation, "
                "and a pass/fail checklist per database.",
)
