"""Tool 9, Tax Compliance Gap Tracker: audits the sales tax on every completed USD order item
against NYC's 8.875%, summarises collected vs expected per month and store, prepares the NY
sales-tax-quarter ledger, and watches `luckyus_fi_tax` for the day the integration goes live."""
from __future__ import annotations

import copy

import altair as alt
import pandas as pd

from lucky.core import Filters, Kpi, Output, Tool, Viewer
from lucky.models import shops as real_shops
from lucky.models import tax
from lucky.models.tenancy import store_currency
from lucky.models.timezones import known_zone
from lucky.queries import shops as shop_q
from lucky.queries import tax as tax_q
from lucky.tools import _memo
from lucky.ui import formats

CURRENCY = "USD"
#: display names that say what the number is (and get the money format)
SHOWN = {"taxable": "taxable_sales", "collected": "tax_collected", "expected": "tax_expected",
         "recorded": "tax_recorded", "difference": "tax_difference", "rate": "tax_rate"}


def _audited_shops(shops: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Stores that trade in USD (the NYC jurisdiction), narrowed to the store filter."""
    cur = store_currency(shops)
    usd = shops[shops["shop_id"].map(cur) == CURRENCY]
    return usd[usd["shop_id"].isin(filters.stores)] if filters.stores else usd


def _keyed(df: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    out = df.copy()
    out["month"] = out["business_date"].dt.to_period("M").dt.to_timestamp()
    quarters = {d: tax.tax_quarter(d)[0] for d in out["business_date"].dropna().unique()}
    out["quarter_start"] = out["business_date"].map(quarters)
    out["shop_name"] = out["shop_id"].map(names)
    out["rate"] = pd.to_numeric(out["tax_rate"] if "tax_rate" in out else out["rate"], errors="coerce").round(5)
    return out


def _fi_tax(out: Output) -> pd.DataFrame:
    counts = tax_q.fi_tax_counts()
    counts["row_count"] = counts["row_count"].astype(int)
    counts["status"] = counts["row_count"].map(lambda n: "populated" if n else "empty")
    filled = counts[counts["row_count"] > 0]
    if filled.empty:
        out.note("warning", f"luckyus_fi_tax is still empty: 0 rows in all {len(counts)} tables. Tax is "
                            "captured on order items but is not flowing to the tax system; the ledger "
                            "below is the stop-gap for filing.")
    else:
        since = pd.to_datetime(filled["first_row"]).min()
        out.note("success", f"Integration live: luckyus_fi_tax has {int(filled['row_count'].sum()):,} rows in "
                            f"{', '.join(filled['table_name'])} (first row {since:%Y-%m-%d %H:%M} UTC). "
                            "Reconcile it against this audit before the next filing.")
    return counts


def run(filters: Filters, viewer: Viewer, include_test: bool = False) -> Output:
    """The whole output (it does not depend on the viewer: `execute` applies their rights after),
    kept per data version and filters (`_memo`): compliance and the briefing run this tool too,
    and the item audit joins every order item at the source."""
    key = _memo.source_key(*TOOL.sources) + (filters, include_test)
    return copy.deepcopy(_memo.memo("tax-gap.output", key, lambda: _run(filters, include_test)))


def _run(filters: Filters, include_test: bool) -> Output:
    out = Output()
    fi = _fi_tax(out)
    if filters.currency != CURRENCY:
        out.note("info", f"Sales tax is audited for USD stores (NYC {tax.NYC_RATE:.3%}); {filters.currency} "
                         "stores are test stores with their own rates. Showing the USD audit.")
    shops = shop_q.shops()
    filters = real_shops.scope(filters, shops, include_test)
    audited = _audited_shops(shops, filters)
    names = shops.set_index("shop_id")["shop_name"]
    if audited.empty:
        out.note("info", "No USD store matches the store filter: nothing to audit.")
        out.tables["fi-tax"] = fi
        return out
    ids = tuple(int(s) for s in audited["shop_id"])
    parts = tax_q.item_parts(filters.start, filters.end, ids, shops)
    suspects = tax_q.suspect_items(filters.start, filters.end, ids, shops, tax.NYC_RATE, tax.TOLERANCE)

    other = parts[parts["currency_code"] != CURRENCY]
    if len(other):
        out.note("warning", f"{int(other['items'].sum()):,} items of orders recorded in "
                            f"{', '.join(sorted(map(str, other['currency_code'].unique())))} at USD stores were left "
                            "out of the audit: see tenant-audit's currency-mismatch table.")
    parts = parts[parts["currency_code"] == CURRENCY]
    suspects = suspects[suspects["currency_code"] == CURRENCY]
    zoneless = audited.loc[~audited["time_zone"].map(known_zone), "shop_id"]
    if parts["shop_id"].isin(zoneless).any():
        out.note("warning", "Stores without a usable time zone have their items placed on the UTC day "
                            f"(shops {', '.join(map(str, zoneless))}): fix t_shop_info.time_zone.")
    if parts.empty:
        out.note("info", "No completed USD order items in this date range.")
        out.tables["fi-tax"] = fi
        return out

    items = tax.classify(suspects) if len(suspects) else suspects.assign(kind=None, difference=0.0)
    items["shop_name"] = items["shop_id"].map(names)
    exc_items = _keyed(items[items["kind"].notna()], names)
    exceptions = tax.exceptions(suspects.assign(shop_name=suspects["shop_id"].map(names)))
    parts = _keyed(parts, names)

    monthly = tax.summarize(parts, exc_items, ["month", "shop_id", "shop_name"])
    quarterly = tax.ledger(tax.summarize(parts, exc_items, ["quarter_start", "shop_id", "shop_name", "rate"]))
    total = tax.summarize(parts.assign(all=1), exc_items.assign(all=1), ["all"]).iloc[0]
    counts = exceptions["kind"].value_counts()

    out.kpis = [
        Kpi("Items audited", int(total["items"])),
        Kpi("Tax collected", float(total["collected"]), "$"),
        Kpi("Tax expected", float(total["expected"]), "$", help=f"Taxable amount x {tax.NYC_RATE:.3%}, per item, rounded to the cent"),
        Kpi("Gap (under-collected)", float(total["gap"]), "$"),
        Kpi("Orders missing tax", int(counts.get("missing_tax", 0))),
        Kpi("Orders at a wrong rate", int(counts.get("wrong_rate", 0))),
        Kpi("Orders with an amount error", int(counts.get("amount_error", 0))),
        Kpi("fi_tax rows", int(fi["row_count"].sum()), help="0 until the tax integration goes live"),
    ]
    if exceptions.empty:
        out.note("success", "Every audited item carries the statutory tax.")
    out.charts["monthly-gap"] = _chart(monthly, CURRENCY)   # the audit covers USD stores
    out.tables["exceptions"] = exceptions.assign(
        business_date=pd.to_datetime(exceptions["business_date"]).dt.date).rename(columns=SHOWN)
    out.tables["monthly"] = monthly.assign(month=monthly["month"].dt.strftime("%Y-%m")).rename(columns=SHOWN)
    out.tables["quarterly-ledger"] = quarterly.rename(columns=SHOWN)
    out.tables["fi-tax"] = fi
    return real_shops.finish(out, shops, include_test)


def _chart(monthly: pd.DataFrame, currency: str) -> alt.Chart:
    """The gap itself per month (collected minus expected): side-by-side bars of two totals
    of ~$20K cannot show a $20 difference."""
    m = monthly.groupby("month")[["collected", "expected"]].sum().reset_index()
    m["gap"] = (m["collected"] - m["expected"]).round(2)
    m["side"] = m["gap"].map(lambda g: "over-collected" if g > 0 else "under-collected")
    m["month_label"] = pd.to_datetime(m["month"]).dt.strftime("%b %Y")
    return alt.Chart(m).mark_bar().encode(
        x=alt.X("month_label:O", title="Month", sort=None),     # only the months with data
        y=alt.Y("gap:Q", title=formats.money_title("Collected minus expected sales tax", currency)),
        color=alt.Color("side:N", scale=alt.Scale(domain=["under-collected", "over-collected"],
                                                  range=["#c62828", "#1565c0"]), title=None),
        tooltip=["month_label:O", alt.Tooltip("collected:Q", **formats.money_tooltip("collected", currency)),
                 alt.Tooltip("expected:Q", **formats.money_tooltip("expected", currency)),
                 alt.Tooltip("gap:Q", **formats.money_tooltip("gap", currency))])


TOOL = Tool(
    slug="tax-gap", number=9, title="Tax Compliance Gap Tracker", department="Finance",
    roles=frozenset({"finance"}), sources=("luckyus_sales_order", "luckyus_opshop", "luckyus_fi_tax"),
    run=run, options=(real_shops.INCLUDE_TEST,), icon=":material/receipt_long:",
    description="NYC sales tax audit of every completed USD order item, the quarterly filing ledger, "
                "and the fi_tax integration watch.",
    precompute=True,
)
