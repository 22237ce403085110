"""Tweets about the 2021 farmers' protest: files of JSON lines, landed by path, URL or inbox."""

from datetime import timedelta

from orchestration.core.inbox import waiting
from orchestration.core.landing import Manifest
from orchestration.core.source import Delivery, DeliveryKind, Freshness, Source
from orchestration.settings import Paths


def _has_landed(paths: Paths) -> bool:
    return bool(Manifest(paths.landing("tweets")).entries() or waiting(paths, "tweets"))


def _landed(paths: Paths) -> list[Delivery]:
    return [
        Delivery("tweets", e.ingestion_id, e.ingestion_seq, e.source_file, e.landed_at, e.line_count, e.sha256)
        for e in Manifest(paths.landing("tweets")).entries()
    ]


SOURCE = Source(
    name="tweets",
    lands=("tweets",),
    has_landed=_has_landed,
    deliveries=(DeliveryKind("tweets", lambda paths: paths.landing("tweets"), _landed),),
    needs=("reference",),
    file_inboxes=("tweets",),
    freshness=Freshness(timedelta(days=1), timedelta(days=2), timedelta(days=7), "bronze/tweets_lines"),
)
