"""The briefing as a mobile-friendly HTML email, as Markdown (`to_markdown`) and as a Slack
message in Slack's own mrkdwn (`to_slack`: *bold*, :emoji: dots, <url|text> links).

HTML: one 600px column that narrows on a phone, inline styles only (mail clients drop <style>
rules), KPI cards that wrap two per row, inline SVG sparklines of the last 30 days and colour-coded
trend arrows (green good, red bad, grey flat: "good" depends on the metric, e.g. production
time down is good). Slack: bold headers, bullet lines, unicode-block sparklines and coloured dots.
"""
from __future__ import annotations

import html
import math

from lucky import config
from lucky.briefing.compose import Briefing, Section
from lucky.briefing.figures import Figure, fmt, fmt_change

COLOURS = {"good": "#1e8e3e", "bad": "#d93025", "flat": "#80868b"}
DOTS = {"good": ":large_green_circle:", "bad": ":red_circle:", "flat": ":white_circle:"}
BLOCKS = "▁▂▃▄▅▆▇█"
TITLE = "Luckin Coffee USA · Daily Briefing"


def app_url() -> str:
    return (config.setting("LUCKY_APP_URL") or "http://localhost:8501").rstrip("/")


def _clean(values: list[float]) -> list[float]:
    return [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def sparkline_svg(values: list[float], width: int = 120, height: int = 28, colour: str = "#5f6368") -> str:
    """An inline SVG polyline of the series with its last point marked ('' when too short)."""
    vals = _clean(values)
    if len(vals) < 2:
        return ""
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    step = (width - 4) / (len(vals) - 1)
    pts = [(2 + i * step, height - 2 - (v - lo) / span * (height - 4)) for i, v in enumerate(vals)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    x, y = pts[-1]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="last 30 days">'
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{colour}"/></svg>')


def sparkline_text(values: list[float]) -> str:
    """▁▂▅▇ blocks for Slack."""
    vals = _clean(values)
    if len(vals) < 2:
        return ""
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    return "".join(BLOCKS[min(7, int((v - lo) / span * 7.999))] for v in vals)


def _arrow(fig: Figure, c: float | None, against: str) -> str:
    if c is None:
        return ""   # nothing to compare with (e.g. no same-day history for a prediction)
    tone = fig.tone(c)
    sym = "▲" if c > 0.005 else "▼" if c < -0.005 else "►"
    return f'<span style="color:{COLOURS[tone]};white-space:nowrap">{sym} {fmt_change(c)} {against}</span>'


def _card(fig: Figure) -> str:
    return (
        '<td class="card" style="width:50%;padding:6px;vertical-align:top">'
        '<div style="border:1px solid #e0e0e0;border-radius:8px;padding:10px">'
        f'<div style="font-size:12px;color:#5f6368">{html.escape(fig.label)}</div>'
        f'<div style="font-size:22px;font-weight:600;margin:2px 0">{html.escape(fig.text)}</div>'
        f'<div style="font-size:12px;line-height:1.5">'
        + "<br>".join(a for a in (_arrow(fig, fig.vs_week, "vs last wk"),
                                  _arrow(fig, fig.vs_avg, "vs same-day 4-wk avg")) if a)
        + ("<br><span style=\'color:#80868b\'>day in progress: not judged</span>" if not fig.judged else "")
        + '</div>'
        f'<div style="margin-top:4px">{sparkline_svg(fig.spark)}</div></div></td>')


def _cards(figures: list[Figure]) -> str:
    rows = []
    for i in range(0, len(figures), 2):
        pair = "".join(_card(f) for f in figures[i:i + 2])
        rows.append(f"<tr>{pair}</tr>")
    return f'<table role="presentation" width="100%" cellspacing="0" cellpadding="0">{"".join(rows)}</table>'


def _store_table(sec: Section) -> str:
    t = sec.table
    if t is None or t.empty or "store" not in t:
        return ""
    head = ('<tr style="color:#5f6368;font-size:12px;text-align:left"><th>Store</th><th>Orders</th>'
            '<th>Revenue</th><th>vs last wk</th></tr>')
    body = []
    for r in t.head(12).itertuples():
        c = r.vs_last_week if r.vs_last_week == r.vs_last_week else None
        tone = "flat" if c is None or abs(c) < 0.02 else ("good" if c > 0 else "bad")
        sym = "" if c is None else ("▲" if c > 0 else "▼")
        body.append(f'<tr style="font-size:13px;border-top:1px solid #eee"><td>{html.escape(str(r.store))}</td>'
                    f'<td>{r.orders:,}</td><td>{fmt(r.revenue, "$")}</td>'
                    f'<td style="color:{COLOURS[tone]}">{sym} {fmt_change(c)}</td></tr>')
    return (f'<table width="100%" cellspacing="0" cellpadding="4" style="border-collapse:collapse;margin-top:8px">'
            f"{head}{''.join(body)}</table>")


def _list(items: str) -> str:
    return f'<ul style="padding-left:18px;margin:8px 0;font-size:14px">{items}</ul>' if items else ""


def _section_html(sec: Section) -> str:
    lines = "".join(f"<li>{html.escape(ln)}</li>" for ln in sec.lines)
    link = f'<a href="{app_url()}/{sec.link}" style="font-size:12px;color:#1a73e8">Deep dive →</a>' if sec.link else ""
    table = _store_table(sec) if sec.title == "Revenue & Orders" else ""
    return (f'<div style="margin:18px 0 0"><h2 style="font-size:17px;margin:0 0 6px;border-bottom:2px solid #1a3d7c;'
            f'padding-bottom:4px">{html.escape(sec.title)}</h2>{_cards(sec.figures) if sec.figures else ""}{table}'
            f'{_list(lines)}'
            f"{link}</div>")


def to_html(brief: Briefing) -> str:
    """The whole email as one HTML document."""
    notes = "".join(f"<p style='margin:4px 0'>{html.escape(n)}</p>" for n in brief.notes)
    notes_box = (f'<div style="background:#fef7e0;border-radius:6px;padding:8px 12px;font-size:14px">{notes}</div>'
                 if notes else "")
    narrative = html.escape(brief.narrative or "")
    src = "AI summary, every number checked against the metrics" if brief.narrative_source == "AI" else "Summary written from the figures"
    note = f"<br>{html.escape(brief.narrative_note)}" if brief.narrative_note else ""
    body = "".join(_section_html(s) for s in brief.sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE} {brief.day:%Y-%m-%d}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7">
<div style="max-width:600px;margin:0 auto;background:#ffffff;padding:16px;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#202124">
<div style="font-size:13px;color:#5f6368">{TITLE}</div>
<h1 style="font-size:21px;margin:2px 0 10px">{brief.day:%A, %B %d, %Y}</h1>
{notes_box}
<p style="font-size:15px;line-height:1.5">{narrative}</p>
<p style="font-size:11px;color:#80868b;margin-top:-6px">{src}.{note}</p>
{body}
<p style="font-size:11px;color:#80868b;margin-top:20px">Store-local business days. Comparisons: same weekday last week and the average of the same weekday over the 4 weeks before; a day still in progress is not judged. Generated by Lucky.</p>
</div></body></html>"""


def _fig_md(fig: Figure) -> str:
    bits = [f"• {fig.label}: *{fig.text}*"]
    for c, against in ((fig.vs_week, "vs last wk"), (fig.vs_avg, "vs same-day 4-wk avg")):
        if c is not None:
            bits.append(f"{DOTS[fig.tone(c)]} {fmt_change(c)} {against}")
    spark = sparkline_text(fig.spark)
    return "  ".join(bits) + (f"  `{spark}`" if spark else "")


def to_slack(brief: Briefing) -> str:
    """Slack mrkdwn: one message, sections as bold headers."""
    out = [f"*{TITLE} · {brief.day:%a %Y-%m-%d}*"]
    out += [f"> {n}" for n in brief.notes]
    if brief.narrative:
        out.append(brief.narrative)
    if brief.narrative_note:
        out.append(f"_{brief.narrative_note}_")
    for sec in brief.sections:
        out.append(f"\n*{sec.title}*")
        out += [_fig_md(f) for f in sec.figures]
        if sec.title == "Revenue & Orders" and sec.table is not None and not sec.table.empty:
            for r in sec.table.head(10).itertuples():
                c = r.vs_last_week if r.vs_last_week == r.vs_last_week else None
                out.append(f"    ◦ {r.store}: {r.orders:,} orders, {fmt(r.revenue, '$')} ({fmt_change(c)} vs last wk)")
        out += [f"• {ln}" for ln in sec.lines]
        if sec.link:
            out.append(f"<{app_url()}/{sec.link}|Deep dive →>")
    return "\n".join(out)


MD_TONE = {"good": "▲", "bad": "▼", "flat": "►"}


def _fig_markdown(fig: Figure) -> str:
    bits = [f"- {fig.label}: **{fig.text}**"]
    for c, against in ((fig.vs_week, "vs last week"), (fig.vs_avg, "vs same-day 4-week avg")):
        if c is not None:
            word = {"good": "", "bad": " (worse)", "flat": ""}[fig.tone(c)]
            bits.append(f"{fmt_change(c)} {against}{word}")
    spark = sparkline_text(fig.spark)
    return " · ".join(bits) + (f" `{spark}`" if spark else "")


def to_markdown(brief: Briefing) -> str:
    """Plain Markdown (CommonMark/GitHub): # headings, **bold**, [links](url), no Slack markup."""
    out = [f"# {TITLE} · {brief.day:%a %Y-%m-%d}", ""]
    out += [f"> {n}" for n in brief.notes]
    if brief.notes:
        out.append("")
    if brief.narrative:
        out += [brief.narrative, ""]
    if brief.narrative_note:
        out += [f"_{brief.narrative_note}_", ""]
    for sec in brief.sections:
        out += [f"## {sec.title}", ""]
        out += [_fig_markdown(f) for f in sec.figures]
        if sec.title == "Revenue & Orders" and sec.table is not None and not sec.table.empty:
            out += ["", "| Store | Orders | Revenue | vs last week |", "|---|---:|---:|---:|"]
            for r in sec.table.head(10).itertuples():
                c = r.vs_last_week if r.vs_last_week == r.vs_last_week else None
                out.append(f"| {str(r.store).replace('|', '/')} | {r.orders:,} | {fmt(r.revenue, '$')} | {fmt_change(c)} |")
            out.append("")
        out += [f"- {ln}" for ln in sec.lines]
        if sec.link:
            out.append(f"\n[Deep dive →]({app_url()}/{sec.link})")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
