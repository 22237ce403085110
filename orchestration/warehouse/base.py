"""What every warehouse target offers, and the shapes the targets share.

A target is one class (DuckDB, Trino, BigQuery) with the same small face:
connect, run a query, append a landing's Parquet parts to a bronze table,
write a small registry table whole or in part. Nothing above this package
knows which target it talks to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from orchestration.settings import Paths

# A small table Python writes: {column: DuckDB type}; rows as dicts (ISO strings for times).
Columns = dict[str, str]
Tables = dict[str, tuple[Columns, list[dict[str, Any]]]]


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached, or holds nothing yet."""


class BronzeLoadError(RuntimeError):
    """A landing's rows did not all reach its bronze table; the next build copies it again."""


@dataclass(frozen=True)
class BronzeTable:
    """A bronze table whose rows live in the lake as zstd Parquet, one folder per landing:
    `$MEDALLION_HOME/lake/bronze/<name>/<partition>=NNNNNN/part-*.parquet`. `columns` are the
    columns every landing has; a landing may bring more (a new CSV column), which a target adds."""

    name: str
    partition: str
    columns: Columns

    @property
    def relation(self) -> str:
        return f"bronze.{self.name}"

    def folder(self, paths: Paths) -> Path:
        return paths.lake("bronze", self.name)

    def partition_folder(self, paths: Paths, seq: int) -> Path:
        return self.folder(paths) / f"{self.partition}={seq:06d}"


class Warehouse(Protocol):
    name: str

    def connect(self, read_only: bool = True) -> Any: ...

    def connect_gold(self) -> Any: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...

    def append_parts(self, table: BronzeTable, seq: int, folder: Path) -> int: ...

    def finish_bronze(self, table: BronzeTable) -> None: ...

    def bronze_partitions(self, table: BronzeTable) -> set[int]: ...

    def replace_tables(self, tables: Tables) -> None: ...

    def append_rows(self, tables: Tables) -> None: ...

    def sqlalchemy_url(self) -> str: ...

    def is_missing_relation(self, exc: BaseException) -> bool: ...

    def location(self) -> str: ...

    def gate_sql(self, sql: str) -> str:
        """A gate's batch query (written in the SQL DuckDB and Trino share) in this target's dialect."""

    def gate_view(self, connection: Any, schema: str, view: str, sql: str) -> None:
        """Create or replace the view `schema.view` a gate's suite reads, on the gate's SQLAlchemy connection."""

    def max_or_zero(self, connection: Any, schema: str, table: str, column: str) -> int:
        """max(`column`) of `schema.table` read on a gate's SQLAlchemy connection; 0 while the table is
        empty or does not exist."""

    def release(self) -> None:
        """After a dbt step or a gate run in this process: close what dbt's adapter or the gate's engines
        keep open between uses, so the next one can connect its own way."""


class SharedSqlGates:
    """Gates on a target that runs their batch queries as written (DuckDB, Trino)."""

    def gate_sql(self, sql: str) -> str:
        return sql

    def gate_view(self, connection: Any, schema: str, view: str, sql: str) -> None:
        import sqlalchemy as sa

        connection.execute(sa.text(f"create schema if not exists {schema}"))
        connection.execute(sa.text(f"create or replace view {schema}.{view} as {sql}"))

    def max_or_zero(self, connection: Any, schema: str, table: str, column: str) -> int:
        import sqlalchemy as sa

        exists = connection.execute(
            sa.text(
                "select count(*) from information_schema.tables where table_schema = :schema and table_name = :table"
            ),
            {"schema": schema, "table": table},
        ).scalar_one()
        if not exists:
            return 0
        return int(connection.execute(sa.text(f"select coalesce(max({column}), 0) from {schema}.{table}")).scalar_one())


class ServerWarehouse:
    """What a warehouse behind a server (Trino, BigQuery) does the same way: readers and writers share
    one kind of connection, and a query opens one, fetches, and closes it."""

    def connect(self, read_only: bool = True) -> Any:
        raise NotImplementedError

    def connect_gold(self) -> Any:
        return self.connect()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        con = self.connect()
        try:
            return fetchall(con, sql, params)
        finally:
            con.close()

    def release(self) -> None:
        """dbt's and the gates' connections to a server hold no lock on anything: nothing to close."""


def is_bigquery(con: Any) -> bool:
    """Whether `con` is BigQuery's DB-API connection (its parameter style and type names are its own)."""
    return type(con).__module__.startswith("google.cloud.bigquery")


def fetchall(con: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run one query on a DB-API connection, `?` marking each bound value (DuckDB's and Trino's style; for
    BigQuery's DB-API, which takes `%s` and `%` as `%%`, translated here)."""
    if params and is_bigquery(con):
        sql = sql.replace("%", "%%").replace("?", "%s")
    cur = con.cursor()
    try:
        cur.execute(sql, list(params)) if params else cur.execute(sql)
        return [tuple(row) for row in cur.fetchall()]
    finally:
        cur.close()


def parquet_schema(folder: Path) -> list[tuple[str, str]]:
    """[(column, DuckDB type)] of the Parquet parts in `folder` (the folder's name is no column)."""
    import duckdb

    scratch = duckdb.connect()
    try:
        return [
            (row[0], row[1])
            for row in scratch.sql(
                "describe select * from read_parquet($1, hive_partitioning = false, union_by_name = true)",
                params=[str(folder / "*.parquet")],
            ).fetchall()
        ]
    finally:
        scratch.close()


def parquet_rows(folder: Path) -> int:
    """Rows in the Parquet parts of `folder`, from their footers."""
    import duckdb

    if not any(folder.glob("*.parquet")):
        return 0
    scratch = duckdb.connect()
    try:
        return int(
            scratch.sql(
                "select coalesce(sum(num_rows), 0) from parquet_file_metadata($1)",
                params=[str(folder / "*.parquet")],
            ).fetchall()[0][0]
        )
    finally:
        scratch.close()
