"""Alert channels: a JSON webhook, a Slack-compatible incoming webhook, e-mail over SMTP.

Each event goes to every configured channel. A channel that is down is tried again
(`MEDALLION_ALERT_ATTEMPTS`, a short backoff between tries) and then logged as not sent, in the record's
`alerts` table and in `$MEDALLION_HOME/logs/alerts.log`; sending never raises, so it never fails a build.
What is to be sent is written to the record with the change that causes it (`incidents.py`), so a process
that dies before sending leaves it for the next look to send.
"""

from __future__ import annotations

import json
import logging
import smtplib
import time
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from orchestration.settings import Alerts, Paths

log = logging.getLogger(__name__)

TIMEOUT = 5  # seconds per try (a sensor has 60 s for everything)


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
    text = _clean(summary(event))
    if event.get("detail"):
        text += "\n```" + _clean(str(event["detail"])[:2500]) + "```"
    _post(url, {"text": text})


def _mail(config: Alerts, event: dict[str, Any]) -> None:
    message = EmailMessage()
    message["Subject"] = summary(event)
    message["From"] = config.smtp_from
    message["To"] = ", ".join(config.smtp_to)
    message.set_content(
        summary(event) + "\n\n" + "\n".join(f"{k}: {v}" for k, v in event.items() if k != "detail" and v is not None)
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


def _clean(text: str) -> str:
    """Text for Slack's mrkdwn: its control characters escaped (a delivered name could hold `<!channel>` or
    a link), and no code fence to break out of."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("```", "'''")


def deliver(paths: Paths, config: Alerts, channel: str, event: dict[str, Any]) -> tuple[bool, int, str]:
    """Send `event` on `channel`: (delivered, tries, last error). Tries `config.attempts` times with a short
    backoff; never raises (a channel that is down, or configured wrong, is logged, never a failed build)."""
    senders = channels(config)
    error = "" if channel in senders else f"channel {channel} is no longer configured"
    attempts = 0
    for attempt in range(1, max(1, config.attempts) + 1):
        if channel not in senders:
            break
        attempts = attempt
        try:
            senders[channel](event)
            error = ""
            break
        except Exception as exc:  # whatever the channel raises (refused, timeout, bad URL, bad header)
            error = f"{type(exc).__name__}: {exc}"[:500]
            if attempt < config.attempts:
                time.sleep(min(0.5 * 2 ** (attempt - 1), 2))
    outcome = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "incident_id": event.get("incident_id"),
        "event": event.get("event"),
        "channel": channel,
        "delivered": not error,
        "attempts": attempts,
        "error": error,
    }
    if error:
        log.warning("alert %s on %s not sent after %d tries: %s", event.get("event"), channel, attempts, error)
    try:
        folder = paths.home / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "alerts.log").open("a", encoding="utf-8") as out:
            out.write(json.dumps(outcome) + "\n")
    except OSError as exc:
        log.warning("alerts.log not written: %s", exc)
    return not error, attempts, error
