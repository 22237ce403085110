"""Trino with Iceberg: bronze copied in bulk from the lake, registries written with bound values.

A landing's Parquet parts are exposed to Trino as an external table of its
`hive` catalog and copied into the Iceberg table with one INSERT ... SELECT:
bulk, inside Trino, never row by row. Start a local Trino with `medallion trino up`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from orchestration.settings import Paths, load
from orchestration.warehouse.base import (
    BronzeTable,
    ServerWarehouse,
    SharedSqlGates,
    Tables,
    WarehouseUnavailable,
    fetchall,
    parquet_schema,
)
from orchestration.warehouse.sqltext import quote_identifier, quote_literal

ROWS_PER_INSERT = 200
# A column name Hive (the staging catalog) takes as it is; any other is staged by position.
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class TrinoWarehouse(SharedSqlGates, ServerWarehouse):
    """Trino's `iceberg` catalog; start it with `medallion trino up`."""

    name = "trino"
    catalog = "iceberg"

    def __init__(self, paths: Paths):
        self.paths = paths
        self.settings = load().trino

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

    # --- bronze ---------------------------------------------------------------

    def bronze_partitions(self, table: BronzeTable) -> set[int]:
        con = self.connect()
        try:
            return {r[0] for r in fetchall(con, f"select distinct {table.partition} from {self._bronze(table)}")}
        except Exception as exc:
            if self.is_missing_relation(exc):
                return set()
            raise
        finally:
            con.close()

    def append_parts(self, table: BronzeTable, seq: int, folder: Path) -> int:
        """Copy the parts in `folder` (the lake folder of landing `seq`) into the Iceberg table; a copy
        an interrupted load left half done is replaced. Returns the rows the table now holds for `seq`."""
        schema = parquet_schema(folder)
        con = self.connect()
        try:
            have = self._ensure_table(con, table)
            for name, kind in schema:
                if name.lower() not in have:  # a landing with new columns widens the table
                    fetchall(
                        con, f"alter table {self._bronze(table)} add column {quote_identifier(name)} {_iceberg(kind)}"
                    )
                    have.add(name.lower())
            fetchall(con, f"delete from {self._bronze(table)} where {table.partition} = ?", [seq])
            stage, columns, relative = self._stage(table, seq, folder, schema)
            try:
                _stage_and_copy(
                    con,
                    relative,
                    stage,
                    ", ".join(f"{ref} {_staged(kind)}" for ref, (_, kind) in zip(columns, schema, strict=True)),
                    f"insert into {self._bronze(table)} ({', '.join(quote_identifier(n) for n, _ in schema)}) select "
                    + ", ".join(_from_stage(ref, kind) for ref, (_, kind) in zip(columns, schema, strict=True)),
                )
            finally:
                if relative != folder.relative_to(self.paths.home):
                    shutil.rmtree(self.paths.home / relative, ignore_errors=True)
            return fetchall(con, f"select count(*) from {self._bronze(table)} where {table.partition} = ?", [seq])[0][0]
        finally:
            con.close()

    def finish_bronze(self, table: BronzeTable) -> None:
        con = self.connect()
        try:
            self._ensure_table(con, table)
        finally:
            con.close()

    def _bronze(self, table: BronzeTable) -> str:
        return f"{self.catalog}.{table.relation}"

    def _ensure_table(self, con: Any, table: BronzeTable) -> set[str]:
        fetchall(con, f"create schema if not exists {self.catalog}.bronze")
        fetchall(con, "create schema if not exists hive.medallion_stage")
        columns = ", ".join(f"{quote_identifier(n)} {_iceberg(k)}" for n, k in table.columns.items())
        fetchall(
            con,
            f"create table if not exists {self._bronze(table)} ({columns}) "
            f"with (partitioning = array[{quote_literal(table.partition)}])",
        )
        have = {r[0] for r in fetchall(con, f"describe {self._bronze(table)}")}
        for name, kind in table.columns.items():  # tables from older releases get newer columns (null for old rows)
            if name.lower() not in have:
                self._add_column(con, table, name, kind)
                have.add(name.lower())
        return have

    def _add_column(self, con: Any, table: BronzeTable, name: str, kind: str) -> None:
        fetchall(con, f"alter table {self._bronze(table)} add column {quote_identifier(name)} {_iceberg(kind)}")

    def _stage(
        self, table: BronzeTable, seq: int, folder: Path, schema: list[tuple[str, str]]
    ) -> tuple[str, list[str], Path]:
        """The folder Hive reads and the names it knows the columns by. Hive takes no comma (and more) in
        a column name, which a delivered CSV header may hold: such parts are rewritten with positional names."""
        stage = f"{table.name}_{seq:06d}"
        if all(_PLAIN.fullmatch(name) for name, _ in schema):
            return stage, [quote_identifier(name) for name, _ in schema], folder.relative_to(self.paths.home)
        import duckdb

        relative = Path("trino") / "stage" / table.name / folder.name
        (self.paths.home / relative).mkdir(parents=True, exist_ok=True)
        read = "read_parquet($1, hive_partitioning = false, union_by_name = true)"
        positional = ", ".join(f"{quote_identifier(n)} as c{i}" for i, (n, _) in enumerate(schema))
        scratch = duckdb.connect()
        try:
            scratch.sql(f"select {positional} from {read}", params=[str(folder / "*.parquet")]).write_parquet(
                str(self.paths.home / relative / "part-00001.parquet")
            )
        finally:
            scratch.close()
        return stage, [f"c{i}" for i in range(len(schema))], relative

    # --- registries -----------------------------------------------------------

    def replace_tables(self, tables: Tables) -> None:
        self._write(tables, replace=True)

    def append_rows(self, tables: Tables) -> None:
        self._write(tables, replace=False)

    def _write(self, tables: Tables, replace: bool) -> None:
        con = self.connect()
        try:
            for name, (columns, rows) in tables.items():
                fetchall(con, f"create schema if not exists {self.catalog}.{name.split('.')[0]}")
                definition = ", ".join(f'"{column}" {_iceberg(kind)}' for column, kind in columns.items())
                verb = "create or replace table" if replace else "create table if not exists"
                fetchall(con, f"{verb} {self.catalog}.{name} ({definition})")
                slots = "(" + ", ".join(_slot(kind) for kind in columns.values()) + ")"
                names = ", ".join(f'"{column}"' for column in columns)
                for start in range(0, len(rows), ROWS_PER_INSERT):
                    chunk = rows[start : start + ROWS_PER_INSERT]
                    fetchall(
                        con,
                        f"insert into {self.catalog}.{name} ({names}) values " + ", ".join([slots] * len(chunk)),
                        [_value(row.get(column), kind) for row in chunk for column, kind in columns.items()],
                    )
        finally:
            con.close()

    def sqlalchemy_url(self) -> str:
        return f"trino://{self.settings.user}@{self.settings.host}:{self.settings.port}/{self.catalog}"

    def is_missing_relation(self, exc: BaseException) -> bool:
        from trino.exceptions import TrinoUserError

        return isinstance(exc, TrinoUserError) and exc.error_name in {"TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND"}

    def location(self) -> str:
        return f"trino://{self.settings.host}:{self.settings.port}/{self.catalog}"


def _stage_and_copy(con: object, relative: Path, stage: str, stage_columns: str, insert_select: str) -> None:
    """Expose the Parquet folder $MEDALLION_HOME/`relative` as the external table
    hive.medallion_stage.`stage`, run `insert_select` (an `insert into ... select ...` without its
    FROM) from it, then drop it."""
    fetchall(con, f"drop table if exists hive.medallion_stage.{stage}")
    location = quote_literal(f"local:///{relative.as_posix()}")
    fetchall(
        con,
        f"create table hive.medallion_stage.{stage} ({stage_columns}) "
        f"with (external_location = {location}, format = 'PARQUET')",
    )
    try:
        fetchall(con, f"{insert_select} from hive.medallion_stage.{stage}")
    finally:
        fetchall(con, f"drop table hive.medallion_stage.{stage}")


_TZ = "timestamp with time zone"


def _iceberg(kind: str) -> str:
    """Iceberg keeps microseconds; Trino's default timestamp precision is 3."""
    kind = kind.lower()
    return "timestamp(6) with time zone" if kind == _TZ else kind


def _staged(kind: str) -> str:
    """Hive reads a UTC instant in Parquet as a plain timestamp."""
    kind = kind.lower()
    return "timestamp(6)" if kind == _TZ else kind


def _from_stage(ref: str, kind: str) -> str:
    return f"with_timezone({ref}, 'UTC')" if kind.lower() == _TZ else ref


def _slot(kind: str) -> str:
    if kind == _TZ:
        return "cast(from_iso8601_timestamp_nanos(?) as timestamp(6) with time zone)"
    return f"cast(? as {kind})"


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == _TZ:
        return str(value).replace(" ", "T")
    if kind == "date":
        return str(value)
    return value
