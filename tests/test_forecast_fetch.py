"""Pulling the intermittent forecast service: the retry policy and each way the service misbehaves."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.core.resources import SettingsResource
from orchestration.settings import Paths
from orchestration.sources.forecast.fetch import BadBody, PullFailed, RetryPolicy, decode, pull
from orchestration.sources.forecast.landing import ForecastLandingError, failures, land_pull, pulls
from tools import forecast_generate as generate
from tools.fake_forecast_service import FakeService

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, deadline=20, request_timeout=2)


@pytest.fixture(scope="module")
def body() -> bytes:
    places = generate.municipalities(30, seed=3)
    return generate.payload(generate.records(places, datetime(2026, 11, 22, 13, 5, tzinfo=UTC), 6, seed=3))


@pytest.fixture
def service() -> Iterator[FakeService]:
    with FakeService() as fake:
        yield fake


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=8)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (9, 8)]:
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # jitter spreads over the whole range
        assert len({round(d, 6) for d in delays}) > 150


def test_the_deadline_stops_retries_and_names_every_attempt() -> None:
    now = [0.0]
    slept = []

    def get(url: str, timeout: float) -> tuple[int, bytes]:
        now[0] += 4  # every attempt takes 4 s and times out
        raise TimeoutError("timed out")

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    policy = RetryPolicy(attempts=50, base_delay=1, max_delay=2, deadline=15, request_timeout=4)
    with pytest.raises(PullFailed) as failed:
        pull("http://service", policy, sleep=sleep, clock=lambda: now[0], rng=random.Random(0), get=get)
    assert now[0] <= 15 + 4  # never starts an attempt after the deadline
    message = str(failed.value)
    attempts = message.count("TimeoutError")
    assert attempts >= 2 and f"after {attempts} attempt(s)" in message and "attempt 1: TimeoutError" in message
    assert len(slept) == attempts - 1  # a wait between attempts, none after the last


def test_decode_rejects_what_is_not_a_complete_non_empty_array(body: bytes) -> None:
    assert len(decode(body)) == 30 * 6
    for bad, reason in [
        (body[: len(body) // 2], "truncated"),
        (b'[{"ides": "1"}', "not complete JSON"),
        (b'{"ides": "1"}', "expected a JSON array"),
        (b"[]", "empty array"),
        (b'[{"ides": "1"}, 3]', "element 1"),
    ]:
        with pytest.raises(BadBody, match=reason):
            decode(bad)


@pytest.mark.parametrize(
    "misbehaviour",
    [("status", 503), ("status", 500), ("truncated", None), ("cut", None), ("empty", None), ("slow", 3)],
    ids=["503", "500", "truncated-gzip", "connection-cut", "empty-array", "slow"],
)
def test_each_misbehaviour_is_retried_until_a_complete_answer(
    service: FakeService, body: bytes, misbehaviour: tuple[str, object]
) -> None:
    service.serve(body, misbehaviour, misbehaviour)
    pulled = pull(service.url, FAST)
    assert pulled.body == body and len(pulled.records) == 180
    assert service.requests == 3
    assert len(pulled.attempts) == 3 and "HTTP 200" in pulled.attempts[-1]


def test_a_client_error_is_not_retried(service: FakeService, body: bytes) -> None:
    service.serve(body, ("status", 404))
    with pytest.raises(PullFailed, match=r"HTTP 404.*not retried"):
        pull(service.url, FAST)
    assert service.requests == 1


def test_a_pull_that_keeps_failing_lands_nothing_and_leaves_a_visible_gap(
    service: FakeService, body: bytes, tmp_path: Path
) -> None:
    paths = Paths(tmp_path)
    service.fail_always("status", 503)
    when = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
    with pytest.raises(ForecastLandingError, match=r"2026-11-22 14:05 UTC failed, nothing landed.*HTTP 503"):
        land_pull(service.url, paths, when, FAST)
    assert service.requests == FAST.attempts
    assert pulls(paths) == []
    assert not (tmp_path / "landing" / "forecast" / "pulls").exists()
    [gap] = failures(paths)
    assert gap["fetched_at"] == when.isoformat() and "HTTP 503" in gap["error"] and gap["url"] == service.url


def test_a_landed_pull_keeps_the_body_and_its_lineage(service: FakeService, body: bytes, tmp_path: Path) -> None:
    paths = Paths(tmp_path)
    service.serve(body, ("status", 503))
    entry, skipped = land_pull(service.url, paths, None, FAST)
    assert not skipped and entry.http_status == 200 and entry.records == 180 and entry.url == service.url
    assert (tmp_path / entry.landed_path).read_bytes() == body  # verbatim
    assert "HTTP 200" in entry.attempts
    archived = tmp_path / "saved.json.gz"
    archived.write_bytes(body)
    replay, _ = land_pull(str(archived), paths, datetime(2026, 11, 22, 9, tzinfo=UTC))
    assert replay.fetched_at == "2026-11-22T09:00:00+00:00" and replay.http_status is None
    assert land_pull(str(archived), paths, datetime(2026, 11, 22, 9, tzinfo=UTC))[1]  # same pull again: a no-op
    assert [p.pull_seq for p in pulls(paths)] == [1, 2]


def test_a_missed_hour_is_re_run_from_an_archived_response(
    body: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import DagsterInstance, materialize

    from orchestration.sources.forecast.assets import forecast_pulls

    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path))
    archive = tmp_path / "saved-1300.json.gz"
    archive.write_bytes(body)
    result = materialize(
        [forecast_pulls],
        partition_key="2026-11-22-13:00",
        run_config={"ops": {"landing__forecast_pulls": {"config": {"archive": str(archive)}}}},
        instance=DagsterInstance.ephemeral(),
        resources={"settings": SettingsResource()},
    )
    assert result.success
    [entry] = pulls(Paths(tmp_path))
    assert entry.fetched_at == "2026-11-22T13:00:00+00:00" and entry.records == 180
    assert entry.url == f"file://{archive}"
