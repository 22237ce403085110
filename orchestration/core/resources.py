"""Medallion's settings as a Dagster resource, so assets, checks and sensors take them as a parameter."""

from __future__ import annotations

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
