"""The LLM engine: an OpenAI-compatible endpoint writes SQL for questions the offline parser
cannot place. Configured by LUCKY_LLM_BASE_URL, LUCKY_LLM_MODEL and LUCKY_LLM_API_KEY (the
report's Dify, or any server speaking /v1/chat/completions). Its SQL is never trusted: it passes
the same guard as everything else (`lucky.ask.guard`), and is never executed as code.
"""
from __future__ import annotations

import re

from lucky import config
from lucky.ask import guard
from lucky.ask.parse import Vocabulary
from lucky.ask.semantic import METRICS
from lucky.core import Viewer
from lucky.schema import metadata

TIMEOUT_S = 20.0


def configured() -> bool:
    return bool(config.setting("LUCKY_LLM_BASE_URL") and config.setting("LUCKY_LLM_MODEL"))


def schema_text(viewer: Viewer) -> str:
    """The allow-listed tables and columns (PII columns left out for non-admins) and metric definitions."""
    lines = []
    for tbl in metadata.sorted_tables:
        if tbl.schema not in guard._ALLOWED:
            continue
        pii = guard.pii_columns(tbl.schema, tbl.name)
        cols = [c.name for c in tbl.columns if viewer.is_admin or c.name not in pii]
        lines.append(f"{tbl.schema}.{tbl.name}({', '.join(cols)})")
    metrics = [f"- {m.label}: {m.definition}" for m in METRICS.values()]
    return "Tables:\n" + "\n".join(lines) + "\nMetrics:\n" + "\n".join(metrics)


SYSTEM = ("You write one read-only SQL SELECT (MySQL dialect) over the tables below to answer a "
          "question about Luckin Coffee USA. Use fully qualified <database>.<table> names, one "
          "database per query, no comments, only the listed columns. Timestamps are UTC. Completed "
          "orders have status 90; money is in dollars except t_trade/t_channel_fee (cents); never "
          "add USD and NZD. Reply with the SQL only.\n\n")


def _sql_from(text: str) -> str:
    m = re.search(r"```(?:sql)?\s*(.*?)```", text, re.S | re.I)
    return (m[1] if m else text).strip().rstrip(";").strip() if text else ""


def answer(question: str, viewer: Viewer, vocab: Vocabulary):
    """Ask the model for SQL, guard it, run it; an Answer in every case."""
    from lucky.ask.engine import Answer

    try:
        from openai import OpenAI
        client = OpenAI(base_url=config.setting("LUCKY_LLM_BASE_URL"),
                        api_key=config.setting("LUCKY_LLM_API_KEY") or "none", timeout=TIMEOUT_S, max_retries=0)
        reply = client.chat.completions.create(
            model=config.setting("LUCKY_LLM_MODEL"), temperature=0,
            messages=[{"role": "system", "content": SYSTEM + schema_text(viewer)
                       + f"\nThe latest business day in the data is {vocab.as_of}."},
                      {"role": "user", "content": question}])
        text = reply.choices[0].message.content or ""
    except Exception as exc:  # noqa: BLE001 - any client failure is "the LLM is unavailable"
        return Answer(f"The LLM engine is unavailable ({type(exc).__name__}); I could not answer this offline either.",
                      engine="llm", outcome="error", reason=str(exc)[:200])
    sql = _sql_from(text)
    try:
        checked = guard.check(sql, viewer)
    except guard.Refused as exc:
        return Answer(f"Refused: the SQL the LLM wrote was not allowed ({exc.reason}).", sql=sql or None,
                      refused=True, reason=exc.reason, engine="llm", outcome="refused")
    df = guard.run(checked)
    if not viewer.is_admin:
        from lucky.access import mask_frame
        df = mask_frame(df)
    first = ""
    if len(df) == 1 and len(df.columns) == 1:
        first = f": {df.iloc[0, 0]}"
    text = (f"Answered by the LLM engine (check the SQL){first}; {len(df)} row{'s' if len(df) != 1 else ''}"
            + (f", cut at {checked.limit}" if len(df) >= checked.limit else "") + ".")
    return Answer(text, sql=checked.sql, columns=[str(c) for c in df.columns], rows=df.values.tolist(),
                  engine="llm", outcome="answered" if len(df) else "empty", databases=(checked.database,),
                  understood="free-form question (LLM)", chart="bar" if len(df.columns) == 2 and 1 < len(df) <= 50 else None)
