"""DuckDB, the embedded default: one file under $MEDALLION_HOME, bronze as views over the lake.

Readers never wait for a build. DuckDB allows one writing process or many
reading ones per file, so every publish also writes gold (current views,
versions and the registry) into a snapshot file of its own,
`$MEDALLION_HOME/serving/published.duckdb`, replaced atomically; `medallion
answers`, `versions` and `forecast` read that file and never touch the
warehouse a build holds.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from orchestration.settings import Paths
from orchestration.warehouse.base import (
    BronzeTable,
    Columns,
    SharedSqlGates,
    Tables,
    WarehouseUnavailable,
    fetchall,
    parquet_rows,
)
from orchestration.warehouse.sqltext import quote_identifier, quote_literal


def _objects(values: list[Any]) -> np.ndarray:
    """`values` as a one-dimensional NumPy object array (element by element: a list value stays one value)."""
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


class DuckDBWarehouse(SharedSqlGates):
    name = "duckdb"

    def __init__(self, paths: Paths):
        self.paths = paths

    def connect(self, read_only: bool = True) -> Any:
        if read_only and not self.paths.warehouse.exists():
            raise WarehouseUnavailable(
                f"{self.paths.warehouse}: no warehouse yet; run `medallion land tweets FILE` and `medallion build`"
            )
        self.paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(self.paths.warehouse), read_only=read_only)

    def connect_gold(self) -> Any:
        """Gold for readers: the snapshot of the last publish, or (before the first snapshot) the warehouse."""
        if self.paths.serving.exists():
            return duckdb.connect(str(self.paths.serving), read_only=True)
        try:
            return self.connect(read_only=True)
        except duckdb.IOException as exc:
            raise WarehouseUnavailable(
                f"{self.paths.warehouse} is busy (a build is running) and nothing has been published yet; "
                "try again when the build has finished"
            ) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """A query by the build (which holds the warehouse); readers use `connect_gold`."""
        con = self.connect(read_only=False)
        try:
            return fetchall(con, sql, params)
        finally:
            con.close()

    # --- bronze: the lake is the table; the warehouse holds a view over it ---

    def append_parts(self, table: BronzeTable, seq: int, folder: Path) -> int:
        """The parts are in the lake already, which is where this target reads them."""
        return parquet_rows(folder)

    def bronze_partitions(self, table: BronzeTable) -> set[int]:
        folder = table.folder(self.paths)
        prefix = f"{table.partition}="
        return {
            int(child.name.removeprefix(prefix))
            for child in (folder.iterdir() if folder.is_dir() else ())
            if child.is_dir() and child.name.startswith(prefix) and child.name.removeprefix(prefix).isdigit()
        }

    def finish_bronze(self, table: BronzeTable) -> None:
        con = self.connect(read_only=False)
        try:
            con.execute("create schema if not exists bronze")
            lake_view(con, table.relation, table.folder(self.paths), table.partition, table.columns)
        finally:
            con.close()

    # --- registries Python writes: bound values, never values in SQL text ---

    def replace_tables(self, tables: Tables) -> None:
        self._write(tables, replace=True)

    def append_rows(self, tables: Tables) -> None:
        self._write(tables, replace=False)

    def _write(self, tables: Tables, replace: bool) -> None:
        con = self.connect(read_only=False)
        try:
            for name, (columns, rows) in tables.items():
                # NumPy object columns, which DuckDB scans as a table (pandas' import costs a build 0.4 s).
                frame = {column: _objects([r.get(column) for r in rows]) for column in columns}
                con.register("medallion_rows", frame)
                typed = ", ".join(f'cast("{column}" as {kind}) as "{column}"' for column, kind in columns.items())
                con.execute(f"create schema if not exists {name.split('.')[0]}")
                if replace:
                    con.execute(f"create or replace table {name} as select {typed} from medallion_rows")
                else:
                    con.execute(f"create table if not exists {name} as select {typed} from medallion_rows where false")
                    con.execute(f"insert into {name} by name select {typed} from medallion_rows")
                con.unregister("medallion_rows")
        finally:
            con.close()

    def ensure_snapshot(self) -> None:
        """A home published before snapshots existed gets one, so that readers leave its builds alone.
        Called by a build as it starts (it holds the home's build lock)."""
        if self.paths.serving.exists() or not self.paths.warehouse.exists():
            return
        con = duckdb.connect(str(self.paths.warehouse), read_only=True)
        try:
            published = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'gold' and table_name = 'versions'"
            ).fetchone()[0]
        finally:
            con.close()
        if published:
            self.publish_snapshot()

    def publish_snapshot(self) -> Path:
        """Write gold as it is now (views materialized, only registered versions) to a new file and
        make it the one readers open. Called right after a publish, by the process that built it."""
        folder = self.paths.serving.parent
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".published-{os.getpid()}.duckdb"
        for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
            stale.unlink(missing_ok=True)
        con = self.connect(read_only=False)
        try:
            con.execute("attach ? as serving", [str(tmp)])
            con.execute("create schema serving.gold")
            relations = [
                row[0]
                for row in con.execute(
                    "select table_name from information_schema.tables"
                    " where table_catalog = current_database() and table_schema = 'gold' order by table_name"
                ).fetchall()
            ]
            registered = "versions" in relations
            for relation in relations:
                source = f"gold.{quote_identifier(relation)}"
                where = (
                    " where version_id in (select version_id from gold.versions)"
                    if registered and relation.endswith("__versions")
                    else ""
                )
                con.execute(f"create table serving.{source} as select * from {source}{where}")
            con.execute("detach serving")
        finally:
            con.close()
        os.replace(tmp, self.paths.serving)
        return self.paths.serving

    def release(self) -> None:
        """dbt-duckdb keeps its database open for the life of the process (a class-level environment), and
        the gates' engines keep a connection each; the next of them, or a bronze load, opens the file with
        its own settings, which DuckDB refuses while a handle with other settings is open."""
        from orchestration.warehouse.duckdb_dialect import close_connections

        close_connections()
        if "dbt.adapters.duckdb.connections" not in sys.modules:
            return
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        with DuckDBConnectionManager._LOCK:
            environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if environment is not None:
            environment.close()

    def sqlalchemy_url(self) -> str:
        from orchestration.warehouse.duckdb_dialect import url_for  # registers duckdb+buffered

        return url_for(str(self.paths.warehouse))

    def is_missing_relation(self, exc: BaseException) -> bool:
        return isinstance(exc, duckdb.CatalogException)

    def location(self) -> str:
        return str(self.paths.warehouse)


def lake_view(con: duckdb.DuckDBPyConnection, view: str, folder: Path, partition: str, columns: Columns) -> None:
    """(Re)create `view` over the Parquet parts under `folder` (hive-partitioned by `partition`),
    or, while there are none, as an empty relation with `columns`. A view's body takes no
    parameters, so the folder (the operator's own MEDALLION_HOME) goes in as a quoted literal."""
    if any(folder.glob("*/*.parquet")):
        body = (
            f"select * from read_parquet({quote_literal(str(folder) + '/*/*.parquet')}, union_by_name = true,"
            f" hive_partitioning = true, hive_types = {{'{partition}': integer}})"
        )
    else:
        body = (
            "select " + ", ".join(f"cast(null as {kind}) as {name}" for name, kind in columns.items()) + " where false"
        )
    con.execute(f"create or replace view {view} as {body}")
