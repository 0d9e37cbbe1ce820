"""Rendering a tool's Output: KPI cards, messages, charts (Altair, pydeck, graphviz), tables.

Numbers stay numbers: tables are formatted with `st.column_config` from their column names and
dtypes, so the CSV download (named `<slug>_<name>_<filters.label()>.csv`) is numeric too.

Column-name conventions the formats follow (tools name their columns accordingly):
- money: `revenue`, `amount`, `pay_money`, `aov`, `price`, `cost`, `fee`, `tax`, `gap`, ... -> the
  filter's currency ($ or NZ$), 2 decimals; a table with a `currency_code` column of several
  currencies gets plain 2-decimal numbers instead;
- fractions: names ending in `rate`, `share`, `ratio` (0.05 = 5%) -> percent;
  names ending in `pct`/`percent` already hold 0-100 -> `12.3%`;
- ids and codes (`id`, `*_id`, `*_no`, `year`) -> plain integers; other integers -> thousands
  separators; seconds (`*_s`, `*seconds`) -> 1 decimal.
"""
from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd
import streamlit as st

from lucky.core import Filters, Kpi, Output

MAX_ROWS_SHOWN = 10_000
MONEY = re.compile(r"(^|_)(revenue|amount|money|aov|price|cost|costs|fee|fees|tax|gap|sales|"
                   r"spend|budget|deduct|income|expected|recorded|difference|diff|saving|savings)($|_)", re.I)
FRACTION = re.compile(r"(rate|share|ratio)$", re.I)
PERCENT = re.compile(r"(_pct|pct|percent)$", re.I)
IDENT = re.compile(r"(^id$|_id$|_no$|^year$|^rank$|_code$)", re.I)
SECONDS = re.compile(r"(_s$|_sec$|seconds$)", re.I)
LEVEL_ICONS = {"info": ":material/info:", "success": ":material/check_circle:",
               "warning": ":material/warning:", "error": ":material/error:"}


# ------------------------------------------------------------------ KPI cards
def format_kpi(kpi: Kpi) -> str:
    """Display text of one KPI value: `$2,194,799`, `4.4%`, `217.9 s`, `466,252`."""
    value, unit = kpi.value, kpi.unit or ""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, str):
        return f"{unit}{value}" if unit.endswith("$") else f"{value} {unit}".strip()
    if unit.endswith("$"):  # compact above $100K so the card never cuts the figure
        if abs(value) >= 1e6:
            return f"{unit}{value / 1e6:,.2f}M"
        if abs(value) >= 1e5:
            return f"{unit}{value / 1e3:,.1f}K"
        return f"{unit}{value:,.2f}" if abs(value) < 1000 else f"{unit}{value:,.0f}"
    if unit == "%":
        return f"{value:,.1f}%"
    if isinstance(value, int) or float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


#: A text value longer than this would be cut by st.metric's large font (a product name, a range).
LONG_TEXT = 11


def _text_card(col, kpi: Kpi, text: str) -> None:
    """A card like st.metric whose value wraps in a smaller font instead of being cut off."""
    with col.container(border=True, gap="small"):
        st.markdown(f"<span style='font-size:0.875rem'>{html.escape(kpi.label)}</span>",
                    help=kpi.help or None, unsafe_allow_html=True)
        st.markdown(f"<div style='font-size:1.5rem;line-height:1.3;min-height:2.6rem'>"
                    f"{html.escape(text)}</div>", unsafe_allow_html=True)


def kpis(items: list[Kpi], per_row: int = 4) -> None:
    """KPI cards in rows of `per_row`."""
    for i in range(0, len(items), per_row):
        cols = st.columns(per_row)
        for col, kpi in zip(cols, items[i:i + per_row]):
            text = format_kpi(kpi)
            if kpi.delta is None and len(text) > LONG_TEXT and isinstance(kpi.value, str):
                _text_card(col, kpi, text)
                continue
            delta = None if kpi.delta is None else f"{kpi.delta:+,.1f}{'%' if kpi.unit == '%' else ''}"
            col.metric(kpi.label, text, delta=delta, help=kpi.help or None, border=True)


# ------------------------------------------------------------------ tables
def money_format(df: pd.DataFrame, filters: Filters) -> str:
    """The money format for this table: the currency of the filter, plain when mixed."""
    if "currency_code" in df.columns and df["currency_code"].nunique(dropna=True) > 1:
        return "%.2f"
    currency = (df["currency_code"].dropna().iloc[0] if "currency_code" in df.columns
                and df["currency_code"].notna().any() else filters.currency)
    return "dollar" if currency == "USD" else f"{currency[:2]}$%.2f"


def column_config(df: pd.DataFrame, filters: Filters) -> dict[str, Any]:
    """st.column_config for each numeric column, from its name and dtype."""
    config: dict[str, Any] = {}
    money = money_format(df, filters)
    for col in df.columns:
        name, dtype = str(col), df[col].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            continue
        label = name.replace("_", " ")
        if IDENT.search(name):
            fmt = "%d"
        elif PERCENT.search(name):
            fmt = "%.1f%%"
        elif FRACTION.search(name):
            fmt = "percent"
        elif MONEY.search(name):
            fmt = money
        elif SECONDS.search(name):
            fmt = "%.1f"
        elif pd.api.types.is_integer_dtype(dtype):
            fmt = "localized"
        else:
            fmt = "%.2f"
        config[name] = st.column_config.NumberColumn(label, format=fmt)
    return config


def csv_name(slug: str, name: str, filters: Filters) -> str:
    return f"{slug}_{name}_{filters.label()}.csv"


def table(df: pd.DataFrame, name: str, filters: Filters, slug: str,
          column_config_overrides: dict[str, Any] | None = None, height: int | str = "auto",
          empty_text: str | None = None) -> None:
    """One table with number formats and a CSV download of all its rows."""
    if df is None or df.empty:
        st.info(empty_text or f"No rows for **{name}** with these filters.", icon=":material/filter_alt_off:")
        return
    config = column_config(df, filters)
    config.update(column_config_overrides or {})
    shown = df if len(df) <= MAX_ROWS_SHOWN else df.head(MAX_ROWS_SHOWN)
    st.dataframe(shown, hide_index=True, column_config=config, height=height,
                 key=f"df_{slug}_{name}")
    note = f"{len(df):,} rows" + (f" (first {MAX_ROWS_SHOWN:,} shown; the CSV has all)"
                                  if len(df) > MAX_ROWS_SHOWN else "")
    left, right = st.columns([3, 1])
    left.caption(note)
    right.download_button("Download CSV", data=lambda: df.to_csv(index=False),
                          file_name=csv_name(slug, name, filters), mime="text/csv",
                          on_click="ignore", icon=":material/download:",
                          key=f"dl_{slug}_{name}")


# ------------------------------------------------------------------ charts and messages
def chart(obj: Any, name: str = "") -> None:
    """Altair chart, pydeck Deck, or graphviz (dot text or graph object)."""
    kind = type(obj).__module__.split(".")[0]
    if kind == "altair":
        st.altair_chart(obj, width="stretch")
    elif kind == "pydeck":
        st.pydeck_chart(obj, width="stretch")
    elif kind == "graphviz" or (isinstance(obj, str) and "graph" in obj[:40]):
        st.graphviz_chart(obj, width="stretch")
    elif isinstance(obj, pd.DataFrame):
        st.line_chart(obj)
    else:
        st.write(obj)


def messages(out: Output) -> None:
    for msg in out.messages:
        getattr(st, msg.level if msg.level in LEVEL_ICONS else "info")(msg.text, icon=LEVEL_ICONS.get(msg.level))


def title_of(name: str) -> str:
    """A table or chart name as a heading: first letter up, the rest as written (dates, names)."""
    text = name.replace("-", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


def render_output(output: Output, filters: Filters, slug: str) -> None:
    """KPIs, messages, charts, then every table with its CSV download."""
    if output.kpis:
        kpis(output.kpis)
    messages(output)
    for name, obj in output.charts.items():
        st.subheader(title_of(name))
        chart(obj, name)
    for name, df in output.tables.items():
        st.subheader(title_of(name))
        table(df, name, filters, slug)
