"""Ask Lucky: question -> spec (offline parser) or SQL (LLM) -> guard -> read-only run -> answer.

`ask(question, viewer, as_of=None, previous=None)` never raises for bad input: an empty,
foreign, unclear or unanswerable question gets an `Answer` saying what was understood and a
close question that works; a request to write or to see personal data is refused with a reason.
Repeated questions come from a cache keyed by the question, the viewer, the as-of day and the
identity of the sources.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from lucky import sources
from lucky.ask import guard
from lucky.ask.parse import Parsed, Vocabulary, normalize, parse
from lucky.ask.semantic import (
    CHANNELS,
    METRICS,
    TIME_DIMS,
    Spec,
    add_time_dims,
    build_sql,
    build_total_sql,
    fact_for,
    localize,
    supported,
    value_of,
    values_by,
)
from lucky.core import Viewer
from lucky.errors import LuckyError

FETCH_LIMIT = 1_000_000  # source-level aggregate rows an offline answer may read
DIM_LABELS = {"store": "store", "product": "product", "category": "category", "channel": "channel",
              "payment_channel": "payment channel", "user": "user", "hour": "hour", "weekday": "weekday",
              "daytype": "day type", "day": "day", "week": "week (from Monday)", "month": "month"}


@dataclass
class Answer:
    """One answer, as the CLI's JSON and the page show it."""

    answer: str
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    refused: bool = False
    reason: str | None = None
    engine: str = "offline"
    outcome: str = "answered"          # answered, clarify, refused, empty, error
    databases: tuple[str, ...] = ()
    spec: Spec | None = None
    understood: str = ""
    chart: str | None = None           # "bar" or "line" when a chart helps
    seconds: float = 0.0

    def as_json(self) -> dict:
        return {"answer": self.answer, "sql": self.sql, "columns": list(self.columns),
                "rows": [[_plain(v) for v in row] for row in self.rows],
                "refused": bool(self.refused), "reason": self.reason}

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.columns)


def _plain(value):
    if isinstance(value, (pd.Timestamp, date)):
        return value.isoformat()[:10] if not isinstance(value, pd.Timestamp) or value == value.normalize() else value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


# ------------------------------------------------------------------ vocabulary (cached per source)
_vocab: dict[tuple, tuple[Vocabulary, dict[int, str]]] = {}
_answers: dict[tuple, Answer] = {}


def _source_key() -> tuple:
    return tuple(sources.resolve(db).key for db in ("luckyus_sales_order", "luckyus_opshop", "luckyus_scm_commodity"))


def vocabulary(as_of: date | None = None) -> tuple[Vocabulary, dict[int, str]]:
    """Stores (name by id), products, categories, the data's first and latest local day; and zones."""
    key = _source_key()
    if key not in _vocab:
        from lucky.queries import landscape
        from lucky.queries import shops as shop_q
        first, last = landscape.data_span()
        shop_df = shop_q.shops()
        traded = sources.read("luckyus_sales_order",
                              "SELECT DISTINCT shop_id FROM luckyus_sales_order.t_order")["shop_id"]
        real = (shop_df["test_flag"].fillna(0) == 0) & (shop_df["status"].fillna(0).isin([1, 2]))
        keep = real | shop_df["shop_id"].isin(traded)
        chosen = shop_df[keep].assign(_rank=~(real & (shop_df["currency_code"] == "USD") & (shop_df["internal"].fillna(0) == 0)))
        chosen = chosen.sort_values(["_rank", "shop_id"])   # real USD stores first: suggestions name them
        names = {int(r.shop_id): str(r.shop_name) for r in chosen.itertuples() if isinstance(r.shop_name, str)}
        goods = sources.read("luckyus_scm_commodity", """
            SELECT DISTINCT name, one_category_name FROM luckyus_scm_commodity.t_commodity_base_info""")
        vocab = Vocabulary(as_of=last or date.today(), first=first, stores=names,
                           products=tuple(sorted(goods["name"].dropna().unique())),
                           categories=tuple(sorted(goods["one_category_name"].dropna().unique())))
        # zones of the shops that trade: exact per-zone windows list only these (short IN lists)
        zones = {int(r.shop_id): r.time_zone for r in shop_df[shop_df["shop_id"].isin(traded)].itertuples()}
        _vocab.clear()
        _vocab[key] = (vocab, zones)
    vocab, zones = _vocab[key]
    if as_of is not None:
        vocab = Vocabulary(as_of, vocab.first, vocab.stores, vocab.products, vocab.categories)
    return vocab, zones


def clear_cache(answers_only: bool = False) -> None:
    """Forget cached answers (and, unless answers_only, the vocabulary: after a demo rebuild)."""
    if not answers_only:
        _vocab.clear()
    _answers.clear()


# ------------------------------------------------------------------ formatting
def fmt(value: float | None, unit: str) -> str:
    if value is None or value != value:
        return "n/a"
    if unit == "$":
        return f"${value:,.2f}"
    if unit == "s":
        return f"{value:,.0f} s ({value / 60:.1f} min)"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _when(start: date, end: date, label: str) -> str:
    span = start.strftime("%b %d, %Y") if start == end else f"{start.strftime('%b %d, %Y')} – {end.strftime('%b %d, %Y')}"
    return f"{label} ({span})" if label and label != span else span


def _where(spec: Spec, vocab: Vocabulary) -> str:
    parts = []
    if spec.stores:
        parts.append("at " + ", ".join(vocab.stores.get(s, str(s)) for s in spec.stores))
    if spec.products:
        parts.append("for " + ", ".join(spec.products))
    if spec.categories:
        parts.append("in " + ", ".join(spec.categories))
    temps = " and ".join(t.lower() for t in spec.temperatures)
    if spec.exclude_categories:
        parts.append(f"({temps + ' ' if temps else ''}drinks only)")
    elif temps:
        parts.append(f"({temps} items)")
    if spec.channels:
        parts.append("on " + ", ".join(CHANNELS.get(c, str(c)) for c in spec.channels))
    if spec.currency != "USD":
        parts.append(f"in {spec.currency}")
    return (" " + " ".join(parts)) if parts else ""


def describe(spec: Spec, vocab: Vocabulary) -> str:
    """What the engine understood, in words (shown with every answer)."""
    metric = METRICS[spec.metric].label.lower() if spec.metric else "?"
    bits = [metric]
    if spec.dim and spec.dim != "daytype":
        bits.append(f"by {DIM_LABELS[spec.dim]}")
    if spec.top:
        bits.append(f"{'bottom' if spec.ascending else 'top'} {spec.top}")
    if spec.compare == "daytype":
        bits.append("weekdays vs weekends")
    text = ", ".join(bits) + _where(spec, vocab)
    if spec.start:
        text += ", " + _when(spec.start, spec.end, spec.period)
    if spec.compare == "previous" and spec.start2:
        text += " vs " + _when(spec.start2, spec.end2, spec.period2)
    return text


# ------------------------------------------------------------------ computing a spec
def _rows(spec: Spec, viewer: Viewer, zones: dict[int, str]) -> tuple[pd.DataFrame, str, str]:
    """Source rows for the spec with a `period` column (1: the period asked, 2: the one compared).

    Without a time dimension the source aggregates completely over exact per-zone UTC windows;
    with one (or for facts whose zone is per row) it returns shop x UTC hour groups that pandas
    places on store-local days."""
    periods = [(spec.start, spec.end)] + ([(spec.start2, spec.end2)] if spec.start2 else [])
    fact = fact_for(spec)[0]
    total = spec.dim not in TIME_DIMS and spec.compare != "daytype" and fact.zone is None
    if total:
        fact, sql, params = build_total_sql(spec, periods, zones)
    else:
        from lucky.models.timezones import utc_bounds
        lo, hi = utc_bounds(min(p[0] for p in periods), max(p[1] for p in periods))
        fact, sql, params = build_sql(spec, lo.to_pydatetime(), hi.to_pydatetime())
    checked = guard.check(sql, viewer, limit=FETCH_LIMIT, params=params, scoped=True)
    df = guard.run(checked, params)
    if len(df) >= FETCH_LIMIT:
        raise TooMuch(f"the question reads more than {FETCH_LIMIT:,} groups")
    shown = checked.sql + "\n-- " + ", ".join(f"{k} = {_short(v)}" for k, v in params.items())
    if total:   # an aggregate without GROUP BY returns one row of zero count: no data
        df = df[df["m_n"].fillna(0) > 0]
        return df.assign(period=df["period"].astype(int)), shown, fact.database
    if df.empty:
        return df, shown, fact.database
    wanted = tuple(d for d in (spec.dim,) if d) + (("daytype",) if spec.compare == "daytype" else ())
    df = add_time_dims(localize(df, fact, zones).dropna(subset=["local_time"]), wanted)
    day = df["business_date"]
    period = pd.Series(0, index=df.index)
    for i, (start, end) in reversed(list(enumerate(periods, 1))):
        period[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))] = i
    return df.assign(period=period)[period > 0], shown, fact.database


class TooMuch(Exception):
    """The question would read too many groups from the source."""


def _short(value) -> str:
    if isinstance(value, (list, tuple)) and len(value) > 12:
        return repr(list(value[:12]))[:-1] + f", … ({len(value)} values)]"
    return repr(value)


def _in(df: pd.DataFrame, period: int) -> pd.DataFrame:
    return df[df["period"] == period] if len(df) else df


def compute(spec: Spec, viewer: Viewer, vocab: Vocabulary, zones: dict[int, str]) -> Answer:
    fact, metric, numerator = fact_for(spec)
    df, sql, database = _rows(spec, viewer, zones)
    unit = metric.unit
    where = _where(spec, vocab)
    when = _when(spec.start, spec.end, spec.period)
    period_rows = _in(df, 1)
    base = Answer("", sql=sql, databases=(database,) + (("luckyus_opshop",) if fact.shop else ()),
                  spec=spec, understood=describe(spec, vocab))
    if spec.compare == "previous":
        other = _in(df, 2)
        a = value_of(period_rows, metric, numerator) if len(period_rows) else (0.0 if not metric.denominator else None)
        b = value_of(other, metric, numerator) if len(other) else (0.0 if not metric.denominator else None)
        change = (a - b) / b * 100 if a is not None and b not in (None, 0) else None
        when2 = _when(spec.start2, spec.end2, spec.period2)
        base.columns = ["period", "start", "end", metric.label]
        base.rows = [[spec.period or "period", spec.start, spec.end, a], [spec.period2 or "previous", spec.start2, spec.end2, b]]
        delta = f" ({change:+.1f}%)" if change is not None else ""
        base.answer = f"{metric.noun.capitalize()}{where}: {fmt(a, unit)} {when} vs {fmt(b, unit)} {when2}{delta}."
        base.chart = "bar"
        return base
    if period_rows.empty:
        base.outcome = "empty"
        span = f" The data runs from {vocab.first} to {vocab.as_of}." if vocab.first else ""
        base.answer = f"No {metric.noun}{where} {when}.{span}"
        base.columns, base.rows = [metric.label], [[0 if not metric.denominator else None]]
        return base
    if spec.compare == "daytype":
        return _daytype(base, period_rows, spec, metric, numerator, fact, where, when)
    if not spec.dim:
        value = value_of(period_rows, metric, numerator)
        base.columns, base.rows = [metric.label], [[value]]
        base.answer = f"{metric.noun.capitalize()}{where} {when}: {fmt(value, unit)}."
        return base
    return _breakdown(base, period_rows, spec, metric, numerator, fact, where, when, vocab)


def _daytype(base: Answer, rows, spec, metric, numerator, fact, where, when) -> Answer:
    days = pd.date_range(spec.start, spec.end, freq="D")
    counts = {"weekday": int((days.day_of_week < 5).sum()), "weekend": int((days.day_of_week >= 5).sum())}
    out = []
    for kind in ("weekday", "weekend"):
        part = rows[rows["daytype"] == kind]
        value = value_of(part, metric, numerator) if len(part) else (0.0 if not metric.denominator else None)
        per_day = value / counts[kind] if value is not None and counts[kind] and not metric.denominator else None
        out.append([kind + "s", counts[kind], value, per_day])
    base.columns = ["day type", "days", metric.label, f"{metric.name}_per_day"]
    base.rows = out
    (_, d1, v1, p1), (_, d2, v2, p2) = out
    per = "" if metric.denominator else f" ({fmt(p1, metric.unit)} a day vs {fmt(p2, metric.unit)} a day)"
    base.answer = (f"{metric.noun.capitalize()}{where} {when}: weekdays {fmt(v1, metric.unit)} over {d1} days, "
                   f"weekends {fmt(v2, metric.unit)} over {d2} days{per}.")
    base.chart = "bar"
    return base


def _breakdown(base: Answer, rows, spec, metric, numerator, fact, where, when, vocab) -> Answer:
    key = "shop_id" if spec.dim == "store" else spec.dim if spec.dim in ("hour", "weekday", "day", "week", "month") else \
        "user_no" if spec.dim == "user" and "user_no" in rows else "dim"
    if spec.dim == "user" and key == "dim":
        rows = rows.rename(columns={"dim": "user_no"})
        key = "user_no"
    table = values_by(rows, key, metric, numerator).rename(columns={"value": metric.label})
    label = DIM_LABELS[spec.dim]
    if spec.dim == "store":
        table.insert(1, "store", table["shop_id"].map(lambda s: vocab.stores.get(int(s), f"shop {s}")))
    elif spec.dim == "channel":
        table[key] = table[key].map(lambda c: CHANNELS.get(int(c), f"channel {c}") if c == c else "unknown")
    elif spec.dim == "payment_channel":
        table[key] = table[key].map(lambda c: f"channel {int(c)}")
    table = table.rename(columns={key: label} if key != "shop_id" else {})
    ordered = spec.dim in ("hour", "day", "week", "month", "weekday") and not spec.top and not _ranked_question(spec)
    if spec.dim == "weekday" and ordered:
        order = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        table = table.set_index(label).reindex([d for d in order if d in set(table[label])]).reset_index()
    if not ordered:
        table = table.sort_values([metric.label, table.columns[0]], ascending=[spec.ascending, True], na_position="last")
    if spec.top:
        table = table.head(spec.top)
    table = table.reset_index(drop=True)
    name_col = "store" if spec.dim == "store" else label
    base.columns = [str(c) for c in table.columns]
    base.rows = table.values.tolist()
    unit = metric.unit
    if spec.top == 1 and len(table):
        word = "lowest" if spec.ascending else "highest"
        best = "worst" if spec.ascending else "best"
        what = {"product": f"{best}-selling product" if metric.name == "items" else f"product with the {word} {metric.noun}",
                "store": f"store with the {word} {metric.noun}"}.get(spec.dim, f"{label} with the {word} {metric.noun}")
        if spec.exclude_categories and spec.dim == "product":
            what = what.replace("product", "drink")
        row = table.iloc[0]
        amount = fmt(row[metric.label], unit) + ("" if unit else f" {metric.noun}")
        base.answer = f"The {what}{where} {when} was {row[name_col]} with {amount}."
        base.chart = None
        return base
    shown = ", ".join(f"{r[name_col]} ({fmt(r[metric.label], unit)})" for _, r in table.head(3).iterrows())
    more = f"; {len(table)} rows in the table" if len(table) > 3 else ""
    if spec.top:
        plural = {"category": "categories", "day type": "day types"}.get(label, label + "s")
        head = f"{'Bottom' if spec.ascending else 'Top'} {spec.top} {plural} by {metric.noun}"
    else:
        head = f"{metric.noun} by {label}" + (", lowest first" if spec.ascending else "")
    base.answer = f"{head}{where} {when}: {shown}{more}."
    base.answer = base.answer[0].upper() + base.answer[1:]
    base.chart = "line" if ordered and spec.dim in ("day", "week", "month", "hour") else "bar"
    return base


def _ranked_question(spec: Spec) -> bool:
    return spec.top is not None or spec.ascending


# ------------------------------------------------------------------ the entry point
def ask(question: str, viewer: Viewer, as_of: date | None = None, previous: Spec | None = None,
        use_llm: bool | None = None) -> Answer:
    """Answer a question for `viewer`; never raises for bad input (see the module doc)."""
    t0 = time.perf_counter()
    try:
        key = (normalize(question or ""), as_of, viewer, previous, _source_key(), use_llm)
    except LuckyError as exc:
        return _error(exc, t0)
    if key in _answers:
        cached = _answers[key]
        return Answer(**{**cached.__dict__, "seconds": time.perf_counter() - t0})
    try:
        answer = _ask(question, viewer, as_of, previous, use_llm)
    except guard.Refused as exc:
        answer = Answer(f"Refused: {exc.reason}.", refused=True, reason=exc.reason, outcome="refused")
    except LuckyError as exc:
        return _error(exc, t0)
    answer.seconds = time.perf_counter() - t0
    if answer.outcome != "error":
        if len(_answers) > 512:
            _answers.clear()
        _answers[key] = answer
    return answer


def _error(exc: Exception, t0: float) -> Answer:
    return Answer(f"The data could not be read: {exc}", outcome="error", reason=str(exc),
                  engine="none", seconds=time.perf_counter() - t0)


def _ask(question: str, viewer: Viewer, as_of: date | None, previous: Spec | None, use_llm: bool | None) -> Answer:
    vocab, zones = vocabulary(as_of)
    parsed = parse(question, vocab, previous)
    if parsed.refusal:
        return Answer(f"Refused: {parsed.refusal}.", refused=True, reason=parsed.refusal, outcome="refused", engine="offline")
    if parsed.problem is None and parsed.spec.metric:
        problem = supported(parsed.spec) or _rights(parsed.spec, viewer, vocab)
        if problem:
            parsed.problem = problem
            parsed.suggestion = _suggest(parsed.spec, vocab)
    if parsed.problem is None and parsed.spec.metric:
        spec = parsed.spec
        if viewer.role == "store_manager" and not spec.stores:
            spec = spec.with_(stores=tuple(sorted(viewer.shop_ids)) or (-1,))
        try:
            return compute(spec, viewer, vocab, zones)
        except TooMuch as exc:
            parsed.problem = f"{exc}; narrow the period or the stores"
            parsed.suggestion = _suggest(spec, vocab)
            return clarify(parsed, vocab)
    from lucky.ask import llm
    if (use_llm if use_llm is not None else llm.configured()) and not _names_problem(parsed):
        return llm.answer(question, viewer, vocab)
    return clarify(parsed, vocab)


def _names_problem(parsed: Parsed) -> bool:
    return bool(parsed.problem and parsed.problem.startswith("I don't know"))


def _rights(spec: Spec, viewer: Viewer, vocab: Vocabulary) -> str | None:
    if viewer.role != "store_manager":
        return None
    fact, metric, _ = fact_for(spec)
    if fact.shop is None:
        return f"{metric.noun} are chain-wide figures, outside a store manager's stores"
    outside = [vocab.stores.get(s, str(s)) for s in spec.stores if s not in viewer.shop_ids]
    if outside:
        return f"you may see only your own stores, not {', '.join(outside)}"
    if spec.dim == "user":
        return "customer rankings span every store"
    return None


def _suggest(spec: Spec, vocab: Vocabulary) -> str:
    metric = METRICS[spec.metric]
    return f"{metric.label} {spec.period or 'this week'}" + (" by store" if metric.name in ("orders", "revenue") else "")


def clarify(parsed: Parsed, vocab: Vocabulary) -> Answer:
    understood = describe(parsed.spec, vocab) if parsed.spec.metric else ""
    text = (parsed.problem or "I could not answer that").rstrip(".") + "."
    text = text[0].upper() + text[1:]
    if understood:
        text += f" I understood: {understood}."
    if parsed.suggestion:
        text += (" " if parsed.suggestion.startswith("Close") or parsed.suggestion.startswith("Stores")
                 else " Try: ") + parsed.suggestion
    return Answer(text, outcome="clarify", reason=parsed.problem, engine="offline", spec=parsed.spec if parsed.spec.metric else None,
                  understood=understood)
