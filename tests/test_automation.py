"""Builds that start on their own: the inbox, its sensor, the schedule; incidents and their alerts."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dagster import RunRequest, SkipReason, build_sensor_context

from orchestration.core.resources import SettingsResource
from orchestration.settings import PROJECT_DIR, Paths
from tools import reference
from tools.generate import Options, generate

# Sensors and assets take the settings as a resource, as in `dagster dev` (defs/resources.py).
RESOURCES = {"settings": SettingsResource()}


@pytest.fixture
def mailbox() -> Iterator[list[Any]]:
    """A real SMTP server on loopback (aiosmtpd); the messages it received, parsed. `.port` is its port."""
    from email import message_from_bytes

    from aiosmtpd.controller import Controller

    class Messages(list):
        port = 0

    messages = Messages()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as probe:  # a free port (the controller checks it is up by connecting to it)
        probe.bind(("127.0.0.1", 0))
        messages.port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=messages.port)
    controller.start()
    try:
        yield messages
    finally:
        controller.stop()


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
def test_a_bad_delivery_opens_one_incident_alerted_on_each_channel_and_a_good_build_resolves_it(
    tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]], mailbox: list[Any]
) -> None:
    url, received = receiver
    paths = Paths(tmp_path / "home")
    inbox = paths.inbox("tweets")
    inbox.mkdir(parents=True)
    good = generate(inbox / "good.jsonl", Options(rows=900, seed=41), progress=False)
    expected = reference.answers([good])
    lines = good.read_bytes()
    (inbox / "broken.jsonl.gz").write_bytes(gzip.compress(lines)[:-30])
    env = {
        **os.environ,
        "MEDALLION_HOME": str(paths.home),
        "MEDALLION_WEBHOOK_URL": url,
        "MEDALLION_SLACK_WEBHOOK_URL": url.replace("/hook", "/slack"),
        "MEDALLION_SMTP_HOST": "127.0.0.1",
        "MEDALLION_SMTP_PORT": str(mailbox.port),  # type: ignore[attr-defined]
        "MEDALLION_SMTP_TO": "oncall@example.org, data@example.org",
    }

    def build() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "build"], env=env, capture_output=True, text=True, timeout=900
        )

    first = build()
    assert first.returncode == 1
    assert "broken.jsonl.gz: archive is corrupt or truncated" in first.stdout
    assert "incident 1 opened: build_failed in tweets" in first.stdout
    hooks = [b for b in received if "event" in b]
    slack = [b for b in received if "text" in b]
    assert [(b["event"], b["incident_id"], b["kind"], b["source"]) for b in hooks] == [
        ("incident_opened", 1, "build_failed", "tweets")
    ]
    assert "broken.jsonl.gz" in hooks[0]["detail"] and hooks[0]["opened_at"]
    assert len(slack) == 1 and slack[0]["text"].startswith("[medallion] incident 1 opened: build_failed in tweets")
    assert len(mailbox) == 1
    assert mailbox[0]["Subject"].startswith("[medallion] incident 1 opened: build_failed in tweets")
    assert mailbox[0]["To"] == "oncall@example.org, data@example.org"
    assert (inbox / "landed" / "good.jsonl").exists()
    assert (inbox / "rejected" / "broken.jsonl.gz.error").read_text().startswith("broken.jsonl.gz:")
    assert not list(inbox.glob("*.json*"))

    # The same failure again: the open incident counts it; no second alert within the hour.
    (inbox / "broken-again.jsonl.gz").write_bytes(gzip.compress(lines)[:-40])
    second = build()
    assert second.returncode == 1
    assert "incident 1 seen again (2 times): build_failed in tweets" in second.stdout
    assert len(received) == 2 and len(mailbox) == 1
    listed = json.loads(
        subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "incidents", "--json"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    assert [(i["id"], i["kind"], i["occurrences"], i["resolved_at"]) for i in listed] == [(1, "build_failed", 2, None)]
    status = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "status"], env=env, capture_output=True, text=True
    )
    assert status.returncode == 1, status.stdout
    assert "incident 1 build_failed" in status.stdout

    third = build()
    assert third.returncode == 0, third.stdout[-3000:]
    assert "incident 1 resolved: build_failed in tweets" in third.stdout
    assert [b["event"] for b in received if "event" in b] == ["incident_opened", "incident_resolved"]
    assert len(mailbox) == 2 and "resolved" in mailbox[1]["Subject"]
    answers = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "answers", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(answers.stdout) == expected
    healthy = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "status", "--json"], env=env, capture_output=True, text=True
    )
    assert healthy.returncode == 0, healthy.stdout
    tweets = next(s for s in json.loads(healthy.stdout)["sources"] if s["source"] == "tweets")
    assert tweets["freshness"]["state"] == "ok" and tweets["last_success"]["gold_version"]
    assert tweets["rows"]["in_silver"] == 900
    layers = tweets["layers"]
    assert layers["bronze"] == {"bronze.tweets_lines": 900}  # every delivered line, as delivered
    assert len(layers["gold"]) == 3 and all(0 < rows <= 10 for rows in layers["gold"].values())
    assert 0 < layers["silver"]["silver.int_tweets__tweets"] <= 900
    # dbt reads the same freshness rule from the tweets sources file, and finds bronze fresh.
    freshness = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"), "source", "freshness", "--select", "source:tweets",
            "--target-path", str(tmp_path / "dbt-target"),
        ],
        env={**env, "DBT_PROFILES_DIR": str(paths.home / "dbt")}, cwd=PROJECT_DIR, capture_output=True, text=True,
    )  # fmt: skip
    assert freshness.returncode == 0, freshness.stdout[-3000:]
    assert "PASS freshness of tweets.tweets_lines" in freshness.stdout, freshness.stdout[-3000:]
    # The record is in the warehouse too, for SQL.
    import duckdb

    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        assert con.execute(
            "select count(*), sum(occurrences) from ops.incidents where resolved_at is not null"
        ).fetchone() == (1, 2)
        assert con.execute("select count(*) from ops.build_runs").fetchone() == (3,)
        assert con.execute("select count(*) from ops.build_runs where status = 'failed'").fetchone() == (2,)
        steps = con.execute(
            "select count(*), count(build_steps.seconds) from ops.build_steps join ops.build_runs using (run_id) "
            "where build_runs.status = 'succeeded' and build_steps.status = 'succeeded'"
        ).fetchone()
        assert steps[0] > 10 and steps[0] == steps[1]  # every step of the good build, each with its time
    finally:
        con.close()


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
    assert {s.name for s in defs.sensors} >= {
        "inbox_sensor",
        "incident_on_failure",
        "incidents_resolved_on_success",
        "monitoring",
    }


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
