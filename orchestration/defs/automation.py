"""When builds happen on their own: daily, when a file lands in the inbox, and who hears of failures."""

from datetime import UTC, datetime

from dagster import (
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    RunStatusSensorContext,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from orchestration.core.inbox import waiting
from orchestration.core.resources import TRIGGER_TAG, SettingsResource
from orchestration.core.source import registry
from orchestration.defs.jobs import build_everything
from orchestration.settings import load

daily_build = ScheduleDefinition(
    name="daily_build",
    job=build_everything,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Build everything every day at 06:00 UTC, landing whatever waits in the inbox.",
)


@sensor(
    job=build_everything,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Build as soon as a file is dropped into $MEDALLION_HOME/inbox/<source>/.",
)
def inbox_sensor(context: SensorEvaluationContext, settings: SettingsResource) -> RunRequest | SkipReason:
    paths = settings.get().paths
    files = [p for source in registry().values() for inbox in source.file_inboxes for p in waiting(paths, inbox)]
    if not files:
        return SkipReason(f"nothing in {paths.home / 'inbox'}")
    key = "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    return RunRequest(run_key=key, tags={TRIGGER_TAG: "inbox"})


def _record(context: RunStatusSensorContext, success: bool) -> None:
    """A run started in the Dagster UI (or by a schedule or sensor), recorded and turned into incidents as
    `medallion build` does for its own runs."""
    from orchestration.monitoring import builds, health, store

    run = context.dagster_run
    if run.tags.get(TRIGGER_TAG) == "cli":
        return  # `medallion build` records its own runs
    paths = load().paths
    stats = context.instance.get_run_stats(run.run_id)
    started = store.now() if stats.start_time is None else datetime.fromtimestamp(stats.start_time, UTC)
    graph = context.repository_def.asset_graph if context.repository_def is not None else None
    builds.record(
        paths,
        context.instance,
        run.run_id,
        graph if graph is not None else builds.NO_GRAPH,
        load().target,
        list(registry()),
        success,
        started.replace(tzinfo=None),
    )
    health.check(paths)
    store.publish(paths)


@run_failure_sensor(
    default_status=DefaultSensorStatus.RUNNING,
    description="Open (or update) an incident for a failed run, and alert every configured channel.",
)
def incident_on_failure(context: RunFailureSensorContext) -> None:
    _record(context, success=False)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Record a successful run; it resolves the build and gate incidents of what it built.",
)
def incidents_resolved_on_success(context: RunStatusSensorContext) -> None:
    _record(context, success=True)


@sensor(
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.RUNNING,
    description="Every 5 minutes: a source past its freshness opens `source_stale`, a failed pull `pull_failed`.",
)
def monitoring(context: SensorEvaluationContext, settings: SettingsResource) -> SkipReason:
    from orchestration.monitoring import health, incidents

    paths = settings.get().paths
    health.check(paths)
    found = incidents.listing(paths, open_only=True)
    return SkipReason(f"{len(found)} open incident(s)" + "".join(f"; {i.kind} in {i.source}" for i in found[:5]))
