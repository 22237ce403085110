"""Every dbt model, seed, snapshot and test, as Dagster assets and asset checks."""

from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import medallion_project, translator


@dbt_assets(
    manifest=medallion_project.manifest_path,
    project=medallion_project,
    dagster_dbt_translator=translator,
)
def medallion_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    yield from dbt.cli(["build"], context=context).stream()
