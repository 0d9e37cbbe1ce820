"""Rendering a tool's Output: KPI cards, messages, charts (Altair, pydeck, graphviz), tables.

Formatting conventions (the same for every tool, decided by COLUMN NAME; the full table is in
`lucky/ui/formats.py`, which the CLI's CSV/JSON use too, and in docs/notes/app.md):
- identifiers (`id`, `*_id`, `*_no`, `*_code`, `year`) are text, shown as stored; in CSV quoted;
- money (`revenue`, `amount`, `*money*`, `aov`, `price`, `cost`, `fee`, `tax`, `gap`, `expected`,
  `recorded`, `difference`, `saving`, ... as a word of the name) carries its currency: `$1,234.50`
  in USD views, `NZ$1234.50` in NZD ones, the header names the currency; a table mixing
  currencies (`currency_code`) shows plain numbers and says "per currency_code"; CSV: cents;
- fractions (`*rate`, `*share`, `*ratio`, `vs_*`, `*change`, 0.05 = 5%) show as percents to the
  precision they have (8.875%); `*pct`/`*percent` already hold 0-100;
- bytes (`bytes`, `*_bytes`, `*memory*`) show as B/KiB/MiB/GiB; seconds (`*_s`) 1 decimal;
- counts (integer columns, or floats that are all whole) as integers with separators;
- missing values are empty cells, never "None"/"nan";
- tables with `shop_id` of a test or internal shop carry a `shop_kind` column (`lucky.models.shops`).
KPI cards: `Kpi.unit` "$"/"NZ$"/"US$" is money, "%" a percent, "s" seconds, else a count or a
unit word; `Kpi.delta` is a change in percent ("pp" when the KPI itself is a percent).
Charts: a chart with nothing to draw (no rows, or one point for a line) is replaced by a sentence;
money in a chart names its currency in the title (`formats.money_tooltip`, `formats.money_title`).
"""
from __future__ import annotations

import dataclasses
import html
import logging
from typing import Any

import pandas as pd
import streamlit as st

from lucky.core import Filters, Kpi, Output
from lucky.ui import formats

log = logging.getLogger(__name__)
MAX_ROWS_SHOWN = 10_000
LEVEL_ICONS = {"info": ":material/info:", "success": ":material/check_circle:",
               "warning": ":material/warning:", "error": ":material/error:"}


# ------------------------------------------------------------------ KPI cards
def format_kpi(kpi: Kpi, currency: str = "USD") -> str:
    """Display text of one KPI value: `$2.19M`, `NZ$8,518`, `4.4%`, `217.9 s`, `466,252`.

    Unit "$" is money in the view's `currency` (NZ$ in an NZD view); "US$"/"NZ$" are explicit."""
    value, unit = kpi.value, kpi.unit or ""
    if unit == "$":
        unit = formats.CURRENCY_SIGN.get(currency, "$")
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


def format_delta(kpi: Kpi) -> str | None:
    """A KPI's change with its unit: `+3.0%` (relative change), `+0.4 pp` for a percent KPI."""
    if kpi.delta is None or (isinstance(kpi.delta, float) and pd.isna(kpi.delta)):
        return None
    return f"{kpi.delta:+,.1f} pp" if kpi.unit == "%" else f"{kpi.delta:+,.1f}%"


def kpis(items: list[Kpi], per_row: int = 4, currency: str = "USD") -> None:
    """KPI cards in rows of `per_row`; money in `currency` (the filters')."""
    for i in range(0, len(items), per_row):
        cols = st.columns(per_row)
        for col, kpi in zip(cols, items[i:i + per_row]):
            text = format_kpi(kpi, currency)
            if kpi.delta is None and len(text) > LONG_TEXT and isinstance(kpi.value, str):
                _text_card(col, kpi, text)
                continue
            delta = format_delta(kpi)
            col.metric(kpi.label, text, delta=delta, help=kpi.help or None, border=True)


# ------------------------------------------------------------------ tables
def money_format(df: pd.DataFrame, filters: Filters) -> str:
    """The money format for this table: its currency's sign; plain when currencies are mixed."""
    currency = formats.currency_of(df, filters.currency)
    if currency is None:
        return "%.2f"
    return "dollar" if currency == "USD" else f"{formats.CURRENCY_SIGN.get(currency, currency + ' ')}%.2f"


def _text_column(s: pd.Series, fn) -> pd.Series:
    return s.map(lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else fn(v))


def display(df: pd.DataFrame, filters: Filters) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table as shown (a copy) and its st.column_config, from column names and dtypes
    (conventions at the top of this module). A numeric column with missing values is shown
    as formatted text so the gap is an empty cell, not "None"."""
    shown = df.copy()
    config: dict[str, Any] = {}
    currency = formats.currency_of(df, filters.currency)
    money = money_format(df, filters)
    for col in df.columns:
        name, s = str(col), df[col]
        k = formats.kind(name, s)
        label = name.replace("_", " ")
        gaps = bool(s.isna().any())
        if k == "ident":
            shown[col] = s.map(lambda v: formats._ident_text(v) or "").astype(object)
            config[name] = st.column_config.TextColumn(label)
        elif k == "text":
            if gaps and (pd.api.types.is_bool_dtype(s.dtype)
                         or (s.dtype == object and all(isinstance(v, bool) for v in s.dropna()))):
                shown[col] = _text_column(s, lambda v: "yes" if v else "no")   # a checkbox can't be empty
            elif gaps:   # dates, times, text: '' for missing
                shown[col] = _text_column(s, lambda v: v.isoformat(sep=" ") if isinstance(v, pd.Timestamp)
                                          else str(v))
            continue
        elif k == "money":
            label += f" ({formats.CURRENCY_SIGN.get(currency, currency)})" if currency else " (per currency_code)"
            if gaps:
                shown[col] = _text_column(s, lambda v: formats.money_text(float(v), currency))
                config[name] = st.column_config.TextColumn(label)
            else:
                config[name] = st.column_config.NumberColumn(label, format=money)
        elif k == "fraction":
            d = formats.fraction_decimals(s)
            if gaps:
                shown[col] = _text_column(s, lambda v: formats.percent_text(float(v), d))  # noqa: B023 - used at once
                config[name] = st.column_config.TextColumn(label)
            else:
                shown[col] = s.astype(float) * 100
                config[name] = st.column_config.NumberColumn(label, format=f"%.{d}f%%")
        elif k == "bytes":
            shown[col] = _text_column(s, formats.bytes_text)
            config[name] = st.column_config.TextColumn(label)
        else:
            fmt = {"percent": "%.1f%%", "seconds": "%.1f", "count": "localized"}.get(k, "%.2f")
            if k == "seconds":
                label += " (s)"
            if gaps:
                text = {"percent": lambda v: f"{v:.1f}%", "seconds": lambda v: f"{v:,.1f}",
                        "count": lambda v: f"{int(v):,}"}.get(k, lambda v: f"{v:,.2f}")
                shown[col] = _text_column(s, lambda v, t=text: t(float(v)))
                config[name] = st.column_config.TextColumn(label)
            else:
                if k == "count":
                    shown[col] = s.astype("int64")
                config[name] = st.column_config.NumberColumn(label, format=fmt)
    return shown, config


def as_percent(names) -> dict[str, Any]:
    """Column config showing 0-1 values as percents, for columns whose names `formats` does not
    read as fractions (`wape`, `bias`, `ci_low`). A fraction-named column (`hit_rate`,
    `wape_change`) is already drawn as a percent; a second percent format multiplied it by 100
    again (the forecast page showed a 19.35% hit rate as 1,935.48%)."""
    return {c: st.column_config.NumberColumn(c.replace("_", " "), format="percent")
            for c in names if formats.kind(c) != "fraction"}


def column_config(df: pd.DataFrame, filters: Filters) -> dict[str, Any]:
    """st.column_config of each column (see `display`)."""
    return display(df, filters)[1]


def csv_name(slug: str, name: str, filters: Filters) -> str:
    return f"{slug}_{name}_{filters.label()}.csv"


def _head(df: pd.DataFrame) -> pd.DataFrame:
    return df if len(df) <= MAX_ROWS_SHOWN else df.head(MAX_ROWS_SHOWN)


def table(df: pd.DataFrame, name: str, filters: Filters, slug: str,
          column_config_overrides: dict[str, Any] | None = None, height: int | str = "auto",
          empty_text: str | None = None, column_order: tuple[str, ...] | None = None) -> None:
    """One table with number formats and a CSV download of all its rows (every column, also
    those `column_order` leaves off a narrow layout)."""
    if df is None or df.empty:
        st.info(empty_text or f"Nothing to list in **{title_of(name)}** for this selection.",
                icon=":material/filter_alt_off:")
        return
    ready = df.__dict__.get(SHOWN)
    if isinstance(ready, Shown) and ready.filters == filters:
        shown, config, columns = ready.data, dict(ready.config), ready.data.column_names
    else:
        shown, config = display(_head(df), filters)
        columns = list(shown.columns)
    config.update(column_config_overrides or {})
    order = [c for c in column_order if c in columns] if column_order else None
    if order is not None and "shop_kind" in columns:
        order.insert(1, "shop_kind")     # a flag is never hidden
    st.dataframe(shown, hide_index=True, column_config=config, height=height,
                 key=f"df_{slug}_{name}", width="stretch", column_order=order)
    note = (f"{len(df):,} rows" if len(df) != 1 else "1 row") + (f" (first {MAX_ROWS_SHOWN:,} shown; the CSV has all)"
                                  if len(df) > MAX_ROWS_SHOWN else "")
    left, right = st.columns([3, 1])
    left.caption(note)
    right.download_button("Download CSV", data=lambda: formats.to_csv(df),
                          file_name=csv_name(slug, name, filters), mime="text/csv",
                          on_click="ignore", icon=":material/download:",
                          key=f"dl_{slug}_{name}")


# ------------------------------------------------------------------ charts and messages
def chart_problem(obj: Any) -> str | None:
    """Why an Altair chart would draw nothing useful (no rows; a line of one point), else None."""
    if type(obj).__module__.split(".")[0] != "altair":
        return None
    layers = list(getattr(obj, "layer", None) or []) or [obj]
    inner = getattr(obj, "spec", None)          # a faceted chart keeps its layer in .spec
    data = getattr(obj, "data", None)
    frames = [d for d in [data] + [getattr(l, "data", None) for l in layers]
              + [getattr(inner, "data", None)] if isinstance(d, pd.DataFrame)]
    if not frames:
        return None
    if all(f.empty for f in frames):
        return "There is nothing to draw for this selection yet."
    mark = getattr(inner, "mark", None) or getattr(obj, "mark", None)
    mark = getattr(mark, "type", mark)
    enc_y = getattr(getattr(inner, "encoding", None) or getattr(obj, "encoding", None), "y", None)
    y = getattr(enc_y, "shorthand", None) or getattr(enc_y, "field", None)
    y = str(y).split(":")[0] if y and isinstance(y, str) else None
    if y and all(y in f.columns and pd.api.types.is_numeric_dtype(f[y]) and not f[y].fillna(0).astype(float).any()
                 for f in frames if not f.empty):
        return "Every value is zero in this selection: nothing stands out to draw."
    if mark == "line":
        enc = (getattr(inner, "encoding", None) or getattr(obj, "encoding", None))
        field = getattr(getattr(enc, "x", None), "shorthand", None) or getattr(getattr(enc, "x", None), "field", None)
        field = str(field).split(":")[0] if field else None
        if field and all(field in f.columns and f[field].nunique() <= 1 for f in frames if not f.empty):
            return "Only one measurement so far: a trend needs at least two."
    return None


#: The attribute that marks a cached table with its prepared form (`attach`): an instance attribute
#: of that very object, so a filtered, sorted or copied table has none and is formatted afresh.
SHOWN = "_lucky_shown"


@dataclasses.dataclass(frozen=True)
class Shown:
    """A table as `table` draws it: `display`'s frame as the Arrow table st.dataframe sends, and
    its column config, for the filters it was formatted for."""

    filters: Filters
    data: Any            # pyarrow.Table
    config: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class VegaLite:
    """An Altair chart already turned into the Vega-Lite spec Streamlit sends (its data as Arrow
    bytes) and what `chart_problem` said of it: the form the page cache keeps (`prepared`)."""

    spec: dict
    problem: str | None


def prepared(output: Output, filters: Filters) -> tuple[Output, dict[str, Shown]]:
    """What the page cache keeps of a run, done once per entry instead of on every view (the
    formatting, Arrow conversion and chart conversion were nearly half the server's time of a
    cached view): `output` with its Altair charts as `VegaLite`, and each table's `Shown` form
    (put back on the tables by `attach`). A chart or table that cannot be prepared is drawn the
    usual way."""
    import pyarrow as pa

    shown = {}
    for name, df in output.tables.items():
        if isinstance(df, pd.DataFrame) and not df.empty:
            try:
                frame, config = display(_head(df), filters)
                shown[name] = Shown(filters, pa.Table.from_pandas(frame), config)
            except Exception as exc:  # noqa: BLE001 - e.g. mixed types: Streamlit's own fixes apply
                log.info("table %s formatted per view (%s)", name, exc)
    return dataclasses.replace(output, charts=_prepared_charts(output)), shown


def attach(output: Output, shown: dict[str, Shown]) -> Output:
    """Mark each table of a cached `output` with its prepared form, for `table`."""
    for name, ready in shown.items():
        df = output.tables.get(name)
        if isinstance(df, pd.DataFrame):
            object.__setattr__(df, SHOWN, ready)     # an attribute, not a column
    return output


def _prepared_charts(output: Output) -> dict[str, Any]:
    """The charts with Altair ones as `VegaLite`; one Streamlit cannot convert is kept as it is."""
    from streamlit.elements import vega_charts

    convert = getattr(vega_charts, "_convert_altair_to_vega_lite_spec", None)   # Streamlit's own
    charts = {}
    for name, obj in output.charts.items():
        if convert is not None and type(obj).__module__.split(".")[0] == "altair":
            try:
                problem = chart_problem(obj)
                obj = VegaLite({} if problem else convert(obj), problem)
            except Exception as exc:  # noqa: BLE001 - drawn (and reported) the usual way instead
                log.warning("chart %s kept as Altair (%s)", name, exc)
        charts[name] = obj
    return charts


def chart(obj: Any, name: str = "") -> None:
    """Altair chart (or its prepared `VegaLite` form), pydeck Deck, or graphviz (dot text or graph
    object); a chart with nothing to show is replaced by a sentence saying why."""
    kind = type(obj).__module__.split(".")[0]
    problem = obj.problem if isinstance(obj, VegaLite) else chart_problem(obj)
    if problem:
        st.caption(f":material/insert_chart: {title_of(name) + ': ' if name else ''}{problem}")
        return
    if isinstance(obj, VegaLite):
        st.vega_lite_chart(spec=obj.spec, width="stretch")
    elif kind == "altair":
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
        kpis(output.kpis, currency=filters.currency)
    messages(output)
    for name, obj in output.charts.items():
        st.subheader(title_of(name))
        chart(obj, name)
    for name, df in output.tables.items():
        st.subheader(title_of(name))
        table(df, name, filters, slug)
