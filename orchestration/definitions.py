"""The whole system: loader assets, dbt assets and checks, and the job that builds them."""

import sys
from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster_dbt import DbtCliResource

from orchestration.dbt_project import medallion_project
from orchestration.defs.dbt_assets import dbt_gold_candidates, dbt_publish, dbt_silver
from orchestration.defs.quality import quality_gates
from orchestration.defs.tweets.assets import tweets_lines

build_everything = define_asset_job(
    "build_everything",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description=(
        "Load landed files into bronze, build silver, build gold candidates, publish a gold version;"
        " every dbt test and quality gate runs, and a failed gate stops what is downstream of it."
    ),
)

publish_gold = define_asset_job(
    "publish_gold",
    selection=AssetSelection.assets(dbt_publish)
    | AssetSelection.checks(*(gate for gate in quality_gates if gate.node_def.name.startswith("gold_candidate"))),
    executor_def=in_process_executor,
    description="Re-run the gold gates on the current gold candidates and publish them as a new version if they pass.",
)

defs = Definitions(
    assets=[tweets_lines, dbt_silver, dbt_gold_candidates, dbt_publish],
    asset_checks=quality_gates,
    jobs=[build_everything, publish_gold],
    resources={
        # The dbt installed beside this interpreter, whether or not the venv is on PATH.
        "dbt": DbtCliResource(project_dir=medallion_project, dbt_executable=str(Path(sys.executable).parent / "dbt")),
    },
)
