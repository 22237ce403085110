"""Monitoring: freshness and stale sources, failed pulls, `status` exit codes, throttled updates, the report.

The builds' own incidents (a bad delivery, the same failure again, a good build) are in test_automation.py.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Receiver

from orchestration.core.source import registry
from orchestration.settings import PROJECT_DIR, Paths
from tools.generate import Options, generate


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def home(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv("MEDALLION_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEDALLION_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("MEDALLION_ALERT_ATTEMPTS", "2")
    return Paths(tmp_path / "home")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_a_stale_source_opens_source_stale_once_and_new_data_resolves_it(home: Paths, receiver: Receiver) -> None:
    from orchestration.monitoring import health, incidents, store

    first = generate(home.home / "t1.jsonl", Options(rows=50, seed=1), progress=False)
    assert cli("land", "tweets", str(first), "--quiet").returncode == 0
    later = store.now() + timedelta(days=8)  # tweets are stale after 7 days without a delivery
    health.check(home, at=later)
    health.check(home, at=later + timedelta(minutes=5))  # nothing new: nothing more to count or send
    (stale,) = incidents.listing(home, open_only=True)
    assert (stale.kind, stale.source, stale.occurrences) == ("source_stale", "tweets", 1)
    assert "expected every 1 day" in stale.detail
    assert [(b["event"], b["kind"], b["source"]) for b in receiver.bodies] == [
        ("incident_opened", "source_stale", "tweets")
    ]
    late = health.status(home, at=store.now() + timedelta(days=3))
    assert next(s for s in late if s["source"] == "tweets")["freshness"]["state"] == "late"

    # At the real time the data is fresh again: `status` resolves it and exits 0.
    status = cli("status", "--json")
    assert status.returncode == 0, status.stdout
    assert [b["event"] for b in receiver.bodies] == ["incident_opened", "incident_resolved"]
    assert incidents.listing(home, open_only=True) == []


def test_a_failed_pull_opens_pull_failed_and_status_exits_1(home: Paths, receiver: Receiver) -> None:
    from orchestration.monitoring import incidents

    broken = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=broken.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{broken.server_address[1]}/forecast"
        env = {"MEDALLION_FORECAST_ATTEMPTS": "1", "MEDALLION_FORECAST_BACKOFF": "0"}
        pulled = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "land", "forecast", url],
            capture_output=True, text=True, timeout=300, env={**_env(), **env},
        )  # fmt: skip
    finally:
        broken.shutdown()
        broken.server_close()
    assert pulled.returncode != 0
    status = cli("status")
    assert status.returncode == 1, status.stdout
    assert "incident 1 pull_failed" in status.stdout
    assert "UNHEALTHY" in status.stdout
    (failed,) = incidents.listing(home, open_only=True)
    assert (failed.kind, failed.source) == ("pull_failed", "forecast")
    assert "503" in failed.detail
    assert [(b["event"], b["kind"]) for b in receiver.bodies] == [("incident_opened", "pull_failed")]
    as_json = cli("status", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["healthy"] is False


def test_updates_are_sent_at_most_hourly_and_a_channel_that_is_down_never_raises(
    home: Paths, receiver: Receiver
) -> None:
    from orchestration.monitoring import incidents, store

    start = store.now()
    incidents.report(home, "build_failed", "tweets", "step x failed", key="run-1", subject="step x", at=start)
    incidents.report(
        home, "build_failed", "tweets", "again", key="run-2", subject="step x", at=start + timedelta(minutes=20)
    )
    incidents.report(
        home, "build_failed", "tweets", "again", key="run-2", subject="step x", at=start + timedelta(minutes=30)
    )
    assert [b["event"] for b in receiver.bodies] == ["incident_opened"]
    incidents.report(
        home, "build_failed", "tweets", "and again", key="run-3", subject="step x", at=start + timedelta(minutes=61)
    )
    assert [b["event"] for b in receiver.bodies] == ["incident_opened", "incident_updated"]
    assert receiver.bodies[-1]["occurrences"] == 3
    receiver.down = True
    tries = receiver.tries
    (resolved,) = incidents.resolve(home, "tweets", ("build_failed",), at=start + timedelta(minutes=70))
    assert resolved.resolved_at and receiver.tries == tries + 2  # MEDALLION_ALERT_ATTEMPTS=2, then given up
    logged = [json.loads(line) for line in (home.home / "logs" / "alerts.log").read_text().splitlines()]
    assert logged[-1]["event"] == "incident_resolved" and logged[-1]["delivered"] is False
    assert "503" in logged[-1]["error"]


def test_the_monitoring_report_renders_with_its_numbers(home: Paths, browser: Any) -> None:
    from orchestration.monitoring import incidents, report, store

    with store.connect(home) as con:
        for i, (status, seconds, failed) in enumerate(
            [("succeeded", 12.0, 0), ("failed", 7.5, 1), ("succeeded", 9.0, 0)]
        ):
            run = f"run-{i}"
            con.execute(
                "insert into build_runs values (?, 'duckdb', 'tweets', ?, ?, ?, ?, null, ?, ?, '')",
                (
                    run,
                    f"2026-12-0{i + 1}T06:00:00.000000",
                    f"2026-12-0{i + 1}T06:00:12.000000",
                    seconds,
                    status,
                    8 - failed,
                    failed,
                ),
            )
            con.execute(
                "insert into build_steps values (?, 'bronze__tweets_lines', 'tweets', ?, ?, 1.5, 'succeeded', ?, 0, 0)",
                (run, f"2026-12-0{i + 1}T06:00:01.000000", f"2026-12-0{i + 1}T06:00:02.500000", 100 * (i + 1)),
            )
        con.execute("insert into layer_rows values ('run-2', 'tweets', 'silver', 'silver.a', 40)")
        con.execute("insert into layer_rows values ('run-2', 'tweets', 'silver', 'silver.b', 2)")
    incidents.report(home, "gate_failed", "tweets", "a gate", key="run-1", subject="ge_silver")
    out = report.write(home)
    browser.get(f"file://{out}")
    assert browser.title == "Medallion monitoring"
    runs = browser.find_elements("css selector", "table[data-name=runs] tbody tr")
    assert [r.find_elements("css selector", "td")[3].text for r in runs] == ["12", "8", "9"]  # seconds, rounded
    assert [r.find_elements("css selector", "td")[4].text for r in runs] == ["100", "200", "300"]  # rows loaded
    assert [r.find_elements("css selector", "td")[9].text for r in runs] == [
        "",
        "",
        "42",
    ]  # rows in silver (none counted: blank)
    silver = browser.find_elements("css selector", "figure[data-chart=silver-rows] svg rect[fill='#2f6f9f'] title")
    assert [b.get_attribute("textContent").rsplit(": ", 1)[1] for b in silver] == ["0", "0", "42"]
    bars = browser.find_elements("css selector", "figure[data-chart=build-seconds] svg rect[fill='#2f6f9f'] title")
    assert [b.get_attribute("textContent").rsplit(": ", 1)[1] for b in bars] == ["12", "8", "9"]
    failed = browser.find_elements("css selector", "figure[data-chart=gates-failed] svg rect[fill='#2f6f9f'] title")
    assert [b.get_attribute("textContent").rsplit(": ", 1)[1] for b in failed] == ["0", "1", "0"]
    assert browser.find_elements("css selector", "figure[data-chart=forecast-pulls] svg")
    (loader,) = browser.find_elements("css selector", "table[data-name=step-seconds] tbody tr")
    assert [td.text for td in loader.find_elements("css selector", "td")] == [
        "bronze__tweets_lines",
        "1.5",
        "1.5",
        "1.5",
    ]
    (row,) = browser.find_elements("css selector", "table[data-name=incidents] tbody tr")
    assert row.find_elements("css selector", "td")[1].text == "gate_failed"
    freshness = {
        r.find_elements("css selector", "td")[0].text: r.find_elements("css selector", "td")[1].text
        for r in browser.find_elements("css selector", "table[data-name=freshness] tbody tr")
    }
    assert freshness["datasets"] == "no cadence" and freshness["forecast"] == "no data"


def test_dbt_source_freshness_says_what_each_source_declares() -> None:
    """A source's freshness is declared once, in its Python package; its dbt sources file must agree."""
    periods = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    for source in registry().values():
        files = list((PROJECT_DIR / "models" / "staging" / source.name).glob("_*__sources.yml"))
        if source.freshness is None:
            continue
        (file,) = files
        entry = next(s for s in yaml.safe_load(file.read_text())["sources"] if s["name"] == source.name)
        declared = {
            name: periods[entry["freshness"][name]["period"]] * entry["freshness"][name]["count"]
            for name in ("warn_after", "error_after")
        }
        assert declared == {
            "warn_after": source.freshness.warn_after,
            "error_after": source.freshness.error_after,
        }, file
        assert entry["loaded_at_field"]


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.end_headers()
        self.wfile.write(b"down for maintenance")

    def log_message(self, format: str, *args: object) -> None:
        pass


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_the_ui_shows_a_freshness_check_on_each_loader_and_builds_leave_them_out(home: Paths) -> None:
    from dagster import AssetCheckSeverity, DagsterInstance

    from orchestration.definitions import defs

    first = generate(home.home / "t1.jsonl", Options(rows=50, seed=1), progress=False)
    assert cli("land", "tweets", str(first), "--quiet").returncode == 0
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("freshness_checks").execute_in_process(instance=instance)
    assert result.success
    evaluations = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {"bronze/tweets_lines", "bronze/forecast_records", "bronze/media_lines"}
    assert evaluations["bronze/tweets_lines"].passed
    assert evaluations["bronze/tweets_lines"].metadata["state"].value == "ok"
    nothing = evaluations["bronze/forecast_records"]
    assert not nothing.passed and nothing.severity == AssetCheckSeverity.WARN
    assert nothing.metadata["state"].value == "no data"
    # A build runs its own checks, not these (they look at the sources from outside).
    build = defs.resolve_job_def("build_everything")
    assert not [k for k in build.asset_layer.asset_graph.asset_check_keys if k.name == "freshness"]


def test_an_incident_of_no_one_source_makes_status_unhealthy_too(home: Paths) -> None:
    from orchestration.monitoring import incidents

    incidents.report(home, "build_failed", "platform", "run r failed outside its steps", key="r", subject="run")
    status = cli("status")
    assert status.returncode == 1
    assert "platform: incident 1 build_failed (run)" in status.stdout
    assert json.loads(cli("status", "--json").stdout)["other_incidents"][0]["source"] == "platform"
    # A cause no build will clear is resolved by hand, and sent like any resolution.
    assert cli("incidents", "--resolve", "1").returncode == 0
    assert cli("status").returncode == 0
    assert cli("incidents", "--resolve", "1").returncode == 2


def test_slack_text_is_escaped_and_a_mail_server_that_is_down_fails_nothing(
    home: Paths, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from orchestration.monitoring import incidents, store

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setenv("MEDALLION_SLACK_WEBHOOK_URL", receiver.url.replace("/hook", "/slack"))
    monkeypatch.setenv("MEDALLION_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MEDALLION_SMTP_PORT", str(closed))
    monkeypatch.setenv("MEDALLION_SMTP_TO", "oncall@example.org")
    detail = "<!channel> <https://evil.example|click> ``` & more \x1b[2J\x1b]0;pwned\x07"
    incidents.report(home, "gate_failed", "tweets", detail, key="run-1", subject="ge_x")
    (slack,) = [b for b in receiver.bodies if "text" in b]
    assert "<!channel>" not in slack["text"] and "&lt;!channel&gt;" in slack["text"]
    assert "<https://evil.example|click>" not in slack["text"] and slack["text"].count("```") == 2
    (hook,) = [b for b in receiver.bodies if "event" in b]
    # The JSON carries it as delivered, but for terminal escapes, shown escaped (as everywhere people read it).
    assert hook["detail"].startswith("<!channel> <https://evil.example|click> ``` & more")
    assert "\x1b" not in hook["detail"] and "\\x1b[2J" in hook["detail"]
    assert hook["opened_at"].endswith("Z")
    sent = {r["channel"]: r for r in store.rows(home, "alerts")}
    assert sent["webhook"]["delivered"] == 1 and sent["slack"]["delivered"] == 1
    assert sent["email"]["delivered"] == 0 and "Connection" in sent["email"]["error"]


def test_an_alert_whose_sender_died_is_sent_by_the_next_look(
    home: Paths, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.monitoring import health, incidents

    with monkeypatch.context() as died:
        died.setattr(incidents, "deliver_pending", lambda paths: 0)  # the process dies before it sends
        incidents.report(home, "build_failed", "tweets", "step x failed", key="run-1", subject="step x")
    assert receiver.bodies == []
    health.check(home)
    assert [b["event"] for b in receiver.bodies] == ["incident_opened"]
    health.check(home)
    assert len(receiver.bodies) == 1  # sent once


def test_the_run_sensors_record_a_run_the_ui_started(home: Paths) -> None:
    from dagster import DagsterEventType, DagsterInstance, build_run_status_sensor_context

    from orchestration.definitions import defs
    from orchestration.defs.automation import incidents_resolved_on_success
    from orchestration.monitoring import store

    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("monitoring_report").execute_in_process(
            instance=instance, tags={"medallion/trigger": "ui"}
        )
        assert result.success
        success = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_SUCCESS)
        context = build_run_status_sensor_context(
            sensor_name="incidents_resolved_on_success",
            dagster_event=success,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            repository_def=defs.get_repository_def(),
        )
        incidents_resolved_on_success(context)
    (run,) = store.rows(home, "build_runs")
    assert (run["run_id"], run["status"]) == (result.run_id, "succeeded")
    (step,) = store.rows(home, "build_steps")
    assert step["status"] == "succeeded" and step["seconds"] is not None and step["seconds"] >= 0
    assert (home.home / "reports" / "monitoring.html").exists()


def test_the_ops_tables_are_documented_for_dbt_docs_as_the_record_has_them() -> None:
    from orchestration.monitoring import store

    sources = yaml.safe_load((PROJECT_DIR / "models" / "staging" / "platform" / "_ops__sources.yml").read_text())
    (ops,) = sources["sources"]
    documented = {t["name"]: [c["name"] for c in t["columns"]] for t in ops["tables"]}
    assert documented == {table: list(columns) for table, columns in store.TABLES.items()}
    assert all(c.get("description") for t in ops["tables"] for c in t["columns"])
