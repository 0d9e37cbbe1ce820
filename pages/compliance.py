"""Unified Compliance & Audit Platform: a thin page over `lucky.tools.execute("compliance", ...)`;
the checks live in `lucky.compliance.checks`, the score and the hash chain in `lucky.models.compliance`."""
import altair as alt
import streamlit as st

from lucky.compliance import export
from lucky.compliance.checks import CATEGORIES
from lucky.tools.compliance import SCORE_FORMULA
from lucky.ui import frame, render

SLUG = "compliance"
ICONS = {"pass": "PASS", "fail": "FAIL", "could not run": "COULD NOT RUN"}

filters, viewer = frame.setup_page(SLUG)
st.title("Unified Compliance & Audit Platform")
st.caption("Automated checks on tax, payment, food safety and financial controls, reusing the tax-gap and "
           "reconciliation views as you may see them. Every computed run is written to a hash-chained audit "
           "log (`python -m lucky compliance verify`).")
out = frame.run_cached(SLUG, filters, viewer)
if out is not None:
    render.kpis(out.kpis)
    render.messages(out)
    checklist = out.tables["checklist"]
    score = out.tables["score"]
    left, right = st.columns([2, 1])
    with left:
        st.subheader("Monthly compliance score")
        if score["score"].notna().any():
            st.altair_chart(alt.Chart(score.dropna(subset=["score"])).mark_line(point=True).encode(
                x=alt.X("month:N", title="Month"), y=alt.Y("score:Q", title="Score", scale=alt.Scale(domain=[0, 100])),
                tooltip=["month", "score", "checks_passed", "checks_run"]), width="stretch")
        st.caption(SCORE_FORMULA)
    with right:
        st.subheader("Auditor's export")
        st.write("One zip for this period: an HTML report, the checklist, score and findings as CSV, the audit-log "
                 "entries of the period and the log's head hash.")
        st.download_button("Download audit bundle", icon=":material/folder_zip:", on_click="ignore",
                           data=lambda: export.bundle(out, filters, viewer, SCORE_FORMULA)[0],
                           file_name=f"compliance_{filters.label()}.zip", mime="application/zip",
                           key="dl_compliance_bundle")
    trend = out.tables["trend"]
    for tab, category in zip(st.tabs(list(CATEGORIES)), CATEGORIES):
        with tab:
            rows = checklist[checklist["category"] == category]
            shown = rows.assign(status=rows["status"].map(ICONS))[
                ["status", "check", "findings", "severity", "source", "reason"]]
            render.table(shown, f"checklist-{category.lower().replace(' ', '-')}", filters, SLUG)
            t = trend[trend["category"] == category]
            if len(t) and t["findings"].sum():
                st.altair_chart(alt.Chart(t).mark_bar().encode(
                    x=alt.X("month:N", title="Month"), y=alt.Y("findings:Q", title="Findings"),
                    tooltip=["month", "findings"]).properties(height=180), width="stretch")
            for _, r in rows.iterrows():
                name = f"rows-{r['check_id']}"
                if name in out.tables:
                    with st.expander(f"{r['check']}: {int(r['findings']):,} finding(s)"):
                        render.table(out.tables[name], name, filters, SLUG)
