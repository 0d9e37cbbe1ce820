"""What a real trading shop is, and how a tool scopes, orders and flags the others.

Pure functions on the shop frame of `lucky.queries.shops.shops()` (columns shop_id, test_flag,
internal, currency_code, ...): no I/O, so every tool, page and the CLI apply one rule.
"""
from __future__ import annotations

import pandas as pd

from lucky.core import Filters, Option, Output

#: The one definition, used by every tool, page and the CLI: a real trading shop is neither a
#: test store (`test_flag`, which covers the Cook Islands NZD test market) nor an internal shop
#: (`internal`: office pantry, training bar, R&D kitchen). Default views and totals count real
#: shops only; "include test and internal shops" (the `include_test` option) adds the others,
#: and they are then always flagged (`shop_kind`).
INCLUDE_TEST = Option("include_test", bool, False,
                      "include test stores, the Cook Islands test market and internal shops "
                      "(flagged in a shop_kind column)", label="Include test and internal shops")
KINDS = ("real", "test", "internal")


def kind(df: pd.DataFrame) -> pd.Series:
    """'real', 'test' or 'internal' per shop row (internal wins over test)."""
    test = pd.to_numeric(df["test_flag"], errors="coerce").fillna(0).astype(int) != 0
    internal = pd.to_numeric(df["internal"], errors="coerce").fillna(0).astype(int) != 0
    return pd.Series(["internal" if i else "test" if t else "real" for t, i in zip(test, internal)],
                     index=df.index, dtype=object)


def is_real(df: pd.DataFrame) -> pd.Series:
    """True for real trading shops (the definition above)."""
    return kind(df) == "real"


def in_scope(df: pd.DataFrame, stores: tuple[int, ...] = (), include_test: bool = False) -> pd.DataFrame:
    """The shops a view covers: the stores picked by hand (any kind: picking one is asking for
    it), else every real shop, plus test and internal ones when `include_test`."""
    if stores:
        return df[df["shop_id"].isin(stores)]
    return df if include_test else df[is_real(df)]


def test_market(currency: str, df: pd.DataFrame) -> bool:
    """True when no real shop trades in `currency` (NZD: the Cook Islands test market), so a
    view in that currency is a request for its test shops (flagged like any other)."""
    return not bool((is_real(df) & (df["currency_code"] == currency)).any())


def scope(filters: Filters, df: pd.DataFrame, include_test: bool = False) -> Filters:
    """`filters` with its stores made explicit: unchanged when stores were picked, test shops
    are included or the currency is a test market, else the real shops' ids, so every query of
    the tool leaves the others out."""
    if filters.stores or include_test or test_market(filters.currency, df):
        return filters
    ids = tuple(int(s) for s in in_scope(df)["shop_id"])
    return filters.with_stores(ids or (-1,))   # -1: no real shop at all matches nothing


def flag(table: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """Add `shop_kind` after `shop_id`/`shop_name` when a row belongs to a test or internal shop."""
    if "shop_id" not in table.columns or "shop_kind" in table.columns or table.empty:
        return table
    kinds = dict(zip(df["shop_id"], kind(df)))
    col = table["shop_id"].map(lambda s: kinds.get(s, "") if pd.notna(s) else "")
    if not (col.isin(("test", "internal"))).any():
        return table
    out = table.copy()
    at = list(out.columns).index("shop_name") + 1 if "shop_name" in out.columns else \
        list(out.columns).index("shop_id") + 1
    out.insert(at, "shop_kind", col.replace("real", ""))
    return out


def real_first(table: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """Rows of real shops before test and internal ones, keeping the order within each group."""
    if "shop_id" not in table.columns or table.empty:
        return table
    rank = table["shop_id"].map(dict(zip(df["shop_id"], kind(df).map({"real": 0, "test": 1, "internal": 2}))))
    return table.assign(_r=rank.fillna(0)).sort_values("_r", kind="stable").drop(columns="_r")


def finish(out: Output, df: pd.DataFrame, include_test: bool = False) -> Output:
    """Every table of a tool's output with real shops first and test/internal ones flagged."""
    for name, table in list(out.tables.items()):
        if isinstance(table, pd.DataFrame):
            out.tables[name] = real_first(flag(table, df), df).reset_index(drop=True)
    if include_test:
        out.note("info", "Test stores, the Cook Islands test market and internal shops are included "
                         "on request; their rows are marked in the shop_kind column.")
    return out
