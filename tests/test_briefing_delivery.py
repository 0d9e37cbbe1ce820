"""Delivery by SMTP and Slack webhook against local stub servers on 127.0.0.1."""
from __future__ import annotations

import email
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lucky.briefing import deliver


class StubSMTP(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self.reply("220 stub ESMTP")
        mail = {"rcpt": []}
        while True:
            line = self.rfile.readline().decode(errors="replace").strip()
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 stub")
            elif verb == "MAIL":
                mail["from"] = line
                self.reply("250 OK")
            elif verb == "RCPT":
                mail["rcpt"].append(line)
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                body = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(chunk)
                mail["data"] = b"".join(body)
                self.server.mails.append(dict(mail))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class StubSlack(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.server.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"ok" if self.server.status == 200 else b"invalid_payload")


def _serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture()
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), StubSMTP)
    server.daemon_threads, server.mails = True, []
    yield _serve(server)
    server.shutdown()
    server.server_close()


@pytest.fixture()
def slack_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubSlack)
    server.posts, server.status = [], 200
    yield _serve(server)
    server.shutdown()
    server.server_close()


@pytest.fixture()
def configured(monkeypatch, smtp_server, slack_server):
    monkeypatch.setenv("LUCKY_SECRETS", "/nonexistent/secrets.toml")
    monkeypatch.setenv("LUCKY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LUCKY_SMTP_PORT", str(smtp_server.server_address[1]))
    monkeypatch.setenv("LUCKY_BRIEFING_FROM", "lucky@example.com")
    monkeypatch.setenv("LUCKY_BRIEFING_TO", "ceo@example.com, coo@example.com")
    monkeypatch.setenv("LUCKY_SLACK_WEBHOOK", f"http://127.0.0.1:{slack_server.server_address[1]}/hook")
    for name in ("LUCKY_SMTP_USER", "LUCKY_SMTP_STARTTLS", "LUCKY_SMTP_SSL"):
        monkeypatch.delenv(name, raising=False)


def test_email_and_slack_are_delivered(configured, smtp_server, slack_server):
    results = deliver.deliver("Daily Briefing Tue 2026-02-10", "<html><body>Hi <b>team</b></body></html>",
                              "*Daily Briefing*\n• Orders: *3,316*")
    assert [ok for ok, _ in results] == [True, True], results
    mail = smtp_server.mails[0]
    assert len(mail["rcpt"]) == 2
    msg = email.message_from_bytes(mail["data"])
    assert msg["Subject"] == "Daily Briefing Tue 2026-02-10"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart()}
    assert "<b>team</b>" in parts["text/html"] and "3,316" in parts["text/plain"]
    assert slack_server.posts == [{"text": "*Daily Briefing*\n• Orders: *3,316*", "mrkdwn": True}]


def test_slack_failure_is_reported_and_email_still_goes(configured, smtp_server, slack_server):
    slack_server.status = 500
    results = deliver.deliver("s", "<p>x</p>", "x")
    assert results[0][0] is True and len(smtp_server.mails) == 1
    assert results[1][0] is False and "Slack delivery failed" in results[1][1]


def test_unconfigured_channels_say_so(monkeypatch):
    monkeypatch.setenv("LUCKY_SECRETS", "/nonexistent/secrets.toml")
    for name in ("LUCKY_SMTP_HOST", "LUCKY_BRIEFING_TO", "LUCKY_SLACK_WEBHOOK"):
        monkeypatch.delenv(name, raising=False)
    results = deliver.deliver("s", "<p>x</p>", "x")
    assert [ok for ok, _ in results] == [False, False]
    assert "not configured" in results[0][1] and "LUCKY_SLACK_WEBHOOK" in results[1][1]


def test_smtp_server_down_is_a_statement(monkeypatch, configured):
    with socketserver.TCPServer(("127.0.0.1", 0), StubSMTP) as closed:
        port = closed.server_address[1]
    monkeypatch.setenv("LUCKY_SMTP_PORT", str(port))     # nothing listens there any more
    ok, statement = deliver.deliver("s", "<p>x</p>", "x")[0]
    assert not ok and "email delivery failed" in statement


def test_store_mail_goes_to_its_reader_only(demo, state_store, configured, smtp_server, slack_server):
    """`python -m lucky stores daily --send` for one store manager: one mail to the address given,
    with their store only, and nothing on the team's Slack channel."""
    from lucky.cli import main

    day = demo["truth"]["stores"]["late_open"][0]["date"]
    shop = demo["truth"]["stores"]["late_open"][0]["shop_id"]
    assert main(["stores", "daily", "--date", day, "--role", "store_manager", "--manager-of", str(shop),
                 "--to", "manager@example.com", "--send"]) == 0
    assert len(smtp_server.mails) == 1 and slack_server.posts == []
    mail = smtp_server.mails[0]
    assert [r.split("<")[1].rstrip(">") for r in mail["rcpt"]] == ["manager@example.com"]
    msg = email.message_from_bytes(mail["data"])
    text = next(p.get_payload(decode=True).decode() for p in msg.walk() if p.get_content_type() == "text/plain")
    assert "1 store(s)" in text
