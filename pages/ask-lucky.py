"""Ask Lucky: a chat over the read-only replicas. Thin: the engine answers (`lucky.ask.engine`,
through the guard), this page shows the answer, table, chart, SQL, databases and explanations,
keeps the conversation (follow-ups refine the last question), the user's history, saved and
shared questions (`?q=<id>`), and the weekly usage count."""
from __future__ import annotations

import streamlit as st

from lucky.ask import engine, explain, usage
from lucky.errors import LuckyError
from lucky.tools.ask_lucky import chart_for
from lucky.ui import frame, render

SLUG = "ask-lucky"
EXAMPLES = ("How many orders did 8th & Broadway do yesterday?", "What's our best selling drink this week?",
            "Show me the top 10 users by order count", "Compare revenue between weekdays and weekends this month")

filters, viewer = frame.setup_page(SLUG)
st.title("Ask Lucky")
st.caption("Questions in plain English, answered from the read-only replicas. Relative dates count from "
           f"{filters.as_of} (the 'As of' filter); weeks start on Monday. Every query is checked by the guard "
           "(one SELECT, allow-listed tables, no personal data unless you are an admin, row limit, 10 s timeout). "
           "The question itself names its period, stores and currency; the sidebar's range, stores and currency are not used here.")
state = st.session_state
chat = state.setdefault("ask_chat", [])


def _ask(question: str) -> None:
    previous = next((a.spec for _, a in reversed(chat) if a.spec is not None and a.outcome == "answered"), None)
    try:
        answer = engine.ask(question, viewer, as_of=filters.as_of, previous=previous)
    except LuckyError as exc:
        answer = engine.Answer(f"The data could not be read: {exc}", outcome="error", engine="none")
    usage.record(question, viewer, answer, source="page")
    chat.append((question, answer))


def _show(i: int, question: str, answer) -> None:
    with st.chat_message("user"):
        st.markdown(question or "_(empty question)_")
    with st.chat_message("assistant", avatar=":material/forum:"):
        text = answer.answer
        (st.error if answer.refused else st.warning if answer.outcome in ("clarify", "error") else st.markdown)(text)
        if answer.rows:
            chart = chart_for(answer)
            if chart is not None:
                render.chart(chart, f"answer-{i}")
            render.table(answer.frame, f"answer-{i}", filters, SLUG)
        meta = []
        if answer.databases:
            meta.append("Read " + ", ".join(f"`{d}`" for d in answer.databases))
        meta.append(f"{answer.engine} engine, {answer.seconds * 1000:.0f} ms")
        if answer.understood:
            meta.append(f"understood: {answer.understood}")
        st.caption(" · ".join(meta))
        if answer.sql:
            with st.expander("SQL", icon=":material/code:"):
                st.code(answer.sql, language="sql")
        a, b = st.columns(2)
        if answer.spec is not None and answer.spec.metric and answer.outcome in ("answered", "empty") \
                and a.toggle("Explain this data", key=f"explain_{i}"):
            st.markdown(explain.explain(answer))
        if b.button("Save and share", key=f"save_{i}", icon=":material/share:"):
            try:
                key = usage.save(question, viewer, str(filters.as_of) if filters.as_of else None)
                st.query_params["q"] = key
                state["ask_shared"] = key      # already in this conversation: do not ask it again
                st.success(f"Saved. Share this page's link (it ends in `?q={key}`).")
            except LuckyError as exc:
                st.warning(f"Could not save: {exc}")


shared = st.query_params.get("q")
if shared and state.get("ask_shared") != shared:
    state["ask_shared"] = shared
    try:
        found = usage.saved(shared)
    except LuckyError:
        found = None
    if found:
        _ask(found[0])
    else:
        st.warning(f"No saved question with id {shared}.")

if not chat:
    st.markdown("**Try one of these:**")
    cols = st.columns(len(EXAMPLES))
    for col, example in zip(cols, EXAMPLES):
        if col.button(example, key=f"ex_{example}", width="stretch"):
            _ask(example)

question = st.chat_input("Ask a question about orders, revenue, drinks, stores, customers…")
if question is not None:
    _ask(question)

for i, (q, a) in enumerate(chat):
    _show(i, q, a)

with st.sidebar:
    if chat and st.button("New conversation", icon=":material/restart_alt:"):
        state["ask_chat"] = []
        st.rerun()
with st.expander("Your recent questions and saved questions", icon=":material/history:"):
    try:
        st.dataframe(usage.history(viewer), hide_index=True, width="stretch")
        saved = usage.saved_by(viewer)
        if len(saved):
            st.markdown("Saved: " + ", ".join(f"[{r.question}](?q={r.id})" for r in saved.itertuples()))
    except LuckyError as exc:
        st.caption(f"History unavailable: {exc}")
with st.expander("Usage: questions per week", icon=":material/bar_chart:"):
    try:
        st.dataframe(usage.weekly_counts(), hide_index=True, width="stretch")
        st.caption("The report's success metric is 50+ weekly questions by non-technical staff (non_admin).")
    except LuckyError as exc:
        st.caption(f"Usage unavailable: {exc}")
