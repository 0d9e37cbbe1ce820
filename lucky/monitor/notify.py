"""Send alert transitions to Slack (incoming webhook), email (SMTP) and PagerDuty (Events API v2).

Configured in the inventory's `[notify.slack]`, `[notify.email]`, `[notify.pagerduty]`; any value
`x` may be given as `x_secret = "SETTING_NAME"` to read it from the environment or secrets file.
A channel that fails is reported in the result and never stops the collector.
"""
from __future__ import annotations

import json
import smtplib
import urllib.request
from email.message import EmailMessage

from lucky import config
from lucky.monitor.alerts import Transition

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
PD_SEVERITY = {"critical": "critical", "warning": "warning", "info": "info"}


def _value(conf: dict, key: str, default=None):
    if key in conf:
        return conf[key]
    secret = conf.get(f"{key}_secret")
    return config.setting(secret, default) if secret else default


def summary(t: Transition) -> str:
    what = f"{t.instance}{' ' + t.subject if t.subject else ''}"
    head = "RESOLVED" if t.action == "resolved" else t.severity.upper()
    return f"[{head}] {t.rule} on {what}: {t.message}"


def _post_json(url: str, body: dict, timeout: float) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:   # noqa: S310 - URL from config
        return resp.status


def slack(conf: dict, transitions: list[Transition], timeout: float = 5.0) -> None:
    lines = [summary(t) for t in transitions]
    _post_json(_value(conf, "webhook"), {"text": "\n".join(lines)}, timeout)


def email(conf: dict, transitions: list[Transition], timeout: float = 10.0) -> None:
    msg = EmailMessage()
    firing = sum(t.action == "opened" for t in transitions)
    msg["Subject"] = f"Lucky: {firing} alert(s) firing, {len(transitions) - firing} resolved"
    msg["From"] = _value(conf, "sender", "lucky@localhost")
    recipients = _value(conf, "to", [])
    msg["To"] = ", ".join(recipients if isinstance(recipients, list) else [recipients])
    msg.set_content("\n".join(summary(t) for t in transitions))
    with smtplib.SMTP(_value(conf, "host", "localhost"), int(_value(conf, "port", 25)),
                      timeout=timeout) as smtp:
        if _value(conf, "starttls", False):
            smtp.starttls()
        user = _value(conf, "username")
        if user:
            smtp.login(user, _value(conf, "password", ""))
        smtp.send_message(msg)


def pagerduty(conf: dict, transitions: list[Transition], timeout: float = 5.0) -> None:
    """One Events v2 event per transition; dedup_key ties the resolve to its trigger."""
    url = _value(conf, "url", PAGERDUTY_URL)
    for t in transitions:
        body = {"routing_key": _value(conf, "routing_key"),
                "event_action": "resolve" if t.action == "resolved" else "trigger",
                "dedup_key": f"lucky:{t.instance}:{t.rule}:{t.subject}"}
        if t.action != "resolved":
            body["payload"] = {"summary": summary(t)[:1024], "source": t.instance,
                               "severity": PD_SEVERITY.get(t.severity, "error"),
                               "component": t.subject or t.instance, "class": t.rule,
                               "custom_details": {"value": t.value, "threshold": t.threshold}}
        _post_json(url, body, timeout)


CHANNELS = {"slack": slack, "email": email, "pagerduty": pagerduty}


def send(transitions: list[Transition], conf: dict) -> dict[str, str]:
    """channel -> 'sent' or the error; channels not configured are skipped."""
    results: dict[str, str] = {}
    if not transitions:
        return results
    for name, fn in CHANNELS.items():
        if name not in conf or not conf[name].get("enabled", True):
            continue
        try:
            fn(conf[name], transitions)
            results[name] = "sent"
        except Exception as exc:  # noqa: BLE001 - a broken channel must not stop monitoring
            results[name] = f"{type(exc).__name__}: {exc}"
    return results
