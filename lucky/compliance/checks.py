"""The compliance checklist: each check is a named rule whose findings are rows from an existing
tool or a source query. Checks built on other tools run them through `lucky.tools.execute` with
the viewer who asked, so a finding count equals what that person sees on the tool's own page,
and a role that may not open the tool gets "could not run" instead of a pass.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from lucky import tools
from lucky.core import Filters, Output, Viewer
from lucky.models import compliance as cm
from lucky.models import timezones as tzm
from lucky.queries import compliance as q
from lucky.queries import shops as shop_q

CATEGORIES = ("Tax", "Payment", "Food Safety", "Financial Controls")
#: column names that would mean full card data is kept (PCI DSS: keep brand and last four only)
CARD_COLUMNS = re.compile(r"(^|_)(pan|card_?no|card_?number|cvv|cvc|cvv2|expiry|exp_month|exp_year|track_?\d?)$",
                          re.I)
CARD_BRANDS = {"visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay"}
MATCH_KINDS = ("missing_payment", "amount_mismatch", "duplicate_charge")
WORKERS = 4
#: the tools the checks reuse, slowest first: they start before any check so that no worker sits
#: waiting on a tool another check has not started yet
SHARED_TOOLS = ("reconciliation", "tax-gap")


@dataclass
class Context:
    """What every check of one run shares: the parameters and each tool's output, run once."""

    filters: Filters
    viewer: Viewer
    _outputs: dict[str, Output] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def _once(self, key: str, make: Callable):
        """`make()` computed once per run even when checks on several threads ask at once
        (a failure is not kept: each asking check reports it)."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._outputs:
                self._outputs[key] = make()
            return self._outputs[key]

    def tool(self, slug: str) -> Output:
        return self._once(slug, lambda: tools.execute(slug, self.filters, self.viewer))

    def shops(self) -> pd.DataFrame:
        return self._once("_shops", shop_q.shops)

    def local(self, rows: pd.DataFrame, ts_col: str = "create_time") -> pd.DataFrame:
        """Rows with their store-local business_date, cut to the filter's days."""
        return tzm.on_business_days(rows, self.shops(), self.filters.start, self.filters.end,
                                    ts_col).drop(columns="local_time")


@dataclass(frozen=True)
class Check:
    check_id: str
    category: str
    title: str
    severity: str           # critical / major / minor (weights 3 / 2 / 1 in the score)
    source: str             # where the findings come from, in words
    find: Callable[[Context], pd.DataFrame]


@dataclass
class Result:
    check: Check
    status: str
    findings: int | None
    rows: pd.DataFrame | None
    reason: str = ""


# ------------------------------------------------------------------ the checks
def _tax_exceptions(ctx: Context) -> pd.DataFrame:
    return ctx.tool("tax-gap").tables.get("exceptions", pd.DataFrame())


def _fi_tax(ctx: Context) -> pd.DataFrame:
    fi = ctx.tool("tax-gap").tables["fi-tax"]
    return fi[fi["row_count"] == 0].reset_index(drop=True)


def _filing(ctx: Context) -> pd.DataFrame:
    ledger = ctx.tool("tax-gap").tables.get("quarterly-ledger", pd.DataFrame())
    if ledger.empty:
        return ledger
    off = ledger[ledger["gap"].abs() >= 0.01]
    return off.assign(business_date=pd.to_datetime(off["quarter_start"])).reset_index(drop=True)


def _rec(ctx: Context, kinds: tuple[str, ...]) -> pd.DataFrame:
    exc = ctx.tool("reconciliation").tables.get("exceptions", pd.DataFrame())
    if exc.empty:
        return exc
    return exc[exc["kind"].isin(kinds)].reset_index(drop=True)


def _fee_records(ctx: Context) -> pd.DataFrame:
    f = ctx.filters
    rows = q.charges_without_fee(f.start, f.end, f.stores)
    rows = rows[rows["currency_code"] == f.currency]
    return ctx.local(rows).reset_index(drop=True)


def _card_data(ctx: Context) -> pd.DataFrame:
    cols = q.payment_columns()
    bad_cols = cols[cols["column_name"].map(lambda c: bool(CARD_COLUMNS.search(str(c))))]
    found = [pd.DataFrame({"table_name": bad_cols["table_name"], "field": bad_cols["column_name"],
                           "value": "", "methods": None, "problem": "column that holds full card data"})]
    cards = q.stored_card_data()
    last4 = cards["card_last4"].fillna("").astype(str)
    bad_last4 = cards[~last4.str.fullmatch(r"\d{4}")]
    found.append(pd.DataFrame({"table_name": "t_user_channel", "field": "card_last4",
                               "value": bad_last4["card_last4"].astype(str).str.slice(0, 4) + "…",
                               "methods": bad_last4["methods"], "problem": "more than the last four digits"}))
    brand = cards["card_brand"].fillna("").astype(str).str.lower()
    bad_brand = cards[~brand.isin(CARD_BRANDS)].groupby("card_brand", dropna=False)["methods"].sum().reset_index()
    found.append(pd.DataFrame({"table_name": "t_user_channel", "field": "card_brand",
                               "value": bad_brand["card_brand"].astype(str), "methods": bad_brand["methods"],
                               "problem": "not a card brand"}))
    return pd.concat([f for f in found if len(f)], ignore_index=True) if any(len(f) for f in found) \
        else pd.DataFrame(columns=["table_name", "field", "value", "methods", "problem"])


def _hold_time(ctx: Context) -> pd.DataFrame:
    f = ctx.filters
    rows = ctx.local(q.long_productions(f.start, f.end, f.stores))
    secs = (pd.to_datetime(rows["done_time"]) - pd.to_datetime(rows["accept_time"])).dt.total_seconds()
    return rows.assign(production_seconds=secs).reset_index(drop=True)


def _events(code: str) -> Callable[[Context], pd.DataFrame]:
    def find(ctx: Context) -> pd.DataFrame:
        f = ctx.filters
        return ctx.local(q.device_events(f.start, f.end, f.stores, (code,))).reset_index(drop=True)
    return find


CHECKS: tuple[Check, ...] = (
    Check("tax.statutory_rate", "Tax", "Every completed USD item carries NYC's 8.875% sales tax", "critical",
          "tax-gap: exceptions", _tax_exceptions),
    Check("tax.fi_tax_live", "Tax", "Tax records flow to luckyus_fi_tax", "major",
          "tax-gap: fi-tax (empty tables)", _fi_tax),
    Check("tax.filing_summaries", "Tax", "Quarterly filing summaries: collected equals tax due", "major",
          "tax-gap: quarterly-ledger (rows with a gap)", _filing),
    Check("payment.fee_records", "Payment", "Every successful charge has a fee record", "major",
          "luckyus_sales_payment: t_trade without t_channel_fee", _fee_records),
    Check("payment.orphan_payments", "Payment", "No orphan payments (a charge without its order)", "critical",
          "reconciliation: exceptions (orphan_payment)", lambda ctx: _rec(ctx, ("orphan_payment",))),
    Check("payment.card_data", "Payment", "Card data kept to brand and last four (PCI DSS)", "critical",
          "luckyus_sales_payment: columns and t_user_channel", _card_data),
    Check("food.hold_time", "Food Safety", "Drinks finished within 30 minutes (temperature risk)", "critical",
          "luckyus_opproduction: t_production accept→done > 1800 s", _hold_time),
    Check("food.milk_temperature", "Food Safety", "No milk-temperature errors on the machines", "major",
          f"luckyus_iot_platform: t_device_event {q.MILK_TEMPERATURE}", _events(q.MILK_TEMPERATURE)),
    Check("food.cleaning", "Food Safety", "Daily cleaning programs run on time", "major",
          f"luckyus_iot_platform: t_device_event {q.CLEANING} (cleaning overdue)", _events(q.CLEANING)),
    Check("finance.three_way_match", "Financial Controls", "Order → payment match (three-way match, leg 1)",
          "critical", "reconciliation: exceptions (missing_payment, amount_mismatch, duplicate_charge)",
          lambda ctx: _rec(ctx, MATCH_KINDS)),
    Check("finance.income_bills", "Financial Controls", "Payment → accounting income bill (three-way match, leg 2)",
          "major", "reconciliation: exceptions (missing_income_bill)",
          lambda ctx: _rec(ctx, ("missing_income_bill",))),
)


def by_id(check_id: str) -> Check:
    return next(c for c in CHECKS if c.check_id == check_id)


def run_all(filters: Filters, viewer: Viewer, checks: tuple[Check, ...] = CHECKS) -> list[Result]:
    """Run every check; a check whose source or tool fails (or that the viewer may not open) is
    "could not run" with the reason, and the others still run."""
    ctx = Context(filters, viewer)

    def one(check: Check) -> Result:
        try:
            rows = check.find(ctx)
        except Exception as exc:  # noqa: BLE001 - any failure means the check did not run, never a pass
            return Result(check, cm.NOT_RUN, None, None, f"{type(exc).__name__}: {exc}")
        return Result(check, cm.verdict(len(rows)), len(rows), rows)

    def warm(slug: str) -> None:
        try:
            ctx.tool(slug)
        except Exception:  # noqa: BLE001 - not kept: the checks that read the tool run it again and report
            pass

    # the slow sources (reconciliation, tax-gap, the payment scans) overlap on threads
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for slug in SHARED_TOOLS:
            pool.submit(warm, slug)
        return list(pool.map(one, checks))
