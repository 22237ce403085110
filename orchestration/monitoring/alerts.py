"""Alert channels: a JSON webhook, a Slack-compatible incoming webhook, e-mail over SMTP.

Each event goes to every configured channel. A channel that is down is tried again
(`MEDALLION_ALERT_ATTEMPTS`, a short backoff between tries) and then logged as not sent, in the record's
`alerts` table and in `$MEDALLION_HOME/logs/alerts.log`; sending never raises, so it never fails a build.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from orchestration.settings import Alerts, Paths

log = logging.getLogger(__name__)

TIMEOUT = 10  # seconds per try


def summary(event: dict[str, Any]) -> str:
    """One line a person reads: what happened, where, how often."""
    what = event["event"].removeprefix("incident_")
    line = f"[medallion] incident {event['incident_id']} {what}: {event['kind']} in {event['source']}"
    if event.get("subject"):
        line += f" ({event['subject']})"
    if event["event"] == "incident_updated":
        line += f", seen {event['occurrences']} times"
    return line


def _post(url: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url, json.dumps(body, default=str).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status}")


def _slack(url: str, event: dict[str, Any]) -> None:
    text = summary(event)
    if event.get("detail"):
        text += "\n```" + str(event["detail"])[:2500] + "```"
    _post(url, {"text": text})


def _mail(config: Alerts, event: dict[str, Any]) -> None:
    message = EmailMessage()
    message["Subject"] = summary(event)
    message["From"] = config.smtp_from
    message["To"] = ", ".join(config.smtp_to)
    message.set_content(
        summary(event) + "\n\n" + "\n".join(f"{k}: {v}" for k, v in event.items() if k != "detail")
        + "\n\n" + str(event.get("detail") or "")
    )  # fmt: skip
    with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=TIMEOUT) as smtp:
        if config.smtp_starttls:
            smtp.starttls()
        if config.smtp_user:
            smtp.login(config.smtp_user, config.smtp_password)
        smtp.send_message(message)


def channels(config: Alerts) -> dict[str, Callable[[dict[str, Any]], None]]:
    """The configured channels, by name."""
    found: dict[str, Callable[[dict[str, Any]], None]] = {}
    if config.webhook_url:
        found["webhook"] = lambda event: _post(config.webhook_url, event)
    if config.slack_url:
        found["slack"] = lambda event: _slack(config.slack_url, event)
    if config.smtp_host and config.smtp_to:
        found["email"] = lambda event: _mail(config, event)
    return found


def send(paths: Paths, config: Alerts, event: dict[str, Any]) -> list[dict[str, Any]]:
    """Send `event` on every configured channel; one outcome per channel (never raises)."""
    outcomes = []
    for name, deliver in channels(config).items():
        error = ""
        attempts = 0
        for attempt in range(1, max(1, config.attempts) + 1):
            attempts = attempt
            try:
                deliver(event)
                error = ""
                break
            except (OSError, urllib.error.URLError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
                if attempt < config.attempts:
                    time.sleep(min(0.5 * 2 ** (attempt - 1), 4))
        outcome = {
            "sent_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
            "incident_id": event["incident_id"],
            "event": event["event"],
            "channel": name,
            "delivered": not error,
            "attempts": attempts,
            "error": error,
        }
        if error:
            log.warning("alert %s on %s not sent after %d tries: %s", event["event"], name, attempts, error)
        outcomes.append(outcome)
        folder = paths.home / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "alerts.log").open("a", encoding="utf-8") as out:
            out.write(json.dumps(outcome) + "\n")
    return outcomes
