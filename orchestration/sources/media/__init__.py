"""Daily drops of news articles and TikTok comments from object storage (S3, MinIO) or a folder."""

from datetime import timedelta

from orchestration.core.source import Delivery, DeliveryKind, Freshness, Source
from orchestration.settings import Paths
from orchestration.sources.media.landing import drops
from orchestration.sources.media.store import DATASETS


def _has_landed(paths: Paths) -> bool:
    return any(drops(paths, dataset) for dataset in DATASETS)


def _landed(dataset: str):
    def landed(paths: Paths) -> list[Delivery]:
        return [
            Delivery(dataset, d.delivery_id, d.delivery_seq, d.object_uri, d.landed_at, d.line_count, d.sha256)
            for d in drops(paths, dataset)
        ]

    return landed


SOURCE = Source(
    name="media",
    lands=("media",),
    has_landed=_has_landed,
    deliveries=tuple(
        DeliveryKind(dataset, lambda paths, dataset=dataset: paths.landing(dataset), _landed(dataset))
        for dataset in DATASETS
    ),
    scheduled_only=("landing/media_drops",),
    freshness=Freshness(timedelta(days=1), timedelta(days=2), timedelta(days=7), "bronze/media_lines"),
)
