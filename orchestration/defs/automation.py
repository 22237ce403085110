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
    """A build started in the Dagster UI (or by the daily schedule or the inbox sensor), recorded and turned
    into incidents as `medallion build` does for its own runs. Never raises: a sensor that fails records
    nothing more."""
    from orchestration.core import build_lock
    from orchestration.monitoring import builds

    run = context.dagster_run
    if run.tags.get(TRIGGER_TAG) == "cli":
        return  # `medallion build` records its own runs
    try:
        settings = load()
        paths = settings.paths
        graph = context.repository_def.asset_graph if context.repository_def is not None else builds.NO_GRAPH
        # The sources the run built: the groups of the assets it selected (all of them, for a whole job).
        selected = run.asset_selection or set()
        groups = {graph.get(k).group_name for k in selected if graph is not builds.NO_GRAPH and graph.has(k)}
        known = registry()
        sources = sorted({g for g in groups if g in known}) if selected else [
            name for name, source in known.items() if source.has_landed(paths)
        ]  # fmt: skip
        stats = context.instance.get_run_stats(run.run_id)
        started = datetime.fromtimestamp(stats.start_time, UTC) if stats.start_time else datetime.now(UTC)
        finished = datetime.fromtimestamp(stats.end_time, UTC) if stats.end_time else datetime.now(UTC)
        # The warehouse only while no build holds the home (DuckDB has one writer at a time).
        with build_lock.attempt(paths) as free:
            for line in builds.after_run(
                paths, context.instance, run.run_id, graph, settings.target, sources, success,
                started.replace(tzinfo=None), finished.replace(tzinfo=None), warehouse_free=free,
            ):  # fmt: skip
                context.log.info(line)
    except Exception:
        context.log.exception("run %s not recorded in the monitoring record", run.run_id)


@run_failure_sensor(
    monitored_jobs=[build_everything],
    default_status=DefaultSensorStatus.RUNNING,
    description="A failed build: open (or count) its incidents, and alert every configured channel.",
)
def incident_on_failure(context: RunFailureSensorContext) -> None:
    _record(context, success=False)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[build_everything],
    default_status=DefaultSensorStatus.RUNNING,
    description="A good build: recorded; it resolves the build and gate incidents of the sources it built.",
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
