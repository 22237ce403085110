"""Every dbt model, seed, snapshot and test as Dagster assets and checks, in four steps.

staging (every delivery typed and classified; seeds) -> silver (what the
admitted deliveries hold, deduplicated and exploded; snapshots) -> gold
candidates (marts) -> publish (marts/published: versions, `gold.versions`,
current views). The Great Expectations gates sit between the steps (see
defs/quality.py); the per-delivery gates on staging decide which deliveries
the silver step takes in.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import dbt_assets

from orchestration.core import build_lock
from orchestration.core.resources import SettingsResource
from orchestration.dbt_project import InProcessDbt, medallion_project, translator
from orchestration.defs.progress import reporter
from orchestration.quality.gates import recorded_results
from orchestration.settings import Paths
from orchestration.warehouse import DuckDBWarehouse, current, fetchall

PUBLISHED = "path:models/marts/published"
FULL_REFRESH_TAG = "medallion/full_refresh"


def step_key(context: AssetExecutionContext) -> str:
    return context.get_step_execution_context().step.key


def run_started(context: AssetExecutionContext) -> datetime:
    record = context.instance.get_run_record_by_id(context.run_id)
    started = datetime.fromtimestamp(record.start_time, UTC) if record and record.start_time else datetime.now(UTC)
    return started.replace(microsecond=0)


def version_id(context: AssetExecutionContext) -> str:
    """The gold version this run publishes: its UTC start, e.g. 20261122T103000Z."""
    return run_started(context).strftime("%Y%m%dT%H%M%SZ")


def publish_vars(context: AssetExecutionContext, retention: int) -> dict[str, Any]:
    """The dbt variables of the publish step: the version it publishes, and the retention. dbt renders them
    when it compiles the step's models, on the manifest parsed without them (no re-parse)."""
    return {"gold_version_id": version_id(context), "gold_retention": retention}


def silver_flags(context: AssetExecutionContext) -> list[str]:
    """dbt flags of the staging and silver steps: `--full-refresh` when the run asks for it
    (`medallion build --full-refresh`)."""
    return ["--full-refresh"] if context.run.tags.get(FULL_REFRESH_TAG) == "true" else []


def _dbt_step(name: str, select: str, exclude: str | None = None, refresh: bool = True) -> Any:
    """One dbt step of the build: `dbt build` over `select`, holding the build lock; `refresh` lets
    `medallion build --full-refresh` rebuild its incremental models."""

    @dbt_assets(
        manifest=medallion_project.manifest_path,
        project=medallion_project,
        dagster_dbt_translator=translator,
        select=select,
        exclude=exclude,
        name=name,
    )
    def step(context: AssetExecutionContext, dbt: InProcessDbt, settings: SettingsResource) -> Iterator[Any]:
        build_lock.hold(settings.get().paths, context.log.info)
        flags = silver_flags(context) if refresh else []
        yield from dbt.build(context, select, exclude, flags, progress=reporter(step_key(context)))

    return step


dbt_staging = _dbt_step("dbt_staging", "path:models/staging path:seeds")
dbt_silver = _dbt_step("dbt_silver", "path:models/intermediate path:snapshots")
dbt_gold_candidates = _dbt_step("dbt_gold_candidates", "path:models/marts", exclude=PUBLISHED, refresh=False)


def source_files(paths: Paths) -> list[dict[str, Any]]:
    """What a version holds: every delivery silver took in (admitted or released), every source, read from
    the copy of the decisions silver itself read (`platform.deliveries`), and of municipality files the
    ones bronze has loaded."""
    warehouse = current(paths)
    con = warehouse.connect()
    try:
        rows = fetchall(
            con,
            "select source_name, delivery_id, delivery_name, sha256, items from platform.deliveries"
            " where admitted_seq is not null order by source_name, admitted_seq",
        )
        try:
            loaded = {r[0] for r in fetchall(con, "select delivery_id from bronze.municipios_deliveries")}
        except Exception as exc:
            if not warehouse.is_missing_relation(exc):
                raise
            loaded = set()
    finally:
        con.close()
    return [
        {"source": source, "id": delivery_id, "file": name, "sha256": sha256, "rows": items}
        for source, delivery_id, name, sha256, items in rows
        if source != "municipios" or delivery_id in loaded
    ]


PUBLICATION_COLUMNS = {
    "version_id": "varchar",
    "run_id": "varchar",
    "run_started_at": "timestamp with time zone",
    "source_files": "varchar",
    "gate_results": "varchar",
}


def prepare_publication(context: AssetExecutionContext, paths: Paths) -> str:
    """Write what this publish records (run, deliveries, gate results) to platform.pending_publication,
    with bound values; returns the version id. Nothing of it travels through dbt variables."""
    row = {
        "version_id": version_id(context),
        "run_id": context.run_id,
        "run_started_at": run_started(context).isoformat(),
        "source_files": json.dumps(source_files(paths), ensure_ascii=False),
        "gate_results": json.dumps(recorded_results(paths, context.run_id)),
    }
    current(paths).replace_tables({"platform.pending_publication": (PUBLICATION_COLUMNS, [row])})
    return row["version_id"]


@dbt_assets(
    manifest=medallion_project.manifest_path,
    project=medallion_project,
    dagster_dbt_translator=translator,
    select=PUBLISHED,
    name="dbt_publish",
)
def dbt_publish(context: AssetExecutionContext, dbt: InProcessDbt, settings: SettingsResource) -> Iterator[Any]:
    configured = settings.get()
    paths = configured.paths
    build_lock.hold(paths, context.log.info)
    context.log.info(f"publishing gold version {prepare_publication(context, paths)}")
    variables = publish_vars(context, configured.gold_retention)
    yield from dbt.build(context, PUBLISHED, variables=variables, progress=reporter(step_key(context)))
    warehouse = current(paths)
    if isinstance(warehouse, DuckDBWarehouse):
        context.log.info(f"readers now see {warehouse.publish_snapshot()}")
