"""Who may see what: page access by role, store-manager row filtering, PII masking.

Applied centrally in `lucky.tools.execute`, so no page or tool can forget it.
"""
from __future__ import annotations

import re

import pandas as pd

from lucky.core import Filters, Output, Tool, Viewer
from lucky.errors import LuckyError

PHONE_COLUMNS = re.compile(r"(^|_)(phone|mobile|tel)($|_)", re.I)
EMAIL_COLUMNS = re.compile(r"(^|_)e?mail($|_)", re.I)
SHOP_COLUMNS = ("shop_id",)


class AccessDenied(LuckyError):
    """The viewer's role may not open this tool; the message says which roles may."""


def require(tool: Tool, viewer: Viewer) -> None:
    if not tool.allows(viewer):
        allowed = ", ".join(sorted(tool.roles | {"admin"}))
        raise AccessDenied(
            f"{tool.title} is for {allowed}; you are signed in as {viewer.role}. "
            "Ask an admin to change your role mapping if you need it.")


def clamp_filters(filters: Filters, viewer: Viewer) -> Filters:
    """A store manager's store filter is always within their own shops."""
    if viewer.role != "store_manager":
        return filters
    mine = set(viewer.shop_ids)
    chosen = set(filters.stores) & mine if filters.stores else mine
    return filters.with_stores(tuple(chosen or {-1}))  # -1: no shop, so no rows


def mask_phone(value: object) -> object:
    """`+1 212-555-0123` -> `+1 212-***-**23`: keeps the area code and last two digits."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    text = str(value)
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    hidden = set(digits[4:-2]) if len(digits) > 6 else set(digits[:-2])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask_email(value: object) -> object:
    """`jane.doe@example.com` -> `j***@example.com`."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    text = str(value)
    local, at, domain = text.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"


def mask_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Mask every phone and email column, by column name."""
    out = df
    for col in df.columns:
        name = str(col)
        fn = mask_phone if PHONE_COLUMNS.search(name) else mask_email if EMAIL_COLUMNS.search(name) else None
        if fn is not None:
            out = out.copy() if out is df else out
            out[col] = out[col].map(fn)
    return out


def restrict_rows(df: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """Keep a store manager's shops in any table that has a shop column."""
    if viewer.role != "store_manager":
        return df
    for col in SHOP_COLUMNS:
        if col in df.columns:
            return df[df[col].isin(viewer.shop_ids)].reset_index(drop=True)
    return df


def apply(output: Output, viewer: Viewer) -> Output:
    tables = {}
    for name, df in output.tables.items():
        df = restrict_rows(df, viewer)
        tables[name] = df if viewer.is_admin else mask_frame(df)
    output.tables = tables
    return output
