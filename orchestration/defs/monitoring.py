"""Monitoring in the Dagster UI: a freshness check on each source's loader asset, and the monitoring report.

Neither runs inside a build (a build would only check what it just loaded): the job `freshness_checks` runs
the checks every 15 minutes, the job `monitoring_report` writes the report every hour, and either can be
started from the UI. A check passes while the newest delivery is younger than the source's `warn_after`,
warns past it (or when nothing has landed yet) and fails past `error_after` (the `monitoring` sensor opens
the `source_stale` incident for the same condition).
"""

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    asset_check,
    define_asset_job,
    in_process_executor,
)

from orchestration.core.resources import SettingsResource
from orchestration.core.source import Source, registry


def freshness_check(source: Source) -> AssetChecksDefinition:
    rule = source.freshness
    assert rule is not None

    @asset_check(
        asset=AssetKey.from_user_string(rule.loader),
        name="freshness",
        blocking=False,
        description=(
            f"{source.name}: new data expected every {rule.cadence}; late past {rule.warn_after}, "
            f"stale past {rule.error_after} (from the landing ledgers, not the last materialization)"
        ),
    )
    def check(settings: SettingsResource) -> AssetCheckResult:
        from orchestration.monitoring import health, store

        paths = settings.get().paths
        state = health.freshness(source, health.newest(paths, source), store.now())
        age = state["age_seconds"]
        return AssetCheckResult(
            passed=state["state"] == "ok",
            severity=AssetCheckSeverity.ERROR if state["state"] == "stale" else AssetCheckSeverity.WARN,
            metadata={
                "state": state["state"],
                "newest_delivery_at": state["newest_at"] or "never",
                "age_hours": round(age / 3600, 2) if age is not None else -1.0,
                "warn_after_hours": rule.warn_after.total_seconds() / 3600,
                "error_after_hours": rule.error_after.total_seconds() / 3600,
            },
            description=f"{source.name}: {state['state']}",
        )

    return check


freshness_checks = [freshness_check(s) for s in registry().values() if s.freshness is not None]
REPORT = AssetKey(["ops", "monitoring_report"])


@asset(
    key=REPORT,
    group_name="monitoring",
    description=(
        "`$MEDALLION_HOME/reports/monitoring.html`: build time, rows and gates per run, freshness per source, "
        "forecast pulls per hour, open incidents (`medallion report` writes the same page)."
    ),
)
def monitoring_report(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
    from orchestration.monitoring import incidents, report

    paths = settings.get().paths
    out = report.write(paths)
    opened = incidents.listing(paths, open_only=True)
    return MaterializeResult(
        metadata={
            "report": MetadataValue.path(str(out)),
            "open_incidents": len(opened),
            "incidents": MetadataValue.md(
                "\n".join(f"- {i.id} {i.kind} in {i.source} {i.subject}".rstrip() for i in opened) or "none"
            ),
        }
    )


# What builds leave out: the checks and the report look at builds from outside.
NOT_IN_BUILDS = AssetSelection.checks(*freshness_checks) | AssetSelection.assets(REPORT)

freshness_checks_job = define_asset_job(
    "freshness_checks",
    selection=AssetSelection.checks(*freshness_checks),
    executor_def=in_process_executor,
    description="Each source's freshness check, on its loader asset.",
)
monitoring_report_job = define_asset_job(
    "monitoring_report",
    selection=AssetSelection.assets(REPORT),
    executor_def=in_process_executor,
    description="Write the monitoring report.",
)
freshness_schedule = ScheduleDefinition(
    name="freshness_every_15_minutes",
    job=freshness_checks_job,
    cron_schedule="*/15 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
)
report_schedule = ScheduleDefinition(
    name="monitoring_report_hourly",
    job=monitoring_report_job,
    cron_schedule="5 * * * *",
    default_status=DefaultScheduleStatus.RUNNING,
)
