"""The Dagster instance a home gets: Dagster's SQLite storage with its connections kept open
(orchestration/instance.py), in the files and folders Dagster's default uses."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetKey, DagsterInstance, asset, materialize

from orchestration.settings import DAGSTER_YAML, Paths


@asset
def counted() -> int:
    return 1


def open_instance(dagster_home: Path, monkeypatch) -> DagsterInstance:
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    return DagsterInstance.get()


def test_a_home_made_by_an_earlier_release_keeps_its_runs_and_writes_through_the_pooled_storage(
    tmp_path: Path, monkeypatch
) -> None:
    paths = Paths(tmp_path / "home")
    paths.dagster_home.mkdir(parents=True)
    (paths.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # what earlier releases wrote
    with open_instance(paths.dagster_home, monkeypatch) as before:
        assert type(before.event_log_storage).__name__ == "SqliteEventLogStorage"
        first = materialize([counted], instance=before)

    paths.ensure_dagster_home()
    assert (paths.dagster_home / "dagster.yaml").read_text() == DAGSTER_YAML
    with open_instance(paths.dagster_home, monkeypatch) as after:
        assert type(after.event_log_storage).__name__ == "PooledSqliteEventLogStorage"
        assert type(after.run_storage).__name__ == "PooledSqliteRunStorage"
        assert [r.run_id for r in after.get_runs()] == [first.run_id]
        second = materialize([counted], instance=after)
        assert second.success

    # Another process (another instance) sees both runs and the newest materialization.
    with open_instance(paths.dagster_home, monkeypatch) as reader:
        assert {r.run_id for r in reader.get_runs()} == {first.run_id, second.run_id}
        latest = reader.get_latest_materialization_event(AssetKey("counted"))
        assert latest is not None and latest.run_id == second.run_id
    # The databases stay where Dagster's default keeps them.
    assert (paths.dagster_home / "history" / "runs.db").exists()
    assert (paths.dagster_home / "history" / "runs" / f"{second.run_id}.db").exists()
    assert (paths.dagster_home / "schedules" / "schedules.db").exists()


def test_a_dagster_yaml_of_the_users_own_is_left_alone(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "home")
    paths.dagster_home.mkdir(parents=True)
    own = "telemetry:\n  enabled: true\nrun_monitoring:\n  enabled: true\n"
    (paths.dagster_home / "dagster.yaml").write_text(own)
    paths.ensure_dagster_home()
    assert (paths.dagster_home / "dagster.yaml").read_text() == own


def test_the_instance_moves_with_its_folder(tmp_path: Path, monkeypatch) -> None:
    paths = Paths(tmp_path / "home")
    paths.ensure_dagster_home()
    with open_instance(paths.dagster_home, monkeypatch) as instance:
        run = materialize([counted], instance=instance)
    moved = Paths(tmp_path / "moved")
    paths.home.rename(moved.home)
    moved.ensure_dagster_home()
    with open_instance(moved.dagster_home, monkeypatch) as instance:
        assert [r.run_id for r in instance.get_runs()] == [run.run_id]
