"""Notifications against local stub servers: Slack webhook, PagerDuty Events v2, SMTP.

The end-to-end test drives a real Redis down and up again through the collector, so the
trigger and the resolve travel the whole path (rule -> state machine -> channels).
"""
from __future__ import annotations

import json
import socketserver
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from lucky import state
from lucky.monitor import collector, localfleet, notify
from lucky.monitor.alerts import Transition
from lucky.monitor.inventory import Inventory


class _Http(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, json.loads(body)))
        self.send_response(202 if self.path.startswith("/v2") else 200)
        self.end_headers()
        self.wfile.write(b'{"status": "success"}')

    def log_message(self, *args):
        pass


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message per connection."""

    def handle(self):
        say = lambda line: self.wfile.write(line.encode() + b"\r\n")  # noqa: E731
        say("220 stub ESMTP")
        data, in_data = [], False
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if in_data:
                if line == ".":
                    self.server.received.append("\n".join(data))
                    in_data = False
                    say("250 queued")
                else:
                    data.append(line)
            elif line.upper().startswith(("EHLO", "HELO")):
                say("250 stub")
            elif line.upper() == "DATA":
                in_data = True
                say("354 go ahead")
            elif line.upper() == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")


@pytest.fixture()
def stubs():
    http = HTTPServer(("127.0.0.1", 0), _Http)
    http.received = []
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    smtp.daemon_threads = True
    smtp.received = []
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (http, smtp)]
    for t in threads:
        t.start()
    http_url = f"http://127.0.0.1:{http.server_address[1]}"
    conf = {"slack": {"webhook": f"{http_url}/slack/hook"},
            "pagerduty": {"url": f"{http_url}/v2/enqueue", "routing_key_secret": "LUCKY_TEST_PD_KEY"},
            "email": {"host": "127.0.0.1", "port": smtp.server_address[1], "sender": "lucky@test",
                      "to": ["dba@test"]}}
    yield conf, http.received, smtp.received
    for s in (http, smtp):
        s.shutdown()
        s.server_close()


def _t(action: str) -> Transition:
    return Transition(action, "luckyus-session", "redis_memory", "", "critical", 91.5, 85,
                      "used_memory % of maxmemory 91.5 > 85", collector.utcnow())


def test_each_channel_formats_its_payload(stubs, monkeypatch):
    conf, http, mail = stubs
    monkeypatch.setenv("LUCKY_TEST_PD_KEY", "R0UTING")
    assert notify.send([_t("opened")], conf) == {"slack": "sent", "email": "sent", "pagerduty": "sent"}
    bodies = dict(http)
    assert "[CRITICAL] redis_memory on luckyus-session" in bodies["/slack/hook"]["text"]
    pd = bodies["/v2/enqueue"]
    assert pd["routing_key"] == "R0UTING" and pd["event_action"] == "trigger"
    assert pd["payload"]["severity"] == "critical" and pd["payload"]["source"] == "luckyus-session"
    assert "Subject: Lucky: 1 alert(s) firing, 0 resolved" in mail[0] and "To: dba@test" in mail[0]
    notify.send([_t("resolved")], {"pagerduty": conf["pagerduty"]})
    resolve = http[-1][1]
    assert resolve["event_action"] == "resolve" and resolve["dedup_key"] == pd["dedup_key"]


def test_broken_channel_is_reported_not_raised(stubs):
    conf, _, _ = stubs
    port = localfleet.free_port()
    out = notify.send([_t("opened")], {"slack": {"webhook": f"http://127.0.0.1:{port}/x"},
                                       "email": conf["email"]})
    assert out["email"] == "sent" and "refused" in out["slack"].lower()
    assert notify.send([], conf) == {}


def test_down_and_back_up_notifies_trigger_and_resolve(stubs, tmp_path, monkeypatch):
    localfleet.LocalFleet.require()
    conf, http, mail = stubs
    monkeypatch.setenv("LUCKY_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    monkeypatch.setenv("LUCKY_TEST_PD_KEY", "R0UTING")
    state.dispose_all()
    with localfleet.LocalFleet() as fleet:
        server = fleet.start_redis()
        inv = Inventory(None, (localfleet.redis_instance("cache", server),), {"timeout": 2},
                        {"instance_down": {"for": 0}, "restart": {"threshold": 0}}, conf)
        t0 = collector.utcnow()
        assert not collector.collect_once(inv, at=t0, slow=False).transitions
        server.stop()
        down = collector.collect_once(inv, at=t0 + timedelta(seconds=60), slow=False)
        fleet.restart(server)
        up = collector.collect_once(inv, at=t0 + timedelta(seconds=120), slow=False)
    state.dispose_all()
    assert [t.action for t in down.transitions] == ["opened"] and down.notified["pagerduty"] == "sent"
    assert [t.action for t in up.transitions if t.rule == "instance_down"] == ["resolved"]
    actions = [b["event_action"] for p, b in http if p.startswith("/v2")]
    assert actions[:2] == ["trigger", "resolve"]
    assert any("RESOLVED" in b["text"] for p, b in http if p == "/slack/hook")
    assert len(mail) == 2
