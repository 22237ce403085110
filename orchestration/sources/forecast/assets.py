"""Forecast loaders: an hourly-partitioned pull of the service, and bronze for pulls and municipality folders."""

from collections.abc import Iterator
from datetime import UTC

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    AssetSpec,
    Config,
    DefaultSensorStatus,
    Failure,
    HourlyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
    multi_asset,
    sensor,
)

from orchestration.core import build_lock
from orchestration.core import deliveries as delivery_registry
from orchestration.core.inbox import land_inbox
from orchestration.core.resources import TRIGGER_TAG, SettingsResource
from orchestration.settings import load as load_settings
from orchestration.sources.forecast import bronze
from orchestration.sources.forecast.landing import (
    DATE_FOLDER,
    ForecastLandingError,
    deliveries,
    failures,
    land_municipios_folder,
    land_pull,
    pulls,
)

PULLS = AssetKey(["landing", "forecast_pulls"])

hourly = HourlyPartitionsDefinition(start_date=load_settings().forecast.start, timezone="UTC")


class PullConfig(Config):
    archive: str = ""
    """A saved response file to land for this hour instead of asking the service (re-running a missed hour)."""


@asset(
    key=["landing", "forecast_pulls"],
    group_name="forecast",
    partitions_def=hourly,
    kinds={"python"},
    description=(
        "One pull of the forecast service per hour (MEDALLION_FORECAST_URL), kept verbatim with its "
        "fetched-at, URL, HTTP status and sha256. A pull that fails after its retries lands nothing and "
        "leaves its hour failed: the gaps show in the partition bar. Re-run a missed hour with "
        "config `archive: /path/to/saved-response.json.gz`."
    ),
)
def forecast_pulls(context: AssetExecutionContext, config: PullConfig, settings: SettingsResource) -> MaterializeResult:
    configured = settings.get()
    paths = configured.paths
    window = context.partition_time_window
    fetched_at = window.start.astimezone(UTC) if config.archive else None
    try:
        entry, skipped = land_pull(config.archive or configured.forecast.url, paths, fetched_at)
    except ForecastLandingError as exc:
        raise Failure(description=str(exc)) from exc
    context.log.info(f"{'already landed' if skipped else 'landed'} {entry.pull_id}: {entry.records} records")
    return MaterializeResult(
        metadata={
            "pull_id": entry.pull_id,
            "fetched_at": entry.fetched_at,
            "url": entry.url,
            "http_status": entry.http_status or 0,
            "records": entry.records,
            "sha256": entry.sha256,
            "attempts": entry.attempts,
        }
    )


@multi_asset(
    specs=[
        AssetSpec(
            ["bronze", "forecast_records"],
            group_name="forecast",
            deps=[AssetKey(["landing", "forecast_pulls"])],
            kinds={"python", load_settings().target},
            description=(
                "Every record of every landed pull, every field as the text the service sent, with the pull's "
                "lineage. Land pulls with `medallion land forecast URL_OR_FILE` or the hourly partitions of "
                "landing/forecast_pulls."
            ),
        ),
        AssetSpec(
            ["bronze", "forecast_pulls"],
            group_name="forecast",
            deps=[AssetKey(["landing", "forecast_pulls"])],
            kinds={"python", load_settings().target},
            description="One row per landed pull; bronze.forecast_pull_failures beside it lists the gaps.",
        ),
    ],
    name="forecast_bronze",
)
def forecast_records(context: AssetExecutionContext, settings: SettingsResource) -> Iterator[MaterializeResult]:
    paths = settings.get().paths
    build_lock.hold(paths, context.log.info)
    landed = pulls(paths)
    new_pulls, new_records = bronze.load_forecast(paths, landed)
    delivery_registry.sync(paths)
    context.log.info(f"loaded {new_pulls} new pull(s), {new_records} records; {len(landed)} pull(s) in total")
    yield MaterializeResult(
        asset_key=["bronze", "forecast_records"],
        metadata={"new_pulls": new_pulls, "new_records": new_records, "records_total": sum(p.records for p in landed)},
    )
    yield MaterializeResult(
        asset_key=["bronze", "forecast_pulls"],
        metadata={
            "pulls_total": len(landed),
            "failed_pulls_total": len(failures(paths)),
            "latest_fetched_at": max((p.fetched_at for p in landed), default=""),
        },
    )


@asset(
    key=["bronze", "municipios_rows"],
    group_name="forecast",
    kinds={"python", load_settings().target},
    description=(
        "Every line of every landed data_municipios/YYYYMMDD/data.csv, as delivered, with its folder's date. "
        "Land folders with `medallion land municipios DIR`, or drop a YYYYMMDD/ folder into "
        "$MEDALLION_HOME/inbox/municipios/ (a sensor notices it)."
    ),
)
def municipios_rows(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
    paths = settings.get().paths
    build_lock.hold(paths, context.log.info)
    inbox = land_inbox(
        paths,
        "municipios",
        land_one=lambda folder: land_municipios_folder(folder, paths)[1],
        pick=lambda path: path.is_dir() and DATE_FOLDER.match(path.name) is not None,
        errors=(ForecastLandingError,),
    )
    if inbox.landed or inbox.skipped:
        context.log.info(f"inbox: landed {inbox.landed}, already landed {inbox.skipped}")
    if inbox.rejected:
        raise Failure(
            description="inbox folders could not be landed (moved to inbox/municipios/rejected/): "
            + "; ".join(inbox.rejected)
        )
    delivered = deliveries(paths)
    new_files, new_rows = bronze.load_municipios(paths, delivered)
    delivery_registry.sync(paths)
    return MaterializeResult(
        metadata={
            "new_files": new_files,
            "new_rows": new_rows,
            "files_total": len(delivered),
            "newest_data_date": max((d.data_date for d in delivered), default=""),
            "lake": MetadataValue.path(str(paths.lake("bronze", "municipios_rows"))),
        }
    )


# --- the forecast source's own runs --------------------------------------------------

forecast_hourly = define_asset_job(
    "forecast_hourly",
    selection=AssetSelection.assets(PULLS).downstream(),
    executor_def=in_process_executor,
    description=(
        "Pull the forecast service for one hour, then rebuild the forecast tables and publish them."
        " A failed pull fails its hour (a gap in the partition bar) and publishes nothing."
    ),
)

municipios_refresh = define_asset_job(
    "municipios_refresh",
    selection=AssetSelection.assets(AssetKey(["bronze", "municipios_rows"])).downstream(),
    executor_def=in_process_executor,
    description="Land new data_municipios folders from the inbox and rebuild the enriched forecast table.",
)

forecast_hourly_schedule = build_schedule_from_partitioned_job(
    forecast_hourly,
    minute_of_hour=5,
    name="forecast_hourly_schedule",
    description="Every hour at :05 UTC, pull the forecast service for the hour that just started.",
)


@sensor(
    job=municipios_refresh,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Land and build as soon as a new YYYYMMDD/ folder appears in $MEDALLION_HOME/inbox/municipios/.",
)
def municipios_sensor(context: SensorEvaluationContext, settings: SettingsResource) -> RunRequest | SkipReason:
    inbox = settings.get().paths.inbox("municipios")
    folders = sorted(p for p in inbox.iterdir() if p.is_dir() and DATE_FOLDER.match(p.name)) if inbox.exists() else []
    if not folders:
        return SkipReason(f"no dated folder in {inbox}")
    key = "|".join(
        f"{p.name}:{(p / 'data.csv').stat().st_mtime_ns if (p / 'data.csv').exists() else 0}" for p in folders
    )
    return RunRequest(run_key=key, tags={TRIGGER_TAG: "inbox"})
