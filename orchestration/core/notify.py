"""Failure and quarantine notices: a JSON POST to $MEDALLION_WEBHOOK_URL, when it is set."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from orchestration.settings import load

log = logging.getLogger(__name__)


def webhook_url() -> str | None:
    return load().webhook_url


def notify_failure(summary: str, details: dict[str, Any], status: str = "failure") -> bool:
    """Post a failure (or a quarantine); returns whether the receiver accepted it. Never raises."""
    url = webhook_url()
    if not url:
        return False
    body = json.dumps({"text": f"Medallion: {summary}", "status": status, **details}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as exc:
        log.warning("could not notify %s of the failure: %s", url, exc)
        return False
