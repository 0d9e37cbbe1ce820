"""Executive Daily Briefing: preview the morning email and Slack message for any day (a thin page
over `lucky.tools.execute("briefing", ...)`); admins can send it."""
from datetime import date

import streamlit as st

from lucky.briefing import deliver
from lucky.ui import frame, render

SLUG = "briefing"

filters, viewer = frame.setup_page(SLUG, uses=(frame.K_ASOF, frame.K_STORES, frame.K_CURRENCY))
st.title("Executive Daily Briefing")
st.caption("Revenue & Orders, Operational Health, Customer Metrics, Alerts & Exceptions and the 7-Day Outlook "
           "for one store-local day, as sent at 7 AM New York time. Pick the day with \"As of\" in the sidebar; "
           "the cards compare it with the same weekday last week.")
day = filters.as_of or filters.end or date.today()   # the sidebar's "As of" is the briefing's day
use_llm = st.toggle("AI narrative when a language model is configured", value=True, key="brief_llm")
out = frame.run_cached(SLUG, filters, viewer, day=day, use_llm=use_llm)
if out is not None:
    render.kpis(out.kpis, currency=filters.currency)
    render.messages(out)
    docs = out.tables.get("documents")
    if docs is not None and not docs.empty:
        content = docs.set_index("format")["content"]
        html_doc, md, slack_text = content["html"], content["md"], content.get("slack", content["md"])
        email, slack, data = st.tabs(["Email", "Slack", "Data"])
        with email:
            st.iframe(html_doc, height="content")  # grows to the whole email; our own escaped markup
            st.download_button("Download HTML", html_doc, file_name=f"briefing_{day}.html", mime="text/html",
                               icon=":material/download:", key="brief_dl_html")
        with slack:
            st.code(slack_text, language="markdown")
            st.download_button("Download Markdown", md, file_name=f"briefing_{day}.md", mime="text/markdown",
                               icon=":material/download:", key="brief_dl_md",
                               help="Plain Markdown (headings, **bold**, links); the box above is Slack's mrkdwn.")
        with data:
            for name in ("stores", "incidents", "outlook", "facts"):
                if name in out.tables:
                    st.subheader(render.title_of(name))
                    render.table(out.tables[name], name, filters, SLUG)
        if viewer.is_admin and st.button("Send now by email and Slack", icon=":material/send:", key="brief_send"):
            for ok, statement in deliver.deliver(f"Daily Briefing {day:%a %Y-%m-%d}", html_doc, slack_text):
                (st.success if ok else st.warning)(statement)
