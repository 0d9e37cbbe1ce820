"""Delivery of the briefing: an HTML email over SMTP and a Slack message by incoming webhook.

Settings (environment or top-level keys of secrets): `LUCKY_SMTP_HOST`, `LUCKY_SMTP_PORT`
(default 25), `LUCKY_SMTP_USER` / `LUCKY_SMTP_PASSWORD` (optional), `LUCKY_SMTP_STARTTLS=1` or
`LUCKY_SMTP_SSL=1`, `LUCKY_BRIEFING_FROM`, `LUCKY_BRIEFING_TO` (comma-separated) and
`LUCKY_SLACK_WEBHOOK`. A channel that is not configured is skipped with a statement; a channel
that fails says why; neither stops the other.
"""
from __future__ import annotations

import json
import smtplib
import ssl
import sys
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from lucky import config

TIMEOUT = 15


def _flag(name: str) -> bool:
    return (config.setting(name) or "").strip().lower() in {"1", "true", "yes", "on"}


def send_email(subject: str, html_body: str, text_body: str, to: list[str] | None = None) -> str:
    """Send one multipart (text + HTML) email; returns what happened, raises on failure.
    `to`: these recipients instead of LUCKY_BRIEFING_TO (a mail written for one reader's role)."""
    host = config.setting("LUCKY_SMTP_HOST")
    to = to or [a.strip() for a in (config.setting("LUCKY_BRIEFING_TO") or "").split(",") if a.strip()]
    if not host or not to:
        raise LookupError("email is not configured (set LUCKY_SMTP_HOST and LUCKY_BRIEFING_TO)")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config.setting("LUCKY_BRIEFING_FROM") or "lucky@localhost"
    msg["To"] = ", ".join(to)
    msg.set_content(text_body)
    msg.add_alternative(html_body, subtype="html")
    port = int(config.setting("LUCKY_SMTP_PORT") or 25)
    cls = smtplib.SMTP_SSL if _flag("LUCKY_SMTP_SSL") else smtplib.SMTP
    with cls(host, port, timeout=TIMEOUT) as smtp:
        if _flag("LUCKY_SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
        user = config.setting("LUCKY_SMTP_USER")
        if user:
            smtp.login(user, config.setting("LUCKY_SMTP_PASSWORD") or "")
        smtp.send_message(msg)
    return f"emailed to {', '.join(to)} via {host}:{port}"


def send_slack(markdown: str) -> str:
    """Post the Markdown to the Slack incoming webhook; raises on failure."""
    url = config.setting("LUCKY_SLACK_WEBHOOK")
    if not url:
        raise LookupError("Slack is not configured (set LUCKY_SLACK_WEBHOOK)")
    data = json.dumps({"text": markdown, "mrkdwn": True}).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 - the configured webhook
        body = resp.read().decode(errors="replace")[:200]
        if resp.status >= 300:
            raise RuntimeError(f"Slack answered {resp.status}: {body}")
    return "posted to Slack"


def deliver(subject: str, html_body: str, markdown: str, to: list[str] | None = None,
            slack: bool = True) -> list[tuple[bool, str]]:
    """Send by every configured channel: [(ok, statement)]; unconfigured channels are (False, why).
    `to` overrides the email recipients; `slack=False` keeps a mail meant for one reader off Slack."""
    results = []
    channels = [("email", lambda: send_email(subject, html_body, markdown, to))]
    if slack:
        channels.append(("Slack", lambda: send_slack(markdown)))
    for name, send in channels:
        try:
            results.append((True, send()))
        except LookupError as exc:
            results.append((False, str(exc)))
        except Exception as exc:  # noqa: BLE001 - report any transport failure in words
            results.append((False, f"{name} delivery failed: {type(exc).__name__}: {exc}"))
    return results


def write_out(text: str, path: str | None) -> None:
    """A scheduled report's text to `--out` when given, else standard output (cron mails stdout)."""
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def say_results(results: list[tuple[bool, str]]) -> None:
    """Each channel's statement on standard error: what was sent, what was not and why."""
    for ok, statement in results:
        print(("sent: " if ok else "not sent: ") + statement, file=sys.stderr)
