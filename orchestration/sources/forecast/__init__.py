"""Hourly weather forecasts per municipality (a service, pulled every hour) and dated municipality files."""

from datetime import timedelta

from orchestration.core.source import ADMITTED, FAILED, Delivery, DeliveryKind, Freshness, Source
from orchestration.settings import Paths
from orchestration.sources.forecast.landing import (
    DATE_FOLDER,
    deliveries,
    failures,
    forecast_dir,
    municipios_dir,
    pulls,
)


def _has_landed(paths: Paths) -> bool:
    inbox = paths.inbox("municipios")
    return bool(
        pulls(paths)
        or deliveries(paths)
        or (inbox.exists() and any(DATE_FOLDER.match(p.name) for p in inbox.iterdir()))
    )


def _pulls(paths: Paths) -> list[Delivery]:
    return [Delivery("forecast", p.pull_id, p.pull_seq, p.url, p.landed_at, p.records, p.sha256) for p in pulls(paths)]


def _failed_pulls(paths: Paths) -> list[Delivery]:
    return [
        Delivery(
            source="forecast",
            delivery_id=f"failed-{f['fetched_at']}",
            seq=0,
            name=f["url"],
            landed_at=f["at"],
            items=0,
            state=FAILED,
            reasons=[f["error"]],
        )
        for f in failures(paths)
    ]


def _municipios(paths: Paths) -> list[Delivery]:
    """Municipality files are checked when they land (a bad file is refused there) and admitted then."""
    return [
        Delivery(
            source="municipios",
            delivery_id=d.delivery_id,
            seq=d.delivery_seq,
            name=d.origin,
            landed_at=d.landed_at,
            items=d.rows,
            sha256=d.sha256,
            state=ADMITTED,
            admitted_seq=d.delivery_seq,
            reasons=["checked when landed"],
            decided_at=d.landed_at,
        )
        for d in deliveries(paths)
    ]


SOURCE = Source(
    name="forecast",
    lands=("forecast", "municipios"),
    has_landed=_has_landed,
    deliveries=(
        DeliveryKind("forecast", forecast_dir, _pulls, failed=_failed_pulls),
        DeliveryKind("municipios", municipios_dir, _municipios, judged=False),
    ),
    scheduled_only=("landing/forecast_pulls",),
    # Pulls, hourly; a municipalities folder now and then says nothing of the forecast's freshness.
    freshness=Freshness(
        timedelta(hours=1), timedelta(hours=3), timedelta(days=1), "bronze/forecast_records", kinds=("forecast",)
    ),
)
