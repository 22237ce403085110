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

    @property
    def serving(self) -> Path:
        """DuckDB: the published gold that readers open (see warehouse.py)."""
        return self.home / "serving" / "published.duckdb"

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


# The forecast service asked when `medallion land forecast` gets no URL, and by the hourly schedule.
DEFAULT_FORECAST_URL = "https://smn.conagua.gob.mx/tools/GUI/webservices/?method=3"


def forecast_url() -> str:
    return os.environ.get("MEDALLION_FORECAST_URL", DEFAULT_FORECAST_URL)


class SettingsError(ValueError):
    """A setting in the environment has a value that cannot be used; the message names it."""


def _number(name: str, default: float, kind: type = float, minimum: float = 0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a {'whole ' if kind is int else ''}number") from None
    if value <= minimum:
        raise SettingsError(f"{name}={raw!r}: must be greater than {minimum:g}")
    return value


# A decompressed delivery below this size is never called a bomb, whatever its expansion ratio.
EXPANSION_FLOOR = 16 << 20


@dataclass(frozen=True)
class Limits:
    """What one delivery may cost. Beyond a limit, a delivery (or one line of it) is refused or rejected."""

    # A line longer than this is kept in the landing zone but rejected in silver ("line too long").
    max_line_bytes: int = 1 << 20
    # A compressed delivery may not expand more than this many times its size (a zip bomb)...
    max_expansion: float = 100.0
    # ...nor beyond this many bytes, compressed or not.
    max_delivery_bytes: int = 50 << 30
    # Seconds without an answer before a download (`medallion land tweets URL`) gives up.
    download_timeout: float = 60.0

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            max_line_bytes=int(_number("MEDALLION_MAX_LINE_BYTES", cls.max_line_bytes, int)),
            max_expansion=_number("MEDALLION_MAX_EXPANSION", cls.max_expansion),
            max_delivery_bytes=int(_number("MEDALLION_MAX_DELIVERY_BYTES", cls.max_delivery_bytes, int)),
            download_timeout=_number("MEDALLION_DOWNLOAD_TIMEOUT", cls.download_timeout),
        )
