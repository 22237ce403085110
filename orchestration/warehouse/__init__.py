"""The warehouse behind the current target (MEDALLION_TARGET): DuckDB, Trino or BigQuery.

Everything outside dbt that touches the warehouse goes through one of these
classes, all with the face `base.Warehouse` describes: reading gold (answers,
versions, charts), appending a landing's Parquet parts to a bronze table, the
Great Expectations connection, the small registries Python writes (always
with bound values, never values spliced into SQL text), and which errors mean
"that table does not exist yet". dbt reaches the same warehouse through the
output of the same name in profiles.example.yml.
"""

from __future__ import annotations

from orchestration.settings import TARGETS, Paths, load
from orchestration.warehouse.base import (
    BronzeLoadError,
    BronzeTable,
    Columns,
    Warehouse,
    WarehouseUnavailable,
    fetchall,
)
from orchestration.warehouse.bigquery import BigQueryWarehouse
from orchestration.warehouse.duckdb import DuckDBWarehouse
from orchestration.warehouse.trino import TrinoWarehouse

__all__ = [
    "TARGETS",
    "BigQueryWarehouse",
    "BronzeLoadError",
    "BronzeTable",
    "Columns",
    "DuckDBWarehouse",
    "TrinoWarehouse",
    "Warehouse",
    "WarehouseUnavailable",
    "current",
    "fetchall",
]


def current(paths: Paths) -> Warehouse:
    """The warehouse of MEDALLION_TARGET (settings checks it is one of TARGETS)."""
    return {"duckdb": DuckDBWarehouse, "trino": TrinoWarehouse, "bigquery": BigQueryWarehouse}[load().target](paths)
