"""Pulling the forecast service: retries with backoff and jitter inside a total deadline.

The service is intermittent: timeouts, 5xx answers, truncated gzip bodies and
the occasional empty array. Each of those is retried; a 4xx is not (asking
again will not help). A pull that still fails raises `PullFailed` naming every
attempt, and nothing is landed.
"""

from __future__ import annotations

import http.client
import random
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from orchestration.settings import EXPANSION_FLOOR, Limits, load


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
    def configured(cls) -> RetryPolicy:
        """From the settings: MEDALLION_FORECAST_ATTEMPTS, _BACKOFF, _DEADLINE and _TIMEOUT."""
        forecast = load().forecast
        return cls(
            attempts=forecast.attempts,
            base_delay=forecast.backoff,
            deadline=forecast.deadline,
            request_timeout=forecast.request_timeout,
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


def _gunzip(body: bytes, limits: Limits) -> bytes:
    """A gzip body (one member or several), decompressed within the limits a landed file has: a zip
    bomb is refused before it fills memory."""
    ceiling = min(limits.max_delivery_bytes, max(int(len(body) * limits.max_expansion), EXPANSION_FLOOR))
    parts: list[bytes] = []
    size = 0
    rest = body
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            part = inflater.decompress(rest, ceiling + 1 - size)
        except zlib.error as exc:
            raise BadBody(f"truncated or corrupt gzip body ({exc})") from exc
        size += len(part)
        if size > ceiling:
            raise BadBody(
                f"decompresses to more than {ceiling:,} bytes ({limits.max_expansion:g} times its size, or "
                "MEDALLION_MAX_DELIVERY_BYTES): refused"
            )
        if not inflater.eof:
            raise BadBody("truncated or corrupt gzip body (it ends before the compressed stream does)")
        parts.append(part)
        rest = inflater.unused_data
    return b"".join(parts)


def decode(body: bytes, limits: Limits | None = None) -> list[dict[str, Any]]:
    """The records of a body (gzip or plain JSON); `BadBody` if incomplete, too large, not an array, or empty."""
    limits = limits or load().limits
    raw = body
    if len(body) > limits.max_delivery_bytes:
        raise BadBody(f"{len(body):,} bytes, more than MEDALLION_MAX_DELIVERY_BYTES")
    if body[:2] == b"\x1f\x8b":
        raw = _gunzip(body, limits)
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
    ceiling = load().limits.max_delivery_bytes
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        body = answer.read(ceiling + 1)
    if len(body) > ceiling:
        raise BadBody(f"the answer is larger than {ceiling:,} bytes (MEDALLION_MAX_DELIVERY_BYTES)")
    return answer.status, body


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
