"""Media loaders: a daily-partitioned landing of the bucket's drops, and bronze for both datasets.

One partition per delivery day (UTC), from MEDALLION_MEDIA_START. The schedule lands the day that
just closed at 01:00 UTC and builds it through gold; a month is backfilled from the partition
picker. A day with no file in a dataset, or an object that cannot be read, fails its partition, so
a gap shows in the partition bar (its other objects are landed all the same).
"""

from collections.abc import Iterator
from datetime import date

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    AssetSpec,
    DailyPartitionsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
    multi_asset,
)

from orchestration.core import build_lock
from orchestration.core import deliveries as delivery_registry
from orchestration.core.resources import SettingsResource
from orchestration.settings import load as load_settings
from orchestration.sources.media import bronze
from orchestration.sources.media.landing import drops, land_days
from orchestration.sources.media.store import DATASETS, StoreError, open_store

DROPS = AssetKey(["landing", "media_drops"])

daily = DailyPartitionsDefinition(start_date=load_settings().media.start.isoformat(), timezone="UTC")


@asset(
    key=["landing", "media_drops"],
    group_name="media",
    partitions_def=daily,
    kinds={"python", "s3"},
    description=(
        "The day's drops of both datasets (media/ and tiktokcomment/ YYYY/MM/DD/*.json) from "
        "MEDALLION_MEDIA_ROOT (s3://bucket/prefix or a folder), each object kept verbatim with its URI, "
        "ETag, sha256 and delivery day. Objects landed before are skipped. A day without files fails "
        "its partition. `medallion land media ROOT --day D` does the same from the shell."
    ),
)
def media_drops(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
    configured = settings.get()
    if not configured.media.root:
        raise Failure(description="MEDALLION_MEDIA_ROOT is not set: where should the drops be read from?")
    day = date.fromisoformat(context.partition_key)
    try:
        store = open_store(configured.media.root, configured.media)
        reports = land_days(store, [day], configured.paths, configured.limits, configured.media)
    except StoreError as exc:
        raise Failure(description=str(exc)) from exc
    for report in reports:
        context.log.info(report.line())
    problems = [r.line() for r in reports if r.missing] + [e for r in reports for e in r.errors]
    if problems:
        raise Failure(description="; ".join(problems))
    return MaterializeResult(
        metadata={
            **{f"{r.dataset}_files": r.files for r in reports},
            **{f"{r.dataset}_new_lines": sum(d.line_count for d in r.landed) for r in reports},
            "already_landed": sum(len(r.skipped) for r in reports),
            "root": MetadataValue.text(configured.media.root),
        }
    )


@multi_asset(
    specs=[
        AssetSpec(
            ["bronze", f"{dataset}_lines"],
            group_name="media",
            deps=[DROPS],
            kinds={"python", load_settings().target},
            description=(
                f"Every line of every landed {dataset}/ object, verbatim, with its lineage (object URI, ETag, "
                "sha256, line number, delivery day, batch and landed/loaded at). Land with "
                "`medallion land media ROOT --day D` or the daily partitions of landing/media_drops."
            ),
        )
        for dataset in DATASETS
    ],
    name="media_bronze",
)
def media_lines(context: AssetExecutionContext, settings: SettingsResource) -> Iterator[MaterializeResult]:
    paths = settings.get().paths
    build_lock.hold(paths, context.log.info)
    summaries = {dataset: bronze.load(paths, dataset, progress=False) for dataset in DATASETS}
    delivery_registry.sync(paths)
    for dataset, summary in summaries.items():
        landed = drops(paths, dataset)
        context.log.info(f"{dataset}: loaded {summary.ingestions} new object(s), {summary.lines} lines")
        yield MaterializeResult(
            asset_key=["bronze", f"{dataset}_lines"],
            metadata={
                "new_ingestions": summary.ingestions,
                "new_lines": summary.lines,
                "invalid_utf8_lines": summary.invalid_utf8,
                "objects_total": len(landed),
                "lines_total": sum(d.line_count for d in landed),
                "latest_delivery_day": max((d.delivery_day for d in landed), default=""),
            },
        )


media_daily = define_asset_job(
    "media_daily",
    selection=AssetSelection.assets(DROPS).downstream(),
    executor_def=in_process_executor,
    description=(
        "Land one delivery day of media drops, then build the media tables through gold and publish them."
        " A day without files fails (a gap in the partition bar) and publishes nothing."
    ),
)

media_daily_schedule = build_schedule_from_partitioned_job(
    media_daily,
    hour_of_day=1,
    minute_of_hour=0,
    name="media_daily_schedule",
    description="Every day at 01:00 UTC, land and build the day that just closed.",
)
