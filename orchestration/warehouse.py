"""The warehouse behind the current target (MEDALLION_TARGET): DuckDB, Trino or BigQuery.

Everything outside dbt that touches the warehouse goes through here: reading
gold (answers, versions, charts), the Great Expectations connection, and which
errors mean "that table does not exist yet". dbt reaches the same warehouse
through the output of the same name in profiles.example.yml.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

from orchestration.settings import Paths, target_name

TARGETS = ("duckdb", "trino", "bigquery")


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached, or holds nothing yet."""


class Warehouse(Protocol):
    name: str

    def connect(self) -> Any: ...

    def sqlalchemy_url(self) -> str: ...

    def is_missing_relation(self, exc: BaseException) -> bool: ...

    def location(self) -> str: ...


def fetchall(con: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run one query on a DB-API connection (DuckDB or Trino; both use `?` parameters)."""
    cur = con.cursor()
    try:
        cur.execute(sql, list(params)) if params else cur.execute(sql)
        return [tuple(row) for row in cur.fetchall()]
    finally:
        cur.close()


class DuckDBWarehouse:
    name = "duckdb"

    def __init__(self, paths: Paths):
        self.paths = paths

    def connect(self, read_only: bool = True) -> Any:
        import duckdb

        if read_only and not self.paths.warehouse.exists():
            raise WarehouseUnavailable(
                f"{self.paths.warehouse}: no warehouse yet; run `medallion land tweets FILE` and `medallion build`"
            )
        self.paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.paths.warehouse), read_only=read_only)

    def sqlalchemy_url(self) -> str:
        from orchestration.quality import duckdb_dialect  # noqa: F401 -- registers duckdb+buffered

        return f"duckdb+buffered:///{self.paths.warehouse}"

    def is_missing_relation(self, exc: BaseException) -> bool:
        import duckdb

        return isinstance(exc, duckdb.CatalogException)

    def location(self) -> str:
        return str(self.paths.warehouse)


class TrinoWarehouse:
    """Trino's `iceberg` catalog; start it with `medallion trino up`."""

    name = "trino"
    catalog = "iceberg"

    def __init__(self, paths: Paths):
        from orchestration.trino_stack import TrinoSettings

        self.paths = paths
        self.settings = TrinoSettings.from_env()

    def connect(self, read_only: bool = True) -> Any:
        import trino

        con = trino.dbapi.connect(
            host=self.settings.host,
            port=self.settings.port,
            user=self.settings.user,
            catalog=self.catalog,
            http_scheme="http",
            request_timeout=600,
        )
        try:
            fetchall(con, "select 1")
        except Exception as exc:
            con.close()
            raise WarehouseUnavailable(
                f"Trino does not answer on {self.settings.host}:{self.settings.port} ({type(exc).__name__}); "
                "start it with `make trino-up` (or `medallion trino up`)"
            ) from exc
        return con

    def sqlalchemy_url(self) -> str:
        return f"trino://{self.settings.user}@{self.settings.host}:{self.settings.port}/{self.catalog}"

    def is_missing_relation(self, exc: BaseException) -> bool:
        from trino.exceptions import TrinoUserError

        return isinstance(exc, TrinoUserError) and exc.error_name in {"TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND"}

    def location(self) -> str:
        return f"trino://{self.settings.host}:{self.settings.port}/{self.catalog}"


class BigQueryWarehouse:
    """Google BigQuery; credentials and project come from the environment (see README)."""

    name = "bigquery"

    def __init__(self, paths: Paths):
        self.paths = paths
        self.project = os.environ.get("MEDALLION_BQ_PROJECT", "")

    def _require(self) -> None:
        if not self.project:
            raise WarehouseUnavailable(
                "MEDALLION_TARGET=bigquery needs MEDALLION_BQ_PROJECT (and credentials: "
                "GOOGLE_APPLICATION_CREDENTIALS for a service account, or `gcloud auth application-default login`)"
            )

    def connect(self, read_only: bool = True) -> Any:
        self._require()
        from google.cloud.bigquery import dbapi

        from orchestration.bigquery_loader import client

        return dbapi.connect(client=client(self.project))

    def sqlalchemy_url(self) -> str:
        raise WarehouseUnavailable(
            "the Great Expectations gates do not run on BigQuery yet: this project does not pin "
            "the sqlalchemy-bigquery dialect, so a BigQuery build cannot be gated"
        )

    def is_missing_relation(self, exc: BaseException) -> bool:
        return "Not found: Table" in str(exc) or "Not found: Dataset" in str(exc)

    def location(self) -> str:
        return f"bigquery://{self.project}"


def current(paths: Paths) -> DuckDBWarehouse | TrinoWarehouse | BigQueryWarehouse:
    name = target_name()
    if name == "duckdb":
        return DuckDBWarehouse(paths)
    if name == "trino":
        return TrinoWarehouse(paths)
    if name == "bigquery":
        return BigQueryWarehouse(paths)
    raise WarehouseUnavailable(f"MEDALLION_TARGET={name!r}: expected one of {', '.join(TARGETS)}")
