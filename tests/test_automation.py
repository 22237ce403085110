"""Builds that start on their own: the inbox, its sensor, the schedule, and failure notices."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import RunRequest, SkipReason, build_sensor_context

from orchestration.core.resources import SettingsResource
from orchestration.settings import Paths
from tools import reference
from tools.generate import Options, generate

# Sensors and assets take the settings as a resource, as in `dagster dev` (defs/resources.py).
RESOURCES = {"settings": SettingsResource()}


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local webhook receiver: (URL, the JSON bodies it was posted)."""
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.integration
def test_inbox_files_are_landed_and_built_and_failures_are_notified(
    tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    paths = Paths(tmp_path / "home")
    inbox = paths.inbox("tweets")
    inbox.mkdir(parents=True)
    good = generate(inbox / "good.jsonl", Options(rows=900, seed=41), progress=False)
    expected = reference.answers([good])
    (inbox / "broken.jsonl.gz").write_bytes(gzip.compress(good.read_bytes())[:-30])
    env = {**os.environ, "MEDALLION_HOME": str(paths.home), "MEDALLION_WEBHOOK_URL": url}

    first = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "build"], env=env, capture_output=True, text=True, timeout=900
    )
    assert first.returncode == 1
    assert "broken.jsonl.gz: archive is corrupt or truncated" in first.stdout
    assert "failure notice sent" in first.stdout
    assert len(received) == 1 and received[0]["status"] == "failure"
    assert any("broken.jsonl.gz" in line for line in received[0]["failures"])
    assert (inbox / "landed" / "good.jsonl").exists()
    assert (inbox / "rejected" / "broken.jsonl.gz.error").read_text().startswith("broken.jsonl.gz:")
    assert not list(inbox.glob("*.json*"))

    second = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "build"], env=env, capture_output=True, text=True, timeout=900
    )
    assert second.returncode == 0, second.stdout[-3000:]
    answers = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "answers", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(answers.stdout) == expected
    assert len(received) == 1, "a successful build sends nothing"


def test_inbox_sensor_requests_a_build_only_when_files_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.defs.automation import inbox_sensor

    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path))
    assert isinstance(inbox_sensor(build_sensor_context(resources=RESOURCES)), SkipReason)
    Paths(tmp_path).inbox("tweets").mkdir(parents=True)
    (Paths(tmp_path).inbox("tweets") / "drop.jsonl").write_text('{"id": 1}\n')
    request = inbox_sensor(build_sensor_context(resources=RESOURCES))
    assert isinstance(request, RunRequest)
    assert "drop.jsonl" in request.run_key
    assert request.job_name in (None, "build_everything")


def test_the_daily_schedule_builds_everything() -> None:
    from orchestration.definitions import defs

    schedule = defs.resolve_schedule_def("daily_build")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.job_name == "build_everything"
    assert {s.name for s in defs.sensors} >= {"inbox_sensor", "failure_webhook"}


def test_a_new_dated_municipios_folder_triggers_a_refresh_that_lands_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime

    from dagster import DagsterInstance, materialize

    from orchestration.sources.forecast.assets import municipios_rows, municipios_sensor
    from orchestration.sources.forecast.landing import deliveries
    from tools import forecast_generate as forecast

    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path))
    inbox = Paths(tmp_path).inbox("municipios")
    assert isinstance(municipios_sensor(build_sensor_context(resources=RESOURCES)), SkipReason)
    forecast.write_municipios(inbox, forecast.municipalities(10, 1), datetime(2026, 11, 21), 1)
    request = municipios_sensor(build_sensor_context(resources=RESOURCES))
    assert isinstance(request, RunRequest) and "20261121" in request.run_key
    # What the requested run does first: land the folder and move it out of the inbox.
    assert materialize([municipios_rows], instance=DagsterInstance.ephemeral(), resources=RESOURCES).success
    [landed] = deliveries(Paths(tmp_path))
    assert landed.data_date == "2026-11-21" and landed.rows == 10
    assert (inbox / "landed" / "20261121" / "data.csv").exists()
    assert isinstance(municipios_sensor(build_sensor_context(resources=RESOURCES)), SkipReason)


def test_forecasts_are_pulled_every_hour_into_hourly_partitions() -> None:
    from orchestration.definitions import defs

    schedule = defs.resolve_schedule_def("forecast_hourly_schedule")
    assert schedule.job_name == "forecast_hourly"
    assert schedule.cron_schedule == "5 * * * *"
    job = defs.resolve_job_def("forecast_hourly")
    assert job.partitions_def is not None and job.partitions_def.get_cron_schedule() == "0 * * * *"
