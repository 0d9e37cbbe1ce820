"""The data-quality checks of the report's §2.4, as business rules over facts read from the data.

Each check takes small aggregated frames (no I/O here) and returns a `Finding` whose severity is
decided by the rule, not copied from the report: an fi_tax that starts filling, a loyalty program
that launches or a fixed delivery-address feed turns its finding to OK on the next run.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from lucky.schema import ORDER_COMPLETED

SEVERITIES: tuple[str, ...] = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "OK")
GEO_COLUMNS: tuple[str, ...] = ("country_name", "administrative_area_name", "locality_name")
DELIVERY = 2          # t_order.order_type
COMPLETED = ORDER_COMPLETED
ADDRESS_COVERAGE_OK = 0.99
ADDRESS_COVERAGE_LOW = 0.5


@dataclass(frozen=True)
class Finding:
    """One check's verdict: `severity` is OK when the data passes."""

    check: str
    issue: str
    severity: str
    database: str
    details: str
    measured: float | None = None

    @property
    def failed(self) -> bool:
        return self.severity != "OK"


def _total(counts: pd.DataFrame) -> int:
    return int(counts["row_count"].sum()) if len(counts) else 0


def empty_tax(counts: pd.DataFrame) -> Finding:
    """`luckyus_fi_tax` row counts (table_name, row_count): all empty is a compliance gap."""
    empty = counts[counts["row_count"] == 0]["table_name"].tolist()
    n = len(counts)
    if n and len(empty) == n:
        sev, text = "CRITICAL", f"Zero rows in all {n} tax tables: no sales-tax invoices are recorded"
    elif empty:
        sev, text = "HIGH", f"{len(empty)} of {n} tax tables are empty: {', '.join(empty)}"
    else:
        sev, text = "OK", f"All {n} tax tables hold rows ({_total(counts):,} in total)"
    return Finding("empty_fi_tax", "Tax tables empty", sev, "luckyus_fi_tax", text, float(len(empty)))


def null_geo(shops: pd.DataFrame) -> Finding:
    """Shops with an address but NULL country/state/locality fields."""
    addressed = shops[shops["address"].notna() & (shops["address"].astype(str).str.len() > 0)]
    missing = addressed[list(GEO_COLUMNS)].isna().any(axis=1)
    n, bad = len(addressed), int(missing.sum())
    all_null = [c for c in GEO_COLUMNS if n and addressed[c].isna().all()]
    if not n:
        return Finding("null_geo", "Geographic fields NULL", "OK", "luckyus_opshop",
                       "No shop has an address yet", None)
    if bad == n:
        sev = "HIGH"
        text = (f"{', '.join(all_null) or 'geo fields'} NULL for all {n:,} shops despite addresses"
                if all_null else f"Some geo field is NULL for all {n:,} shops with an address")
    elif bad:
        sev, text = "MEDIUM", f"{bad:,} of {n:,} shops with an address lack country/state/locality"
    else:
        sev, text = "OK", f"Geo fields populated for all {n:,} shops with an address"
    return Finding("null_geo", "Geographic fields NULL", sev, "luckyus_opshop", text,
                   bad / n if n else None)


def nzd_share(per_store: pd.DataFrame, shops: pd.DataFrame) -> Finding:
    """Completed orders per shop and currency (shop_id, currency_code, orders, revenue):
    NZD orders from test stores mixed with USD production data."""
    total = int(per_store["orders"].sum()) if len(per_store) else 0
    nzd = per_store[per_store["currency_code"] == "NZD"]
    n_nzd = int(nzd["orders"].sum()) if len(nzd) else 0
    if not n_nzd:
        return Finding("nzd_orders", "NZD test orders mixed in", "OK", "luckyus_sales_order",
                       "No NZD-denominated completed orders", 0.0)
    flags = shops.set_index("shop_id")["test_flag"] if len(shops) else pd.Series(dtype=float)
    test_shops = int(nzd["shop_id"].map(flags).fillna(0).astype(int).gt(0).sum())
    share = n_nzd / total
    revenue = float(nzd["revenue"].sum()) if "revenue" in nzd else 0.0
    text = (f"{n_nzd:,} NZD-denominated completed orders (NZ${revenue:,.0f}, {share:.1%} of all "
            f"completed orders) from {nzd['shop_id'].nunique()} stores, {test_shops} flagged as test, "
            "mixed with USD production data")
    return Finding("nzd_orders", "NZD test orders mixed in", "MEDIUM", "luckyus_sales_order", text, share)


def empty_loyalty(counts: pd.DataFrame) -> Finding:
    """`luckyus_isalesmembermarketing` row counts: empty tables mean the program never launched."""
    total = _total(counts)
    if total == 0:
        return Finding("empty_loyalty", "Loyalty tables empty", "MEDIUM",
                       "luckyus_isalesmembermarketing",
                       f"All {len(counts)} member-marketing tables are empty: the loyalty program "
                       "has not launched", 0.0)
    return Finding("empty_loyalty", "Loyalty tables empty", "OK", "luckyus_isalesmembermarketing",
                   f"{total:,} member-marketing rows: the program is live", float(total))


def missing_delivery_addresses(by_type: pd.DataFrame, address_rows: int) -> Finding:
    """Delivery orders (order_type 2, any currency) against rows in t_order_delivery_address."""
    total = int(by_type["orders"].sum()) if len(by_type) else 0
    delivery = int(by_type.loc[by_type["order_type"] == DELIVERY, "orders"].sum()) if total else 0
    if not delivery:
        return Finding("delivery_addresses", "Delivery addresses missing", "OK",
                       "luckyus_sales_order", "No delivery orders, so no addresses are needed", None)
    coverage = address_rows / delivery
    share = delivery / total
    if coverage >= ADDRESS_COVERAGE_OK:
        sev = "OK"
    else:
        sev = "MEDIUM" if coverage < ADDRESS_COVERAGE_LOW else "LOW"
    text = (f"{address_rows:,} address rows for {delivery:,} delivery orders ({share:.1%} of orders): "
            f"{min(coverage, 1):.0%} covered")
    return Finding("delivery_addresses", "Delivery addresses missing", sev, "luckyus_sales_order",
                   text, coverage)


def production_outliers(outliers: pd.DataFrame, total: int, threshold_s: int) -> Finding:
    """Productions with accept→done over `threshold_s` or negative (accept_time, done_time)."""
    n = len(outliers)
    if not n:
        return Finding("production_outliers", "Production time outliers", "OK",
                       "luckyus_opproduction",
                       f"No production over {threshold_s:,} s or negative among {total:,}", 0.0)
    seconds = (pd.to_datetime(outliers["done_time"]) - pd.to_datetime(outliers["accept_time"])
               ).dt.total_seconds()
    negative = int((seconds < 0).sum())
    text = (f"{n:,} productions ({n / total:.2%} of {total:,}) take over {threshold_s:,} s"
            f"{f' or end before they start ({negative:,})' if negative else ''}; "
            f"max {seconds.max():,.0f} s ({seconds.max() / 3600:.1f} h)") if total else ""
    return Finding("production_outliers", "Production time outliers", "LOW", "luckyus_opproduction",
                   text, float(seconds.max()))


def duplicate_spu(dupes: pd.DataFrame) -> Finding:
    """spu_codes on several commodity rows (spu_code, n_rows, statuses)."""
    if dupes.empty:
        return Finding("duplicate_spu_code", "Duplicate commodity records", "OK",
                       "luckyus_scm_commodity", "Every spu_code appears once", 0.0)
    both = int((dupes["statuses"] > 1).sum())
    examples = ", ".join(dupes["spu_code"].astype(str).head(3))
    text = (f"{len(dupes):,} spu_codes appear on more than one row ({both:,} with different "
            f"statuses, e.g. online 4 and offline 5): {examples}")
    return Finding("duplicate_spu_code", "Duplicate commodity records", "LOW",
                   "luckyus_scm_commodity", text, float(len(dupes)))


def unavailable(check: str, issue: str, database: str, reason: str) -> Finding:
    """A check that could not run because its source failed: shown, never silently dropped."""
    return Finding(check, issue, "UNKNOWN", database, f"Check could not run: {reason}", None)


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a table, failed ones first by severity."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    df = pd.DataFrame([asdict(f) for f in findings],
                      columns=["check", "issue", "severity", "database", "details", "measured"])
    df["status"] = df["severity"].map(lambda s: "pass" if s == "OK" else "unknown" if s == "UNKNOWN" else "fail")
    # a check that could not run matters more than a pass: it goes just above the passes
    order = df["severity"].map(lambda s: rank.get(s, rank["OK"] - 0.5))
    return df.assign(_o=order).sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
