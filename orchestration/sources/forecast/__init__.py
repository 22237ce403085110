"""Hourly weather forecasts per municipality (a service, pulled every hour) and dated municipality files."""

from orchestration.core.source import Source
from orchestration.settings import Paths
from orchestration.sources.forecast.landing import DATE_FOLDER, deliveries, pulls


def _has_landed(paths: Paths) -> bool:
    inbox = paths.inbox("municipios")
    return bool(
        pulls(paths)
        or deliveries(paths)
        or (inbox.exists() and any(DATE_FOLDER.match(p.name) for p in inbox.iterdir()))
    )


SOURCE = Source(
    name="forecast",
    lands=("forecast", "municipios"),
    has_landed=_has_landed,
    targets=("duckdb", "trino"),
    scheduled_only=("landing/forecast_pulls",),
)
