"""The jobs: build everything, or only re-validate and publish gold."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from orchestration.defs.dbt_assets import dbt_publish
from orchestration.defs.quality import quality_gates

build_everything = define_asset_job(
    "build_everything",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description=(
        "Land the inbox, load bronze, build silver, build gold candidates, publish a gold version;"
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
