"""Media in bronze: every line of every landed object, verbatim, in `bronze.media_lines` (articles) and
`bronze.tiktokcomment_lines` (comments), through the shared line loader (`core.lines`).

Besides the shared lineage (landing id and order, file name, sha256, line number, landed and loaded
at), each line carries its object's own: the full object URI, its ETag, the delivery day of its
folder, and the batch time of the `land` run that brought it (silver's `created_at_etl`).
"""

from __future__ import annotations

from orchestration.core.landing import Landing
from orchestration.core.lines import Lineage, LoadSummary, load_landed
from orchestration.settings import Paths
from orchestration.sources.media.landing import Drop, drops

LINEAGE_COLUMNS = {
    "object_uri": "varchar",
    "etag": "varchar",
    "delivery_day": "date",
    "batch_at": "timestamp with time zone",
}


def _landing(drop: Drop) -> Landing:
    return Landing(
        ingestion_id=drop.delivery_id,
        ingestion_seq=drop.delivery_seq,
        source=drop.dataset,
        source_file=drop.file_name,
        origin=drop.object_uri,
        sha256=drop.sha256,
        delivered_bytes=drop.delivered_bytes,
        line_count=drop.line_count,
        landed_at=drop.landed_at,
        landed_path=drop.landed_path,
        content_sha256=drop.sha256,
    )


def load(paths: Paths, dataset: str, progress: bool = True) -> LoadSummary:
    """Load every landed object of `dataset` that bronze does not hold yet."""
    landed = {drop.delivery_id: drop for drop in drops(paths, dataset)}

    def values(landing: Landing) -> dict:
        drop = landed[landing.ingestion_id]
        return {
            "object_uri": drop.object_uri,
            "etag": drop.etag or None,
            "delivery_day": drop.delivery_day,
            "batch_at": drop.batch_at,
        }

    return load_landed(
        dataset,
        paths,
        progress,
        landed=[_landing(drop) for drop in landed.values()],
        lineage=Lineage(LINEAGE_COLUMNS, values),
    )
