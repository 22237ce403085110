"""Medallion's settings as a Dagster resource, so assets, checks and sensors take them as a parameter."""

from __future__ import annotations

from typing import Any

from dagster import ConfigurableResource

from orchestration.settings import Settings, load

# The run tag that says what started a run: `cli` (`medallion build`), `inbox` (a sensor), ...
TRIGGER_TAG = "medallion/trigger"


class SettingsResource(ConfigurableResource):
    """`settings.load()` when a step runs, so `dagster dev`, the daemon and `medallion build` each see the
    environment they were started with. `home` points a code location (or a test) at another
    MEDALLION_HOME without touching the environment."""

    home: str | None = None

    def get(self) -> Settings:
        return load(overrides={"MEDALLION_HOME": self.home} if self.home else None)


# What a loader reports as the rows it loaded, by the metadata name it uses.
ROW_METADATA = ("new_lines", "new_records", "new_rows")


def reported_rows(metadata: dict[str, Any]) -> int:
    for name in ROW_METADATA:
        value = getattr(metadata.get(name), "value", metadata.get(name))
        if isinstance(value, int):
            return value
    return 0
