"""The briefing narrative: number checking, the deterministic fallback, and a local stub server
speaking the OpenAI chat-completions API (good answers, invented numbers, nonsense, errors,
a hang past the client's timeout). No patching: the real openai client talks to 127.0.0.1."""
from __future__ import annotations

import json
import re
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lucky.briefing import narrative, render
from lucky.briefing.compose import Briefing, Section
from lucky.briefing.figures import Figure


def sample_brief() -> Briefing:
    revenue = Section("Revenue & Orders", figures=[
        Figure("Orders", 3316, week=3150, avg30=3200, spark=[3000, 3100, 3316]),
        Figure("Revenue", 15432.0, "$", week=14800.0, avg30=15010.0, spark=[14000, 15000, 15432]),
        Figure("Average order", 4.65, "$", 2, week=4.70, avg30=4.69),
    ], lines=["Top store: 8th & Broadway with $3,120 from 655 orders."], link="store-performance")
    ops = Section("Operational Health", figures=[
        Figure("Production time p95", 410.0, "s", week=400.0, avg30=395.0, good=-1)],
        lines=["Machines: 20 of 21 online now (current status; the fleet table keeps no history)."])
    cust = Section("Customer Metrics", figures=[Figure("New registrations", 120, week=130, avg30=118)])
    alerts = Section("Alerts & Exceptions", lines=["1 incident(s), 1 critical:",
                                                   "Critical: 102 Fulton: the store closed early (orders)."])
    outlook = Section("7-Day Outlook", figures=[Figure("Predicted orders, next 7 days", 21000, week=20500)],
                      lines=["Busiest predicted day: Tuesday 2026-02-17 with 3,400 orders."])
    return Briefing(date(2026, 2, 10), "USD", [revenue, ops, cust, alerts, outlook])


class StubLLM(BaseHTTPRequestHandler):
    """POST /v1/chat/completions; the server's `mode` picks the answer."""

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        mode = self.server.mode
        if mode == "hang":
            self.server.release.wait(10)       # far past the client's timeout; ends by itself
            return
        if mode == "error":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "boom"}}')
            return
        facts = body["messages"][-1]["content"]
        if mode == "good":
            orders = re.search(r"Orders: ([\d,]+)", facts).group(1)
            revenue = re.search(r"Revenue: (\$[\d,]+)", facts).group(1)
            text = (f"The stores completed {orders} orders for {revenue} in revenue, up 5% on the same "
                    f"weekday last week. 102 Fulton closed early and needs a call this morning.")
        elif mode == "invented":
            text = "Revenue jumped 37% to $99,999 on 12,345 orders, a record for the chain this year."
        else:
            text = "!!!"
        payload = {"id": "stub", "object": "chat.completion", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": text}}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture()
def llm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubLLM)
    server.mode, server.requests, server.release = "good", [], threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def settings_for(server, timeout: float = 5.0) -> narrative.LlmSettings:
    host, port = server.server_address
    return narrative.LlmSettings(f"http://{host}:{port}/v1", "stub-model", "test-key", 123, timeout)


def test_numbers_and_tolerance():
    values = [v for v, _ in narrative.numbers("Revenue $15,432 (+5%), AOV $4.65, $15.4K, 2026-02-10")]
    assert values[:4] == [15432.0, 5.0, 4.65, 15400.0]
    facts = sample_brief().facts()
    assert narrative.unsupported("Revenue was $15.4K on 3,316 orders (+5%).", facts) == []
    assert narrative.unsupported("Revenue was $15,433.", facts) == ["15,433"]


def test_deterministic_narrative_uses_only_fact_numbers():
    brief = sample_brief()
    text = narrative.deterministic(brief)
    assert "3,316 orders" in text and "$15,432" in text
    assert narrative.unsupported(text, brief.facts()) == []


def test_no_endpoint_means_deterministic_with_a_statement(monkeypatch):
    for name in ("LUCKY_LLM_BASE_URL", "LUCKY_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUCKY_SECRETS", "/nonexistent/secrets.toml")
    brief = narrative.write(sample_brief())
    assert brief.narrative_source == "deterministic"
    assert "No language model is configured" in brief.narrative_note


def test_good_answer_is_used_and_budget_sent(llm):
    brief = narrative.write(sample_brief(), settings_for(llm))
    assert brief.narrative_source == "AI", brief.narrative_note
    assert brief.narrative.startswith("The stores completed 3,316 orders for $15,432")
    assert llm.requests[0]["max_tokens"] == 123
    assert "Revenue: $15,432" in llm.requests[0]["messages"][-1]["content"]
    assert "AI summary" in render.to_html(brief)


@pytest.mark.parametrize("mode, why", [("invented", "not in the metrics"),
                                       ("nonsense", "empty or not prose")])
def test_bad_answers_fall_back(llm, mode, why):
    llm.mode = mode
    brief = narrative.write(sample_brief(), settings_for(llm))
    assert brief.narrative_source == "deterministic"
    assert why in brief.narrative_note
    assert "99,999" not in brief.narrative and "99,999" not in render.to_markdown(brief)


def test_http_error_falls_back(llm):
    llm.mode = "error"
    brief = narrative.write(sample_brief(), settings_for(llm))
    assert brief.narrative_source == "deterministic"
    assert "did not answer" in brief.narrative_note


def test_timeout_falls_back(llm):
    llm.mode = "hang"
    brief = narrative.write(sample_brief(), settings_for(llm, timeout=0.5))
    llm.release.set()
    assert brief.narrative_source == "deterministic"
    assert "did not answer" in brief.narrative_note
    assert "3,316" in brief.narrative


def test_settings_from_secrets_table(tmp_path, monkeypatch):
    for name in ("LUCKY_LLM_BASE_URL", "LUCKY_LLM_MODEL", "LUCKY_LLM_API_KEY", "LUCKY_LLM_MAX_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[llm]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\napi_key = "k"\nmax_tokens = 200\n')
    monkeypatch.setenv("LUCKY_SECRETS", str(secrets))
    cfg = narrative.settings()
    assert (cfg.base_url, cfg.model, cfg.api_key, cfg.max_tokens) == ("http://127.0.0.1:9/v1", "m", "k", 200)


def test_render_html_and_markdown():
    brief = narrative.write(sample_brief(), use_llm=False)
    page = render.to_html(brief)
    assert 'name="viewport"' in page and "max-width:600px" in page
    assert page.count("<svg") >= 2                 # inline sparklines
    assert "#1e8e3e" in page                       # a green (good) arrow: orders up
    assert "#d93025" in page                       # a red (bad) arrow: production time up
    for title in ("Revenue &amp; Orders", "Operational Health", "Customer Metrics",
                  "Alerts &amp; Exceptions", "7-Day Outlook"):
        assert title in page
    md = render.to_slack(brief)
    assert md.startswith("*Luckin Coffee USA") and "*7-Day Outlook*" in md
    assert ":large_green_circle:" in md and "▁" in md
    assert len(md.split()) < 450                   # about a two-minute read
