"""Every dbt model, seed, snapshot and test as Dagster assets and checks, in three steps.

silver (staging, intermediate, seeds, snapshots) -> gold candidates (marts) ->
publish (marts/published: versions, `gold.versions`, current views). The
Great Expectations gates sit between the steps (see defs/quality.py).
"""

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import medallion_project, translator
from orchestration.quality.gates import recorded_results
from orchestration.settings import Paths
from orchestration.warehouse import current, fetchall

PUBLISHED = "path:models/marts/published"


@dbt_assets(
    manifest=medallion_project.manifest_path,
    project=medallion_project,
    dagster_dbt_translator=translator,
    select="path:models/staging path:models/intermediate path:seeds path:snapshots",
    name="dbt_silver",
)
def dbt_silver(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=medallion_project.manifest_path,
    project=medallion_project,
    dagster_dbt_translator=translator,
    select="path:models/marts",
    exclude=PUBLISHED,
    name="dbt_gold_candidates",
)
def dbt_gold_candidates(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    yield from dbt.cli(["build"], context=context).stream()


def source_files(paths: Paths) -> list[dict[str, Any]]:
    """What the build saw: every loaded tweets landing, forecast pull and municipality file."""
    target = current(paths)
    con = target.connect()
    queries = {
        "tweets": "select ingestion_id, source_file, source_sha256, line_count from bronze.tweets_ingestions"
        " order by ingestion_seq",
        "forecast": "select pull_id, url, sha256, records from bronze.forecast_pulls order by pull_seq",
        "municipios": 'select delivery_id, cast(data_date as varchar), sha256, "rows"'
        " from bronze.municipios_deliveries order by delivery_seq",
    }
    files = []
    try:
        for source, sql in queries.items():
            try:
                rows = fetchall(con, sql)
            except Exception as exc:
                if target.is_missing_relation(exc):
                    continue  # a source that was never loaded
                raise
            files.extend({"source": source, "id": i, "file": f, "sha256": s, "rows": n} for i, f, s, n in rows)
    finally:
        con.close()
    return files


def publish_vars(context: AssetExecutionContext, paths: Paths) -> dict[str, Any]:
    record = context.instance.get_run_record_by_id(context.run_id)
    started = datetime.fromtimestamp(record.start_time, UTC) if record and record.start_time else datetime.now(UTC)
    files = source_files(paths)
    return {
        "gold_version_id": started.strftime("%Y%m%dT%H%M%SZ"),
        "gold_run_id": context.run_id,
        "gold_run_started_at": started.strftime("%Y-%m-%d %H:%M:%S"),
        "gold_source_files": json.dumps(files).replace("'", "''"),
        "gold_gate_results": json.dumps(recorded_results(paths, context.run_id)),
        "gold_retention": int(os.environ.get("MEDALLION_GOLD_RETENTION", "30")),
    }


@dbt_assets(
    manifest=medallion_project.manifest_path,
    project=medallion_project,
    dagster_dbt_translator=translator,
    select=PUBLISHED,
    name="dbt_publish",
)
def dbt_publish(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    variables = publish_vars(context, Paths.from_env())
    context.log.info(f"publishing gold version {variables['gold_version_id']}")
    yield from dbt.cli(["build", "--vars", json.dumps(variables)], context=context).stream()
