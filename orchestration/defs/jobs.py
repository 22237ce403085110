"""The jobs: build everything, re-validate and publish gold, and the forecast source's own runs."""

from dagster import AssetKey, AssetSelection, build_schedule_from_partitioned_job, define_asset_job, in_process_executor

from orchestration.defs.dbt_assets import dbt_publish
from orchestration.defs.quality import quality_gates

FORECAST_PULLS = AssetKey(["landing", "forecast_pulls"])

build_everything = define_asset_job(
    "build_everything",
    selection=AssetSelection.all() - AssetSelection.assets(FORECAST_PULLS),
    executor_def=in_process_executor,
    description=(
        "Land the inboxes, load bronze, build silver, build gold candidates, publish a gold version;"
        " every dbt test and quality gate runs, and a failed gate stops what is downstream of it."
        " `medallion build` runs it for the sources that have landed data."
    ),
)

publish_gold = define_asset_job(
    "publish_gold",
    selection=AssetSelection.assets(dbt_publish)
    | AssetSelection.checks(*(gate for gate in quality_gates if gate.node_def.name.startswith("gold_candidate"))),
    executor_def=in_process_executor,
    description="Re-run the gold gates on the current gold candidates and publish them as a new version if they pass.",
)

forecast_hourly = define_asset_job(
    "forecast_hourly",
    selection=AssetSelection.assets(FORECAST_PULLS).downstream(),
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
