"""The whole system: loader assets, dbt assets and checks, quality gates, jobs, schedule and sensors."""

import sys
from pathlib import Path

from dagster import Definitions
from dagster_dbt import DbtCliResource

from orchestration.dbt_project import medallion_project
from orchestration.defs.automation import daily_build, failure_webhook, inbox_sensor, municipios_sensor
from orchestration.defs.dbt_assets import dbt_gold_candidates, dbt_publish, dbt_silver, dbt_staging
from orchestration.defs.jobs import (
    build_everything,
    forecast_hourly,
    forecast_hourly_schedule,
    municipios_refresh,
    publish_gold,
)
from orchestration.defs.quality import quality_gates
from orchestration.sources.forecast.assets import forecast_pulls, forecast_records, municipios_rows
from orchestration.sources.tweets.assets import tweets_lines
from orchestration.sources.tweets.charts import tweets_charts

defs = Definitions(
    assets=[
        tweets_lines,
        forecast_pulls,
        forecast_records,
        municipios_rows,
        dbt_staging,
        dbt_silver,
        dbt_gold_candidates,
        dbt_publish,
        tweets_charts,
    ],
    asset_checks=quality_gates,
    jobs=[build_everything, publish_gold, forecast_hourly, municipios_refresh],
    schedules=[daily_build, forecast_hourly_schedule],
    sensors=[inbox_sensor, municipios_sensor, failure_webhook],
    resources={
        # The dbt installed beside this interpreter, whether or not the venv is on PATH.
        "dbt": DbtCliResource(project_dir=medallion_project, dbt_executable=str(Path(sys.executable).parent / "dbt")),
    },
)
