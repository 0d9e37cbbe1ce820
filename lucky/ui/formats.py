"""How every number Lucky shows or exports is formatted, decided by column name (no Streamlit here).

`lucky.ui.render` (the page tables) and `lucky.tools.cli` (CSV, JSON, Markdown) both use this
module, so a new tool's columns are formatted right by naming them right. The conventions
(first match wins, names are case-insensitive):

| kind | column names | page shows | CSV / JSON |
|---|---|---|---|
| identifier | `id`, `*_id`, `*_no`, `*_code`, `year` | text, as stored (`250911501011174767`) | text (quoted in CSV, a string in JSON) |
| percent (0-100) | `*pct`, `*percent` | `12.3%` | number as stored |
| fraction (0-1) | `*rate`, `*share`, `*ratio`, `vs_*`, `*change`, `retention_<days>` | `8.875%`: times 100, to the precision it has (1-3 decimals) | number as stored, 6 decimals at most |
| bytes | `bytes`, `*_bytes`, `*memory*` (`used_memory`, `maxmemory`, ...) | `3.0 MiB` (KiB/MiB/GiB/TiB, 1024-based) | integer bytes |
| money | `revenue`, `amount`, `*money*`, `aov`, `price`, `cost(s)`, `fee(s)`, `tax`, `gap`, `sales`, `spend`, `saving(s)`, `expected`, `recorded`, `difference`, `diff`, `ticket`, `*_total`, `ltv_<days>`, `cac`, ... as a word of the name | `$1,234.50` in USD, `NZ$1234.50` in NZD; header says the currency; a table whose `currency_code` column mixes currencies shows plain numbers and says so in the header | rounded to the cent |
| seconds | `*_s`, `*_sec`, `*seconds` | `12.3` (1 decimal), header says `(s)` | as stored, 3 decimals at most |
| count | any integer column, and float columns whose values are all whole (`trades` 1.0 -> 1) | `1,234` | integer |
| other numbers | the rest | 2 decimals | 6 decimals at most (no `1879.0300000000002`) |
| missing | None / NaN / NaT | an empty cell (never "None" or "nan") | empty |

Rank-like names (`rank`, `*_rank`) are counts, not money. Name a column for what it holds
(`fee_rate` is a fraction, `fee` is money, `fee_pct` is 0-100).
"""
from __future__ import annotations

import math
import re

import pandas as pd

IDENT = re.compile(r"(^id$|_id$|_no$|^year$|_code$)", re.I)
PERCENT = re.compile(r"(pct|percent)$", re.I)
FRACTION = re.compile(r"(rate|share|ratio|change)$|^vs_|^retention_\d+$", re.I)
BYTES = re.compile(r"(^bytes$|_bytes$|^bytes_|memory(?!_policy))", re.I)
RANK = re.compile(r"(^|_)rank$", re.I)
MONEY = re.compile(r"(^|_)(revenue|amount|money|aov|price|cost|costs|fee|fees|tax|gap|sales|"
                   r"spend|budget|deduct|income|expected|recorded|difference|diff|saving|savings|"
                   r"collected|refund|refunds|ticket)($|_)|_total$|^ltv_\d+$|^cac$", re.I)
SECONDS = re.compile(r"((?<!per)_s$|_sec$|seconds$)", re.I)   # `ops_per_s` is a rate, not seconds
CURRENCY_SIGN = {"USD": "$", "NZD": "NZ$"}
MONEY_DECIMALS, OTHER_DECIMALS = 2, 6


def kind(name: str, series: pd.Series | None = None) -> str:
    """The column's kind: ident, percent, fraction, bytes, money, seconds, count, number, text."""
    if IDENT.search(name):
        return "ident"
    if series is not None and not _numeric(series):
        return "text"
    if PERCENT.search(name):
        return "percent"
    if FRACTION.search(name):
        return "fraction"
    if BYTES.search(name):
        return "bytes"
    if RANK.search(name):
        return "count"
    if MONEY.search(name):
        return "money"
    if SECONDS.search(name):
        return "seconds"
    if series is not None and _whole(series):
        return "count"
    return "number"


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _whole(s: pd.Series) -> bool:
    """Integer dtype, or floats that are all whole numbers (and at least one value)."""
    if pd.api.types.is_integer_dtype(s.dtype):
        return True
    v = s.dropna()
    return bool(len(v)) and bool(((v % 1) == 0).all()) and bool((v.abs() < 2 ** 53).all())


def currency_of(df: pd.DataFrame, default: str = "USD") -> str | None:
    """The one currency of a table (its `currency_code` column, else `default`); None when mixed."""
    if "currency_code" in df.columns:
        codes = df["currency_code"].dropna().unique()
        if len(codes) > 1:
            return None
        if len(codes) == 1:
            return str(codes[0])
    return default


def money_text(value: float | None, currency: str | None = "USD", decimals: int = 2) -> str:
    """`$1,234.50` / `NZ$1,234.50` / `1,234.50` (currency None); '' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    sign = "-" if value < 0 else ""
    body = f"{abs(value):,.{decimals}f}"
    return f"{sign}{CURRENCY_SIGN.get(currency or '', (currency + ' ') if currency else '')}{body}"


#: Charts name the currency in full: a tooltip or an axis stands alone, without the table's header.
CHART_SIGN = {"USD": "US$", "NZD": "NZ$"}


def money_title(title: str, currency: str | None) -> str:
    """An axis or tooltip title for money in `currency`: `revenue (US$)`, `gap (NZ$)`."""
    sign = CHART_SIGN.get(currency or "", currency or "")
    return f"{title} ({sign})" if sign else title


def money_tooltip(title: str, currency: str | None, decimals: int = 2) -> dict:
    """`alt.Tooltip(field, **money_tooltip("revenue", "NZD", 0))`: the currency in the title and a
    plain number (Vega's `$` format always prints a bare dollar sign, in NZD views too)."""
    return {"title": money_title(title, currency), "format": f",.{decimals}f"}


def bytes_text(value: float | None) -> str:
    """1024-based: `512 B`, `3.0 KiB`, `943.3 MiB`, `1.20 GiB`; '' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(v) < 1024 or unit == "TiB":
            if unit == "B":
                return f"{int(v):,} B"
            return f"{v:,.2f} {unit}" if abs(v) < 10 else f"{v:,.1f} {unit}"
        v /= 1024
    return ""  # pragma: no cover


def fraction_decimals(s: pd.Series) -> int:
    """Decimals a fraction column needs as a percent: the fewest (1-3) that keep every value."""
    v = (s.dropna().astype(float) * 100)
    for d in (1, 2, 3):
        if ((v - v.round(d)).abs() < 1e-7).all():
            return d
    return 2


def percent_text(value: float | None, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value * 100:.{decimals}f}%"


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table as it is written to CSV/JSON: identifiers as text, counts as integers, money to
    the cent, other floats without binary noise, missing values empty."""
    out = df.copy()
    for col in out.columns:
        s, name = out[col], str(col)
        k = kind(name, s)
        if k == "ident":
            out[col] = s.map(_ident_text).astype(object)
        elif k == "text":
            continue
        elif k == "money":
            out[col] = s.astype(float).round(MONEY_DECIMALS)
        elif k in ("count", "bytes") and _whole(s):
            out[col] = s.astype("Int64")
        elif k == "seconds":
            out[col] = s.astype(float).round(3)
        else:
            out[col] = s.astype(float).round(OTHER_DECIMALS)
    return out


def _ident_text(v: object) -> object:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def to_csv(df: pd.DataFrame) -> str:
    """CSV with the export conventions: identifiers quoted as text (a spreadsheet then keeps
    `250911501011174767` whole), numbers bare, missing values empty."""
    out = export_frame(df)
    kinds = [kind(str(c), df[c]) for c in out.columns]
    lines = [",".join(_csv_cell(str(c), "text") for c in out.columns)]
    for row in out.itertuples(index=False):
        lines.append(",".join(_csv_cell(v, k) for v, k in zip(row, kinds)))
    return "\n".join(lines) + "\n"


def _csv_cell(v: object, k: str) -> str:
    if v is None or (not isinstance(v, (str, list, dict)) and pd.isna(v)):
        return ""
    text = f"{v:.2f}" if k == "money" and isinstance(v, float) else str(v)
    if k == "ident" or any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def json_records(df: pd.DataFrame) -> list[dict]:
    """Rows for JSON: identifiers as strings, counts as integers, money to the cent, None for missing."""
    import json

    return json.loads(export_frame(df).to_json(orient="records", date_format="iso", double_precision=10))
