"""Every setting Medallion reads, read here and nowhere else.

`SETTINGS` is the one list: name, default and meaning of each environment variable (the README's
settings table is generated from it, and a test keeps the two equal). `load()` reads the environment
once into a typed, frozen `Settings`; a value that cannot be used raises `SettingsError` naming the
variable, before any work starts. Dagster code gets the same object through the `settings` resource
(`orchestration/core/resources.py`).

Every runtime path hangs off `$MEDALLION_HOME` (`Paths`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting in the environment has a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    meaning: str
    # Who reads it: `medallion` (through `load()`), or the dbt profile / project (through `env_var`).
    read_by: str = "medallion"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MEDALLION_HOME",
        ".medallion",
        "Root of all runtime state: landing zone, lake, warehouse, Dagster, dbt profile.",
    ),
    Setting("MEDALLION_TARGET", "duckdb", "Warehouse: `duckdb`, `trino` or `bigquery`.", "medallion, dbt profile"),
    Setting(
        "MEDALLION_DUCKDB_MEMORY",
        "1GB",
        "Memory DuckDB may use for dbt's models and for reading a dataset's delivery (DuckDB's `memory_limit`; "
        "beyond it, it spills to disk).",
        "dbt profile, medallion",
    ),
    Setting(
        "MEDALLION_MAX_LINE_BYTES",
        "1048576",
        "A longer line is kept in the landing zone but rejected (`line too long`).",
    ),
    Setting(
        "MEDALLION_MAX_EXPANSION", "100", "A compressed delivery may not expand more than this many times (zip bomb)."
    ),
    Setting(
        "MEDALLION_MAX_DELIVERY_BYTES",
        "53687091200",
        "Largest delivery, compressed or not, downloaded or decompressed.",
    ),
    Setting("MEDALLION_DOWNLOAD_TIMEOUT", "60", "Seconds without data before a download gives up."),
    Setting("MEDALLION_MAX_REJECT_RATE", "0.01", "Share of rejected lines above which a delivery is quarantined."),
    Setting(
        "MEDALLION_TWEETS_WINDOW",
        "2020-11-01,2021-12-31",
        "Dates (`first,last`) a tweet's `date` must fall in (the protest's span).",
    ),
    Setting("MEDALLION_FORECAST_RECORDS", "1000,1000000", "Records (`low,high`) one forecast pull must hold."),
    Setting("MEDALLION_GOLD_RETENTION", "30", "Gold versions kept per table; older ones are dropped at publish."),
    Setting(
        "MEDALLION_WEBHOOK_URL", "", "Incidents (opened, updated, resolved) and quarantines are POSTed here as JSON."
    ),
    Setting("MEDALLION_SLACK_WEBHOOK_URL", "", "A Slack-compatible incoming webhook: the same events as a message."),
    Setting("MEDALLION_SMTP_HOST", "", "Mail server for the same events by e-mail (unset: no e-mail)."),
    Setting("MEDALLION_SMTP_PORT", "25", "Its port (587 with `MEDALLION_SMTP_STARTTLS=true`, 465 is not supported)."),
    Setting("MEDALLION_SMTP_STARTTLS", "false", "`true`: upgrade the connection with STARTTLS before logging in."),
    Setting("MEDALLION_SMTP_USER", "", "Login, when the mail server asks for one (with `MEDALLION_SMTP_PASSWORD`)."),
    Setting("MEDALLION_SMTP_PASSWORD", "", "Its password."),
    Setting("MEDALLION_SMTP_FROM", "medallion@localhost", "Sender of the e-mails."),
    Setting("MEDALLION_SMTP_TO", "", "Recipients of the e-mails, comma-separated."),
    Setting("MEDALLION_ALERT_ATTEMPTS", "3", "Tries per alert and channel before it is logged as not sent."),
    Setting(
        "MEDALLION_FORECAST_URL",
        "https://smn.conagua.gob.mx/tools/GUI/webservices/?method=3",
        "The forecast service (`medallion land forecast` without a URL, and the hourly schedule).",
    ),
    Setting("MEDALLION_FORECAST_START", "2026-11-01-00:00", "First hour of the hourly forecast partitions in Dagster."),
    Setting("MEDALLION_FORECAST_ATTEMPTS", "5", "Tries per forecast pull."),
    Setting(
        "MEDALLION_FORECAST_BACKOFF", "1", "Base delay between tries, seconds (exponential, full jitter, at most 30)."
    ),
    Setting("MEDALLION_FORECAST_DEADLINE", "180", "Seconds one pull may take, all tries together."),
    Setting("MEDALLION_FORECAST_TIMEOUT", "30", "Seconds one request may take."),
    Setting(
        "MEDALLION_FORECAST_TZ",
        "America/Mexico_City",
        "The forecast service's clock for its local hours.",
        "dbt project",
    ),
    Setting(
        "MEDALLION_MEDIA_ROOT",
        "",
        "Where media drops are read (`s3://bucket/prefix` or a folder): the daily schedule and the Dagster partitions.",
    ),
    Setting("MEDALLION_MEDIA_START", "2026-10-01", "First delivery day of the daily media partitions in Dagster."),
    Setting(
        "MEDALLION_MEDIA_EARLIEST",
        "2000-01-01",
        "A media delivery holding an article or comment dated before this day is quarantined.",
    ),
    Setting(
        "MEDALLION_S3_ENDPOINT",
        "",
        "S3 endpoint (MinIO, ...); unset: AWS. Keys from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.",
    ),
    Setting("MEDALLION_S3_REGION", "us-east-1", "S3 region."),
    Setting("MEDALLION_S3_ATTEMPTS", "5", "Tries per S3 request, and per object read that breaks off."),
    Setting("MEDALLION_TRINO_HOST", "127.0.0.1", "Trino coordinator host.", "medallion, dbt profile"),
    Setting("MEDALLION_TRINO_PORT", "8085", "Trino coordinator port.", "medallion, dbt profile"),
    Setting(
        "MEDALLION_PG_PORT", "5433", "Port of the PostgreSQL that holds the Iceberg catalog (`medallion trino up`)."
    ),
    Setting("MEDALLION_TRINO_HEAP", "4G", "Heap of the local Trino."),
    Setting(
        "MEDALLION_LAKE",
        "",
        "Trino: where Iceberg keeps its files; unset: `$MEDALLION_HOME/lake/iceberg`; `s3://bucket/prefix`: on "
        "object storage (MEDALLION_S3_ENDPOINT, AWS keys; set before the home's first `trino up`).",
    ),
    Setting("MEDALLION_TRINO_START_TIMEOUT", "240", "Seconds `medallion trino up` waits for Trino."),
    Setting(
        "MEDALLION_CACHE", "~/.cache/medallion", "Where the Trino server and the BigQuery emulator are unpacked, once."
    ),
    Setting("MEDALLION_M2_REPOSITORY", "~/.m2/repository", "Maven repository the Trino artifacts are fetched into."),
    Setting("MEDALLION_BQ_PROJECT", "", "BigQuery project id (required on BigQuery).", "medallion, dbt profile"),
    Setting("MEDALLION_BQ_BUCKET", "", "GCS bucket bronze Parquet is staged in on BigQuery (else loaded directly)."),
    Setting("MEDALLION_BQ_LOCATION", "US", "BigQuery dataset location.", "medallion, dbt profile"),
    Setting(
        "MEDALLION_BQ_API_ENDPOINT",
        "",
        "Another BigQuery endpoint (an emulator), anonymous credentials.",
        "medallion, dbt profile",
    ),
    Setting(
        "MEDALLION_BQ_METHOD", "oauth", "dbt's BigQuery auth method (`oauth`, `service-account`, ...).", "dbt profile"
    ),
    Setting("MEDALLION_BQ_TOKEN", "", "Token for `oauth-secrets` (the emulator's dummy token).", "dbt profile"),
    Setting("MEDALLION_BQ_EMULATOR_PORT", "9050", "The local BigQuery emulator's REST port (gRPC next).", "make bq-up"),
    Setting(
        "DBT_PROFILES_DIR",
        "$MEDALLION_HOME/dbt",
        "Your own dbt profile folder; else `medallion` writes one there.",
        "medallion, dbt",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}
# The warehouses there is a module for (orchestration/warehouse/) and a dbt output (profiles.example.yml).
TARGETS = ("duckdb", "trino", "bigquery")


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        """DuckDB: the published gold that readers open (see warehouse/duckdb.py)."""
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
        """The Dagster instance folder, with medallion's dagster.yaml (DAGSTER_YAML). A dagster.yaml of the
        user's own (one without its first line) is left as it is."""
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        config = self.dagster_home / "dagster.yaml"
        text = config.read_text(encoding="utf-8") if config.exists() else None
        ours = text is None or text in EARLIER_DAGSTER_YAML or text.startswith(DAGSTER_YAML_MARK)
        if ours and text != DAGSTER_YAML:
            config.write_text(DAGSTER_YAML, encoding="utf-8")
        return self.dagster_home

    @property
    def dbt_profiles_dir(self) -> Path:
        return self.home / "dbt"


DAGSTER_YAML_MARK = "# Written by medallion;"
# The Dagster instance: telemetry off, and Dagster's SQLite storage with its connections kept open
# (orchestration/instance.py), in the folders Dagster's default uses under DAGSTER_HOME.
DAGSTER_YAML = f"""{DAGSTER_YAML_MARK} medallion rewrites this file while this line is here.
telemetry:
  enabled: false
""" + "".join(
    f"""{key}:
  module: orchestration.instance
  class: {cls}
  config:
    base_dir:
      env: DAGSTER_HOME
"""
    for key, cls in (
        ("run_storage", "PooledSqliteRunStorage"),
        ("event_log_storage", "PooledSqliteEventLogStorage"),
        ("schedule_storage", "PooledSqliteScheduleStorage"),
    )
)
# What earlier releases wrote, replaced on the next start.
EARLIER_DAGSTER_YAML = ("telemetry:\n  enabled: false\n",)


# A decompressed delivery below this size is never called a bomb, whatever its expansion ratio.
EXPANSION_FLOOR = 16 << 20


@dataclass(frozen=True)
class Limits:
    """What one delivery may cost. Beyond a limit, a delivery (or one line of it) is refused or rejected."""

    max_line_bytes: int = 1 << 20
    max_expansion: float = 100.0
    max_delivery_bytes: int = 50 << 30
    download_timeout: float = 60.0


@dataclass(frozen=True)
class Gates:
    """Values the GE suites refer to as parameters."""

    max_reject_rate: float
    tweets_window: tuple[date, date]
    forecast_records: tuple[int, int]
    media_earliest: date


@dataclass(frozen=True)
class Forecast:
    url: str
    start: str
    attempts: int
    backoff: float
    deadline: float
    request_timeout: float


@dataclass(frozen=True)
class Media:
    root: str
    start: date
    s3_endpoint: str
    s3_region: str
    s3_attempts: int
    # AWS's own variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), for what is not boto3 (Trino's
    # catalog); boto3 reads them itself. Never shown.
    s3_keys: tuple[str, str] = field(default=("", ""), repr=False)


@dataclass(frozen=True)
class Trino:
    host: str
    port: int
    pg_port: int
    heap: str
    start_timeout: float
    cache: Path
    m2_repository: Path
    lake: str = ""
    user: str = "medallion"


@dataclass(frozen=True)
class BigQuery:
    project: str
    bucket: str
    location: str
    api_endpoint: str


@dataclass(frozen=True)
class Alerts:
    """Where incidents are sent (each channel optional)."""

    webhook_url: str
    slack_url: str
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_user: str
    smtp_password: str = field(repr=False)
    smtp_from: str
    smtp_to: tuple[str, ...]
    attempts: int


@dataclass(frozen=True)
class Settings:
    paths: Paths
    target: str
    limits: Limits
    gates: Gates
    gold_retention: int
    webhook_url: str | None
    alerts: Alerts
    forecast: Forecast
    media: Media
    trino: Trino
    bigquery: BigQuery
    # Set when the user brings their own dbt profile; else `medallion` writes one under the home.
    own_dbt_profiles_dir: Path | None


class _Reader:
    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ

    def raw(self, name: str) -> str:
        value = self.environ.get(name)
        return _BY_NAME[name].default if value is None or value.strip() == "" else value

    def text(self, name: str) -> str:
        return self.raw(name).strip()

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.text(name)
        if value not in choices:
            raise SettingsError(f"{name}={value!r}: expected one of {', '.join(choices)}")
        return value

    def number(self, name: str, kind: Callable[[str], Any] = float, minimum: float = 0) -> Any:
        raw = self.raw(name)
        try:
            value = kind(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r}: expected a {'whole ' if kind is int else ''}number") from None
        if value <= minimum:
            raise SettingsError(f"{name}={raw!r}: must be greater than {minimum:g}")
        return value

    def pair(self, name: str, kind: Callable[[str], Any]) -> tuple[Any, Any]:
        raw = self.raw(name)
        try:
            low, high = (kind(part.strip()) for part in raw.split(","))
        except ValueError:
            raise SettingsError(
                f"{name}={raw!r}: expected two values, low,high (e.g. {_BY_NAME[name].default})"
            ) from None
        if low > high:
            raise SettingsError(f"{name}={raw!r}: the first value is above the second")
        return low, high

    def share(self, name: str) -> float:
        raw = self.raw(name)
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r}: expected a share between 0 and 1") from None
        if not 0 <= value <= 1:
            raise SettingsError(f"{name}={raw!r}: must be between 0 and 1")
        return value

    def day(self, name: str) -> date:
        raw = self.text(name)
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r}: expected a date, YYYY-MM-DD") from None

    def lake(self, name: str) -> str:
        raw = self.text(name).rstrip("/")
        if raw and not (raw.startswith("s3://") and len(raw) > len("s3://") and not raw[5:].startswith("/")):
            raise SettingsError(f"{name}={raw!r}: expected s3://bucket or s3://bucket/prefix (or unset: a local lake)")
        return raw

    def folder(self, name: str) -> Path:
        return Path(self.raw(name)).expanduser()


def load(environ: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None) -> Settings:
    """The settings in `environ` (default: this process's environment) with `overrides` on top, checked
    and typed."""
    read = _Reader({**(os.environ if environ is None else environ), **(overrides or {})})
    home = read.environ.get("MEDALLION_HOME") or str(PROJECT_DIR / ".medallion")
    retention = read.raw("MEDALLION_GOLD_RETENTION")
    if not retention.isdigit() or int(retention) < 1:
        raise SettingsError(f"MEDALLION_GOLD_RETENTION={retention!r}: expected a whole number of versions, at least 1")
    own_profiles = read.environ.get("DBT_PROFILES_DIR")
    return Settings(
        paths=Paths(Path(home).resolve()),
        target=read.choice("MEDALLION_TARGET", TARGETS),
        limits=Limits(
            max_line_bytes=read.number("MEDALLION_MAX_LINE_BYTES", int),
            max_expansion=read.number("MEDALLION_MAX_EXPANSION"),
            max_delivery_bytes=read.number("MEDALLION_MAX_DELIVERY_BYTES", int),
            download_timeout=read.number("MEDALLION_DOWNLOAD_TIMEOUT"),
        ),
        gates=Gates(
            max_reject_rate=read.share("MEDALLION_MAX_REJECT_RATE"),
            tweets_window=read.pair("MEDALLION_TWEETS_WINDOW", date.fromisoformat),
            forecast_records=read.pair("MEDALLION_FORECAST_RECORDS", int),
            media_earliest=read.day("MEDALLION_MEDIA_EARLIEST"),
        ),
        gold_retention=int(retention),
        webhook_url=read.text("MEDALLION_WEBHOOK_URL") or None,
        alerts=Alerts(
            webhook_url=read.text("MEDALLION_WEBHOOK_URL"),
            slack_url=read.text("MEDALLION_SLACK_WEBHOOK_URL"),
            smtp_host=read.text("MEDALLION_SMTP_HOST"),
            smtp_port=read.number("MEDALLION_SMTP_PORT", int),
            smtp_starttls=read.choice("MEDALLION_SMTP_STARTTLS", ("true", "false")) == "true",
            smtp_user=read.text("MEDALLION_SMTP_USER"),
            smtp_password=read.raw("MEDALLION_SMTP_PASSWORD"),
            smtp_from=read.text("MEDALLION_SMTP_FROM"),
            smtp_to=tuple(a.strip() for a in read.text("MEDALLION_SMTP_TO").split(",") if a.strip()),
            attempts=read.number("MEDALLION_ALERT_ATTEMPTS", int),
        ),
        forecast=Forecast(
            url=read.text("MEDALLION_FORECAST_URL"),
            start=read.text("MEDALLION_FORECAST_START"),
            attempts=read.number("MEDALLION_FORECAST_ATTEMPTS", int),
            backoff=read.number("MEDALLION_FORECAST_BACKOFF", minimum=-1),
            deadline=read.number("MEDALLION_FORECAST_DEADLINE"),
            request_timeout=read.number("MEDALLION_FORECAST_TIMEOUT"),
        ),
        media=Media(
            root=read.text("MEDALLION_MEDIA_ROOT"),
            start=read.day("MEDALLION_MEDIA_START"),
            s3_endpoint=read.text("MEDALLION_S3_ENDPOINT"),
            s3_region=read.text("MEDALLION_S3_REGION"),
            s3_attempts=read.number("MEDALLION_S3_ATTEMPTS", int),
            s3_keys=(read.environ.get("AWS_ACCESS_KEY_ID", ""), read.environ.get("AWS_SECRET_ACCESS_KEY", "")),
        ),
        trino=Trino(
            host=read.text("MEDALLION_TRINO_HOST"),
            port=read.number("MEDALLION_TRINO_PORT", int),
            pg_port=read.number("MEDALLION_PG_PORT", int),
            heap=read.text("MEDALLION_TRINO_HEAP"),
            start_timeout=read.number("MEDALLION_TRINO_START_TIMEOUT"),
            cache=read.folder("MEDALLION_CACHE"),
            m2_repository=read.folder("MEDALLION_M2_REPOSITORY"),
            lake=read.lake("MEDALLION_LAKE"),
        ),
        bigquery=BigQuery(
            project=read.text("MEDALLION_BQ_PROJECT"),
            bucket=read.text("MEDALLION_BQ_BUCKET"),
            location=read.text("MEDALLION_BQ_LOCATION"),
            api_endpoint=read.text("MEDALLION_BQ_API_ENDPOINT"),
        ),
        own_dbt_profiles_dir=Path(own_profiles) if own_profiles else None,
    )


def paths() -> Paths:
    """Where things live, for code that needs nothing else (the CLI, tools and tests)."""
    return load().paths


def environment(names: list[str]) -> dict[str, str]:
    """The raw values of `names`, for what hashes the environment dbt sees (its parse fingerprint)."""
    return {name: os.environ.get(name, "") for name in names}


def settings_table() -> str:
    """The README's settings table (Markdown), from `SETTINGS`."""
    rows = ["| Setting | Default | Read by | Meaning |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(unset)"
        rows.append(f"| `{s.name}` | {default} | {s.read_by} | {s.meaning} |")
    return "\n".join(rows)
