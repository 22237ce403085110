"""Pulling the forecast service: retries with backoff and jitter inside a total deadline.

The service is intermittent: timeouts, 5xx answers, truncated gzip bodies and
the occasional empty array. Each of those is retried; a 4xx is not (asking
again will not help). A pull that still fails raises `PullFailed` naming every
attempt, and nothing is landed.
"""

from __future__ import annotations

import gzip
import http.client
import os
import random
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

DEFAULT_URL = "https://smn.conagua.gob.mx/tools/GUI/webservices/?method=3"


class PullFailed(Exception):
    """Every attempt failed, or the deadline passed; the message lists the attempts."""


class BadBody(Exception):
    """An answer that is not a complete, non-empty JSON array of records."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    deadline: float = 180.0
    request_timeout: float = 30.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """MEDALLION_FORECAST_ATTEMPTS, _BACKOFF (base delay, s), _DEADLINE (s) and _TIMEOUT (per request, s)."""
        return cls(
            attempts=int(os.environ.get("MEDALLION_FORECAST_ATTEMPTS", cls.attempts)),
            base_delay=float(os.environ.get("MEDALLION_FORECAST_BACKOFF", cls.base_delay)),
            deadline=float(os.environ.get("MEDALLION_FORECAST_DEADLINE", cls.deadline)),
            request_timeout=float(os.environ.get("MEDALLION_FORECAST_TIMEOUT", cls.request_timeout)),
        )

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**(attempt-1))]."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass
class Pulled:
    body: bytes
    records: list[dict[str, Any]]
    status: int
    attempts: list[str] = field(default_factory=list)


def decode(body: bytes) -> list[dict[str, Any]]:
    """The records of a body (gzip or plain JSON); `BadBody` if incomplete, not an array, or empty."""
    raw = body
    if body[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(body)
        except (EOFError, OSError, zlib.error) as exc:
            raise BadBody(f"truncated or corrupt gzip body ({exc})") from exc
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadBody(f"not complete JSON ({exc})") from exc
    if not isinstance(value, list):
        raise BadBody(f"expected a JSON array, got {type(value).__name__}")
    if not value:
        raise BadBody("empty array: the service answered no forecasts")
    bad = next((i for i, item in enumerate(value) if not isinstance(item, dict)), None)
    if bad is not None:
        raise BadBody(f"element {bad} of the array is not an object")
    return value


def _get(url: str, timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip", "User-Agent": "medallion"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return answer.status, answer.read()


def pull(
    url: str,
    policy: RetryPolicy = RetryPolicy(),
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    get: Callable[[str, float], tuple[int, bytes]] = _get,
) -> Pulled:
    """GET `url` until it answers a complete array, within `policy`; raises `PullFailed`."""
    rng = rng or random.Random()
    started = clock()
    attempts: list[str] = []
    for attempt in range(1, policy.attempts + 1):
        remaining = policy.deadline - (clock() - started)
        if remaining <= 0:
            break
        try:
            status, body = get(url, min(policy.request_timeout, remaining))
            records = decode(body)
            attempts.append(f"attempt {attempt}: HTTP {status}, {len(records)} records")
            return Pulled(body=body, records=records, status=status, attempts=attempts)
        except urllib.error.HTTPError as exc:
            attempts.append(f"attempt {attempt}: HTTP {exc.code} {exc.reason}")
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise PullFailed(f"{url}: HTTP {exc.code} {exc.reason} (not retried)") from exc
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets, IncompleteRead
            reason = getattr(exc, "reason", exc)
            attempts.append(f"attempt {attempt}: {type(exc).__name__}: {reason}")
        except BadBody as exc:
            attempts.append(f"attempt {attempt}: {exc}")
        if attempt < policy.attempts:
            wait = policy.delay(attempt, rng)
            if clock() - started + wait >= policy.deadline:
                break  # no time left for another attempt after this wait
            sleep(wait)
    elapsed = clock() - started
    raise PullFailed(
        f"{url}: no complete answer after {len(attempts)} attempt(s) in {elapsed:.1f} s: " + "; ".join(attempts)
    )
