"""The auditor's export: one zip for a period with an HTML report, the checklist, the monthly score,
every check's finding rows as CSV, the audit-log entries of the period and the log's head hash
(kept outside the store, so `python -m lucky compliance verify --head <hash>` later proves the log
was not rewritten)."""
from __future__ import annotations

import html
import io
import zipfile
from datetime import UTC, datetime

import pandas as pd

from lucky import state
from lucky.compliance import audit
from lucky.core import Filters, Output, Viewer


def _table(df: pd.DataFrame, limit: int = 200) -> str:
    if df.empty:
        return "<p><em>none</em></p>"
    more = f"<p>… {len(df) - limit:,} more rows in the CSV</p>" if len(df) > limit else ""
    return df.head(limit).to_html(index=False, border=0, classes="t", na_rep="") + more


def report_html(out: Output, filters: Filters, viewer: Viewer, head: tuple[int, str], verified: str,
                formula: str) -> str:
    """A self-contained HTML report (prints to PDF from any browser)."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    checklist = out.tables.get("checklist", pd.DataFrame())
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Lucky compliance audit</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}.t{border-collapse:collapse;font-size:.85em}"
        ".t td,.t th{border:1px solid #ccc;padding:.2em .5em}code{background:#f4f4f4}</style></head><body>",
        "<h1>Luckin Coffee USA: compliance audit report</h1>",
        f"<p>Period <b>{filters.start}</b> to <b>{filters.end}</b> (store-local business days), currency "
        f"{html.escape(filters.currency)}, stores {html.escape(', '.join(map(str, filters.stores)) or 'all')}. "
        f"Prepared {now} for {html.escape(viewer.name)} ({html.escape(viewer.role)}).</p>",
        f"<p>Audit log: {head[0]:,} entries; head hash <code>{head[1]}</code>. Chain verification at export: "
        f"{html.escape(verified)}. Keep this hash: <code>python -m lucky compliance verify --head {head[1]}</code> "
        "proves later that no entry up to it was altered, removed or rewritten.</p>",
        "<h2>Checklist</h2>", _table(checklist),
        "<h2>Monthly compliance score</h2>", f"<p>{html.escape(formula)}</p>",
        _table(out.tables.get("score", pd.DataFrame())),
        "<h2>Findings per month and category</h2>", _table(out.tables.get("trend", pd.DataFrame())),
    ]
    for name, df in out.tables.items():
        if name.startswith("rows-"):
            parts += [f"<h2>Findings: {html.escape(name[5:])} ({len(df):,})</h2>", _table(df, 50)]
    parts += ["<h2>Messages</h2><ul>"] + [f"<li>{html.escape(m.level)}: {html.escape(m.text)}</li>"
                                           for m in out.messages] + ["</ul></body></html>"]
    return "\n".join(parts)


def bundle(out: Output, filters: Filters, viewer: Viewer, formula: str) -> tuple[bytes, str]:
    """(zip bytes, head hash) for the period of `filters`; the export itself goes to the audit log."""
    check = audit.verify()
    head = audit.head()
    verified = "intact" if check.ok else f"BROKEN: {check.problem}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("report.html", report_html(out, filters, viewer, head, verified, formula))
        z.writestr("HEAD_HASH.txt", f"{head[1]}\nentries {head[0]}\nchain {verified}\n")
        for name, df in out.tables.items():
            folder = "findings/" if name.startswith("rows-") else ""
            z.writestr(f"{folder}{name.removeprefix('rows-')}.csv", df.to_csv(index=False))
        z.writestr("audit_log.csv", audit.frame(filters.start, filters.end).to_csv(index=False))
    state.audit(viewer.name, "compliance_export", f"{filters.start}..{filters.end}", f"head {head[1]}")
    return buf.getvalue(), head[1]
