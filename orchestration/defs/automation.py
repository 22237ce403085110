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
from orchestration.defs.jobs import build_everything, municipios_refresh
from orchestration.settings import Paths
from orchestration.sources.forecast.landing import DATE_FOLDER

SOURCES = ("tweets",)

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
def inbox_sensor(context: SensorEvaluationContext) -> RunRequest | SkipReason:
    paths = Paths.from_env()
    files = [p for source in SOURCES for p in waiting(paths, source)]
    if not files:
        return SkipReason(f"nothing in {paths.home / 'inbox'}")
    key = "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    return RunRequest(run_key=key, tags={"medallion/trigger": "inbox"})


@sensor(
    job=municipios_refresh,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Land and build as soon as a new YYYYMMDD/ folder appears in $MEDALLION_HOME/inbox/municipios/.",
)
def municipios_sensor(context: SensorEvaluationContext) -> RunRequest | SkipReason:
    inbox = Paths.from_env().inbox("municipios")
    folders = sorted(p for p in inbox.iterdir() if p.is_dir() and DATE_FOLDER.match(p.name)) if inbox.exists() else []
    if not folders:
        return SkipReason(f"no dated folder in {inbox}")
    key = "|".join(
        f"{p.name}:{(p / 'data.csv').stat().st_mtime_ns if (p / 'data.csv').exists() else 0}" for p in folders
    )
    return RunRequest(run_key=key, tags={"medallion/trigger": "inbox"})


@run_failure_sensor(
    default_status=DefaultSensorStatus.RUNNING,
    description="POST a JSON notice to $MEDALLION_WEBHOOK_URL when a run fails.",
)
def failure_webhook(context: RunFailureSensorContext) -> None:
    if context.dagster_run.tags.get("medallion/trigger") == "cli":
        return  # `medallion build` notifies by itself
    notify_failure(
        f"run {context.dagster_run.run_id} of {context.dagster_run.job_name} failed",
        {
            "run_id": context.dagster_run.run_id,
            "job": context.dagster_run.job_name,
            "error": context.failure_event.message or "",
        },
    )
