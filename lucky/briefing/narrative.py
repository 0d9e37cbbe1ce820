"""The briefing's narrative: an LLM's summary of the fact sheet, checked number by number.

The model (any OpenAI-compatible endpoint: `LUCKY_LLM_BASE_URL`, `LUCKY_LLM_MODEL`,
`LUCKY_LLM_API_KEY`, or `[llm] base_url/model/api_key` in secrets) sees only the fact sheet and
may only restate its numbers. Every number in its answer must match a number of the fact sheet
(at the precision written; $15.4K matches $15,432). With no endpoint, or when the call fails,
times out, or returns an answer that is empty, oversized or cites a number not in the facts, the
deterministic narrative below, written from the same figures, is used and the briefing says why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from lucky import config
from lucky.briefing.compose import Briefing
from lucky.briefing.figures import fmt_change

NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([KkMm](?![a-z]))?")
MAX_CHARS = 2500
SYSTEM = ("You write the opening paragraph of an executive daily briefing for a coffee chain. "
          "Use only the facts given. Copy every number exactly as written in the facts; do not "
          "compute new numbers, totals or percentages. 4 to 6 sentences, plain text, no lists, "
          "no headings. Lead with what needs attention.")


@dataclass(frozen=True)
class LlmSettings:
    base_url: str
    model: str
    api_key: str
    max_tokens: int = 350
    timeout: float = 20.0


def settings() -> LlmSettings | None:
    """The endpoint from the environment or secrets; None when no base URL or model is set."""
    table = config.secrets().get("llm", {})
    table = table if isinstance(table, dict) else {}

    def get(name: str, key: str, default=None):
        return config.setting(name) or table.get(key) or default
    base, model = get("LUCKY_LLM_BASE_URL", "base_url"), get("LUCKY_LLM_MODEL", "model")
    if not base or not model:
        return None
    return LlmSettings(str(base), str(model), str(get("LUCKY_LLM_API_KEY", "api_key", "not-needed")),
                       int(get("LUCKY_LLM_MAX_TOKENS", "max_tokens", 350)),
                       float(get("LUCKY_LLM_TIMEOUT", "timeout", 20.0)))


def numbers(text: str) -> list[tuple[float, float]]:
    """Every number in a text as (value, tolerance): the tolerance is half a unit of the last
    digit written (times K/M when abbreviated). Signs are ignored: direction is in the words."""
    out = []
    for m in NUMBER.finditer(text):
        raw, suffix = m.group(1).replace(",", ""), (m.group(2) or "").lower()
        mult = {"k": 1e3, "m": 1e6}.get(suffix, 1.0)
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        out.append((float(raw) * mult, 0.5 * 10 ** -decimals * mult + 1e-9))
    return out


def unsupported(narrative: str, facts: str) -> list[str]:
    """Numbers of the narrative that match no number of the fact sheet."""
    allowed = [v for v, _ in numbers(facts)]
    bad = []
    for m, (value, tol) in zip(NUMBER.finditer(narrative), numbers(narrative)):
        if not any(abs(value - a) <= tol for a in allowed):
            bad.append(m.group(0).strip())
    return bad


def deterministic(brief: Briefing) -> str:
    """The narrative written from the figures, with no model involved."""
    if not brief.has_data:   # the notes already say why (before or after the data, no stores)
        return "" if brief.notes else f"No data for {brief.day:%Y-%m-%d}."
    parts = []
    rev = brief.section("Revenue & Orders")
    if rev and rev.figures:
        n, r, a = rev.figures[0], rev.figures[1], rev.figures[2]
        day = f"{brief.day:%A} {brief.day:%Y-%m-%d}"
        if n.value:
            parts.append(f"On {day} the stores completed {n.text} orders ({fmt_change(n.vs_week)} vs the same "
                         f"weekday last week, {fmt_change(n.vs_avg)} vs the same weekday's 4-week average) for "
                         f"{r.text} in revenue, an average order of {a.text}.")
        else:
            parts.append(f"No completed orders were recorded on {day}.")
        parts += [ln for ln in rev.lines if ln.startswith(("Top store", "Biggest drop"))][:2]
    alerts = brief.section("Alerts & Exceptions")
    if alerts and alerts.lines:
        parts.append(alerts.lines[0] if len(alerts.lines) == 1 else f"{alerts.lines[0]} {alerts.lines[1]}")
    ops = brief.section("Operational Health")
    if ops:
        p95 = next((f for f in ops.figures if f.label.endswith("p95")), None)
        if p95 is not None and p95.value is not None:
            parts.append(f"Production time p95 was {p95.text} ({fmt_change(p95.vs_avg)} vs the same weekday's 4-week average).")
        parts += [ln for ln in ops.lines if "impossible" in ln or "slowing" in ln][:2]
    cust = brief.section("Customer Metrics")
    if cust and cust.figures:
        f = cust.figures[0]
        parts.append(f"{f.label}: {f.text} ({fmt_change(f.vs_week)} vs last week).")
    out = brief.section("7-Day Outlook")
    if out:
        if out.figures:
            f = out.figures[0]
            parts.append(f"The next 7 days are predicted at {f.text} orders"
                         + (f" ({fmt_change(f.vs_week)} vs the last 7 days)." if f.week else "."))
        elif out.lines:
            parts.append(out.lines[0])
    return " ".join(parts)


def ask(brief: Briefing, cfg: LlmSettings) -> str:
    """One chat completion over the fact sheet (no retries: the fallback is immediate)."""
    from openai import OpenAI

    client = OpenAI(base_url=cfg.base_url, api_key=cfg.api_key, timeout=cfg.timeout, max_retries=0)
    resp = client.chat.completions.create(
        model=cfg.model, max_tokens=cfg.max_tokens, temperature=0.2,
        messages=[{"role": "system", "content": SYSTEM},
                  {"role": "user", "content": brief.facts()[:12000]}])
    content = resp.choices[0].message.content if resp.choices else None
    return (content or "").strip()


def problem(text: str, facts: str) -> str:
    """Why an answer cannot be used ('' when it can)."""
    if len(text) < 40 or not re.search(r"[A-Za-z]{3,}", text):
        return "the answer was empty or not prose"
    if len(text) > MAX_CHARS:
        return f"the answer was longer than {MAX_CHARS} characters"
    bad = unsupported(text, facts)
    if bad:
        return f"it cited {len(bad)} number(s) not in the metrics"   # never repeat them
    return ""


def write(brief: Briefing, cfg: LlmSettings | None = None, use_llm: bool = True) -> Briefing:
    """Fill `brief.narrative`, from the model when configured and sound, else deterministically."""
    brief.narrative, brief.narrative_source, brief.narrative_note = deterministic(brief), "deterministic", ""
    if not use_llm or not brief.has_data:
        return brief
    cfg = cfg or settings()
    if cfg is None:
        brief.narrative_note = "No language model is configured; this summary is written from the figures."
        return brief
    try:
        text = ask(brief, cfg)
    except Exception as exc:  # noqa: BLE001 - timeouts, HTTP and parse errors all mean: fall back
        brief.narrative_note = (f"The language model at {cfg.base_url} did not answer "
                                f"({type(exc).__name__}); this summary is written from the figures.")
        return brief
    why = problem(text, brief.facts())
    if why:
        brief.narrative_note = f"The language model's summary was discarded because {why}; this summary is written from the figures."
        return brief
    brief.narrative, brief.narrative_source = text, "AI"
    return brief
