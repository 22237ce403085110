"""When builds happen on their own: daily, when a file lands in the inbox, and who hears of failures."""

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from orchestration.core.inbox import waiting
from orchestration.core.notify import notify_failure
from orchestration.core.resources import TRIGGER_TAG, SettingsResource
from orchestration.core.source import registry
from orchestration.defs.jobs import build_everything

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


@run_failure_sensor(
    default_status=DefaultSensorStatus.RUNNING,
    description="POST a JSON notice to $MEDALLION_WEBHOOK_URL when a run fails.",
)
def failure_webhook(context: RunFailureSensorContext) -> None:
    if context.dagster_run.tags.get(TRIGGER_TAG) == "cli":
        return  # `medallion build` notifies by itself
    notify_failure(
        f"run {context.dagster_run.run_id} of {context.dagster_run.job_name} failed",
        {
            "run_id": context.dagster_run.run_id,
            "job": context.dagster_run.job_name,
            "error": context.failure_event.message or "",
        },
    )
