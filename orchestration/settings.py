"""Where things live. Every runtime path hangs off $MEDALLION_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    home: Path

    @classmethod
    def from_env(cls) -> Paths:
        home = os.environ.get("MEDALLION_HOME") or str(PROJECT_DIR / ".medallion")
        return cls(Path(home).resolve())

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    def landing(self, source: str) -> Path:
        return self.home / "landing" / source

    def lake(self, layer: str, table: str) -> Path:
        return self.home / "lake" / layer / table

    def inbox(self, source: str) -> Path:
        """Drop files here; the next build (or the inbox sensor) lands them."""
        return self.home / "inbox" / source

    @property
    def downloads(self) -> Path:
        return self.home / "downloads"

    @property
    def datasets(self) -> Path:
        return self.home / "datasets"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    def ensure_dagster_home(self) -> Path:
        """The Dagster instance folder, with a dagster.yaml that turns telemetry off."""
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        config = self.dagster_home / "dagster.yaml"
        if not config.exists():
            config.write_text("telemetry:\n  enabled: false\n")
        return self.dagster_home

    @property
    def dbt_profiles_dir(self) -> Path:
        return self.home / "dbt"


def target_name() -> str:
    return os.environ.get("MEDALLION_TARGET", "duckdb")
