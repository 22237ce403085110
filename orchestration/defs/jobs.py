"""The jobs every source shares: build everything, and re-validate and publish gold.

A source's own jobs (the hourly forecast pulls, say) live in its `assets.py`."""

from dagster import AssetKey, AssetSelection, define_asset_job, in_process_executor

from orchestration.core.source import registry
from orchestration.defs.dbt_assets import dbt_publish
from orchestration.defs.monitoring import NOT_IN_BUILDS
from orchestration.defs.quality import quality_gates
from orchestration.settings import load

build_everything = define_asset_job(
    "build_everything",
    # Everything but what only its own schedule materializes (a pull of the forecast service), and what a
    # source leaves out for now (a dataset nothing was landed for, as of when the definitions loaded).
    selection=AssetSelection.all()
    - NOT_IN_BUILDS
    - AssetSelection.assets(
        *(
            AssetKey.from_user_string(key)
            for source in registry().values()
            for key in (*source.scheduled_only, *source.idle(load().paths))
        )
    ),
    executor_def=in_process_executor,
    description=(
        "Land the inboxes, load bronze, build silver, build gold candidates, publish a gold version;"
        " every dbt test and quality gate runs, and a failed gate stops what is downstream of it."
        " `medallion build` runs it for the sources that have landed data. A dataset nothing was landed for"
        " is left out until the definitions are loaded again (`Reload` in the UI) after landing one."
    ),
)

publish_gold = define_asset_job(
    "publish_gold",
    selection=AssetSelection.assets(dbt_publish)
    | AssetSelection.checks(*(gate for gate in quality_gates if gate.node_def.name.startswith("gold_candidate"))),
    executor_def=in_process_executor,
    description="Re-run the gold gates on the current gold candidates and publish them as a new version if they pass.",
)
