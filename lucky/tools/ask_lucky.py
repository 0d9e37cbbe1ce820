"""Tool 19, Ask Lucky: questions in plain English answered from the read-only replicas.

`run` answers one question (the `question` option) with the offline engine (and the LLM engine
when configured), through the guard in `lucky.ask.guard`; the chat page (`pages/ask-lucky.py`)
calls it through `lucky.tools.execute` like every other page, so role checks and masking apply.
"""
from __future__ import annotations

from datetime import date

import altair as alt

from lucky.ask import engine
from lucky.core import ROLES, Filters, Kpi, Option, Output, Tool, Viewer
from lucky.schema import DATABASES


def chart_for(answer) -> alt.Chart | None:
    """A bar or line chart when the answer is a breakdown with one measure (a chart helps)."""
    df = answer.frame
    if not answer.chart or df.empty or len(df) < 2 or len(df) > 60:
        return None
    label = "store" if "store" in df.columns else df.columns[0]
    value = df.columns[-1] if answer.spec is None or answer.spec.compare != "daytype" else df.columns[2]
    if answer.spec is not None and answer.spec.compare == "previous":
        label, value = "period", df.columns[-1]
    data = df[[label, value]].rename(columns={label: "label", value: "value"})
    data["label"] = data["label"].astype(str)
    base = alt.Chart(data)
    if answer.chart == "line":
        return base.mark_line(point=True).encode(x=alt.X("label:O", title=label, sort=None),
                                                 y=alt.Y("value:Q", title=value)).properties(height=280)
    return base.mark_bar().encode(y=alt.Y("label:N", title=label, sort=None),
                                  x=alt.X("value:Q", title=value)).properties(height=max(120, 24 * len(data)))


def run(filters: Filters, viewer: Viewer, question: str = "", as_of: date | None = None) -> Output:
    out = Output()
    answer = engine.ask(question, viewer, as_of=as_of or filters.as_of)
    from lucky.ask import usage
    usage.record(question, viewer, answer, source="tool")
    level = "error" if answer.refused else "warning" if answer.outcome in ("clarify", "error") else \
        "info" if answer.outcome == "empty" else "success"
    out.note(level, answer.answer)
    if answer.rows:
        out.tables["answer"] = answer.frame
    chart = chart_for(answer)
    if chart is not None:
        out.charts["answer"] = chart
    out.kpis = [Kpi("Engine", answer.engine), Kpi("Outcome", answer.outcome),
                Kpi("Answer time", round(answer.seconds * 1000), "ms")]
    if answer.sql:
        out.note("info", "SQL: " + answer.sql)
    if answer.databases:
        out.note("info", "Databases read: " + ", ".join(answer.databases))
    return out


TOOL = Tool(
    slug="ask-lucky", number=19, title="Ask Lucky", department="Company-wide",
    roles=frozenset(ROLES), sources=DATABASES, run=run, icon=":material/forum:",
    description="Questions in plain English, answered from the read-only replicas with the SQL shown.",
    options=(Option("question", str, "", "a question in plain English"),
             Option("as_of", date, None, "the day relative dates count from (default: latest day in the data)")),
)
